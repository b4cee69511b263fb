//! The browser module (the JavaScript API of src/wasm.rs, compiled to wasm) gives
//! Zennit's relevance and the native build's, returns plain objects with what the
//! types promise, and turns bad arguments into JavaScript errors that name them.
//! Runs in Node: `cargo test --release --target wasm32-unknown-unknown --test wasm`.
#![cfg(target_arch = "wasm32")]

use std::collections::BTreeMap;

use js_sys::{Array, Float32Array, Object, Reflect};
use lrp::lrp::METHODS;
use lrp::{embedded, wasm};
use safetensors::SafeTensors;
use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const NATIVE: &[u8] = include_bytes!("fixtures/native.safetensors");
const ZENNIT_CNN: &[u8] = include_bytes!("fixtures/lrp/cnn.safetensors");
const CASES: &str = include_str!("fixtures/lrp/cases.json");

fn floats(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).unwrap()
}

fn number(object: &JsValue, key: &str) -> f64 {
    get(object, key).as_f64().unwrap_or_else(|| panic!("{key} is a number"))
}

fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (k, v) in entries {
        Reflect::set(&object, &(*k).into(), v).unwrap();
    }
    object.into()
}

fn strings(values: &[&str]) -> JsValue {
    values.iter().map(|v| JsValue::from(*v)).collect::<Array>().into()
}

fn message(error: wasm_bindgen::JsError) -> String {
    let value: JsValue = error.into();
    assert!(value.is_instance_of::<js_sys::Error>(), "a JavaScript Error");
    get(&value, "message").as_string().unwrap()
}

fn relative_difference(ours: &[f32], expected: &[f32]) -> f32 {
    let scale = expected.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
    ours.iter().zip(expected).fold(0.0f32, |m, (a, b)| m.max((a - b).abs())) / scale
}

#[wasm_bindgen_test]
fn wasm_explanations_equal_zennits() {
    #[derive(Deserialize)]
    struct Case {
        id: String,
        method: String,
        params: BTreeMap<String, f64>,
        target: String,
        output: String,
        zero_bias: bool,
    }
    let cases: Value = serde_json::from_str(CASES).unwrap();
    let list: Vec<Case> = serde_json::from_value(cases["cases"].clone()).unwrap();
    let zennit = SafeTensors::deserialize(ZENNIT_CNN).unwrap();
    let inputs = floats(zennit.tensor("inputs").unwrap().data());
    let mut checked = 0;
    for case in list.iter().filter(|c| c.method != "smoothgrad" && c.id != "lrp-0-zero-bias") {
        let targets: Vec<i64> = zennit
            .tensor(&format!("targets/{}", case.target))
            .unwrap()
            .data()
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
            .collect();
        let expected = floats(zennit.tensor(&case.id).unwrap().data());
        for n in [0, 5] {
            let mut entries: Vec<(&str, JsValue)> = vec![
                ("model", "cnn".into()),
                ("target", JsValue::from(targets[n] as f64)),
                ("output", case.output.as_str().into()),
                ("zeroBias", case.zero_bias.into()),
            ];
            let mut numbers: Vec<(String, f64)> = case.params.iter().map(|(k, v)| (k.clone(), *v)).collect();
            let mut layers = vec![];
            if case.method == "custom" {
                for layer in cases["custom_layers"]["cnn"].as_array().unwrap() {
                    layers.push(layer["rule"].as_str().unwrap().to_string());
                    numbers.extend(
                        layer
                            .as_object()
                            .unwrap()
                            .iter()
                            .filter(|(k, _)| *k != "rule")
                            .map(|(k, v)| (k.clone(), v.as_f64().unwrap())),
                    );
                }
                let names: Vec<&str> = layers.iter().map(String::as_str).collect();
                entries.push(("layers", strings(&names)));
            }
            for (k, v) in &numbers {
                entries.push((k.as_str(), (*v).into()));
            }
            let pixels: JsValue = Float32Array::from(&inputs[n * 784..(n + 1) * 784]).into();
            let result = wasm::explain(pixels, case.method.as_str().into(), Some(object(&entries))).unwrap();
            let ours = Float32Array::from(get(&result, "relevance")).to_vec();
            let difference = relative_difference(&ours, &expected[n * 784..(n + 1) * 784]);
            assert!(difference <= 1e-5, "{} digit {n}: {difference:e} relative to Zennit", case.id);
            checked += 1;
        }
    }
    assert!(checked >= 2 * 24, "{checked}");
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
                let layers: Vec<&str> = (0..parametrised).map(|i| if i == 0 { "z-box" } else { "epsilon" }).collect();
                entries.push(("layers", strings(&layers)));
            }
            let result = wasm::explain(pixels.clone(), info.name.into(), Some(object(&entries))).unwrap();
            let ours = Float32Array::from(get(&result, "relevance")).to_vec();
            let expected = floats(native.tensor(&format!("{}/{}", model.name(), info.name)).unwrap().data());
            let difference = relative_difference(&ours, &expected);
            assert!(difference <= 1e-5, "{} {}: wasm differs from native by {difference:e}", model.name(), info.name);
        }
    }
}

/// As in tests/native_fixture.rs.
const CURVE_INPUTS: usize = 4;
const CURVE_STEPS: usize = 10;

#[wasm_bindgen_test]
fn feature_removal_in_wasm_gives_the_native_curves_one_by_one_and_in_slices() {
    let native = SafeTensors::deserialize(NATIVE).unwrap();
    let inputs = floats(native.tensor("curve-inputs").unwrap().data());
    let schedule = [("steps", JsValue::from(CURVE_STEPS)), ("stepPixels", JsValue::from(20))];
    let mut checked = 0;
    for model in embedded::all().unwrap() {
        for method in ["epsilon", "random"] {
            let orders: &[&str] = if method == "random" { &["random"] } else { &["morf", "lerf"] };
            for removal in ["zero", "road", "blur"] {
                // Slices of two inputs, added up by report().
                let slice = |first: usize| {
                    let pixels = Float32Array::from(&inputs[first * 784..(first + 2) * 784]);
                    let mut settings = vec![("removal", JsValue::from(removal)), ("firstIndex", JsValue::from(first))];
                    settings.extend(schedule.iter().cloned());
                    wasm::evaluate(
                        pixels.into(),
                        JsValue::NULL,
                        method.into(),
                        Some(object(&[("model", model.name().into())])),
                        Some(object(&settings)),
                    )
                    .unwrap()
                };
                let tallies: Array = [slice(0), slice(2)].into_iter().collect();
                let report = wasm::report(tallies.into(), Some(object(&[("k", 20.into())]))).unwrap();
                let curves = Array::from(&get(&report, "curves"));
                for &order in orders {
                    let expected = floats(
                        native.tensor(&format!("curves/{}/{method}/{removal}/{order}", model.name())).unwrap().data(),
                    );
                    // One input at a time.
                    for n in 0..CURVE_INPUTS {
                        let pixels: JsValue = Float32Array::from(&inputs[n * 784..(n + 1) * 784]).into();
                        let relevance = match method {
                            "random" => Float32Array::new_with_length(784).into(),
                            _ => get(
                                &wasm::explain(
                                    pixels.clone(),
                                    method.into(),
                                    Some(object(&[("model", model.name().into())])),
                                )
                                .unwrap(),
                                "relevance",
                            ),
                        };
                        let mut params = vec![
                            ("model", model.name().into()),
                            ("order", order.into()),
                            ("removal", removal.into()),
                            ("index", n.into()),
                        ];
                        params.extend(schedule.iter().cloned());
                        let curve = wasm::removal(pixels, relevance, Some(object(&params))).unwrap();
                        let ours: Vec<f64> =
                            Array::from(&get(&curve, "probability")).iter().map(|v| v.as_f64().unwrap()).collect();
                        let theirs = &expected[n * (CURVE_STEPS + 1)..(n + 1) * (CURVE_STEPS + 1)];
                        let worst = ours.iter().zip(theirs).fold(0f64, |m, (a, &b)| m.max((a - b as f64).abs()));
                        assert!(worst <= 1e-4, "{} {method} {removal} {order} input {n}: {worst:e}", model.name());
                        checked += 1;
                    }
                    // The mean curve of the slices is the mean of the inputs' curves.
                    let all = curves
                        .iter()
                        .find(|c| {
                            get(c, "order").as_string().as_deref() == Some(order)
                                && get(c, "split").as_string().as_deref() == Some("all")
                        })
                        .unwrap_or_else(|| panic!("no {order} curve"));
                    let mean: Vec<f64> =
                        Array::from(&get(&all, "probability")).iter().map(|v| v.as_f64().unwrap()).collect();
                    for (step, m) in mean.iter().enumerate() {
                        let e: f64 =
                            (0..CURVE_INPUTS).map(|n| expected[n * (CURVE_STEPS + 1) + step] as f64).sum::<f64>()
                                / CURVE_INPUTS as f64;
                        assert!(
                            (m - e).abs() <= 1e-4,
                            "{} {method} {removal} {order} step {step}: mean {m} vs {e}",
                            model.name()
                        );
                    }
                }
            }
        }
    }
    assert_eq!(checked, embedded::names().len() * 3 * 3 * CURVE_INPUTS);
}

#[wasm_bindgen_test]
fn the_result_carries_what_its_types_promise() {
    let native = SafeTensors::deserialize(NATIVE).unwrap();
    let digit = floats(native.tensor("input").unwrap().data());
    let pixels: JsValue = digit.iter().map(|&v| JsValue::from(v)).collect::<Array>().into(); // a plain array works too
    let params = object(&[("model", "cnn".into()), ("epsilon", 0.1.into()), ("target", 3.into())]);
    let result = wasm::explain(pixels, "epsilon".into(), Some(params)).unwrap();
    let logits = Float32Array::from(get(&result, "logits")).to_vec();
    let probabilities = Float32Array::from(get(&result, "probabilities")).to_vec();
    // Softmax of the logits, and the prediction is their arg-max (test digit 0 is a 7).
    let top = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let total: f32 = logits.iter().map(|l| (l - top).exp()).sum();
    for (p, l) in probabilities.iter().zip(&logits) {
        assert!((p - (l - top).exp() / total).abs() < 1e-6);
    }
    assert_eq!(number(&result, "prediction"), 7.0);
    assert_eq!(logits.iter().position(|&l| l == top), Some(7));
    assert_eq!(number(&result, "target"), 3.0);
    // Score mode: the output relevance is the target's score, on the target alone.
    let output = Float32Array::from(get(&result, "outputRelevance")).to_vec();
    assert_eq!(
        output.iter().enumerate().filter(|(_, &v)| v != 0.0).map(|(k, &v)| (k, v)).collect::<Vec<_>>(),
        vec![(3, logits[3])]
    );
    let model = embedded::get("cnn").unwrap();
    let layers = Array::from(&get(&result, "layers"));
    assert_eq!(layers.length() as usize, model.layers().len());
    for (i, layer) in layers.iter().enumerate() {
        assert_eq!(number(&layer, "index") as usize, i);
        assert_eq!(get(&layer, "kind").as_string().unwrap(), model.layers()[i].kind());
        let shape: Vec<usize> =
            Array::from(&get(&layer, "shape")).iter().map(|v| v.as_f64().unwrap() as usize).collect();
        assert_eq!(shape, model.shapes()[i]);
        assert_eq!(Float32Array::from(get(&layer, "relevance")).length() as usize, shape.iter().product::<usize>());
        let rule = get(&layer, "rule");
        assert_eq!(rule.as_string().is_some(), model.layers()[i].bias().is_some(), "layer {i}: {rule:?}");
        assert!(rule.is_null() || rule.as_string() == Some("epsilon(0.1)".into()));
        let books = get(&layer, "books");
        let parts = ["leaving", "bias", "stabilizer", "gated"].iter().map(|k| number(&books, k)).sum::<f64>();
        assert!((number(&books, "entering") - parts).abs() < 1e-4 * number(&books, "entering").abs().max(1.0));
    }
    // The top layer receives the output relevance; layer 0's relevance is the explanation.
    assert!((number(&get(&layers.get(9), "books"), "entering") - logits[3] as f64).abs() < 1e-5);
    let relevance = Float32Array::from(get(&result, "relevance")).to_vec();
    assert_eq!(relevance, Float32Array::from(get(&layers.get(0), "relevance")).to_vec());
    // Baselines that sample have no per-layer view.
    let occlusion = wasm::explain(Float32Array::from(digit.as_slice()).into(), "occlusion".into(), None).unwrap();
    assert_eq!(Array::from(&get(&occlusion, "layers")).length(), 0);
    // Without the per-layer view: the same answer, `layers` empty.
    let params =
        object(&[("model", "cnn".into()), ("epsilon", 0.1.into()), ("target", 3.into()), ("perLayer", false.into())]);
    let slim = wasm::explain(Float32Array::from(digit.as_slice()).into(), "epsilon".into(), Some(params)).unwrap();
    assert_eq!(Array::from(&get(&slim, "layers")).length(), 0);
    assert_eq!(Float32Array::from(get(&slim, "relevance")).to_vec(), relevance);
    for key in ["prediction", "target", "confidence", "relevanceSum"] {
        assert_eq!(number(&slim, key), number(&result, key), "{key}");
    }
    for key in ["logits", "probabilities", "outputRelevance"] {
        assert_eq!(
            Float32Array::from(get(&slim, key)).to_vec(),
            Float32Array::from(get(&result, key)).to_vec(),
            "{key}"
        );
    }
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
    let eps = |v: JsValue| Some(object(&[("epsilon", v)]));
    let with = |k: &str, v: JsValue| Some(object(&[(k, v)]));
    let cases: Vec<(JsValue, JsValue, Option<JsValue>, &str)> = vec![
        (short, "epsilon".into(), None, "pixels: expected 784 values, got 783"),
        (nan.into(), "epsilon".into(), None, "pixels[3]: expected a number from 0 to 1, got NaN"),
        (over.into(), "epsilon".into(), None, "pixels[9]: expected a number from 0 to 1, got 1.5"),
        ("digits".into(), "epsilon".into(), None, "pixels: expected a Float32Array"),
        (js_sys::Uint8Array::new_with_length(784).into(), "epsilon".into(), None, "pixels: expected a Float32Array"),
        (good.clone(), "lrp-9".into(), None, "unknown method `lrp-9`"),
        (good.clone(), 7.into(), None, "method: expected a method name"),
        (good.clone(), "epsilon".into(), eps((-1.0).into()), "epsilon: expected a number from 0"),
        (good.clone(), "epsilon".into(), eps("big".into()), "params.epsilon: expected a number"),
        (good.clone(), "epsilon".into(), with("gamma", 1.into()), "gamma: `epsilon` takes no such parameter"),
        (good.clone(), "epsilon".into(), with("sigma", 1.into()), "params.sigma: unknown"),
        (good.clone(), "epsilon".into(), with("model", "resnet".into()), "unknown model `resnet`"),
        (good.clone(), "epsilon".into(), with("model", 3.into()), "params.model"),
        (good.clone(), "epsilon".into(), with("target", 12.into()), "target: expected a class from 0 to 9, got 12"),
        (good.clone(), "epsilon".into(), with("target", (-1).into()), "params.target"),
        (good.clone(), "epsilon".into(), with("target", "best".into()), "params.target"),
        (good.clone(), "epsilon".into(), with("output", "all".into()), "params.output"),
        (good.clone(), "epsilon".into(), with("zeroBias", 1.into()), "params.zeroBias"),
        (good.clone(), "epsilon".into(), with("perLayer", "no".into()), "params.perLayer"),
        (good.clone(), "custom".into(), with("layers", "epsilon".into()), "params.layers"),
        (
            good.clone(),
            "custom".into(),
            with("layers", strings(&["epsilon", "magic", "epsilon", "epsilon"])),
            "layers[1]: unknown rule `magic`",
        ),
        (good.clone(), "occlusion".into(), with("window", 29.into()), "window: expected a whole number from 1 to 28"),
        (good.clone(), "epsilon".into(), Some("cnn".into()), "params: expected an object"),
    ];
    for (pixels, rule, p, expected) in cases {
        let error = message(wasm::explain(pixels, rule, p).unwrap_err());
        assert!(error.contains(expected), "{error:?} should contain {expected:?}");
        // ...and the module still works.
        let ok = wasm::explain(good.clone(), "epsilon".into(), None).unwrap();
        assert_eq!(Float32Array::from(get(&ok, "relevance")).length(), 784);
    }
    assert!(message(wasm::classify(Float32Array::new_with_length(5).into(), None).unwrap_err()).contains("784"));
    assert!(message(wasm::classify(good.clone(), Some(3.into())).unwrap_err()).contains("model: expected a model name"));
    assert!(message(wasm::methods(Some(JsValue::TRUE)).unwrap_err()).contains("model"));
}

#[wasm_bindgen_test]
fn the_catalogues_list_models_and_methods_as_plain_objects() {
    let models = Array::from(&wasm::models().unwrap());
    assert_eq!(models.length(), 3, "the digit models; fashion-cnn is loaded as a file");
    assert_eq!(get(&models.get(2), "dataset").as_string().unwrap(), "mnist");
    let card = get(&get(&models.get(2), "card"), "training");
    assert!(!card.is_instance_of::<js_sys::Map>(), "a plain object, not a Map");
    assert_eq!(Object::get_prototype_of(&card), Object::get_prototype_of(&Object::new()));
    assert!(get(&card, "optimizer").as_string().is_some());
    let methods = Array::from(&wasm::methods(Some("mlp-wide".into())).unwrap());
    assert_eq!(methods.length() as usize, METHODS.len());
    let find = |name: &str| methods.iter().find(|m| get(m, "name").as_string().as_deref() == Some(name)).unwrap();
    let param = Array::from(&get(&find("epsilon"), "params")).get(0);
    assert_eq!(number(&param, "default"), 0.25);
    // Montavon's assignment on the MLP, one entry per layer.
    let rules = Array::from(&get(&find("montavon"), "layerRules"));
    let labels: Vec<Option<String>> =
        rules.iter().map(|r| if r.is_null() { None } else { get(&r, "label").as_string() }).collect();
    let e = Some("epsilon(0.25)".to_string());
    assert_eq!(labels, vec![None, Some("z-box(0, 1)".into()), None, e, None, Some("lrp-0".into())]);
    assert_eq!(number(&get(&rules.get(1), "params"), "high"), 1.0);
    let window = Array::from(&get(&find("occlusion"), "params")).get(0);
    assert_eq!(number(&window, "max"), 28.0);
    assert!(get(&find("gradient"), "layerRules").is_null());
    let constraint = Array::from(&get(&find("alpha-beta"), "constraints")).get(0);
    assert_eq!(get(&constraint, "kind").as_string().unwrap(), "difference");
    assert_eq!(
        number(&get(&models.get(2), "card"), "test_correct"),
        embedded::get("cnn").unwrap().card().test_correct as f64
    );
}

/// The Fashion-MNIST model is not embedded in the module: the page loads its files
/// (weights/ beside www/) with `loadModel`, and then it explains as natively.
#[wasm_bindgen_test]
fn the_shipped_fashion_model_loads_from_its_files_and_explains_as_natively() {
    const JSON: &str = include_str!("../weights/fashion-cnn.json");
    const WEIGHTS: &[u8] = include_bytes!("../weights/fashion-cnn.safetensors");
    assert!(!embedded::names().contains(&"fashion-cnn"));
    let spec = wasm::load_model(JSON.into(), bytes(WEIGHTS)).unwrap();
    assert_eq!(get(&spec, "dataset").as_string().unwrap(), "fashion-mnist");
    let native = lrp::Model::from_bytes(JSON, WEIGHTS).unwrap();
    let pixels: Vec<f32> = (0..784).map(|i| ((i * 53) % 97) as f32 / 96.0).collect();
    let params = Some(object(&[("model", "fashion-cnn".into())]));
    let result =
        wasm::explain(Float32Array::from(pixels.as_slice()).into(), "epsilon-gamma-box".into(), params).unwrap();
    let method = lrp::Method::parse("epsilon-gamma-box", &lrp::Params::default(), &native).unwrap();
    let expected = lrp::explain(&native, native.batch(&pixels).unwrap(), &method, &lrp::Options::default()).unwrap();
    assert_eq!(
        Float32Array::from(get(&result, "relevance")).to_vec(),
        expected.relevance.iter().copied().collect::<Vec<_>>()
    );
    assert!(wasm::unload_model("fashion-cnn".into()).unwrap());
}

const RGB_JSON: &str = include_str!("fixtures/lrp/models/rgb-cnn.json");
const RGB_WEIGHTS: &[u8] = include_bytes!("fixtures/lrp/models/rgb-cnn.safetensors");

fn bytes(data: &[u8]) -> JsValue {
    js_sys::Uint8Array::from(data).into()
}

/// A model brought by the user: `loadModel` registers it, every function takes it by
/// name, and it explains exactly as the native engine does; a bad file is an error
/// that changes nothing, and `unloadModel` forgets it.
#[wasm_bindgen_test]
fn a_loaded_model_explains_as_natively_and_bad_files_change_nothing() {
    let embedded_count = embedded::names().len() as u32;
    let spec = wasm::load_model(RGB_JSON.into(), bytes(RGB_WEIGHTS)).unwrap();
    assert_eq!(get(&spec, "name").as_string().unwrap(), "rgb-cnn");
    let models = Array::from(&wasm::models().unwrap());
    assert_eq!(models.length(), embedded_count + 1);
    assert_eq!(get(&models.get(embedded_count), "name").as_string().unwrap(), "rgb-cnn");

    let native = lrp::Model::from_bytes(RGB_JSON, RGB_WEIGHTS).unwrap();
    let pixels: Vec<f32> = (0..3072).map(|i| ((i * 37) % 101) as f32 / 100.0).collect();
    let params = || Some(object(&[("model", "rgb-cnn".into())]));
    let result =
        wasm::explain(Float32Array::from(pixels.as_slice()).into(), "epsilon-gamma-box".into(), params()).unwrap();
    let method = lrp::Method::parse("epsilon-gamma-box", &lrp::Params::default(), &native).unwrap();
    let expected = lrp::explain(&native, native.batch(&pixels).unwrap(), &method, &lrp::Options::default()).unwrap();
    assert_eq!(
        Float32Array::from(get(&result, "relevance")).to_vec(),
        expected.relevance.iter().copied().collect::<Vec<_>>()
    );
    assert_eq!(get(&result, "layers").dyn_into::<Array>().unwrap().length() as usize, native.layers().len());
    let classified = wasm::classify(Float32Array::from(pixels.as_slice()).into(), Some("rgb-cnn".into())).unwrap();
    assert_eq!(number(&classified, "prediction") as usize, expected.predictions[0]);
    assert!(wasm::methods(Some("rgb-cnn".into())).is_ok());
    // The wrong input length names the model's shape.
    let error =
        message(wasm::explain(Float32Array::new_with_length(784).into(), "epsilon".into(), params()).unwrap_err());
    assert!(error.contains("expected 3072 values"), "{error}");

    // Bad files, each refused with what is wrong.
    let file = SafeTensors::deserialize(RGB_WEIGHTS).unwrap();
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> =
        file.tensors().into_iter().map(|(n, v)| (n, v.shape().to_vec(), v.data().to_vec())).collect();
    tensors.sort();
    tensors[0].2[..4].copy_from_slice(&f32::NAN.to_le_bytes());
    let poisoned_name = tensors[0].0.clone();
    let poisoned = safetensors::serialize(
        tensors.iter().map(|(n, s, d)| {
            (n.clone(), safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), d).unwrap())
        }),
        None,
    )
    .unwrap();
    let cases: Vec<(JsValue, JsValue, String)> = vec![
        (RGB_JSON.into(), bytes(&RGB_WEIGHTS[..RGB_WEIGHTS.len() - 100]), "weights file is not valid".into()),
        (RGB_JSON.replacen("\"ReLU\"", "\"GELU\"", 1).into(), bytes(RGB_WEIGHTS), "unknown variant `GELU`".into()),
        (
            RGB_JSON.replacen("\"out_channels\": 8", "\"out_channels\": 9", 1).into(),
            bytes(RGB_WEIGHTS),
            "layer 0 (Conv2d)".into(),
        ),
        (RGB_JSON.into(), bytes(&poisoned), format!("tensor `{poisoned_name}` holds a non-finite value")),
        (
            " ".repeat(lrp::model::MAX_DESCRIPTION_BYTES + 1).into(),
            bytes(RGB_WEIGHTS),
            "more than the 1048576 bytes".into(),
        ),
        (
            RGB_JSON.replace("\"rgb-cnn\"", "\"cnn\"").into(),
            bytes(RGB_WEIGHTS),
            "name `cnn` is an embedded model's".into(),
        ),
        (RGB_JSON.into(), "weights".into(), "weights: expected a Uint8Array".into()),
        (3.into(), bytes(RGB_WEIGHTS), "description: expected the JSON text".into()),
    ];
    for (description, weights, wanted) in cases {
        let error = message(wasm::load_model(description, weights).unwrap_err());
        assert!(error.contains(&wanted), "{error:?} should contain {wanted:?}");
        assert_eq!(Array::from(&wasm::models().unwrap()).length(), embedded_count + 1, "nothing changed");
        let again =
            wasm::explain(Float32Array::from(pixels.as_slice()).into(), "epsilon-gamma-box".into(), params()).unwrap();
        assert_eq!(
            Float32Array::from(get(&again, "relevance")).to_vec(),
            expected.relevance.iter().copied().collect::<Vec<_>>()
        );
    }

    // Loading again under the same name replaces it; unloading forgets it.
    let renamed = RGB_JSON.replace("\"airplane\"", "\"plane\"");
    wasm::load_model(renamed.into(), bytes(RGB_WEIGHTS)).unwrap();
    let models = Array::from(&wasm::models().unwrap());
    assert_eq!(models.length(), embedded_count + 1);
    assert_eq!(Array::from(&get(&models.get(embedded_count), "classes")).get(0).as_string().unwrap(), "plane");
    assert!(wasm::unload_model("rgb-cnn".into()).unwrap());
    assert!(!wasm::unload_model("rgb-cnn".into()).unwrap());
    let error =
        message(wasm::classify(Float32Array::from(pixels.as_slice()).into(), Some("rgb-cnn".into())).unwrap_err());
    assert!(error.contains("unknown model `rgb-cnn`"), "{error}");
}

/// CRP through the module: `params.conditions` keeps only the chosen channels, exactly
/// as the native engine does, and each layer reports its output relevance per channel.
#[wasm_bindgen_test]
fn conditions_give_the_native_conditional_relevance_and_channels() {
    let model = embedded::get("cnn").unwrap();
    let pixels: Vec<f32> =
        (0..784).map(|i| if (300..500).contains(&i) && i % 28 > 10 && i % 28 < 18 { 1.0 } else { 0.0 }).collect();
    let condition = object(&[
        ("layer", 3.into()),
        ("channels", [5, 7].iter().map(|&c| JsValue::from(c)).collect::<Array>().into()),
    ]);
    let conditions: JsValue = [condition].iter().collect::<Array>().into();
    let params = object(&[("model", "cnn".into()), ("conditions", conditions)]);
    let result = wasm::explain(Float32Array::from(pixels.as_slice()).into(), "epsilon".into(), Some(params)).unwrap();
    let method = lrp::Method::parse("epsilon", &lrp::Params::default(), model).unwrap();
    let condition = lrp::Condition { layer: 3, channels: vec![5, 7] };
    let native =
        lrp::explain_conditioned(model, model.batch(&pixels).unwrap(), &method, &lrp::Options::default(), &[condition])
            .unwrap();
    assert_eq!(
        Float32Array::from(get(&result, "relevance")).to_vec(),
        native.relevance.iter().copied().collect::<Vec<_>>()
    );
    let layers = Array::from(&get(&result, "layers"));
    let conv2 = Float32Array::from(get(&layers.get(3), "channels")).to_vec();
    assert_eq!(conv2.len(), 24);
    assert!(conv2.iter().enumerate().all(|(c, &v)| (v != 0.0) == (c == 5 || c == 7) || v == 0.0), "{conv2:?}");
    assert!(conv2[5] != 0.0 || conv2[7] != 0.0);
    let output = Float32Array::from(get(&layers.get(9), "channels")).to_vec();
    assert_eq!(
        output,
        Float32Array::from(get(&result, "outputRelevance")).to_vec(),
        "the last layer's output is the output relevance"
    );
    for (bad, expected) in [
        (object(&[("layer", 30.into()), ("channels", Array::of1(&1.into()).into())]), "layer 30 does not exist"),
        (object(&[("layer", 3.into()), ("channels", Array::of1(&99.into()).into())]), "not 99"),
        (object(&[("layer", 3.into())]), "params.conditions[0]"),
    ] {
        let params = object(&[("conditions", Array::of1(&bad).into())]);
        let error = message(
            wasm::explain(Float32Array::from(pixels.as_slice()).into(), "epsilon".into(), Some(params)).unwrap_err(),
        );
        assert!(error.contains(expected), "{error:?} should contain {expected:?}");
    }
}

/// Max-pooling in wasm (four 2×2 windows at a time) picks as the definition does:
/// the first of equal maxima in row-major order, never NaN, the first cell if none
/// is above −∞; the routed gradient lands there alone. Widths that are and are not
/// multiples of four windows, and odd sizes whose last row and column no window reads.
#[wasm_bindgen_test]
fn max_pooling_in_wasm_takes_each_windows_first_maximum() {
    use lrp::model::Pool2d;
    use ndarray::Array4;
    const VALUES: [f32; 7] = [f32::NEG_INFINITY, -1.0, 0.0, 0.5, 0.5, 1.0, f32::NAN];
    let pool = Pool2d { kernel: [2, 2], stride: [2, 2], padding: [0, 0] };
    let mut state = 7u32;
    let mut next = || {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (state >> 16) as usize
    };
    for [n, c, h, w] in [[1, 1, 2, 2], [2, 3, 4, 8], [1, 2, 5, 9], [1, 1, 2, 16], [1, 2, 6, 26], [2, 1, 3, 33]] {
        let x = Array4::from_shape_simple_fn((n, c, h, w), || VALUES[next() % VALUES.len()]);
        let g = Array4::from_shape_simple_fn((n, c, h / 2, w / 2), || (next() % 9) as f32 - 4.0);
        let (maxima, routed) = (pool.max(x.view()), pool.route_to_max(x.view(), g.view()));
        let mut expected = Array4::<f32>::zeros(x.raw_dim());
        for ((s, ch, i, j), &up) in g.indexed_iter() {
            let cells = [(2 * i, 2 * j), (2 * i, 2 * j + 1), (2 * i + 1, 2 * j), (2 * i + 1, 2 * j + 1)];
            let (mut best, mut at) = (f32::NEG_INFINITY, cells[0]);
            for cell in cells {
                if x[[s, ch, cell.0, cell.1]] > best {
                    (best, at) = (x[[s, ch, cell.0, cell.1]], cell);
                }
            }
            assert_eq!(maxima[[s, ch, i, j]].to_bits(), best.to_bits(), "{n}×{c}×{h}×{w}: window ({i}, {j})");
            expected[[s, ch, at.0, at.1]] = up;
        }
        assert_eq!(routed, expected, "{n}×{c}×{h}×{w}: routed gradient");
    }
}

/// Every layer's relevance, sum and per-channel sums in the JavaScript answer are the
/// core's for that layer (computed here by the same core), also where a layer shares
/// the array of the layer above: LRP passes relevance through ReLU and Flatten unchanged
/// (one array for both), the gradient masks it at each ReLU (arrays of their own).
#[wasm_bindgen_test]
fn each_layer_gets_its_own_relevance_and_shares_an_array_only_with_equal_values() {
    let native = SafeTensors::deserialize(NATIVE).unwrap();
    let digit = floats(native.tensor("input").unwrap().data());
    for model in embedded::all().unwrap() {
        for method in ["epsilon-gamma-box", "gradient"] {
            let params = object(&[("model", model.name().into())]);
            let result =
                wasm::explain(Float32Array::from(digit.as_slice()).into(), method.into(), Some(params)).unwrap();
            let parsed = lrp::Method::parse(method, &lrp::Params::default(), model).unwrap();
            let core = lrp::explain(model, model.batch(&digit).unwrap(), &parsed, &lrp::Options::default()).unwrap();
            let layers = Array::from(&get(&result, "layers"));
            assert_eq!(layers.length() as usize, core.layers.len());
            assert_eq!(get(&result, "relevance"), get(&layers.get(0), "relevance"), "the explanation is layer 0's");
            // One ArrayBuffer under every array of the relevance (one allocation, one transfer).
            let buffer_of = |array: JsValue| JsValue::from(Float32Array::from(array).buffer());
            let buffer = buffer_of(get(&result, "outputRelevance"));
            for (i, expected) in core.layers.iter().enumerate() {
                let layer = layers.get(i as u32);
                let what = format!("{} {method} layer {i} ({})", model.name(), expected.kind);
                let ours = Float32Array::from(get(&layer, "relevance")).to_vec();
                assert_eq!(ours, expected.relevance.iter().copied().collect::<Vec<_>>(), "{what}: relevance");
                assert_eq!(number(&layer, "sum") as f32, expected.relevance.sum(), "{what}: sum");
                let output = core.layers.get(i + 1).map_or(&core.output_relevance, |next| &next.relevance);
                let channels = Float32Array::from(get(&layer, "channels")).to_vec();
                assert_eq!(channels, lrp::lrp::channel_sums(output).row(0).to_vec(), "{what}: channel sums");
                for field in ["relevance", "channels"] {
                    assert_eq!(
                        buffer_of(get(&layer, field)),
                        buffer,
                        "{what}: {field} is a view on the answer's buffer"
                    );
                }
                if output.len() == output.shape()[1] {
                    let above = if i + 1 < core.layers.len() {
                        get(&layers.get(i as u32 + 1), "relevance")
                    } else {
                        get(&result, "outputRelevance")
                    };
                    assert_eq!(get(&layer, "channels"), above, "{what}: one value per channel: the relevance above");
                }
                if i + 1 < core.layers.len() {
                    let shared = get(&layer, "relevance") == get(&layers.get(i as u32 + 1), "relevance");
                    let equal = expected.relevance.iter().eq(core.layers[i + 1].relevance.iter());
                    assert_eq!(shared, equal, "{what}: shares the array above exactly when the values are the same");
                    let passes_on = matches!(expected.kind, "ReLU" | "Flatten") && method != "gradient";
                    if passes_on || expected.kind == "Flatten" {
                        assert!(shared, "{what}: passes relevance on unchanged");
                    }
                }
            }
        }
    }
}
