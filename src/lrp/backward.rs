//! The one backward mechanism: walks the layers from the output to the input,
//! passing relevance (or a plain gradient) through each layer type exactly once.

use std::borrow::Cow;

use ndarray::{ArrayD, Axis, Zip};

use super::rule::{stabilise, Gate, InputMod, ParamMod, Rule, Term, STABILIZER};
use crate::model::layer::as4;
use crate::model::{Forward, Layer, Model};

/// What flows backwards.
#[derive(Debug, Clone)]
pub enum Flow {
    /// LRP: one rule per layer (`Some` for every Dense and Conv2d, `None` elsewhere).
    /// ReLU passes relevance through, max-pooling is winner-take-all, average pooling
    /// is proportional: Zennit's treatment of layers without parameters.
    Relevance(Vec<Option<Rule>>),
    /// The gradient of the output (times the output relevance).
    Gradient,
}

/// Where one sample's relevance went at one layer.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Books {
    /// Relevance arriving from the layer above.
    pub entering: f32,
    /// Relevance passed to the layer below.
    pub leaving: f32,
    /// Absorbed by the biases (as the rule modified them).
    pub bias: f32,
    /// Everything else that did not pass: stabilisers, and outputs no gate let through.
    pub stabilizer: f32,
}

/// The backward pass of one batch: `relevance[i]` is the relevance at the input of
/// layer `i` (`relevance[layers]` is the output relevance); `books[i][n]` accounts
/// for layer `i` and sample `n`.
pub struct Backward {
    pub relevance: Vec<ArrayD<f32>>,
    pub books: Vec<Vec<Books>>,
}

pub fn backward(model: &Model, forward: &Forward, output_relevance: ArrayD<f32>, flow: &Flow) -> Backward {
    let layers = model.layers();
    let mut relevance = vec![ArrayD::zeros(ndarray::IxDyn(&[0])); layers.len() + 1];
    let mut books = vec![Vec::new(); layers.len()];
    relevance[layers.len()] = output_relevance;
    for (i, layer) in layers.iter().enumerate().rev() {
        let (x, z, upstream) = (&forward.activations[i], &forward.activations[i + 1], &relevance[i + 1]);
        let rule = match flow {
            Flow::Relevance(rules) => Some(rules[i].as_ref()),
            Flow::Gradient => None,
        };
        let (downstream, bias) = layer_backward(layer, x, z, upstream, rule);
        books[i] = account(upstream, &downstream, bias);
        relevance[i] = downstream;
    }
    Backward { relevance, books }
}

/// One layer: returns the relevance (or gradient) at its input and, per sample,
/// what its biases absorbed. `rule` is `None` for the gradient, `Some(rule)` for
/// LRP (`Some(None)` on layers without parameters).
fn layer_backward(
    layer: &Layer,
    x: &ArrayD<f32>,
    z: &ArrayD<f32>,
    upstream: &ArrayD<f32>,
    rule: Option<Option<&Rule>>,
) -> (ArrayD<f32>, Vec<f32>) {
    let none = || vec![0.0; x.shape()[0]];
    match (layer, rule) {
        (Layer::Dense(_) | Layer::Conv2d(_), Some(Some(rule))) => relevance_linear(layer, rule, x, z, upstream),
        (Layer::Dense(_) | Layer::Conv2d(_), _) => (layer.transpose(upstream, |w| w, x.shape()).expect("linear layer"), none()),
        (Layer::Relu, Some(_)) => (upstream.clone(), none()),
        (Layer::Relu, None) => (Zip::from(upstream).and(x).map_collect(|&g, &v| if v > 0.0 { g } else { 0.0 }), none()),
        (Layer::MaxPool2d(p), _) => (p.route_to_max(as4(x), as4(upstream)).into_dyn(), none()),
        (Layer::AvgPool2d(p), Some(_)) => {
            // Zennit's Norm rule: relevance in proportion to each input's share of the average.
            let s = Zip::from(upstream).and(z).map_collect(|&r, &z| divide(r, stabilise(z, STABILIZER)));
            let c = p.spread_evenly(as4(x), as4(&s)).into_dyn();
            (c * x, none())
        }
        (Layer::AvgPool2d(p), None) => (p.spread_evenly(as4(x), as4(upstream)).into_dyn(), none()),
        (Layer::Flatten, _) => {
            (upstream.as_standard_layout().into_owned().into_shape_with_order(x.shape()).expect("flatten"), none())
        }
    }
}

/// Binds `$f` to the weight modifier `$params` as a closure of its own type, so that
/// the layer's inner loops are compiled once per modifier rather than branching on it.
macro_rules! with_modifier {
    ($params:expr, $f:ident => $body:expr) => {
        match $params {
            ParamMod::Identity => {
                let $f = |w: f32| ParamMod::Identity.apply(w);
                $body
            }
            ParamMod::Positive => {
                let $f = |w: f32| ParamMod::Positive.apply(w);
                $body
            }
            ParamMod::Negative => {
                let $f = |w: f32| ParamMod::Negative.apply(w);
                $body
            }
            ParamMod::GammaPositive(gamma) => {
                let $f = move |w: f32| ParamMod::GammaPositive(gamma).apply(w);
                $body
            }
            ParamMod::GammaNegative(gamma) => {
                let $f = move |w: f32| ParamMod::GammaNegative(gamma).apply(w);
                $body
            }
            ParamMod::Square => {
                let $f = |w: f32| ParamMod::Square.apply(w);
                $body
            }
            ParamMod::Ones => {
                let $f = |w: f32| ParamMod::Ones.apply(w);
                $body
            }
        }
    };
}

/// The rule mechanism for Dense and Conv2d (see [`super::rule`]).
fn relevance_linear(layer: &Layer, rule: &Rule, x: &ArrayD<f32>, z: &ArrayD<f32>, r: &ArrayD<f32>) -> (ArrayD<f32>, Vec<f32>) {
    let mut r_in = ArrayD::<f32>::zeros(x.raw_dim());
    let mut bias = vec![0.0; x.shape()[0]];
    let keeps_bias = |t: &Term| t.bias && !rule.zero_bias;
    for group in &rule.groups {
        let inputs: Vec<Cow<ArrayD<f32>>> = group
            .terms
            .iter()
            .map(|t| if t.input == InputMod::Identity { Cow::Borrowed(x) } else { Cow::Owned(x.mapv(|v| t.input.apply(v))) })
            .collect();
        // A term whose input is all zeros (x⁻ of a ReLU output, say) passes no relevance.
        let silent: Vec<bool> = inputs.iter().map(|input| input.iter().all(|&v| v == 0.0)).collect();
        // A single unmodified term's output is the layer's own output: no need to recompute it.
        let unmodified = |t: &Term| t.input == InputMod::Identity && t.params == ParamMod::Identity && keeps_bias(t);
        let denominator = match group.terms.as_slice() {
            [t] if unmodified(t) && t.sign == 1.0 => Cow::Borrowed(z),
            terms => {
                let mut sum = ArrayD::<f32>::zeros(z.raw_dim());
                for ((t, input), &silent) in terms.iter().zip(&inputs).zip(&silent) {
                    if silent && !keeps_bias(t) {
                        continue; // contributes nothing
                    }
                    if unmodified(t) {
                        sum.scaled_add(t.sign, z); // the layer's own output, already computed
                        continue;
                    }
                    let z_t = with_modifier!(t.params, f => layer.apply(input, f, keeps_bias(t)).expect("linear layer"));
                    sum.scaled_add(t.sign, &z_t);
                }
                Cow::Owned(sum)
            }
        };
        let s = Zip::from(r).and(z).and(denominator.as_ref()).map_collect(|&r, &z, &d| {
            let open = match group.gate {
                Gate::All => true,
                Gate::PositiveOutput => z > 0.0,
                Gate::NegativeOutput => z < 0.0,
            };
            if open { divide(r, rule.stabilise(d)) } else { 0.0 }
        });
        for ((t, input), &silent) in group.terms.iter().zip(&inputs).zip(&silent) {
            if !silent {
                let c = with_modifier!(t.params, f => layer.transpose(&s, f, x.shape()).expect("linear layer"));
                r_in.scaled_add(group.coefficient * t.sign, &(c * input.as_ref()));
            }
            if keeps_bias(t) {
                let b = layer.bias().expect("linear layer").mapv(|v| t.params.apply(v));
                for (n, sample) in s.axis_iter(Axis(0)).enumerate() {
                    bias[n] += group.coefficient * t.sign * bias_share(&sample, &b);
                }
            }
        }
    }
    (r_in, bias)
}

/// `Σ_k s_k b_k` over one sample's outputs (for a convolution, every position of
/// channel `k` carries `b_k`).
fn bias_share(s: &ndarray::ArrayViewD<f32>, b: &ndarray::Array1<f32>) -> f32 {
    if s.ndim() == 1 {
        s.iter().zip(b).map(|(s, b)| s * b).sum()
    } else {
        s.outer_iter().zip(b).map(|(channel, b)| channel.sum() * b).sum()
    }
}

/// `r / d`; a zero denominator (possible only with ε = 0, LRP-0) passes nothing
/// rather than infinities.
fn divide(r: f32, d: f32) -> f32 {
    if d == 0.0 { 0.0 } else { r / d }
}

pub(crate) fn account(upstream: &ArrayD<f32>, downstream: &ArrayD<f32>, bias: Vec<f32>) -> Vec<Books> {
    upstream
        .axis_iter(Axis(0))
        .zip(downstream.axis_iter(Axis(0)))
        .zip(bias)
        .map(|((up, down), bias)| {
            let (entering, leaving) = (up.sum(), down.sum());
            Books { entering, leaving, bias, stabilizer: entering - leaving - bias }
        })
        .collect()
}
