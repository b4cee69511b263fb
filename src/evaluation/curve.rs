//! Perturbation curves: the model's answer on one input as its pixels are removed,
//! and the figures read off them (the first flip, AOPC, the areas behind the
//! symmetric relevance gain).

use ndarray::{ArrayD, Axis, IxDyn};
use serde::Serialize;

use super::confidence::{confidence, softmax};
use super::removal::{ranking, Grid, Imputation, Order, Remover, Schedule};
use crate::model::Model;
use crate::random::Random;
use crate::Result;

/// How pixels are removed: what replaces them, how many go per step, and the seed of
/// the random order, the tie-breaking and ROAD's noise.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Removal {
    pub imputation: Imputation,
    pub schedule: Schedule,
    pub seed: u64,
}

/// The model's answer after each step of removal, for the class explained (the
/// target): step 0 is the input itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct Curve {
    /// Pixels removed at each step.
    pub removed: Vec<usize>,
    /// The target's output score.
    pub score: Vec<f32>,
    /// The target's softmax probability.
    pub probability: Vec<f32>,
    /// The poster's confidence, (max − 2nd max) / max of the probabilities.
    pub confidence: Vec<f32>,
    /// The predicted class.
    pub prediction: Vec<usize>,
}

/// Where the prediction first changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct Flip {
    pub step: usize,
    /// Pixels removed by then.
    pub pixels: usize,
    /// The class predicted then.
    pub to: usize,
}

impl Curve {
    pub fn steps(&self) -> usize {
        self.removed.len().saturating_sub(1)
    }

    /// Whether the prediction at `step` differs from the prediction on the input.
    pub fn flipped(&self, step: usize) -> bool {
        self.prediction[step] != self.prediction[0]
    }

    /// The first step at which the prediction differs from the one on the input.
    pub fn flip(&self) -> Option<Flip> {
        (1..self.removed.len()).find(|&s| self.flipped(s)).map(|step| Flip {
            step,
            pixels: self.removed[step],
            to: self.prediction[step],
        })
    }

    /// The area under the probability curve, as the mean over its steps (0 to L):
    /// the discrete form AOPC and the symmetric relevance gain are defined with.
    pub fn area(&self) -> f32 {
        mean(&self.probability)
    }

    /// Area over the perturbation curve (Samek et al. 2017), of one input:
    /// `1/(L+1) Σ_k p(x⁽⁰⁾) − p(x⁽ᵏ⁾)` on the target's probability.
    pub fn aopc(&self) -> f32 {
        self.probability[0] - self.area()
    }
}

fn mean(values: &[f32]) -> f32 {
    values.iter().sum::<f32>() / values.len().max(1) as f32
}

/// The symmetric relevance gain (Blücher et al. 2024) of one input: the area under
/// its LeRF curve minus the area under its MoRF curve. High when the pixels ranked
/// first carry the decision and those ranked last do not.
pub fn relevance_gain(morf: &Curve, lerf: &Curve) -> f32 {
    lerf.area() - morf.area()
}

/// The curves of a batch `[N, ...input_shape]` under one order: `relevance` (shaped
/// as the batch) ranks the pixels, `targets` are the classes followed, `first_index`
/// is the batch's first input's place in the data set (for the random streams).
pub fn curves(
    model: &Model,
    inputs: &ArrayD<f32>,
    relevance: &ArrayD<f32>,
    targets: &[usize],
    order: Order,
    removal: &Removal,
    first_index: u64,
) -> Result<Vec<Curve>> {
    let mut images = vec![];
    let mut removed = vec![];
    for (n, (input, relevance)) in inputs.axis_iter(Axis(0)).zip(relevance.axis_iter(Axis(0))).enumerate() {
        let (input, relevance) = (input.as_standard_layout(), relevance.as_standard_layout());
        let (input, relevance) =
            (input.as_slice().expect("standard layout"), relevance.as_slice().expect("standard layout"));
        removed = perturb(model, input, relevance, order, removal, first_index.wrapping_add(n as u64), &mut images)?;
    }
    let scores = scores(model, images)?;
    let classes = model.classes().len();
    Ok(scores
        .chunks_exact(removed.len() * classes)
        .zip(targets)
        .map(|(rows, &t)| Curve::from_scores(&removed, rows, classes, t))
        .collect())
}

/// Appends to `images` one input after each step of removal (step 0: the input),
/// and returns the pixels removed at each step. `index` is the input's place in the
/// data set: the random order, the tie-breaking and ROAD's noise depend on it alone.
pub fn perturb(
    model: &Model,
    input: &[f32],
    relevance: &[f32],
    order: Order,
    removal: &Removal,
    index: u64,
    images: &mut Vec<f32>,
) -> Result<Vec<usize>> {
    let grid = Grid::of(&model.spec().input_shape)?;
    let schedule = removal.schedule.check(&grid)?;
    let removed: Vec<usize> = (0..=schedule.steps).map(|s| schedule.removed(s, &grid)).collect();
    let ranked = ranking(relevance, &grid, order, removal.seed, index);
    let remover = Remover::new(input, grid, model.spec().input_range, removal.imputation);
    images.reserve(removed.len() * grid.len());
    for (step, &k) in removed.iter().enumerate() {
        // ROAD's noise: one stream per input and step, whatever the batch.
        let mut random = Random::stream(removal.seed, &[index, step as u64, 1]);
        images.extend(remover.remove(&ranked, k, &mut random));
    }
    Ok(removed)
}

impl Curve {
    /// The curve of `target` from the output scores after each step (one row of
    /// `classes` per step).
    pub fn from_scores(removed: &[usize], scores: &[f32], classes: usize, target: usize) -> Curve {
        let mut curve = Curve {
            removed: removed.to_vec(),
            score: vec![],
            probability: vec![],
            confidence: vec![],
            prediction: vec![],
        };
        for row in scores.chunks_exact(classes) {
            let p = softmax(row);
            curve.score.push(row[target]);
            curve.probability.push(p[target]);
            curve.confidence.push(confidence(&p));
            curve.prediction.push(argmax(row));
        }
        curve
    }
}

/// The output scores of many inputs (flat, one after another), a batch of the
/// model's preferred size at a time.
pub fn scores(model: &Model, images: Vec<f32>) -> Result<Vec<f32>> {
    let len = model.input_len();
    let mut out = Vec::with_capacity(images.len() / len * model.classes().len());
    for chunk in images.chunks(model.preferred_batch() * len) {
        let mut shape = vec![chunk.len() / len];
        shape.extend(&model.spec().input_shape);
        let batch = ArrayD::from_shape_vec(IxDyn(&shape), chunk.to_vec()).expect("whole inputs");
        out.extend(model.scores(batch)?.iter());
    }
    Ok(out)
}

/// The first largest value's index, as the model's prediction.
pub fn argmax<'a>(row: impl IntoIterator<Item = &'a f32>) -> usize {
    row.into_iter().enumerate().fold((0, f32::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best }).0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(probability: &[f32], prediction: &[usize]) -> Curve {
        Curve {
            removed: (0..probability.len()).map(|s| 10 * s).collect(),
            score: probability.to_vec(),
            probability: probability.to_vec(),
            confidence: probability.to_vec(),
            prediction: prediction.to_vec(),
        }
    }

    #[test]
    fn flips_areas_aopc_and_the_relevance_gain_by_hand() {
        let morf = curve(&[0.9, 0.6, 0.3, 0.2, 0.5], &[7, 7, 2, 7, 2]);
        // The first change: step 2, after 20 pixels, to a 2 (the return to 7 after it does not matter).
        assert_eq!(morf.flip(), Some(Flip { step: 2, pixels: 20, to: 2 }));
        assert!(!morf.flipped(1) && morf.flipped(2) && !morf.flipped(3));
        // Area: (0.9 + 0.6 + 0.3 + 0.2 + 0.5) / 5 = 0.5; AOPC: 0.9 − 0.5.
        assert!((morf.area() - 0.5).abs() < 1e-6);
        assert!((morf.aopc() - 0.4).abs() < 1e-6);
        let lerf = curve(&[0.9, 0.9, 0.8, 0.8, 0.6], &[7; 5]);
        assert_eq!(lerf.flip(), None);
        // (0.9 + 0.9 + 0.8 + 0.8 + 0.6) / 5 − 0.5 = 0.3
        assert!((relevance_gain(&morf, &lerf) - 0.3).abs() < 1e-6);
        assert!((relevance_gain(&lerf, &morf) + 0.3).abs() < 1e-6);
        assert_eq!(argmax(&[1.0, 3.0, 3.0, -1.0]), 1, "the first of equal maxima");
    }
}
