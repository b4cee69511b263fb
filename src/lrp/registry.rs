//! The registry of explanation methods: one entry per method with its name, what it
//! is, the parameters it takes and how to build it. Everything else is derived from
//! it: parsing ([`super::method`]), the CLI's help, the module's `methods()`, the
//! rules the custom composite accepts, and through `methods()` the page's controls.
//!
//! Adding a rule is one entry here and its terms in [`super::rule`].

use serde::Serialize;

use super::baseline::Baseline;
use super::params::{
    Constraint, ParamSpec, ALPHA, BETA, EPSILON, FILL, GAMMA, HIGH, LOW, NOISE, SAMPLES, SEED, STEPS, STRIDE, WINDOW,
};
use super::rule::Rule;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An LRP rule, the same on every layer with parameters.
    Rule,
    /// An LRP composite: a rule for each layer with parameters.
    Composite,
    /// Not LRP: a method LRP is compared with.
    Baseline,
}

/// How a method is made from its parameter values.
#[derive(Clone, Copy)]
pub enum Build {
    /// An LRP rule for every layer with parameters; `custom` can name it for any layer.
    Rule(fn(&Args) -> Result<Rule>),
    /// A composite: each layer's rule from where the layer sits.
    Composite(fn(&Args, &Position) -> Result<Rule>),
    /// One rule per layer, named by the caller; `suggested` is a good start (shown by `methods()`).
    PerLayer {
        suggested: fn(&Args, &Position) -> Result<Rule>,
    },
    Baseline(fn(&Args) -> Result<Baseline>),
}

pub struct MethodSpec {
    pub name: &'static str,
    pub about: &'static str,
    /// The parameters it takes (for `custom`: see [`MethodSpec::params`]).
    params: &'static [ParamSpec],
    constraints: &'static [Constraint],
    pub build: Build,
}

/// Where a layer with parameters sits, which is all a composite looks at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// A convolution (else a dense layer).
    pub conv: bool,
    /// The first layer with parameters: the one that sees the pixels.
    pub first: bool,
    /// The last one: the output layer.
    pub last: bool,
    /// The first convolution.
    pub first_conv: bool,
}

/// A method's parameter values, each given or defaulted and already checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    pub(crate) method: &'static str,
    pub(crate) values: Vec<(&'static str, f64)>,
}

impl Args {
    fn get(&self, name: &str) -> Result<f64> {
        let found = self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        // Unreachable for the entries below (a test builds every method); an error, not a panic.
        found.ok_or_else(|| Error::Input(format!("{name}: `{}` does not declare this parameter", self.method)))
    }

    pub fn real(&self, name: &str) -> Result<f32> {
        self.get(name).map(|v| v as f32)
    }

    pub fn whole(&self, name: &str) -> Result<usize> {
        self.get(name).map(|v| v as usize)
    }
}

impl MethodSpec {
    pub fn kind(&self) -> Kind {
        match self.build {
            Build::Rule(_) => Kind::Rule,
            Build::Composite(_) | Build::PerLayer { .. } => Kind::Composite,
            Build::Baseline(_) => Kind::Baseline,
        }
    }

    /// The parameters it takes; `custom` takes those of every rule.
    pub fn params(&self) -> Vec<&'static ParamSpec> {
        match self.build {
            Build::PerLayer { .. } => {
                let mut all: Vec<&'static ParamSpec> = vec![];
                for (rule, _) in rules() {
                    for p in rule.params {
                        if !all.iter().any(|q| q.name == p.name) {
                            all.push(p);
                        }
                    }
                }
                all
            }
            _ => self.params.iter().collect(),
        }
    }

    pub fn constraints(&self) -> Vec<Constraint> {
        match self.build {
            Build::PerLayer { .. } => rules().flat_map(|(r, _)| r.constraints.iter().copied()).collect(),
            _ => self.constraints.to_vec(),
        }
    }
}

/// The method called `name`.
pub fn find(name: &str) -> Result<&'static MethodSpec> {
    METHODS.iter().find(|m| m.name == name).ok_or_else(|| {
        let names: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
        Error::Input(format!("method: unknown method `{name}`; expected one of {}", names.join(", ")))
    })
}

/// The rules with their builders, in registry order: what `custom` accepts for each layer.
pub fn rules() -> impl Iterator<Item = (&'static MethodSpec, fn(&Args) -> Result<Rule>)> {
    METHODS.iter().filter_map(|m| match m.build {
        Build::Rule(build) => Some((m, build)),
        _ => None,
    })
}

const BOUNDS: Constraint = Constraint::Less { params: ["low", "high"] };
const ALPHA_BETA: Constraint = Constraint::Difference { params: ["alpha", "beta"], value: 1.0 };

const fn rule(
    name: &'static str,
    about: &'static str,
    params: &'static [ParamSpec],
    constraints: &'static [Constraint],
    build: fn(&Args) -> Result<Rule>,
) -> MethodSpec {
    MethodSpec { name, about, params, constraints, build: Build::Rule(build) }
}

const fn composite(
    name: &'static str,
    about: &'static str,
    params: &'static [ParamSpec],
    constraints: &'static [Constraint],
    pick: fn(&Args, &Position) -> Result<Rule>,
) -> MethodSpec {
    MethodSpec { name, about, params, constraints, build: Build::Composite(pick) }
}

const fn baseline(
    name: &'static str,
    about: &'static str,
    params: &'static [ParamSpec],
    build: fn(&Args) -> Result<Baseline>,
) -> MethodSpec {
    MethodSpec { name, about, params, constraints: &[], build: Build::Baseline(build) }
}

fn z_box(a: &Args) -> Result<Rule> {
    Ok(Rule::z_box(a.real("low")?, a.real("high")?))
}

/// Zennit's presets: ε on dense layers and something else on convolutions.
fn on_convolutions(a: &Args, at: &Position, conv: Rule, first_layer: Option<Rule>) -> Result<Rule> {
    Ok(match (at, first_layer) {
        (Position { first: true, .. }, Some(first)) => first,
        (Position { conv: true, .. }, _) => conv,
        _ => Rule::epsilon(a.real("epsilon")?),
    })
}

/// Montavon et al. (2019), by position: z^B on the pixels, γ on the convolutions
/// above, ε on the hidden dense layers, LRP-0 on the output layer.
fn montavon(a: &Args, at: &Position) -> Result<Rule> {
    Ok(match at {
        Position { first: true, .. } => z_box(a)?,
        Position { last: true, .. } => Rule::lrp0(),
        Position { conv: true, .. } => Rule::gamma(a.real("gamma")?),
        _ => Rule::epsilon(a.real("epsilon")?),
    })
}

/// Every method, in the order people meet them.
pub const METHODS: &[MethodSpec] = &[
    rule("lrp-0", "LRP-0: relevance in proportion to each input's contribution x·w", &[], &[], |_| Ok(Rule::lrp0())),
    rule("epsilon", "LRP-ε: LRP-0 with a stabiliser that keeps only the salient explanation", &[EPSILON], &[], |a| {
        Ok(Rule::epsilon(a.real("epsilon")?))
    }),
    rule(
        "gamma",
        "LRP-γ: favours positive contributions (generalised for inputs of either sign)",
        &[GAMMA],
        &[],
        |a| Ok(Rule::gamma(a.real("gamma")?)),
    ),
    rule(
        "alpha-beta",
        "LRP-αβ: positive and negative contributions weighted separately",
        &[ALPHA, BETA],
        &[ALPHA_BETA],
        |a| Ok(Rule::alpha_beta(a.real("alpha")?, a.real("beta")?)),
    ),
    rule("z-plus", "z⁺: only positive contributions (α1β0)", &[], &[], |_| Ok(Rule::z_plus())),
    rule("z-box", "z^B: for inputs bounded by low and high (pixels)", &[LOW, HIGH], &[BOUNDS], z_box),
    rule("flat", "flat: spread evenly over each neuron's receptive field", &[], &[], |_| Ok(Rule::flat())),
    rule("w-square", "w²: spread in proportion to the squared weights", &[], &[], |_| Ok(Rule::w_square())),
    composite(
        "epsilon-gamma-box",
        "Zennit preset: ε on dense layers, γ on convolutions, z^B on the first convolution",
        &[EPSILON, GAMMA, LOW, HIGH],
        &[BOUNDS],
        |a, at| match at {
            Position { first_conv: true, .. } => z_box(a),
            _ => on_convolutions(a, at, Rule::gamma(a.real("gamma")?), None),
        },
    ),
    composite("epsilon-plus", "Zennit preset: ε on dense layers, z⁺ on convolutions", &[EPSILON], &[], |a, at| {
        on_convolutions(a, at, Rule::z_plus(), None)
    }),
    composite(
        "epsilon-plus-flat",
        "Zennit preset: as epsilon-plus, with flat on the first layer",
        &[EPSILON],
        &[],
        |a, at| on_convolutions(a, at, Rule::z_plus(), Some(Rule::flat())),
    ),
    composite(
        "epsilon-alpha2-beta1",
        "Zennit preset: ε on dense layers, α2β1 on convolutions",
        &[EPSILON],
        &[],
        |a, at| on_convolutions(a, at, Rule::alpha_beta(2.0, 1.0), None),
    ),
    composite(
        "epsilon-alpha2-beta1-flat",
        "Zennit preset: as epsilon-alpha2-beta1, with flat on the first layer",
        &[EPSILON],
        &[],
        |a, at| on_convolutions(a, at, Rule::alpha_beta(2.0, 1.0), Some(Rule::flat())),
    ),
    composite(
        "montavon",
        "Montavon et al. 2019, by layer position: z^B on the pixels, γ on the lower (convolutional) layers, \
         ε on the middle (dense) layers, LRP-0 on the top layer",
        &[EPSILON, GAMMA, LOW, HIGH],
        &[BOUNDS],
        montavon,
    ),
    MethodSpec {
        name: "custom",
        about: "one rule per layer with parameters, named in `layers` from the input up",
        params: &[],
        constraints: &[],
        build: Build::PerLayer { suggested: montavon },
    },
    baseline("gradient", "the gradient of the output relevance with respect to the input", &[], |_| {
        Ok(Baseline::Gradient)
    }),
    baseline("gradient-x-input", "gradient times input", &[], |_| Ok(Baseline::GradientTimesInput)),
    baseline(
        "smoothgrad",
        "SmoothGrad: the gradient averaged over noisy copies of the input",
        &[NOISE, SAMPLES, SEED],
        |a| {
            Ok(Baseline::SmoothGrad {
                noise: a.real("noise")?,
                samples: a.whole("samples")?,
                seed: a.whole("seed")? as u64,
            })
        },
    ),
    baseline("integrated-gradients", "Integrated Gradients from an all-zero baseline", &[STEPS], |a| {
        Ok(Baseline::IntegratedGradients { steps: a.whole("steps")? })
    }),
    baseline(
        "occlusion",
        "Zennit's occlusion (not occlusion sensitivity): each pixel gets the target's score on the input \
         reduced to a window that contains it, everything else black, summed over such windows (they wrap \
         around the edges)",
        &[WINDOW, STRIDE],
        |a| Ok(Baseline::Occlusion { window: a.whole("window")?, stride: a.whole("stride")? }),
    ),
    baseline(
        "occlusion-sensitivity",
        "occlusion sensitivity (Zeiler & Fergus 2014): each pixel gets the mean drop of the target's score when \
         a window over it is set to the fill value (the one-window form of feature removal)",
        &[WINDOW, STRIDE, FILL],
        |a| {
            Ok(Baseline::OcclusionSensitivity {
                window: a.whole("window")?,
                stride: a.whole("stride")?,
                fill: a.real("fill")?,
            })
        },
    ),
];
