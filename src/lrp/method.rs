//! The catalogue of explanation methods with their parameters, ranges and defaults,
//! and parsing a method from a name and parameters. The CLI's help, the wasm
//! module's `methods()` and the page's controls are all built from [`METHODS`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::composite::Composite;
use super::rule::Rule;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Param {
    pub name: &'static str,
    pub default: f64,
    pub min: f64,
    pub max: f64,
    pub integer: bool,
    pub about: &'static str,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Rule,
    Composite,
    Baseline,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct MethodInfo {
    pub name: &'static str,
    pub kind: Kind,
    pub about: &'static str,
    pub params: &'static [Param],
}

const fn real(name: &'static str, default: f64, min: f64, max: f64, about: &'static str) -> Param {
    Param { name, default, min, max, integer: false, about }
}

const fn whole(name: &'static str, default: f64, min: f64, max: f64, about: &'static str) -> Param {
    Param { name, default, min, max, integer: true, about }
}

const EPSILON: Param = real("epsilon", 0.25, 0.0, 100.0, "added to each denominator with its sign; absorbs weak, contradictory relevance");
const GAMMA: Param = real("gamma", 0.25, 0.0, 100.0, "how much more positive contributions count than negative ones");
const ALPHA: Param = real("alpha", 2.0, 1.0, 100.0, "weight of positive contributions (alpha - beta = 1)");
const BETA: Param = real("beta", 1.0, 0.0, 99.0, "weight of negative contributions (alpha - beta = 1)");
const LOW: Param = real("low", 0.0, -1e3, 1e3, "lowest possible input value (default: the model's input range)");
const HIGH: Param = real("high", 1.0, -1e3, 1e3, "highest possible input value (default: the model's input range)");
const NOISE: Param = real("noise", 0.1, 0.0, 10.0, "noise standard deviation, as a fraction of the input's value range");
const SAMPLES: Param = whole("samples", 20.0, 1.0, 1000.0, "gradients averaged (the last one without noise)");
const SEED: Param = whole("seed", 0.0, 0.0, 4_294_967_295.0, "seed of the noise");
const STEPS: Param = whole("steps", 20.0, 1.0, 1000.0, "points on the path from the zero baseline to the input");
const WINDOW: Param = whole("window", 4.0, 1.0, 1024.0, "side of the square window kept visible, in pixels");
const STRIDE: Param = whole("stride", 2.0, 1.0, 1024.0, "step between windows, in pixels");

const fn method(name: &'static str, kind: Kind, about: &'static str, params: &'static [Param]) -> MethodInfo {
    MethodInfo { name, kind, about, params }
}

/// Every method, in the order people meet them.
pub const METHODS: &[MethodInfo] = &[
    method("lrp-0", Kind::Rule, "LRP-0: relevance in proportion to each input's contribution x·w", &[]),
    method("epsilon", Kind::Rule, "LRP-ε: LRP-0 with a stabiliser that keeps only the salient explanation", &[EPSILON]),
    method("gamma", Kind::Rule, "LRP-γ: favours positive contributions (generalised for inputs of either sign)", &[GAMMA]),
    method("alpha-beta", Kind::Rule, "LRP-αβ: positive and negative contributions weighted separately", &[ALPHA, BETA]),
    method("z-plus", Kind::Rule, "z⁺: only positive contributions (α1β0)", &[]),
    method("z-box", Kind::Rule, "z^B: for inputs bounded by low and high (pixels)", &[LOW, HIGH]),
    method("flat", Kind::Rule, "flat: spread evenly over each neuron's receptive field", &[]),
    method("w-square", Kind::Rule, "w²: spread in proportion to the squared weights", &[]),
    method("epsilon-gamma-box", Kind::Composite, "Zennit preset: ε on dense layers, γ on convolutions, z^B on the first convolution", &[EPSILON, GAMMA, LOW, HIGH]),
    method("epsilon-plus", Kind::Composite, "Zennit preset: ε on dense layers, z⁺ on convolutions", &[EPSILON]),
    method("epsilon-plus-flat", Kind::Composite, "Zennit preset: as epsilon-plus, with flat on the first layer", &[EPSILON]),
    method("epsilon-alpha2-beta1", Kind::Composite, "Zennit preset: ε on dense layers, α2β1 on convolutions", &[EPSILON]),
    method("epsilon-alpha2-beta1-flat", Kind::Composite, "Zennit preset: as epsilon-alpha2-beta1, with flat on the first layer", &[EPSILON]),
    method("montavon", Kind::Composite, "Montavon et al. 2019, by layer position: z^B on the pixels, γ on the lower (convolutional) layers, ε on the middle (dense) layers, LRP-0 on the top layer", &[EPSILON, GAMMA, LOW, HIGH]),
    method("custom", Kind::Composite, "one rule per layer with parameters, named in `layers` from the input up", &[EPSILON, GAMMA, ALPHA, BETA, LOW, HIGH]),
    method("gradient", Kind::Baseline, "the gradient of the output relevance with respect to the input", &[]),
    method("gradient-x-input", Kind::Baseline, "gradient times input", &[]),
    method("smoothgrad", Kind::Baseline, "SmoothGrad: the gradient averaged over noisy copies of the input", &[NOISE, SAMPLES, SEED]),
    method("integrated-gradients", Kind::Baseline, "Integrated Gradients from an all-zero baseline", &[STEPS]),
    method("occlusion", Kind::Baseline, "occlusion, as Zennit: each pixel gets the score of the input reduced to the windows that contain it (windows wrap around the edges)", &[WINDOW, STRIDE]),
];

/// The names of the rules a custom composite can use.
pub const RULE_NAMES: [&str; 8] = ["lrp-0", "epsilon", "gamma", "alpha-beta", "z-plus", "z-box", "flat", "w-square"];

/// Methods that are not LRP.
#[derive(Debug, Clone, PartialEq)]
pub enum Baseline {
    Gradient,
    GradientTimesInput,
    SmoothGrad { noise: f32, samples: usize, seed: u64 },
    IntegratedGradients { steps: usize },
    Occlusion { window: usize, stride: usize },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    Lrp(Composite),
    Baseline(Baseline),
}

/// Parameters as given: numbers by name, and the per-layer rule names of a custom composite.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    pub numbers: BTreeMap<String, f64>,
    pub layers: Vec<String>,
}

impl Params {
    pub fn with(mut self, name: &str, value: f64) -> Params {
        self.numbers.insert(name.to_string(), value);
        self
    }
}

pub fn info(name: &str) -> Result<&'static MethodInfo> {
    METHODS.iter().find(|m| m.name == name).ok_or_else(|| {
        Error::Input(format!("rule: unknown method `{name}`; expected one of {}", names().join(", ")))
    })
}

pub fn names() -> Vec<&'static str> {
    METHODS.iter().map(|m| m.name).collect()
}

/// Reads the parameters a method accepts, refusing unknown names and out-of-range values.
struct Reader<'a> {
    info: &'static MethodInfo,
    params: &'a Params,
    input_range: [f32; 2],
}

impl Reader<'_> {
    fn get(&self, name: &str) -> Result<f64> {
        let param = self.info.params.iter().find(|p| p.name == name).expect("catalogued parameter");
        let Some(&value) = self.params.numbers.get(name) else {
            return Ok(match name {
                "low" => self.input_range[0] as f64,
                "high" => self.input_range[1] as f64,
                _ => param.default,
            });
        };
        let fail = |expected: String| Err(Error::Input(format!("{name}: expected {expected}, got {value}")));
        if !value.is_finite() || value < param.min || value > param.max {
            return fail(format!("a number from {} to {}", param.min, param.max));
        }
        if param.integer && value.fract() != 0.0 {
            return fail(format!("a whole number from {} to {}", param.min, param.max));
        }
        Ok(value)
    }

    fn real(&self, name: &str) -> Result<f32> {
        self.get(name).map(|v| v as f32)
    }

    fn whole(&self, name: &str) -> Result<usize> {
        self.get(name).map(|v| v as usize)
    }

    fn bounds(&self) -> Result<(f32, f32)> {
        let (low, high) = (self.real("low")?, self.real("high")?);
        if low >= high {
            return Err(Error::Input(format!("low, high: expected low < high, got {low} and {high}")));
        }
        Ok((low, high))
    }

    /// α and β with α − β = 1; either one alone determines the other.
    fn alpha_beta(&self) -> Result<(f32, f32)> {
        let numbers = &self.params.numbers;
        let (alpha, beta) = match (numbers.contains_key("alpha"), numbers.contains_key("beta")) {
            (true, false) => (self.get("alpha")?, self.get("alpha")? - 1.0),
            (false, true) => (self.get("beta")? + 1.0, self.get("beta")?),
            _ => (self.get("alpha")?, self.get("beta")?),
        };
        if (alpha - beta - 1.0).abs() > 1e-9 {
            return Err(Error::Input(format!("alpha, beta: expected alpha - beta = 1, got {alpha} and {beta}")));
        }
        Ok((alpha as f32, beta as f32))
    }

    fn rule(&self, name: &str) -> Result<Rule> {
        Ok(match name {
            "lrp-0" => Rule::lrp0(),
            "epsilon" => Rule::epsilon(self.real("epsilon")?),
            "gamma" => Rule::gamma(self.real("gamma")?),
            "alpha-beta" => {
                let (alpha, beta) = self.alpha_beta()?;
                Rule::alpha_beta(alpha, beta)
            }
            "z-plus" => Rule::z_plus(),
            "z-box" => {
                let (low, high) = self.bounds()?;
                Rule::z_box(low, high)
            }
            "flat" => Rule::flat(),
            "w-square" => Rule::w_square(),
            other => {
                return Err(Error::Input(format!(
                    "layers: unknown rule `{other}`; expected one of {}",
                    RULE_NAMES.join(", ")
                )))
            }
        })
    }
}

impl Method {
    /// The method `name` with `params`; `input_range` supplies z^B's default bounds.
    pub fn parse(name: &str, params: &Params, input_range: [f32; 2]) -> Result<Method> {
        let info = info(name)?;
        for given in params.numbers.keys() {
            if !info.params.iter().any(|p| p.name == given) {
                let accepted: Vec<_> = info.params.iter().map(|p| p.name).collect();
                return Err(Error::Input(format!(
                    "{given}: `{name}` takes no such parameter; it takes {}",
                    if accepted.is_empty() { "none".to_string() } else { accepted.join(", ") }
                )));
            }
        }
        if !params.layers.is_empty() && name != "custom" {
            return Err(Error::Input(format!("layers: only the custom composite takes per-layer rules, not `{name}`")));
        }
        let r = Reader { info, params, input_range };
        use Composite as C;
        Ok(match name {
            "epsilon-gamma-box" => {
                let (low, high) = r.bounds()?;
                Method::Lrp(C::EpsilonGammaBox { epsilon: r.real("epsilon")?, gamma: r.real("gamma")?, low, high })
            }
            "epsilon-plus" => Method::Lrp(C::EpsilonPlus { epsilon: r.real("epsilon")? }),
            "epsilon-plus-flat" => Method::Lrp(C::EpsilonPlusFlat { epsilon: r.real("epsilon")? }),
            "epsilon-alpha2-beta1" => Method::Lrp(C::EpsilonAlpha2Beta1 { epsilon: r.real("epsilon")? }),
            "epsilon-alpha2-beta1-flat" => Method::Lrp(C::EpsilonAlpha2Beta1Flat { epsilon: r.real("epsilon")? }),
            "montavon" => {
                let (low, high) = r.bounds()?;
                Method::Lrp(C::Montavon { epsilon: r.real("epsilon")?, gamma: r.real("gamma")?, low, high })
            }
            "custom" => {
                if params.layers.is_empty() {
                    return Err(Error::Input(format!(
                        "layers: the custom composite needs one rule per layer with parameters, from: {}",
                        RULE_NAMES.join(", ")
                    )));
                }
                Method::Lrp(C::Custom(params.layers.iter().map(|l| r.rule(l)).collect::<Result<_>>()?))
            }
            "gradient" => Method::Baseline(Baseline::Gradient),
            "gradient-x-input" => Method::Baseline(Baseline::GradientTimesInput),
            "smoothgrad" => Method::Baseline(Baseline::SmoothGrad {
                noise: r.real("noise")?,
                samples: r.whole("samples")?,
                seed: r.whole("seed")? as u64,
            }),
            "integrated-gradients" => Method::Baseline(Baseline::IntegratedGradients { steps: r.whole("steps")? }),
            "occlusion" => Method::Baseline(Baseline::Occlusion { window: r.whole("window")?, stride: r.whole("stride")? }),
            rule => Method::Lrp(C::Uniform(r.rule(rule)?)),
        })
    }
}
