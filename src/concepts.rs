//! What a filter looks for: for every channel of a layer, the inputs of a data set on
//! which it is most relevant (relevance maximisation) or most active (activation
//! maximisation), each with the position of its most relevant (most active) neuron and
//! that neuron's receptive field in the input: zennit-crp's `FeatureVisualization` with
//! a `ChannelConcept`. As there, each input is explained for its label (its score as
//! the output relevance), a channel's value is its sum over its positions divided by the
//! sum of |values| of the layer's channels (`max_target="sum"`, `abs_norm=True`), and
//! each channel keeps the `k` inputs of highest value.

use ndarray::{ArrayD, ArrayView1, Axis, IxDyn};
use serde::{Deserialize, Serialize};

use crate::lrp::{explain, Method, Options, OutputRelevance, Target};
use crate::model::{Layer, Model};
use crate::{Error, Result};

/// One reference input of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// The input's place in its data set.
    pub index: u64,
    /// The channel's share of the layer's |total| on this input.
    pub value: f32,
    /// The most relevant (active) neuron of the channel: its flat index over the
    /// channel's positions (row-major `y · width + x`).
    pub position: usize,
}

/// The `k` references of every channel of one layer, best first (ties: the earlier input).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    pub layer: usize,
    pub k: usize,
    pub channels: Vec<Vec<Reference>>,
}

impl Ranking {
    pub fn new(layer: usize, channels: usize, k: usize) -> Ranking {
        Ranking { layer, k, channels: vec![Vec::with_capacity(k + 1); channels] }
    }

    fn offer(&mut self, channel: usize, reference: Reference) {
        let list = &mut self.channels[channel];
        let better = |a: &Reference, b: &Reference| a.value > b.value || (a.value == b.value && a.index < b.index);
        let at = list.iter().position(|r| better(&reference, r)).unwrap_or(list.len());
        if at < self.k {
            list.insert(at, reference);
            list.truncate(self.k);
        }
    }

    /// Adds another batch's ranking of the same layer (any order of batches gives the same result).
    pub fn merge(&mut self, other: &Ranking) {
        for (c, list) in other.channels.iter().enumerate() {
            for &r in list {
                self.offer(c, r);
            }
        }
    }
}

/// Relevance and activation maximisation of some layers, over the inputs seen so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct References {
    pub relevance: Vec<Ranking>,
    pub activation: Vec<Ranking>,
}

/// The layers whose channels have references: every Conv2d and Linear but the output layer.
pub fn layers_with_concepts(model: &Model) -> Vec<usize> {
    let last = model.layers().len() - 1;
    (0..last).filter(|&i| matches!(model.layers()[i], Layer::Conv2d(_) | Layer::Dense(_))).collect()
}

impl References {
    pub fn new(model: &Model, layers: &[usize], k: usize) -> References {
        let ranking = |&l: &usize| Ranking::new(l, model.shapes()[l + 1][0], k);
        References { relevance: layers.iter().map(ranking).collect(), activation: layers.iter().map(ranking).collect() }
    }

    pub fn merge(&mut self, other: &References) {
        for (a, b) in
            self.relevance.iter_mut().zip(&other.relevance).chain(self.activation.iter_mut().zip(&other.activation))
        {
            a.merge(b);
        }
    }
}

/// Each channel's share of the layer's |total| and its best position, for one input's
/// values at a layer's output (`[channels, ...positions]`).
fn channel_values(values: ndarray::ArrayViewD<f32>) -> Vec<(f32, usize)> {
    let channels = values.shape()[0];
    let flat = values.as_standard_layout();
    let per = flat.len() / channels.max(1);
    let data = flat.as_slice().expect("standard layout");
    let sums: Vec<(f32, usize)> = (0..channels)
        .map(|c| {
            let part = ArrayView1::from(&data[c * per..(c + 1) * per]);
            // The first maximum, as torch.argmax.
            let position = part.iter().enumerate().fold(0, |best, (i, &v)| if v > part[best] { i } else { best });
            (part.sum(), position)
        })
        .collect();
    let total: f32 = sums.iter().map(|(s, _)| s.abs()).sum::<f32>() + 1e-10;
    sums.into_iter().map(|(s, p)| (s / total, p)).collect()
}

/// The references of a batch of inputs (`inputs`: whole inputs one after another,
/// `labels`: one per input, `first_index`: the first one's place in the data set),
/// explained with an LRP `method`, for `layers`.
pub fn references(
    model: &Model,
    method: &Method,
    inputs: &[f32],
    labels: &[u8],
    first_index: u64,
    layers: &[usize],
    k: usize,
) -> Result<References> {
    if !matches!(method, Method::Lrp(_)) {
        return Err(Error::Input("references: relevance maximisation needs an LRP rule or composite".into()));
    }
    let count = model.check_values(inputs)?;
    if labels.len() != count {
        return Err(Error::Input(format!("references: {} labels for {count} inputs", labels.len())));
    }
    let mut out = References::new(model, layers, k);
    let len = model.input_len();
    let mut shape = vec![1];
    shape.extend(&model.spec().input_shape);
    for (n, x) in inputs.chunks(len).enumerate() {
        let batch = ArrayD::from_shape_vec(IxDyn(&shape), x.to_vec()).expect("checked length");
        let options =
            Options { target: Target::Class(labels[n] as usize), output: OutputRelevance::Score, zero_bias: false };
        let activations = model.forward(batch.clone())?.activations;
        let e = explain(model, batch, method, &options)?;
        let index = first_index + n as u64;
        for (slot, &l) in layers.iter().enumerate() {
            let relevance = e.layers.get(l + 1).map_or(&e.output_relevance, |next| &next.relevance);
            for (mode, values) in
                [(&mut out.relevance[slot], relevance), (&mut out.activation[slot], &activations[l + 1])]
            {
                for (c, (value, position)) in channel_values(values.index_axis(Axis(0), 0)).into_iter().enumerate() {
                    mode.offer(c, Reference { index, value, position });
                }
            }
        }
    }
    Ok(out)
}

/// The receptive field in the input of the neuron at `position` of layer `layer`'s
/// output: `[y0, y1, x0, x1]`, inclusive, clipped to the input. Convolutions and pooling
/// windows widen it by their kernel, stride and padding; a dense layer sees everything.
pub fn receptive_field(model: &Model, layer: usize, position: usize) -> [usize; 4] {
    let shapes = model.shapes();
    let input = &shapes[0];
    let (h, w) = match input.as_slice() {
        [_, h, w] => (*h, *w),
        [h, w] => (*h, *w),
        [n] => (1, *n),
        _ => (1, input.iter().product()),
    };
    let whole = [0, h - 1, 0, w - 1];
    let out = &shapes[layer + 1];
    let Some(&width) = out.get(2) else { return whole };
    let (mut y0, mut x0) = ((position / width) as i64, (position % width) as i64);
    let (mut y1, mut x1) = (y0, x0);
    for l in (0..=layer).rev() {
        let (kernel, stride, padding) = match &model.layers()[l] {
            Layer::Conv2d(c) => ([c.weight.shape()[2], c.weight.shape()[3]], c.stride, c.padding),
            Layer::MaxPool2d(p) | Layer::AvgPool2d(p) => (p.kernel, p.stride, p.padding),
            Layer::Relu => continue,
            _ => return whole,
        };
        let [kh, kw] = kernel.map(|k| k as i64);
        let [sh, sw] = stride.map(|s| s as i64);
        let [ph, pw] = padding.map(|p| p as i64);
        let [ih, iw] = [shapes[l][1] as i64, shapes[l][2] as i64];
        (y0, y1) = ((y0 * sh - ph).max(0), (y1 * sh - ph + kh - 1).min(ih - 1));
        (x0, x1) = ((x0 * sw - pw).max(0), (x1 * sw - pw + kw - 1).min(iw - 1));
    }
    [y0 as usize, y1 as usize, x0 as usize, x1 as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ranking_keeps_the_best_k_whatever_the_order() {
        let r = |index, value| Reference { index, value, position: 0 };
        let mut a = Ranking::new(0, 1, 3);
        for (i, v) in [0.1, 0.5, 0.3, 0.5, 0.9].iter().enumerate() {
            a.offer(0, r(i as u64, *v));
        }
        assert_eq!(a.channels[0], vec![r(4, 0.9), r(1, 0.5), r(3, 0.5)], "ties: the earlier input first");
        let (mut b, mut c) = (Ranking::new(0, 1, 3), Ranking::new(0, 1, 3));
        for (i, v) in [0.1, 0.5, 0.3].iter().enumerate() {
            b.offer(0, r(i as u64, *v));
        }
        for (i, v) in [0.5, 0.9].iter().enumerate() {
            c.offer(0, r(3 + i as u64, *v));
        }
        c.merge(&b);
        assert_eq!(c, a);
    }

    #[test]
    fn channel_values_are_shares_of_the_layers_total_with_the_first_maximum() {
        // Two channels of three positions: sums 3 and -1, |total| 4.
        let values = ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![1.0, 2.0, 0.0, -1.0, 0.0, 0.0]).unwrap();
        let got = channel_values(values.view());
        assert!((got[0].0 - 0.75).abs() < 1e-6 && got[0].1 == 1);
        assert!((got[1].0 + 0.25).abs() < 1e-6 && got[1].1 == 1, "{got:?}: the first of the maxima (0 at 1 and 2)");
    }
}
