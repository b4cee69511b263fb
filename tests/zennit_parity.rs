//! Every rule, composite and baseline matches Zennit 0.5.1: max |ours − Zennit| ≤ 1e-5 ×
//! max |Zennit| for each relevance map, on the four shipped models, on two small test
//! models with what they lack (average pooling, padding, stride, non-square kernels,
//! padded max-pooling), and on three models exported from PyTorch by
//! export/lrp_export.py (RGB 3×32×32, BatchNorm merged, a flat input), for which
//! Zennit ran on the original PyTorch model with its BatchNorm canonizer. The fixtures
//! are written by reference/zennit_fixtures.py (float64 Zennit, stored float32).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::BTreeMap;

use common::{tensor, test_model, ROOT};
use lrp::lrp::baseline::smoothgrad_with_noise;
use lrp::{embedded, explain, Method, Model, Options, OutputRelevance, Params, Target};
use ndarray::{ArrayD, Axis, IxDyn};
use safetensors::SafeTensors;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Cases {
    cases: Vec<Case>,
    custom_layers: BTreeMap<String, Vec<BTreeMap<String, Value>>>,
    test_models: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    method: String,
    params: BTreeMap<String, f64>,
    target: String,
    output: String,
    zero_bias: bool,
}

/// The bar for each map: max |ours − Zennit| ≤ tolerance × max |Zennit|.
fn tolerance(case: &str) -> f32 {
    match case {
        // LRP-0 without biases divides by bias-free pre-activations that can be
        // arbitrarily close to zero, so float32 rounding is amplified: Zennit's own
        // float32 maps differ from its float64 ones by up to 7e-5 here
        // (reference/README.md). Any rule error would still show as O(1).
        "lrp-0-zero-bias" => 1e-3,
        _ => 1e-5,
    }
}

fn params(case: &Case, model: &str, cases: &Cases) -> Params {
    let mut params = Params::default();
    for (name, value) in &case.params {
        // SmoothGrad's draws come from the fixture, not from `samples`.
        if !(case.method == "smoothgrad" && name == "samples") {
            params.values.set(name, *value).unwrap();
        }
    }
    if case.method == "custom" {
        for layer in &cases.custom_layers[model] {
            params.layers.push(layer["rule"].as_str().unwrap().to_string());
            for (name, value) in layer.iter().filter(|(k, _)| *k != "rule") {
                params.values.set(name, value.as_f64().unwrap()).unwrap();
            }
        }
    }
    params
}

/// Our relevance for one input of the fixture.
fn ours(
    model: &Model,
    case: &Case,
    method: &Method,
    x: ArrayD<f32>,
    options: &Options,
    file: &SafeTensors,
    n: usize,
) -> ArrayD<f32> {
    if case.method != "smoothgrad" {
        return explain(model, x, method, options).unwrap().relevance;
    }
    let shape: Vec<usize> = x.shape().to_vec();
    let draws: Vec<ArrayD<f32>> = tensor(file, "smoothgrad/noise")
        .axis_iter(Axis(0))
        .map(|d| d.index_axis(Axis(0), n).to_owned().into_shape_with_order(IxDyn(&shape)).unwrap())
        .collect();
    let gradient = Method::parse("gradient", &Params::default(), model).unwrap();
    let explained = explain(model, x.clone(), &gradient, options).unwrap();
    smoothgrad_with_noise(model, &x, &explained.output_relevance, case.params["noise"] as f32, &draws).unwrap()
}

#[test]
fn every_method_matches_zennit() {
    let cases: Cases = serde_json::from_str(include_str!("fixtures/lrp/cases.json")).unwrap();
    let mut models: Vec<Model> = embedded::all().unwrap().into_iter().cloned().collect::<Vec<Model>>();
    models.extend(cases.test_models.keys().map(|name| test_model(name)));
    let mut failures = vec![];
    let mut checked = 0;
    let mut worst_relative = BTreeMap::new();
    for model in &models {
        let bytes = std::fs::read(format!("{ROOT}/tests/fixtures/lrp/{}.safetensors", model.name())).unwrap();
        let file = SafeTensors::deserialize(&bytes).unwrap();
        let inputs = tensor(&file, "inputs");
        let count = inputs.shape()[0];
        let mut shape = vec![count];
        shape.extend(&model.spec().input_shape);
        let inputs = inputs.into_shape_with_order(IxDyn(&shape)).unwrap();
        for case in &cases.cases {
            let expected = tensor(&file, &case.id);
            let method = Method::parse(&case.method, &params(case, model.name(), &cases), model).unwrap();
            let output = if case.output == "score" { OutputRelevance::Score } else { OutputRelevance::OneHot };
            let targets = tensor(&file, &format!("targets/{}", case.target));
            for (n, (image, zennit)) in inputs.axis_iter(Axis(0)).zip(expected.axis_iter(Axis(0))).enumerate() {
                let x = image.to_owned().insert_axis(Axis(0));
                let options = Options { target: Target::Class(targets[n] as usize), output, zero_bias: case.zero_bias };
                let ours = ours(model, case, &method, x, &options, &file, n);
                // Zennit divides 0 by 0 where a bias-free pre-activation is exactly 0 (LRP-0
                // with zeroed biases); we pass nothing there. Compare the rest.
                let finite: Vec<(f32, f32)> =
                    zennit.iter().zip(ours.iter()).filter(|(z, _)| z.is_finite()).map(|(z, o)| (*z, *o)).collect();
                let scale = finite.iter().map(|(z, _)| z.abs()).fold(0.0f32, f32::max);
                let worst = finite.iter().map(|(z, o)| (z - o).abs()).fold(0.0f32, f32::max);
                checked += 1;
                let relative = worst / scale;
                let entry = worst_relative.entry(case.id.clone()).or_insert(0.0f32);
                *entry = entry.max(relative);
                if worst.is_nan() || worst > tolerance(&case.id) * scale {
                    failures.push(format!(
                        "{} {} image {n}: max |diff| {worst:.3e} > {:e} × {scale:.3e} (relative {relative:.2e})",
                        model.name(),
                        case.id,
                        tolerance(&case.id),
                    ));
                }
            }
        }
    }
    for (case, relative) in &worst_relative {
        println!("{case:<28} worst relative difference to Zennit {relative:.2e}");
    }
    assert_eq!(cases.cases.len(), 26);
    for exported in ["rgb-cnn", "bn-cnn", "flat-mlp"] {
        assert!(models.iter().any(|m| m.name() == exported), "{exported} has fixtures");
    }
    assert!(checked >= 26 * (4 * 8 + 5 * 4), "checked {checked} maps");
    assert!(failures.is_empty(), "{} of {checked} maps differ from Zennit:\n{}", failures.len(), failures.join("\n"));
}
