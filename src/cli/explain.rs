//! `lrp explain`: relevance maps as .npy, and a JSON summary on stdout.

use std::io::Write;
use std::path::Path;

use lrp::data::npy::NpyStream;
use lrp::evaluation::{confidence, raw_confidence, softmax};
use lrp::lrp::{catalogue, channel_sums, shares, Books, Kind, RuleInfo};
use lrp::{
    embedded, explain_conditioned, Condition, Error, Explanation, Method, Model, Options, OutputRelevance, Params,
    Target,
};
use ndarray::Axis;
use serde::Serialize;
use serde_json::json;

use super::{batches, input};

pub struct Request<'a> {
    pub input: &'a str,
    pub model: &'a Model,
    pub rule: &'a str,
    pub params: &'a [String],
    pub layers: Option<&'a str>,
    pub target: Target,
    pub output: OutputRelevance,
    pub zero_bias: bool,
    pub invert: bool,
    pub out: Option<&'a Path>,
    /// CRP: keep only these channels of these layers' output relevance.
    pub conditions: &'a [Condition],
    /// Report each layer's output relevance per channel in the summary.
    pub channels: bool,
}

/// `name=value` pairs (and comma-separated per-layer rules) as method parameters.
pub fn params(pairs: &[String], layers: Option<&str>) -> Result<Params, Error> {
    let mut params = Params::default();
    for pair in pairs {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| Error::Input(format!("--param {pair}: expected name=value, e.g. epsilon=0.25")))?;
        let value: f64 =
            value.parse().map_err(|_| Error::Input(format!("--param {pair}: `{value}` is not a number")))?;
        params.values.set(name, value)?;
    }
    if let Some(layers) = layers {
        params.layers = layers.split(',').map(|l| l.trim().to_string()).collect();
    }
    Ok(params)
}

/// Explains every input on every core, a chunk at a time: the relevance streams into
/// the .npy (written beside it and renamed when complete) and the summary to stdout,
/// so memory stays flat however many inputs there are.
pub fn run(request: &Request) -> Result<(), Error> {
    let model = request.model;
    let params = params(request.params, request.layers)?;
    let method = Method::parse(request.rule, &params, model)?;
    let options = Options { target: request.target, output: request.output, zero_bias: request.zero_bias };
    let images = input::read(request.input, request.invert, model)?;
    let len = model.input_len();
    model.check_values(&images.pixels)?; // every value, before anything is written
    lrp::lrp::check_conditions(model, &method, request.conditions)?;
    let partial = request.out.map(|p| p.with_extension("partial"));
    let mut npy = match &partial {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| Error::Data(format!("{}: {e}", path.display())))?;
            Some(NpyStream::new(std::io::BufWriter::new(file), &[images.count, len])?)
        }
        None => None,
    };
    let head = json!({
        "model": model.name(),
        "method": request.rule,
        "params": params.values,
        "layers": params.layers,
        "target": request.target,
        "output": request.output,
        "zero_bias": request.zero_bias,
        "conditions": request.conditions,
        "relevance_file": request.out.map(|p| p.display().to_string()),
    });
    let head = serde_json::to_string_pretty(&head).expect("serialisable");
    // Block-buffered: stdout alone is line-buffered, a write per line of the summary.
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut print = |text: &str| stdout.write_all(text.as_bytes()).map_err(|e| Error::Data(format!("stdout: {e}")));
    print(&format!("{},\n  \"inputs\": [", head.trim_end_matches('}').trim_end()))?;
    let bar = batches::progress(images.count as u64, "explaining");
    let mut first = true;
    let finished = batches::in_order(
        images.count,
        model.preferred_batch(),
        |range| {
            let batch = model.batch(&images.pixels[range.start * len..range.end * len])?;
            let e = explain_conditioned(model, batch, &method, &options, request.conditions)?;
            let labels = images.labels.as_ref().map(|l| &l[range.clone()]);
            // Each input's summary on one line of the `inputs` list: 30 MB of pretty JSON
            // for the test split would be 3 times as large and as slow.
            let text: Vec<String> = summaries(&e, labels, request.channels)
                .iter()
                .map(|s| serde_json::to_string(s).expect("serialisable"))
                .collect();
            Ok((e.relevance.iter().copied().collect::<Vec<f32>>(), text))
        },
        |range, (relevance, inputs)| {
            if let Some(npy) = &mut npy {
                npy.extend(&relevance)?;
            }
            for text in inputs {
                print(&format!("{}\n    {text}", if first { "" } else { "," }))?;
                first = false;
            }
            bar.inc(range.len() as u64);
            Ok(())
        },
    )?;
    bar.finish_and_clear();
    print("\n  ]\n}\n")?;
    stdout.flush().map_err(|e| Error::Data(format!("stdout: {e}")))?;
    if !finished {
        return Err(Error::Input("stopped by Ctrl-C: no relevance file was written".into()));
    }
    if let (Some(npy), Some(partial), Some(out)) = (npy, &partial, request.out) {
        npy.finish()?;
        std::fs::rename(partial, out).map_err(|e| Error::Data(format!("{}: {e}", out.display())))?;
    }
    Ok(())
}

/// One input's line of the JSON summary.
#[derive(Serialize)]
struct InputSummary<'a> {
    prediction: usize,
    label: Option<u8>,
    target: usize,
    logits: Vec<f32>,
    confidence: f32,
    raw_confidence: Option<f32>,
    output_relevance: f32,
    relevance_sum: f32,
    layers: Vec<LayerSummary<'a>>,
}

#[derive(Serialize)]
struct LayerSummary<'a> {
    index: usize,
    kind: &'a str,
    layer: &'a str,
    rule: Option<RuleInfo>,
    sum: f32,
    books: Books,
    /// The relevance at the layer's output, summed per channel (neuron), with `--channels`.
    #[serde(skip_serializing_if = "Option::is_none")]
    channels: Option<Vec<f32>>,
    /// Each channel's share of the layer's total |relevance|, with `--channels`.
    #[serde(skip_serializing_if = "Option::is_none")]
    shares: Option<Vec<f32>>,
}

/// The JSON summary of each input of an explained batch.
fn summaries<'a>(explanation: &'a Explanation, labels: Option<&[u8]>, channels: bool) -> Vec<InputSummary<'a>> {
    // The relevance at each layer's output is the next layer's input relevance, or the output relevance.
    let outputs: Vec<_> = if channels {
        let layers = &explanation.layers;
        (0..layers.len())
            .map(|i| channel_sums(layers.get(i + 1).map_or(&explanation.output_relevance, |l| &l.relevance)))
            .collect()
    } else {
        vec![]
    };
    (0..explanation.predictions.len())
        .map(|n| {
            let logits: Vec<f32> = explanation.logits.index_axis(Axis(0), n).iter().copied().collect();
            let layers = explanation
                .layers
                .iter()
                .enumerate()
                .map(|(i, l)| LayerSummary {
                    index: l.index,
                    kind: l.kind,
                    layer: &l.description,
                    rule: l.rule.as_ref().map(RuleInfo::from),
                    sum: l.relevance.index_axis(Axis(0), n).sum(),
                    books: l.books[n],
                    channels: outputs.get(i).map(|sums| sums.row(n).to_vec()),
                    shares: outputs.get(i).map(|sums| shares(&sums.row(n).to_vec())),
                })
                .collect();
            InputSummary {
                prediction: explanation.predictions[n],
                label: labels.map(|l| l[n]),
                target: explanation.targets[n],
                confidence: confidence(&softmax(&logits)),
                raw_confidence: raw_confidence(&logits),
                logits,
                output_relevance: explanation.output_relevance.index_axis(Axis(0), n).sum(),
                relevance_sum: explanation.relevance.index_axis(Axis(0), n).sum(),
                layers,
            }
        })
        .collect()
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
        text += &format!(
            "\n{}:\n",
            match kind {
                Kind::Rule => "Rules (applied to every layer with parameters)",
                Kind::Composite => "Composites (a rule per layer)",
                Kind::Baseline => "Baselines",
            }
        );
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
