//! The JSON description that sits beside each safetensors file (`weights/<name>.json`).
//! Layer types and argument names are PyTorch's, so the description reads as the
//! `nn.Sequential` it was exported from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "lrp-model/1";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    pub format: String,
    pub name: String,
    /// Shape of one input without the batch dimension, e.g. `[1, 28, 28]`.
    pub input_shape: Vec<usize>,
    /// The pixel range the model was trained on; z^B uses it as its bounds.
    pub input_range: [f32; 2],
    pub classes: Vec<String>,
    /// The data set the model was trained on (`mnist`, `fashion-mnist`), when known:
    /// its test split is what `test` means for this model, and the page groups its
    /// models by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub dataset: Option<String>,
    /// File name of the safetensors file, relative to the description.
    pub weights: String,
    pub layers: Vec<LayerSpec>,
    pub card: Card,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(tag = "type", deny_unknown_fields)]
pub enum LayerSpec {
    Linear {
        in_features: usize,
        out_features: usize,
        tensors: Tensors,
    },
    Conv2d {
        in_channels: usize,
        out_channels: usize,
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        tensors: Tensors,
    },
    MaxPool2d {
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    },
    AvgPool2d {
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    },
    ReLU {},
    Flatten {},
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Tensors {
    pub weight: TensorRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub bias: Option<TensorRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct TensorRef {
    pub name: String,
    pub shape: Vec<usize>,
    /// For an int8 tensor: the name of its float scales, one per output (the first
    /// axis). Element `[o, ...]` stands for `q[o, ...] · scale[o]`, computed in float32.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub scale: Option<String>,
}

/// The model card: what the model is and how well it does, as measured by the
/// export script on the official test split with the shipped weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct Card {
    pub parameters: usize,
    pub test_correct: usize,
    pub test_total: usize,
    pub test_accuracy: f64,
    /// How the weights are stored (int8 with scales, float16, ...), when the card says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub storage: Option<String>,
    /// How it was trained (optimiser, epochs, ...), as the training script recorded it.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, unknown>"))]
    pub training: BTreeMap<String, serde_json::Value>,
}
