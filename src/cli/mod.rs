//! The `lrp` command (native only): argument parsing and its subcommands.

pub mod batches;
pub mod concepts;
pub mod evaluate;
pub mod explain;
pub mod features;
pub mod gallery;
pub mod input;
pub mod models;
pub mod output;
pub mod tune;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::PossibleValuesParser;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use lrp::evaluation::{Imputation, Schedule};
use lrp::lrp::METHODS;
use lrp::{embedded, OutputRelevance, Target};

const DEFAULT_MODEL: &str = "cnn";

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
    /// Classify one image (a PNG of the model's input size), `test:N`, or every image of an IDX or .npy file.
    Classify {
        /// The image, IDX (.gz or raw) or .npy file, or `test:N` for test digit N.
        input: String,
        /// A model name, or `all`.
        #[arg(long, default_value = "all", value_parser = model_names(true))]
        model: String,
        /// A model of your own instead of --model (JSON description, safetensors beside it).
        #[arg(long, value_name = "PATH.json")]
        model_file: Option<PathBuf>,
        /// IDX labels for the images; accuracy is printed when given.
        #[arg(long)]
        labels: Option<PathBuf>,
        /// Invert images drawn dark on light (MNIST digits are light on dark).
        #[arg(long)]
        invert: bool,
        /// Print only the accuracy summary, not one line per image.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Explain the decision on one or more images: relevance as .npy (N × input values, float32)
    /// and a JSON summary (prediction, logits, relevance per layer) on stdout.
    Explain {
        /// The image(s): a .npy of N inputs (N×784 or N×28×28 for MNIST), a PNG of the input's size, an IDX file, or `test:N`.
        input: String,
        #[arg(long, default_value = DEFAULT_MODEL, value_parser = model_names(false))]
        model: String,
        /// A model of your own instead of --model (JSON description, safetensors beside it).
        #[arg(long, value_name = "PATH.json")]
        model_file: Option<PathBuf>,
        /// A rule, composite or baseline (listed below).
        #[arg(long, default_value = "epsilon", value_parser = PossibleValuesParser::new(METHODS.iter().map(|m| m.name)))]
        rule: String,
        /// A parameter of the rule, as name=value (repeatable).
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// For `--rule custom`: one rule per layer with parameters, comma-separated, from the input up.
        #[arg(long)]
        layers: Option<String>,
        /// `predicted`, or the class to explain.
        #[arg(long, default_value = "predicted")]
        target: Target,
        /// Output relevance: the target's score, or 1 (Zennit's one-hot).
        #[arg(long, value_enum, default_value_t = OutputRelevance::Score)]
        output: OutputRelevance,
        /// Drop the biases from the LRP rules.
        #[arg(long)]
        zero_bias: bool,
        /// Invert images drawn dark on light.
        #[arg(long)]
        invert: bool,
        /// Where to write the relevance (.npy, N × input values, float32).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Concept Relevance Propagation: keep only these channels (neurons) of the
        /// relevance at layer LAYER's output, e.g. `3:5,7` (repeatable, one per layer;
        /// layers are numbered as in `lrp models`).
        #[arg(long = "condition", value_name = "LAYER:CHANNELS")]
        conditions: Vec<lrp::Condition>,
        /// Report each layer's output relevance per channel (neuron), and its share of the
        /// layer's total |relevance|, in the summary.
        #[arg(long)]
        channels: bool,
    },
    /// The poster's experiment: remove the most (MoRF) and least (LeRF) relevant pixels,
    /// and pixels in a random order, step by step, and watch the confidence; per model ×
    /// method, split into digits classified correctly and wrongly. Writes DIR/curves.csv,
    /// DIR/table.csv, DIR/table.md and DIR/class-means/, rewritten as each model × method
    /// finishes (Ctrl-C keeps what has finished), and prints the table.
    Evaluate {
        #[command(flatten)]
        data: input::Dataset,
        /// A method (repeatable), or `poster`: lrp-0, epsilon, gamma, alpha-beta (α2β1),
        /// epsilon-gamma-box, montavon, gradient, gradient-x-input, integrated-gradients.
        /// The random order is always evaluated too.
        #[arg(long = "method", default_value = "poster", value_parser = PossibleValuesParser::new(METHODS.iter().map(|m| m.name).chain(["poster"])))]
        methods: Vec<String>,
        /// A parameter, as name=value (repeatable), for every method that takes it.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// For `--method custom`: one rule per layer with parameters, from the input up.
        #[arg(long)]
        layers: Option<String>,
        /// What replaces a removed pixel (repeatable).
        #[arg(long = "removal", value_enum, default_value = "zero")]
        removals: Vec<Imputation>,
        /// Removal steps.
        #[arg(long, default_value_t = Schedule::default().steps)]
        steps: usize,
        /// Pixels removed per step.
        #[arg(long, default_value_t = Schedule::default().step_pixels)]
        step_pixels: usize,
        /// Pixels removed when the table is read (a multiple of --step-pixels).
        #[arg(long, default_value_t = 50)]
        k: usize,
        /// Evaluate only the first N inputs.
        #[arg(long)]
        n: Option<usize>,
        /// Seed of the random order, the tie-breaking and ROAD's noise.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Where to write the files.
        #[arg(long, default_value = "evaluation")]
        out: PathBuf,
        /// Also write DIR/per-input.csv: one row per input and order (its flip, AOPC, curve).
        #[arg(long)]
        per_input: bool,
    },
    /// Feature extraction over a data set: per model and method, the mean relevance map
    /// of each predicted class (DIR/class-means/), and pixel selection: the accuracy on
    /// the second half of the inputs when only the k pixels of highest mean |relevance|
    /// over the first half are kept, beside random pixels and those of highest variance
    /// (DIR/selection.csv, DIR/selection.md).
    Features {
        /// Labels are needed.
        #[command(flatten)]
        data: input::Dataset,
        /// A method (repeatable), or `poster`.
        #[arg(long = "method", default_value = "poster", value_parser = PossibleValuesParser::new(METHODS.iter().map(|m| m.name).chain(["poster"])))]
        methods: Vec<String>,
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        #[arg(long)]
        n: Option<usize>,
        /// Seed of the random pixels.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, default_value = "features")]
        out: PathBuf,
    },
    /// Tune ε, γ and the α/β split (the poster's future work): per model, the value that
    /// maximises the symmetric relevance gain on the first half of the inputs, reported
    /// on the second half beside the default's. Writes DIR/tuned.json (the page's "use
    /// tuned parameters" reads data/tuned/tuned.json), DIR/tune.csv (the gain against
    /// the parameter) and DIR/tune.md.
    Tune {
        #[command(flatten)]
        data: input::Dataset,
        /// A rule to tune (repeatable).
        #[arg(long = "method", default_values_t = tune::RULES.iter().map(|s| s.to_string()), value_parser = PossibleValuesParser::new(tune::RULES.iter().copied()))]
        methods: Vec<String>,
        #[arg(long, value_enum, default_value = "zero")]
        removal: Imputation,
        #[arg(long, default_value_t = Schedule::default().steps)]
        steps: usize,
        #[arg(long, default_value_t = Schedule::default().step_pixels)]
        step_pixels: usize,
        /// Inputs used: the first half to tune on, the second half to report on.
        #[arg(long, default_value_t = 2000)]
        n: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, default_value = "tuning")]
        out: PathBuf,
    },
    /// What each filter looks for (CRP's reference samples): for every channel of every
    /// Conv2d and hidden Linear layer, the test inputs on which it is most relevant and
    /// those on which it is most active, with its best neuron's receptive field. Writes
    /// DIR/<model>.json.
    Concepts {
        #[command(flatten)]
        data: input::Dataset,
        /// The LRP rule or composite that explains each input (for its label).
        #[arg(long, default_value = "epsilon-gamma-box", value_parser = PossibleValuesParser::new(METHODS.iter().filter(|m| m.kind() != lrp::lrp::Kind::Baseline).map(|m| m.name)))]
        rule: String,
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// References kept per channel.
        #[arg(long, default_value_t = 8)]
        k: usize,
        #[arg(long)]
        n: Option<usize>,
        #[arg(long, default_value = "concepts")]
        out: PathBuf,
    },
    /// Write the page's gallery of real test images of a data set (www/gallery.js for
    /// MNIST, www/gallery-fashion-mnist.js): a balanced sample of every class plus
    /// images that some model of that data set misclassifies.
    Gallery {
        /// `mnist` or `fashion-mnist`.
        #[arg(long, default_value = "mnist")]
        dataset: String,
        /// How many images.
        #[arg(long, default_value_t = 100)]
        count: usize,
        /// How many of them are misclassified by at least one model.
        #[arg(long, default_value_t = 12)]
        misclassified: usize,
        /// Where to write it (default: the data set's file in www/).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// The embedded models' names (and `all`) as the values `--model` accepts.
pub(crate) fn model_names(all: bool) -> PossibleValuesParser {
    PossibleValuesParser::new(embedded::names().into_iter().chain(all.then_some("all")))
}

pub fn main() -> ExitCode {
    let command = Cli::command().mut_subcommand("explain", |c| c.after_help(explain::methods_help(DEFAULT_MODEL)));
    let cli = Cli::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit());
    let result = match cli.command {
        Command::Models { json } => models::list(json),
        Command::Classify { input, model, model_file, labels, invert, quiet } => {
            models::resolve(&model, model_file.as_deref())
                .and_then(|models| models::classify(&input, &models, labels.as_deref(), invert, quiet))
        }
        Command::Explain {
            input,
            model,
            model_file,
            rule,
            params,
            layers,
            target,
            output,
            zero_bias,
            invert,
            out,
            conditions,
            channels,
        } => models::resolve(&model, model_file.as_deref()).and_then(|models| {
            explain::run(&explain::Request {
                input: &input,
                model: models[0],
                rule: &rule,
                params: &params,
                layers: layers.as_deref(),
                target,
                output,
                zero_bias,
                invert,
                out: out.as_deref(),
                conditions: &conditions,
                channels,
            })
        }),
        Command::Evaluate {
            data,
            methods,
            params,
            layers,
            removals,
            steps,
            step_pixels,
            k,
            n,
            seed,
            out,
            per_input,
        } => evaluate::run(&evaluate::Request {
            data: &data,
            methods: &methods,
            params: &params,
            layers: layers.as_deref(),
            removals: &removals,
            schedule: Schedule { steps, step_pixels },
            k,
            n,
            seed,
            out: &out,
            per_input,
        }),
        Command::Features { data, methods, params, n, seed, out } => {
            features::run(&features::Request { data: &data, methods: &methods, params: &params, n, seed, out: &out })
        }
        Command::Tune { data, methods, removal, steps, step_pixels, n, seed, out } => tune::run(&tune::Request {
            data: &data,
            methods: &methods,
            removal,
            schedule: Schedule { steps, step_pixels },
            n,
            seed,
            out: &out,
        }),
        Command::Concepts { data, rule, params, k, n, out } => {
            concepts::run(&concepts::Request { data: &data, rule: &rule, params: &params, k, n, out: &out })
        }
        Command::Gallery { dataset, count, misclassified, out } => {
            gallery::write_gallery(&dataset, count, misclassified, out.as_deref())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
