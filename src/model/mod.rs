//! Networks: their description and weights, validation, and the forward pass.

pub mod embedded;
pub(crate) mod layer;
mod load;
pub(crate) mod modifier;
pub mod spec;

use ndarray::{ArrayD, Axis, IxDyn};

pub use layer::{Conv2d, Dense, Layer, Pool2d};
pub use load::{MAX_DESCRIPTION_BYTES, MAX_WEIGHTS_BYTES};
pub use modifier::{negative, positive, ParamMod};
pub use spec::{Card, ModelSpec};

use crate::evaluation::argmax;
use crate::{Error, Result};

/// A validated feed-forward network: every layer's shape has been checked against
/// its neighbours, so the forward pass cannot fail on an input of the right shape.
#[derive(Debug, Clone)]
pub struct Model {
    spec: ModelSpec,
    layers: Vec<Layer>,
    /// `shapes[0]` is the input shape, `shapes[i + 1]` the output of layer `i` (no batch axis).
    shapes: Vec<Vec<usize>>,
}

/// The activations of one forward pass over a batch: `activations[0]` is the input,
/// `activations[i + 1]` the output of layer `i`, the last one the output scores (logits).
/// The relevance passes walk back over exactly these tensors.
#[derive(Debug, Clone)]
pub struct Forward {
    pub activations: Vec<ArrayD<f32>>,
}

impl Model {
    /// Builds a model from its JSON description and its safetensors bytes.
    pub fn from_bytes(description: &str, weights: &[u8]) -> Result<Model> {
        load::load(description, weights)
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    pub fn card(&self) -> &Card {
        &self.spec.card
    }

    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Shape of each layer's input, then the output (no batch axis).
    pub fn shapes(&self) -> &[Vec<usize>] {
        &self.shapes
    }

    pub fn classes(&self) -> &[String] {
        &self.spec.classes
    }

    /// Values in one input (784 for MNIST).
    pub fn input_len(&self) -> usize {
        self.spec.input_shape.iter().product()
    }

    /// Inputs per batch for throughput: as many as keep the largest activation of a
    /// batch near 1 MB (in the caches), from 8 to 128. Matrix products want many rows;
    /// beyond the caches, larger batches get slower (measured: the CNN is fastest at
    /// 16–32 digits per batch, the MLPs at 128).
    pub fn preferred_batch(&self) -> usize {
        const VALUES: usize = 1 << 18;
        let largest = self.shapes.iter().map(|s| s.iter().product::<usize>()).max().unwrap_or(1).max(1);
        (VALUES / largest).clamp(8, 128)
    }

    pub fn parameter_count(&self) -> usize {
        self.layers.iter().map(Layer::parameter_count).sum()
    }

    /// The same network with every bias set to zero (for which LRP-0 conserves
    /// relevance exactly, layer by layer).
    pub fn without_biases(&self) -> Model {
        let mut model = self.clone();
        for layer in &mut model.layers {
            match layer {
                Layer::Dense(d) => d.bias.fill(0.0),
                Layer::Conv2d(c) => c.bias.fill(0.0),
                _ => {}
            }
        }
        model
    }

    /// Turns a flat buffer of one or more inputs into a batch `[N, ...input_shape]`,
    /// refusing a length that is not a whole number of inputs and any value outside
    /// the model's input range (NaN and infinities included). The CLI and the module
    /// both read their inputs through this.
    pub fn batch(&self, values: &[f32]) -> Result<ArrayD<f32>> {
        let count = self.check_values(values)?;
        let mut shape = vec![count];
        shape.extend(&self.spec.input_shape);
        Ok(ArrayD::from_shape_vec(IxDyn(&shape), values.to_vec()).expect("length checked"))
    }

    /// The number of inputs in a flat buffer, if it holds whole inputs with every value
    /// in the model's input range (see [`Model::batch`]).
    pub fn check_values(&self, values: &[f32]) -> Result<usize> {
        let len = self.input_len();
        if values.is_empty() || values.len() % len != 0 {
            let shape: Vec<String> = self.spec.input_shape.iter().map(usize::to_string).collect();
            return Err(Error::Input(format!(
                "pixels: expected {len} values ({}) per input, got {}",
                shape.join("×"),
                values.len()
            )));
        }
        let [low, high] = self.spec.input_range;
        // One branch-free pass (NaN fails both comparisons); the position only on failure.
        let inside = values.iter().fold(true, |ok, &v| ok & (v >= low) & (v <= high));
        if !inside {
            let i = values.iter().position(|v| !(low..=high).contains(v)).expect("a value outside the range");
            return Err(Error::Input(format!(
                "pixels[{i}]: expected a number from {low} to {high}, got {}",
                values[i]
            )));
        }
        Ok(values.len() / len)
    }

    /// Runs the network on a batch `[N, ...input_shape]`, keeping every activation.
    pub fn forward(&self, input: ArrayD<f32>) -> Result<Forward> {
        self.check_batch(&input)?;
        let mut activations = Vec::with_capacity(self.layers.len() + 1);
        activations.push(input);
        for layer in &self.layers {
            let next = layer.forward(activations.last().expect("input"));
            activations.push(next);
        }
        Ok(Forward { activations })
    }

    /// The output scores `[N, classes]` of a batch, keeping no other activation.
    pub fn scores(&self, input: ArrayD<f32>) -> Result<ArrayD<f32>> {
        self.check_batch(&input)?;
        Ok(self.layers.iter().fold(input, |x, layer| layer.forward(&x)))
    }

    fn check_batch(&self, input: &ArrayD<f32>) -> Result<()> {
        if input.ndim() != self.spec.input_shape.len() + 1 || input.shape()[1..] != self.spec.input_shape[..] {
            return Err(Error::Input(format!(
                "batch has shape {:?}, expected [N, {}]",
                input.shape(),
                self.spec.input_shape.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(())
    }

    /// Predicted class of each input in a flat buffer, evaluated in batches so that a
    /// whole test split needs little memory.
    pub fn predict(&self, values: &[f32]) -> Result<Vec<usize>> {
        const BATCH: usize = 500;
        let len = self.input_len();
        let mut predictions = Vec::with_capacity(values.len() / len.max(1));
        self.check_values(values)?; // the whole buffer, before any work
        for chunk in values.chunks(BATCH * len) {
            predictions.extend(self.scores(self.batch(chunk)?)?.axis_iter(Axis(0)).map(|row| argmax(&row)));
        }
        Ok(predictions)
    }
}

impl Forward {
    /// The output scores `[N, classes]`.
    pub fn logits(&self) -> &ArrayD<f32> {
        self.activations.last().expect("at least the input")
    }

    /// Arg-max of each row of the logits (the first on ties, as PyTorch's argmax).
    pub fn predictions(&self) -> Vec<usize> {
        self.logits().axis_iter(Axis(0)).map(|row| argmax(&row)).collect()
    }
}
