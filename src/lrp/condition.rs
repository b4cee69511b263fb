//! Concept Relevance Propagation (CRP, Achtibat et al. 2023): the relevance arriving at
//! the output of a layer is kept for chosen channels (or neurons) and set to zero for
//! the others, then propagated down to the pixels with the method's rules: zennit-crp's
//! `CondAttribution` with a `ChannelConcept`. Conditions on several layers combine: each
//! masks the relevance at its layer's output as the pass goes by.

use ndarray::{Array2, ArrayD, ArrayView1, Axis};
use serde::{Deserialize, Serialize};

use crate::model::Model;
use crate::{Error, Result};

/// Keep only `channels` of the relevance at the output of layer `layer` (its index in
/// the model description, the `nn.Sequential` index zennit-crp names it by).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub layer: usize,
    /// Channels of a convolution's or pooling's output, neurons of a dense layer's.
    pub channels: Vec<usize>,
}

impl std::str::FromStr for Condition {
    type Err = Error;

    /// `LAYER:CHANNELS`, e.g. `3:5,7`.
    fn from_str(s: &str) -> Result<Condition> {
        let fail = || Error::Input(format!("condition `{s}`: expected LAYER:CHANNELS, e.g. 3:5,7"));
        let (layer, channels) = s.split_once(':').ok_or_else(fail)?;
        let layer = layer.trim().parse().map_err(|_| fail())?;
        let channels = channels.split(',').map(|c| c.trim().parse()).collect::<std::result::Result<_, _>>();
        Ok(Condition { layer, channels: channels.map_err(|_| fail())? })
    }
}

/// Checks conditions against the model: an existing layer, each once, and channels it has.
pub fn check(model: &Model, conditions: &[Condition]) -> Result<()> {
    let layers = model.layers().len();
    for (i, condition) in conditions.iter().enumerate() {
        let fail = |message: String| Err(Error::Input(format!("conditions[{i}]: {message}")));
        if condition.layer >= layers {
            return fail(format!("layer {} does not exist; the model has layers 0 to {}", condition.layer, layers - 1));
        }
        if conditions[..i].iter().any(|c| c.layer == condition.layer) {
            return fail(format!(
                "layer {} is conditioned twice; give all its channels in one condition",
                condition.layer
            ));
        }
        let count = model.shapes()[condition.layer + 1][0];
        if condition.channels.is_empty() {
            return fail(format!("layer {}: expected at least one channel", condition.layer));
        }
        if let Some(&c) = condition.channels.iter().find(|&&c| c >= count) {
            return fail(format!("layer {} has channels 0 to {}, not {c}", condition.layer, count - 1));
        }
    }
    Ok(())
}

/// Sets every channel (axis 1) of a batch's relevance not in `channels` to zero.
pub fn mask(relevance: &mut ArrayD<f32>, channels: &[usize]) {
    for (c, mut channel) in relevance.axis_iter_mut(Axis(1)).enumerate() {
        if !channels.contains(&c) {
            channel.fill(0.0);
        }
    }
}

/// The relevance of each channel, summed over its positions: `[N, channels]` of a
/// batch `[N, channels, ...]` (a dense layer's neurons are its channels). CRP's concept
/// relevance before normalisation.
pub fn channel_sums(relevance: &ArrayD<f32>) -> Array2<f32> {
    let (n, c) = (relevance.shape()[0], relevance.shape().get(1).copied().unwrap_or(1));
    let per_channel = relevance.len() / (n * c).max(1);
    let flat = relevance.as_standard_layout();
    let values = flat.as_slice().expect("standard layout");
    // ndarray's sum (eight partial sums at a time): a plain fold is one long chain of
    // dependent additions, and the page asks for these sums at every layer.
    Array2::from_shape_fn((n, c), |(i, k)| {
        ArrayView1::from(&values[(i * c + k) * per_channel..(i * c + k + 1) * per_channel]).sum()
    })
}

/// Each channel's share of the layer's total: its relevance over the sum of every
/// channel's |relevance| (zennit-crp's `abs_norm`), so the shares' magnitudes add up to 1.
pub fn shares(sums: &[f32]) -> Vec<f32> {
    let total: f32 = sums.iter().map(|v| v.abs()).sum::<f32>() + 1e-10;
    sums.iter().map(|v| v / total).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, IxDyn};

    #[test]
    fn parses_layer_and_channels() {
        assert_eq!("3:5,7".parse::<Condition>().unwrap(), Condition { layer: 3, channels: vec![5, 7] });
        assert_eq!(" 0 : 1 ".parse::<Condition>().unwrap(), Condition { layer: 0, channels: vec![1] });
        for bad in ["3", "3:", ":1", "x:1", "3:1,,2", "3:-1"] {
            assert!(bad.parse::<Condition>().unwrap_err().to_string().contains("expected LAYER:CHANNELS"), "{bad}");
        }
    }

    #[test]
    fn masks_and_sums_by_channel() {
        // [1, 3, 2]: three channels of two positions.
        let mut r = ArrayD::from_shape_vec(IxDyn(&[1, 3, 2]), vec![1.0, 2.0, -3.0, 4.0, 5.0, 6.0]).unwrap();
        assert_eq!(channel_sums(&r), array![[3.0, 1.0, 11.0]]);
        mask(&mut r, &[0, 2]);
        assert_eq!(r.iter().copied().collect::<Vec<_>>(), vec![1.0, 2.0, 0.0, 0.0, 5.0, 6.0]);
        // A dense layer's neurons are its channels.
        let dense = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(channel_sums(&dense), array![[1.0, 2.0], [3.0, 4.0]]);
        let parts = shares(&[3.0, -1.0, 0.0]);
        assert!((parts[0] - 0.75).abs() < 1e-6 && (parts[1] + 0.25).abs() < 1e-6 && parts[2] == 0.0, "{parts:?}");
    }
}
