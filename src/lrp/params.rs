//! The parameters of the explanation methods, each declared once: its name, default,
//! range and meaning. Methods name the ones they take ([`super::registry`]); the typed
//! [`ParameterValues`] that the CLI and the JavaScript module read values into is
//! generated from the same list, so no parameter can be known to one and not the other.

use serde::Serialize;

use crate::model::ModelSpec;
use crate::{Error, Result};

/// A default or an end of a range: a number, or a property of the model explained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    Value(f64),
    /// The lowest value an input may take (the model's `input_range[0]`).
    InputLow,
    /// The highest value an input may take (`input_range[1]`).
    InputHigh,
    /// The longest side of the input (28 for MNIST): windows and strides never need more.
    InputExtent,
}

impl Bound {
    pub fn resolve(self, model: &ModelSpec) -> f64 {
        match self {
            Bound::Value(v) => v,
            Bound::InputLow => model.input_range[0] as f64,
            Bound::InputHigh => model.input_range[1] as f64,
            Bound::InputExtent => model.input_shape.iter().copied().max().unwrap_or(1) as f64,
        }
    }
}

/// A parameter as declared, for any model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamSpec {
    pub name: &'static str,
    pub default: Bound,
    pub min: Bound,
    pub max: Bound,
    /// Only whole numbers (sample counts, window sizes).
    pub integer: bool,
    pub about: &'static str,
}

/// A parameter as it applies to one model: its default and range resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct ParamInfo {
    pub name: &'static str,
    pub default: f64,
    pub min: f64,
    pub max: f64,
    pub integer: bool,
    pub about: &'static str,
}

impl ParamSpec {
    pub fn resolve(&self, model: &ModelSpec) -> ParamInfo {
        ParamInfo {
            name: self.name,
            default: self.default.resolve(model),
            min: self.min.resolve(model),
            max: self.max.resolve(model),
            integer: self.integer,
            about: self.about,
        }
    }
}

impl ParamInfo {
    /// `value` if it is a number this parameter can take, else an error naming it.
    pub fn check(&self, value: f64) -> Result<f64> {
        let whole = if self.integer { "a whole number" } else { "a number" };
        if !value.is_finite() || value < self.min || value > self.max || (self.integer && value.fract() != 0.0) {
            return Err(Error::Input(format!(
                "{}: expected {whole} from {} to {}, got {value}",
                self.name, self.min, self.max
            )));
        }
        Ok(value)
    }
}

/// A relation between two parameters of one method, checked after their ranges.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Constraint {
    /// `params[0] < params[1]` (z^B's bounds).
    Less { params: [&'static str; 2] },
    /// `params[0] − params[1] = value` (α − β = 1); either one alone sets the other.
    Difference { params: [&'static str; 2], value: f64 },
}

impl Constraint {
    pub fn params(&self) -> [&'static str; 2] {
        match *self {
            Constraint::Less { params } | Constraint::Difference { params, .. } => params,
        }
    }
}

macro_rules! parameters {
    ($($spec:ident $name:ident: $integer:literal, $default:expr, $min:expr, $max:expr, $about:literal;)*) => {
        $(pub const $spec: ParamSpec = ParamSpec {
            name: stringify!($name), default: $default, min: $min, max: $max, integer: $integer, about: $about,
        };)*

        /// Every parameter, in the order the page shows them.
        pub const ALL: &[ParamSpec] = &[$($spec),*];

        /// Values for any of the parameters, by name, as a caller gives them: the CLI's
        /// `--param name=value` and the module's `params` object are read into this.
        #[derive(Debug, Clone, Default, PartialEq, Serialize)]
        #[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
        pub struct ParameterValues {
            $(#[doc = concat!(" ", $about)]
            #[serde(skip_serializing_if = "Option::is_none")]
            #[cfg_attr(target_arch = "wasm32", tsify(optional))]
            pub $name: Option<f64>,)*
        }

        impl ParameterValues {
            /// Sets a parameter by name; an unknown name is an error listing the known ones.
            pub fn set(&mut self, name: &str, value: f64) -> Result<()> {
                match name {
                    $(stringify!($name) => self.$name = Some(value),)*
                    _ => return Err(unknown(name)),
                }
                Ok(())
            }

            /// The parameters given, with their values.
            pub fn given(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
                [$((stringify!($name), self.$name)),*].into_iter().filter_map(|(name, value)| Some((name, value?)))
            }
        }
    };
}

/// The names of all parameters, for error messages.
fn unknown(name: &str) -> Error {
    let names: Vec<&str> = ALL.iter().map(|p| p.name).collect();
    Error::Input(format!("{name}: unknown parameter; the parameters are {}", names.join(", ")))
}

use Bound::{InputExtent, InputHigh, InputLow, Value as V};

parameters! {
    EPSILON epsilon: false, V(0.25), V(0.0), V(100.0),
        "added to each denominator with its sign; absorbs weak, contradictory relevance";
    GAMMA gamma: false, V(0.25), V(0.0), V(100.0), "how much more positive contributions count than negative ones";
    ALPHA alpha: false, V(2.0), V(1.0), V(100.0), "weight of positive contributions (alpha - beta = 1)";
    BETA beta: false, V(1.0), V(0.0), V(99.0), "weight of negative contributions (alpha - beta = 1)";
    LOW low: false, InputLow, InputLow, InputHigh, "lowest value an input can take (default: the model's input range)";
    HIGH high: false, InputHigh, InputLow, InputHigh, "highest value an input can take (default: the model's input range)";
    NOISE noise: false, V(0.1), V(0.0), V(10.0), "noise standard deviation, as a fraction of the input's value range";
    SAMPLES samples: true, V(20.0), V(1.0), V(1000.0), "gradients averaged (the last one without noise)";
    SEED seed: true, V(0.0), V(0.0), V(4_294_967_295.0), "seed of the noise";
    STEPS steps: true, V(20.0), V(1.0), V(1000.0), "points on the path from the zero baseline to the input";
    WINDOW window: true, V(4.0), V(1.0), InputExtent, "side of the square window, in pixels";
    STRIDE stride: true, V(2.0), V(1.0), InputExtent, "step between windows, in pixels";
    FILL fill: false, InputLow, InputLow, InputHigh,
        "value the window is set to (default: the lowest input value, MNIST's black background)";
}

impl<'de> serde::Deserialize<'de> for ParameterValues {
    /// Reads only the parameters' own keys (so that it can be flattened into a struct
    /// with other fields), naming the key of any value that is not a number.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ParameterValues;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("method parameters by name")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<ParameterValues, A::Error> {
                use serde::de::Error as _;
                let mut values = ParameterValues::default();
                while let Some(key) = map.next_key::<String>()? {
                    // null or undefined: not given.
                    let value: Option<f64> =
                        map.next_value().map_err(|_| A::Error::custom(format!("{key}: expected a number")))?;
                    if let Some(value) = value {
                        values.set(&key, value).map_err(A::Error::custom)?;
                    }
                }
                Ok(values)
            }
        }
        const NAMES: &[&str] = &{
            let mut names = [""; ALL.len()];
            let mut i = 0;
            while i < ALL.len() {
                names[i] = ALL[i].name;
                i += 1;
            }
            names
        };
        deserializer.deserialize_struct("ParameterValues", NAMES, Visitor)
    }
}
