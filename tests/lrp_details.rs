//! Details the larger suites leave open, each checked against a fact worked out by
//! hand, a published reference value, or PyTorch's and Zennit's conventions: the
//! gradient of a ReLU at exactly zero, the books of gradient × input, rules made for
//! another model, the stabilisers' size and sign(0), average pooling's shares,
//! SmoothGrad's noise (SplitMix64 and Box–Muller, its scale, the noise-free last
//! sample), and how targets and parameter values are read from JSON or text.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{mlp_description, model};
use lrp::{explain, Method, Model, Options, OutputRelevance, Params, Target};

fn parse(name: &str, model: &Model) -> Method {
    Method::parse(name, &Params::default(), model).unwrap()
}

fn one_hot() -> Options {
    Options { output: OutputRelevance::OneHot, ..Options::default() }
}

/// 2 inputs → 2 hidden (ReLU) → 1 output. On x = (1, 1): z₁ = 1 − 1 + 0 = 0 exactly,
/// z₂ = 1 + 1 + 0.5 = 2.5; the output is 3·0 + 5·2.5 + 1 = 13.5.
fn kink_model() -> Model {
    model(
        &mlp_description(&[2, 2, 1], [0.0, 1.0]),
        &[
            ("0.weight", vec![2, 2], vec![1.0, -1.0, 1.0, 1.0]),
            ("0.bias", vec![2], vec![0.0, 0.5]),
            ("2.weight", vec![1, 2], vec![3.0, 5.0]),
            ("2.bias", vec![1], vec![1.0]),
        ],
    )
}

#[test]
fn the_gradient_of_a_relu_at_exactly_zero_is_zero_as_in_pytorch() {
    // d relu(z)/dz at z = 0 is 0 in PyTorch (and so in Zennit's gradient baselines):
    // unit 1 passes nothing back, and ∂f/∂x = 5·(1, 1) through unit 2 alone
    // (through both it would be 3·(1, −1) + 5·(1, 1) = (8, 2)).
    let model = kink_model();
    let x = model.batch(&[1.0, 1.0]).unwrap();
    let e = explain(&model, x, &parse("gradient", &model), &one_hot()).unwrap();
    assert_eq!(e.logits.iter().copied().collect::<Vec<_>>(), vec![13.5]);
    assert_eq!(e.relevance.iter().copied().collect::<Vec<_>>(), vec![5.0, 5.0]);
    // Through the ReLU: the gradient at its input is (0, 5).
    assert_eq!(e.layers[1].relevance.iter().copied().collect::<Vec<_>>(), vec![0.0, 5.0]);
}

#[test]
fn gradient_times_input_books_each_layer_between_its_output_and_its_input() {
    // Gradient × activation at each layer's input (one-hot on the only output):
    // layer 0 (Linear) input x = (1, 1), ∂f/∂x = (5, 5): 10;
    // layer 1 (ReLU) input z = (0, 2.5), ∂f/∂z = (0, 5): 12.5;
    // layer 2 (Linear) input a = (0, 2.5), ∂f/∂a = (3, 5): 12.5;
    // the output 13.5 with gradient 1: 13.5.
    let model = kink_model();
    let x = model.batch(&[1.0, 1.0]).unwrap();
    let e = explain(&model, x, &parse("gradient-x-input", &model), &one_hot()).unwrap();
    assert_eq!(e.relevance.iter().copied().collect::<Vec<_>>(), vec![5.0, 5.0]);
    let books: Vec<(f32, f32)> = e.layers.iter().map(|l| (l.books[0].entering, l.books[0].leaving)).collect();
    assert_eq!(books, vec![(12.5, 10.0), (12.5, 12.5), (13.5, 12.5)]);
    for layer in &e.layers {
        let b = layer.books[0];
        assert_eq!((b.bias, b.stabilizer, b.gated), (0.0, 0.0, 0.0), "gradient × input records no absorption");
    }
}

#[test]
fn rules_made_for_a_model_whose_first_layers_match_are_refused() {
    // The rules of a 2-layer MLP fit the first three layers of a 3-layer one exactly;
    // they are still for another model.
    let small = kink_model();
    let large = model(
        &mlp_description(&[2, 2, 2, 1], [0.0, 1.0]),
        &[
            ("0.weight", vec![2, 2], vec![1.0; 4]),
            ("0.bias", vec![2], vec![0.0; 2]),
            ("2.weight", vec![2, 2], vec![1.0; 4]),
            ("2.bias", vec![2], vec![0.0; 2]),
            ("4.weight", vec![1, 2], vec![1.0; 2]),
            ("4.bias", vec![1], vec![0.0]),
        ],
    );
    let x = large.batch(&[0.5, 0.5]).unwrap();
    for (rules_of, runs_on) in [(&small, &large), (&large, &small)] {
        let message =
            explain(runs_on, x.clone(), &parse("epsilon", rules_of), &Options::default()).unwrap_err().to_string();
        assert!(message.contains("another model"), "{message}");
    }
}

#[test]
fn a_target_reads_from_json_and_from_text() {
    let json = |text: &str| serde_json::from_str::<Target>(text).map_err(|e| e.to_string());
    assert_eq!(json("\"predicted\""), Ok(Target::Predicted));
    assert_eq!(json("3"), Ok(Target::Class(3)));
    assert_eq!(json("\"7\""), Ok(Target::Class(7)));
    assert_eq!(json("0.0"), Ok(Target::Class(0)));
    assert_eq!(json("2.0"), Ok(Target::Class(2)));
    for bad in ["-1", "-1.0", "2.5", "1e15", "1e16", "\"likely\"", "\"-2\""] {
        assert!(json(bad).is_err(), "{bad} accepted as {:?}", json(bad));
    }
    assert!(json("-1").unwrap_err().contains("expected a class index, got -1"));
    assert!(json("2.5").unwrap_err().contains("got 2.5"));
    assert!(json("true").unwrap_err().contains("expected \"predicted\" or a class index"), "{:?}", json("true"));
    assert_eq!(serde_json::to_string(&Target::Predicted).unwrap(), "\"predicted\"");
    assert_eq!(serde_json::to_string(&Target::Class(4)).unwrap(), "4");
    assert_eq!("predicted".parse::<Target>().unwrap(), Target::Predicted);
    assert_eq!("9".parse::<Target>().unwrap(), Target::Class(9));
    assert!("nine"
        .parse::<Target>()
        .unwrap_err()
        .to_string()
        .contains("target: expected `predicted` or a class index"));
}

#[test]
fn smoothgrad_noise_is_splitmix64_through_box_muller() {
    use lrp::random::Random;
    // SplitMix64's published reference outputs for seed 0 (Vigna's splitmix64.c).
    let outputs: [u64; 4] =
        [0xe220_a839_7b1d_cdaf, 0x6e78_9e6a_a1b9_65f4, 0x06c4_5d18_8009_454f, 0xf88b_b8a8_724c_81ec];
    let uniform = |k: usize| (outputs[k] >> 11) as f64 / (1u64 << 53) as f64;
    // Box–Muller: two uniforms give r·cos θ and then r·sin θ.
    let mut expected = vec![];
    for pair in [0, 2] {
        let radius = (-2.0 * (1.0 - uniform(pair)).ln()).sqrt();
        let angle = std::f64::consts::TAU * uniform(pair + 1);
        expected.extend([radius * angle.cos(), radius * angle.sin()]);
    }
    let mut normal = Random::new(0);
    let drawn: Vec<f64> = (0..4).map(|_| normal.normal()).collect();
    for (d, e) in drawn.iter().zip(&expected) {
        assert!((d - e).abs() <= 1e-12, "{drawn:?} vs {expected:?}");
    }
    // And the draws are standard normal: mean 0, variance 1, half below zero, 68% within ±1.
    let mut normal = Random::new(12345);
    let n = 200_000;
    let draws: Vec<f64> = (0..n).map(|_| normal.normal()).collect();
    let mean = draws.iter().sum::<f64>() / n as f64;
    let variance = draws.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
    let below = draws.iter().filter(|&&v| v < 0.0).count() as f64 / n as f64;
    let within = draws.iter().filter(|&&v| v.abs() < 1.0).count() as f64 / n as f64;
    assert!(mean.abs() < 0.01 && (variance - 1.0).abs() < 0.02, "mean {mean}, variance {variance}");
    assert!((below - 0.5).abs() < 0.01 && (within - 0.6827).abs() < 0.01, "{below} below 0, {within} within ±1");
}

#[test]
fn parameter_values_read_from_json_by_name_and_leave_other_keys_alone() {
    use lrp::lrp::ParameterValues;
    let read = |text: &str| serde_json::from_str::<ParameterValues>(text).map_err(|e| e.to_string());
    let values = read(r#"{"epsilon": 0.5, "steps": 3, "low": -1}"#).unwrap();
    assert_eq!((values.epsilon, values.steps, values.low, values.gamma), (Some(0.5), Some(3.0), Some(-1.0), None));
    assert_eq!(values.given().collect::<Vec<_>>(), vec![("epsilon", 0.5), ("low", -1.0), ("steps", 3.0)]);
    assert!(read(r#"{"sigma": 1}"#).unwrap_err().contains("sigma: unknown parameter"));
    assert!(read(r#"{"gamma": "big"}"#).unwrap_err().contains("gamma: expected a number"));
    assert!(read("[1, 2]").unwrap_err().contains("expected method parameters by name"), "{:?}", read("[1, 2]"));
    // Flattened beside other options (as the module's explain options are), it takes
    // exactly the parameters' keys and leaves the rest to the other fields.
    #[derive(serde::Deserialize)]
    struct Request {
        model: String,
        #[serde(flatten)]
        parameters: ParameterValues,
        #[serde(flatten)]
        rest: std::collections::BTreeMap<String, serde_json::Value>,
    }
    let request: Request =
        serde_json::from_str(r#"{"model": "cnn", "gamma": 0.75, "window": 5, "colour": "red"}"#).unwrap();
    assert_eq!(request.model, "cnn");
    assert_eq!(request.parameters.given().collect::<Vec<_>>(), vec![("gamma", 0.75), ("window", 5.0)]);
    assert_eq!(request.rest.keys().collect::<Vec<_>>(), ["colour"]);
}

/// One Linear layer (no ReLU) with these weights and bias, on inputs in [0, 1].
fn linear(weights: &[f32], bias: f32) -> Model {
    let n = weights.len();
    model(
        &mlp_description(&[n, 1], [0.0, 1.0]),
        &[("0.weight", vec![1, n], weights.to_vec()), ("0.bias", vec![1], vec![bias])],
    )
}

fn relevance(model: &Model, x: &[f32], method: &str, values: &[(&str, f64)]) -> Vec<f32> {
    let method = Method::parse(method, &common::params(values), model).unwrap();
    explain(model, model.batch(x).unwrap(), &method, &one_hot()).unwrap().relevance.iter().copied().collect()
}

#[test]
fn stabilisers_are_zennits_1e6_and_count_zero_as_positive() {
    // A single weight of 1e-6 on x = 1: the pre-activation (and every rule's
    // denominator but w²'s and flat's) is of the size of the stabiliser, which
    // therefore takes a fixed share: z / (z + 1e-6) of the relevance passes.
    let tiny = linear(&[1e-6], 0.0);
    let passed = |method: &str, values: &[(&str, f64)]| relevance(&tiny, &[1.0], method, values)[0];
    let close = |a: f32, b: f32| (a - b).abs() <= 1e-4 * b.abs();
    assert!(close(passed("z-plus", &[]), 0.5), "{}", passed("z-plus", &[]));
    assert!(close(passed("z-box", &[("low", 0.0), ("high", 1.0)]), 0.5));
    // γ: the denominator is (1 + γ)·z.
    assert!(close(passed("gamma", &[("gamma", 0.25)]), 1.25 / 2.25));
    // α2β1: the positive group passes α·½; the negative one has nothing to pass.
    assert!(close(passed("alpha-beta", &[("alpha", 2.0), ("beta", 1.0)]), 1.0));
    // w²: w² / (w² + 1e-6) of it.
    assert!(close(passed("w-square", &[]), 1e-12 / (1e-12 + 1e-6)), "{}", passed("w-square", &[]));
    // LRP-0 has no stabiliser at all; ε has its own.
    assert_eq!(passed("lrp-0", &[]), 1.0);
    assert!(close(passed("epsilon", &[("epsilon", 1e-6)]), 0.5));

    // z = 1 − 1 = 0 exactly: ε·sign(0) = +ε, so s = 1 / ε and x ⊙ w·s = (2, −2) for ε = ½.
    let balanced = linear(&[1.0, -1.0], 0.0);
    assert_eq!(relevance(&balanced, &[1.0, 1.0], "epsilon", &[("epsilon", 0.5)]), vec![2.0, -2.0]);
    let z_plus = relevance(&balanced, &[1.0, 1.0], "z-plus", &[]);
    assert!(close(z_plus[0], 1.0 / (1.0 + 1e-6)) && z_plus[1] == 0.0, "z⁺'s denominator is x·w⁺ = 1: {z_plus:?}");
}

#[test]
fn average_pooling_shares_relevance_by_contribution_with_zennits_stabiliser() {
    // AvgPool(1×2) → Flatten → Linear(1 → 1, w = 1, b = 0) on x = (1e-6, 1e-6):
    // the output relevance 1 reaches the pooled value a = 1e-6 whole (LRP-0), and the
    // pool passes a / (a + 1e-6) = ½ of it on, x_i / 2 / (a + 1e-6) = ¼ to each input.
    let description = serde_json::json!({
        "format": "lrp-model/1", "name": "pool", "input_shape": [1, 1, 2], "input_range": [0.0, 1.0],
        "classes": ["0"], "weights": "pool.safetensors",
        "layers": [
            {"type": "AvgPool2d", "kernel_size": [1, 2], "stride": [1, 2], "padding": [0, 0]},
            {"type": "Flatten"},
            {"type": "Linear", "in_features": 1, "out_features": 1,
             "tensors": {"weight": {"name": "2.weight", "shape": [1, 1]}, "bias": {"name": "2.bias", "shape": [1]}}}
        ],
        "card": {"parameters": 2, "test_correct": 0, "test_total": 0, "test_accuracy": 0.0}
    });
    let pool = model(&description, &[("2.weight", vec![1, 1], vec![1.0]), ("2.bias", vec![1], vec![0.0])]);
    let r = relevance(&pool, &[1e-6, 1e-6], "lrp-0", &[]);
    assert!(r.iter().all(|&v| (v - 0.25).abs() < 1e-5), "{r:?}");
    // Uneven inputs share in proportion: (3e-6, 1e-6) average 2e-6, which passes 2/3.
    let r = relevance(&pool, &[3e-6, 1e-6], "lrp-0", &[]);
    assert!((r[0] - 0.5).abs() < 1e-5 && (r[1] - 1.0 / 6.0).abs() < 1e-5, "{r:?}");
}

#[test]
fn smoothgrad_of_one_sample_is_the_plain_gradient() {
    // The last sample is noise-free (as Zennit), so one sample is the gradient itself,
    // however loud the noise (σ = 10 × the input's range of ½); with more, the noise
    // turns hidden units on and off and the mean moves.
    let model = kink_model();
    let x = model.batch(&[0.5, 1.0]).unwrap();
    let gradient = explain(&model, x.clone(), &parse("gradient", &model), &one_hot()).unwrap().relevance;
    let smooth = |samples: f64| {
        let p = common::params(&[("noise", 10.0), ("samples", samples), ("seed", 3.0)]);
        explain(&model, x.clone(), &Method::parse("smoothgrad", &p, &model).unwrap(), &one_hot()).unwrap().relevance
    };
    assert_eq!(smooth(1.0), gradient);
    assert_ne!(smooth(8.0), gradient);
}

#[test]
fn smoothgrad_noise_is_scaled_by_the_range_of_each_input() {
    // x = (0.5, 1): σ = noise × (1 − 0.5) = ½ for noise 1. Hidden unit 1 sees
    // z₁ = x₁ − x₂ + σ(d₁ − d₂) = −½ + d₁/2 for a draw d = (d₁, 0): off (gradient (5, 5))
    // for d₁ = 0.75, on (gradient 3·(1, −1) + 5·(1, 1) = (8, 2)) for d₁ = 1.25. The
    // mean with the noise-free gradient (5, 5) is (5, 5) and (6.5, 3.5).
    use lrp::lrp::baseline::smoothgrad_with_noise;
    let model = kink_model();
    let x = model.batch(&[0.5, 1.0]).unwrap();
    let one = ndarray::ArrayD::from_elem(ndarray::IxDyn(&[1, 1]), 1.0f32);
    let draw = |d1: f32| ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[1, 2]), vec![d1, 0.0]).unwrap();
    let mean = |d1: f32| {
        smoothgrad_with_noise(&model, &x, &one, 1.0, &[draw(d1)]).unwrap().iter().copied().collect::<Vec<f32>>()
    };
    assert_eq!(mean(0.75), vec![5.0, 5.0]);
    assert_eq!(mean(1.25), vec![6.5, 3.5]);
}
