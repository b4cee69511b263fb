//! Feature removal: the order in which pixels go, what replaces them, and how many
//! go at each step.
//!
//! A *pixel* is one position of the input's grid, all its channels together; its
//! relevance is the sum over the channels. Ties in relevance (the many exact zeros
//! of LRP on a black background) are broken by a seeded random order, the same for
//! every method, so that no method gains from where its ties happen to fall.

use serde::{Deserialize, Serialize};

use crate::random::Random;
use crate::{Error, Result};

/// The order in which pixels are removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(clap::ValueEnum))]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Most relevant first (MoRF): the score should fall fast.
    Morf,
    /// Least relevant first (LeRF): the score should hold.
    Lerf,
    /// A seeded random order, the reference both are compared with.
    Random,
}

impl Order {
    pub const ALL: [Order; 3] = [Order::Morf, Order::Lerf, Order::Random];

    pub fn name(self) -> &'static str {
        match self {
            Order::Morf => "morf",
            Order::Lerf => "lerf",
            Order::Random => "random",
        }
    }
}

/// What replaces a removed pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[cfg_attr(not(target_arch = "wasm32"), derive(clap::ValueEnum))]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum Imputation {
    /// 0, the MNIST background (clamped into the model's input range).
    #[default]
    Zero,
    /// ROAD's noisy linear imputation (Rong et al. 2022): each removed pixel is the
    /// weighted mean of its eight neighbours (1/6 beside, 1/12 diagonal), removed or
    /// not, solved as one linear system, plus Gaussian noise of σ = 0.01 of the input
    /// range. It leaves no black hole whose shape alone could give the order away.
    Road,
    /// The original image blurred (Gaussian, σ = 2 pixels) at the removed pixels.
    Blur,
}

impl Imputation {
    pub const ALL: [Imputation; 3] = [Imputation::Zero, Imputation::Road, Imputation::Blur];

    pub fn name(self) -> &'static str {
        match self {
            Imputation::Zero => "zero",
            Imputation::Road => "road",
            Imputation::Blur => "blur",
        }
    }
}

/// ROAD's noise, as a fraction of the input's value range (its default of 0.01).
pub const ROAD_NOISE: f32 = 0.01;
/// The blur's standard deviation, in pixels.
pub const BLUR_SIGMA: f32 = 2.0;

/// The pixel grid of an input shape: `[C, H, W]`, `[H, W]` or `[D]` (one row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct Grid {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

impl Grid {
    pub fn of(shape: &[usize]) -> Result<Grid> {
        let (channels, height, width) = match *shape {
            [c, h, w] => (c, h, w),
            [h, w] => (1, h, w),
            [d] => (1, 1, d),
            _ => {
                return Err(Error::Input(format!("feature removal needs an input of 1 to 3 dimensions, not {shape:?}")))
            }
        };
        Ok(Grid { channels, height, width })
    }

    /// Pixels (positions), each with `channels` values.
    pub fn pixels(&self) -> usize {
        self.height * self.width
    }

    pub fn len(&self) -> usize {
        self.channels * self.pixels()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How many pixels are gone after each step: `step · step_pixels`, for steps 0 to
/// `steps` (capped at the number of pixels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    pub steps: usize,
    pub step_pixels: usize,
}

impl Default for Schedule {
    /// 20 steps of 10 pixels: up to 200 of MNIST's 784, more than a digit's ink.
    fn default() -> Schedule {
        Schedule { steps: 20, step_pixels: 10 }
    }
}

impl Schedule {
    /// Pixels removed after `step` steps.
    pub fn removed(&self, step: usize, grid: &Grid) -> usize {
        step.saturating_mul(self.step_pixels).min(grid.pixels())
    }

    /// The schedule if it fits the grid: at least one step of at least one pixel, no
    /// step past the last pixel, and at most 10,000 steps.
    pub fn check(self, grid: &Grid) -> Result<Schedule> {
        let pixels = grid.pixels();
        if self.steps == 0 || self.steps > 10_000 {
            return Err(Error::Input(format!("steps: expected a whole number from 1 to 10000, got {}", self.steps)));
        }
        if self.step_pixels == 0 || self.step_pixels > pixels {
            return Err(Error::Input(format!(
                "stepPixels: expected a whole number from 1 to {pixels}, got {}",
                self.step_pixels
            )));
        }
        if (self.steps - 1) * self.step_pixels >= pixels {
            return Err(Error::Input(format!(
                "steps: {} steps of {} pixels go past the input's {pixels} pixels; at most {} steps",
                self.steps,
                self.step_pixels,
                pixels.div_ceil(self.step_pixels)
            )));
        }
        Ok(self)
    }
}

/// The pixels of one input from first to last removed, under `order`. `relevance`
/// holds the input's `grid.len()` values; `index` (the input's place in the data
/// set) and `seed` choose the random order and the tie-breaking.
pub fn ranking(relevance: &[f32], grid: &Grid, order: Order, seed: u64, index: u64) -> Vec<u32> {
    let pixels = grid.pixels();
    let mut ranked: Vec<u32> = (0..pixels as u32).collect();
    Random::stream(seed, &[index]).shuffle(&mut ranked);
    if order == Order::Random {
        return ranked;
    }
    // `+ 0.0` makes −0 and +0 one value: total_cmp would order them, and a method whose
    // zeros come out negative would break its ties otherwise than one whose zeros do not.
    let score: Vec<f32> =
        (0..pixels).map(|p| (0..grid.channels).map(|c| relevance[c * pixels + p]).sum::<f32>() + 0.0).collect();
    // Stable: equal scores keep the shuffled order.
    match order {
        Order::Morf => ranked.sort_by(|&a, &b| score[b as usize].total_cmp(&score[a as usize])),
        _ => ranked.sort_by(|&a, &b| score[a as usize].total_cmp(&score[b as usize])),
    }
    ranked
}

/// Removes pixels from one input, in any number, with one imputation.
pub struct Remover<'a> {
    image: &'a [f32],
    grid: Grid,
    range: [f32; 2],
    imputation: Imputation,
    /// The blurred image (for [`Imputation::Blur`]).
    blurred: Vec<f32>,
}

impl<'a> Remover<'a> {
    /// `image`: one input (`grid.len()` values) within `range`, the model's input range.
    pub fn new(image: &'a [f32], grid: Grid, range: [f32; 2], imputation: Imputation) -> Remover<'a> {
        let blurred = if imputation == Imputation::Blur { blur(image, &grid, BLUR_SIGMA) } else { vec![] };
        Remover { image, grid, range, imputation, blurred }
    }

    /// The input without its first `k` pixels of `ranking`; ROAD's noise is drawn
    /// from `random`. Every value stays within the input range.
    pub fn remove(&self, ranking: &[u32], k: usize, random: &mut Random) -> Vec<f32> {
        let mut out = self.image.to_vec();
        let pixels = self.grid.pixels();
        let gone = &ranking[..k.min(ranking.len())];
        let [low, high] = self.range;
        match self.imputation {
            Imputation::Zero => {
                let fill = 0f32.clamp(low, high);
                for &p in gone {
                    (0..self.grid.channels).for_each(|c| out[c * pixels + p as usize] = fill);
                }
            }
            Imputation::Blur => {
                for &p in gone {
                    (0..self.grid.channels)
                        .for_each(|c| out[c * pixels + p as usize] = self.blurred[c * pixels + p as usize]);
                }
            }
            Imputation::Road => {
                let mut removed = vec![false; pixels];
                gone.iter().for_each(|&p| removed[p as usize] = true);
                linear_imputation(&mut out, &self.grid, &removed, 0f32.clamp(low, high));
                let sigma = ROAD_NOISE * (high - low);
                for &p in gone {
                    for c in 0..self.grid.channels {
                        let v = &mut out[c * pixels + p as usize];
                        *v = (*v + sigma * random.normal() as f32).clamp(low, high);
                    }
                }
            }
        }
        out
    }
}

/// ROAD's neighbours and their weights: 1/6 beside, 1/12 diagonally.
const NEIGHBOURS: [(isize, isize, f64); 8] = [
    (-1, -1, 1.0 / 12.0),
    (-1, 0, 1.0 / 6.0),
    (-1, 1, 1.0 / 12.0),
    (0, -1, 1.0 / 6.0),
    (0, 1, 1.0 / 6.0),
    (1, -1, 1.0 / 12.0),
    (1, 0, 1.0 / 6.0),
    (1, 1, 1.0 / 12.0),
];

/// Sets each removed pixel of each channel to the weighted mean of its neighbours
/// inside the image (removed or not): `(Σ_n w_n) x_i − Σ_{n removed} w_n x_n =
/// Σ_{n kept} w_n x_n`. The matrix is symmetric and, as long as one pixel is kept,
/// positive definite (the kept pixels pin every connected group of removed ones), so
/// conjugate gradients solve it. With every pixel removed nothing pins them and they
/// get `fallback`.
pub fn linear_imputation(image: &mut [f32], grid: &Grid, removed: &[bool], fallback: f32) {
    let (h, w, pixels) = (grid.height as isize, grid.width as isize, grid.pixels());
    let unknown: Vec<usize> = (0..pixels).filter(|&p| removed[p]).collect();
    if unknown.is_empty() {
        return;
    }
    if unknown.len() == pixels {
        image.iter_mut().for_each(|v| *v = fallback);
        return;
    }
    let mut variable = vec![u32::MAX; pixels];
    unknown.iter().enumerate().for_each(|(i, &p)| variable[p] = i as u32);
    // For each unknown: its diagonal, its unknown neighbours (variable, weight) and kept ones (pixel, weight).
    let mut diagonal = vec![0.0f64; unknown.len()];
    let mut coupled: Vec<Vec<(u32, f64)>> = vec![vec![]; unknown.len()];
    let mut kept: Vec<Vec<(usize, f64)>> = vec![vec![]; unknown.len()];
    for (i, &p) in unknown.iter().enumerate() {
        let (r, c) = ((p / grid.width) as isize, (p % grid.width) as isize);
        for &(dr, dc, weight) in &NEIGHBOURS {
            let (nr, nc) = (r + dr, c + dc);
            if nr < 0 || nc < 0 || nr >= h || nc >= w {
                continue;
            }
            let q = (nr * w + nc) as usize;
            diagonal[i] += weight;
            if removed[q] {
                coupled[i].push((variable[q], weight));
            } else {
                kept[i].push((q, weight));
            }
        }
    }
    let apply = |v: &[f64], out: &mut [f64]| {
        for i in 0..v.len() {
            out[i] = diagonal[i] * v[i] - coupled[i].iter().map(|&(j, weight)| weight * v[j as usize]).sum::<f64>();
        }
    };
    for channel in 0..grid.channels {
        let plane = &mut image[channel * pixels..(channel + 1) * pixels];
        let b: Vec<f64> = kept.iter().map(|k| k.iter().map(|&(q, weight)| weight * plane[q] as f64).sum()).collect();
        let x = conjugate_gradients(&apply, &diagonal, &b);
        unknown.iter().zip(&x).for_each(|(&p, &v)| plane[p] = v as f32);
    }
}

/// Solves `A x = b` for a symmetric positive definite `A` (given as its product and
/// its diagonal, the Jacobi preconditioner) to a relative residual of 1e-7.
fn conjugate_gradients(apply: &impl Fn(&[f64], &mut [f64]), diagonal: &[f64], b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let target = 1e-7 * norm(b);
    let mut x = vec![0.0; n];
    let mut r = b.to_vec();
    if norm(&r) <= target {
        return x;
    }
    let mut z: Vec<f64> = r.iter().zip(diagonal).map(|(r, d)| r / d).collect();
    let mut p = z.clone();
    let mut rz: f64 = r.iter().zip(&z).map(|(a, b)| a * b).sum();
    let mut ap = vec![0.0; n];
    for _ in 0..(4 * n + 100) {
        apply(&p, &mut ap);
        let alpha = rz / p.iter().zip(&ap).map(|(a, b)| a * b).sum::<f64>();
        x.iter_mut().zip(&p).for_each(|(x, p)| *x += alpha * p);
        r.iter_mut().zip(&ap).for_each(|(r, ap)| *r -= alpha * ap);
        if norm(&r) <= target {
            break;
        }
        z.iter_mut().zip(r.iter().zip(diagonal)).for_each(|(z, (r, d))| *z = r / d);
        let next: f64 = r.iter().zip(&z).map(|(a, b)| a * b).sum();
        let beta = next / rz;
        rz = next;
        p.iter_mut().zip(&z).for_each(|(p, z)| *p = z + beta * *p);
    }
    x
}

/// Each channel blurred with a Gaussian of `sigma` pixels (truncated at 3σ),
/// normalised by the weight that falls inside the image.
pub fn blur(image: &[f32], grid: &Grid, sigma: f32) -> Vec<f32> {
    let radius = (3.0 * sigma).ceil() as isize;
    let kernel: Vec<f32> = (-radius..=radius).map(|d| (-((d * d) as f32) / (2.0 * sigma * sigma)).exp()).collect();
    let (h, w, pixels) = (grid.height as isize, grid.width as isize, grid.pixels());
    // Separable: along rows, then along columns, each normalised on its own.
    let pass = |src: &[f32], along_rows: bool| -> Vec<f32> {
        let mut out = vec![0.0; src.len()];
        for r in 0..h {
            for c in 0..w {
                let (mut sum, mut weight) = (0.0, 0.0);
                for (k, d) in (-radius..=radius).enumerate() {
                    let (rr, cc) = if along_rows { (r, c + d) } else { (r + d, c) };
                    if rr >= 0 && cc >= 0 && rr < h && cc < w {
                        sum += kernel[k] * src[(rr * w + cc) as usize];
                        weight += kernel[k];
                    }
                }
                out[(r * w + c) as usize] = sum / weight;
            }
        }
        out
    };
    let mut out = Vec::with_capacity(image.len());
    for plane in image.chunks_exact(pixels) {
        out.extend(pass(&pass(plane, true), false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRID: Grid = Grid { channels: 1, height: 3, width: 3 };

    #[test]
    fn rankings_follow_relevance_and_break_ties_the_same_way_for_every_order() {
        let relevance = [0.5, -1.0, 0.0, 2.0, 0.0, 0.0, -0.25, 0.0, 1.0];
        let morf = ranking(&relevance, &GRID, Order::Morf, 0, 0);
        assert_eq!(morf[..3], [3, 8, 0]);
        assert_eq!(morf[7..], [6, 1]);
        let lerf = ranking(&relevance, &GRID, Order::Lerf, 0, 0);
        assert_eq!(lerf[..2], [1, 6]);
        assert_eq!(lerf[6..], [0, 8, 3]);
        // The four zeros sit between, in one shuffled order shared by both (reversed
        // for neither: a tie is a tie).
        assert_eq!(morf[3..7], lerf[2..6]);
        let random = ranking(&relevance, &GRID, Order::Random, 0, 0);
        let zeros: Vec<u32> = random.iter().copied().filter(|&p| relevance[p as usize] == 0.0).collect();
        assert_eq!(zeros, morf[3..7]);
        // Another input, or another seed, is shuffled differently; the same one alike.
        assert_eq!(random, ranking(&relevance, &GRID, Order::Random, 0, 0));
        let others: Vec<Vec<u32>> = (1..6).map(|i| ranking(&relevance, &GRID, Order::Random, 0, i)).collect();
        assert!(others.iter().any(|o| *o != random));
        // −0 is a zero like any other: the same order as with +0 everywhere.
        let signed: Vec<f32> =
            relevance.iter().enumerate().map(|(i, &r)| if r == 0.0 && i % 2 == 0 { -0.0 } else { r }).collect();
        assert_eq!(ranking(&signed, &GRID, Order::Morf, 0, 0), morf);
        assert_eq!(ranking(&signed, &GRID, Order::Lerf, 0, 0), lerf);
        // Channels are summed per pixel: pixel 1 wins on its two channels together.
        let two = Grid { channels: 2, height: 1, width: 3 };
        assert_eq!(ranking(&[3.0, 2.0, 0.0, -2.0, 2.0, 0.0], &two, Order::Morf, 0, 0), [1, 0, 2]);
    }

    #[test]
    fn zero_and_blur_replace_exactly_the_removed_pixels() {
        let image: Vec<f32> = (1..=9).map(|v| v as f32 / 10.0).collect();
        let order = [4, 0, 8, 1, 2, 3, 5, 6, 7];
        let mut random = Random::new(0);
        let zero = Remover::new(&image, GRID, [0.0, 1.0], Imputation::Zero).remove(&order, 3, &mut random);
        assert_eq!(zero, [0.0, 0.2, 0.3, 0.4, 0.0, 0.6, 0.7, 0.8, 0.0]);
        // In a range that excludes 0, the fill is the range's low end.
        let shifted = Remover::new(&image, GRID, [0.1, 1.0], Imputation::Zero).remove(&order, 1, &mut random);
        assert_eq!(shifted[4], 0.1);
        assert_eq!(Remover::new(&image, GRID, [0.0, 1.0], Imputation::Zero).remove(&order, 0, &mut random), image);
        // A blur of a constant image is the constant; of a ramp, symmetric around the centre.
        let flat = blur(&[0.5; 9], &GRID, 2.0);
        assert!(flat.iter().all(|v| (v - 0.5).abs() < 1e-6));
        let blurred = Remover::new(&image, GRID, [0.0, 1.0], Imputation::Blur).remove(&order, 1, &mut random);
        assert!((blurred[4] - 0.5).abs() < 1e-6, "centre of a linear ramp: {}", blurred[4]);
        assert_eq!(blurred[..4], image[..4]);
        assert_eq!(blurred[5..], image[5..]);
    }

    #[test]
    fn blur_is_a_normalised_gaussian() {
        // One bright pixel in a 1×5 row, σ = 1: the weights e^{-d²/2} normalised by
        // those inside the row.
        let grid = Grid { channels: 1, height: 1, width: 5 };
        let out = blur(&[0.0, 0.0, 1.0, 0.0, 0.0], &grid, 1.0);
        let g = |d: f32| (-d * d / 2.0).exp();
        let inside_centre = g(0.0) + 2.0 * g(1.0) + 2.0 * g(2.0);
        assert!((out[2] - g(0.0) / inside_centre).abs() < 1e-6);
        let inside_edge = g(0.0) + g(1.0) + g(2.0) + g(3.0);
        assert!((out[0] - g(2.0) / inside_edge).abs() < 1e-6, "{}", out[0]);
    }

    #[test]
    fn road_solves_the_neighbour_equations_by_hand() {
        // One removed pixel in the centre of a 3×3 image: its value is the weighted
        // mean of its eight neighbours, 4·(1/6)·edges + 4·(1/12)·corners.
        let image = [1.0, 0.0, 1.0, 0.0, 0.9, 0.0, 1.0, 0.0, 1.0];
        let mut out = image;
        let mut removed = [false; 9];
        removed[4] = true;
        linear_imputation(&mut out, &GRID, &removed, 0.0);
        assert!((out[4] - 1.0 / 3.0).abs() < 1e-6, "{}", out[4]);
        // Two removed neighbours in a 1×4 row [0.2, ?, ?, 0.8]: a corner of the grid has
        // only its row neighbours (weights 1/6), so x₁ = (0.2 + x₂)/2, x₂ = (x₁ + 0.8)/2:
        // the straight line 0.4, 0.6.
        let row = Grid { channels: 1, height: 1, width: 4 };
        let mut line = [0.2, 0.0, 0.0, 0.8];
        linear_imputation(&mut line, &row, &[false, true, true, false], 0.0);
        assert!((line[1] - 0.4).abs() < 1e-6 && (line[2] - 0.6).abs() < 1e-6, "{line:?}");
        // Everything removed: nothing pins the values, they get the fallback.
        let mut all = [0.7f32; 9];
        linear_imputation(&mut all, &GRID, &[true; 9], 0.0);
        assert_eq!(all, [0.0; 9]);
    }

    #[test]
    fn road_fills_a_large_hole_smoothly_and_adds_bounded_noise() {
        // A 10×10 image with value = column / 9 (a linear ramp): the linear system is
        // solved exactly by the ramp itself, so a removed 6×6 block comes back as the
        // ramp, up to the noise.
        let grid = Grid { channels: 1, height: 10, width: 10 };
        let image: Vec<f32> = (0..100).map(|p| (p % 10) as f32 / 9.0).collect();
        let block: Vec<u32> = (0..100).filter(|p| (2..8).contains(&(p / 10)) && (2..8).contains(&(p % 10))).collect();
        let noiseless = {
            let mut out = image.clone();
            let mut removed = vec![false; 100];
            block.iter().for_each(|&p| removed[p as usize] = true);
            linear_imputation(&mut out, &grid, &removed, 0.0);
            out
        };
        assert!(noiseless.iter().zip(&image).all(|(a, b)| (a - b).abs() < 1e-5));
        let filled =
            Remover::new(&image, grid, [0.0, 1.0], Imputation::Road).remove(&block, block.len(), &mut Random::new(3));
        let errors: Vec<f32> = block.iter().map(|&p| filled[p as usize] - image[p as usize]).collect();
        assert!(errors.iter().all(|e| e.abs() < 0.05), "noise of σ 0.01 within 5σ");
        assert!(errors.iter().any(|e| e.abs() > 1e-4), "noise is added");
        assert!(filled.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn schedules_fit_the_grid() {
        let grid = Grid::of(&[1, 28, 28]).unwrap();
        let s = Schedule::default().check(&grid).unwrap();
        assert_eq!((0..=s.steps).map(|i| s.removed(i, &grid)).collect::<Vec<_>>().last(), Some(&200));
        assert_eq!(Schedule { steps: 10, step_pixels: 100 }.removed(10, &grid), 784);
        assert!(Schedule { steps: 0, step_pixels: 1 }.check(&grid).is_err());
        assert!(Schedule { steps: 5, step_pixels: 0 }.check(&grid).is_err());
        assert!(Schedule { steps: 8, step_pixels: 112 }.check(&grid).is_err(), "7 steps reach every pixel");
        assert!(Schedule { steps: 7, step_pixels: 112 }.check(&grid).is_ok());
        assert_eq!(Grid::of(&[784]).unwrap(), Grid { channels: 1, height: 1, width: 784 });
        assert!(Grid::of(&[1, 2, 3, 4]).is_err());
    }
}
