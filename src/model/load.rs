//! Building a [`Model`] from a JSON description and a safetensors file, checking
//! every name, shape, dtype and value so that a bad file is a clear error.

use std::collections::BTreeSet;

use ndarray::{Array1, Array2, Array4};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

use super::layer::{Conv2d, Dense, Layer, Pool2d};
use super::spec::{LayerSpec, ModelSpec, TensorRef, Tensors, FORMAT};
use super::Model;
use crate::{Error, Result};

/// The most values one activation may hold (for one input, at any layer): 2²⁸
/// float32s are 1 GiB. Bounding every shape keeps the products of its dimensions (and
/// `h + 2·padding`) from overflowing, even with wasm's 32-bit `usize`.
pub const MAX_VALUES: usize = 1 << 28;

/// The largest model files accepted (the module's `loadModel`, the CLI's `--model-file`):
/// a description of 1 MiB and weights of 64 MiB (16 M float32 parameters, 64 M in int8),
/// enough for any network the page can explain at a useful speed, and far below what
/// would exhaust a browser tab's memory once decoded to float32.
pub const MAX_DESCRIPTION_BYTES: usize = 1 << 20;
pub const MAX_WEIGHTS_BYTES: usize = 64 << 20;

/// Values in a tensor of this shape, if at most [`MAX_VALUES`].
fn values_in(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)).filter(|&n| n <= MAX_VALUES)
}

pub fn load(description: &str, weights: &[u8]) -> Result<Model> {
    if description.len() > MAX_DESCRIPTION_BYTES {
        return Err(Error::Description(format!(
            "{} bytes, more than the {MAX_DESCRIPTION_BYTES} a description may have",
            description.len()
        )));
    }
    if weights.len() > MAX_WEIGHTS_BYTES {
        return Err(Error::Weights(format!(
            "{} bytes, more than the {MAX_WEIGHTS_BYTES} a weights file may have",
            weights.len()
        )));
    }
    let spec: ModelSpec = serde_json::from_str(description).map_err(|e| Error::Description(e.to_string()))?;
    if spec.format != FORMAT {
        return Err(Error::Description(format!("format is `{}`, expected `{FORMAT}`", spec.format)));
    }
    if spec.input_shape.is_empty() || spec.input_shape.contains(&0) {
        return Err(Error::Description(format!("input_shape {:?} has no pixels", spec.input_shape)));
    }
    if values_in(&spec.input_shape).is_none() {
        return Err(Error::Description(format!(
            "input_shape {:?} has more than {MAX_VALUES} values",
            spec.input_shape
        )));
    }
    let [low, high] = spec.input_range;
    if !(low.is_finite() && high.is_finite() && low < high) {
        return Err(Error::Description(format!("input_range {:?} is not an interval", spec.input_range)));
    }
    let file = SafeTensors::deserialize(weights).map_err(|e| Error::Weights(e.to_string()))?;

    let mut used = BTreeSet::new();
    let mut shapes = vec![spec.input_shape.clone()];
    let mut layers = Vec::with_capacity(spec.layers.len());
    for (index, layer_spec) in spec.layers.iter().enumerate() {
        let mut reader = TensorReader { file: &file, index, used: &mut used };
        let layer = build_layer(layer_spec, &mut reader)?;
        let input = shapes.last().expect("input shape");
        let output = layer.output_shape(input).ok_or_else(|| Error::Layer {
            index,
            kind: layer.kind(),
            message: format!("cannot take an input of shape {input:?} ({})", layer.describe()),
        })?;
        if values_in(&output).is_none() {
            return Err(Error::Layer {
                index,
                kind: layer.kind(),
                message: format!("outputs shape {output:?}, more than {MAX_VALUES} values"),
            });
        }
        shapes.push(output);
        layers.push(layer);
    }
    let output = shapes.last().expect("output shape");
    if output != &[spec.classes.len()] {
        return Err(Error::Description(format!(
            "the network outputs shape {output:?}, but {} classes are named",
            spec.classes.len()
        )));
    }
    let unused: Vec<_> = file.names().into_iter().filter(|n| !used.contains(*n)).collect();
    if !unused.is_empty() {
        return Err(Error::Weights(format!("tensors not used by any layer: {unused:?}")));
    }
    Ok(Model { spec, layers, shapes })
}

fn build_layer(spec: &LayerSpec, reader: &mut TensorReader) -> Result<Layer> {
    Ok(match spec {
        LayerSpec::Linear { in_features, out_features, tensors } => {
            check_sizes(reader.index, "Linear", [*in_features, *out_features])?;
            let (weight, bias) = reader.weight_and_bias("Linear", tensors, &[*out_features, *in_features])?;
            let weight = Array2::from_shape_vec((*out_features, *in_features), weight).expect("checked shape");
            Layer::Dense(Dense::new(weight, bias))
        }
        LayerSpec::Conv2d { in_channels, out_channels, kernel_size: [kh, kw], stride, padding, tensors } => {
            check_window(reader.index, "Conv2d", [*kh, *kw], *stride, *padding, false)?;
            check_sizes(reader.index, "Conv2d", [*in_channels, *out_channels])?;
            let shape = [*out_channels, *in_channels, *kh, *kw];
            let (weight, bias) = reader.weight_and_bias("Conv2d", tensors, &shape)?;
            let weight = Array4::from_shape_vec(shape, weight).expect("checked shape");
            Layer::Conv2d(Conv2d { weight, bias, stride: *stride, padding: *padding })
        }
        LayerSpec::MaxPool2d { kernel_size, stride, padding } => {
            check_window(reader.index, "MaxPool2d", *kernel_size, *stride, *padding, true)?;
            Layer::MaxPool2d(Pool2d { kernel: *kernel_size, stride: *stride, padding: *padding })
        }
        LayerSpec::AvgPool2d { kernel_size, stride, padding } => {
            check_window(reader.index, "AvgPool2d", *kernel_size, *stride, *padding, true)?;
            Layer::AvgPool2d(Pool2d { kernel: *kernel_size, stride: *stride, padding: *padding })
        }
        LayerSpec::ReLU {} => Layer::Relu,
        LayerSpec::Flatten {} => Layer::Flatten,
    })
}

/// Inputs and outputs of a layer with parameters: none would be a layer whose weights
/// are empty whatever its other size, which could then be anything (its bias, zeros
/// when the file has none, is allocated at that size).
fn check_sizes(index: usize, kind: &'static str, [inputs, outputs]: [usize; 2]) -> Result<()> {
    if inputs == 0 || outputs == 0 {
        return Err(Error::Layer {
            index,
            kind,
            message: format!("{inputs} inputs and {outputs} outputs: both must be positive"),
        });
    }
    Ok(())
}

fn check_window(
    index: usize,
    kind: &'static str,
    k: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    pool: bool,
) -> Result<()> {
    let fail = |message: String| Err(Error::Layer { index, kind, message });
    if k.contains(&0) || stride.contains(&0) {
        return fail(format!("kernel {k:?} and stride {stride:?} must be positive"));
    }
    if padding.iter().any(|&p| p > MAX_VALUES) {
        return fail(format!("padding {padding:?} is larger than {MAX_VALUES}"));
    }
    // PyTorch's own limit for pooling; it also guarantees no window is all padding.
    if pool && (padding[0] > k[0] / 2 || padding[1] > k[1] / 2) {
        return fail(format!("padding {padding:?} must be at most half the kernel {k:?}"));
    }
    Ok(())
}

struct TensorReader<'a, 'b> {
    file: &'a SafeTensors<'a>,
    index: usize,
    used: &'b mut BTreeSet<String>,
}

impl<'a> TensorReader<'a, '_> {
    fn weight_and_bias(
        &mut self,
        kind: &'static str,
        tensors: &Tensors,
        weight_shape: &[usize],
    ) -> Result<(Vec<f32>, Array1<f32>)> {
        let weight = self.read(kind, &tensors.weight, weight_shape)?;
        let bias = match &tensors.bias {
            Some(bias) => Array1::from(self.read(kind, bias, &weight_shape[..1])?),
            None => Array1::zeros(weight_shape[0]),
        };
        Ok((weight, bias))
    }

    fn read(&mut self, kind: &'static str, tensor: &TensorRef, expected: &[usize]) -> Result<Vec<f32>> {
        let index = self.index;
        let fail = |message: String| Error::Layer { index, kind, message };
        let name = &tensor.name;
        if tensor.shape != expected {
            return Err(fail(format!(
                "tensor `{name}` is described as {:?}, but the layer needs {expected:?}",
                tensor.shape
            )));
        }
        let view = self.view(name, expected, &fail)?;
        match (view.dtype(), &tensor.scale) {
            (Dtype::I8, Some(scale)) => {
                let scales = floats(scale, &self.view(scale, &expected[..1], &fail)?, &fail)?;
                if let Some(o) = scales.iter().position(|&s| s <= 0.0) {
                    return Err(fail(format!("tensor `{scale}` (the scales of `{name}`) holds {} at {o}", scales[o])));
                }
                let per_output = values_in(&expected[1..]).unwrap_or(1);
                let mut values = Vec::with_capacity(view.data().len());
                for (row, &scale) in view.data().chunks_exact(per_output).zip(&scales) {
                    values.extend(row.iter().map(|&q| f32::from(q as i8) * scale));
                }
                Ok(values)
            }
            (Dtype::I8, None) => {
                Err(fail(format!("tensor `{name}` is int8, but the description names no scales for it")))
            }
            (dtype, Some(scale)) => Err(fail(format!(
                "tensor `{name}` has dtype {dtype:?}, but scales (`{scale}`) go only with int8 tensors"
            ))),
            (_, None) => floats(name, &view, &fail),
        }
    }

    /// Tensor `name` of the weights file, which must have this shape; marked as used.
    fn view(&mut self, name: &str, expected: &[usize], fail: &dyn Fn(String) -> Error) -> Result<TensorView<'a>> {
        let view =
            self.file.tensor(name).map_err(|_| fail(format!("tensor `{name}` is missing from the weights file")))?;
        if view.shape() != expected {
            return Err(fail(format!(
                "tensor `{name}` has shape {:?} in the weights file, expected {expected:?}",
                view.shape()
            )));
        }
        self.used.insert(name.to_string());
        Ok(view)
    }
}

/// The values of a float tensor (F32, F16 or BF16), which must all be finite.
fn floats(name: &str, view: &TensorView, fail: &dyn Fn(String) -> Error) -> Result<Vec<f32>> {
    let bytes = view.data();
    let values: Vec<f32> = match view.dtype() {
        Dtype::F32 => bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
        Dtype::F16 => bytes.chunks_exact(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
        Dtype::BF16 => bytes.chunks_exact(2).map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
        other => {
            return Err(fail(format!(
                "tensor `{name}` has dtype {other:?}; F32, F16, BF16 or I8 (with scales) expected"
            )))
        }
    };
    if let Some(position) = values.iter().position(|v| !v.is_finite()) {
        return Err(fail(format!("tensor `{name}` holds a non-finite value at element {position}")));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use safetensors::tensor::TensorView;
    use safetensors::Dtype;
    use serde_json::json;

    use super::{load, MAX_VALUES};

    /// A description of `layers` on `input_shape` with one class, and a weights file
    /// of float32 tensors of these shapes (all ones).
    fn files(
        input_shape: serde_json::Value,
        layers: serde_json::Value,
        tensors: &[(&str, Vec<usize>)],
    ) -> (String, Vec<u8>) {
        let description = json!({
            "format": "lrp-model/1", "name": "fuzzed", "input_shape": input_shape, "input_range": [0.0, 1.0],
            "classes": ["a"], "weights": "fuzzed.safetensors", "layers": layers,
            "card": {"parameters": 0, "test_correct": 0, "test_total": 0, "test_accuracy": 0.0},
        });
        let data: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
            .iter()
            .map(|(name, shape)| (name.to_string(), shape.clone(), [0, 0, 0x80, 0x3f].repeat(shape.iter().product())))
            .collect();
        let views = data
            .iter()
            .map(|(name, shape, bytes)| (name.clone(), TensorView::new(Dtype::F32, shape.clone(), bytes).unwrap()));
        (description.to_string(), safetensors::serialize(views, None).unwrap())
    }

    fn linear(inputs: usize, outputs: usize, weight: &str) -> serde_json::Value {
        json!({"type": "Linear", "in_features": inputs, "out_features": outputs,
               "tensors": {"weight": {"name": weight, "shape": [outputs, inputs]}}})
    }

    fn conv(inputs: usize, outputs: usize, padding: usize, weight: &str) -> serde_json::Value {
        json!({"type": "Conv2d", "in_channels": inputs, "out_channels": outputs, "kernel_size": [1, 1], "stride": [1, 1],
               "padding": [padding, padding], "tensors": {"weight": {"name": weight, "shape": [outputs, inputs, 1, 1]}}})
    }

    fn error(files: (String, Vec<u8>)) -> String {
        load(&files.0, &files.1).unwrap_err().to_string()
    }

    // Found by fuzzing (load_model): each of these panicked or aborted while loading.

    #[test]
    fn refuses_layers_without_inputs_or_outputs() {
        // Linear(0 → 2⁶²) has an empty weight, and its missing bias was allocated as 2⁶² zeros.
        let huge = 1usize << 62;
        let message = error(files(json!([1]), json!([linear(0, huge, "w")]), &[("w", vec![huge, 0])]));
        assert!(message.contains("both must be positive"), "{message}");
        // The same through convolutions: 1 → 0 channels, then 0 → 2⁶².
        let layers = json!([conv(1, 0, 0, "a"), conv(0, huge, 0, "b")]);
        let message = error(files(json!([1, 2, 2]), layers, &[("a", vec![0, 1, 1, 1]), ("b", vec![huge, 0, 1, 1])]));
        assert!(message.contains("layer 0 (Conv2d)") && message.contains("both must be positive"), "{message}");
    }

    #[test]
    fn refuses_shapes_whose_size_overflows_or_is_absurd() {
        // The input's size overflowed (in Flatten, and in Model::input_len).
        let message = error(files(json!([1u64 << 32, 1u64 << 32, 2]), json!([{"type": "Flatten"}]), &[]));
        assert!(message.contains("input_shape") && message.contains("more than"), "{message}");
        // h + 2·padding overflowed.
        let message = error(files(json!([1, 2, 2]), json!([conv(1, 1, 1 << 63, "w")]), &[("w", vec![1, 1, 1, 1])]));
        assert!(message.contains("padding"), "{message}");
        // A padding of 2³¹ makes a 2³²+1 square, whose size overflowed in Flatten.
        let layers = json!([conv(1, 1, 1 << 31, "w"), {"type": "Flatten"}, linear(1, 1, "v")]);
        let message = error(files(json!([1, 1, 1]), layers, &[("w", vec![1, 1, 1, 1]), ("v", vec![1, 1])]));
        assert!(message.contains("padding"), "{message}");
        let layers = json!([conv(1, 1, 1 << 14, "w"), {"type": "Flatten"}, linear(1, 1, "v")]);
        let message = error(files(json!([1, 1, 1]), layers, &[("w", vec![1, 1, 1, 1]), ("v", vec![1, 1])]));
        assert!(message.contains(&format!("more than {MAX_VALUES} values")), "{message}");
        // Within the limits, the same layers load (and fail only on the class count).
        let layers = json!([conv(1, 1, 1, "w"), {"type": "Flatten"}, linear(9, 1, "v")]);
        let (description, weights) = files(json!([1, 1, 1]), layers, &[("w", vec![1, 1, 1, 1]), ("v", vec![1, 9])]);
        assert!(load(&description, &weights).is_ok());
    }
}
