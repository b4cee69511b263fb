//! The JavaScript API: a thin layer over the core. Every exported function takes its
//! arguments as `JsValue` and reads them into typed values (serde, with the path of
//! a bad value in the error); the core checks what they mean (pixel ranges, methods,
//! parameters); results go back as plain objects holding typed arrays. Every error
//! becomes a JavaScript `Error` that names the argument, and the module keeps working.
//! The TypeScript definitions in `pkg/lrp.d.ts` are generated from the types here.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Deref;
use std::rc::Rc;

use js_sys::{Array, Float32Array, Float64Array, JsString, Object, Reflect, Uint8Array};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use crate::evaluation::curve::{perturb, scores};
use crate::evaluation::{
    argmax, confidence, evaluate as run_evaluation, raw_confidence, softmax, Curve, Flip, Imputation, Order, Ranking,
    Removal, Schedule, Tally,
};
use crate::lrp::{self, Books, OutputRelevance, ParameterValues, Target};
use crate::model::{MAX_DESCRIPTION_BYTES, MAX_WEIGHTS_BYTES};
use crate::{embedded, Error, Model, ModelSpec};

const DEFAULT_MODEL: &str = "cnn";

#[wasm_bindgen(start)]
fn start() {
    // A panic is a bug; make it readable in the console rather than "unreachable".
    console_error_panic_hook::set_once();
}

/// The options of `explain`: the model, the target, the output relevance, the
/// per-layer rules of `custom`, CRP's conditions, whether to give every layer's
/// relevance, and the method's parameters by name.
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ExplainParams {
    /// A model of `models()`, embedded or loaded; default `cnn`.
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
    /// Concept Relevance Propagation: keep only these channels (neurons) of the
    /// relevance at each named layer's output, e.g. `[{ layer: 3, channels: [5, 7] }]`.
    #[tsify(optional)]
    pub conditions: Option<Vec<lrp::Condition>>,
    /// Also give the relevance at every layer (`layers`); default true. False leaves
    /// `layers` empty, for a caller that shows the heatmap only: building them is about
    /// a fifth of an explanation of the CNN and a third of an MLP's.
    #[tsify(optional)]
    pub per_layer: Option<bool>,
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
    /// The poster's (max − 2nd max) / max of the probabilities, in [0, 1].
    pub confidence: f32,
    /// The same formula on the raw scores, where it is defined (top score positive).
    pub raw_confidence: Option<f32>,
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
    /// The relevance at the layer's input (row-major). A layer that passes relevance on
    /// unchanged (ReLU and Flatten under LRP) shares this array with the layer above.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(type = "Float32Array")]
    pub relevance: Float32Array,
    pub sum: f32,
    pub books: Books,
    /// The relevance at the layer's output, summed per channel (per neuron for a dense
    /// layer): CRP's concept relevance, which ranks the channels that carry the decision.
    /// With one value per channel it is the array of that relevance itself (the layer
    /// above's `relevance`, or `outputRelevance` for the top layer).
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(type = "Float32Array")]
    pub channels: Float32Array,
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
    /// One value per input value (row-major); with `layers`, the array of `layers[0].relevance`.
    /// The answer's relevance arrays are views on one ArrayBuffer.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(type = "Float32Array")]
    pub relevance: Float32Array,
    pub relevance_sum: f32,
    /// From the input up (LRP, gradient and gradient × input; empty for the sampling
    /// baselines, and when `perLayer` is false).
    pub layers: Vec<LayerRelevance>,
}

thread_local! {
    /// The models registered by `loadModel`, in the order they came (the module runs
    /// on one thread; a worker has its own).
    static LOADED: RefCell<Vec<Rc<Model>>> = const { RefCell::new(Vec::new()) };
}

/// An embedded model or one registered by `loadModel`.
enum ModelRef {
    Embedded(&'static Model),
    Loaded(Rc<Model>),
}

impl Deref for ModelRef {
    type Target = Model;
    fn deref(&self) -> &Model {
        match self {
            ModelRef::Embedded(model) => model,
            ModelRef::Loaded(model) => model,
        }
    }
}

/// The model called `name`, embedded or loaded.
fn find_model(name: &str) -> Result<ModelRef, JsError> {
    if embedded::names().contains(&name) {
        return Ok(ModelRef::Embedded(embedded::get(name)?));
    }
    LOADED.with_borrow(|loaded| {
        if let Some(model) = loaded.iter().find(|m| m.name() == name) {
            return Ok(ModelRef::Loaded(model.clone()));
        }
        let available: Vec<&str> = embedded::names().into_iter().chain(loaded.iter().map(|m| m.name())).collect();
        Err(Error::UnknownModel { name: name.to_string(), available: available.join(", ") }.into())
    })
}

/// Every model: the embedded ones, then those loaded by `loadModel`; each with its
/// name, input shape and range, classes, data set, layers and model card.
#[wasm_bindgen(unchecked_return_type = "ModelSpec[]")]
pub fn models() -> Result<JsValue, JsError> {
    let mut specs: Vec<ModelSpec> = embedded::all()?.iter().map(|m| m.spec().clone()).collect();
    LOADED.with_borrow(|loaded| specs.extend(loaded.iter().map(|m| m.spec().clone())));
    to_js(&specs)
}

/// Registers a model of your own (written by `export/lrp_export.py`) for `classify`,
/// `explain`, `methods`, `removal` and `evaluate`, under the name in its description:
/// `description` is the JSON text, `weights` the safetensors bytes (at most 1 MiB
/// and 64 MiB). Every name, shape, dtype and value is checked; a bad file is an error
/// and changes nothing. A model loaded again under the same name replaces the
/// earlier one; the embedded models' names are taken. Returns its description.
#[wasm_bindgen(js_name = loadModel, unchecked_return_type = "ModelSpec")]
pub fn load_model(
    #[wasm_bindgen(unchecked_param_type = "string")] description: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] weights: JsValue,
) -> Result<JsValue, JsError> {
    let text = description
        .dyn_ref::<JsString>()
        .ok_or_else(|| JsError::new("description: expected the JSON text of the model description"))?;
    // UTF-16 units: a JSON text of n units has at least n / 2 … n bytes; refuse before copying.
    if text.length() as usize > MAX_DESCRIPTION_BYTES {
        return Err(JsError::new(&format!(
            "description: {} characters, more than the {MAX_DESCRIPTION_BYTES} bytes a description may have",
            text.length()
        )));
    }
    let weights = weights
        .dyn_ref::<Uint8Array>()
        .ok_or_else(|| JsError::new("weights: expected a Uint8Array of the safetensors file"))?;
    if weights.length() as usize > MAX_WEIGHTS_BYTES {
        return Err(JsError::new(&format!(
            "weights: {} bytes, more than the {MAX_WEIGHTS_BYTES} a weights file may have",
            weights.length()
        )));
    }
    let model = Model::from_bytes(&String::from(text), &weights.to_vec())?;
    if embedded::names().contains(&model.name()) {
        return Err(JsError::new(&format!(
            "model description is not valid: name `{}` is an embedded model's; give yours another",
            model.name()
        )));
    }
    let spec = to_js(model.spec())?;
    LOADED.with_borrow_mut(|loaded| {
        loaded.retain(|m| m.name() != model.name());
        loaded.push(Rc::new(model));
    });
    Ok(spec)
}

/// Forgets a model registered by `loadModel`; returns whether there was one of that name.
#[wasm_bindgen(js_name = unloadModel)]
pub fn unload_model(#[wasm_bindgen(unchecked_param_type = "string")] name: JsValue) -> Result<bool, JsError> {
    let name = name.as_string().ok_or_else(|| JsError::new("name: expected a model name"))?;
    Ok(LOADED.with_borrow_mut(|loaded| {
        let before = loaded.len();
        loaded.retain(|m| m.name() != name);
        loaded.len() < before
    }))
}

/// Every rule, composite and baseline with its parameters (defaults and ranges as they
/// apply to `model`, default `cnn`) and, for LRP, the rule each layer gets.
#[wasm_bindgen(unchecked_return_type = "MethodInfo[]")]
pub fn methods(#[wasm_bindgen(unchecked_param_type = "string")] model: Option<JsValue>) -> Result<JsValue, JsError> {
    to_js(&lrp::catalogue(&*read_model(model.as_ref())?))
}

/// Classifies one input: `pixels` holds the model's input (784 values in [0, 1] for
/// MNIST: row-major 28×28, white digit on black); `model` names an embedded model.
#[wasm_bindgen(unchecked_return_type = "Classification")]
pub fn classify(
    #[wasm_bindgen(unchecked_param_type = "Float32Array | Float64Array | number[]")] pixels: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] model: Option<JsValue>,
) -> Result<JsValue, JsError> {
    let model = read_model(model.as_ref())?;
    let model: &Model = &model;
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
    let model = find_model(params.model.as_deref().unwrap_or(DEFAULT_MODEL))?;
    let model: &Model = &model;
    let input = model.batch(&read_pixels(&pixels, model)?)?;
    let method = lrp::Method::parse(
        &name,
        &lrp::Params { values: params.parameters, layers: params.layers.unwrap_or_default() },
        model,
    )?;
    let options = lrp::Options {
        target: params.target.unwrap_or_default(),
        output: params.output.unwrap_or_default(),
        zero_bias: params.zero_bias.unwrap_or(false),
    };
    let e = lrp::explain_conditioned(model, input, &method, &options, &params.conditions.unwrap_or_default())?;
    let logits: Vec<f32> = e.logits.iter().copied().collect();
    let per_layer = if params.per_layer.unwrap_or(true) { &e.layers[..] } else { &[] };
    // From the top down, each layer's arrays are the layer above's where the values are
    // the same (copying and allocating them was most of what the layers add to an
    // explanation): the relevance of a ReLU or a Flatten under LRP is the one above's,
    // and the channel sums of a dense layer's output (one value per channel) are the
    // relevance at its output. The rest go into one pack: one ArrayBuffer for the answer.
    let mut pack = Pack::default();
    let output_relevance = pack.push(&e.output_relevance);
    // Each layer's (relevance's slot, its sum, channel sums' slot), from the top.
    let mut slots: Vec<(usize, f32, usize)> = Vec::with_capacity(per_layer.len());
    // The relevance at the input of the layer above (the output relevance, for the top
    // layer), its slot and its sum; and that layer's output and the slot of its channel sums.
    let mut above = (&e.output_relevance, output_relevance, e.output_relevance.sum());
    let mut above_channels: Option<(&ndarray::ArrayD<f32>, usize)> = None;
    for layer in per_layer.iter().rev() {
        let output = above.0;
        let channels = match above_channels {
            _ if output.len() == output.shape().get(1).copied().unwrap_or(1) => above.1,
            Some((values, slot)) if values.shape() == output.shape() && same_values(values, output) => slot,
            // One input: its channel sums are the one row of `channel_sums`.
            _ => pack.push(&lrp::channel_sums(output).into_dyn()),
        };
        above_channels = Some((output, channels));
        let (relevance, sum) = if same_values(above.0, &layer.relevance) {
            (above.1, above.2)
        } else {
            (pack.push(&layer.relevance), layer.relevance.sum())
        };
        above = (&layer.relevance, relevance, sum);
        slots.push((relevance, sum, channels));
    }
    // The explanation is layer 0's relevance.
    let (relevance, relevance_sum) = if same_values(above.0, &e.relevance) {
        (above.1, above.2)
    } else {
        (pack.push(&e.relevance), e.relevance.sum())
    };
    let arrays = pack.finish();
    let layers = per_layer
        .iter()
        .zip(slots.iter().rev())
        .map(|(layer, &(relevance, sum, channels))| LayerRelevance {
            index: layer.index,
            kind: layer.kind,
            layer: layer.description.clone(),
            rule: layer.rule.as_ref().map(ToString::to_string),
            shape: layer.relevance.shape()[1..].to_vec(),
            relevance: arrays[relevance].clone(),
            sum,
            books: layer.books[0],
            channels: arrays[channels].clone(),
        })
        .collect();
    to_js(&Explanation {
        classification: classification(model, e.predictions[0], &logits),
        method: name,
        target: e.targets[0],
        output_relevance: arrays[output_relevance].clone(),
        relevance: arrays[relevance].clone(),
        relevance_sum,
        layers,
    })
}

/// The arrays of one answer, copied to JavaScript as one: each is a view on a single
/// ArrayBuffer. A fresh ArrayBuffer costs Chromium about as much as the memory it takes
/// (about 60 µs for the CNN's eleven arrays one by one, against 37 for one of them all
/// and eleven views), and a worker hands the whole answer on as one transfer.
#[derive(Default)]
struct Pack {
    values: Vec<f32>,
    ranges: Vec<(u32, u32)>,
}

impl Pack {
    /// Adds a copy of `array` (row-major); returns its slot.
    fn push(&mut self, array: &ndarray::ArrayD<f32>) -> usize {
        let start = self.values.len() as u32;
        match array.as_slice() {
            Some(slice) => self.values.extend_from_slice(slice),
            None => self.values.extend(array.iter()),
        }
        self.ranges.push((start, self.values.len() as u32));
        self.ranges.len() - 1
    }

    /// One array per slot, in the order they were pushed.
    fn finish(self) -> Vec<Float32Array> {
        let all = Float32Array::from(self.values.as_slice());
        self.ranges.into_iter().map(|(start, end)| all.subarray(start, end)).collect()
    }
}

/// The options of `removal` and `evaluate`: what replaces a removed pixel, how many
/// go per step, and the seed of the random order, the tie-breaking and the noise.
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemovalSettings {
    /// `zero` (default), `road` or `blur`.
    #[tsify(optional)]
    pub removal: Option<Imputation>,
    /// Steps of removal (default 20).
    #[tsify(optional)]
    pub steps: Option<usize>,
    /// Pixels removed per step (default 10).
    #[tsify(optional)]
    pub step_pixels: Option<usize>,
    #[tsify(optional)]
    pub seed: Option<u64>,
}

impl RemovalSettings {
    fn removal(&self) -> Removal {
        let defaults = Schedule::default();
        Removal {
            imputation: self.removal.unwrap_or_default(),
            schedule: Schedule {
                steps: self.steps.unwrap_or(defaults.steps),
                step_pixels: self.step_pixels.unwrap_or(defaults.step_pixels),
            },
            seed: self.seed.unwrap_or(0),
        }
    }
}

/// The options of `removal`.
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemovalParams {
    /// A model of `models()`; default `cnn`.
    #[tsify(optional)]
    pub model: Option<String>,
    /// The class whose answer is followed; default `"predicted"`.
    #[tsify(optional, type = "\"predicted\" | number")]
    pub target: Option<Target>,
    /// `morf` (default), `lerf` or `random`.
    #[tsify(optional)]
    pub order: Option<Order>,
    /// The input's place in its data set (the random streams depend on it); default 0.
    #[tsify(optional)]
    pub index: Option<u64>,
    /// Also return the input after each step.
    #[tsify(optional)]
    pub images: Option<bool>,
    #[serde(flatten)]
    pub settings: RemovalSettings,
}

/// One input's answer as its pixels are removed.
#[derive(Serialize, Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct RemovalCurve {
    #[serde(flatten)]
    pub curve: Curve,
    pub target: usize,
    /// Where the prediction first changes, if it does.
    pub flip: Option<Flip>,
    /// AOPC of this curve, on the target's probability.
    pub aopc: f32,
    /// The mean probability over the steps (the area behind AOPC and the relevance gain).
    pub area: f32,
    /// All classes' probabilities after each step, one row of `classes` per step.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(type = "Float32Array")]
    pub probabilities: Float32Array,
    /// The input after each step (if asked for), one after another.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(type = "Float32Array | null")]
    pub images: JsValue,
}

/// Removes the pixels of one input step by step, in the order `relevance` (one value
/// per input value, e.g. `explain(...).relevance`) ranks them, and follows the
/// model's answer: the poster's feature removal for one digit.
#[wasm_bindgen(unchecked_return_type = "RemovalCurve")]
pub fn removal(
    #[wasm_bindgen(unchecked_param_type = "Float32Array | Float64Array | number[]")] pixels: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Float32Array | Float64Array | number[]")] relevance: JsValue,
    #[wasm_bindgen(unchecked_param_type = "RemovalParams")] params: Option<JsValue>,
) -> Result<JsValue, JsError> {
    let params: RemovalParams =
        read_options(params.as_ref(), "params", "{ model: \"cnn\", order: \"morf\", removal: \"road\" }")?;
    let model = find_model(params.model.as_deref().unwrap_or(DEFAULT_MODEL))?;
    let model: &Model = &model;
    let input = read_pixels(&pixels, model)?;
    model.check_values(&input)?;
    let relevance = read_values(&relevance, model, "relevance")?;
    if let Some(i) = relevance.iter().position(|v| !v.is_finite()) {
        return Err(JsError::new(&format!("relevance[{i}]: expected a finite number, got {}", relevance[i])));
    }
    let classes = model.classes().len();
    let logits = model.scores(model.batch(&input)?)?;
    let target = match params.target.unwrap_or_default() {
        Target::Predicted => argmax(logits.iter()),
        Target::Class(c) if c < classes => c,
        Target::Class(c) => {
            return Err(JsError::new(&format!("params.target: expected a class from 0 to {}, got {c}", classes - 1)))
        }
    };
    let mut images = vec![];
    let removed = perturb(
        model,
        &input,
        &relevance,
        params.order.unwrap_or(Order::Morf),
        &params.settings.removal(),
        params.index.unwrap_or(0),
        &mut images,
    )?;
    let scores = scores(model, images.clone())?;
    let curve = Curve::from_scores(&removed, &scores, classes, target);
    let probabilities: Vec<f32> = scores.chunks_exact(classes).flat_map(softmax).collect();
    to_js(&RemovalCurve {
        target,
        flip: curve.flip(),
        aopc: curve.aopc(),
        area: curve.area(),
        curve,
        probabilities: Float32Array::from(probabilities.as_slice()),
        images: if params.images.unwrap_or(false) {
            Float32Array::from(images.as_slice()).into()
        } else {
            JsValue::NULL
        },
    })
}

/// Options of `evaluate` beyond the method's own parameters.
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EvaluationSettings {
    /// The first input's place in its data set (default 0): the random streams depend
    /// on it, so that slices evaluated apart add up to the evaluation of the whole.
    #[tsify(optional)]
    pub first_index: Option<u64>,
    #[serde(flatten)]
    pub removal: RemovalSettings,
}

/// The poster's evaluation of `method` (or `"random"`, the random order) on a batch:
/// `pixels` holds the inputs one after another, `labels` one class per input (or
/// null); `params` are as for `explain` (the predicted class is explained, from its
/// score). Returns a tally to add to others with `report`.
#[wasm_bindgen(unchecked_return_type = "Tally")]
pub fn evaluate(
    #[wasm_bindgen(unchecked_param_type = "Float32Array")] pixels: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | null")] labels: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] method: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ExplainParams")] params: Option<JsValue>,
    #[wasm_bindgen(unchecked_param_type = "EvaluationSettings")] settings: Option<JsValue>,
) -> Result<JsValue, JsError> {
    let name = method
        .as_string()
        .ok_or_else(|| JsError::new("method: expected a method name such as \"epsilon\", or \"random\""))?;
    let params = read_params(params.as_ref())?;
    if params.target.is_some()
        || params.output.is_some()
        || params.zero_bias.is_some()
        || params.conditions.is_some()
        || params.per_layer.is_some()
    {
        return Err(JsError::new(
            "params: evaluate explains the predicted class from its score; target, output, zeroBias, conditions and perLayer are not taken",
        ));
    }
    let settings: EvaluationSettings = read_options(settings.as_ref(), "settings", "{ removal: \"road\", steps: 20 }")?;
    let model = find_model(params.model.as_deref().unwrap_or(DEFAULT_MODEL))?;
    let model: &Model = &model;
    let pixels = pixels
        .dyn_ref::<Float32Array>()
        .ok_or_else(|| JsError::new("pixels: expected a Float32Array of whole inputs"))?
        .to_vec();
    let labels = if labels.is_null() || labels.is_undefined() {
        None
    } else {
        Some(
            labels
                .dyn_ref::<Uint8Array>()
                .ok_or_else(|| JsError::new("labels: expected a Uint8Array or null"))?
                .to_vec(),
        )
    };
    let ranking = if name == "random" {
        Ranking::Random
    } else {
        let layers = params.layers.unwrap_or_default();
        Ranking::Method {
            method: lrp::Method::parse(&name, &lrp::Params { values: params.parameters, layers }, model)?,
            name,
        }
    };
    let removal = settings.removal.removal();
    let (tally, _) = run_evaluation(
        model,
        &ranking,
        &pixels,
        labels.as_deref(),
        &removal,
        settings.first_index.unwrap_or(0),
        false,
    )?;
    to_js(&tally)
}

/// Options of `report`.
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportSettings {
    /// Pixels removed when the table is read (default 50; a step of the schedule).
    #[tsify(optional)]
    pub k: Option<usize>,
}

/// Adds up tallies of one model × method × removal (from `evaluate`, on different
/// inputs) and reads the figures off them: mean curves, the poster's table by split,
/// AOPC and the symmetric relevance gain, and the class-mean relevance maps.
#[wasm_bindgen(unchecked_return_type = "Report & { classMeans: Float32Array[] }")]
pub fn report(
    #[wasm_bindgen(unchecked_param_type = "Tally[]")] tallies: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ReportSettings")] settings: Option<JsValue>,
) -> Result<JsValue, JsError> {
    let settings: ReportSettings = read_options(settings.as_ref(), "settings", "{ k: 50 }")?;
    let list: Vec<Tally> =
        serde_path_to_error::deserialize(serde_wasm_bindgen::Deserializer::from(tallies)).map_err(|e| {
            let path = e.path().to_string();
            let path = match path.as_str() {
                "." => String::new(),
                p if p.starts_with('[') => p.to_string(),
                p => format!(".{p}"),
            };
            let inner = e.into_inner().to_string();
            JsError::new(&format!("tallies{path}: {}", inner.strip_prefix("Error: ").unwrap_or(&inner)))
        })?;
    let (first, rest) =
        list.split_first().ok_or_else(|| JsError::new("tallies: expected at least one tally from evaluate()"))?;
    let mut total = first.clone();
    total.check()?;
    for t in rest {
        total.merge(t)?;
    }
    let k = settings.k.unwrap_or(50);
    if k % total.schedule.step_pixels != 0 || k / total.schedule.step_pixels > total.steps() {
        return Err(JsError::new(&format!(
            "settings.k: expected a multiple of {} up to {}",
            total.schedule.step_pixels,
            total.removed.last().copied().unwrap_or(0)
        )));
    }
    let report = to_js(&total.report(k / total.schedule.step_pixels)?)?;
    let means = Array::new();
    for m in total.class_means() {
        means.push(&Float32Array::from(m.as_slice()));
    }
    Reflect::set(&report, &"classMeans".into(), &means).map_err(|_| JsError::new("report: could not be built"))?;
    Ok(report)
}

fn classification(model: &Model, prediction: usize, logits: &[f32]) -> Classification {
    let probabilities = softmax(logits);
    Classification {
        model: model.name().to_string(),
        prediction,
        logits: Float32Array::from(logits),
        probabilities: Float32Array::from(probabilities.as_slice()),
        confidence: confidence(&probabilities),
        raw_confidence: raw_confidence(logits),
    }
}

/// Plain objects (maps too), `null` for what is absent, typed arrays passed through.
fn to_js(value: &impl Serialize) -> Result<JsValue, JsError> {
    let serializer =
        serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true).serialize_missing_as_null(true);
    Ok(value.serialize(&serializer)?)
}

/// Whether two arrays hold the same values in the same order, bit for bit (their shapes aside).
fn same_values(a: &ndarray::ArrayD<f32>, b: &ndarray::ArrayD<f32>) -> bool {
    // Sixteen values at a time without a branch (vectorised), stopping at the first difference.
    let differ = |x: &[f32], y: &[f32]| x.iter().zip(y).fold(0, |d, (p, q)| d | (p.to_bits() ^ q.to_bits())) != 0;
    a.len() == b.len()
        && match (a.as_slice(), b.as_slice()) {
            (Some(a), Some(b)) => !a.chunks(16).zip(b.chunks(16)).any(|(x, y)| differ(x, y)),
            _ => a.iter().zip(b.iter()).all(|(x, y)| x.to_bits() == y.to_bits()),
        }
}

fn read_model(model: Option<&JsValue>) -> Result<ModelRef, JsError> {
    match model {
        None => find_model(DEFAULT_MODEL),
        Some(name) => {
            let name = name.as_string().ok_or_else(|| JsError::new("model: expected a model name such as \"cnn\""))?;
            find_model(&name)
        }
    }
}

/// One input: a Float32Array, a Float64Array or an array of numbers, of the model's
/// input length (its values are checked by the core).
fn read_pixels(pixels: &JsValue, model: &Model) -> Result<Vec<f32>, JsError> {
    read_values(pixels, model, "pixels")
}

/// As [`read_pixels`], for any array of the input's length called `name`.
fn read_values(pixels: &JsValue, model: &Model, name: &str) -> Result<Vec<f32>, JsError> {
    let expected = model.input_len();
    let length = |n: u32| {
        if n as usize == expected {
            Ok(())
        } else {
            Err(JsError::new(&format!("{name}: expected {expected} values, got {n}")))
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
            .map(|(i, v)| {
                v.as_f64().map(|v| v as f32).ok_or_else(|| JsError::new(&format!("{name}[{i}]: expected a number")))
            })
            .collect()
    } else {
        Err(JsError::new(&format!("{name}: expected a Float32Array, a Float64Array or an array of {expected} numbers")))
    }
}

#[wasm_bindgen]
extern "C" {
    /// `Object.entries`, with whatever a getter or proxy throws caught.
    #[wasm_bindgen(catch, js_namespace = Object, js_name = entries)]
    fn own_entries(value: &JsValue) -> Result<Array, JsValue>;
}

/// `params` as an [`ExplainParams`]: undefined or null for the defaults, else a plain
/// object with known keys only.
fn read_params(params: Option<&JsValue>) -> Result<ExplainParams, JsError> {
    let read: ExplainParams = read_options(params, "params", "{ model: \"cnn\", epsilon: 0.25 }")?;
    if let Some(key) = read.unknown.keys().next() {
        let names: Vec<&str> = lrp::params::ALL.iter().map(|p| p.name).collect();
        return Err(JsError::new(&format!(
            "params.{key}: unknown; expected model, target, output, zeroBias, layers, conditions, perLayer or a parameter ({})",
            names.join(", ")
        )));
    }
    Ok(read)
}

/// An options object (`name` in messages): undefined or null for the defaults, else a
/// plain object of strings, numbers and booleans (and, for `layers`, an array of
/// strings). Its entries are copied into a fresh object of plain values first, so that
/// reading it runs no code of the caller's (getters, proxies, inherited iterators);
/// serde then reads it, naming the key of a bad value.
/// A copy of `params.conditions` holding only plain values: an array of
/// `{ layer: number, channels: number[] }` (nothing of the caller's runs while it is read).
fn copy_conditions(list: &Array, name: &str) -> Result<JsValue, JsError> {
    let copy = Array::new();
    for (i, condition) in list.iter().enumerate() {
        let at = format!("{name}.conditions[{i}]");
        let fail = || JsError::new(&format!("{at}: expected {{ layer: 3, channels: [5, 7] }}"));
        if !condition.is_object() || Array::is_array(&condition) {
            return Err(fail());
        }
        let entries = own_entries(&condition).map_err(|_| fail())?;
        let plain = Object::new();
        for entry in entries.iter() {
            let entry = Array::from(&entry);
            let (key, value) = (entry.get(0).as_string().unwrap_or_default(), entry.get(1));
            let value = if Array::is_array(&value) {
                let channels = Array::from(&value);
                if let Some(j) = channels.iter().position(|c| c.as_f64().is_none()) {
                    return Err(JsError::new(&format!("{at}.{key}[{j}]: expected a channel number")));
                }
                channels.slice(0, channels.length()).into()
            } else if value.is_object() || value.is_function() || value.is_symbol() {
                return Err(fail());
            } else {
                value
            };
            Reflect::set(&plain, &key.into(), &value).map_err(|_| fail())?;
        }
        copy.push(&plain);
    }
    Ok(copy.into())
}

fn read_options<T: serde::de::DeserializeOwned + Default>(
    options: Option<&JsValue>,
    name: &str,
    example: &str,
) -> Result<T, JsError> {
    let Some(options) = options.filter(|o| !o.is_undefined() && !o.is_null()) else {
        return Ok(T::default());
    };
    let plain = |v: &JsValue| {
        v.is_object() && {
            let prototype = Object::get_prototype_of(v);
            prototype.is_null() || JsValue::from(prototype) == JsValue::from(Object::get_prototype_of(&Object::new()))
        }
    };
    if !plain(options) {
        return Err(JsError::new(&format!("{name}: expected an object such as {example}")));
    }
    let entries =
        own_entries(options).map_err(|e| JsError::new(&format!("{name}: could not be read ({})", describe(&e))))?;
    let copy = Object::new();
    for entry in entries.iter() {
        let entry = Array::from(&entry);
        let (key, value) = (entry.get(0).as_string().unwrap_or_default(), entry.get(1));
        let value = if key == "layers" && Array::is_array(&value) {
            let layers = Array::from(&value);
            for (i, rule) in layers.iter().enumerate() {
                if rule.as_string().is_none() {
                    return Err(JsError::new(&format!("{name}.layers[{i}]: expected a rule name such as \"epsilon\"")));
                }
            }
            layers.slice(0, layers.length()).into()
        } else if key == "conditions" && Array::is_array(&value) {
            copy_conditions(&Array::from(&value), name)?
        } else if value.is_object() || value.is_function() || value.is_symbol() {
            return Err(JsError::new(&match key.as_str() {
                "layers" => format!("{name}.layers: expected an array of rule names"),
                _ => format!("{name}.{key}: expected a string, a number or a boolean"),
            }));
        } else {
            value
        };
        Reflect::set(&copy, &key.into(), &value).map_err(|_| JsError::new(&format!("{name}: could not be copied")))?;
    }
    serde_path_to_error::deserialize(serde_wasm_bindgen::Deserializer::from(JsValue::from(copy))).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let inner = inner.strip_prefix("Error: ").unwrap_or(&inner);
        JsError::new(&match path.as_str() {
            _ if inner.starts_with("unknown field") => format!("{name}: {inner}"),
            // Parameter values name themselves ("epsilon: expected a number").
            "." | "?" => format!("{name}.{inner}"),
            _ => format!("{name}.{path}: {inner}"),
        })
    })
}

/// What a thrown value says about itself.
fn describe(thrown: &JsValue) -> String {
    thrown
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| thrown.as_string())
        .unwrap_or_else(|| "an exception".into())
}
