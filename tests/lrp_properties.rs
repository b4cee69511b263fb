//! Properties every LRP implementation must have, on the shipped models, the test
//! models with average pooling, padding and stride, and real digits.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{assert_close, digits, max_abs, method, run, sums, target_scores, test_model};
use lrp::lrp::rule::InputMod;
use lrp::lrp::{Baseline, METHODS};
use lrp::{catalogue, embedded, Method, Model, Options, OutputRelevance, Target};
use ndarray::Axis;

/// Every model the properties are checked on.
fn models() -> Vec<Model> {
    let mut models: Vec<Model> = embedded::all().unwrap().into_iter().cloned().collect();
    models.extend(["tiny-avgpool", "tiny-strided"].map(test_model));
    models
}

/// The LRP methods of the registry (rules and composites) for `model`.
fn lrp_methods(model: &Model) -> Vec<(&'static str, Method)> {
    METHODS.iter().map(|m| (m.name, method(m.name, &[], model))).filter(|(_, m)| matches!(m, Method::Lrp(_))).collect()
}

#[test]
fn lrp0_and_epsilon_conserve_relevance_without_biases() {
    for model in embedded::all().unwrap() {
        let bias_free = model.without_biases();
        for m in [method("lrp-0", &[], model), method("epsilon", &[("epsilon", 1e-6)], model)] {
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
        let e = run(model, digits(model, 8), &method("lrp-0", &[], model), options);
        for (sum, score) in sums(&e).iter().zip(target_scores(&e)) {
            assert_close(*sum, score, 1e-4, name);
        }
        assert!(e.layers.iter().flat_map(|l| &l.books).all(|b| b.bias == 0.0));
    }
}

#[test]
fn the_books_balance_for_every_method_layer_and_digit() {
    // What enters a layer leaves it, or is absorbed by a bias or a stabiliser, or is
    // stopped by a gate. The four parts are computed separately by the engine
    // (leaving from the relevance passed down, bias from the bias terms, stabiliser
    // from each denominator, gates from the gate masks), so this checks the mechanism.
    for model in models() {
        for (name, m) in lrp_methods(&model) {
            let e = run(&model, digits(&model, 4), &m, Options::default());
            for layer in &e.layers {
                for (n, b) in layer.books.iter().enumerate() {
                    let parts = b.leaving + b.bias + b.stabilizer + b.gated;
                    let scale = [b.entering, b.leaving, b.bias, b.stabilizer, b.gated]
                        .map(f32::abs)
                        .into_iter()
                        .fold(1e-3, f32::max);
                    assert!(
                        (b.entering - parts).abs() <= 1e-4 * scale,
                        "{} {name} {} digit {n}: {b:?} does not balance",
                        model.name(),
                        layer.description
                    );
                }
            }
        }
    }
}

#[test]
fn lrp0_loses_relevance_only_to_biases_and_epsilon_also_to_its_stabiliser() {
    for model in embedded::all().unwrap() {
        let e = run(model, digits(model, 4), &method("lrp-0", &[], model), Options::default());
        for layer in &e.layers {
            for b in &layer.books {
                assert!(b.stabilizer.abs() <= 1e-4 * b.entering.abs().max(1.0), "{}: {b:?}", layer.description);
                assert_eq!(b.gated, 0.0);
            }
        }
        // The bias books are not trivially zero: the shipped models have biases.
        assert!(e.layers.iter().any(|l| l.books.iter().any(|b| b.bias.abs() > 1e-3)));
        let e = run(model, digits(model, 4), &method("epsilon", &[("epsilon", 1.0)], model), Options::default());
        let absorbed: f32 = e.layers.iter().map(|l| l.books[0].stabilizer).sum();
        assert!(absorbed.abs() > 1e-2, "{}: ε = 1 absorbs some relevance ({absorbed})", model.name());
    }
}

#[test]
fn alpha_beta_conserves_relevance_without_biases() {
    // With α − β = 1 each neuron passes α·R − β·R = R, as long as it has both positive
    // and negative contributions (α1β0: positive ones, which every active neuron has).
    for model in embedded::all().unwrap() {
        let bias_free = model.without_biases();
        for (alpha, beta) in [(1.0, 0.0), (2.0, 1.0)] {
            let m = method("alpha-beta", &[("alpha", alpha), ("beta", beta)], model);
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
    for model in models() {
        let options = Options { output: OutputRelevance::OneHot, ..Options::default() };
        let e = run(&model, digits(&model, 8), &method("z-plus", &[], &model), options);
        for layer in &e.layers {
            let min = layer.relevance.iter().copied().fold(f32::INFINITY, f32::min);
            assert!(min >= 0.0, "{} {}: {min}", model.name(), layer.description);
        }
        assert!(e.relevance.iter().any(|&r| r > 0.0));
    }
}

/// Whether every term of the first rule multiplies by the input (so that a blank input gets nothing).
fn weighs_by_input(m: &Method) -> bool {
    match m {
        Method::Lrp(rules) => rules
            .iter()
            .flatten()
            .next()
            .unwrap()
            .groups
            .iter()
            .flat_map(|g| &g.terms)
            .all(|t| matches!(t.input, InputMod::Identity | InputMod::Positive | InputMod::Negative)),
        Method::Baseline(b) => matches!(b, Baseline::GradientTimesInput | Baseline::IntegratedGradients { .. }),
    }
}

#[test]
fn an_all_zero_input_gets_zero_relevance_from_methods_that_weigh_by_the_input() {
    for model in models() {
        let blank = model.batch(&vec![0.0; model.input_len()]).unwrap();
        let mut checked = 0;
        for info in METHODS {
            let m = method(info.name, &[], &model);
            let e = run(&model, blank.clone(), &m, Options::default());
            assert!(e.relevance.iter().all(|r| r.is_finite()), "{} {}: not finite", model.name(), info.name);
            if weighs_by_input(&m) {
                assert!(e.relevance.iter().all(|&r| r == 0.0), "{} {}", model.name(), info.name);
                checked += 1;
            }
        }
        assert!(checked >= 6, "{}: {checked} methods weigh by the input", model.name());
        // Flat spreads relevance by connectivity alone, so even a blank input gets some.
        let flat = run(&model, blank, &method("flat", &[], &model), Options::default());
        assert!(flat.relevance.iter().any(|&r| r != 0.0));
    }
}

#[test]
fn explanations_are_deterministic_and_independent_of_the_batch() {
    for model in models() {
        for info in METHODS {
            let m = method(info.name, &[], &model);
            let batch = run(&model, digits(&model, 3), &m, Options::default());
            let again = run(&model, digits(&model, 3), &m, Options::default());
            assert_eq!(batch.relevance, again.relevance, "{} {}", model.name(), info.name);
            // The first and the last input of the batch, explained alone.
            let images = digits(&model, 3);
            for n in [0, 2] {
                let one = images.index_axis(Axis(0), n).insert_axis(Axis(0)).to_owned();
                let alone = run(&model, one, &m, Options::default());
                let in_batch = batch.relevance.index_axis(Axis(0), n);
                let scale = max_abs(in_batch.iter().copied()).max(1e-12);
                let worst = common::max_diff(in_batch.iter(), alone.relevance.iter());
                assert!(worst <= 1e-5 * scale, "{} {} input {n}: batch vs alone {worst}", model.name(), info.name);
            }
        }
    }
    let model = embedded::get("cnn").unwrap();
    let seeded = |seed| {
        run(model, digits(model, 1), &method("smoothgrad", &[("seed", seed)], model), Options::default()).relevance
    };
    assert_eq!(seeded(7.0), seeded(7.0));
    assert_ne!(seeded(7.0), seeded(8.0));
}

#[test]
fn any_class_can_be_explained_and_one_hot_scales_the_score_away() {
    let model = embedded::get("mlp-wide").unwrap();
    let x = digits(model, 1);
    let m = method("epsilon", &[], model);
    let score = run(model, x.clone(), &m, Options::default());
    let one_hot = run(model, x.clone(), &m, Options { output: OutputRelevance::OneHot, ..Options::default() });
    let logit = target_scores(&score)[0];
    for (s, o) in score.relevance.iter().zip(one_hot.relevance.iter()) {
        assert!((s - o * logit).abs() <= 1e-5 * logit.abs(), "score mode is one-hot mode times the score");
    }
    let other = run(model, x, &m, Options { target: Target::Class(3), ..Options::default() });
    assert_eq!(other.targets, vec![3]);
    assert_eq!(other.output_relevance.iter().filter(|&&v| v != 0.0).count(), 1);
    assert_eq!(other.output_relevance[[0, 3]], other.logits[[0, 3]]);
    assert_ne!(other.relevance, score.relevance);
}

#[test]
fn the_catalogue_lists_the_rules_that_explain_applies() {
    for model in models() {
        for info in catalogue(&model) {
            let m = method(info.name, &[], &model);
            let e = run(&model, digits(&model, 1), &m, Options::default());
            match (&info.layer_rules, info.name) {
                (Some(_), "custom") | (None, _) => {}
                (Some(listed), name) => {
                    let applied: Vec<Option<String>> =
                        e.layers.iter().map(|l| l.rule.as_ref().map(|r| r.to_string())).collect();
                    let listed: Vec<Option<String>> =
                        listed.iter().map(|r| r.as_ref().map(|r| r.label.clone())).collect();
                    assert_eq!(applied, listed, "{} {name}", model.name());
                }
            }
            assert_eq!(info.layer_rules.is_some(), matches!(m, Method::Lrp(_)), "{}", info.name);
        }
    }
}

#[test]
fn composites_give_each_layer_the_rule_of_its_position() {
    let label = |model: &Model, name: &str| -> Vec<String> {
        let Method::Lrp(rules) = method(name, &[], model) else { panic!("{name} is LRP") };
        rules.iter().flatten().map(|r| r.to_string()).collect()
    };
    let cnn = embedded::get("cnn").unwrap();
    let mlp = embedded::get("mlp-narrow").unwrap();
    let strided = test_model("tiny-strided");
    let e = "epsilon(0.25)";
    assert_eq!(label(cnn, "epsilon-gamma-box"), ["z-box(0, 1)", "gamma(0.25)", e, e]);
    assert_eq!(label(mlp, "epsilon-gamma-box"), [e, e, e], "no convolution, no z^B (as Zennit)");
    assert_eq!(label(cnn, "epsilon-plus"), ["z-plus", "z-plus", e, e]);
    assert_eq!(label(cnn, "epsilon-plus-flat"), ["flat", "z-plus", e, e]);
    assert_eq!(label(mlp, "epsilon-plus-flat"), ["flat", e, e]);
    assert_eq!(label(cnn, "epsilon-alpha2-beta1"), ["alpha-beta(2, 1)", "alpha-beta(2, 1)", e, e]);
    assert_eq!(label(mlp, "epsilon-alpha2-beta1-flat"), ["flat", e, e]);
    assert_eq!(label(cnn, "montavon"), ["z-box(0, 1)", "gamma(0.25)", e, "lrp-0"]);
    assert_eq!(label(mlp, "montavon"), ["z-box(0, 1)", e, "lrp-0"]);
    assert_eq!(label(&strided, "montavon"), ["z-box(0, 1)", "gamma(0.25)", "lrp-0"]);
}

#[test]
fn without_biases_gradient_times_input_adds_up_to_the_score() {
    // Euler: a network of linear maps, ReLU and pooling without biases is positively
    // homogeneous, so f(x) = ⟨∇f(x), x⟩ exactly, whatever the ReLU pattern or the
    // max-pooling ties: an independent check of every layer's transpose (padding,
    // stride, both poolings).
    for model in models() {
        let bias_free = model.without_biases();
        let options = Options { output: OutputRelevance::OneHot, ..Options::default() };
        let e = run(&bias_free, digits(&model, 4), &method("gradient-x-input", &[], &model), options);
        let scores = target_scores(&e);
        assert!(scores.iter().any(|s| s.abs() > 1e-2), "{}: a non-trivial score", model.name());
        for (n, (sum, score)) in sums(&e).iter().zip(&scores).enumerate() {
            assert_close(*sum, *score, 1e-4, &format!("{} digit {n}", model.name()));
        }
    }
}
