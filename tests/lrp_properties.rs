//! Properties every LRP implementation must have, on the shipped models and real digits.
#![cfg(not(target_arch = "wasm32"))] // native: reads files, runs the CLI

mod common;

use lrp::{embedded, explain, Explanation, Method, Model, Options, OutputRelevance, Params, Target};
use ndarray::{ArrayD, Axis};

/// The first `n` test digits as a batch `[n, 1, 28, 28]`.
fn digits(model: &Model, n: usize) -> ArrayD<f32> {
    let (images, _) = common::test_split();
    model.batch(&images[..n * 784]).unwrap()
}

fn method(name: &str, params: &[(&str, f64)]) -> Method {
    let mut p = Params::default();
    for (k, v) in params {
        p = p.with(k, *v);
    }
    Method::parse(name, &p, [0.0, 1.0]).unwrap()
}

fn run(model: &Model, x: ArrayD<f32>, m: &Method, options: Options) -> Explanation {
    explain(model, x, m, &options).unwrap()
}

fn sums(e: &Explanation) -> Vec<f32> {
    e.relevance.axis_iter(Axis(0)).map(|r| r.sum()).collect()
}

fn target_scores(e: &Explanation) -> Vec<f32> {
    e.logits.axis_iter(Axis(0)).zip(&e.targets).map(|(row, &t)| row[t]).collect()
}

fn assert_close(actual: f32, expected: f32, relative: f32, what: &str) {
    assert!((actual - expected).abs() <= relative * expected.abs().max(1e-3), "{what}: {actual} vs {expected}");
}

#[test]
fn lrp0_and_epsilon_conserve_relevance_without_biases() {
    for model in embedded::all().unwrap() {
        let bias_free = model.without_biases();
        for m in [method("lrp-0", &[]), method("epsilon", &[("epsilon", 1e-6)])] {
            let e = run(&bias_free, digits(model, 8), &m, Options::default());
            for (n, (sum, score)) in sums(&e).iter().zip(target_scores(&e)).enumerate() {
                assert_close(*sum, score, 1e-4, &format!("{} {m:?} digit {n}", model.name()));
            }
            for (i, layer) in e.layers.iter().enumerate() {
                for books in &layer.books {
                    assert_close(books.leaving, books.entering, 1e-4, &format!("{} layer {i}", model.name()));
                }
            }
        }
    }
}

#[test]
fn with_zeroed_rule_biases_the_mlps_conserve_relevance() {
    // The forward pass keeps its biases; only the rules drop them (Zennit's zero_params).
    for name in ["mlp-narrow", "mlp-wide"] {
        let model = embedded::get(name).unwrap();
        let options = Options { zero_bias: true, ..Options::default() };
        let e = run(model, digits(model, 8), &method("lrp-0", &[]), options);
        for (sum, score) in sums(&e).iter().zip(target_scores(&e)) {
            assert_close(*sum, score, 1e-4, name);
        }
    }
}

#[test]
fn the_books_balance_and_lrp0_loses_relevance_only_to_biases() {
    for model in embedded::all().unwrap() {
        let e = run(model, digits(model, 4), &method("lrp-0", &[]), Options::default());
        for layer in &e.layers {
            for b in &layer.books {
                assert_eq!(b.entering - b.leaving - b.bias, b.stabilizer);
                if layer.rule.is_some() {
                    // ε = 0: whatever does not pass is what the biases absorbed.
                    assert!(b.stabilizer.abs() <= 1e-4 * b.entering.abs().max(1.0), "{}: {b:?}", layer.layer);
                }
            }
        }
        // The bias books are not trivially zero: the shipped models have biases.
        assert!(e.layers.iter().any(|l| l.books.iter().any(|b| b.bias.abs() > 1e-3)));
        let chain: f32 = e.layers.iter().map(|l| l.books[0].entering - l.books[0].leaving).sum();
        assert_close(sums(&e)[0] + chain, target_scores(&e)[0], 1e-4, "relevance lost along the way adds up");
    }
}

#[test]
fn alpha_beta_conserves_relevance_without_biases() {
    // With α − β = 1 each neuron passes α·R − β·R = R, as long as it has both positive
    // and negative contributions (α1β0: positive ones, which every active neuron has).
    for model in embedded::all().unwrap() {
        let bias_free = model.without_biases();
        for (alpha, beta) in [(1.0, 0.0), (2.0, 1.0)] {
            let m = method("alpha-beta", &[("alpha", alpha), ("beta", beta)]);
            let e = run(&bias_free, digits(model, 8), &m, Options::default());
            let first_layer_with_rule = e.layers.iter().position(|l| l.rule.is_some()).unwrap();
            for (i, layer) in e.layers.iter().enumerate().skip(first_layer_with_rule + 1) {
                for b in &layer.books {
                    assert_close(b.leaving, b.entering, 1e-4, &format!("{} α{alpha}β{beta} layer {i}", model.name()));
                }
            }
            if alpha == 1.0 {
                for (sum, score) in sums(&e).iter().zip(target_scores(&e)) {
                    assert_close(*sum, score, 1e-4, &format!("{} α1β0", model.name()));
                }
            }
        }
    }
}

#[test]
fn z_plus_relevance_is_never_negative() {
    for model in embedded::all().unwrap() {
        let options = Options { output: OutputRelevance::OneHot, ..Options::default() };
        let e = run(model, digits(model, 8), &method("z-plus", &[]), options);
        for layer in &e.layers {
            let min = layer.relevance.iter().copied().fold(f32::INFINITY, f32::min);
            assert!(min >= 0.0, "{} {}: {min}", model.name(), layer.layer);
        }
        assert!(e.relevance.iter().any(|&r| r > 0.0));
    }
}

#[test]
fn an_all_zero_input_gets_zero_relevance_from_rules_that_weigh_by_activation() {
    for model in embedded::all().unwrap() {
        let blank = model.batch(&[0.0; 784]).unwrap();
        for info in lrp::lrp::METHODS {
            let m = Method::parse(info.name, &custom_layers(model, info.name), [0.0, 1.0]).unwrap();
            let e = run(model, blank.clone(), &m, Options::default());
            assert!(e.relevance.iter().all(|r| r.is_finite()), "{} {}: not finite", model.name(), info.name);
            let weighs_by_input = ["lrp-0", "epsilon", "gamma", "alpha-beta", "z-plus", "gradient-x-input", "integrated-gradients"]
                .contains(&info.name)
                || (info.name.starts_with("epsilon-") && !info.name.ends_with("flat") && info.name != "epsilon-gamma-box");
            if weighs_by_input {
                assert!(e.relevance.iter().all(|&r| r == 0.0), "{} {}", model.name(), info.name);
            }
        }
        // Flat spreads relevance by connectivity alone, so even a blank input gets some.
        let flat = run(model, blank.clone(), &method("flat", &[]), Options::default());
        assert!(flat.relevance.iter().any(|&r| r != 0.0));
    }
}

fn custom_layers(model: &Model, name: &str) -> Params {
    let mut p = Params::default();
    if name == "custom" {
        let n = model.layers().iter().filter(|l| l.bias().is_some()).count();
        p.layers = (0..n).map(|i| if i == 0 { "z-box" } else { "epsilon" }.to_string()).collect();
    }
    p
}

#[test]
fn explanations_are_deterministic_and_independent_of_the_batch() {
    for model in embedded::all().unwrap() {
        for info in lrp::lrp::METHODS {
            let m = Method::parse(info.name, &custom_layers(model, info.name), [0.0, 1.0]).unwrap();
            let batch = run(model, digits(model, 3), &m, Options::default());
            let again = run(model, digits(model, 3), &m, Options::default());
            assert_eq!(batch.relevance, again.relevance, "{} {}", model.name(), info.name);
            let single = run(model, digits(model, 1), &m, Options::default());
            let first = batch.relevance.index_axis(Axis(0), 0);
            let scale = first.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
            let worst = first.iter().zip(single.relevance.iter()).fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
            assert!(worst <= 1e-5 * scale, "{} {}: batch vs single {worst}", model.name(), info.name);
        }
    }
    let model = embedded::get("cnn").unwrap();
    let seeded = |seed| run(model, digits(model, 1), &method("smoothgrad", &[("seed", seed)]), Options::default()).relevance;
    assert_eq!(seeded(7.0), seeded(7.0));
    assert_ne!(seeded(7.0), seeded(8.0));
}

#[test]
fn any_class_can_be_explained_and_one_hot_scales_the_score_away() {
    let model = embedded::get("mlp-wide").unwrap();
    let x = digits(model, 1);
    let m = method("epsilon", &[]);
    let score = run(model, x.clone(), &m, Options::default());
    let one_hot = run(model, x.clone(), &m, Options { output: OutputRelevance::OneHot, ..Options::default() });
    let logit = target_scores(&score)[0];
    for (s, o) in score.relevance.iter().zip(one_hot.relevance.iter()) {
        assert!((s - o * logit).abs() <= 1e-5 * logit.abs(), "score mode is one-hot mode times the score");
    }
    let other = run(model, x, &m, Options { target: Target::Class(3), ..Options::default() });
    assert_eq!(other.targets, vec![3]);
    assert_ne!(other.relevance, score.relevance);
}

#[test]
fn bad_methods_parameters_and_targets_are_refused_clearly() {
    let parse = |name: &str, p: Params| Method::parse(name, &p, [0.0, 1.0]).unwrap_err().to_string();
    assert!(parse("lrp-7", Params::default()).contains("unknown method `lrp-7`"));
    assert!(parse("epsilon", Params::default().with("gamma", 1.0)).contains("gamma: `epsilon` takes no such parameter"));
    assert!(parse("epsilon", Params::default().with("epsilon", -1.0)).contains("epsilon: expected a number from 0"));
    assert!(parse("epsilon", Params::default().with("epsilon", f64::NAN)).contains("epsilon: expected"));
    assert!(parse("alpha-beta", Params::default().with("alpha", 2.0).with("beta", 2.0)).contains("alpha - beta = 1"));
    assert!(parse("z-box", Params::default().with("low", 1.0).with("high", 0.0)).contains("low < high"));
    assert!(parse("smoothgrad", Params::default().with("samples", 2.5)).contains("whole number"));
    assert!(parse("custom", Params::default()).contains("layers"));
    let bad_layer = Params { layers: vec!["epsilon".into(), "magic".into()], ..Params::default() };
    assert!(parse("custom", bad_layer).contains("unknown rule `magic`"));
    let layers_elsewhere = Params { layers: vec!["epsilon".into()], ..Params::default() };
    assert!(parse("epsilon", layers_elsewhere).contains("only the custom composite"));

    // α alone implies β.
    assert_eq!(method("alpha-beta", &[("alpha", 3.0)]), method("alpha-beta", &[("alpha", 3.0), ("beta", 2.0)]));

    let model = embedded::get("cnn").unwrap();
    let x = digits(model, 1);
    let too_few = Params { layers: vec!["epsilon".into(); 2], ..Params::default() };
    let custom = Method::parse("custom", &too_few, [0.0, 1.0]).unwrap();
    let message = explain(model, x.clone(), &custom, &Options::default()).unwrap_err().to_string();
    assert!(message.contains("names 2 rules") && message.contains("4 layers with parameters"), "{message}");
    let message = explain(model, x.clone(), &method("epsilon", &[]), &Options { target: Target::Class(10), ..Options::default() })
        .unwrap_err()
        .to_string();
    assert!(message.contains("target: expected a class from 0 to 9, got 10"), "{message}");
    let message = explain(model, x, &method("gradient", &[]), &Options { zero_bias: true, ..Options::default() }).unwrap_err();
    assert!(message.to_string().contains("zero_bias"));
}

/// A small model with what the shipped ones lack: padding, stride and average pooling.
fn tiny_model_with_average_pooling() -> Model {
    use safetensors::tensor::{serialize, TensorView};
    let description = serde_json::json!({
        "format": "lrp-model/1", "name": "tiny", "input_shape": [1, 6, 6], "input_range": [0.0, 1.0],
        "classes": ["a", "b"], "weights": "tiny.safetensors", "dtype": "F32",
        "layers": [
            {"type": "Conv2d", "in_channels": 1, "out_channels": 2, "kernel_size": [3, 3], "stride": [1, 1], "padding": [1, 1],
             "tensors": {"weight": {"name": "0.weight", "shape": [2, 1, 3, 3]}, "bias": {"name": "0.bias", "shape": [2]}}},
            {"type": "ReLU"},
            {"type": "AvgPool2d", "kernel_size": [2, 2], "stride": [2, 2], "padding": [0, 0]},
            {"type": "Conv2d", "in_channels": 2, "out_channels": 3, "kernel_size": [2, 2], "stride": [2, 2], "padding": [1, 1],
             "tensors": {"weight": {"name": "3.weight", "shape": [3, 2, 2, 2]}, "bias": {"name": "3.bias", "shape": [3]}}},
            {"type": "ReLU"},
            {"type": "Flatten"},
            {"type": "Linear", "in_features": 12, "out_features": 2,
             "tensors": {"weight": {"name": "6.weight", "shape": [2, 12]}, "bias": {"name": "6.bias", "shape": [2]}}}
        ],
        "card": {"parameters": 0, "test_correct": 0, "test_total": 0, "test_accuracy": 0.0}
    });
    let values = |n: usize, seed: usize| -> Vec<u8> {
        (0..n).flat_map(|i| (((i * 37 + seed * 11) % 23) as f32 / 11.0 - 0.6).to_le_bytes()).collect()
    };
    let tensors = [("0.weight", vec![2, 1, 3, 3], 1), ("0.bias", vec![2], 2), ("3.weight", vec![3, 2, 2, 2], 3), ("3.bias", vec![3], 4), ("6.weight", vec![2, 12], 5), ("6.bias", vec![2], 6)];
    let data: Vec<(String, Vec<usize>, Vec<u8>)> =
        tensors.iter().map(|(n, s, seed)| (n.to_string(), s.clone(), values(s.iter().product(), *seed))).collect();
    let views = data.iter().map(|(n, s, d)| (n.clone(), TensorView::new(safetensors::Dtype::F32, s.clone(), d).unwrap()));
    Model::from_bytes(&description.to_string(), &serialize(views, None).unwrap()).unwrap()
}

#[test]
fn average_pooling_padding_and_stride_conserve_relevance_too() {
    let model = tiny_model_with_average_pooling().without_biases();
    let pixels: Vec<f32> = (0..36).map(|i| ((i * 7) % 10) as f32 / 10.0).collect();
    let e = run(&model, model.batch(&pixels).unwrap(), &method("lrp-0", &[]), Options::default());
    assert!(target_scores(&e)[0].abs() > 1e-3, "a non-trivial score to explain");
    assert_close(sums(&e)[0], target_scores(&e)[0], 1e-4, "input relevance sums to the score");
    let pooling = e.layers.iter().find(|l| l.layer.starts_with("AvgPool2d")).unwrap();
    assert_close(pooling.books[0].leaving, pooling.books[0].entering, 1e-4, "average pooling passes relevance on");
    // The gradient through average pooling is the transpose of averaging.
    let g = run(&model, model.batch(&pixels).unwrap(), &method("gradient", &[]), Options::default());
    assert!(g.relevance.iter().any(|&v| v != 0.0));
}
