//! `lrp tune`: the poster's future work, automatic tuning of the rules' parameters.
//! For each model and rule (ε, γ, the α/β split), a search over the parameter
//! maximises the symmetric relevance gain on one half of the inputs and reports it on
//! the other half, beside the default's.

use std::fmt::Write as _;
use std::path::Path;

use lrp::evaluation::{evaluate, Imputation, Ranking, Removal, ReportSplit, Schedule, Tally};
use lrp::lrp::registry;
use lrp::{Error, Method, Params};
use serde_json::json;

use super::{batches, input, output};

/// The rules tuned by default, each by its first parameter.
pub const RULES: &[&str] = &["epsilon", "gamma", "alpha-beta"];

/// Where the search starts: values spread over each parameter's useful range
/// (geometric for ε and γ, whose effect is multiplicative).
fn grid(parameter: &str) -> &'static [f64] {
    match parameter {
        "epsilon" => &[0.001, 0.003, 0.01, 0.03, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0],
        "gamma" => &[0.0, 0.01, 0.03, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0],
        "alpha" => &[1.0, 1.5, 2.0, 3.0, 4.0, 6.0],
        _ => &[],
    }
}

/// Rounds of refinement around the best value (each tries the midpoints to its neighbours).
const REFINEMENTS: usize = 3;

pub struct Request<'a> {
    pub data: &'a input::Dataset,
    pub methods: &'a [String],
    pub removal: Imputation,
    pub schedule: Schedule,
    pub n: usize,
    pub seed: u64,
    pub out: &'a Path,
}

/// One point of the search.
struct Point {
    value: f64,
    gain: f64,
}

pub fn run(request: &Request) -> Result<(), Error> {
    let models = request.data.models()?;
    for name in request.methods {
        let spec = registry::find(name)?;
        let first = spec.params().first().map(|p| p.name);
        if first.is_none_or(|p| grid(p).is_empty()) {
            return Err(Error::Input(format!("--method {name}: only {} are tuned", RULES.join(", "))));
        }
    }
    if request.n < 4 {
        return Err(Error::Input(format!("--n {}: at least 4 inputs (half to tune on, half to report on)", request.n)));
    }
    std::fs::create_dir_all(request.out).map_err(|e| Error::Data(format!("{}: {e}", request.out.display())))?;
    let removal = Removal { imputation: request.removal, schedule: request.schedule, seed: request.seed };
    let mut curve_csv = String::from("model,method,parameter,value,gain_tune\n");
    let mut table = String::new();
    let mut tuned = serde_json::Map::new();
    let bar = batches::progress(0, "tuning");
    for &model in &models {
        let inputs = request.data.read(model, Some(request.n))?;
        let (n, labels) = (inputs.count, inputs.labels);
        let half = n / 2;
        let len = model.input_len();
        let slices = [(0, half), (half, n)];
        let gain = |method: &str, parameter: &str, value: f64, (start, end): (usize, usize)| -> Result<f64, Error> {
            let params = Params::default().with(parameter, value)?;
            let ranking = Ranking::Method { name: method.into(), method: Method::parse(method, &params, model)? };
            let mut total: Option<Tally> = None;
            batches::in_order(
                end - start,
                model.preferred_batch(),
                |range| {
                    let (a, b) = (start + range.start, start + range.end);
                    let labels = labels.as_ref().map(|l| &l[a..b]);
                    evaluate(model, &ranking, &inputs.pixels[a * len..b * len], labels, &removal, a as u64, false)
                        .map(|(t, _)| t)
                },
                |range, part| {
                    bar.inc(range.len() as u64);
                    match &mut total {
                        Some(t) => t.merge(&part),
                        None => {
                            total = Some(part);
                            Ok(())
                        }
                    }
                },
            )?;
            if batches::stopped() {
                return Err(Error::Input("stopped by Ctrl-C".into()));
            }
            let report = total.expect("inputs").report(0)?;
            let all = report.rows.iter().find(|r| r.split == ReportSplit::All).expect("all inputs");
            Ok(all.relevance_gain.expect("MoRF and LeRF"))
        };
        let mut per_model = serde_json::Map::new();
        let _ = writeln!(table, "\n## {}\n", model.name());
        let _ = writeln!(table, "| method | parameter | default | gain (tuning half) | best | gain (tuning half) | gain on the other half: default → best |");
        let _ = writeln!(table, "|---|---|---:|---:|---:|---:|---:|");
        for method in request.methods {
            let spec = registry::find(method)?;
            let info = spec.params()[0].resolve(model.spec());
            let parameter = info.name;
            bar.set_message(format!("{} {method}", model.name()));
            let candidates: Vec<f64> =
                grid(parameter).iter().copied().filter(|v| (info.min..=info.max).contains(v)).collect();
            bar.inc_length((half * (candidates.len() + 2 * REFINEMENTS + 1) + 2 * (n - half)) as u64);
            let mut points: Vec<Point> = vec![];
            for &value in &candidates {
                points.push(Point { value, gain: gain(method, parameter, value, slices[0])? });
            }
            // Refine: the midpoints between the best value and its neighbours.
            for _ in 0..REFINEMENTS {
                points.sort_by(|a, b| a.value.total_cmp(&b.value));
                let best =
                    (0..points.len()).max_by(|&a, &b| points[a].gain.total_cmp(&points[b].gain)).expect("points");
                let mut tried = false;
                for neighbour in
                    [best.checked_sub(1), Some(best + 1).filter(|&i| i < points.len())].into_iter().flatten()
                {
                    let (a, b) = (points[best].value, points[neighbour].value);
                    let middle =
                        if a > 0.0 && b > 0.0 && parameter != "alpha" { (a * b).sqrt() } else { (a + b) / 2.0 };
                    let middle = (middle * 1e4).round() / 1e4;
                    if points.iter().all(|p| p.value != middle) {
                        points.push(Point { value: middle, gain: gain(method, parameter, middle, slices[0])? });
                        tried = true;
                    }
                }
                if !tried {
                    break;
                }
            }
            points.sort_by(|a, b| a.value.total_cmp(&b.value));
            for p in &points {
                let _ = writeln!(
                    curve_csv,
                    "{},{method},{parameter},{},{}",
                    model.name(),
                    output::number(p.value),
                    output::number(p.gain)
                );
            }
            let best = points.iter().max_by(|a, b| a.gain.total_cmp(&b.gain)).expect("points");
            let default_tune = match points.iter().find(|p| p.value == info.default) {
                Some(p) => p.gain,
                None => gain(method, parameter, info.default, slices[0])?,
            };
            let (default_held, best_held) =
                (gain(method, parameter, info.default, slices[1])?, gain(method, parameter, best.value, slices[1])?);
            let _ = writeln!(
                table,
                "| {method} | {parameter} | {} | {default_tune:.4} | {} | {:.4} | {default_held:.4} → {best_held:.4} ({:+.4}) |",
                output::number(info.default),
                output::number(best.value),
                best.gain,
                best_held - default_held
            );
            let mut values = serde_json::Map::new();
            values.insert(parameter.to_string(), json!(best.value));
            per_model.insert(method.clone(), serde_json::Value::Object(values));
            // Files after each method, complete for what has finished.
            tuned.insert(model.name().to_string(), serde_json::Value::Object(per_model.clone()));
            let summary = json!({
                "about": "Parameters that maximise the symmetric relevance gain (LeRF area − MoRF area of the \
                          target's probability) on the first half of the inputs; written by `lrp tune`.",
                "inputs": request.data.input,
                "n": n,
                "removal": request.removal.name(),
                "steps": request.schedule.steps,
                "step_pixels": request.schedule.step_pixels,
                "seed": request.seed,
                "models": tuned,
            });
            output::write(
                &request.out.join("tuned.json"),
                serde_json::to_string_pretty(&summary).expect("json") + "\n",
            )?;
            output::write(&request.out.join("tune.csv"), &curve_csv)?;
            output::write(&request.out.join("tune.md"), markdown(request, n, &table))?;
        }
    }
    bar.finish_and_clear();
    print!("{}", markdown(request, request.n, &table));
    Ok(())
}

fn markdown(request: &Request, n: usize, table: &str) -> String {
    format!(
        "# Tuned parameters\n\nThe parameter of each rule that maximises the symmetric relevance gain (SRG: the mean \
         probability of the class explained along the LeRF curve minus along the MoRF curve) on the first {} of {n} inputs \
         of `{}`, and the gain it gives on the other {}, beside the default's. Removed pixels set to `{}`; {} steps of {} \
         pixels; seed {}. The search: a grid, then {REFINEMENTS} rounds of midpoints around the best value.\n{table}",
        n / 2,
        request.data.input,
        n - n / 2,
        request.removal.name(),
        request.schedule.steps,
        request.schedule.step_pixels,
        request.seed,
    )
}
