//! The JavaScript API: a thin layer that converts arguments, calls the core and
//! turns every core error into a JavaScript `Error`. Nothing here computes.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::{embedded, Model};

const DEFAULT_MODEL: &str = "cnn";

#[wasm_bindgen(start)]
fn start() {
    // A panic would be a bug; make it readable in the console rather than "unreachable".
    console_error_panic_hook::set_once();
}

/// The embedded models: name, input shape, classes, layers and model card.
#[wasm_bindgen]
pub fn models() -> Result<JsValue, JsError> {
    let specs: Vec<_> = embedded::all()?.iter().map(Model::spec).collect();
    Ok(serde_wasm_bindgen::to_value(&specs)?)
}

#[derive(Serialize)]
struct Classification {
    model: String,
    prediction: usize,
    logits: Vec<f32>,
    probabilities: Vec<f32>,
}

/// Classifies one image: `pixels` holds 784 values in [0, 1] (row-major 28×28,
/// white digit on black), `model` names an embedded model (default `cnn`).
#[wasm_bindgen]
pub fn classify(pixels: &[f32], model: Option<String>) -> Result<JsValue, JsError> {
    let model = embedded::get(model.as_deref().unwrap_or(DEFAULT_MODEL))?;
    if pixels.len() != model.input_len() {
        return Err(JsError::new(&format!("pixels: expected {} values, got {}", model.input_len(), pixels.len())));
    }
    let forward = model.forward(model.batch(pixels)?)?;
    let logits: Vec<f32> = forward.logits().iter().copied().collect();
    let result = Classification {
        model: model.name().to_string(),
        prediction: forward.predictions()[0],
        probabilities: softmax(&logits),
        logits,
    };
    Ok(serde_wasm_bindgen::to_value(&result)?)
}

fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|v| v / sum).collect()
}
