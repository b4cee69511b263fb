//! Each embedded model, measured on the full official test split of its data set,
//! scores exactly what its model card says, and at least the accuracy the project promises.
#![cfg(not(target_arch = "wasm32"))] // native: reads files, runs the CLI

mod common;

use lrp::embedded;

/// The project's accuracy floor for each model.
fn floor(name: &str) -> f64 {
    match name {
        "cnn" => 0.990,
        // Simple two-layer CNNs reach 91–93% on Fashion-MNIST.
        "fashion-cnn" => 0.910,
        _ => 0.980,
    }
}

#[test]
fn every_model_scores_its_card_on_the_test_split() {
    let models = embedded::all().unwrap();
    assert!(models.iter().any(|m| m.spec().dataset.as_deref() == Some("fashion-mnist")), "a Fashion-MNIST model");
    for model in models {
        let (images, labels) = common::test_split_of(model.spec().dataset.as_deref().expect("a data set"));
        let predictions = model.predict(&images).unwrap();
        let correct = predictions.iter().zip(&labels).filter(|(p, l)| **p == **l as usize).count();
        let card = model.card();
        println!("{}: {correct}/{} = {:.2}%", model.name(), labels.len(), correct as f64 / 100.0);
        assert_eq!(card.test_total, labels.len());
        assert_eq!(correct, card.test_correct, "{}: measured {correct}, card says {}", model.name(), card.test_correct);
        assert!((card.test_accuracy - correct as f64 / labels.len() as f64).abs() < 1e-12);
        assert!(card.test_accuracy >= floor(model.name()), "{} is below its floor", model.name());
    }
}

#[test]
fn embedded_models_fit_the_size_budget() {
    let bytes: u64 = embedded::names()
        .iter()
        .map(|n| std::fs::metadata(format!("{}/weights/{n}.safetensors", env!("CARGO_MANIFEST_DIR"))).unwrap().len())
        .sum();
    println!("embedded weights: {bytes} bytes");
    // 602,852 bytes as int8 with scales: the three digit models 487,064 (961,372 as float16),
    // fashion-cnn 115,788. The page must stay under 1 MB compressed.
    assert!(bytes <= 620_000, "{bytes} bytes of weights exceed 620 kB");
}
