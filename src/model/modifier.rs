//! Parameter modifiers: how a relevance rule changes a layer's weights and bias
//! before running it (Zennit's ParamMod). The layers take one as an argument, so
//! that a rule runs the same layer code with modified parameters.

use ndarray::{Array, CowArray, Dimension};

/// How a term changes the layer's weights *and* bias (as Zennit's ParamMod, which
/// modifies every parameter), before `bias` decides whether the bias is kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamMod {
    Identity,
    /// `max(p, 0)`
    Positive,
    /// `min(p, 0)`
    Negative,
    /// `p + γ·max(p, 0)`
    GammaPositive(f32),
    /// `p + γ·min(p, 0)`
    GammaNegative(f32),
    /// `p²`
    Square,
    /// All ones.
    Ones,
}

/// `max(x, 0)` and `min(x, 0)` as comparisons: `f32::max` becomes a call to `fmaxf`
/// in wasm (its NaN rules differ from the instruction's), which is slow in inner loops.
#[inline]
pub fn positive(x: f32) -> f32 {
    if x > 0.0 {
        x
    } else {
        0.0
    }
}

#[inline]
pub fn negative(x: f32) -> f32 {
    if x < 0.0 {
        x
    } else {
        0.0
    }
}

impl ParamMod {
    pub fn apply(self, p: f32) -> f32 {
        match self {
            ParamMod::Identity => p,
            ParamMod::Positive => positive(p),
            ParamMod::Negative => negative(p),
            ParamMod::GammaPositive(gamma) => p + gamma * positive(p),
            ParamMod::GammaNegative(gamma) => p + gamma * negative(p),
            ParamMod::Square => p * p,
            ParamMod::Ones => 1.0,
        }
    }

    /// `p` with the modifier applied to every value, borrowed (no copy) when unmodified.
    pub fn modified<'a, D: Dimension>(self, p: &'a Array<f32, D>) -> CowArray<'a, f32, D> {
        match self {
            ParamMod::Identity => p.view().into(),
            _ => p.mapv(|v| self.apply(v)).into(),
        }
    }
}

/// Binds `$f` to the modifier `$params` as a closure of its own type, so that a
/// layer's inner loops are compiled once per modifier rather than branching on it.
macro_rules! with_modifier {
    ($params:expr, $f:ident => $body:expr) => {
        match $params {
            ParamMod::Identity => {
                let $f = |w: f32| w;
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
                let $f = |_: f32| 1.0;
                $body
            }
        }
    };
}
pub(crate) use with_modifier;
