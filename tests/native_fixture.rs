//! Every method on every model for test digit 0, as computed natively: the snapshot
//! in tests/fixtures/native.safetensors that the wasm tests (tests/wasm.rs) compare
//! the browser module against. `UPDATE_FIXTURES=1 cargo test --release --test
//! native_fixture` rewrites it after an intended change.
#![cfg(not(target_arch = "wasm32"))] // native: reads files, runs the CLI

mod common;

use std::collections::BTreeMap;

use lrp::lrp::METHODS;
use lrp::{embedded, explain, Method, Options, Params};
use safetensors::tensor::{serialize, TensorView};
use safetensors::{Dtype, SafeTensors};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/native.safetensors");

/// `custom` needs one rule per layer with parameters: z^B on the pixels, ε above.
pub fn params_for(method: &str, parametrised_layers: usize) -> Params {
    let mut params = Params::default();
    if method == "custom" {
        params.layers = (0..parametrised_layers).map(|i| if i == 0 { "z-box" } else { "epsilon" }.to_string()).collect();
    }
    params
}

#[test]
fn native_results_match_the_committed_snapshot() {
    let (images, _) = common::test_split();
    let digit = &images[..784];
    let mut maps: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    maps.insert("input".into(), digit.iter().flat_map(|v| v.to_le_bytes()).collect());
    for model in embedded::all().unwrap() {
        let parametrised = model.layers().iter().filter(|l| l.bias().is_some()).count();
        for info in METHODS {
            let method = Method::parse(info.name, &params_for(info.name, parametrised), [0.0, 1.0]).unwrap();
            let e = explain(model, model.batch(digit).unwrap(), &method, &Options::default()).unwrap();
            maps.insert(format!("{}/{}", model.name(), info.name), e.relevance.iter().flat_map(|v| v.to_le_bytes()).collect());
        }
    }
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        let views = maps.iter().map(|(k, v)| (k.clone(), TensorView::new(Dtype::F32, vec![784], v).unwrap()));
        std::fs::write(PATH, serialize(views, None).unwrap()).unwrap();
    }
    let bytes = std::fs::read(PATH).expect("tests/fixtures/native.safetensors (UPDATE_FIXTURES=1 writes it)");
    let snapshot = SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(snapshot.len(), maps.len(), "one map per model and method");
    for (name, ours) in &maps {
        let stored = snapshot.tensor(name).unwrap_or_else(|_| panic!("{name} missing from the snapshot"));
        let (a, b) = (floats(ours), floats(stored.data()));
        let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
        let worst = a.iter().zip(&b).fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
        assert!(worst <= 1e-5 * scale, "{name}: {worst} (scale {scale}); UPDATE_FIXTURES=1 after an intended change");
    }
}

fn floats(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}
