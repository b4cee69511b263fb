//! The feature-removal evaluation on real models: the properties that make it worth
//! running (relevance-ordered removal beats random removal on the shipped CNN), its
//! independence of batching, and occlusion sensitivity against a hand computation.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{method, mlp_description, model, test_split};
use lrp::evaluation::{evaluate, Imputation, Order, Ranking, Removal, ReportSplit, Schedule, Tally};
use lrp::{embedded, explain, Options, Params};

/// The mean score over the steps (the area under the curve) of one order, all inputs.
fn score_area(tally: &Tally, order: Order) -> f64 {
    let report = tally.report(0).unwrap();
    let curve = report.curves.iter().find(|c| c.order == order && c.split == ReportSplit::All).unwrap();
    curve.score.iter().sum::<f64>() / curve.score.len() as f64
}

#[test]
fn on_the_cnn_relevant_pixels_carry_the_decision_and_irrelevant_ones_do_not() {
    let cnn = embedded::get("cnn").unwrap();
    let (images, labels) = test_split();
    let n = 64;
    let (pixels, labels) = (&images[..n * 784], &labels[..n]);
    let epsilon = Ranking::Method { name: "epsilon".into(), method: method("epsilon", &[], cnn) };
    for imputation in [Imputation::Zero, Imputation::Road] {
        let removal = Removal { imputation, schedule: Schedule::default(), seed: 0 };
        let (lrp, _) = evaluate(cnn, &epsilon, pixels, Some(labels), &removal, 0, false).unwrap();
        let (random, _) = evaluate(cnn, &Ranking::Random, pixels, Some(labels), &removal, 0, false).unwrap();
        let (morf, lerf, reference) =
            (score_area(&lrp, Order::Morf), score_area(&lrp, Order::Lerf), score_area(&random, Order::Random));
        let start = lrp.report(0).unwrap().curves[0].score[0];
        eprintln!("{imputation:?}: start {start} morf {morf} lerf {lerf} random {reference}");
        // Scores start near 15; removing ε's most relevant pixels first loses far more of
        // them than removing random pixels, removing its least relevant first far less.
        assert!(morf < reference - 5.0, "{imputation:?}: MoRF area {morf} vs random {reference} (start {start})");
        assert!(lerf > reference + 0.4, "{imputation:?}: LeRF area {lerf} vs random {reference}");
        let all = |t: &Tally| t.report(5).unwrap().rows.into_iter().find(|r| r.split == ReportSplit::All).unwrap();
        let (lrp_row, random_row) = (all(&lrp), all(&random));
        assert!(lrp_row.aopc > random_row.aopc + 0.3, "{imputation:?}: AOPC {} vs {}", lrp_row.aopc, random_row.aopc);
        assert!(lrp_row.relevance_gain.unwrap() > 0.3, "{imputation:?}: gain {:?}", lrp_row.relevance_gain);
        assert_eq!(random_row.relevance_gain, Some(0.0));
        // More digits flip after 50 of ε's most relevant pixels than after 50 random ones.
        assert!(lrp_row.flipped_k > random_row.flipped_k + 0.3, "{} vs {}", lrp_row.flipped_k, random_row.flipped_k);
    }
}

#[test]
fn an_evaluation_does_not_depend_on_how_the_inputs_are_batched() {
    let model = embedded::get("mlp-narrow").unwrap();
    let (images, labels) = test_split();
    let removal = Removal { imputation: Imputation::Road, schedule: Schedule { steps: 5, step_pixels: 30 }, seed: 7 };
    for ranking in [Ranking::Method { name: "gamma".into(), method: method("gamma", &[], model) }, Ranking::Random] {
        let (whole, kept) =
            evaluate(model, &ranking, &images[..10 * 784], Some(&labels[..10]), &removal, 100, true).unwrap();
        let (mut first, _) =
            evaluate(model, &ranking, &images[..3 * 784], Some(&labels[..3]), &removal, 100, false).unwrap();
        let (second, parts) =
            evaluate(model, &ranking, &images[3 * 784..10 * 784], Some(&labels[3..10]), &removal, 103, true).unwrap();
        first.merge(&second).unwrap();
        let (a, b) = (whole.report(2).unwrap(), first.report(2).unwrap());
        for (x, y) in a.curves.iter().zip(&b.curves) {
            assert_eq!((x.order, x.split, x.inputs), (y.order, y.split, y.inputs));
            for (p, q) in x.probability.iter().zip(&y.probability) {
                assert!((p - q).abs() < 1e-6, "{:?}: {p} vs {q}", x.order);
            }
        }
        assert_eq!(kept[3..], parts[..], "each input's curves depend on its index, not its batch");
        // Another seed shuffles ties, orders and noise otherwise.
        let (other, _) = evaluate(
            model,
            &ranking,
            &images[..10 * 784],
            Some(&labels[..10]),
            &Removal { seed: 8, ..removal },
            100,
            false,
        )
        .unwrap();
        assert_ne!(other.curves, whole.curves);
    }
}

#[test]
fn occlusion_sensitivity_is_the_mean_score_drop_of_the_windows_over_a_pixel() {
    // score = w · x + b on a 1×4 input; windows of 2 at 0, 1, 2 (stride 1), set to `fill`.
    let w = [0.5f32, -1.0, 2.0, 0.25];
    let net = model(
        &mlp_description(&[4, 2], [0.0, 1.0]),
        &[("0.weight", vec![2, 4], [w.to_vec(), vec![0.0; 4]].concat()), ("0.bias", vec![2], vec![0.3, 0.0])],
    );
    let x = [0.2f32, 0.4, 0.6, 0.8];
    for fill in [0.0f32, 0.5] {
        let params = Params::default()
            .with("window", 2.0)
            .unwrap()
            .with("stride", 1.0)
            .unwrap()
            .with("fill", fill as f64)
            .unwrap();
        let m = lrp::Method::parse("occlusion-sensitivity", &params, &net).unwrap();
        let e =
            explain(&net, net.batch(&x).unwrap(), &m, &Options { target: lrp::Target::Class(0), ..Options::default() })
                .unwrap();
        let d = |i: usize| w[i] * (x[i] - fill); // the score lost by filling pixel i
        let windows = [d(0) + d(1), d(1) + d(2), d(2) + d(3)];
        let expected = [windows[0], (windows[0] + windows[1]) / 2.0, (windows[1] + windows[2]) / 2.0, windows[2]];
        let ours: Vec<f32> = e.relevance.iter().copied().collect();
        for (o, e) in ours.iter().zip(expected) {
            assert!((o - e).abs() < 1e-6, "fill {fill}: {ours:?} vs {expected:?}");
        }
    }
    // A stride that skips the last pixel still ends a window at the edge: 1×5, window 2, stride 3.
    assert_eq!(lrp::lrp::baseline::window_starts(5, 2, 3), [0, 3]);
    assert_eq!(lrp::lrp::baseline::window_starts(6, 2, 3), [0, 3, 4]);
    assert_eq!(lrp::lrp::baseline::window_starts(4, 9, 1), [0]);
}

#[test]
fn scores_without_activations_equal_the_forward_pass() {
    let (images, _) = test_split();
    for m in embedded::all().unwrap() {
        let batch = m.batch(&images[..20 * 784]).unwrap();
        let forward = m.forward(batch.clone()).unwrap();
        assert_eq!(m.scores(batch).unwrap(), *forward.logits(), "{}", m.name());
    }
}

/// Found by fuzzing: a batch placed at the very end of the index range (the indices
/// only name random streams) wraps around instead of overflowing.
#[test]
fn a_batch_at_the_end_of_the_index_range_is_evaluated() {
    let model = embedded::get("mlp-narrow").unwrap();
    let (images, _) = test_split();
    let removal = Removal { imputation: Imputation::Road, schedule: Schedule { steps: 3, step_pixels: 20 }, seed: 1 };
    let (_, kept) = evaluate(model, &Ranking::Random, &images[..2 * 784], None, &removal, u64::MAX, true).unwrap();
    assert_eq!(kept.iter().map(|k| k.index).collect::<Vec<_>>(), [u64::MAX, 0]);
    // The second input's curve is the one it has at index 0 (up to the rounding of
    // another batch size).
    let (_, at_zero) = evaluate(model, &Ranking::Random, &images[784..2 * 784], None, &removal, 0, true).unwrap();
    let (a, b) = (&kept[1].curves[0].1, &at_zero[0].curves[0].1);
    assert_eq!((&a.removed, &a.prediction), (&b.removed, &b.prediction));
    assert!(a.score.iter().zip(&b.score).all(|(x, y)| (x - y).abs() < 1e-4), "{a:?} vs {b:?}");
}
