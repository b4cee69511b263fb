//! Every method on every model for test digit 0, and the feature-removal curves of the
//! first test digits, as computed natively, equal the committed snapshot
//! tests/fixtures/native.safetensors: a guard against unintended changes (the Zennit
//! parity test has no SmoothGrad with our own noise, for one), and the reference the
//! wasm tests (tests/wasm.rs) and the CLI test of `lrp evaluate` hold those to.
//!
//! After an intended change, `UPDATE_FIXTURES=1 cargo test --release --test
//! native_fixture` rewrites the snapshot and fails, so that the new one is looked at
//! (`git diff --stat`) before a run without the variable passes.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::BTreeMap;

use common::{f32_bytes, floats, max_abs, max_diff, method, ROOT};
use lrp::evaluation::{evaluate, Imputation, Ranking, Removal, Schedule};
use lrp::lrp::METHODS;
use lrp::{embedded, explain, Options};
use safetensors::tensor::{serialize, TensorView};
use safetensors::{Dtype, SafeTensors};

fn path() -> String {
    format!("{ROOT}/tests/fixtures/native.safetensors")
}

/// Test digit 0 and, for each model and method at its defaults, its relevance.
fn compute() -> BTreeMap<String, Vec<f32>> {
    let (images, _) = common::test_split();
    let digit = &images[..784];
    let mut maps = BTreeMap::new();
    maps.insert("input".to_string(), digit.to_vec());
    for model in embedded::all().unwrap() {
        for info in METHODS {
            let e = explain(model, model.batch(digit).unwrap(), &method(info.name, &[], model), &Options::default())
                .unwrap();
            maps.insert(format!("{}/{}", model.name(), info.name), e.relevance.iter().copied().collect());
        }
    }
    // Curves: the first CURVE_INPUTS digits, ε and the random order, every removal and order.
    let inputs = &images[..CURVE_INPUTS * 784];
    maps.insert("curve-inputs".to_string(), inputs.to_vec());
    for model in embedded::all().unwrap() {
        for ranking in
            [Ranking::Method { name: "epsilon".into(), method: method("epsilon", &[], model) }, Ranking::Random]
        {
            for imputation in Imputation::ALL {
                let removal = Removal { imputation, schedule: CURVE_SCHEDULE, seed: 0 };
                let (_, kept) = evaluate(model, &ranking, inputs, None, &removal, 0, true).unwrap();
                for (order, _) in &kept[0].curves {
                    let curves = kept.iter().map(|k| &k.curves.iter().find(|(o, _)| o == order).unwrap().1);
                    let probability: Vec<f32> = curves.flat_map(|c| c.probability.clone()).collect();
                    maps.insert(curve_key(model.name(), ranking.name(), imputation.name(), order.name()), probability);
                }
            }
        }
    }
    maps
}

/// The curves in the snapshot: digits, and schedule.
pub const CURVE_INPUTS: usize = 4;
pub const CURVE_SCHEDULE: Schedule = Schedule { steps: 10, step_pixels: 20 };

/// `curves/<model>/<method or random>/<removal>/<order>`: the target's probability
/// after each step, input after input.
pub fn curve_key(model: &str, ranking: &str, removal: &str, order: &str) -> String {
    format!("curves/{model}/{ranking}/{removal}/{order}")
}

#[test]
fn native_results_match_the_committed_snapshot() {
    let maps = compute();
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        let bytes: Vec<(String, Vec<u8>)> = maps.iter().map(|(k, v)| (k.clone(), f32_bytes(v))).collect();
        let views = bytes.iter().map(|(k, v)| (k.clone(), TensorView::new(Dtype::F32, vec![v.len() / 4], v).unwrap()));
        std::fs::write(path(), serialize(views, None).unwrap()).unwrap();
        panic!("rewrote {}: check it (git diff --stat), then run again without UPDATE_FIXTURES", path());
    }
    let bytes = std::fs::read(path()).expect("tests/fixtures/native.safetensors (UPDATE_FIXTURES=1 writes it)");
    let snapshot = SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(snapshot.len(), maps.len(), "one map per model and method, and the input");
    for (name, ours) in &maps {
        let stored =
            floats(snapshot.tensor(name).unwrap_or_else(|_| panic!("{name} missing from the snapshot")).data());
        let scale = max_abs(stored.iter().copied()).max(1e-12);
        let worst = max_diff(ours, &stored);
        assert!(worst <= 1e-5 * scale, "{name}: {worst} (scale {scale}); UPDATE_FIXTURES=1 after an intended change");
    }
}
