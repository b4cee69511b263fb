//! `lrp models`, `lrp classify`, and which models a command runs on.

use std::path::Path;

use lrp::{embedded, Error, Model, ModelSpec};

use super::input;

/// The models of `--model NAME` (or `all`) or `--model-file PATH.json`.
pub fn resolve(name: &str, file: Option<&Path>) -> Result<Vec<&'static Model>, Error> {
    Ok(match file {
        // One process, one model read from disk: leaking it gives it the embedded models' lifetime.
        Some(path) => vec![Box::leak(Box::new(from_file(path)?))],
        None if name == "all" => embedded::all()?,
        None => vec![embedded::get(name)?],
    })
}

/// A model from its JSON description and the safetensors file it names, which must
/// sit beside it. Both are checked against the module's size caps before reading.
pub fn from_file(path: &Path) -> Result<Model, Error> {
    let read = |path: &Path, cap: usize| {
        let fail = |e: String| Error::Input(format!("--model-file {}: {e}", path.display()));
        let size = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?.len();
        if size > cap as u64 {
            return Err(fail(format!("{size} bytes, more than the {cap} a model file may have")));
        }
        std::fs::read(path).map_err(|e| fail(e.to_string()))
    };
    let description = read(path, lrp::model::MAX_DESCRIPTION_BYTES)?;
    let description = String::from_utf8(description)
        .map_err(|_| Error::Description(format!("{} is not UTF-8 text", path.display())))?;
    let spec: ModelSpec = serde_json::from_str(&description).map_err(|e| Error::Description(e.to_string()))?;
    let weights = Path::new(&spec.weights);
    if weights.file_name() != Some(weights.as_os_str()) {
        return Err(Error::Description(format!(
            "weights `{}` must be a file name beside the description, without a directory",
            spec.weights
        )));
    }
    let weights = read(&path.with_file_name(weights), lrp::model::MAX_WEIGHTS_BYTES)?;
    Model::from_bytes(&description, &weights)
}

pub fn list(json: bool) -> Result<(), Error> {
    let models = embedded::all()?;
    if json {
        let specs: Vec<_> = models.iter().map(|m| m.spec()).collect();
        println!("{}", serde_json::to_string_pretty(&specs).expect("serialisable"));
        return Ok(());
    }
    for model in models {
        let card = model.card();
        println!(
            "{}: {} parameters, test accuracy {:.2}% ({}/{} on the {} test split)",
            model.name(),
            model.parameter_count(),
            100.0 * card.test_accuracy,
            card.test_correct,
            card.test_total,
            model.spec().dataset.as_deref().unwrap_or("unnamed")
        );
        let shapes = model.shapes();
        for (i, layer) in model.layers().iter().enumerate() {
            println!("  {i:>2}  {:<40} -> {:?}", layer.describe(), shapes[i + 1]);
        }
    }
    Ok(())
}

pub fn classify(input: &str, models: &[&Model], labels: Option<&Path>, invert: bool, quiet: bool) -> Result<(), Error> {
    // Each model reads the input as its own (`test` is its own data set's test split),
    // with that split's labels unless --labels gives them.
    let mut runs = Vec::with_capacity(models.len());
    for &model in models {
        let images = input::read(input, invert, model)?;
        let labels = match labels {
            Some(path) => Some(input::read_labels(path, images.count)?),
            None => images.labels,
        };
        runs.push((model, model.predict(&images.pixels)?, labels));
    }
    let count = runs[0].1.len();
    if let Some((model, _, _)) = runs.iter().find(|(_, p, _)| p.len() != count) {
        return Err(Error::Input(format!("{input}: {} reads it as a different number of inputs", model.name())));
    }
    // One label column when every model has the same labels (one data set).
    let shared = runs.iter().all(|(_, _, l)| l == &runs[0].2).then(|| runs[0].2.as_ref()).flatten();

    if !quiet {
        let names: Vec<&str> = runs.iter().map(|(m, _, _)| m.name()).collect();
        println!("image\t{}{}", names.join("\t"), if shared.is_some() { "\tlabel" } else { "" });
        for i in 0..count {
            let row: Vec<String> = runs.iter().map(|(_, p, _)| p[i].to_string()).collect();
            let label = shared.map(|l| format!("\t{}", l[i])).unwrap_or_default();
            println!("{i}\t{}{label}", row.join("\t"));
        }
    }
    for (model, predicted, labels) in &runs {
        if let Some(labels) = labels {
            let correct = predicted.iter().zip(labels).filter(|(p, l)| **p == **l as usize).count();
            println!("{}: {correct}/{count} correct ({:.2}%)", model.name(), 100.0 * correct as f64 / count as f64);
        }
    }
    Ok(())
}
