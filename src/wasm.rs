//! The JavaScript API: a thin layer over the core. Every exported function takes its
//! arguments as `JsValue` and reads them into typed values (serde, with the path of
//! a bad value in the error); the core checks what they mean (pixel ranges, methods,
//! parameters); results go back as plain objects holding typed arrays. Every error
//! becomes a JavaScript `Error` that names the argument, and the module keeps working.
//! The TypeScript definitions in `pkg/lrp.d.ts` are generated from the types here.

use std::collections::BTreeMap;

use js_sys::{Array, Float32Array, Float64Array, Object, Reflect};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use crate::evaluation::{confidence, softmax};
use crate::lrp::{self, Books, OutputRelevance, ParameterValues, Target};
use crate::{embedded, Model};

const DEFAULT_MODEL: &str = "cnn";

#[wasm_bindgen(start)]
fn start() {
    // A panic is a bug; make it readable in the console rather than "unreachable".
    console_error_panic_hook::set_once();
}

/// The options of `explain`: the model, the target, the output relevance, the
/// per-layer rules of `custom`, and the method's parameters by name.
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ExplainParams {
    /// An embedded model (`models()`); default `cnn`.
    #[tsify(optional)]
    pub model: Option<String>,
    /// The class to explain; default `"predicted"`.
    #[tsify(optional, type = "\"predicted\" | number")]
    pub target: Option<Target>,
    /// The relevance put on the target: its score (default) or 1.
    #[tsify(optional)]
    pub output: Option<OutputRelevance>,
    /// Leave the biases out of the LRP rules.
    #[tsify(optional)]
    pub zero_bias: Option<bool>,
    /// For `custom`: one rule per layer with parameters, from the input up.
    #[tsify(optional)]
    pub layers: Option<Vec<String>>,
    #[serde(flatten)]
    pub parameters: ParameterValues,
    /// Whatever else was given, refused by name.
    #[serde(flatten)]
    #[tsify(type = "{}")]
    unknown: BTreeMap<String, IgnoredAny>,
}

/// A model's decision on one input.
#[derive(Serialize, Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct Classification {
    pub model: String,
    pub prediction: usize,
    /// The output scores.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(type = "Float32Array")]
    pub logits: Float32Array,
    /// Softmax of the scores.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(type = "Float32Array")]
    pub probabilities: Float32Array,
    /// The poster's (top score − runner-up) / top score.
    pub confidence: f32,
}

/// The relevance at the input of one layer.
#[derive(Serialize, Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct LayerRelevance {
    /// The layer's index in the model (as in `ModelSpec.layers`).
    pub index: usize,
    /// PyTorch's name of its type: `Conv2d`, `Linear`, `ReLU`, `MaxPool2d`, ...
    pub kind: &'static str,
    /// `Conv2d(1→12, 5×5, stride 1, padding 0)`.
    pub layer: String,
    /// The rule it was given, as people read it (`epsilon(0.25)`); null without one.
    pub rule: Option<String>,
    /// The shape of the layer's input, and of `relevance`.
    pub shape: Vec<usize>,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(type = "Float32Array")]
    pub relevance: Float32Array,
    pub sum: f32,
    pub books: Books,
}

/// `explain`'s answer: the decision, the relevance of every input value and of every layer.
#[derive(Serialize, Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    #[serde(flatten)]
    pub classification: Classification,
    pub method: String,
    pub target: usize,
    /// The relevance put on the outputs.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(type = "Float32Array")]
    pub output_relevance: Float32Array,
    /// One value per input value (row-major).
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(type = "Float32Array")]
    pub relevance: Float32Array,
    pub relevance_sum: f32,
    /// From the input up (LRP, gradient and gradient × input; empty for the sampling baselines).
    pub layers: Vec<LayerRelevance>,
}

/// The embedded models: name, input shape and range, classes, layers and model card.
#[wasm_bindgen(unchecked_return_type = "ModelSpec[]")]
pub fn models() -> Result<JsValue, JsError> {
    let specs: Vec<_> = embedded::all()?.iter().map(Model::spec).collect();
    to_js(&specs)
}

/// Every rule, composite and baseline with its parameters (defaults and ranges as they
/// apply to `model`, default `cnn`) and, for LRP, the rule each layer gets.
#[wasm_bindgen(unchecked_return_type = "MethodInfo[]")]
pub fn methods(#[wasm_bindgen(unchecked_param_type = "string")] model: Option<JsValue>) -> Result<JsValue, JsError> {
    to_js(&lrp::catalogue(read_model(model.as_ref())?))
}

/// Classifies one input: `pixels` holds the model's input (784 values in [0, 1] for
/// MNIST: row-major 28×28, white digit on black); `model` names an embedded model.
#[wasm_bindgen(unchecked_return_type = "Classification")]
pub fn classify(
    #[wasm_bindgen(unchecked_param_type = "Float32Array | Float64Array | number[]")] pixels: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] model: Option<JsValue>,
) -> Result<JsValue, JsError> {
    let model = read_model(model.as_ref())?;
    let forward = model.forward(model.batch(&read_pixels(&pixels, model)?)?)?;
    let logits: Vec<f32> = forward.logits().iter().copied().collect();
    to_js(&classification(model, forward.predictions()[0], &logits))
}

/// Explains one input: `pixels` as for `classify`, `method` a name from `methods()`,
/// `params` the model, target, output relevance, per-layer rules and the method's parameters.
#[wasm_bindgen(unchecked_return_type = "Explanation")]
pub fn explain(
    #[wasm_bindgen(unchecked_param_type = "Float32Array | Float64Array | number[]")] pixels: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] method: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ExplainParams")] params: Option<JsValue>,
) -> Result<JsValue, JsError> {
    let name = method.as_string().ok_or_else(|| JsError::new("method: expected a method name such as \"epsilon\""))?;
    let params = read_params(params.as_ref())?;
    let model = embedded::get(params.model.as_deref().unwrap_or(DEFAULT_MODEL))?;
    let input = model.batch(&read_pixels(&pixels, model)?)?;
    let method = lrp::Method::parse(&name, &lrp::Params { values: params.parameters, layers: params.layers.unwrap_or_default() }, model)?;
    let options = lrp::Options {
        target: params.target.unwrap_or_default(),
        output: params.output.unwrap_or_default(),
        zero_bias: params.zero_bias.unwrap_or(false),
    };
    let e = lrp::explain(model, input, &method, &options)?;
    let logits: Vec<f32> = e.logits.iter().copied().collect();
    let layers = e
        .layers
        .iter()
        .map(|layer| LayerRelevance {
            index: layer.index,
            kind: layer.kind,
            layer: layer.description.clone(),
            rule: layer.rule.as_ref().map(ToString::to_string),
            shape: layer.relevance.shape()[1..].to_vec(),
            relevance: floats(&layer.relevance),
            sum: layer.relevance.sum(),
            books: layer.books[0],
        })
        .collect();
    to_js(&Explanation {
        classification: classification(model, e.predictions[0], &logits),
        method: name,
        target: e.targets[0],
        output_relevance: floats(&e.output_relevance),
        relevance: floats(&e.relevance),
        relevance_sum: e.relevance.sum(),
        layers,
    })
}

fn classification(model: &Model, prediction: usize, logits: &[f32]) -> Classification {
    Classification {
        model: model.name().to_string(),
        prediction,
        logits: Float32Array::from(logits),
        probabilities: Float32Array::from(softmax(logits).as_slice()),
        confidence: confidence(logits),
    }
}

/// Plain objects (maps too), `null` for what is absent, typed arrays passed through.
fn to_js(value: &impl Serialize) -> Result<JsValue, JsError> {
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true).serialize_missing_as_null(true);
    Ok(value.serialize(&serializer)?)
}

/// A Float32Array copy of an array, straight from its memory when it is contiguous.
fn floats(values: &ndarray::ArrayD<f32>) -> Float32Array {
    match values.as_slice() {
        Some(slice) => Float32Array::from(slice),
        None => Float32Array::from(values.iter().copied().collect::<Vec<_>>().as_slice()),
    }
}

fn read_model(model: Option<&JsValue>) -> Result<&'static Model, JsError> {
    match model {
        None => Ok(embedded::get(DEFAULT_MODEL)?),
        Some(name) => {
            let name = name.as_string().ok_or_else(|| JsError::new("model: expected a model name such as \"cnn\""))?;
            Ok(embedded::get(&name)?)
        }
    }
}

/// One input: a Float32Array, a Float64Array or an array of numbers, of the model's
/// input length (its values are checked by the core).
fn read_pixels(pixels: &JsValue, model: &Model) -> Result<Vec<f32>, JsError> {
    let expected = model.input_len();
    let length = |n: u32| {
        if n as usize == expected {
            Ok(())
        } else {
            Err(JsError::new(&format!("pixels: expected {expected} values, got {n}")))
        }
    };
    if let Some(typed) = pixels.dyn_ref::<Float32Array>() {
        length(typed.length())?;
        Ok(typed.to_vec())
    } else if let Some(typed) = pixels.dyn_ref::<Float64Array>() {
        length(typed.length())?;
        Ok(typed.to_vec().into_iter().map(|v| v as f32).collect())
    } else if let Some(array) = pixels.dyn_ref::<Array>() {
        length(array.length())?;
        array
            .iter()
            .enumerate()
            .map(|(i, v)| v.as_f64().map(|v| v as f32).ok_or_else(|| JsError::new(&format!("pixels[{i}]: expected a number"))))
            .collect()
    } else {
        Err(JsError::new(&format!("pixels: expected a Float32Array, a Float64Array or an array of {expected} numbers")))
    }
}

#[wasm_bindgen]
extern "C" {
    /// `Object.entries`, with whatever a getter or proxy throws caught.
    #[wasm_bindgen(catch, js_namespace = Object, js_name = entries)]
    fn own_entries(value: &JsValue) -> Result<Array, JsValue>;
}

/// `params` as an [`ExplainParams`]: undefined or null for the defaults, else a plain
/// object with known keys only. Its entries are copied into a fresh object of plain
/// values first, so that reading it runs no code of the caller's (getters, proxies,
/// inherited iterators).
fn read_params(params: Option<&JsValue>) -> Result<ExplainParams, JsError> {
    let Some(params) = params else {
        return Ok(ExplainParams::default());
    };
    let plain = |v: &JsValue| {
        v.is_object() && {
            let prototype = Object::get_prototype_of(v);
            prototype.is_null() || JsValue::from(prototype) == JsValue::from(Object::get_prototype_of(&Object::new()))
        }
    };
    if !plain(params) {
        return Err(JsError::new("params: expected an object such as { model: \"cnn\", epsilon: 0.25 }"));
    }
    let entries = own_entries(params).map_err(|e| JsError::new(&format!("params: could not be read ({})", describe(&e))))?;
    let copy = Object::new();
    for entry in entries.iter() {
        let entry = Array::from(&entry);
        let (key, value) = (entry.get(0).as_string().unwrap_or_default(), entry.get(1));
        let value = if key == "layers" && Array::is_array(&value) {
            let layers = Array::from(&value);
            for (i, rule) in layers.iter().enumerate() {
                if rule.as_string().is_none() {
                    return Err(JsError::new(&format!("params.layers[{i}]: expected a rule name such as \"epsilon\"")));
                }
            }
            layers.slice(0, layers.length()).into()
        } else if value.is_object() || value.is_function() || value.is_symbol() {
            return Err(JsError::new(&match key.as_str() {
                "layers" => "params.layers: expected an array of rule names".to_string(),
                _ => format!("params.{key}: expected a string, a number or a boolean"),
            }));
        } else {
            value
        };
        Reflect::set(&copy, &key.into(), &value).map_err(|_| JsError::new("params: could not be copied"))?;
    }
    let read: ExplainParams = serde_path_to_error::deserialize(serde_wasm_bindgen::Deserializer::from(JsValue::from(copy)))
        .map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            let inner = inner.strip_prefix("Error: ").unwrap_or(&inner);
            JsError::new(&match path.as_str() {
                // Parameter values name themselves ("epsilon: expected a number").
                "." | "?" => format!("params.{inner}"),
                _ => format!("params.{path}: {inner}"),
            })
        })?;
    if let Some(key) = read.unknown.keys().next() {
        let names: Vec<&str> = lrp::params::ALL.iter().map(|p| p.name).collect();
        return Err(JsError::new(&format!(
            "params.{key}: unknown; expected model, target, output, zeroBias, layers or a parameter ({})",
            names.join(", ")
        )));
    }
    Ok(read)
}

/// What a thrown value says about itself.
fn describe(thrown: &JsValue) -> String {
    thrown.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).or_else(|| thrown.as_string()).unwrap_or_else(|| "an exception".into())
}
