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

/// (name, JSON description, safetensors bytes), in the order they are listed. The wasm
/// module carries the digit models only: the page loads fashion-cnn's files (`loadModel`)
/// when Fashion-MNIST is first shown, which keeps its first load under 1 MB.
#[cfg(not(target_arch = "wasm32"))]
const EMBEDDED: &[(&str, &str, &[u8])] =
    &[embed!("mlp-narrow"), embed!("mlp-wide"), embed!("cnn"), embed!("fashion-cnn")];
#[cfg(target_arch = "wasm32")]
const EMBEDDED: &[(&str, &str, &[u8])] = &[embed!("mlp-narrow"), embed!("mlp-wide"), embed!("cnn")];

const COUNT: usize = EMBEDDED.len();
/// Each model decoded on its first use: a command on one model decodes that one only.
static MODELS: [OnceLock<Result<Model>>; COUNT] = [const { OnceLock::new() }; COUNT];

fn model(index: usize) -> Result<&'static Model> {
    let (_, json, bytes) = EMBEDDED[index];
    MODELS[index].get_or_init(|| Model::from_bytes(json, bytes)).as_ref().map_err(Clone::clone)
}

/// Every embedded model, parsed and validated once.
pub fn all() -> Result<Vec<&'static Model>> {
    (0..COUNT).map(model).collect()
}

pub fn names() -> Vec<&'static str> {
    EMBEDDED.iter().map(|(name, _, _)| *name).collect()
}

/// The embedded model with this name.
pub fn get(name: &str) -> Result<&'static Model> {
    let index = EMBEDDED
        .iter()
        .position(|(n, _, _)| *n == name)
        .ok_or_else(|| Error::UnknownModel { name: name.to_string(), available: names().join(", ") })?;
    model(index)
}
