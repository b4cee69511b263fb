//! `lrp features`: feature extraction over a data set, the poster's title. Per model
//! and method: the mean relevance map of each predicted class (what the network looks
//! at for a 3), and pixel selection: keep only the k pixels of highest mean |relevance|
//! over the first half of the inputs, set the rest to 0, and measure the accuracy on
//! the second half as k grows, beside random pixels and the pixels of highest variance.

use std::fmt::Write as _;
use std::path::Path;

use lrp::evaluation::selection::{correct_with, random_order, PixelStatistics};
use lrp::evaluation::Grid;
use lrp::lrp::Method;
use lrp::{explain, Error, Model, Options};
use ndarray::Axis;

use super::evaluate::{method_names, parse_methods};
use super::explain::params as parse_params;
use super::{batches, input, output};

/// Pixels kept, as fractions of the input's (for MNIST: 8, 16, 39, 78, 118, 157, 235, 392, 784).
const KEPT: &[f64] = &[0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0];

pub struct Request<'a> {
    pub data: &'a input::Dataset,
    pub methods: &'a [String],
    pub params: &'a [String],
    pub n: Option<usize>,
    pub seed: u64,
    pub out: &'a Path,
}

pub fn run(request: &Request) -> Result<(), Error> {
    let models = request.data.models()?;
    let names = method_names(request.methods);
    let params = parse_params(request.params, None)?;
    std::fs::create_dir_all(request.out).map_err(|e| Error::Data(format!("{}: {e}", request.out.display())))?;
    let mut csv = String::from("model,ranking,kept_fraction,kept_pixels,inputs,accuracy\n");
    let mut md = String::new();
    let bar = batches::progress(0, "features");
    for &model in &models {
        let inputs = request.data.read(model, request.n)?;
        let labels = inputs.labels.ok_or_else(|| Error::Input("features: the inputs need labels (--labels)".into()))?;
        let (n, images) = (inputs.count, inputs.pixels);
        let (half, len) = (n / 2, model.input_len());
        let grid = Grid::of(&model.spec().input_shape)?;
        let rankings = parse_methods(&names, &params, model)?;
        let kept: Vec<usize> =
            KEPT.iter().map(|f| ((f * grid.pixels() as f64).round() as usize).clamp(1, grid.pixels())).collect();
        bar.inc_length((rankings.len() * (n + kept.len() * (n - half)) + 2 * kept.len() * (n - half)) as u64);
        let (test_pixels, test_labels) = (&images[half * len..n * len], &labels[half..n]);
        let accuracy = |order: &[usize]| -> Result<Vec<f64>, Error> {
            kept.iter()
                .map(|&k| {
                    let mut correct = 0;
                    batches::in_order(
                        n - half,
                        model.preferred_batch(),
                        |r| {
                            correct_with(
                                model,
                                &grid,
                                &test_pixels[r.start * len..r.end * len],
                                &test_labels[r.clone()],
                                &order[..k],
                            )
                        },
                        |r, c| {
                            bar.inc(r.len() as u64);
                            correct += c;
                            Ok(())
                        },
                    )?;
                    Ok(correct as f64 / (n - half).max(1) as f64)
                })
                .collect()
        };
        let mut rows: Vec<(String, Vec<f64>)> = vec![];
        let mut statistics = PixelStatistics::new(&grid);
        for ranking in &rankings {
            let lrp::evaluation::Ranking::Method { name, method } = ranking else { continue };
            let (stats, means) = explain_all(model, &grid, method, &images, half, &bar)?;
            output::class_means(request.out, model.name(), name, &grid, &means)?;
            if batches::stopped() {
                return Err(Error::Input("stopped by Ctrl-C".into()));
            }
            rows.push((name.clone(), accuracy(&stats.by_relevance())?));
            statistics = stats; // the inputs' variance is the same for every method
        }
        rows.push(("highest variance".into(), accuracy(&statistics.by_variance())?));
        rows.push(("random".into(), accuracy(&random_order(&grid, request.seed))?));
        for (ranking, values) in &rows {
            for (f, (k, a)) in KEPT.iter().zip(kept.iter().zip(values)) {
                let _ = writeln!(csv, "{},{ranking},{f},{k},{},{}", model.name(), n - half, output::number(*a));
            }
        }
        let _ = writeln!(
            md,
            "\n## {}\n\n| pixels ranked by | {} |",
            model.name(),
            kept.iter().map(|k| format!("{k} px")).collect::<Vec<_>>().join(" | ")
        );
        let _ = writeln!(md, "|---|{}", "---:|".repeat(kept.len()));
        for (ranking, values) in &rows {
            let cells: Vec<String> = values.iter().map(|a| format!("{:.1}%", 100.0 * a)).collect();
            let _ = writeln!(md, "| {ranking} | {} |", cells.join(" | "));
        }
        output::write(&request.out.join("selection.csv"), &csv)?;
        output::write(&request.out.join("selection.md"), header(request, n) + &md)?;
    }
    bar.finish_and_clear();
    print!("{}", header(request, request.n.unwrap_or(0)) + &md);
    Ok(())
}

fn header(request: &Request, n: usize) -> String {
    format!(
        "# Pixel selection\n\nAccuracy on the second half of {n} inputs of `{}` when only the k pixels ranked highest \
         over the first half are kept (the others set to 0): by each method's mean |relevance| (of the predicted class), \
         by variance, or at random (seed {}). Class-mean relevance maps (over all {n}) are in class-means/.\n",
        request.data.input, request.seed
    )
}

/// Explains `inputs`: the statistics of the first `half`, and the mean relevance map
/// of each predicted class over all of them.
fn explain_all(
    model: &Model,
    grid: &Grid,
    method: &Method,
    inputs: &[f32],
    half: usize,
    bar: &indicatif::ProgressBar,
) -> Result<(PixelStatistics, Vec<Vec<f32>>), Error> {
    let len = model.input_len();
    let count = inputs.len() / len;
    let mut stats = PixelStatistics::new(grid);
    let classes = model.classes().len();
    let (mut sums, mut counts) = (vec![vec![0.0f64; len]; classes], vec![0usize; classes]);
    batches::in_order(
        count,
        model.preferred_batch(),
        |range| {
            let e =
                explain(model, model.batch(&inputs[range.start * len..range.end * len])?, method, &Options::default())?;
            Ok((e.relevance, e.predictions))
        },
        |range, (relevance, predictions)| {
            let flat: Vec<f32> = relevance.iter().copied().collect();
            let first = range.start.min(half);
            let end = range.end.min(half);
            if end > first {
                let (a, b) = ((first - range.start) * len, (end - range.start) * len);
                stats.add(grid, &inputs[first * len..end * len], &flat[a..b]);
            }
            for (map, &p) in relevance.axis_iter(Axis(0)).zip(&predictions) {
                sums[p].iter_mut().zip(map.iter()).for_each(|(s, &r)| *s += r as f64);
                counts[p] += 1;
            }
            bar.inc(range.len() as u64);
            Ok(())
        },
    )?;
    let means =
        sums.iter().zip(&counts).map(|(s, &c)| s.iter().map(|v| (v / c.max(1) as f64) as f32).collect()).collect();
    Ok((stats, means))
}
