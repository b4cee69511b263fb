//! Explanations: Layer-wise Relevance Propagation with every rule and composite,
//! and the baselines it is compared with.
//!
//! [`rule`] defines rules as small values, [`backward`] is the one mechanism that
//! runs them through every layer type, [`composite`] assigns rules to layers,
//! [`method`] names and parses everything, [`baseline`] holds the non-LRP methods.

pub mod backward;
pub mod baseline;
pub mod composite;
pub mod method;
pub mod rule;

use ndarray::{ArrayD, Axis, Zip};
use serde::{Deserialize, Serialize};

pub use backward::Books;
pub use composite::Composite;
pub use method::{Baseline, Method, Params, METHODS};
pub use rule::Rule;

use crate::model::{Forward, Model};
use crate::{Error, Result};
use backward::{backward, Flow};

/// Which output is explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// The class the model predicts, for each input.
    #[default]
    Predicted,
    /// This class, for every input.
    Class(usize),
}

/// The relevance put on the target output before it is propagated back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputRelevance {
    /// The target's output score (classic LRP: input relevance sums to the score,
    /// less what biases and stabilisers absorb).
    #[default]
    Score,
    /// 1 on the target (Zennit's one-hot), so maps are in units of the score's gradient.
    OneHot,
}

impl std::str::FromStr for Target {
    type Err = Error;
    /// `predicted` or a class index.
    fn from_str(s: &str) -> Result<Target> {
        match s {
            "predicted" => Ok(Target::Predicted),
            _ => s
                .parse()
                .map(Target::Class)
                .map_err(|_| Error::Input(format!("target: expected `predicted` or a class index, got `{s}`"))),
        }
    }
}

impl std::str::FromStr for OutputRelevance {
    type Err = Error;
    fn from_str(s: &str) -> Result<OutputRelevance> {
        match s {
            "score" => Ok(OutputRelevance::Score),
            "one-hot" => Ok(OutputRelevance::OneHot),
            _ => Err(Error::Input(format!("output: expected `score` or `one-hot`, got `{s}`"))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Options {
    pub target: Target,
    pub output: OutputRelevance,
    /// Drop every bias from the LRP rules (Zennit's `zero_params=['bias']`).
    pub zero_bias: bool,
}

/// The relevance at the input of one layer, and its books.
#[derive(Debug, Clone)]
pub struct LayerRelevance {
    /// The layer, e.g. `Conv2d(1→12, 5×5, stride 1, padding 0)`.
    pub layer: String,
    /// The rule it was given (LRP on Dense and Conv2d layers only).
    pub rule: Option<String>,
    /// `[N, ...]`, shaped like the layer's input.
    pub relevance: ArrayD<f32>,
    /// One per input of the batch.
    pub books: Vec<Books>,
}

#[derive(Debug, Clone)]
pub struct Explanation {
    pub logits: ArrayD<f32>,
    pub predictions: Vec<usize>,
    pub targets: Vec<usize>,
    /// The relevance put on the outputs, `[N, classes]`.
    pub output_relevance: ArrayD<f32>,
    /// Relevance per input value, `[N, ...input_shape]`.
    pub relevance: ArrayD<f32>,
    /// One per layer, from the input up (LRP, gradient and gradient × input; the
    /// sampling baselines have no per-layer view and leave this empty).
    pub layers: Vec<LayerRelevance>,
}

/// Explains a batch `[N, ...input_shape]` with `method`.
pub fn explain(model: &Model, input: ArrayD<f32>, method: &Method, options: &Options) -> Result<Explanation> {
    let forward = model.forward(input)?;
    let predictions = forward.predictions();
    let classes = model.classes().len();
    let targets: Vec<usize> = match options.target {
        Target::Predicted => predictions.clone(),
        Target::Class(c) if c < classes => vec![c; predictions.len()],
        Target::Class(c) => {
            return Err(Error::Input(format!("target: expected a class from 0 to {}, got {c}", classes - 1)));
        }
    };
    let logits = forward.logits().clone();
    let mut output_relevance = ArrayD::<f32>::zeros(logits.raw_dim());
    for ((mut row, scores), &t) in output_relevance.axis_iter_mut(Axis(0)).zip(logits.axis_iter(Axis(0))).zip(&targets) {
        row[t] = match options.output {
            OutputRelevance::Score => scores[t],
            OutputRelevance::OneHot => 1.0,
        };
    }
    if options.zero_bias && matches!(method, Method::Baseline(_)) {
        return Err(Error::Input("zero_bias: applies to LRP rules and composites only".into()));
    }

    let x = &forward.activations[0];
    let (relevance, layers) = match method {
        Method::Lrp(composite) => {
            let rules = composite.assign(model, options.zero_bias)?;
            let names = rules.iter().map(|r| r.as_ref().map(|r| r.name.clone())).collect();
            per_layer(model, &forward, output_relevance.clone(), Flow::Relevance(rules), names, false)
        }
        Method::Baseline(Baseline::Gradient) => {
            per_layer(model, &forward, output_relevance.clone(), Flow::Gradient, vec![None; model.layers().len()], false)
        }
        Method::Baseline(Baseline::GradientTimesInput) => {
            per_layer(model, &forward, output_relevance.clone(), Flow::Gradient, vec![None; model.layers().len()], true)
        }
        Method::Baseline(Baseline::SmoothGrad { noise, samples, seed }) => {
            (baseline::smoothgrad(model, x, &output_relevance, *noise, *samples, *seed)?, vec![])
        }
        Method::Baseline(Baseline::IntegratedGradients { steps }) => {
            (baseline::integrated_gradients(model, x, &output_relevance, *steps)?, vec![])
        }
        Method::Baseline(Baseline::Occlusion { window, stride }) => {
            (baseline::occlusion(model, x, &targets, *window, *stride)?, vec![])
        }
    };
    Ok(Explanation { logits, predictions, targets, output_relevance, relevance, layers })
}

/// One backward pass, kept layer by layer; with `times_activation`, each layer's
/// gradient is multiplied by the activation it belongs to (gradient × input).
fn per_layer(
    model: &Model,
    forward: &Forward,
    output_relevance: ArrayD<f32>,
    flow: Flow,
    rules: Vec<Option<String>>,
    times_activation: bool,
) -> (ArrayD<f32>, Vec<LayerRelevance>) {
    let mut pass = backward(model, forward, output_relevance, &flow);
    if times_activation {
        for (r, a) in pass.relevance.iter_mut().zip(&forward.activations) {
            Zip::from(r).and(a).for_each(|r, &a| *r *= a);
        }
        pass.books = (0..model.layers().len())
            .map(|i| backward::account(&pass.relevance[i + 1], &pass.relevance[i], vec![0.0; forward.activations[0].shape()[0]]))
            .collect();
    }
    // The input relevance is both the explanation and layer 0's view: one copy;
    // every other layer's relevance moves into its entry.
    let input = pass.relevance[0].clone();
    let layers: Vec<LayerRelevance> = model
        .layers()
        .iter()
        .zip(rules)
        .zip(pass.relevance.into_iter().zip(pass.books))
        .map(|((layer, rule), (relevance, books))| LayerRelevance { layer: layer.describe(), rule, relevance, books })
        .collect();
    (input, layers)
}
