//! The Rust forward pass reproduces PyTorch's logits for the shipped weights on test
//! images of each model's data set (fixture written by train/make_fixtures.py).
#![cfg(not(target_arch = "wasm32"))] // native: reads files, runs the CLI

mod common;

use lrp::embedded;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Fixture {
    test_indices: Vec<usize>,
    labels: BTreeMap<String, Vec<u8>>,
    datasets: BTreeMap<String, String>,
    logits: BTreeMap<String, Vec<Vec<f32>>>,
}

#[test]
fn logits_match_pytorch_within_1e_4() {
    let fixture: Fixture = serde_json::from_str(include_str!("fixtures/forward.json")).unwrap();
    assert_eq!(fixture.logits.len(), embedded::names().len(), "one fixture per embedded model");
    for model in embedded::all().unwrap() {
        let dataset = model.spec().dataset.clone().expect("a data set");
        assert_eq!(fixture.datasets[model.name()], dataset);
        let (images, labels) = common::test_split_of(&dataset);
        let batch: Vec<f32> =
            fixture.test_indices.iter().flat_map(|&i| images[i * 784..(i + 1) * 784].to_vec()).collect();
        for (&i, &label) in fixture.test_indices.iter().zip(&fixture.labels[&dataset]) {
            assert_eq!(labels[i], label, "fixture was written from another test split");
        }
        let expected = &fixture.logits[model.name()];
        let forward = model.forward(model.batch(&batch).unwrap()).unwrap();
        let logits = forward.logits();
        assert_eq!(logits.shape(), &[expected.len(), 10]);
        let worst = expected.iter().flatten().zip(logits.iter()).map(|(e, a)| (e - a).abs()).fold(0.0f32, f32::max);
        assert!(worst <= 1e-4, "{}: max |rust - pytorch| = {worst:e}", model.name());
        println!("{}: max |rust - pytorch| logit difference {worst:.2e}", model.name());
    }
}
