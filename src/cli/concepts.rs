//! `lrp concepts`: what each filter looks for. For every channel (neuron) of every
//! Conv2d and hidden Linear layer, the test inputs on which it is most relevant and
//! those on which it is most active, each with its best neuron's receptive field
//! (zennit-crp's FeatureVisualization; see `lrp::concepts`). Writes DIR/<model>.json.

use std::path::Path;

use lrp::concepts::{layers_with_concepts, receptive_field, references, References};
use lrp::{Error, Method, Model};
use serde_json::json;

use super::explain::params as parse_params;
use super::{batches, input};

pub struct Request<'a> {
    pub data: &'a input::Dataset,
    pub rule: &'a str,
    pub params: &'a [String],
    pub k: usize,
    pub n: Option<usize>,
    pub out: &'a Path,
}

pub fn run(request: &Request) -> Result<(), Error> {
    if request.k == 0 {
        return Err(Error::Input("--k: expected at least 1 reference per channel".into()));
    }
    let params = parse_params(request.params, None)?;
    std::fs::create_dir_all(request.out).map_err(|e| Error::Data(format!("{}: {e}", request.out.display())))?;
    for model in request.data.models()? {
        let method = Method::parse(request.rule, &params, model)?;
        let inputs = request.data.read(model, request.n)?;
        let labels = inputs.labels.ok_or_else(|| Error::Input("concepts: the inputs need labels (--labels)".into()))?;
        let layers = layers_with_concepts(model);
        let len = model.input_len();
        let bar = batches::progress(inputs.count as u64, &format!("{} concepts", model.name()));
        let mut total = References::new(model, &layers, request.k);
        let finished = batches::in_order(
            inputs.count,
            64,
            |r| {
                references(
                    model,
                    &method,
                    &inputs.pixels[r.start * len..r.end * len],
                    &labels[r.clone()],
                    r.start as u64,
                    &layers,
                    request.k,
                )
            },
            |r, part| {
                total.merge(&part);
                bar.inc(r.len() as u64);
                Ok(())
            },
        )?;
        bar.finish_and_clear();
        if !finished {
            return Err(Error::Input("stopped by Ctrl-C: no file was written".into()));
        }
        let path = request.out.join(format!("{}.json", model.name()));
        let text = describe(model, request, &params.values, inputs.count, &total);
        std::fs::write(&path, text).map_err(|e| Error::Data(format!("{}: {e}", path.display())))?;
        println!(
            "{}: {} layers, {} inputs, {} references per channel -> {}",
            model.name(),
            layers.len(),
            inputs.count,
            request.k,
            path.display()
        );
    }
    Ok(())
}

/// The file: per layer and mode, per channel, its references as [index, value, y0, y1, x0, x1]
/// (the value to 4 significant digits; the receptive field in input pixels, inclusive).
fn describe(
    model: &Model,
    request: &Request,
    values: &lrp::lrp::ParameterValues,
    n: usize,
    refs: &References,
) -> String {
    let rows = |ranking: &lrp::concepts::Ranking| -> Vec<Vec<serde_json::Value>> {
        ranking
            .channels
            .iter()
            .map(|list| {
                list.iter()
                    .map(|r| {
                        let [y0, y1, x0, x1] = receptive_field(model, ranking.layer, r.position);
                        json!([r.index, format!("{:.4}", r.value).parse::<f64>().unwrap_or(0.0), y0, y1, x0, x1])
                    })
                    .collect()
            })
            .collect()
    };
    let layers: Vec<serde_json::Value> = refs
        .relevance
        .iter()
        .zip(&refs.activation)
        .map(|(rel, act)| {
            json!({"layer": rel.layer, "kind": model.layers()[rel.layer].kind(), "relevance": rows(rel), "activation": rows(act)})
        })
        .collect();
    let head = json!({
        "about": "Reference inputs of each channel: relevance and activation maximisation (zennit-crp's \
                  FeatureVisualization, max_target=sum, abs_norm=True), each input explained for its label; \
                  per channel, the best first, as [index in the data set, share of the layer's |total|, \
                  receptive field y0, y1, x0, x1 (input pixels, inclusive)]. Written by `lrp concepts`.",
        "model": model.name(), "dataset": model.spec().dataset, "method": request.rule, "params": values,
        "inputs": request.data.input, "n": n, "k": request.k, "layers": layers,
    });
    let mut text = serde_json::to_string(&head).expect("serialisable");
    text.push('\n');
    text
}
