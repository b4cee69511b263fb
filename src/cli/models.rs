//! `lrp models` and `lrp classify`.

use std::path::Path;

use lrp::{embedded, Error, Model};

use super::input;

pub fn list(json: bool) -> Result<(), Error> {
    let models = embedded::all()?;
    if json {
        let specs: Vec<_> = models.iter().map(Model::spec).collect();
        println!("{}", serde_json::to_string_pretty(&specs).expect("serialisable"));
        return Ok(());
    }
    for model in models {
        let card = model.card();
        println!(
            "{}: {} parameters, test accuracy {:.2}% ({}/{} on the MNIST test split)",
            model.name(),
            model.parameter_count(),
            100.0 * card.test_accuracy,
            card.test_correct,
            card.test_total
        );
        let shapes = model.shapes();
        for (i, layer) in model.layers().iter().enumerate() {
            println!("  {i:>2}  {:<40} -> {:?}", layer.describe(), shapes[i + 1]);
        }
    }
    Ok(())
}

pub fn classify(input: &str, model: &str, labels: Option<&Path>, invert: bool, quiet: bool) -> Result<(), Error> {
    let models: Vec<&Model> =
        if model == "all" { embedded::all()?.iter().collect() } else { vec![embedded::get(model)?] };
    let images = input::read(input, invert, models[0])?;
    let labels = match labels {
        Some(path) => Some(input::read_labels(path, images.count)?),
        None => images.labels,
    };
    let predictions: Vec<Vec<usize>> = models.iter().map(|m| m.predict(&images.pixels)).collect::<Result<_, _>>()?;

    if !quiet {
        let names: Vec<&str> = models.iter().map(|m| m.name()).collect();
        println!("image\t{}{}", names.join("\t"), if labels.is_some() { "\tlabel" } else { "" });
        for i in 0..images.count {
            let row: Vec<String> = predictions.iter().map(|p| p[i].to_string()).collect();
            let label = labels.as_ref().map(|l| format!("\t{}", l[i])).unwrap_or_default();
            println!("{i}\t{}{label}", row.join("\t"));
        }
    }
    if let Some(labels) = &labels {
        for (model, predicted) in models.iter().zip(&predictions) {
            let correct = predicted.iter().zip(labels).filter(|(p, l)| **p == **l as usize).count();
            println!(
                "{}: {correct}/{} correct ({:.2}%)",
                model.name(),
                images.count,
                100.0 * correct as f64 / images.count as f64
            );
        }
    }
    Ok(())
}
