//! `lrp`: the command-line face of the core (run `cargo run --release -- --help`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lrp::data::idx::Idx;
use lrp::{embedded, Error, Model};

#[derive(Parser)]
#[command(name = "lrp", version, about = "Explain MNIST classifiers with Layer-wise Relevance Propagation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the embedded models: layers, parameter count and test accuracy.
    Models {
        /// Print the full descriptions (layers and model cards) as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Classify one image (PNG, 28×28) or every image of an IDX file (.gz or raw).
    Classify {
        /// The image or IDX file.
        input: PathBuf,
        /// A model name, or `all`.
        #[arg(long, default_value = "all")]
        model: String,
        /// IDX labels for the images; accuracy is printed when given.
        #[arg(long)]
        labels: Option<PathBuf>,
        /// Invert a PNG drawn dark on light (MNIST digits are light on dark).
        #[arg(long)]
        invert: bool,
        /// Print only the accuracy summary, not one line per image.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Write the page's gallery of real test digits (www/gallery.js): a balanced
    /// sample of every class plus digits that some model misclassifies.
    Gallery {
        /// How many digits.
        #[arg(long, default_value_t = 100)]
        count: usize,
        /// How many of them are misclassified by at least one model.
        #[arg(long, default_value_t = 12)]
        misclassified: usize,
        #[arg(long, default_value = "www/gallery.js")]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Models { json } => list_models(json),
        Command::Classify { input, model, labels, invert, quiet } => {
            classify(&input, &model, labels.as_deref(), invert, quiet)
        }
        Command::Gallery { count, misclassified, out } => write_gallery(count, misclassified, &out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn list_models(json: bool) -> Result<(), Error> {
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

fn classify(input: &Path, model: &str, labels: Option<&Path>, invert: bool, quiet: bool) -> Result<(), Error> {
    let models: Vec<&Model> =
        if model == "all" { embedded::all()?.iter().collect() } else { vec![embedded::get(model)?] };
    let pixels = read_images(input, invert, models[0].input_len())?;
    let count = pixels.len() / models[0].input_len();
    let labels = match labels {
        Some(path) => {
            let idx = Idx::open(path)?;
            if idx.len() != count || idx.item_len() != 1 {
                return Err(Error::Data(format!("{}: {} labels for {count} images", path.display(), idx.len())));
            }
            Some(idx.data)
        }
        None => None,
    };
    let predictions: Vec<Vec<usize>> = models.iter().map(|m| m.predict(&pixels)).collect::<Result<_, _>>()?;

    if !quiet {
        let names: Vec<&str> = models.iter().map(|m| m.name()).collect();
        println!("image\t{}{}", names.join("\t"), if labels.is_some() { "\tlabel" } else { "" });
        for i in 0..count {
            let row: Vec<String> = predictions.iter().map(|p| p[i].to_string()).collect();
            let label = labels.as_ref().map(|l| format!("\t{}", l[i])).unwrap_or_default();
            println!("{i}\t{}{label}", row.join("\t"));
        }
    }
    if let Some(labels) = &labels {
        for (model, predicted) in models.iter().zip(&predictions) {
            let correct = predicted.iter().zip(labels).filter(|(p, l)| **p == **l as usize).count();
            println!("{}: {correct}/{count} correct ({:.2}%)", model.name(), 100.0 * correct as f64 / count as f64);
        }
    }
    Ok(())
}

const TEST_IMAGES: &str = "data/mnist/t10k-images-idx3-ubyte.gz";
const TEST_LABELS: &str = "data/mnist/t10k-labels-idx1-ubyte.gz";

fn write_gallery(count: usize, misclassified: usize, out: &Path) -> Result<(), Error> {
    use base64::Engine;
    let images = Idx::open(TEST_IMAGES)?;
    let labels = Idx::open(TEST_LABELS)?.data;
    let pixels = images.to_unit_f32();
    let mut wrong = vec![false; labels.len()];
    for model in embedded::all()? {
        for (i, p) in model.predict(&pixels)?.into_iter().enumerate() {
            wrong[i] |= p != labels[i] as usize;
        }
    }
    // The first misclassified digits, then the first digits of each class in turn.
    let mut chosen: Vec<usize> = (0..labels.len()).filter(|&i| wrong[i]).take(misclassified.min(count)).collect();
    let mut next = [0usize; 10];
    'fill: while chosen.len() < count {
        for class in 0..10u8 {
            match (next[class as usize]..labels.len()).find(|&i| labels[i] == class && !wrong[i]) {
                Some(i) if chosen.len() < count => {
                    chosen.push(i);
                    next[class as usize] = i + 1;
                }
                Some(_) => break 'fill,
                None => {}
            }
        }
    }
    chosen.sort_unstable();
    let item = images.item_len();
    let mut js = String::from(
        "// Generated by `cargo run --release -- gallery`. Real digits from the MNIST test split\n\
         // (Y. LeCun, C. Cortes, C. Burges; CC BY-SA 3.0). `pixels`: base64 of 784 bytes, row-major 28×28.\n\
         // `misclassified`: at least one embedded model gets this digit wrong.\n\
         export const GALLERY = [\n",
    );
    for &i in &chosen {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&images.data[i * item..(i + 1) * item]);
        js += &format!("  {{ index: {i}, label: {}, misclassified: {}, pixels: \"{b64}\" }},\n", labels[i], wrong[i]);
    }
    js += "];\n";
    std::fs::write(out, js).map_err(|e| Error::Data(format!("{}: {e}", out.display())))?;
    println!(
        "wrote {} digits ({} misclassified by some model) to {}",
        chosen.len(),
        chosen.iter().filter(|&&i| wrong[i]).count(),
        out.display()
    );
    Ok(())
}

/// Pixels in [0, 1], one image after another.
fn read_images(path: &Path, invert: bool, input_len: usize) -> Result<Vec<f32>, Error> {
    let is_png = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("png"));
    let pixels = if is_png { read_png(path)? } else { Idx::open(path)?.to_unit_f32() };
    if pixels.len() % input_len != 0 {
        return Err(Error::Input(format!(
            "{}: {} pixels is not a whole number of {input_len}-pixel images",
            path.display(),
            pixels.len()
        )));
    }
    Ok(if invert { pixels.iter().map(|v| 1.0 - v).collect() } else { pixels })
}

/// A 28×28 PNG as grey levels in [0, 1] (colour is averaged, alpha composited on black).
fn read_png(path: &Path) -> Result<Vec<f32>, Error> {
    let fail = |e: String| Error::Input(format!("{}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| fail(e.to_string()))?;
    let mut buffer = vec![0; reader.output_buffer_size().ok_or_else(|| fail("image too large".into()))?];
    let info = reader.next_frame(&mut buffer).map_err(|e| fail(e.to_string()))?;
    if (info.width, info.height) != (28, 28) {
        return Err(fail(format!("image is {}×{}, expected 28×28", info.width, info.height)));
    }
    let channels = info.color_type.samples();
    let has_alpha = matches!(info.color_type, png::ColorType::GrayscaleAlpha | png::ColorType::Rgba);
    let colours = if has_alpha { channels - 1 } else { channels };
    Ok(buffer[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|px| {
            let grey = px[..colours].iter().map(|&v| v as f32).sum::<f32>() / (colours as f32 * 255.0);
            if has_alpha {
                grey * px[colours] as f32 / 255.0
            } else {
                grey
            }
        })
        .collect())
}
