//! Pixel selection, the poster's "feature extraction": how few pixels does a network
//! need, and which method finds them? Pixels are ranked once for a whole data set (by
//! a method's mean |relevance|, by variance, or at random), every other pixel is set
//! to the background, and the model's accuracy is measured as more pixels are kept.

use super::curve::{argmax, scores};
use super::removal::Grid;
use crate::model::Model;
use crate::random::Random;
use crate::Result;

/// Per-pixel sums over a data set, added up batch by batch.
#[derive(Debug, Clone, PartialEq)]
pub struct PixelStatistics {
    pub inputs: usize,
    /// Σ |relevance| per pixel (channels summed).
    pub relevance: Vec<f64>,
    /// Σ x and Σ x² per pixel (channels summed), for the variance.
    pub sum: Vec<f64>,
    pub squares: Vec<f64>,
}

impl PixelStatistics {
    pub fn new(grid: &Grid) -> PixelStatistics {
        let n = grid.pixels();
        PixelStatistics { inputs: 0, relevance: vec![0.0; n], sum: vec![0.0; n], squares: vec![0.0; n] }
    }

    /// Adds inputs and their relevance maps (flat, one after another).
    pub fn add(&mut self, grid: &Grid, inputs: &[f32], relevance: &[f32]) {
        let pixels = grid.pixels();
        for (input, map) in inputs.chunks_exact(grid.len()).zip(relevance.chunks_exact(grid.len())) {
            self.inputs += 1;
            for c in 0..grid.channels {
                for p in 0..pixels {
                    let (x, r) = (input[c * pixels + p] as f64, map[c * pixels + p] as f64);
                    self.relevance[p] += r.abs();
                    self.sum[p] += x;
                    self.squares[p] += x * x;
                }
            }
        }
    }

    pub fn merge(&mut self, other: &PixelStatistics) {
        self.inputs += other.inputs;
        for (a, b) in
            [(&mut self.relevance, &other.relevance), (&mut self.sum, &other.sum), (&mut self.squares, &other.squares)]
        {
            a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        }
    }

    /// Pixels by mean |relevance|, highest first (ties by index).
    pub fn by_relevance(&self) -> Vec<usize> {
        descending(&self.relevance)
    }

    /// Pixels by variance over the inputs, highest first.
    pub fn by_variance(&self) -> Vec<usize> {
        let n = self.inputs.max(1) as f64;
        let variance: Vec<f64> = self.sum.iter().zip(&self.squares).map(|(s, q)| q / n - (s / n) * (s / n)).collect();
        descending(&variance)
    }
}

fn descending(values: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    order
}

/// Pixels in a seeded random order.
pub fn random_order(grid: &Grid, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..grid.pixels()).collect();
    Random::new(seed).shuffle(&mut order);
    order
}

/// How many of `inputs` (flat) the model classifies as `labels` say when only the
/// pixels `kept` are kept (all channels) and every other one is set to 0 (clamped
/// into the input range).
pub fn correct_with(model: &Model, grid: &Grid, inputs: &[f32], labels: &[u8], kept: &[usize]) -> Result<usize> {
    let [low, high] = model.spec().input_range;
    let fill = 0f32.clamp(low, high);
    let mut mask = vec![false; grid.pixels()];
    kept.iter().for_each(|&p| mask[p] = true);
    let mut images = inputs.to_vec();
    for image in images.chunks_exact_mut(grid.len()) {
        for (i, v) in image.iter_mut().enumerate() {
            if !mask[i % grid.pixels()] {
                *v = fill;
            }
        }
    }
    let classes = model.classes().len();
    let scores = scores(model, images)?;
    Ok(scores.chunks_exact(classes).zip(labels).filter(|(row, &label)| argmax(*row) == label as usize).count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_rank_pixels_by_relevance_and_by_variance() {
        let grid = Grid { channels: 1, height: 1, width: 3 };
        let mut a = PixelStatistics::new(&grid);
        a.add(&grid, &[0.0, 1.0, 0.5, 0.0, 0.0, 0.5], &[0.1, -3.0, 0.0, 0.2, 1.0, 0.0]);
        // |R| sums 0.3, 4, 0; variances 0, 0.25, 0.
        assert_eq!(a.by_relevance(), [1, 0, 2]);
        assert_eq!(a.by_variance(), [1, 0, 2]);
        let mut b = PixelStatistics::new(&grid);
        b.add(&grid, &[1.0, 0.5, 0.0], &[0.0, 0.0, 9.0]);
        a.merge(&b);
        assert_eq!(a.inputs, 3);
        assert_eq!(a.by_relevance(), [2, 1, 0]);
        // Pixels are now (0, 0, 1), (1, 0, 0.5), (0.5, 0.5, 0): variances 2/9, 1/6, 1/18.
        assert_eq!(a.by_variance(), [0, 1, 2]);
        let order = random_order(&Grid { channels: 1, height: 4, width: 4 }, 3);
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, (0..16).collect::<Vec<_>>());
    }
}
