use thiserror::Error;

/// Every way the core can refuse its input. Messages name the offending argument,
/// tensor or layer, because they reach people (CLI, JavaScript) verbatim.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    #[error("model description is not valid: {0}")]
    Description(String),
    #[error("weights file is not valid: {0}")]
    Weights(String),
    #[error("layer {index} ({kind}): {message}")]
    Layer { index: usize, kind: &'static str, message: String },
    #[error("{0}")]
    Input(String),
    #[error("unknown model `{name}`; available: {available}")]
    UnknownModel { name: String, available: String },
    #[error("data file is not valid: {0}")]
    Data(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
