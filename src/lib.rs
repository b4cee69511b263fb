//! Layer-wise Relevance Propagation for small image classifiers.
//!
//! The core knows nothing of the browser: [`model`] loads and runs networks,
//! [`lrp`] explains their decisions, [`data`] reads MNIST's IDX files. The `wasm` module is a thin binding layer
//! compiled only for `wasm32`.

pub mod concepts;
pub mod data;
pub mod error;
pub mod evaluation;
pub mod lrp;
pub mod model;
pub mod random;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, Result};
pub use lrp::{
    catalogue, explain, explain_conditioned, Condition, Explanation, Method, Options, OutputRelevance, Params, Target,
};
pub use model::{embedded, Forward, Model, ModelSpec};
