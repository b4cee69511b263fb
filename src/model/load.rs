//! Building a [`Model`] from a JSON description and a safetensors file, checking
//! every name, shape, dtype and value so that a bad file is a clear error.

use std::collections::BTreeSet;

use ndarray::{Array1, Array2, Array4};
use safetensors::{Dtype, SafeTensors};

use super::layer::{Conv2d, Dense, Layer, Pool2d};
use super::spec::{LayerSpec, ModelSpec, TensorRef, Tensors, FORMAT};
use super::Model;
use crate::{Error, Result};

pub fn load(description: &str, weights: &[u8]) -> Result<Model> {
    let spec: ModelSpec = serde_json::from_str(description).map_err(|e| Error::Description(e.to_string()))?;
    if spec.format != FORMAT {
        return Err(Error::Description(format!("format is `{}`, expected `{FORMAT}`", spec.format)));
    }
    if spec.input_shape.is_empty() || spec.input_shape.contains(&0) {
        return Err(Error::Description(format!("input_shape {:?} has no pixels", spec.input_shape)));
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
            let (weight, bias) = reader.weight_and_bias("Linear", tensors, &[*out_features, *in_features])?;
            let weight = Array2::from_shape_vec((*out_features, *in_features), weight).expect("checked shape");
            Layer::Dense(Dense::new(weight, bias))
        }
        LayerSpec::Conv2d { in_channels, out_channels, kernel_size: [kh, kw], stride, padding, tensors } => {
            check_window(reader.index, "Conv2d", [*kh, *kw], *stride, *padding, false)?;
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

impl TensorReader<'_, '_> {
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
        let view =
            self.file.tensor(name).map_err(|_| fail(format!("tensor `{name}` is missing from the weights file")))?;
        if view.shape() != expected {
            return Err(fail(format!(
                "tensor `{name}` has shape {:?} in the weights file, expected {expected:?}",
                view.shape()
            )));
        }
        let bytes = view.data();
        let values: Vec<f32> = match view.dtype() {
            Dtype::F32 => bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
            Dtype::F16 => bytes.chunks_exact(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
            Dtype::BF16 => bytes.chunks_exact(2).map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
            other => return Err(fail(format!("tensor `{name}` has dtype {other:?}; F32, F16 or BF16 expected"))),
        };
        if let Some(position) = values.iter().position(|v| !v.is_finite()) {
            return Err(fail(format!("tensor `{name}` holds a non-finite value at element {position}")));
        }
        self.used.insert(name.clone());
        Ok(values)
    }
}
