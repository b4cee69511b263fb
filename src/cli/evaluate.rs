//! `lrp evaluate`: the poster's feature-removal experiment over a data set, every
//! model × method × removal, on every core; files rewritten after each one finishes.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use lrp::evaluation::{evaluate, Imputation, InputCurves, Ranking, Removal, Report, ReportSplit, Schedule, Tally};
use lrp::lrp::registry;
use lrp::{Error, Method, Model, Params};

use super::batches;
use super::explain::params as parse_params;
use super::input;
use super::output;

/// The poster's four rules, two composites and the gradient baselines (the random
/// order is always added).
pub const POSTER: &[&str] = &[
    "lrp-0",
    "epsilon",
    "gamma",
    "alpha-beta",
    "epsilon-gamma-box",
    "montavon",
    "gradient",
    "gradient-x-input",
    "integrated-gradients",
];

pub struct Request<'a> {
    pub data: &'a input::Dataset,
    pub methods: &'a [String],
    pub params: &'a [String],
    pub layers: Option<&'a str>,
    pub removals: &'a [Imputation],
    pub schedule: Schedule,
    /// Pixels removed when the table is read.
    pub k: usize,
    pub n: Option<usize>,
    pub seed: u64,
    pub out: &'a Path,
    pub per_input: bool,
}

/// The method names asked for (`poster` expands), without repeats.
pub fn method_names(asked: &[String]) -> Vec<String> {
    let mut names: Vec<String> = vec![];
    for name in asked {
        let expanded: Vec<String> =
            if name == "poster" { POSTER.iter().map(|s| s.to_string()).collect() } else { vec![name.clone()] };
        for n in expanded {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    names
}

/// Each method for `model` with the given parameters that it takes; every given
/// parameter must be taken by some method.
pub fn parse_methods(names: &[String], params: &Params, model: &Model) -> Result<Vec<Ranking>, Error> {
    let specs = names.iter().map(|n| registry::find(n)).collect::<Result<Vec<_>, _>>()?;
    for (given, _) in params.values.given() {
        if !specs.iter().any(|s| s.params().iter().any(|p| p.name == given)) {
            return Err(Error::Input(format!("--param {given}: none of the methods ({}) takes it", names.join(", "))));
        }
    }
    names
        .iter()
        .zip(&specs)
        .map(|(name, spec)| {
            let mut own =
                Params { layers: if name == "custom" { params.layers.clone() } else { vec![] }, ..Params::default() };
            for (given, value) in params.values.given() {
                if spec.params().iter().any(|p| p.name == given) {
                    own.values.set(given, value)?;
                }
            }
            Ok(Ranking::Method { name: name.clone(), method: Method::parse(name, &own, model)? })
        })
        .collect()
}

/// The schedule's step at which `k` pixels are gone.
pub fn k_step(schedule: &Schedule, k: usize) -> Result<usize, Error> {
    let last = schedule.steps * schedule.step_pixels;
    if k % schedule.step_pixels != 0 || k > last {
        return Err(Error::Input(format!(
            "--k {k}: expected a number of pixels the schedule reaches: a multiple of {} up to {last}",
            schedule.step_pixels
        )));
    }
    Ok(k / schedule.step_pixels)
}

pub fn run(request: &Request) -> Result<(), Error> {
    let models = request.data.models()?;
    let names = method_names(request.methods);
    let params = parse_params(request.params, request.layers)?;
    let k_step = k_step(&request.schedule, request.k)?;
    std::fs::create_dir_all(request.out).map_err(|e| Error::Data(format!("{}: {e}", request.out.display())))?;

    // Everything is checked before any work starts.
    let mut units = vec![];
    for &model in &models {
        let inputs = request.data.read(model, request.n)?;
        let mut rankings = parse_methods(&names, &params, model)?;
        rankings.push(Ranking::Random);
        let grid = lrp::evaluation::Grid::of(&model.spec().input_shape)?;
        request.schedule.check(&grid)?;
        let (pixels, labels, n) = (inputs.pixels, inputs.labels, inputs.count);
        units.push((model, pixels, labels, n, rankings));
    }
    let total: usize = units.iter().map(|(.., n, rankings)| n * rankings.len() * request.removals.len()).sum();
    let bar = batches::progress(total as u64, "evaluating");
    let mut results = Results::new(request.out, request.per_input)?;
    let mut complete = true;
    'all: for (model, pixels, labels, n, rankings) in &units {
        for &imputation in request.removals {
            let removal = Removal { imputation, schedule: request.schedule, seed: request.seed };
            for ranking in rankings {
                bar.set_message(format!("{} {} {}", model.name(), ranking.name(), imputation.name()));
                let len = model.input_len();
                let mut tally: Option<Tally> = None;
                let mut inputs: Vec<InputCurves> = vec![];
                let finished = batches::in_order(
                    *n,
                    model.preferred_batch(),
                    |range| {
                        let labels = labels.as_ref().map(|l| &l[range.clone()]);
                        evaluate(
                            model,
                            ranking,
                            &pixels[range.start * len..range.end * len],
                            labels,
                            &removal,
                            range.start as u64,
                            request.per_input,
                        )
                    },
                    |range, (part, kept)| {
                        match &mut tally {
                            Some(t) => t.merge(&part)?,
                            None => tally = Some(part),
                        }
                        inputs.extend(kept);
                        bar.inc(range.len() as u64);
                        Ok(())
                    },
                )?;
                if !finished {
                    complete = false;
                    break 'all;
                }
                let tally = tally.expect("at least one input");
                results.add(&tally, &inputs, k_step, *n, request)?;
            }
        }
    }
    bar.finish_and_clear();
    print!("{}", results.markdown(request));
    if !complete {
        eprintln!("stopped: the files in {} hold every model × method that finished", request.out.display());
    }
    Ok(())
}

/// What has finished, and the files that show it.
struct Results<'a> {
    out: &'a Path,
    reports: Vec<(Report, usize)>,
    per_input: Option<std::io::BufWriter<std::fs::File>>,
}

impl<'a> Results<'a> {
    fn new(out: &'a Path, per_input: bool) -> Result<Results<'a>, Error> {
        let per_input = if per_input {
            let path = out.join("per-input.csv");
            let file = std::fs::File::create(&path).map_err(|e| Error::Data(format!("{}: {e}", path.display())))?;
            let mut file = std::io::BufWriter::new(file);
            writeln!(
                file,
                "model,method,removal,order,index,label,prediction,flip_step,flip_pixels,flip_to,aopc,area,probability"
            )
            .map_err(|e| Error::Data(e.to_string()))?;
            Some(file)
        } else {
            None
        };
        Ok(Results { out, reports: vec![], per_input })
    }

    /// Adds a finished model × method × removal and rewrites every file.
    fn add(
        &mut self,
        tally: &Tally,
        inputs: &[InputCurves],
        k_step: usize,
        n: usize,
        request: &Request,
    ) -> Result<(), Error> {
        if let Some(file) = &mut self.per_input {
            let mut text = String::new();
            for input in inputs {
                for (order, curve) in &input.curves {
                    let flip = curve.flip();
                    let probability: Vec<String> =
                        curve.probability.iter().map(|p| output::number(*p as f64)).collect();
                    let _ = writeln!(
                        text,
                        "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                        tally.model,
                        tally.method,
                        tally.imputation.name(),
                        order.name(),
                        input.index,
                        input.label.map(|l| l.to_string()).unwrap_or_default(),
                        input.prediction,
                        flip.map(|f| f.step.to_string()).unwrap_or_default(),
                        flip.map(|f| f.pixels.to_string()).unwrap_or_default(),
                        flip.map(|f| f.to.to_string()).unwrap_or_default(),
                        output::number(curve.aopc() as f64),
                        output::number(curve.area() as f64),
                        probability.join(";"),
                    );
                }
            }
            file.write_all(text.as_bytes()).and_then(|_| file.flush()).map_err(|e| Error::Data(e.to_string()))?;
        }
        if tally.method != "random" && tally.imputation == request.removals[0] {
            output::class_means(self.out, &tally.model, &tally.method, &tally.grid, &tally.class_means())?;
        }
        self.reports.push((tally.report(k_step)?, n));
        output::write(&self.out.join("curves.csv"), curves_csv(&self.reports))?;
        output::write(&self.out.join("table.csv"), table_csv(&self.reports))?;
        output::write(&self.out.join("table.md"), self.markdown(request))
    }

    fn markdown(&self, request: &Request) -> String {
        markdown(&self.reports, request)
    }
}

fn curves_csv(reports: &[(Report, usize)]) -> String {
    let mut text = String::from(
        "model,method,removal,order,split,step,pixels,fraction,inputs,score,probability,confidence,flipped\n",
    );
    for (report, _) in reports {
        for curve in &report.curves {
            for (step, &removed) in report.removed.iter().enumerate() {
                let _ = writeln!(
                    text,
                    "{},{},{},{},{},{step},{removed},{},{},{},{},{},{}",
                    report.model,
                    report.method,
                    report.imputation.name(),
                    curve.order.name(),
                    curve.split.name(),
                    output::number(removed as f64 / report.pixels as f64),
                    curve.inputs,
                    output::number(curve.score[step]),
                    output::number(curve.probability[step]),
                    output::number(curve.confidence[step]),
                    output::number(curve.flipped[step]),
                );
            }
        }
    }
    text
}

fn table_csv(reports: &[(Report, usize)]) -> String {
    let mut text = String::from(
        "model,method,removal,split,inputs,k,confidence_start,confidence_k,strongest_k,flipped_k,aopc,relevance_gain,flip_rate,flip_pixels",
    );
    if let Some((first, _)) = reports.first() {
        for pixels in &first.removed {
            let _ = write!(text, ",confidence_{pixels}");
        }
    }
    text.push('\n');
    for (report, _) in reports {
        for row in &report.rows {
            let _ = write!(
                text,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                report.model,
                report.method,
                report.imputation.name(),
                row.split.name(),
                row.inputs,
                report.removed[report.k_step],
                output::number(row.confidence_start),
                output::number(row.confidence_k),
                output::number(row.strongest_k),
                output::number(row.flipped_k),
                output::number(row.aopc),
                row.relevance_gain.map(output::number).unwrap_or_default(),
                output::number(row.flip_rate),
                row.flip_pixels.map(output::number).unwrap_or_default(),
            );
            for c in &row.confidence_sweep {
                let _ = write!(text, ",{}", output::number(*c));
            }
            text.push('\n');
        }
    }
    text
}

/// The definitions every table is read with.
pub const DEFINITIONS: &str = "\
Confidence is the poster's (max − 2nd max) / max of the softmax probabilities, in [0, 1]. \
Pixels are removed most relevant first (MoRF), least relevant first (LeRF) or in a seeded random order; \
ties (the exact zeros of a black background) are broken by one seeded random order shared by every method. \
AOPC (Samek et al. 2017) is the mean over the steps 0..L of p(x⁽⁰⁾) − p(x⁽ᵏ⁾) on the MoRF curve, p the \
probability of the class explained (the predicted one); the symmetric relevance gain (SRG, Blücher et al. 2024) \
is the mean LeRF probability minus the mean MoRF probability. Higher is better for both. \
\"Strongest\" is the highest confidence of any digit after k pixels (the poster's \"strongest classification\"); \
\"flipped\" the share of digits then predicted otherwise.";

fn markdown(reports: &[(Report, usize)], request: &Request) -> String {
    let mut text = String::new();
    let Some((first, n)) = reports.first() else {
        return "no model × method finished\n".into();
    };
    let k = first.removed[first.k_step];
    let _ = writeln!(
        text,
        "# Feature removal\n\n{n} inputs of `{}`; {} steps of {} pixels; the table is read after k = {k} pixels. \
         Seed {}.\n\n{DEFINITIONS}\n",
        request.data.input, request.schedule.steps, request.schedule.step_pixels, request.seed
    );
    let mut keys: Vec<(&str, Imputation)> = vec![];
    for (r, _) in reports {
        if !keys.contains(&(r.model.as_str(), r.imputation)) {
            keys.push((r.model.as_str(), r.imputation));
        }
    }
    for (model, imputation) in keys {
        let rows: Vec<&Report> =
            reports.iter().map(|(r, _)| r).filter(|r| r.model == model && r.imputation == imputation).collect();
        let _ = writeln!(text, "## {model}, removed pixels set to `{}`\n", imputation.name());
        let _ = writeln!(
            text,
            "| method | correct | confidence | after k | strongest after k | incorrect | confidence | after k | strongest after k | flipped after k | AOPC | SRG |"
        );
        let _ = writeln!(text, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for report in &rows {
            let row = |s: ReportSplit| report.rows.iter().find(|r| r.split == s);
            let cells = |s: ReportSplit| match row(s) {
                Some(r) => {
                    format!("{} | {:.4} | {:.4} | {:.4}", r.inputs, r.confidence_start, r.confidence_k, r.strongest_k)
                }
                None => "0 | | | ".into(),
            };
            let Some(all) = row(ReportSplit::All) else { continue };
            let _ = writeln!(
                text,
                "| {} | {} | {} | {:.1}% | {:.4} | {} |",
                report.method,
                cells(ReportSplit::Correct),
                cells(ReportSplit::Incorrect),
                100.0 * all.flipped_k,
                all.aopc,
                all.relevance_gain.map(|g| format!("{g:.4}")).unwrap_or_default(),
            );
        }
        // The sweep: mean confidence of every digit after each fifth of the schedule.
        let steps: Vec<usize> = (0..=5).map(|i| i * (first.removed.len() - 1) / 5).collect();
        let _ = writeln!(text, "\nMean confidence (all digits) after k pixels:\n");
        let head: Vec<String> = steps.iter().map(|&s| format!("k = {}", first.removed[s])).collect();
        let _ = writeln!(text, "| method | {} |", head.join(" | "));
        let _ = writeln!(text, "|---|{}", "---:|".repeat(steps.len()));
        for report in &rows {
            if let Some(all) = report.rows.iter().find(|r| r.split == ReportSplit::All) {
                let cells: Vec<String> = steps.iter().map(|&s| format!("{:.4}", all.confidence_sweep[s])).collect();
                let _ = writeln!(text, "| {} | {} |", report.method, cells.join(" | "));
            }
        }
        text.push('\n');
    }
    text
}
