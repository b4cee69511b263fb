//! A method for one model, from a name and parameter values: checked against the
//! registry ([`super::registry`]) and the model (ranges such as z^B's bounds depend on
//! its input), then built into per-layer rules or a baseline.

use std::collections::BTreeMap;

use serde::Serialize;

use super::baseline::Baseline;
use super::params::{Constraint, ParamInfo, ParameterValues};
use super::registry::{self, Args, Build, Kind, MethodSpec, Position, METHODS};
use super::rule::Rule;
use crate::model::{Layer, Model};
use crate::{Error, Result};

/// A method ready to run on one model.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// LRP: the rule of each layer of the model (`None` on layers without parameters,
    /// which pass relevance on as Zennit does).
    Lrp(Vec<Option<Rule>>),
    Baseline(Baseline),
}

/// Parameters as a caller gives them: values by name and, for `custom`, the rule of
/// each layer with parameters, from the input up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    pub values: ParameterValues,
    pub layers: Vec<String>,
}

impl Params {
    /// These parameters with `name` set to `value` (an unknown name is an error).
    pub fn with(mut self, name: &str, value: f64) -> Result<Params> {
        self.values.set(name, value)?;
        Ok(self)
    }
}

impl Method {
    /// The method `name` for `model`, with `params`.
    pub fn parse(name: &str, params: &Params, model: &Model) -> Result<Method> {
        let spec = registry::find(name)?;
        if !params.layers.is_empty() && !matches!(spec.build, Build::PerLayer { .. }) {
            return Err(Error::Input(format!("layers: only the custom composite takes per-layer rules, not `{name}`")));
        }
        let args = args(spec, params, model)?;
        let positions = positions(model);
        Ok(match spec.build {
            Build::Rule(build) => {
                let rule = build(&args)?;
                Method::Lrp(positions.iter().map(|at| at.map(|_| rule.clone())).collect())
            }
            Build::Composite(pick) => Method::Lrp(assign(&positions, |at, _| pick(&args, at))?),
            Build::PerLayer { .. } => {
                let rules = per_layer_rules(params, &args, model)?;
                Method::Lrp(assign(&positions, |_, k| Ok(rules[k].clone()))?)
            }
            Build::Baseline(build) => Method::Baseline(build(&args)?),
        })
    }
}

/// For each layer, its position if it has parameters (Dense, Conv2d).
fn positions(model: &Model) -> Vec<Option<Position>> {
    let layers = model.layers();
    let parametrised: Vec<usize> = (0..layers.len()).filter(|&i| layers[i].bias().is_some()).collect();
    let first_conv = layers.iter().position(|l| matches!(l, Layer::Conv2d(_)));
    (0..layers.len())
        .map(|i| {
            let k = parametrised.iter().position(|&p| p == i)?;
            Some(Position {
                conv: matches!(layers[i], Layer::Conv2d(_)),
                first: k == 0,
                last: k + 1 == parametrised.len(),
                first_conv: Some(i) == first_conv,
            })
        })
        .collect()
}

/// Calls `rule(position, k)` for the k-th layer with parameters, `None` elsewhere.
fn assign(
    positions: &[Option<Position>],
    mut rule: impl FnMut(&Position, usize) -> Result<Rule>,
) -> Result<Vec<Option<Rule>>> {
    let mut k = 0;
    positions
        .iter()
        .map(|at| {
            at.as_ref()
                .map(|at| {
                    k += 1;
                    rule(at, k - 1)
                })
                .transpose()
        })
        .collect()
}

fn per_layer_rules(params: &Params, args: &Args, model: &Model) -> Result<Vec<Rule>> {
    let names: Vec<&str> = registry::rules().map(|(r, _)| r.name).collect();
    let layers: Vec<String> = model.layers().iter().filter(|l| l.bias().is_some()).map(|l| l.describe()).collect();
    if params.layers.len() != layers.len() {
        return Err(Error::Input(format!(
            "layers: the custom composite needs one rule for each of the {} layers with parameters of `{}` ({}), \
             from: {}; got {}",
            layers.len(),
            model.name(),
            layers.join(", "),
            names.join(", "),
            params.layers.len()
        )));
    }
    let rules: Vec<_> = params
        .layers
        .iter()
        .enumerate()
        .map(|(i, name)| {
            registry::rules().find(|(r, _)| r.name == name).ok_or_else(|| {
                Error::Input(format!("layers[{i}]: unknown rule `{name}`; expected one of {}", names.join(", ")))
            })
        })
        .collect::<Result<_>>()?;
    // Every parameter given must be one that some chosen rule takes.
    for (given, _) in params.values.given() {
        if !rules.iter().any(|(r, _)| r.params().iter().any(|p| p.name == given)) {
            return Err(Error::Input(format!(
                "{given}: none of the rules in `layers` ({}) takes this parameter",
                params.layers.join(", ")
            )));
        }
    }
    rules.iter().map(|(_, build)| build(args)).collect()
}

/// The values of every parameter `spec` takes for `model`: given or default, each
/// in its range, and the method's constraints met.
fn args(spec: &MethodSpec, params: &Params, model: &Model) -> Result<Args> {
    let accepted: Vec<ParamInfo> = spec.params().iter().map(|p| p.resolve(model.spec())).collect();
    let param = |name: &str| {
        accepted.iter().find(|p| p.name == name).ok_or_else(|| {
            let names: Vec<&str> = accepted.iter().map(|p| p.name).collect();
            let takes = if names.is_empty() { "none".to_string() } else { names.join(", ") };
            Error::Input(format!("{name}: `{}` takes no such parameter; it takes {takes}", spec.name))
        })
    };
    let mut given: BTreeMap<&'static str, f64> = BTreeMap::new();
    for (name, value) in params.values.given() {
        given.insert(name, param(name)?.check(value)?);
    }
    // One of two parameters bound by a difference sets the other.
    let mut values = given.clone();
    for constraint in spec.constraints() {
        if let Constraint::Difference { params: [a, b], value } = constraint {
            match (given.get(a), given.get(b)) {
                (Some(x), None) => values.insert(b, param(b)?.check(x - value)?),
                (None, Some(y)) => values.insert(a, param(a)?.check(y + value)?),
                _ => None,
            };
        }
    }
    for p in &accepted {
        values.entry(p.name).or_insert(p.default);
    }
    for constraint in spec.constraints() {
        let [a, b] = constraint.params();
        let value = |name: &str| param(name).map(|p| values.get(p.name).copied().unwrap_or(p.default));
        let (x, y) = (value(a)?, value(b)?);
        match constraint {
            Constraint::Less { .. } if x >= y => {
                return Err(Error::Input(format!("{a}, {b}: expected {a} < {b}, got {x} and {y}")));
            }
            Constraint::Difference { value: d, .. } if (x - y - d).abs() > 1e-9 => {
                return Err(Error::Input(format!("{a}, {b}: expected {a} - {b} = {d}, got {x} and {y}")));
            }
            _ => {}
        }
    }
    Ok(Args { method: spec.name, values: values.into_iter().collect() })
}

/// A rule as the module and the CLI report it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct RuleInfo {
    /// The rule's name in the registry: `z-box`.
    pub name: &'static str,
    pub params: BTreeMap<&'static str, f32>,
    /// How people read it: `z-box(0, 1)`.
    pub label: String,
}

impl From<&Rule> for RuleInfo {
    fn from(rule: &Rule) -> RuleInfo {
        RuleInfo { name: rule.name, params: rule.params.iter().copied().collect(), label: rule.to_string() }
    }
}

/// A method as it applies to one model: what `methods()` and the CLI's help list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct MethodInfo {
    pub name: &'static str,
    pub kind: Kind,
    pub about: &'static str,
    pub params: Vec<ParamInfo>,
    pub constraints: Vec<Constraint>,
    /// For LRP methods, the rule each layer gets with the default parameters (`null`
    /// on layers without parameters); for `custom`, a suggested start (Montavon's).
    pub layer_rules: Option<Vec<Option<RuleInfo>>>,
    /// Parameter values tuned for this model by `lrp tune` (the best symmetric relevance
    /// gain on MNIST test digits; data/tuned/tune.md), if any.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, number> | null"))]
    pub tuned: Option<BTreeMap<String, f64>>,
}

/// Every method as it applies to `model`.
pub fn catalogue(model: &Model) -> Vec<MethodInfo> {
    METHODS.iter().map(|spec| info(spec, model)).collect()
}

fn info(spec: &MethodSpec, model: &Model) -> MethodInfo {
    let rules = |method: Result<Method>| match method {
        Ok(Method::Lrp(rules)) => Some(rules.iter().map(|r| r.as_ref().map(RuleInfo::from)).collect()),
        _ => None,
    };
    let layer_rules = match spec.build {
        Build::PerLayer { suggested } => {
            let args = args(spec, &Params::default(), model);
            rules(args.and_then(|args| assign(&positions(model), |at, _| suggested(&args, at)).map(Method::Lrp)))
        }
        // Baselines parse to no rules.
        _ => rules(Method::parse(spec.name, &Params::default(), model)),
    };
    MethodInfo {
        name: spec.name,
        kind: spec.kind(),
        about: spec.about,
        params: spec.params().iter().map(|p| p.resolve(model.spec())).collect(),
        constraints: spec.constraints(),
        layer_rules,
        tuned: super::tuned::tuned(model, spec.name),
    }
}
