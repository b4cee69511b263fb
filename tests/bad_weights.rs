//! A corrupt or mismatched model is refused with an error that says what is wrong.
#![cfg(not(target_arch = "wasm32"))] // native: reads files, runs the CLI

use lrp::{Error, Model};
use safetensors::tensor::{serialize, TensorView};
use safetensors::Dtype;
use serde_json::{json, Value};

/// A tiny valid model: Flatten, Linear(4→3), ReLU, Linear(3→2) on a 1×2×2 input.
fn description() -> Value {
    json!({
        "format": "lrp-model/1",
        "name": "tiny",
        "input_shape": [1, 2, 2],
        "input_range": [0.0, 1.0],
        "classes": ["a", "b"],
        "weights": "tiny.safetensors",
        "layers": [
            {"type": "Flatten"},
            {"type": "Linear", "in_features": 4, "out_features": 3,
             "tensors": {"weight": {"name": "1.weight", "shape": [3, 4]}, "bias": {"name": "1.bias", "shape": [3]}}},
            {"type": "ReLU"},
            {"type": "Linear", "in_features": 3, "out_features": 2,
             "tensors": {"weight": {"name": "3.weight", "shape": [2, 3]}, "bias": {"name": "3.bias", "shape": [2]}}}
        ],
        "card": {"parameters": 23, "test_correct": 0, "test_total": 0, "test_accuracy": 0.0}
    })
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A tensor of the weights file: name, dtype, shape, bytes.
type Tensor = (&'static str, Dtype, Vec<usize>, Vec<u8>);

fn weights(tensors: &[(&str, Dtype, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
    let views = tensors
        .iter()
        .map(|(name, dtype, shape, data)| (name.to_string(), TensorView::new(*dtype, shape.clone(), data).unwrap()));
    serialize(views, None).unwrap()
}

fn valid_tensors() -> Vec<(&'static str, Dtype, Vec<usize>, Vec<u8>)> {
    vec![
        ("1.weight", Dtype::F32, vec![3, 4], f32_bytes(&[1., 0., 0., 0., 0., 1., 0., 0., 0., 0., 1., -1.])),
        ("1.bias", Dtype::F32, vec![3], f32_bytes(&[0.0, 0.5, 0.0])),
        ("3.weight", Dtype::F32, vec![2, 3], f32_bytes(&[1., 1., 0., 0., 0., 1.])),
        ("3.bias", Dtype::F32, vec![2], f32_bytes(&[0.0, 0.25])),
    ]
}

fn load(description: &Value, tensors: &[(&str, Dtype, Vec<usize>, Vec<u8>)]) -> Result<Model, Error> {
    Model::from_bytes(&description.to_string(), &weights(tensors))
}

fn error(description: &Value, tensors: &[(&str, Dtype, Vec<usize>, Vec<u8>)]) -> String {
    load(description, tensors).expect_err("must be refused").to_string()
}

#[test]
fn the_valid_tiny_model_loads_and_computes() {
    let model = load(&description(), &valid_tensors()).unwrap();
    let forward = model.forward(model.batch(&[1.0, 0.5, 1.0, 0.25]).unwrap()).unwrap();
    // hidden = relu([1, 0.5 + 0.5, 1 − 0.25]) ; out = [1 + 1, 0.75 + 0.25]
    assert_eq!(forward.logits().iter().copied().collect::<Vec<_>>(), vec![2.0, 1.0]);
}

#[test]
fn truncated_weights_are_refused() {
    let bytes = weights(&valid_tensors());
    for cut in [0, 7, 8, 40, bytes.len() - 1] {
        let message = Model::from_bytes(&description().to_string(), &bytes[..cut]).unwrap_err().to_string();
        assert!(message.starts_with("weights file is not valid"), "cut at {cut}: {message}");
    }
    let cnn = include_bytes!("../weights/cnn.safetensors");
    let cnn_json = include_str!("../weights/cnn.json");
    assert!(Model::from_bytes(cnn_json, cnn).is_ok());
    assert!(Model::from_bytes(cnn_json, &cnn[..cnn.len() - 100]).is_err());
}

#[test]
fn a_tensor_of_the_wrong_shape_is_refused() {
    let mut tensors = valid_tensors();
    tensors[0] = ("1.weight", Dtype::F32, vec![4, 3], f32_bytes(&[0.0; 12]));
    let message = error(&description(), &tensors);
    assert!(message.contains("layer 1 (Linear)") && message.contains("[4, 3]"), "{message}");
}

#[test]
fn a_description_that_disagrees_with_its_layer_is_refused() {
    let mut d = description();
    d["layers"][1]["tensors"]["weight"]["shape"] = json!([3, 5]);
    let message = error(&d, &valid_tensors());
    assert!(message.contains("described as [3, 5]"), "{message}");
}

#[test]
fn layers_whose_shapes_do_not_chain_are_refused() {
    let mut d = description();
    d["layers"][3]["in_features"] = json!(5);
    d["layers"][3]["tensors"]["weight"]["shape"] = json!([2, 5]);
    let mut tensors = valid_tensors();
    tensors[2] = ("3.weight", Dtype::F32, vec![2, 5], f32_bytes(&[0.0; 10]));
    let message = error(&d, &tensors);
    assert!(message.contains("layer 3 (Linear)") && message.contains("cannot take an input of shape [3]"), "{message}");
}

#[test]
fn an_unknown_layer_type_is_refused() {
    let mut d = description();
    d["layers"][2] = json!({"type": "GELU"});
    let message = error(&d, &valid_tensors());
    assert!(message.contains("unknown variant `GELU`"), "{message}");
}

#[test]
fn missing_unused_and_non_finite_tensors_are_refused() {
    let mut tensors = valid_tensors();
    tensors.remove(1);
    assert!(error(&description(), &tensors).contains("tensor `1.bias` is missing"));

    let mut tensors = valid_tensors();
    tensors.push(("extra", Dtype::F32, vec![1], f32_bytes(&[0.0])));
    assert!(error(&description(), &tensors).contains("not used by any layer"));

    let mut tensors = valid_tensors();
    tensors[3] = ("3.bias", Dtype::F32, vec![2], f32_bytes(&[0.0, f32::NAN]));
    assert!(error(&description(), &tensors).contains("non-finite value at element 1"));

    let mut tensors = valid_tensors();
    tensors[3] = ("3.bias", Dtype::I32, vec![2], vec![0; 8]);
    assert!(error(&description(), &tensors).contains("dtype I32"));
}

#[test]
fn wrong_class_count_format_and_json_are_refused() {
    let mut d = description();
    d["classes"] = json!(["a", "b", "c"]);
    assert!(error(&d, &valid_tensors()).contains("3 classes"));

    let mut d = description();
    d["format"] = json!("something-else");
    assert!(error(&d, &valid_tensors()).contains("format"));

    let message = Model::from_bytes("{not json", &weights(&valid_tensors())).unwrap_err().to_string();
    assert!(message.starts_with("model description is not valid"), "{message}");
}

#[test]
fn bad_inputs_are_refused() {
    let model = load(&description(), &valid_tensors()).unwrap();
    assert!(model.batch(&[0.0; 3]).unwrap_err().to_string().contains("expected 4 values (1×2×2) per input, got 3"));
    assert!(model.batch(&[]).is_err());
    assert!(model
        .batch(&[0.0, f32::NAN, 0.0, 0.0])
        .unwrap_err()
        .to_string()
        .contains("pixels[1]: expected a number from 0 to 1, got NaN"));
    assert!(model.batch(&[0.0, 0.0, 1e30, 0.0]).unwrap_err().to_string().contains("pixels[2]"));
    let wrong = ndarray::ArrayD::zeros(vec![1, 4]);
    assert!(model.forward(wrong).unwrap_err().to_string().contains("expected [N, 1, 2, 2]"));
}

#[test]
fn half_precision_weights_load_exactly() {
    // The same tiny model stored as float16 and as bfloat16: every value used is exact in both.
    for dtype in [Dtype::F16, Dtype::BF16] {
        let tensors: Vec<_> = valid_tensors()
            .into_iter()
            .map(|(name, _, shape, bytes)| {
                let halves: Vec<u8> = bytes
                    .chunks_exact(4)
                    .flat_map(|b| {
                        let v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                        match dtype {
                            Dtype::F16 => half::f16::from_f32(v).to_le_bytes(),
                            _ => half::bf16::from_f32(v).to_le_bytes(),
                        }
                    })
                    .collect();
                (name, dtype, shape, halves)
            })
            .collect();
        let model = load(&description(), &tensors).unwrap();
        let forward = model.forward(model.batch(&[1.0, 0.5, 1.0, 0.25]).unwrap()).unwrap();
        assert_eq!(forward.logits().iter().copied().collect::<Vec<_>>(), vec![2.0, 1.0], "{dtype:?}");
    }
    // A value only float16 can hold: 1/3 rounds to 0.33325195.
    let mut tensors = valid_tensors();
    tensors[3] = (
        "3.bias",
        Dtype::F16,
        vec![2],
        [0.0f32, 1.0 / 3.0].iter().flat_map(|&v| half::f16::from_f32(v).to_le_bytes()).collect(),
    );
    let model = load(&description(), &tensors).unwrap();
    let logits = model.forward(model.batch(&[0.0; 4]).unwrap()).unwrap().logits().clone();
    assert_eq!(logits[[0, 1]], 0.333_251_95); // hidden unit 3 is off for a blank input
}

/// The tiny model with its second layer's weight as int8 `q` and `scales` (described as `3.weight_scale`).
fn int8_model(q: &[i8], scales: (Dtype, Vec<usize>, Vec<u8>)) -> (Value, Vec<Tensor>) {
    let mut description = description();
    description["layers"][3]["tensors"]["weight"]["scale"] = json!("3.weight_scale");
    let mut tensors = valid_tensors();
    tensors[2] = ("3.weight", Dtype::I8, vec![2, 3], q.iter().map(|&v| v as u8).collect());
    tensors.push(("3.weight_scale", scales.0, scales.1, scales.2));
    (description, tensors)
}

#[test]
fn int8_weights_with_a_scale_per_output_load_as_q_times_scale() {
    // Row 0: (2, 2, 0) · 0.5 = (1, 1, 0); row 1: (0, 0, −127) · (1/127) = (0, 0, −1), in float32.
    let scale = 1.0f32 / 127.0;
    let (description, tensors) = int8_model(&[2, 2, 0, 0, 0, -127], (Dtype::F32, vec![2], f32_bytes(&[0.5, scale])));
    let model = load(&description, &tensors).unwrap();
    let logits = model.forward(model.batch(&[1.0, 0.5, 1.0, 0.25]).unwrap()).unwrap().logits().clone();
    // hidden = (1, 1, 0.75): out = (1 + 1, −127 · scale · 0.75 + 0.25)
    assert_eq!(logits[[0, 0]], 2.0);
    assert_eq!(logits[[0, 1]], (-127.0f32 * scale) * 0.75 + 0.25);
    // Scales may be float16 too.
    let halves = [0.5f32, 0.25].iter().flat_map(|&v| half::f16::from_f32(v).to_le_bytes()).collect();
    let (description, tensors) = int8_model(&[2, 2, 0, 0, 0, -4], (Dtype::F16, vec![2], halves));
    let model = load(&description, &tensors).unwrap();
    let logits = model.forward(model.batch(&[1.0, 0.5, 1.0, 0.25]).unwrap()).unwrap().logits().clone();
    assert_eq!(logits.iter().copied().collect::<Vec<_>>(), vec![2.0, -0.75 + 0.25]);
}

#[test]
fn int8_weights_without_good_scales_are_refused() {
    let q = [2, 2, 0, 0, 0, -127];
    let good = || (Dtype::F32, vec![2], f32_bytes(&[0.5, 0.25]));
    // No scale named in the description.
    let (mut description, tensors) = int8_model(&q, good());
    description["layers"][3]["tensors"]["weight"].as_object_mut().unwrap().remove("scale");
    let message = error(&description, &tensors);
    assert!(message.contains("`3.weight` is int8") && message.contains("no scales"), "{message}");
    // A scale named but missing from the file.
    let (description, mut tensors) = int8_model(&q, good());
    tensors.pop();
    assert!(error(&description, &tensors).contains("`3.weight_scale` is missing"));
    // One scale where two are needed; a zero, a negative, a non-finite scale; an integer scale.
    for (scales, expected) in [
        ((Dtype::F32, vec![1], f32_bytes(&[0.5])), "has shape [1]"),
        ((Dtype::F32, vec![2], f32_bytes(&[0.5, 0.0])), "holds 0 at 1"),
        ((Dtype::F32, vec![2], f32_bytes(&[-0.5, 0.5])), "holds -0.5 at 0"),
        ((Dtype::F32, vec![2], f32_bytes(&[0.5, f32::INFINITY])), "non-finite"),
        ((Dtype::I8, vec![2], vec![1, 1]), "dtype I8"),
    ] {
        let (description, tensors) = int8_model(&q, scales);
        let message = error(&description, &tensors);
        assert!(message.contains(expected) && message.contains("layer 3"), "{expected}: {message}");
    }
    // Scales on a float tensor.
    let mut float_model = self::description();
    float_model["layers"][1]["tensors"]["weight"]["scale"] = json!("3.bias");
    let message = error(&float_model, &valid_tensors());
    assert!(message.contains("go only with int8 tensors"), "{message}");
}

#[test]
fn files_over_the_size_caps_are_refused() {
    let tensors = weights(&valid_tensors());
    let mut padded = description();
    // Whitespace keeps the JSON valid: only its size is wrong.
    let text = format!("{}{}", padded, " ".repeat(lrp::model::MAX_DESCRIPTION_BYTES));
    let message = Model::from_bytes(&text, &tensors).unwrap_err().to_string();
    assert!(message.contains("more than the 1048576 a description may have"), "{message}");
    let mut huge = tensors.clone();
    huge.resize(lrp::model::MAX_WEIGHTS_BYTES + 1, 0);
    let message = Model::from_bytes(&padded.to_string(), &huge).unwrap_err().to_string();
    assert!(message.contains("more than the 67108864 a weights file may have"), "{message}");
    // Within the caps, the same model loads.
    padded["name"] = json!("tiny-at-the-cap");
    assert!(Model::from_bytes(&padded.to_string(), &tensors).is_ok());
}
