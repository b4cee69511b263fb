//! `load_model`: the weights loader, `Model::from_bytes(json, safetensors)`.
//!
//! The input is the JSON description, a NUL byte, then the safetensors bytes (valid
//! JSON never holds a raw NUL, so every description can be expressed; an input
//! without NUL is a description with empty weights). Loading must return Ok or Err,
//! never panic or ask for absurd memory. A model that loads must run: one forward pass
//! on a valid input must give one score per class, and the method catalogue (which
//! resolves every method's parameters against the model's input) must build. The
//! forward pass is skipped for models costing more than `MAX_WORK` multiply-adds:
//! that limit keeps executions fast and is the harness's, not the loader's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lrp::Model;

/// Multiply-adds (and activation values) of one forward pass, at most.
const MAX_WORK: u128 = 1_000_000;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let description = String::from_utf8_lossy(&data[..split]);
    let weights = data.get(split + 1..).unwrap_or(&[]);
    let Ok(model) = Model::from_bytes(&description, weights) else { return };

    // What a loaded model promises, cheap to check whatever its size.
    let shapes = model.shapes();
    assert_eq!(shapes.len(), model.layers().len() + 1);
    assert_eq!(shapes[0], model.spec().input_shape);
    assert_eq!(shapes.last().unwrap(), &vec![model.classes().len()]);
    for layer in model.layers() {
        let _ = layer.describe();
    }
    let _ = model.parameter_count();
    let _ = lrp::catalogue(&model);

    if fuzz_support::work(&model) > MAX_WORK {
        return;
    }
    let [low, high] = model.spec().input_range;
    let values: Vec<f32> =
        (0..model.input_len()).map(|i| (low + (high - low) * (i % 7) as f32 / 6.0).clamp(low, high)).collect();
    let batch = model.batch(&values).expect("an input in the model's range and of its length");
    let forward = model.forward(batch).expect("a batch of the model's input shape");
    assert_eq!(forward.logits().shape(), &[1, model.classes().len()]);
    for (activation, shape) in forward.activations.iter().zip(shapes) {
        assert_eq!(&activation.shape()[1..], &shape[..], "activation shapes as the model announced");
    }
    let predictions = forward.predictions();
    assert!(predictions.len() == 1 && predictions[0] < model.classes().len().max(1));
});
