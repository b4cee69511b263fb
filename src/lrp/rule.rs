//! LRP rules as small values, in Zennit's terms: each rule is a few *terms*, each a
//! modified copy of the layer (an input modifier and a parameter modifier), grouped
//! under shared denominators. [`super::backward`] runs any rule through one
//! mechanism per layer type:
//!
//! ```text
//! z_t = layer(input_mod_t(x); param_mod_t(W, b))          for each term t
//! s_g = R_out · gate_g(z) / stabilise(Σ_{t∈g} sign_t z_t)   for each group g
//! R_in = Σ_g coefficient_g Σ_{t∈g} sign_t · input_mod_t(x) ⊙ (param_mod_t(W)ᵀ s_g)
//! ```
//!
//! Adding a rule means writing its terms here; no layer code changes.

pub use crate::model::{negative, positive, ParamMod};

/// What a term feeds the layer instead of its real input `x`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InputMod {
    Identity,
    /// `max(x, 0)`
    Positive,
    /// `min(x, 0)`
    Negative,
    /// All ones (flat, w²: relevance spreads by connectivity, not by activation).
    Ones,
    /// A constant input (the z^B bounds).
    Constant(f32),
}

impl InputMod {
    pub fn apply(self, x: f32) -> f32 {
        match self {
            InputMod::Identity => x,
            InputMod::Positive => positive(x),
            InputMod::Negative => negative(x),
            InputMod::Ones => 1.0,
            InputMod::Constant(c) => c,
        }
    }
}

/// One modified copy of the layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Term {
    pub input: InputMod,
    pub params: ParamMod,
    /// False drops this term's bias (the rule's own choice, e.g. for negative branches).
    pub bias: bool,
    /// +1 or −1: how the term enters both the denominator and the relevance.
    pub sign: f32,
}

/// Which outputs a group's relevance flows through, judged on the layer's real output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gate {
    All,
    PositiveOutput,
    NegativeOutput,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub gate: Gate,
    pub coefficient: f32,
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The rule's name in the method registry (`epsilon`, `z-box`, ...).
    pub name: &'static str,
    /// Its parameters, in the order of its label: `[("epsilon", 0.25)]`.
    pub params: Vec<(&'static str, f32)>,
    pub groups: Vec<Group>,
    /// ε in `z + ε·sign(z)`, with sign(0) = +1.
    pub stabilizer: f32,
    /// Drop every term's bias (Zennit's `zero_params=['bias']`).
    pub zero_bias: bool,
}

impl std::fmt::Display for Rule {
    /// How people read it: `epsilon(0.25)`, `z-box(0, 1)`, `flat`.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.name)?;
        if !self.params.is_empty() {
            let values: Vec<String> = self.params.iter().map(|(_, v)| v.to_string()).collect();
            write!(f, "({})", values.join(", "))?;
        }
        if self.zero_bias {
            f.write_str(" without bias")?;
        }
        Ok(())
    }
}

/// Zennit's default stabiliser for every rule but ε.
pub const STABILIZER: f32 = 1e-6;

const fn term(input: InputMod, params: ParamMod, bias: bool, sign: f32) -> Term {
    Term { input, params, bias, sign }
}

fn one_group(name: &'static str, params: Vec<(&'static str, f32)>, terms: Vec<Term>, stabilizer: f32) -> Rule {
    Rule {
        name,
        params,
        groups: vec![Group { gate: Gate::All, coefficient: 1.0, terms }],
        stabilizer,
        zero_bias: false,
    }
}

use InputMod as I;
use ParamMod as P;

impl Rule {
    /// LRP-0: relevance in proportion to each input's contribution `x·w`.
    pub fn lrp0() -> Rule {
        Rule { name: "lrp-0", params: vec![], ..Rule::epsilon(0.0) }
    }

    /// LRP-ε: LRP-0 with ε added to each denominator, absorbing weak or contradictory relevance.
    pub fn epsilon(epsilon: f32) -> Rule {
        one_group("epsilon", vec![("epsilon", epsilon)], vec![term(I::Identity, P::Identity, true, 1.0)], epsilon)
    }

    /// Generalised LRP-γ (Andéol et al.): favours positive contributions by γ, for either sign of input.
    pub fn gamma(gamma: f32) -> Rule {
        Rule {
            name: "gamma",
            params: vec![("gamma", gamma)],
            groups: vec![
                Group {
                    gate: Gate::PositiveOutput,
                    coefficient: 1.0,
                    terms: vec![
                        term(I::Positive, P::GammaPositive(gamma), true, 1.0),
                        term(I::Negative, P::GammaNegative(gamma), false, 1.0),
                    ],
                },
                Group {
                    gate: Gate::NegativeOutput,
                    coefficient: 1.0,
                    terms: vec![
                        term(I::Positive, P::GammaNegative(gamma), true, 1.0),
                        term(I::Negative, P::GammaPositive(gamma), false, 1.0),
                    ],
                },
            ],
            stabilizer: STABILIZER,
            zero_bias: false,
        }
    }

    /// LRP-αβ: positive contributions weighted by α, negative ones by β (α − β = 1).
    pub fn alpha_beta(alpha: f32, beta: f32) -> Rule {
        let positive = vec![term(I::Positive, P::Positive, true, 1.0), term(I::Negative, P::Negative, false, 1.0)];
        let negative = vec![term(I::Positive, P::Negative, true, 1.0), term(I::Negative, P::Positive, false, 1.0)];
        Rule {
            name: "alpha-beta",
            params: vec![("alpha", alpha), ("beta", beta)],
            groups: vec![
                Group { gate: Gate::All, coefficient: alpha, terms: positive },
                Group { gate: Gate::All, coefficient: -beta, terms: negative },
            ],
            stabilizer: STABILIZER,
            zero_bias: false,
        }
    }

    /// z⁺: only positive contributions (α1β0, for inputs of either sign).
    pub fn z_plus() -> Rule {
        let terms = vec![term(I::Positive, P::Positive, true, 1.0), term(I::Negative, P::Negative, false, 1.0)];
        one_group("z-plus", vec![], terms, STABILIZER)
    }

    /// z^B: for inputs bounded by `low` ≤ x ≤ `high` (pixels).
    pub fn z_box(low: f32, high: f32) -> Rule {
        one_group(
            "z-box",
            vec![("low", low), ("high", high)],
            vec![
                term(I::Identity, P::Identity, true, 1.0),
                term(I::Constant(low), P::Positive, true, -1.0),
                term(I::Constant(high), P::Negative, true, -1.0),
            ],
            STABILIZER,
        )
    }

    /// Flat: relevance spread uniformly over each output's receptive field.
    pub fn flat() -> Rule {
        one_group("flat", vec![], vec![term(I::Ones, P::Ones, false, 1.0)], STABILIZER)
    }

    /// w²: relevance spread in proportion to the squared weights.
    pub fn w_square() -> Rule {
        one_group("w-square", vec![], vec![term(I::Ones, P::Square, true, 1.0)], STABILIZER)
    }

    pub fn without_bias(mut self) -> Rule {
        self.zero_bias = true;
        self
    }

    pub fn stabilise(&self, z: f32) -> f32 {
        stabilise(z, self.stabilizer)
    }
}

/// `z + ε·sign(z)` with sign(0) = +1, as Zennit's stabiliser.
pub fn stabilise(z: f32, epsilon: f32) -> f32 {
    z + if z >= 0.0 { epsilon } else { -epsilon }
}
