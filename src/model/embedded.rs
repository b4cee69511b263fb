//! The trained models compiled into the binary (and the wasm module).

use std::sync::OnceLock;

use super::Model;
use crate::{Error, Result};

macro_rules! embed {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../weights/", $name, ".json")),
            include_bytes!(concat!("../../weights/", $name, ".safetensors")).as_slice(),
        )
    };
}

/// (name, JSON description, safetensors bytes), in the order they are listed.
const EMBEDDED: [(&str, &str, &[u8]); 4] =
    [embed!("mlp-narrow"), embed!("mlp-wide"), embed!("cnn"), embed!("fashion-cnn")];

static MODELS: OnceLock<Result<Vec<Model>>> = OnceLock::new();

/// Every embedded model, parsed and validated once on first use.
pub fn all() -> Result<&'static [Model]> {
    let models =
        MODELS.get_or_init(|| EMBEDDED.iter().map(|(_, json, bytes)| Model::from_bytes(json, bytes)).collect());
    models.as_deref().map_err(Clone::clone)
}

pub fn names() -> Vec<&'static str> {
    EMBEDDED.iter().map(|(name, _, _)| *name).collect()
}

/// The embedded model with this name.
pub fn get(name: &str) -> Result<&'static Model> {
    all()?
        .iter()
        .find(|m| m.name() == name)
        .ok_or_else(|| Error::UnknownModel { name: name.to_string(), available: names().join(", ") })
}
