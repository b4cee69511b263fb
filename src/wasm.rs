//! The JavaScript API: a thin layer that converts arguments, calls the core and
//! turns every core error into a JavaScript `Error` naming the argument. Nothing
//! here computes; typed arrays go in and out.

use js_sys::{Array, Float32Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::evaluation::{confidence, softmax};
use crate::lrp::{self, method::METHODS, Options, Params, Target};
use crate::{embedded, Model};

const DEFAULT_MODEL: &str = "cnn";

#[wasm_bindgen(start)]
fn start() {
    // A panic would be a bug; make it readable in the console rather than "unreachable".
    console_error_panic_hook::set_once();
}

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** An embedded model: its layers (PyTorch names and arguments) and its card. */
export interface ModelInfo {
  name: string;
  input_shape: number[];
  input_range: [number, number];
  classes: string[];
  layers: Array<{ type: string; [argument: string]: unknown }>;
  card: { parameters: number; test_correct: number; test_total: number; test_accuracy: number; training: Record<string, unknown> };
}
/** A rule, composite or baseline, with its parameters. */
export interface MethodInfo {
  name: string;
  kind: "rule" | "composite" | "baseline";
  about: string;
  params: Array<{ name: string; default: number; min: number; max: number; integer: boolean; about: string }>;
}
/** Options of `explain`: the model, the target, the output relevance, per-layer rules, and the rule's parameters by name. */
export interface ExplainParams {
  model?: string;
  target?: "predicted" | number;
  output?: "score" | "one-hot";
  zeroBias?: boolean;
  layers?: string[];
  [parameter: string]: unknown;
}
export interface Books { entering: number; leaving: number; bias: number; stabilizer: number }
export interface LayerRelevance {
  layer: string;
  rule: string | null;
  shape: number[];
  relevance: Float32Array;
  sum: number;
  books: Books;
}
export interface Classification {
  model: string;
  prediction: number;
  logits: Float32Array;
  probabilities: Float32Array;
  confidence: number;
}
export interface Explanation extends Classification {
  method: string;
  target: number;
  outputRelevance: Float32Array;
  relevance: Float32Array;
  relevanceSum: number;
  layers: LayerRelevance[];
}
"#;

/// The embedded models: name, input shape, classes, layers and model card.
#[wasm_bindgen(unchecked_return_type = "ModelInfo[]")]
pub fn models() -> Result<JsValue, JsError> {
    let specs: Vec<_> = embedded::all()?.iter().map(Model::spec).collect();
    Ok(serde_wasm_bindgen::to_value(&specs)?)
}

/// Every rule, composite and baseline with its parameters, ranges and defaults.
#[wasm_bindgen(unchecked_return_type = "MethodInfo[]")]
pub fn methods() -> Result<JsValue, JsError> {
    Ok(serde_wasm_bindgen::to_value(METHODS)?)
}

/// Classifies one image: `pixels` holds 784 values in [0, 1] (row-major 28×28,
/// white digit on black); `model` names an embedded model (default `cnn`).
#[wasm_bindgen(unchecked_return_type = "Classification")]
pub fn classify(
    #[wasm_bindgen(unchecked_param_type = "Float32Array | number[]")] pixels: JsValue,
    model: Option<String>,
) -> Result<JsValue, JsError> {
    let model = embedded::get(model.as_deref().unwrap_or(DEFAULT_MODEL))?;
    let forward = model.forward(model.batch(&read_pixels(&pixels, model)?)?)?;
    let logits: Vec<f32> = forward.logits().iter().copied().collect();
    let result = Object::new();
    set(&result, "model", model.name().into());
    scores(&result, forward.predictions()[0], &logits);
    Ok(result.into())
}

/// Explains one image: `pixels` as for `classify`, `rule` a name from `methods()`,
/// `params` the model, target, output relevance, per-layer rules and the rule's parameters.
#[wasm_bindgen(unchecked_return_type = "Explanation")]
pub fn explain(
    #[wasm_bindgen(unchecked_param_type = "Float32Array | number[]")] pixels: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] rule: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ExplainParams")] params: JsValue,
) -> Result<JsValue, JsError> {
    let rule = rule.as_string().ok_or_else(|| JsError::new("rule: expected a method name such as \"epsilon\""))?;
    let (model, params, options) = read_params(&params)?;
    let model = embedded::get(&model)?;
    let input = model.batch(&read_pixels(&pixels, model)?)?;
    let method = lrp::Method::parse(&rule, &params, model.spec().input_range)?;
    let explanation = lrp::explain(model, input, &method, &options)?;

    let result = Object::new();
    set(&result, "model", model.name().into());
    set(&result, "method", rule.into());
    let logits: Vec<f32> = explanation.logits.iter().copied().collect();
    scores(&result, explanation.predictions[0], &logits);
    set(&result, "target", explanation.targets[0].into());
    set(&result, "outputRelevance", floats(&explanation.output_relevance));
    set(&result, "relevance", floats(&explanation.relevance));
    set(&result, "relevanceSum", explanation.relevance.sum().into());
    let layers = Array::new();
    for layer in &explanation.layers {
        let entry = Object::new();
        set(&entry, "layer", layer.layer.as_str().into());
        set(&entry, "rule", layer.rule.as_deref().map_or(JsValue::NULL, JsValue::from));
        set(&entry, "shape", layer.relevance.shape()[1..].iter().map(|&d| JsValue::from(d)).collect::<Array>().into());
        set(&entry, "relevance", floats(&layer.relevance));
        set(&entry, "sum", layer.relevance.sum().into());
        set(&entry, "books", serde_wasm_bindgen::to_value(&layer.books[0])?);
        layers.push(&entry);
    }
    set(&result, "layers", layers.into());
    Ok(result.into())
}

fn scores(result: &Object, prediction: usize, logits: &[f32]) {
    set(result, "prediction", prediction.into());
    set(result, "logits", Float32Array::from(logits).into());
    set(result, "probabilities", Float32Array::from(softmax(logits).as_slice()).into());
    set(result, "confidence", confidence(logits).into());
}

fn set(object: &Object, key: &str, value: JsValue) {
    Reflect::set(object, &key.into(), &value).expect("setting a property of a plain object");
}

/// A Float32Array copy of an array, straight from its memory when it is contiguous.
fn floats(values: &ndarray::ArrayD<f32>) -> JsValue {
    match values.as_slice() {
        Some(slice) => Float32Array::from(slice).into(),
        None => Float32Array::from(values.iter().copied().collect::<Vec<_>>().as_slice()).into(),
    }
}

/// A Float32Array or an array of numbers, of the model's input length, in its input range.
fn read_pixels(pixels: &JsValue, model: &Model) -> Result<Vec<f32>, JsError> {
    let expected = model.input_len();
    let values: Vec<f32> = if let Some(typed) = pixels.dyn_ref::<Float32Array>() {
        typed.to_vec()
    } else if Array::is_array(pixels) {
        Array::from(pixels)
            .iter()
            .enumerate()
            .map(|(i, v)| v.as_f64().map(|v| v as f32).ok_or_else(|| JsError::new(&format!("pixels[{i}]: expected a number"))))
            .collect::<Result<_, _>>()?
    } else {
        return Err(JsError::new(&format!("pixels: expected a Float32Array or an array of {expected} numbers")));
    };
    if values.len() != expected {
        return Err(JsError::new(&format!("pixels: expected {expected} values, got {}", values.len())));
    }
    let [low, high] = model.spec().input_range;
    if let Some(i) = values.iter().position(|v| !(low..=high).contains(v)) {
        return Err(JsError::new(&format!("pixels[{i}]: expected a number from {low} to {high}, got {}", values[i])));
    }
    Ok(values)
}

/// Splits `params` into the model name, the method's parameters and the options.
fn read_params(params: &JsValue) -> Result<(String, Params, Options), JsError> {
    let mut model = DEFAULT_MODEL.to_string();
    let mut method = Params::default();
    let mut options = Options::default();
    if params.is_undefined() || params.is_null() {
        return Ok((model, method, options));
    }
    if !params.is_object() || Array::is_array(params) {
        return Err(JsError::new("params: expected an object such as { model: \"cnn\", epsilon: 0.25 }"));
    }
    for entry in Object::entries(params.unchecked_ref()).iter() {
        let entry = Array::from(&entry);
        let key = entry.get(0).as_string().unwrap_or_default();
        let value = entry.get(1);
        let fail = |expected: &str| JsError::new(&format!("params.{key}: expected {expected}"));
        match key.as_str() {
            "model" => model = value.as_string().ok_or_else(|| fail("a model name"))?,
            "target" => {
                options.target = match (value.as_string(), value.as_f64()) {
                    (Some(s), _) => s.parse()?,
                    (_, Some(n)) if n >= 0.0 && n.fract() == 0.0 => Target::Class(n as usize),
                    _ => return Err(fail("\"predicted\" or a class index")),
                }
            }
            "output" => options.output = value.as_string().ok_or_else(|| fail("\"score\" or \"one-hot\""))?.parse()?,
            "zeroBias" => options.zero_bias = value.as_bool().ok_or_else(|| fail("true or false"))?,
            "layers" if Array::is_array(&value) => {
                method.layers = Array::from(&value)
                    .iter()
                    .map(|v| v.as_string().ok_or_else(|| fail("an array of rule names")))
                    .collect::<Result<_, _>>()?
            }
            "layers" => return Err(fail("an array of rule names")),
            _ => {
                let number = value.as_f64().ok_or_else(|| fail("a number"))?;
                method.numbers.insert(key, number);
            }
        }
    }
    Ok((model, method, options))
}
