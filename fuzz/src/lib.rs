//! What the structured fuzz targets (`parse_params`, `explain`) share: a method name
//! and parameter values as the fuzzer picks them, turned into the `(name, Params)` a
//! caller would hand to `Method::parse`, and the checks on what comes back.

use arbitrary::Arbitrary;
use lrp::lrp::params::ALL;
use lrp::lrp::rule::{InputMod, ParamMod};
use lrp::lrp::{Baseline, Method, Params, Rule, METHODS};
use lrp::model::Layer;
use lrp::{embedded, explain_conditioned, Condition, Model, Options, OutputRelevance, Target};

/// A name from a known list (by index, wrapping) or any string.
#[derive(Arbitrary, Debug, Clone)]
pub enum Name {
    Known(u8),
    Other(String),
}

impl Name {
    pub fn pick(&self, known: &[&str]) -> String {
        match self {
            Name::Known(i) => known[*i as usize % known.len()].to_string(),
            Name::Other(s) => s.clone(),
        }
    }
}

/// A parameter value. Arbitrary doubles almost never land in a parameter's range, so
/// most variants aim at it: anywhere in the range, whole numbers, and its edges.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Value {
    /// Any double, NaN and infinities included.
    Raw(f64),
    /// `min + (max − min) · k / 65535` for the parameter's range on this model.
    InRange(u16),
    /// A whole number (samples, steps, windows, strides, seeds).
    Whole(u16),
    /// The range's edges and just past them, zero, NaN and the infinities.
    Edge(u8),
}

impl Value {
    pub fn resolve(self, name: &str, model: &Model) -> f64 {
        let range = ALL.iter().find(|p| p.name == name).map(|p| p.resolve(model.spec())).map(|p| (p.min, p.max));
        let (min, max) = range.unwrap_or((0.0, 1.0));
        match self {
            Value::Raw(v) => v,
            Value::InRange(k) => min + (max - min) * k as f64 / 65535.0,
            Value::Whole(n) => n as f64,
            Value::Edge(e) => match e % 12 {
                0 => min,
                1 => max,
                2 => min - 1.0,
                3 => max + 1.0,
                4 => f64::from_bits(min.to_bits().wrapping_sub(1)),
                5 => f64::from_bits(max.to_bits().wrapping_add(1)),
                6 => 0.0,
                7 => -0.0,
                8 => f64::NAN,
                9 => f64::INFINITY,
                10 => f64::NEG_INFINITY,
                _ => (min + max) / 2.0,
            },
        }
    }
}

/// A method and its parameters as a caller might send them.
#[derive(Arbitrary, Debug, Clone)]
pub struct MethodInput {
    pub method: Name,
    pub values: Vec<(Name, Value)>,
    /// Per-layer rule names (the `custom` composite takes them; other methods refuse them).
    pub layers: Vec<Name>,
}

impl MethodInput {
    /// The method's name and its parameters for `model`. Unknown parameter names are
    /// refused by `ParameterValues::set` before `Method::parse` ever sees them, so they
    /// are dropped here (after checking that `set` does refuse them).
    pub fn build(&self, model: &Model) -> (String, Params) {
        let methods: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
        let params: Vec<&str> = ALL.iter().map(|p| p.name).collect();
        let mut out = Params::default();
        for (name, value) in &self.values {
            let name = name.pick(&params);
            let value = value.resolve(&name, model);
            let known = params.contains(&name.as_str());
            assert_eq!(out.values.set(&name, value).is_ok(), known, "set({name:?}) accepted an unknown name or refused a known one");
        }
        out.layers = self.layers.iter().map(|n| n.pick(&methods)).collect();
        (self.method.pick(&methods), out)
    }
}

/// A method `Method::parse` built for `model` must be well-formed: every value in it
/// finite, and (for LRP) a rule on exactly the layers with parameters, which is
/// what `explain` requires of it.
pub fn check_method(method: &Method, model: &Model) {
    match method {
        Method::Lrp(rules) => {
            assert_eq!(rules.len(), model.layers().len(), "one rule slot per layer");
            for (layer, rule) in model.layers().iter().zip(rules) {
                assert_eq!(layer.bias().is_some(), rule.is_some(), "a rule on {} layer {rule:?}", layer.kind());
                if let Some(rule) = rule {
                    assert!(rule_is_finite(rule), "non-finite value in {rule:?}");
                }
            }
        }
        Method::Baseline(Baseline::SmoothGrad { noise, samples, .. }) => {
            assert!(noise.is_finite() && *noise >= 0.0, "noise {noise}");
            assert!(*samples >= 1, "samples {samples}");
        }
        Method::Baseline(Baseline::IntegratedGradients { steps }) => assert!(*steps >= 1, "steps {steps}"),
        Method::Baseline(Baseline::Occlusion { window, stride }) => assert!(*window >= 1 && *stride >= 1, "{window} {stride}"),
        Method::Baseline(Baseline::OcclusionSensitivity { window, stride, fill }) => {
            let [low, high] = model.spec().input_range;
            assert!(*window >= 1 && *stride >= 1 && (low..=high).contains(fill), "{window} {stride} {fill}");
        }
        Method::Baseline(Baseline::Gradient | Baseline::GradientTimesInput) => {}
    }
}

pub fn rule_is_finite(rule: &Rule) -> bool {
    let input = |m: &InputMod| match m {
        InputMod::Constant(c) => c.is_finite(),
        _ => true,
    };
    let params = |m: &ParamMod| match m {
        ParamMod::GammaPositive(g) | ParamMod::GammaNegative(g) => g.is_finite(),
        _ => true,
    };
    rule.stabilizer.is_finite()
        && rule.params.iter().all(|(_, v)| v.is_finite())
        && rule.groups.iter().all(|g| {
            g.coefficient.is_finite() && g.terms.iter().all(|t| t.sign.is_finite() && input(&t.input) && params(&t.params))
        })
}

/// The input of `parse_params`.
#[derive(Arbitrary, Debug)]
pub struct ParseParamsInput {
    pub model: u8,
    pub method: MethodInput,
}

/// `parse_params`' body: the method if it parsed.
pub fn parse_params(input: &ParseParamsInput) -> Option<Method> {
    let models = embedded::all().expect("the embedded models load");
    let model = &models[input.model as usize % models.len()];
    let (name, params) = input.method.build(model);
    let method = Method::parse(&name, &params, model).ok()?;
    check_method(&method, model);
    Some(method)
}

/// SmoothGrad samples and Integrated Gradients steps the `explain` target runs, at most.
pub const MAX_PASSES: usize = 50;

/// Multiply-adds one `explain` execution may cost, at most: forward passes (or
/// gradients, or occluded copies) × inputs × [`work`] of one forward pass. A gradient
/// costs about three forward passes, so this is 1–2 ms natively (a few under the
/// sanitizer); it admits 14 gradients of the CNN, 30 of mlp-wide, 50 (the cap) of
/// mlp-narrow, and occlusion down to stride 10 on the CNN, 6 on mlp-wide and 4 on
/// mlp-narrow (`cargo run --manifest-path fuzz/seeds/Cargo.toml -- time` prints these).
pub const MAX_EXPLAIN_WORK: u128 = 10_000_000;

/// Multiply-adds of one forward pass of one input, plus every activation value
/// written (so a model of cheap layers on huge tensors counts too); saturating.
pub fn work(model: &Model) -> u128 {
    let elements = |shape: &[usize]| shape.iter().fold(1u128, |n, &d| n.saturating_mul(d as u128));
    let mut total = elements(&model.shapes()[0]);
    for (layer, io) in model.layers().iter().zip(model.shapes().windows(2)) {
        let (input, output) = (elements(&io[0]), elements(&io[1]));
        let per_output = match layer {
            Layer::Dense(d) => d.weight().ncols() as u128,
            Layer::Conv2d(c) => {
                let (_, channels, kh, kw) = c.weight.dim();
                (channels as u128).saturating_mul(kh as u128).saturating_mul(kw as u128)
            }
            Layer::MaxPool2d(p) | Layer::AvgPool2d(p) => (p.kernel[0] as u128).saturating_mul(p.kernel[1] as u128),
            Layer::Relu | Layer::Flatten => 1,
        };
        total = total.saturating_add(input).saturating_add(output.saturating_mul(per_output.max(1)));
    }
    total
}

/// Forward passes (or gradients) a method runs per input: samples, steps, or one per
/// occlusion window position (as `baseline::occlusion` places them).
pub fn passes(method: &Method, model: &Model) -> usize {
    match method {
        Method::Baseline(Baseline::SmoothGrad { samples, .. }) => *samples,
        Method::Baseline(Baseline::IntegratedGradients { steps }) => *steps,
        Method::Baseline(Baseline::Occlusion { stride, .. }) => {
            model.spec().input_shape.iter().map(|&s| s.div_ceil((*stride).clamp(1, s))).product()
        }
        Method::Baseline(Baseline::OcclusionSensitivity { window, stride, .. }) => {
            let shape = &model.spec().input_shape;
            let side = |s: usize| lrp::lrp::baseline::window_starts(s, *window, *stride).len();
            1 + shape[shape.len().saturating_sub(2)..].iter().map(|&s| side(s)).product::<usize>()
        }
        _ => 1,
    }
}

#[derive(Arbitrary, Debug)]
pub enum TargetInput {
    Predicted,
    Class(u8),
    Any(usize),
}

/// The input of `explain`.
#[derive(Arbitrary, Debug)]
pub struct ExplainInput {
    pub model: u8,
    pub method: MethodInput,
    /// Pixels, repeated to the model's input length and mapped into its range.
    pub pixels: Vec<u8>,
    pub two_inputs: bool,
    pub target: TargetInput,
    pub one_hot: bool,
    pub zero_bias: bool,
    /// CRP conditions: (layer, channels), possibly out of range, repeated or empty.
    pub conditions: Vec<(u8, Vec<u8>)>,
}

/// What became of an `explain` input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The method did not parse.
    Refused,
    /// Too slow for the fuzzer (see [`MAX_PASSES`]).
    Skipped,
    /// `explain` returned an error.
    Failed,
    Explained,
}

/// `explain`'s body.
pub fn explain_input(input: &ExplainInput) -> Outcome {
    let models = embedded::all().expect("the embedded models load");
    let model = &models[input.model as usize % models.len()];
    let (name, params) = input.method.build(model);
    let Ok(method) = Method::parse(&name, &params, model) else { return Outcome::Refused };
    check_method(&method, model);
    let convolutional = model.layers().iter().any(|l| matches!(l, Layer::Conv2d(_)));
    let n = if input.two_inputs { 2 } else { 1 };
    match method {
        Method::Baseline(Baseline::SmoothGrad { samples, .. }) if samples > MAX_PASSES => return Outcome::Skipped,
        Method::Baseline(Baseline::IntegratedGradients { steps }) if steps > MAX_PASSES => return Outcome::Skipped,
        Method::Baseline(Baseline::Occlusion { stride, .. } | Baseline::OcclusionSensitivity { stride, .. })
            if convolutional && stride < 2 =>
        {
            return Outcome::Skipped
        }
        _ if (passes(&method, model) * n) as u128 * work(model) > MAX_EXPLAIN_WORK => return Outcome::Skipped,
        _ => {}
    }

    let [low, high] = model.spec().input_range;
    let len = model.input_len();
    let values: Vec<f32> = (0..n * len)
        .map(|i| {
            let byte = if input.pixels.is_empty() { 0 } else { input.pixels[i % input.pixels.len()] };
            (low + (high - low) * byte as f32 / 255.0).clamp(low, high)
        })
        .collect();
    let batch = model.batch(&values).expect("values of the model's length and range");
    let options = Options {
        target: match input.target {
            TargetInput::Predicted => Target::Predicted,
            TargetInput::Class(c) => Target::Class(c as usize),
            TargetInput::Any(c) => Target::Class(c),
        },
        output: if input.one_hot { OutputRelevance::OneHot } else { OutputRelevance::Score },
        zero_bias: input.zero_bias,
    };
    let conditions: Vec<Condition> = input
        .conditions
        .iter()
        .map(|(layer, channels)| Condition {
            layer: *layer as usize % (model.layers().len() + 2),
            channels: channels.iter().map(|&c| c as usize).collect(),
        })
        .collect();
    let Ok(explanation) = explain_conditioned(model, batch, &method, &options, &conditions) else {
        return Outcome::Failed;
    };

    let mut input_shape = vec![n];
    input_shape.extend(&model.spec().input_shape);
    assert_eq!(explanation.relevance.shape(), &input_shape[..]);
    assert_eq!(explanation.targets.len(), n);
    assert!(explanation.targets.iter().all(|&t| t < model.classes().len()));
    assert!(explanation.output_relevance.iter().all(|v| v.is_finite()), "non-finite output relevance");
    assert!(explanation.relevance.iter().all(|v| v.is_finite()), "non-finite relevance with {method:?}");
    for layer in &explanation.layers {
        assert!(layer.relevance.iter().all(|v| v.is_finite()), "non-finite relevance at layer {}", layer.index);
        for b in &layer.books {
            let values = [b.entering, b.leaving, b.bias, b.stabilizer, b.gated];
            assert!(values.iter().all(|v| v.is_finite()), "non-finite books at layer {}: {b:?}", layer.index);
        }
    }
    Outcome::Explained
}

/// Forward passes of the removal curves the `evaluate` target runs, at most (steps + 1
/// per order per input).
pub const MAX_CURVE_PASSES: usize = 64;

/// The input of `evaluate`.
#[derive(Arbitrary, Debug)]
pub struct EvaluateInput {
    pub explain: ExplainInput,
    /// The random order instead of the method.
    pub random: bool,
    /// zero, road, blur (wrapping).
    pub imputation: u8,
    /// Steps: this modulo 80 (0 and too many included).
    pub steps: u8,
    /// Pixels per step: this modulo 64 if the top bit is clear (mostly a schedule that
    /// fits), else the other 15 bits as they are (mostly one that does not).
    pub step_pixels: u16,
    pub seed: u64,
    pub first_index: u64,
    /// One label per input (any byte: out-of-range classes must be refused).
    pub labels: Option<[u8; 2]>,
    pub k_step: u8,
}

/// `evaluate`'s body: `evaluation::evaluate` on one or two inputs, then the report.
pub fn evaluate_input(input: &EvaluateInput) -> Outcome {
    use lrp::evaluation::{evaluate, Imputation, Ranking, Removal, ReportSplit, Schedule};
    let models = embedded::all().expect("the embedded models load");
    let model = &models[input.explain.model as usize % models.len()];
    let ranking = if input.random {
        Ranking::Random
    } else {
        let (name, params) = input.explain.method.build(model);
        let Ok(method) = Method::parse(&name, &params, model) else { return Outcome::Refused };
        check_method(&method, model);
        if (passes(&method, model) * 2) as u128 * work(model) > MAX_EXPLAIN_WORK {
            return Outcome::Skipped;
        }
        Ranking::Method { name, method }
    };
    let n = if input.explain.two_inputs { 2 } else { 1 };
    let orders = if input.random { 1 } else { 2 };
    let steps = (input.steps % 80) as usize;
    let step_pixels = match input.step_pixels {
        p if p & 0x8000 == 0 => (p % 64) as usize,
        p => (p & 0x7fff) as usize,
    };
    if (steps + 1) * orders * n > MAX_CURVE_PASSES * 2 {
        return Outcome::Skipped;
    }
    let [low, high] = model.spec().input_range;
    let len = model.input_len();
    let values: Vec<f32> = (0..n * len)
        .map(|i| {
            let pixels = &input.explain.pixels;
            let byte = if pixels.is_empty() { 0 } else { pixels[i % pixels.len()] };
            (low + (high - low) * byte as f32 / 255.0).clamp(low, high)
        })
        .collect();
    let labels = input.labels.map(|l| l[..n].to_vec());
    let removal = Removal {
        imputation: Imputation::ALL[input.imputation as usize % 3],
        schedule: Schedule { steps, step_pixels },
        seed: input.seed,
    };
    let Ok((tally, kept)) = evaluate(model, &ranking, &values, labels.as_deref(), &removal, input.first_index, true) else {
        return Outcome::Failed;
    };
    assert_eq!(kept.len(), n);
    for input in &kept {
        for (_, curve) in &input.curves {
            assert_eq!(curve.removed.len(), steps + 1);
            assert!(curve.removed.windows(2).all(|w| w[0] <= w[1]), "pixels removed decrease: {:?}", curve.removed);
            assert!(curve.score.iter().all(|v| v.is_finite()), "non-finite score");
            assert!(curve.probability.iter().chain(&curve.confidence).all(|v| (0.0..=1.0).contains(v)), "out of [0, 1]");
            assert!(curve.aopc().is_finite() && curve.flip().is_none_or(|f| f.step >= 1 && f.to < model.classes().len()));
        }
    }
    let k = input.k_step as usize;
    match tally.report(k) {
        Ok(report) => {
            assert!(k <= steps);
            let all = report.rows.iter().find(|r| r.split == ReportSplit::All).expect("every input in `all`");
            assert_eq!(all.inputs, n);
            assert!(all.aopc.is_finite() && all.relevance_gain.is_some_and(f64::is_finite));
        }
        Err(_) => assert!(k > steps),
    }
    Outcome::Explained
}
