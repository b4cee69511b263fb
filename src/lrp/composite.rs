//! Composites: which rule each layer with parameters (Dense, Conv2d) gets.

use super::rule::Rule;
use crate::model::{Layer, Model};
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum Composite {
    /// One rule on every layer.
    Uniform(Rule),
    /// Zennit's presets: ε on dense layers and, on convolutions, …
    /// … γ, with z^B on the first convolution (none on a network without one).
    EpsilonGammaBox { epsilon: f32, gamma: f32, low: f32, high: f32 },
    /// … z⁺.
    EpsilonPlus { epsilon: f32 },
    /// … z⁺, with flat on the first layer.
    EpsilonPlusFlat { epsilon: f32 },
    /// … α2β1.
    EpsilonAlpha2Beta1 { epsilon: f32 },
    /// … α2β1, with flat on the first layer.
    EpsilonAlpha2Beta1Flat { epsilon: f32 },
    /// Montavon et al. (2019), by position: z^B on the first layer (the pixels), γ on
    /// the convolutions above it, ε on the hidden dense layers, LRP-0 on the output layer.
    Montavon { epsilon: f32, gamma: f32, low: f32, high: f32 },
    /// One rule per layer with parameters, from the input up.
    Custom(Vec<Rule>),
}

/// Where a layer with parameters sits, which is all a composite looks at.
struct Position {
    conv: bool,
    first: bool,
    last: bool,
    first_conv: bool,
}

impl Composite {
    /// One entry per layer of `model`: the rule for each Dense and Conv2d, `None` elsewhere.
    pub fn assign(&self, model: &Model, zero_bias: bool) -> Result<Vec<Option<Rule>>> {
        let layers = model.layers();
        let parametrised: Vec<usize> =
            (0..layers.len()).filter(|&i| matches!(layers[i], Layer::Dense(_) | Layer::Conv2d(_))).collect();
        let first_conv = layers.iter().position(|l| matches!(l, Layer::Conv2d(_)));
        if let Composite::Custom(rules) = self {
            if rules.len() != parametrised.len() {
                return Err(Error::Input(format!(
                    "layers: the custom composite names {} rules, but `{}` has {} layers with parameters ({})",
                    rules.len(),
                    model.name(),
                    parametrised.len(),
                    parametrised.iter().map(|&i| layers[i].describe()).collect::<Vec<_>>().join(", ")
                )));
            }
        }
        let mut assigned = vec![None; layers.len()];
        for (k, &i) in parametrised.iter().enumerate() {
            let at = Position {
                conv: matches!(layers[i], Layer::Conv2d(_)),
                first: k == 0,
                last: k + 1 == parametrised.len(),
                first_conv: Some(i) == first_conv,
            };
            let rule = self.rule_at(&at, k);
            assigned[i] = Some(if zero_bias { rule.without_bias() } else { rule });
        }
        Ok(assigned)
    }

    fn rule_at(&self, at: &Position, k: usize) -> Rule {
        use Composite::*;
        match *self {
            Uniform(ref rule) => rule.clone(),
            Custom(ref rules) => rules[k].clone(),
            EpsilonGammaBox { epsilon, gamma, low, high } => match at {
                Position { conv: true, first_conv: true, .. } => Rule::z_box(low, high),
                Position { conv: true, .. } => Rule::gamma(gamma),
                _ => Rule::epsilon(epsilon),
            },
            EpsilonPlus { epsilon } | EpsilonPlusFlat { epsilon } => match at {
                Position { first: true, .. } if matches!(self, EpsilonPlusFlat { .. }) => Rule::flat(),
                Position { conv: true, .. } => Rule::z_plus(),
                _ => Rule::epsilon(epsilon),
            },
            EpsilonAlpha2Beta1 { epsilon } | EpsilonAlpha2Beta1Flat { epsilon } => match at {
                Position { first: true, .. } if matches!(self, EpsilonAlpha2Beta1Flat { .. }) => Rule::flat(),
                Position { conv: true, .. } => Rule::alpha_beta(2.0, 1.0),
                _ => Rule::epsilon(epsilon),
            },
            Montavon { epsilon, gamma, low, high } => match at {
                Position { first: true, .. } => Rule::z_box(low, high),
                Position { last: true, .. } => Rule::lrp0(),
                Position { conv: true, .. } => Rule::gamma(gamma),
                _ => Rule::epsilon(epsilon),
            },
        }
    }
}
