//! Attribution methods to compare LRP against, with Zennit's definitions.

use ndarray::{ArrayD, Axis, IxDyn, Zip};

use super::backward::{backward, gradient_through, Flow};
use crate::evaluation::curve::scores;
use crate::evaluation::Grid;
use crate::model::{Layer, Model, ParamMod};
use crate::random::Random;
use crate::Result;

/// Methods that are not LRP, with Zennit's definitions.
#[derive(Debug, Clone, PartialEq)]
pub enum Baseline {
    Gradient,
    GradientTimesInput,
    SmoothGrad {
        noise: f32,
        samples: usize,
        seed: u64,
    },
    IntegratedGradients {
        steps: usize,
    },
    /// Zennit's occlusion: keeps only the window.
    Occlusion {
        window: usize,
        stride: usize,
    },
    /// Occlusion sensitivity (Zeiler & Fergus): sets the window to `fill`.
    OcclusionSensitivity {
        window: usize,
        stride: usize,
        fill: f32,
    },
}

/// The gradient of `output_relevance · f(x)` with respect to `x`.
pub fn gradient(model: &Model, x: ArrayD<f32>, output_relevance: &ArrayD<f32>) -> Result<ArrayD<f32>> {
    let forward = model.forward(x)?;
    let mut pass = backward(model, &forward, output_relevance.clone(), &Flow::Gradient, &[]);
    Ok(pass.relevance.swap_remove(0))
}

/// SmoothGrad with the given standard-normal draws (`samples − 1` arrays shaped like
/// `x`): the mean of the gradients at `x + noise · σ` and, last, at `x` itself, where
/// σ = `noise_level` × (max − min) of each input.
pub fn smoothgrad_with_noise(
    model: &Model,
    x: &ArrayD<f32>,
    output_relevance: &ArrayD<f32>,
    noise_level: f32,
    draws: &[ArrayD<f32>],
) -> Result<ArrayD<f32>> {
    let samples = draws.len() + 1;
    let sigma: Vec<f32> = x
        .axis_iter(Axis(0))
        .map(|s| {
            let (lo, hi) = s.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            noise_level * (hi - lo)
        })
        .collect();
    let mut total = ArrayD::zeros(x.raw_dim());
    for draw in draws.iter().map(Some).chain([None]) {
        let mut noisy = x.clone();
        if let Some(draw) = draw {
            for ((mut sample, d), s) in noisy.axis_iter_mut(Axis(0)).zip(draw.axis_iter(Axis(0))).zip(&sigma) {
                sample.scaled_add(*s, &d);
            }
        }
        total.scaled_add(1.0 / samples as f32, &gradient(model, noisy, output_relevance)?);
    }
    Ok(total)
}

/// SmoothGrad with noise from a seeded generator (the same on every platform).
/// Every input of the batch draws the same stream from `seed`, so an input's
/// explanation depends neither on what else is in the batch nor on its place in it.
pub fn smoothgrad(
    model: &Model,
    x: &ArrayD<f32>,
    output_relevance: &ArrayD<f32>,
    noise_level: f32,
    samples: usize,
    seed: u64,
) -> Result<ArrayD<f32>> {
    let mut draws: Vec<ArrayD<f32>> = (1..samples).map(|_| ArrayD::zeros(x.raw_dim())).collect();
    for n in 0..x.shape()[0] {
        let mut random = Random::new(seed);
        for draw in &mut draws {
            draw.index_axis_mut(Axis(0), n).iter_mut().for_each(|v| *v = random.normal() as f32);
        }
    }
    smoothgrad_with_noise(model, x, output_relevance, noise_level, &draws)
}

/// Integrated Gradients from the zero baseline: `x ⊙` the mean gradient at
/// `α·x` for α in torch.linspace(1/steps, 1, steps).
///
/// The first layer with weights (after any Flatten) is linear in the input: at `α·x`
/// its output is `α·Wx + b`, with `Wx` computed once, and the mean of the gradients
/// passed back through it is `Wᵀ` of the mean of those reaching its output, one
/// transpose instead of one per step. The same sums as by the definition, in another
/// order (the maps agree to rounding: tests/zennit_parity.rs).
pub fn integrated_gradients(
    model: &Model,
    x: &ArrayD<f32>,
    output_relevance: &ArrayD<f32>,
    steps: usize,
) -> Result<ArrayD<f32>> {
    let layers = model.layers();
    let first = layers.iter().position(|l| !matches!(l, Layer::Flatten)).unwrap_or(layers.len());
    let Some(linear @ (Layer::Dense(_) | Layer::Conv2d(_))) = layers.get(first) else {
        let mut total = ArrayD::zeros(x.raw_dim());
        for alpha in linspace(1.0 / steps as f32, 1.0, steps) {
            total.scaled_add(1.0 / steps as f32, &gradient(model, x * alpha, output_relevance)?);
        }
        return Ok(total * x);
    };
    let seen = layers[..first].iter().fold(x.clone(), |a, layer| layer.forward(&a)); // x, flattened
    let weighted = linear.apply(&seen, ParamMod::Identity, false).expect("linear layer");
    let bias = linear.apply(&ArrayD::zeros(seen.raw_dim()), ParamMod::Identity, true).expect("linear layer");
    let rest = &layers[first + 1..];
    let mut mean = ArrayD::zeros(weighted.raw_dim());
    for alpha in linspace(1.0 / steps as f32, 1.0, steps) {
        let mut activations = vec![Zip::from(&weighted).and(&bias).map_collect(|&w, &b| w * alpha + b)];
        for layer in rest {
            let next = layer.forward(activations.last().expect("input"));
            activations.push(next);
        }
        mean.scaled_add(1.0 / steps as f32, &gradient_through(rest, &activations, output_relevance.clone()));
    }
    let at_input = linear.transpose(&mean, ParamMod::Identity, seen.shape()).expect("linear layer");
    Ok(at_input.into_shape_with_order(x.raw_dim()).expect("the flattened input") * x)
}

/// `torch.linspace` in float32, computed as PyTorch does (from both ends).
fn linspace(start: f32, end: f32, steps: usize) -> Vec<f32> {
    if steps == 1 {
        return vec![start];
    }
    let step = (end - start) / (steps - 1) as f32;
    (0..steps)
        .map(|i| if i < steps / 2 { start + step * i as f32 } else { end - step * (steps - 1 - i) as f32 })
        .collect()
}

/// Occlusion as Zennit's `Occlusion` attributor with its default occlusion function:
/// for each window position (window and stride capped at each dimension's size,
/// positions wrapping around the edges as `torch.roll` does), the input is reduced to
/// the window (zeros elsewhere) and every pixel in the window receives the target's
/// output score; a pixel's relevance is the sum over the windows containing it.
pub fn occlusion(
    model: &Model,
    x: &ArrayD<f32>,
    targets: &[usize],
    window: usize,
    stride: usize,
) -> Result<ArrayD<f32>> {
    let shape = &x.shape()[1..];
    let windows: Vec<usize> = shape.iter().map(|&s| window.min(s)).collect();
    let strides: Vec<usize> = shape.iter().map(|&s| stride.min(s)).collect();
    let mut result = ArrayD::<f32>::zeros(x.raw_dim());
    let positions: Vec<Vec<usize>> = shape.iter().zip(&strides).map(|(&s, &st)| (0..s).step_by(st).collect()).collect();
    let mut offset = vec![0usize; shape.len()];
    let mut mask = ArrayD::<f32>::zeros(IxDyn(shape));
    loop {
        for (index, value) in mask.indexed_iter_mut() {
            let inside =
                (0..shape.len()).all(|d| (index[d] + shape[d] - positions[d][offset[d]]) % shape[d] < windows[d]);
            *value = if inside { 1.0 } else { 0.0 };
        }
        let scores = model.forward(x * &mask)?;
        for ((mut r, logits), &t) in result.axis_iter_mut(Axis(0)).zip(scores.logits().axis_iter(Axis(0))).zip(targets)
        {
            r.scaled_add(logits[t], &mask);
        }
        // Next window position, odometer style over the dimensions.
        let mut d = shape.len();
        loop {
            if d == 0 {
                return Ok(result);
            }
            d -= 1;
            offset[d] += 1;
            if offset[d] < positions[d].len() {
                break;
            }
            offset[d] = 0;
        }
    }
}

/// Where windows of `window` pixels start along a side of `side`, `stride` apart and
/// all inside; the last one ends at the edge, so every pixel is covered.
pub fn window_starts(side: usize, window: usize, stride: usize) -> Vec<usize> {
    let window = window.min(side);
    let last = side - window;
    let mut starts: Vec<usize> = (0..=last).step_by(stride.max(1)).collect();
    if starts.last() != Some(&last) {
        starts.push(last);
    }
    starts
}

/// Occlusion sensitivity (Zeiler & Fergus 2014), the one-window form of feature
/// removal: each window of `window` × `window` pixels (all channels), placed `stride`
/// apart inside the input, is set to `fill`, and the drop of the target's score,
/// `f(x) − f(x with the window filled)`, is credited to its pixels; a pixel's relevance
/// is the mean drop over the windows that cover it. Positive: hiding it hurts the target.
pub fn occlusion_sensitivity(
    model: &Model,
    x: &ArrayD<f32>,
    targets: &[usize],
    window: usize,
    stride: usize,
    fill: f32,
) -> Result<ArrayD<f32>> {
    let grid = Grid::of(&x.shape()[1..])?;
    let (rows, columns) = (window_starts(grid.height, window, stride), window_starts(grid.width, window, stride));
    let (wh, ww) = (window.min(grid.height), window.min(grid.width));
    let classes = model.classes().len();
    let mut result = ArrayD::<f32>::zeros(x.raw_dim());
    for ((input, mut r), &target) in x.axis_iter(Axis(0)).zip(result.axis_iter_mut(Axis(0))).zip(targets) {
        let input = input.as_standard_layout();
        let input = input.as_slice().expect("standard layout");
        let mut images = Vec::with_capacity((rows.len() * columns.len() + 1) * input.len());
        images.extend_from_slice(input);
        for &top in &rows {
            for &left in &columns {
                let start = images.len();
                images.extend_from_slice(input);
                let image = &mut images[start..];
                for c in 0..grid.channels {
                    for row in top..top + wh {
                        let at = (c * grid.height + row) * grid.width + left;
                        image[at..at + ww].fill(fill);
                    }
                }
            }
        }
        let scores = scores(model, images)?;
        let original = scores[target];
        let (mut drop, mut cover) = (vec![0.0f32; grid.pixels()], vec![0u32; grid.pixels()]);
        for (w, row_scores) in scores.chunks_exact(classes).skip(1).enumerate() {
            let (top, left) = (rows[w / columns.len()], columns[w % columns.len()]);
            for row in top..top + wh {
                for column in left..left + ww {
                    drop[row * grid.width + column] += original - row_scores[target];
                    cover[row * grid.width + column] += 1;
                }
            }
        }
        let r = r.as_slice_mut().expect("standard layout");
        for c in 0..grid.channels {
            for p in 0..grid.pixels() {
                r[c * grid.pixels() + p] = drop[p] / cover[p].max(1) as f32;
            }
        }
    }
    Ok(result)
}
