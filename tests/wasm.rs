//! The browser module (the JavaScript API in src/wasm.rs, compiled to wasm) gives the
//! same relevance as the native build for every method on every model, and turns
//! bad arguments into JavaScript errors. Runs in Node through wasm-bindgen-test:
//! `cargo test --release --target wasm32-unknown-unknown --test wasm`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Float32Array, Object, Reflect};
use lrp::lrp::METHODS;
use lrp::{embedded, wasm};
use safetensors::SafeTensors;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const NATIVE: &[u8] = include_bytes!("fixtures/native.safetensors");

fn floats(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).unwrap()
}

fn params(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (k, v) in entries {
        Reflect::set(&object, &(*k).into(), v).unwrap();
    }
    object.into()
}

fn message(error: wasm_bindgen::JsError) -> String {
    let value: JsValue = error.into();
    assert!(value.is_instance_of::<js_sys::Error>(), "a JavaScript Error");
    get(&value, "message").as_string().unwrap()
}

#[wasm_bindgen_test]
fn wasm_explanations_equal_the_native_ones() {
    let native = SafeTensors::deserialize(NATIVE).unwrap();
    let pixels: JsValue = Float32Array::from(floats(native.tensor("input").unwrap().data()).as_slice()).into();
    for model in embedded::all().unwrap() {
        let parametrised = model.layers().iter().filter(|l| l.bias().is_some()).count();
        for info in METHODS {
            let mut entries = vec![("model", JsValue::from(model.name()))];
            if info.name == "custom" {
                let layers: Array = (0..parametrised).map(|i| JsValue::from(if i == 0 { "z-box" } else { "epsilon" })).collect();
                entries.push(("layers", layers.into()));
            }
            let result = wasm::explain(pixels.clone(), info.name.into(), params(&entries)).unwrap();
            let ours = Float32Array::from(get(&result, "relevance")).to_vec();
            let expected = floats(native.tensor(&format!("{}/{}", model.name(), info.name)).unwrap().data());
            let scale = expected.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
            let worst = ours.iter().zip(&expected).fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
            assert!(worst <= 1e-5 * scale, "{} {}: wasm differs from native by {worst} (scale {scale})", model.name(), info.name);
            assert_eq!(get(&result, "prediction").as_f64(), Some(7.0), "test digit 0 is a 7");
        }
    }
}

#[wasm_bindgen_test]
fn the_result_carries_scores_layers_and_books() {
    let native = SafeTensors::deserialize(NATIVE).unwrap();
    let pixels: JsValue = Float32Array::from(floats(native.tensor("input").unwrap().data()).as_slice()).into();
    let result = wasm::explain(pixels, "epsilon".into(), params(&[("model", "cnn".into()), ("epsilon", 0.1.into())])).unwrap();
    let probabilities = Float32Array::from(get(&result, "probabilities")).to_vec();
    assert_eq!(probabilities.len(), 10);
    assert!((probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    let confidence = get(&result, "confidence").as_f64().unwrap();
    assert!(confidence > 0.0 && confidence <= 1.0);
    let layers = Array::from(&get(&result, "layers"));
    assert_eq!(layers.length(), 10);
    let first = layers.get(0);
    assert_eq!(get(&first, "rule").as_string().as_deref(), Some("epsilon(0.1)"));
    let shape: Vec<f64> = Array::from(&get(&first, "shape")).iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(shape, vec![1.0, 28.0, 28.0]);
    let books = get(&first, "books");
    let (entering, leaving) = (get(&books, "entering").as_f64().unwrap(), get(&books, "leaving").as_f64().unwrap());
    assert!(leaving <= entering + 1e-3);
    let sum = get(&result, "relevanceSum").as_f64().unwrap();
    assert!((sum - get(&first, "sum").as_f64().unwrap()).abs() < 1e-4);
}

#[wasm_bindgen_test]
fn bad_arguments_throw_errors_that_name_them_and_the_module_keeps_working() {
    let good: JsValue = Float32Array::new_with_length(784).into();
    let short: JsValue = Float32Array::new_with_length(783).into();
    let nan = Float32Array::new_with_length(784);
    nan.set_index(3, f32::NAN);
    let over = Array::new();
    (0..784).for_each(|i| {
        over.push(&JsValue::from(if i == 9 { 1.5 } else { 0.0 }));
    });
    let none = JsValue::UNDEFINED;
    let cases: Vec<(JsValue, JsValue, JsValue, &str)> = vec![
        (short, "epsilon".into(), none.clone(), "pixels: expected 784 values, got 783"),
        (nan.into(), "epsilon".into(), none.clone(), "pixels[3]"),
        (over.into(), "epsilon".into(), none.clone(), "pixels[9]: expected a number from 0 to 1, got 1.5"),
        ("digits".into(), "epsilon".into(), none.clone(), "pixels: expected a Float32Array"),
        (good.clone(), "lrp-9".into(), none.clone(), "unknown method `lrp-9`"),
        (good.clone(), 7.into(), none.clone(), "rule: expected a method name"),
        (good.clone(), "epsilon".into(), params(&[("epsilon", (-1.0).into())]), "epsilon: expected a number from 0"),
        (good.clone(), "epsilon".into(), params(&[("epsilon", "big".into())]), "params.epsilon: expected a number"),
        (good.clone(), "epsilon".into(), params(&[("model", "resnet".into())]), "unknown model `resnet`"),
        (good.clone(), "epsilon".into(), params(&[("target", 12.into())]), "target: expected a class from 0 to 9, got 12"),
        (good.clone(), "epsilon".into(), params(&[("target", "best".into())]), "target: expected `predicted`"),
        (good.clone(), "epsilon".into(), params(&[("output", "all".into())]), "output: expected `score` or `one-hot`"),
        (good.clone(), "epsilon".into(), params(&[("zeroBias", 1.into())]), "params.zeroBias: expected true or false"),
        (good.clone(), "custom".into(), params(&[("layers", "epsilon".into())]), "params.layers: expected an array"),
        (good.clone(), "epsilon".into(), "cnn".into(), "params: expected an object"),
    ];
    for (pixels, rule, p, expected) in cases {
        let error = message(wasm::explain(pixels, rule, p).unwrap_err());
        assert!(error.contains(expected), "{error:?} should contain {expected:?}");
        // ...and the module still works.
        let ok = wasm::explain(good.clone(), "epsilon".into(), JsValue::UNDEFINED).unwrap();
        assert_eq!(Float32Array::from(get(&ok, "relevance")).length(), 784);
    }
    assert!(message(wasm::classify(Float32Array::new_with_length(5).into(), None).unwrap_err()).contains("784"));
}

#[wasm_bindgen_test]
fn the_catalogues_list_models_and_methods() {
    let models = Array::from(&wasm::models().unwrap());
    assert_eq!(models.length(), 3);
    let methods = Array::from(&wasm::methods().unwrap());
    assert_eq!(methods.length() as usize, METHODS.len());
    let epsilon = methods.iter().find(|m| get(m, "name").as_string().as_deref() == Some("epsilon")).unwrap();
    let param = Array::from(&get(&epsilon, "params")).get(0);
    assert_eq!(get(&param, "default").as_f64(), Some(0.25));
    assert_eq!(get(&get(&models.get(2), "card"), "test_correct").as_f64(), Some(embedded::get("cnn").unwrap().card().test_correct as f64));
}
