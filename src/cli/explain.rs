//! `lrp explain`: relevance maps as .npy, and a JSON summary on stdout.

use std::path::Path;

use lrp::data::npy::Npy;
use lrp::evaluation::confidence;
use lrp::lrp::{catalogue, Kind, RuleInfo};
use lrp::{embedded, explain, Error, Method, Options, OutputRelevance, Params, Target};
use ndarray::Axis;
use serde_json::json;

use super::input;

pub struct Request<'a> {
    pub input: &'a str,
    pub model: &'a str,
    pub rule: &'a str,
    pub params: &'a [String],
    pub layers: Option<&'a str>,
    pub target: Target,
    pub output: OutputRelevance,
    pub zero_bias: bool,
    pub invert: bool,
    pub out: Option<&'a Path>,
}

/// `name=value` pairs (and comma-separated per-layer rules) as method parameters.
pub fn params(pairs: &[String], layers: Option<&str>) -> Result<Params, Error> {
    let mut params = Params::default();
    for pair in pairs {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| Error::Input(format!("--param {pair}: expected name=value, e.g. epsilon=0.25")))?;
        let value: f64 = value.parse().map_err(|_| Error::Input(format!("--param {pair}: `{value}` is not a number")))?;
        params.values.set(name, value)?;
    }
    if let Some(layers) = layers {
        params.layers = layers.split(',').map(|l| l.trim().to_string()).collect();
    }
    Ok(params)
}

pub fn run(request: &Request) -> Result<(), Error> {
    let model = embedded::get(request.model)?;
    let params = params(request.params, request.layers)?;
    let method = Method::parse(request.rule, &params, model)?;
    let options = Options { target: request.target, output: request.output, zero_bias: request.zero_bias };
    let images = input::read(request.input, request.invert, model)?;
    let explanation = explain(model, model.batch(&images.pixels)?, &method, &options)?;

    if let Some(path) = request.out {
        let npy = Npy { shape: vec![images.count, model.input_len()], data: explanation.relevance.iter().copied().collect() };
        std::fs::write(path, npy.to_bytes()).map_err(|e| Error::Data(format!("{}: {e}", path.display())))?;
    }
    let inputs: Vec<_> = (0..images.count)
        .map(|n| {
            let logits: Vec<f32> = explanation.logits.index_axis(Axis(0), n).iter().copied().collect();
            let layers: Vec<_> = explanation
                .layers
                .iter()
                .map(|l| {
                    json!({
                        "index": l.index,
                        "kind": l.kind,
                        "layer": l.description,
                        "rule": l.rule.as_ref().map(RuleInfo::from),
                        "sum": l.relevance.index_axis(Axis(0), n).sum(),
                        "books": l.books[n],
                    })
                })
                .collect();
            json!({
                "prediction": explanation.predictions[n],
                "label": images.labels.as_ref().map(|l| l[n]),
                "target": explanation.targets[n],
                "logits": logits,
                "confidence": confidence(&logits),
                "output_relevance": explanation.output_relevance.index_axis(Axis(0), n).sum(),
                "relevance_sum": explanation.relevance.index_axis(Axis(0), n).sum(),
                "layers": layers,
            })
        })
        .collect();
    let summary = json!({
        "model": model.name(),
        "method": request.rule,
        "params": params.values,
        "layers": params.layers,
        "target": request.target,
        "output": request.output,
        "zero_bias": request.zero_bias,
        "relevance_file": request.out.map(|p| p.display().to_string()),
        "inputs": inputs,
    });
    println!("{}", serde_json::to_string_pretty(&summary).expect("serialisable"));
    Ok(())
}

/// The list of methods for `--help`, from the registry, with the ranges that apply
/// to the default model.
pub fn methods_help(default_model: &str) -> String {
    let Ok(model) = embedded::get(default_model) else {
        return String::new();
    };
    let methods = catalogue(model);
    let mut text = format!("Methods (--rule) and their parameters (--param name=value), for `{default_model}`:\n");
    for kind in [Kind::Rule, Kind::Composite, Kind::Baseline] {
        text += &format!("\n{}:\n", match kind {
            Kind::Rule => "Rules (applied to every layer with parameters)",
            Kind::Composite => "Composites (a rule per layer)",
            Kind::Baseline => "Baselines",
        });
        for m in methods.iter().filter(|m| m.kind == kind) {
            text += &format!("  {:<26} {}\n", m.name, m.about);
            for p in &m.params {
                let setting = format!("{}={}", p.name, p.default);
                text += &format!("      {setting:<20} [{} to {}] {}\n", p.min, p.max, p.about);
            }
        }
    }
    text += "\nExample: lrp explain test:0 --model cnn --rule epsilon-gamma-box --param gamma=0.5 --out relevance.npy";
    text
}
