//! The method registry: every method builds on every model, `custom` accepts every
//! rule with its parameters, every range is enforced at both ends, ranges follow the
//! model's input, and every bad method, parameter or option is refused by name.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{digits, mlp_description, model, params, test_model, values};
use lrp::lrp::params::ALL;
use lrp::lrp::registry::{self, Kind, METHODS};
use lrp::{catalogue, embedded, explain, Method, Model, Options, Params, Target};

fn models() -> Vec<Model> {
    let mut models = embedded::all().unwrap().into_iter().cloned().collect::<Vec<Model>>();
    models.extend(["tiny-avgpool", "tiny-strided"].map(test_model));
    models.push(odd_model());
    models
}

/// A model with an input range other than [0, 1] and a non-square input: 1×6×9 in [−2, 3].
fn odd_model() -> Model {
    let mut description = mlp_description(&[54, 4, 3], [-2.0, 3.0]);
    description["input_shape"] = serde_json::json!([1, 6, 9]);
    description["layers"].as_array_mut().unwrap().insert(0, serde_json::json!({"type": "Flatten"}));
    for (i, layer) in description["layers"].as_array_mut().unwrap().iter_mut().enumerate() {
        if let Some(tensors) = layer.get_mut("tensors") {
            tensors["weight"]["name"] = format!("{i}.weight").into();
            tensors["bias"]["name"] = format!("{i}.bias").into();
        }
    }
    model(
        &description,
        &[
            ("1.weight", vec![4, 54], values(216, 1)),
            ("1.bias", vec![4], values(4, 2)),
            ("3.weight", vec![3, 4], values(12, 3)),
            ("3.bias", vec![3], values(3, 4)),
        ],
    )
}

fn custom_layers(model: &Model, rule: &str) -> Vec<String> {
    common::parametrised(model).iter().map(|_| rule.to_string()).collect()
}

/// `name` with `params` on `model` (`custom`: LRP-0 everywhere unless layers are given).
fn parse(name: &str, mut params: Params, model: &Model) -> Result<Method, String> {
    if name == "custom" && params.layers.is_empty() {
        let rule = registry::rules()
            .find(|(r, _)| params.values.given().all(|(p, _)| r.params().iter().any(|q| q.name == p)))
            .map_or("lrp-0", |(r, _)| r.name);
        params.layers = custom_layers(model, rule);
    }
    Method::parse(name, &params, model).map_err(|e| e.to_string())
}

#[test]
fn every_method_builds_with_its_defaults_on_every_model_and_explains() {
    for model in models() {
        let x = model.batch(&vec![0.5; model.input_len()]).unwrap();
        for info in catalogue(&model) {
            let method = parse(info.name, Params::default(), &model).unwrap_or_else(|e| panic!("{}: {e}", info.name));
            let e = explain(&model, x.clone(), &method, &Options::default()).unwrap();
            assert!(e.relevance.iter().all(|v| v.is_finite()), "{} {}", model.name(), info.name);
            for p in &info.params {
                assert!(p.min <= p.default && p.default <= p.max, "{} {}: default out of range", info.name, p.name);
            }
        }
    }
}

#[test]
fn custom_accepts_every_rule_with_its_parameters() {
    for model in models() {
        let custom = catalogue(&model).into_iter().find(|m| m.name == "custom").unwrap();
        for (rule, _) in registry::rules() {
            let rule_params = rule.params();
            for p in &rule_params {
                assert!(
                    custom.params.iter().any(|q| q.name == p.name),
                    "custom does not list {} of {}",
                    p.name,
                    rule.name
                );
            }
            // Each parameter set to a value other than its default, inside its range.
            let mut given = Params { layers: custom_layers(&model, rule.name), ..Params::default() };
            for p in &rule_params {
                let info = p.resolve(model.spec());
                let value =
                    if info.integer { info.default + 1.0 } else { info.default + (info.max - info.default) / 4.0 };
                given.values.set(p.name, value).unwrap();
            }
            if rule.name == "alpha-beta" {
                given = Params { layers: given.layers, ..params(&[("alpha", 3.0), ("beta", 2.0)]) };
            }
            if rule.name == "z-box" {
                let [low, high] = model.spec().input_range;
                let (low, high) = (low as f64 + 0.1, high as f64 - 0.1);
                given = Params { layers: given.layers, ..params(&[("low", low), ("high", high)]) };
            }
            let Ok(Method::Lrp(rules)) = Method::parse("custom", &given, &model) else {
                panic!("custom refuses {} with {:?} on {}", rule.name, given.values, model.name());
            };
            // ...and builds exactly that rule, with exactly those values.
            let uniform = Method::parse(rule.name, &Params { layers: vec![], ..given.clone() }, &model).unwrap();
            assert_eq!(Method::Lrp(rules.clone()), uniform, "{} on {}", rule.name, model.name());
            for r in rules.iter().flatten() {
                assert_eq!(r.name, rule.name);
                for (name, value) in given.values.given() {
                    let (_, used) = r.params.iter().find(|(n, _)| *n == name).unwrap();
                    assert_eq!(*used as f64, value as f32 as f64, "{}.{name}", rule.name);
                }
            }
        }
    }
}

#[test]
fn custom_refuses_what_its_rules_do_not_take() {
    let model = embedded::get("cnn").unwrap();
    let mut p = params(&[("gamma", 0.5)]);
    p.layers = custom_layers(model, "epsilon");
    assert!(Method::parse("custom", &p, model).unwrap_err().to_string().contains("gamma: none of the rules"));
    p.layers = vec!["epsilon".into(), "gamma".into(), "magic".into(), "epsilon".into()];
    assert!(Method::parse("custom", &p, model).unwrap_err().to_string().contains("layers[2]: unknown rule `magic`"));
    let p = Params { layers: vec!["epsilon".into(); 2], ..Params::default() };
    let message = Method::parse("custom", &p, model).unwrap_err().to_string();
    assert!(message.contains("4 layers with parameters") && message.contains("got 2"), "{message}");
    assert!(Method::parse("custom", &Params::default(), model).unwrap_err().to_string().contains("layers"));
}

#[test]
fn every_range_is_enforced_at_both_ends() {
    for model in models() {
        for info in catalogue(&model) {
            for p in &info.params {
                let try_value = |value: f64| parse(info.name, params(&[(p.name, value)]), &model);
                let mid = (p.min + p.max) / 2.0;
                let mid = if p.integer { mid.round() } else { mid };
                let inside = [p.min, mid, p.max].into_iter().filter(|&v| {
                    // low = max or high = min leave no room for the other bound.
                    !((p.name == "low" && v == p.max) || (p.name == "high" && v == p.min))
                });
                for v in inside {
                    if let Err(e) = try_value(v) {
                        panic!(
                            "{} {}.{} = {v} (range {} to {}) refused: {e}",
                            model.name(),
                            info.name,
                            p.name,
                            p.min,
                            p.max
                        );
                    }
                }
                let step = if p.integer { 1.0 } else { (p.max - p.min).abs().max(1.0) * 1e-6 };
                let mut outside = vec![p.min - step, p.max + step, f64::NAN, f64::INFINITY];
                if p.integer {
                    outside.push(p.min + 0.5);
                }
                for v in outside {
                    let message =
                        try_value(v).expect_err(&format!("{} {}.{} = {v} accepted", model.name(), info.name, p.name));
                    assert!(message.starts_with(&format!("{}: expected", p.name)), "{message}");
                    if p.integer && v.is_finite() && v.fract() != 0.0 {
                        assert!(message.contains("whole number"), "{message}");
                    }
                }
            }
        }
    }
}

#[test]
fn ranges_follow_the_model_and_mean_something() {
    for model in models() {
        let methods = catalogue(&model);
        let param = |method: &str, name: &str| {
            methods.iter().find(|m| m.name == method).unwrap().params.iter().find(|p| p.name == name).unwrap().clone()
        };
        let [low, high] = model.spec().input_range.map(|v| v as f64);
        for method in ["z-box", "epsilon-gamma-box", "montavon"] {
            for name in ["low", "high"] {
                let p = param(method, name);
                assert_eq!(
                    (p.min, p.max),
                    (low, high),
                    "{} {method}.{name}: z^B's bounds lie in the input range",
                    model.name()
                );
            }
            assert_eq!((param(method, "low").default, param(method, "high").default), (low, high));
        }
        let extent = *model.spec().input_shape.iter().max().unwrap() as f64;
        for name in ["window", "stride"] {
            let p = param("occlusion", name);
            assert_eq!((p.min, p.max, p.integer), (1.0, extent, true), "{} occlusion.{name}", model.name());
        }
        // Parameters whose meaning has a floor.
        for (method, name, min) in [
            ("epsilon", "epsilon", 0.0),
            ("gamma", "gamma", 0.0),
            ("alpha-beta", "alpha", 1.0),
            ("alpha-beta", "beta", 0.0),
            ("smoothgrad", "noise", 0.0),
            ("smoothgrad", "samples", 1.0),
            ("integrated-gradients", "steps", 1.0),
        ] {
            assert_eq!(param(method, name).min, min, "{method}.{name}");
        }
        for name in ["samples", "seed", "steps", "window", "stride"] {
            assert!(ALL.iter().find(|p| p.name == name).unwrap().integer, "{name} counts something");
        }
    }
    assert_eq!(catalogue(&odd_model()).iter().find(|m| m.name == "occlusion").unwrap().params[0].max, 9.0);
}

#[test]
fn constraints_between_parameters() {
    let model = embedded::get("cnn").unwrap();
    let ab = |values: &[(&str, f64)]| Method::parse("alpha-beta", &params(values), model).map_err(|e| e.to_string());
    // α alone sets β and β alone sets α (α − β = 1).
    assert_eq!(ab(&[("alpha", 3.0)]), ab(&[("alpha", 3.0), ("beta", 2.0)]));
    assert_eq!(ab(&[("beta", 0.5)]), ab(&[("alpha", 1.5), ("beta", 0.5)]));
    assert!(ab(&[("alpha", 2.0), ("beta", 2.0)]).unwrap_err().contains("alpha - beta = 1"));
    let Ok(Method::Lrp(rules)) = ab(&[("beta", 0.5)]) else { panic!() };
    assert_eq!(rules.iter().flatten().next().unwrap().params, vec![("alpha", 1.5), ("beta", 0.5)]);
    // β alone may not push α out of its range.
    assert!(ab(&[("beta", 99.5)]).is_err());
    for method in ["z-box", "epsilon-gamma-box", "montavon"] {
        let bounds = |low: f64, high: f64| Method::parse(method, &params(&[("low", low), ("high", high)]), model);
        assert!(bounds(0.2, 0.8).is_ok());
        for (low, high) in [(0.8, 0.2), (0.5, 0.5)] {
            assert!(bounds(low, high).unwrap_err().to_string().contains("low < high"), "{method} {low} {high}");
        }
        assert!(Method::parse(method, &params(&[("low", 1.0)]), model).unwrap_err().to_string().contains("low < high"));
    }
}

#[test]
fn bad_methods_parameters_and_options_are_refused_by_name() {
    let model = embedded::get("cnn").unwrap();
    let parse = |name: &str, p: Params| Method::parse(name, &p, model).unwrap_err().to_string();
    assert!(parse("lrp-7", Params::default()).contains("unknown method `lrp-7`"));
    assert!(parse("epsilon", params(&[("gamma", 1.0)]))
        .contains("gamma: `epsilon` takes no such parameter; it takes epsilon"));
    assert!(parse("flat", params(&[("gamma", 1.0)])).contains("it takes none"));
    assert!(Params::default().with("sigma", 1.0).unwrap_err().to_string().contains("sigma: unknown parameter"));
    let layers_elsewhere = Params { layers: vec!["epsilon".into()], ..Params::default() };
    assert!(parse("epsilon", layers_elsewhere).contains("only the custom composite"));

    let x = digits(model, 1);
    let epsilon = Method::parse("epsilon", &Params::default(), model).unwrap();
    let message = explain(model, x.clone(), &epsilon, &Options { target: Target::Class(10), ..Options::default() });
    assert!(message.unwrap_err().to_string().contains("target: expected a class from 0 to 9, got 10"));
    let gradient = Method::parse("gradient", &Params::default(), model).unwrap();
    let message = explain(model, x.clone(), &gradient, &Options { zero_bias: true, ..Options::default() }).unwrap_err();
    assert!(message.to_string().contains("zero_bias"));
    // Rules made for one model do not run on another.
    let mlp = embedded::get("mlp-narrow").unwrap();
    let message = explain(mlp, mlp.batch(&[0.0; 784]).unwrap(), &epsilon, &Options::default()).unwrap_err();
    assert!(message.to_string().contains("another model"), "{message}");
}

#[test]
fn inputs_outside_the_input_range_are_refused_by_the_core() {
    let model = odd_model();
    assert!(model.batch(&vec![-2.0; 54]).is_ok() && model.batch(&vec![3.0; 54]).is_ok());
    for (i, bad) in [(3, -2.5f32), (7, 3.5), (0, f32::NAN), (53, f32::INFINITY), (1, 1e30)] {
        let mut pixels = vec![0.0f32; 54];
        pixels[i] = bad;
        let message = model.batch(&pixels).unwrap_err().to_string();
        assert!(message.contains(&format!("pixels[{i}]: expected a number from -2 to 3")), "{message}");
    }
    assert!(model.batch(&[0.0; 53]).unwrap_err().to_string().contains("expected 54 values (1×6×9) per input, got 53"));
}

#[test]
fn the_registry_is_consistent() {
    let names: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
    for (i, name) in names.iter().enumerate() {
        assert!(!names[i + 1..].contains(name), "{name} listed twice");
    }
    for m in METHODS {
        for c in m.constraints() {
            for p in c.params() {
                assert!(m.params().iter().any(|q| q.name == p), "{}: constraint on undeclared {p}", m.name);
            }
        }
    }
    assert_eq!(registry::rules().count(), METHODS.iter().filter(|m| m.kind() == Kind::Rule).count());
    // Every declared parameter is used by some method.
    for p in ALL {
        assert!(METHODS.iter().any(|m| m.params().iter().any(|q| q.name == p.name)), "{} unused", p.name);
    }
}

#[test]
fn defaults_are_the_documented_ones() {
    // README, "Methods": the default of every parameter (z^B's bounds: the input range).
    for model in models() {
        let [low, high] = model.spec().input_range.map(|v| v as f64);
        let documented = [
            ("epsilon", 0.25),
            ("gamma", 0.25),
            ("alpha", 2.0),
            ("beta", 1.0),
            ("low", low),
            ("high", high),
            ("noise", 0.1),
            ("samples", 20.0),
            ("seed", 0.0),
            ("steps", 20.0),
            ("window", 4.0),
            ("stride", 2.0),
            ("fill", low),
        ];
        for info in catalogue(&model) {
            for p in &info.params {
                let found = documented.iter().find(|(name, _)| *name == p.name);
                let (_, default) = found.unwrap_or_else(|| panic!("{} undocumented", p.name));
                assert_eq!(p.default, *default, "{} {}.{}", model.name(), info.name, p.name);
            }
        }
        assert_eq!(ALL.len(), documented.len());
    }
    // α − β = 1 over both whole ranges: every β allowed has its α allowed, and back.
    let cnn = embedded::get("cnn").unwrap();
    let range = |name: &str| ALL.iter().find(|p| p.name == name).map(|p| p.resolve(cnn.spec())).unwrap();
    let (alpha, beta) = (range("alpha"), range("beta"));
    assert_eq!((alpha.min - 1.0, alpha.max - 1.0), (beta.min, beta.max));
}

#[test]
fn custom_holds_its_rules_to_their_constraints() {
    let model = embedded::get("cnn").unwrap();
    let custom = |rule: &str, values: &[(&str, f64)]| {
        let p = Params { layers: custom_layers(model, rule), ..params(values) };
        Method::parse("custom", &p, model).map_err(|e| e.to_string())
    };
    assert!(custom("z-box", &[("low", 0.8), ("high", 0.2)]).unwrap_err().contains("low < high"));
    assert!(custom("alpha-beta", &[("alpha", 2.0), ("beta", 2.0)]).unwrap_err().contains("alpha - beta = 1"));
    // One of α and β sets the other, as for the rule alone.
    let Ok(Method::Lrp(rules)) = custom("alpha-beta", &[("alpha", 3.0)]) else { panic!("α = 3 alone") };
    assert_eq!(rules.iter().flatten().next().unwrap().params, vec![("alpha", 3.0), ("beta", 2.0)]);
    let listed = catalogue(model).into_iter().find(|m| m.name == "custom").unwrap().constraints;
    assert_eq!(listed.len(), 2, "{listed:?}");
}

/// data/tuned/tuned.json (written by `lrp tune`) parses, offers values for ε, γ and α/β
/// on every embedded model, and only values their methods take.
#[test]
fn tuned_parameters_are_offered_for_every_model_and_fit_their_methods() {
    assert!(lrp::lrp::tuned::parses(), "data/tuned/tuned.json does not parse");
    for model in embedded::all().unwrap() {
        for info in catalogue(model) {
            match (info.name, &info.tuned) {
                ("epsilon" | "gamma" | "alpha-beta", Some(values)) => {
                    let mut p = Params::default();
                    for (name, value) in values {
                        p = p.with(name, *value).unwrap();
                    }
                    Method::parse(info.name, &p, model)
                        .unwrap_or_else(|e| panic!("{} {}: {e}", model.name(), info.name));
                }
                ("epsilon" | "gamma" | "alpha-beta", None) => {
                    panic!("{}: no tuned values for {}", model.name(), info.name)
                }
                (_, Some(_)) => {
                    panic!("{}: tuned values for {}, which lrp tune does not tune", model.name(), info.name)
                }
                _ => {}
            }
        }
    }
}
