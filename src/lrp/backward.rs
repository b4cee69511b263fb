//! The one backward mechanism: walks the layers from the output to the input,
//! passing relevance (or a plain gradient) through each layer type exactly once.

use std::borrow::Cow;

use ndarray::{ArrayD, Axis, Zip};

use super::condition::{mask, Condition};
use super::rule::{stabilise, Gate, InputMod, ParamMod, Rule, Term, STABILIZER};
use crate::model::layer::as4;
use crate::model::{Forward, Layer, Model};

/// What flows backwards.
#[derive(Debug, Clone)]
pub enum Flow<'a> {
    /// LRP: one rule per layer (`Some` for every Dense and Conv2d, `None` elsewhere).
    /// ReLU passes relevance through, max-pooling is winner-take-all, average pooling
    /// is proportional: Zennit's treatment of layers without parameters.
    Relevance(&'a [Option<Rule>]),
    /// The gradient of the output (times the output relevance).
    Gradient,
}

/// How one layer passes back what flows.
#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    /// LRP with this rule (Dense, Conv2d).
    Rule(&'a Rule),
    /// LRP through a layer without parameters.
    Relevance,
    Gradient,
}

/// Where one sample's relevance went at one layer:
/// `entering = leaving + bias + stabilizer + gated`, up to rounding.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct Books {
    /// Relevance arriving from the layer above.
    pub entering: f32,
    /// Relevance passed to the layer below.
    pub leaving: f32,
    /// Absorbed by the biases (as the rule modified them).
    pub bias: f32,
    /// Absorbed by the stabilisers of the denominators (ε, or 1e-6).
    pub stabilizer: f32,
    /// Stopped by the rule's gates: outputs that no group of the rule passes on
    /// (γ on an output of exactly 0).
    pub gated: f32,
}

/// What a layer kept back, per sample (the rest of [`Books`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Absorbed {
    bias: f32,
    stabilizer: f32,
    gated: f32,
}

/// The backward pass of one batch: `relevance[i]` is the relevance at the input of
/// layer `i` (`relevance[layers]` is the output relevance); `books[i][n]` accounts
/// for layer `i` and sample `n`.
pub struct Backward {
    pub relevance: Vec<ArrayD<f32>>,
    pub books: Vec<Vec<Books>>,
}

pub fn backward(
    model: &Model,
    forward: &Forward,
    output_relevance: ArrayD<f32>,
    flow: &Flow,
    conditions: &[Condition],
) -> Backward {
    let layers = model.layers();
    let mut relevance = vec![ArrayD::zeros(ndarray::IxDyn(&[0])); layers.len() + 1];
    let mut books = vec![Vec::new(); layers.len()];
    relevance[layers.len()] = output_relevance;
    for (i, layer) in layers.iter().enumerate().rev() {
        // CRP: what reaches a conditioned layer's output is kept for its chosen channels only.
        if let Some(condition) = conditions.iter().find(|c| c.layer == i) {
            mask(&mut relevance[i + 1], &condition.channels);
        }
        let (x, z, upstream) = (&forward.activations[i], &forward.activations[i + 1], &relevance[i + 1]);
        let step = match flow {
            Flow::Relevance(rules) => rules[i].as_ref().map_or(Step::Relevance, Step::Rule),
            Flow::Gradient => Step::Gradient,
        };
        let (downstream, absorbed) = layer_backward(layer, x, z, upstream, step);
        books[i] = account(upstream, &downstream, &absorbed);
        relevance[i] = downstream;
    }
    Backward { relevance, books }
}

/// The gradient at the input of `layers` (a run of a model's layers) of
/// `output_gradient · f`, where `activations[i]` is the input of `layers[i]` and
/// `activations[layers.len()]` their output: the gradient pass of [`backward`] without
/// its per-layer record.
pub fn gradient_through(layers: &[Layer], activations: &[ArrayD<f32>], output_gradient: ArrayD<f32>) -> ArrayD<f32> {
    layers.iter().enumerate().rev().fold(output_gradient, |g, (i, layer)| {
        layer_backward(layer, &activations[i], &activations[i + 1], &g, Step::Gradient).0
    })
}

/// One layer: the relevance (or gradient) at its input and, per sample, what it kept back.
fn layer_backward(
    layer: &Layer,
    x: &ArrayD<f32>,
    z: &ArrayD<f32>,
    upstream: &ArrayD<f32>,
    step: Step,
) -> (ArrayD<f32>, Vec<Absorbed>) {
    let none = || vec![Absorbed::default(); x.shape()[0]];
    match (layer, step) {
        (Layer::Dense(_) | Layer::Conv2d(_), Step::Rule(rule)) => relevance_linear(layer, rule, x, z, upstream),
        // `Step::Relevance` cannot reach a layer with parameters: explain() gives each one a rule.
        (Layer::Dense(_) | Layer::Conv2d(_), _) => {
            (layer.transpose(upstream, ParamMod::Identity, x.shape()).expect("linear layer"), none())
        }
        (Layer::Relu, Step::Gradient) => {
            (Zip::from(upstream).and(x).map_collect(|&g, &v| if v > 0.0 { g } else { 0.0 }), none())
        }
        (Layer::Relu, _) => (upstream.clone(), none()),
        (Layer::MaxPool2d(p), _) => (p.route_to_max(as4(x), as4(upstream)).into_dyn(), none()),
        (Layer::AvgPool2d(p), Step::Gradient) => (p.spread_evenly(as4(x), as4(upstream)).into_dyn(), none()),
        (Layer::AvgPool2d(p), _) => {
            // Zennit's Norm rule: relevance in proportion to each input's share of the average.
            let s = Zip::from(upstream).and(z).map_collect(|&r, &z| divide(r, stabilise(z, STABILIZER)));
            let c = p.spread_evenly(as4(x), as4(&s)).into_dyn();
            let mut absorbed = none();
            for ((a, r), (s, z)) in
                absorbed.iter_mut().zip(upstream.outer_iter()).zip(s.outer_iter().zip(z.outer_iter()))
            {
                a.stabilizer = Zip::from(&r).and(&s).and(&z).fold(0.0, |sum, &r, &s, &z| sum + (r - s * z));
            }
            (c * x, absorbed)
        }
        (Layer::Flatten, _) => {
            (upstream.as_standard_layout().into_owned().into_shape_with_order(x.shape()).expect("flatten"), none())
        }
    }
}

/// The rule mechanism for Dense and Conv2d (see [`super::rule`]).
fn relevance_linear(
    layer: &Layer,
    rule: &Rule,
    x: &ArrayD<f32>,
    z: &ArrayD<f32>,
    r: &ArrayD<f32>,
) -> (ArrayD<f32>, Vec<Absorbed>) {
    let mut r_in = ArrayD::<f32>::zeros(x.raw_dim());
    let mut absorbed = vec![Absorbed::default(); x.shape()[0]];
    // Σ_g coefficient_g over the groups whose gate is open, per output: 1 where the
    // rule passes an output's relevance on in full, 0 where no gate lets it through.
    let mut passed = ArrayD::<f32>::zeros(z.raw_dim());
    let per_sample = (z.len() / z.shape()[0].max(1)).max(1); // outputs of one sample
    let keeps_bias = |t: &Term| t.bias && !rule.zero_bias;
    for group in &rule.groups {
        let inputs: Vec<Cow<ArrayD<f32>>> = group
            .terms
            .iter()
            .map(|t| {
                if t.input == InputMod::Identity {
                    Cow::Borrowed(x)
                } else {
                    Cow::Owned(x.mapv(|v| t.input.apply(v)))
                }
            })
            .collect();
        // A term whose input is all zeros (x⁻ of a ReLU output, say) passes no relevance.
        let silent: Vec<bool> = inputs.iter().map(|input| flat(input).iter().all(|&v| v == 0.0)).collect();
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
                    let z_t = layer.apply(input, t.params, keeps_bias(t)).expect("linear layer");
                    sum.scaled_add(t.sign, &z_t);
                }
                Cow::Owned(sum)
            }
        };
        // Per sample: the quotients s = r / stabilised d where the gate is open, the
        // coefficient passed there, and what the stabiliser kept (Σ r − s·d).
        let mut s = ArrayD::<f32>::zeros(z.raw_dim());
        let (r_flat, z_flat, d_flat) = (flat(r), flat(z), flat(denominator.as_ref()));
        for (n, ((s, passed), ((r, z), d))) in flat_mut(&mut s)
            .chunks_mut(per_sample)
            .zip(flat_mut(&mut passed).chunks_mut(per_sample))
            .zip(r_flat.chunks(per_sample).zip(z_flat.chunks(per_sample)).zip(d_flat.chunks(per_sample)))
            .enumerate()
        {
            let sample = Outputs { r, z, d };
            let kept = match group.gate {
                Gate::All => sample.quotients(|_| true, rule.stabilizer, group.coefficient, s, passed),
                Gate::PositiveOutput => sample.quotients(|z| z > 0.0, rule.stabilizer, group.coefficient, s, passed),
                Gate::NegativeOutput => sample.quotients(|z| z < 0.0, rule.stabilizer, group.coefficient, s, passed),
            };
            absorbed[n].stabilizer += group.coefficient * kept;
        }
        for ((t, input), &silent) in group.terms.iter().zip(&inputs).zip(&silent) {
            if !silent {
                let c = layer.transpose(&s, t.params, x.shape()).expect("linear layer");
                let k = group.coefficient * t.sign;
                for ((r, &c), &v) in flat_mut(&mut r_in).iter_mut().zip(flat(&c).iter()).zip(flat(input).iter()) {
                    *r += k * c * v;
                }
            }
            if keeps_bias(t) {
                let b = layer.bias().expect("linear layer").mapv(|v| t.params.apply(v));
                for (n, sample) in s.axis_iter(Axis(0)).enumerate() {
                    absorbed[n].bias += group.coefficient * t.sign * bias_share(&sample, &b);
                }
            }
        }
    }
    // What no group's gate let through, per sample: Σ r · (1 − passed).
    for (n, (r, passed)) in flat(r).chunks(per_sample).zip(flat(&passed).chunks(per_sample)).enumerate() {
        absorbed[n].gated = r.iter().zip(passed).fold(0.0, |sum, (&r, &p)| sum + r * (1.0 - p));
    }
    (r_in, absorbed)
}

/// One sample's upstream relevance `r`, layer outputs `z` and rule denominators `d`.
struct Outputs<'a> {
    r: &'a [f32],
    z: &'a [f32],
    d: &'a [f32],
}

impl Outputs<'_> {
    /// Writes `s = r / stabilise(d)` where `open(z)` (0 elsewhere), adds `coefficient` to
    /// `passed` there, and returns what the stabiliser kept there, `Σ r − s·d`. Without
    /// branches and eight outputs at a time, so that it vectorises.
    #[inline(always)]
    fn quotients(
        &self,
        open: impl Fn(f32) -> bool,
        epsilon: f32,
        coefficient: f32,
        s: &mut [f32],
        passed: &mut [f32],
    ) -> f32 {
        const LANES: usize = 8;
        let one = |s: &mut f32, passed: &mut f32, r: f32, z: f32, d: f32| {
            let open = open(z);
            let q = divide(r, stabilise(d, epsilon));
            *s = if open { q } else { 0.0 };
            *passed += if open { coefficient } else { 0.0 };
            if open {
                r - q * d
            } else {
                0.0
            }
        };
        let whole = s.len() / LANES * LANES;
        let mut lanes = [0.0f32; LANES];
        for (at, (s, passed)) in
            (0..whole).step_by(LANES).zip(s.chunks_exact_mut(LANES).zip(passed.chunks_exact_mut(LANES)))
        {
            let (r, z, d) = (&self.r[at..at + LANES], &self.z[at..at + LANES], &self.d[at..at + LANES]);
            for i in 0..LANES {
                lanes[i] += one(&mut s[i], &mut passed[i], r[i], z[i], d[i]);
            }
        }
        let mut kept: f32 = lanes.iter().sum();
        for i in whole..s.len() {
            kept += one(&mut s[i], &mut passed[i], self.r[i], self.z[i], self.d[i]);
        }
        kept
    }
}

/// An array's values in row-major order (borrowed: the engine's arrays already are).
fn flat(a: &ArrayD<f32>) -> Cow<'_, [f32]> {
    a.as_slice().map_or_else(|| Cow::Owned(a.iter().copied().collect()), Cow::Borrowed)
}

/// The values of an array made here by `zeros` (in standard layout).
fn flat_mut(a: &mut ArrayD<f32>) -> &mut [f32] {
    a.as_slice_mut().expect("an array made by zeros")
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
    if d == 0.0 {
        0.0
    } else {
        r / d
    }
}

fn account(upstream: &ArrayD<f32>, downstream: &ArrayD<f32>, absorbed: &[Absorbed]) -> Vec<Books> {
    upstream
        .axis_iter(Axis(0))
        .zip(downstream.axis_iter(Axis(0)))
        .zip(absorbed)
        .map(|((up, down), a)| Books {
            entering: up.sum(),
            leaving: down.sum(),
            bias: a.bias,
            stabilizer: a.stabilizer,
            gated: a.gated,
        })
        .collect()
}

/// Books that record only what entered and left (gradient × input, whose per-layer
/// values are not a relevance anything is meant to conserve).
pub(crate) fn entering_and_leaving(upstream: &ArrayD<f32>, downstream: &ArrayD<f32>) -> Vec<Books> {
    account(upstream, downstream, &vec![Absorbed::default(); upstream.shape()[0]])
}
