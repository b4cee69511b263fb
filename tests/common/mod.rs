//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test file uses some of them

use lrp::data::idx::Idx;
use lrp::{explain, Explanation, Method, Model, Options, Params};
use ndarray::{ArrayD, Axis, IxDyn};
use safetensors::tensor::{serialize, TensorView};
use safetensors::{Dtype, SafeTensors};
use serde_json::Value;

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The official MNIST test split: pixels in [0, 1] (10,000 × 784) and labels.
pub fn test_split() -> (Vec<f32>, Vec<u8>) {
    test_split_of("mnist")
}

/// The official test split of a data set the repository holds (`mnist`, `fashion-mnist`).
pub fn test_split_of(dataset: &str) -> (Vec<f32>, Vec<u8>) {
    let (images, labels) = lrp::data::test_split(dataset).expect("a data set in data/");
    let images = Idx::open(images).expect("test images");
    let labels = Idx::open(labels).expect("test labels");
    assert_eq!(images.dims, vec![10_000, 28, 28]);
    assert_eq!(labels.dims, vec![10_000]);
    (images.to_unit_f32(), labels.data)
}

/// The first `n` test images of the model's data set (MNIST if it names none) as a batch.
pub fn digits(model: &Model, n: usize) -> ArrayD<f32> {
    let (images, _) = test_split_of(model.spec().dataset.as_deref().unwrap_or("mnist"));
    model.batch(&images[..n * 784]).unwrap()
}

/// Parameters from (name, value) pairs.
pub fn params(values: &[(&str, f64)]) -> Params {
    values.iter().fold(Params::default(), |p, (name, value)| p.with(name, *value).unwrap())
}

/// `name` for `model` with `values`; `custom` gets z^B on the first layer and ε above.
pub fn method(name: &str, values: &[(&str, f64)], model: &Model) -> Method {
    let mut p = params(values);
    if name == "custom" {
        p.layers = parametrised(model)
            .iter()
            .enumerate()
            .map(|(i, _)| if i == 0 { "z-box" } else { "epsilon" }.into())
            .collect();
    }
    Method::parse(name, &p, model).unwrap_or_else(|e| panic!("{name} on {}: {e}", model.name()))
}

/// The indices of the layers with parameters (Dense, Conv2d).
pub fn parametrised(model: &Model) -> Vec<usize> {
    (0..model.layers().len()).filter(|&i| model.layers()[i].bias().is_some()).collect()
}

pub fn run(model: &Model, x: ArrayD<f32>, m: &Method, options: Options) -> Explanation {
    explain(model, x, m, &options).unwrap()
}

/// Input relevance summed per input of the batch.
pub fn sums(e: &Explanation) -> Vec<f32> {
    e.relevance.axis_iter(Axis(0)).map(|r| r.sum()).collect()
}

/// The score of each input's target.
pub fn target_scores(e: &Explanation) -> Vec<f32> {
    e.logits.axis_iter(Axis(0)).zip(&e.targets).map(|(row, &t)| row[t]).collect()
}

pub fn assert_close(actual: f32, expected: f32, relative: f32, what: &str) {
    assert!((actual - expected).abs() <= relative * expected.abs().max(1e-3), "{what}: {actual} vs {expected}");
}

pub fn max_abs(values: impl IntoIterator<Item = f32>) -> f32 {
    values.into_iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// max |a − b| over the pairs.
pub fn max_diff<'a>(a: impl IntoIterator<Item = &'a f32>, b: impl IntoIterator<Item = &'a f32>) -> f32 {
    a.into_iter().zip(b).fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}

pub fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub fn floats(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// A float32 or int64 tensor of a safetensors file, as float32.
pub fn tensor(file: &SafeTensors, name: &str) -> ArrayD<f32> {
    let view = file.tensor(name).unwrap_or_else(|_| panic!("tensor {name}"));
    let values: Vec<f32> = match view.dtype() {
        Dtype::F32 => floats(view.data()),
        Dtype::I64 => view.data().chunks_exact(8).map(|b| i64::from_le_bytes(b.try_into().unwrap()) as f32).collect(),
        other => panic!("unexpected dtype {other:?}"),
    };
    ArrayD::from_shape_vec(IxDyn(view.shape()), values).unwrap()
}

/// safetensors bytes of float32 tensors (name, shape, values).
pub fn safetensors_bytes(tensors: &[(&str, Vec<usize>, Vec<f32>)]) -> Vec<u8> {
    let data: Vec<(String, Vec<usize>, Vec<u8>)> =
        tensors.iter().map(|(n, s, v)| (n.to_string(), s.clone(), f32_bytes(v))).collect();
    let views = data.iter().map(|(n, s, d)| (n.clone(), TensorView::new(Dtype::F32, s.clone(), d).unwrap()));
    serialize(views, None).unwrap()
}

/// A model from a description and float32 tensors.
pub fn model(description: &Value, tensors: &[(&str, Vec<usize>, Vec<f32>)]) -> Model {
    Model::from_bytes(&description.to_string(), &safetensors_bytes(tensors)).unwrap()
}

/// A test model of tests/fixtures/lrp/models/ (written by reference/tiny_models.py).
pub fn test_model(name: &str) -> Model {
    let dir = format!("{ROOT}/tests/fixtures/lrp/models");
    let description = std::fs::read_to_string(format!("{dir}/{name}.json")).unwrap();
    let weights = std::fs::read(format!("{dir}/{name}.safetensors")).unwrap();
    Model::from_bytes(&description, &weights).unwrap()
}

/// Small deterministic pseudo-random values in [-1, 1).
pub fn values(n: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state % 2000) as f32 / 1000.0 - 1.0
        })
        .collect()
}

/// The description of a model of Dense layers with ReLUs between them, on inputs of
/// `widths[0]` values in `input_range`.
pub fn mlp_description(widths: &[usize], input_range: [f32; 2]) -> Value {
    let mut layers = vec![];
    for (k, pair) in widths.windows(2).enumerate() {
        if k > 0 {
            layers.push(serde_json::json!({"type": "ReLU"}));
        }
        let i = layers.len();
        layers.push(serde_json::json!({
            "type": "Linear", "in_features": pair[0], "out_features": pair[1],
            "tensors": {"weight": {"name": format!("{i}.weight"), "shape": [pair[1], pair[0]]},
                        "bias": {"name": format!("{i}.bias"), "shape": [pair[1]]}}
        }));
    }
    serde_json::json!({
        "format": "lrp-model/1", "name": "mlp", "input_shape": [widths[0]], "input_range": input_range,
        "classes": (0..*widths.last().unwrap()).map(|c| c.to_string()).collect::<Vec<_>>(),
        "weights": "mlp.safetensors", "layers": layers,
        "card": {"parameters": 0, "test_correct": 0, "test_total": 0, "test_accuracy": 0.0}
    })
}
