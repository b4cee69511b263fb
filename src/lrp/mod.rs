//! Explanations: Layer-wise Relevance Propagation with every rule and composite,
//! and the baselines it is compared with.
//!
//! [`rule`] defines rules as small values, [`backward`] is the one mechanism that
//! runs them through every layer type, [`params`] and [`registry`] declare every
//! method with its parameters, [`method`] turns a name and values into per-layer
//! rules for one model, [`baseline`] holds the non-LRP methods.

pub mod backward;
pub mod baseline;
pub mod condition;
pub mod method;
pub mod params;
pub mod registry;
pub mod rule;
pub mod tuned;

use ndarray::{ArrayD, Axis, Zip};
use serde::{Deserialize, Serialize};

pub use backward::Books;
pub use baseline::Baseline;
pub use condition::{channel_sums, shares, Condition};
pub use method::{catalogue, Method, MethodInfo, Params, RuleInfo};
pub use params::ParameterValues;
pub use registry::{Kind, METHODS};
pub use rule::Rule;

use crate::model::{Forward, Model};
use crate::{Error, Result};
use backward::{backward, Flow};

/// Which output is explained: `"predicted"` or a class index, in JSON and JavaScript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    /// The class the model predicts, for each input.
    #[default]
    Predicted,
    /// This class, for every input.
    Class(usize),
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Target::Predicted => serializer.serialize_str("predicted"),
            Target::Class(c) => serializer.serialize_u64(*c as u64),
        }
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Target, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Target;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("\"predicted\" or a class index")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<Target, E> {
                s.parse().map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> std::result::Result<Target, E> {
                usize::try_from(n).map(Target::Class).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> std::result::Result<Target, E> {
                usize::try_from(n).map(Target::Class).map_err(|_| E::custom(format!("expected a class index, got {n}")))
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> std::result::Result<Target, E> {
                if n >= 0.0 && n.fract() == 0.0 && n < 1e15 {
                    Ok(Target::Class(n as usize))
                } else {
                    Err(E::custom(format!("expected \"predicted\" or a class index, got {n}")))
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The relevance put on the target output before it is propagated back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(clap::ValueEnum))]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
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
    /// Its index in the model (the `nn.Sequential` index).
    pub index: usize,
    /// PyTorch's name for its type: `Conv2d`, `Linear`, `ReLU`, ...
    pub kind: &'static str,
    /// E.g. `Conv2d(1→12, 5×5, stride 1, padding 0)`.
    pub description: String,
    /// The rule it was given (LRP on Dense and Conv2d layers only).
    pub rule: Option<Rule>,
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
    explain_conditioned(model, input, method, options, &[])
}

/// Explains a batch with `method`, conditioned on chosen channels of some layers (CRP):
/// the relevance at each conditioned layer's output is kept for its channels only. For
/// LRP and the gradient methods, whose backward pass is one walk through the layers.
pub fn explain_conditioned(
    model: &Model,
    input: ArrayD<f32>,
    method: &Method,
    options: &Options,
    conditions: &[Condition],
) -> Result<Explanation> {
    check_conditions(model, method, conditions)?;
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
    for ((mut row, scores), &t) in output_relevance.axis_iter_mut(Axis(0)).zip(logits.axis_iter(Axis(0))).zip(&targets)
    {
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
        Method::Lrp(rules) => {
            check_rules(model, rules)?;
            let rules: Vec<Option<Rule>> =
                rules.iter().map(|r| r.clone().map(|r| if options.zero_bias { r.without_bias() } else { r })).collect();
            per_layer(model, &forward, output_relevance.clone(), Flow::Relevance(&rules), false, conditions)
        }
        Method::Baseline(Baseline::Gradient) => {
            per_layer(model, &forward, output_relevance.clone(), Flow::Gradient, false, conditions)
        }
        Method::Baseline(Baseline::GradientTimesInput) => {
            per_layer(model, &forward, output_relevance.clone(), Flow::Gradient, true, conditions)
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
        Method::Baseline(Baseline::OcclusionSensitivity { window, stride, fill }) => {
            (baseline::occlusion_sensitivity(model, x, &targets, *window, *stride, *fill)?, vec![])
        }
    };
    Ok(Explanation { logits, predictions, targets, output_relevance, relevance, layers })
}

/// Conditions that fit the model (layers it has, channels they have) and the method
/// (one walk back through the layers: LRP, gradient, gradient × input).
pub fn check_conditions(model: &Model, method: &Method, conditions: &[Condition]) -> Result<()> {
    condition::check(model, conditions)?;
    let walks = matches!(method, Method::Lrp(_) | Method::Baseline(Baseline::Gradient | Baseline::GradientTimesInput));
    if !conditions.is_empty() && !walks {
        return Err(Error::Input(
            "conditions: apply to LRP rules and composites, gradient and gradient-x-input only".into(),
        ));
    }
    Ok(())
}

/// LRP rules made for this model: a rule on each layer with parameters, none elsewhere.
fn check_rules(model: &Model, rules: &[Option<Rule>]) -> Result<()> {
    let fits = rules.len() == model.layers().len()
        && model.layers().iter().zip(rules).all(|(layer, rule)| layer.bias().is_some() == rule.is_some());
    if fits {
        Ok(())
    } else {
        Err(Error::Input(format!("method: its rules were made for another model than `{}`", model.name())))
    }
}

/// One backward pass, kept layer by layer; with `times_activation`, each layer's
/// gradient is multiplied by the activation it belongs to (gradient × input).
fn per_layer(
    model: &Model,
    forward: &Forward,
    output_relevance: ArrayD<f32>,
    flow: Flow,
    times_activation: bool,
    conditions: &[Condition],
) -> (ArrayD<f32>, Vec<LayerRelevance>) {
    let mut pass = backward(model, forward, output_relevance, &flow, conditions);
    if times_activation {
        for (r, a) in pass.relevance.iter_mut().zip(&forward.activations) {
            Zip::from(r).and(a).for_each(|r, &a| *r *= a);
        }
        pass.books = (0..model.layers().len())
            .map(|i| backward::entering_and_leaving(&pass.relevance[i + 1], &pass.relevance[i]))
            .collect();
    }
    let rules = match flow {
        Flow::Relevance(rules) => rules.to_vec(),
        Flow::Gradient => vec![None; model.layers().len()],
    };
    // The input relevance is both the explanation and layer 0's view: one copy;
    // every other layer's relevance moves into its entry.
    let input = pass.relevance[0].clone();
    let layers: Vec<LayerRelevance> = model
        .layers()
        .iter()
        .enumerate()
        .zip(rules)
        .zip(pass.relevance.into_iter().zip(pass.books))
        .map(|(((index, layer), rule), (relevance, books))| LayerRelevance {
            index,
            kind: layer.kind(),
            description: layer.describe(),
            rule,
            relevance,
            books,
        })
        .collect();
    (input, layers)
}
