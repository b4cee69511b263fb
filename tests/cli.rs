//! The `lrp` command as a user runs it.
#![cfg(not(target_arch = "wasm32"))] // native: reads files, runs the CLI

use std::process::Command;

use lrp::data::npy::Npy;
use serde_json::Value;

fn lrp(args: &[&str]) -> (bool, String, String) {
    lrp_in(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn lrp_in(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lrp")).args(args).current_dir(dir).output().unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn explain_writes_npy_and_a_json_summary() {
    let dir = std::env::temp_dir().join(format!("lrp-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Two images as an N×28×28 .npy: test digit 0 (a 7) and a blank.
    let (ok, _, _) = lrp(&["explain", "test:0", "--out", dir.join("seven.npy").to_str().unwrap()]);
    assert!(ok);
    let seven = Npy::parse(&std::fs::read(dir.join("seven.npy")).unwrap()).unwrap();
    assert_eq!(seven.shape, vec![1, 784]);
    let mut pixels = Vec::new();
    let images = lrp::data::idx::Idx::open("data/mnist/t10k-images-idx3-ubyte.gz").unwrap();
    pixels.extend(images.to_unit_f32()[..784].iter());
    pixels.extend([0.0f32; 784]);
    let input = dir.join("two.npy");
    std::fs::write(&input, Npy { shape: vec![2, 28, 28], data: pixels }.to_bytes()).unwrap();
    let out = dir.join("relevance.npy");
    let (ok, stdout, stderr) = lrp(&[
        "explain",
        input.to_str().unwrap(),
        "--model",
        "cnn",
        "--rule",
        "epsilon",
        "--param",
        "epsilon=0.1",
        "--target",
        "predicted",
        "--output",
        "score",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["model"], "cnn");
    assert_eq!(summary["params"]["epsilon"], 0.1);
    let first = &summary["inputs"][0];
    assert_eq!(first["prediction"], 7);
    assert_eq!(first["logits"].as_array().unwrap().len(), 10);
    assert_eq!(first["layers"].as_array().unwrap().len(), 10);
    let relevance = Npy::parse(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(relevance.shape, vec![2, 784]);
    let sum0: f32 = relevance.data[..784].iter().sum();
    assert!((sum0 - first["relevance_sum"].as_f64().unwrap() as f32).abs() < 1e-4);
    // ε = 0.1 is not ε = 0.25: parameters reach the engine.
    let default = Npy::parse(&std::fs::read(dir.join("seven.npy")).unwrap()).unwrap();
    assert_ne!(default.data, relevance.data[..784].to_vec());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn explain_help_lists_every_method_with_its_parameters() {
    let (ok, stdout, _) = lrp(&["explain", "--help"]);
    assert!(ok);
    for method in lrp::catalogue(lrp::embedded::get("cnn").unwrap()) {
        let line = stdout.lines().position(|l| l.starts_with(&format!("  {} ", method.name)));
        let line = line.unwrap_or_else(|| panic!("{} missing from --help", method.name));
        // Its parameters follow it, each with its default and range.
        for (k, p) in method.params.iter().enumerate() {
            let listed = stdout.lines().nth(line + 1 + k).unwrap();
            assert!(
                listed.contains(&format!("{}={}", p.name, p.default))
                    && listed.contains(&format!("[{} to {}]", p.min, p.max)),
                "{listed}"
            );
        }
    }
}

#[test]
fn explain_works_from_any_directory() {
    let (ok, stdout, stderr) = lrp_in(&std::env::temp_dir(), &["explain", "test:0", "--rule", "z-box"]);
    assert!(ok, "{stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["inputs"][0]["label"], 7);
    assert_eq!(summary["inputs"][0]["layers"][0]["rule"]["label"], "z-box(0, 1)");
}

#[test]
fn bad_arguments_fail_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("lrp-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let huge = dir.join("huge.npy");
    let mut pixels = vec![0.0f32; 784];
    pixels[100] = 1e30;
    std::fs::write(&huge, Npy { shape: vec![1, 784], data: pixels }.to_bytes()).unwrap();
    let broken = dir.join("broken.npy");
    std::fs::write(&broken, b"\x93NUMPY not really").unwrap();
    let cases: [(&[&str], &str); 11] = [
        (&["explain", "test:0", "--rule", "magic"], "invalid value 'magic' for '--rule <RULE>'"),
        (&["explain", "test:0", "--model", "resnet"], "[possible values: mlp-narrow, mlp-wide, cnn, fashion-cnn]"),
        (&["explain", "test:0", "--param", "epsilon"], "expected name=value"),
        (&["explain", "test:0", "--param", "epsilon=-2"], "epsilon: expected a number from 0"),
        (&["explain", "test:0", "--param", "sigma=2"], "sigma: unknown parameter"),
        (&["explain", "test:10000"], "expected an index from 0 to 9999"),
        (&["explain", "test:0", "--rule", "custom", "--layers", "epsilon"], "got 1"),
        (&["explain", "test:0", "--output", "all"], "invalid value 'all' for '--output"),
        (&["explain", "test:0", "--target", "best"], "expected `predicted` or a class index"),
        (
            &["explain", huge.to_str().unwrap()],
            "pixels[100]: expected a number from 0 to 1, got 1000000000000000000000000000000",
        ),
        (&["explain", broken.to_str().unwrap()], ".npy"),
    ];
    for (args, message) in cases {
        let (ok, _, stderr) = lrp(args);
        assert!(!ok && stderr.contains(message), "{args:?}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn classify_reports_accuracy_on_the_test_split() {
    let (ok, stdout, _) = lrp(&[
        "classify",
        "data/mnist/t10k-images-idx3-ubyte.gz",
        "--labels",
        "data/mnist/t10k-labels-idx1-ubyte.gz",
        "--quiet",
        "--model",
        "cnn",
    ]);
    assert!(ok);
    let correct = lrp::embedded::get("cnn").unwrap().card().test_correct;
    assert!(stdout.contains(&format!("cnn: {correct}/10000 correct")), "{stdout}");
}

/// `lrp evaluate` writes the curves, the table and the class means, and its per-input
/// curves are the native snapshot's (which the wasm tests hold the browser module to):
/// the CLI and the module give the same numbers for the same inputs.
#[test]
fn evaluate_writes_curves_and_tables_that_match_the_snapshot() {
    let dir = std::env::temp_dir().join(format!("lrp-cli-evaluate-{}", std::process::id()));
    let (ok, stdout, stderr) = lrp(&[
        "evaluate",
        "--model",
        "cnn",
        "--method",
        "epsilon",
        "--removal",
        "road",
        "--removal",
        "zero",
        "--n",
        "4",
        "--steps",
        "10",
        "--step-pixels",
        "20",
        "--k",
        "40",
        "--per-input",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("## cnn, removed pixels set to `road`") && stdout.contains("| epsilon |"), "{stdout}");
    let snapshot = std::fs::read(format!("{}/tests/fixtures/native.safetensors", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let snapshot = safetensors::SafeTensors::deserialize(&snapshot).unwrap();
    let per_input = std::fs::read_to_string(dir.join("per-input.csv")).unwrap();
    let mut rows = 0;
    for line in per_input.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let (method, removal, order, index) = (cells[1], cells[2], cells[3], cells[4].parse::<usize>().unwrap());
        let expected = snapshot.tensor(&format!("curves/cnn/{method}/{removal}/{order}")).unwrap();
        let expected: Vec<f32> =
            expected.data().chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
        let ours: Vec<f32> = cells[12].split(';').map(|v| v.parse().unwrap()).collect();
        assert_eq!(ours.len(), 11);
        for (step, (a, b)) in ours.iter().zip(&expected[index * 11..(index + 1) * 11]).enumerate() {
            assert!((a - b).abs() < 1e-5, "{line}: step {step}: {a} vs {b}");
        }
        rows += 1;
    }
    // 4 inputs × (MoRF, LeRF for ε; random) × 2 removals.
    assert_eq!(rows, 4 * 3 * 2);
    let curves = std::fs::read_to_string(dir.join("curves.csv")).unwrap();
    assert!(curves.starts_with(
        "model,method,removal,order,split,step,pixels,fraction,inputs,score,probability,confidence,flipped"
    ));
    // ε's mean MoRF curve over all four, step 0: the mean probability of the inputs themselves.
    let step0: Vec<&str> =
        curves.lines().find(|l| l.starts_with("cnn,epsilon,road,morf,all,0,0,0,4,")).unwrap().split(',').collect();
    let p0: f32 = step0[10].parse().unwrap();
    let expected = snapshot.tensor("curves/cnn/epsilon/road/morf").unwrap();
    let expected: Vec<f32> =
        expected.data().chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
    assert!((p0 - (0..4).map(|n| expected[n * 11]).sum::<f32>() / 4.0).abs() < 1e-5);
    let table = std::fs::read_to_string(dir.join("table.csv")).unwrap();
    assert_eq!(
        table.lines().filter(|l| l.starts_with("cnn,")).count(),
        2 * 2 * 2,
        "ε and random × 2 removals × (all, correct)"
    );
    let means = Npy::parse(&std::fs::read(dir.join("class-means/cnn/epsilon.npy")).unwrap()).unwrap();
    assert_eq!(means.shape, vec![10, 784]);
    assert!(std::fs::read(dir.join("class-means/cnn/epsilon.png")).unwrap().starts_with(b"\x89PNG"));
    // Bad settings are refused before any work.
    let (ok, _, stderr) = lrp(&["evaluate", "--model", "cnn", "--k", "45", "--out", dir.to_str().unwrap()]);
    assert!(!ok && stderr.contains("--k 45"), "{stderr}");
    let (ok, _, stderr) =
        lrp(&["evaluate", "--method", "gradient", "--param", "epsilon=0.1", "--out", dir.to_str().unwrap()]);
    assert!(!ok && stderr.contains("none of the methods"), "{stderr}");
    let (ok, _, stderr) = lrp(&["evaluate", "--steps", "100", "--out", dir.to_str().unwrap()]);
    assert!(!ok && stderr.contains("past the input"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `lrp features` keeps k pixels and measures accuracy on the other half: with every
/// pixel kept, that is the model's plain accuracy there.
#[test]
fn features_write_class_means_and_pixel_selection() {
    let dir = std::env::temp_dir().join(format!("lrp-cli-features-{}", std::process::id()));
    let (ok, stdout, stderr) =
        lrp(&["features", "--model", "mlp-wide", "--method", "epsilon", "--n", "60", "--out", dir.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("| epsilon |") && stdout.contains("| highest variance |") && stdout.contains("| random |"));
    let csv = std::fs::read_to_string(dir.join("selection.csv")).unwrap();
    let all: Vec<f64> =
        csv.lines().filter(|l| l.contains(",1,784,")).map(|l| l.rsplit(',').next().unwrap().parse().unwrap()).collect();
    assert_eq!(all.len(), 3, "epsilon, variance and random with all 784 pixels");
    // The plain accuracy of mlp-wide on test digits 30..60.
    let (_, classified, _) = lrp(&["classify", "test", "--model", "mlp-wide"]);
    let correct = classified.lines().skip(1).take(60).skip(30).filter(|l| {
        let cells: Vec<&str> = l.split('\t').collect();
        cells.len() == 3 && cells[1] == cells[2]
    });
    let accuracy = correct.count() as f64 / 30.0;
    assert!(all.iter().all(|a| (a - accuracy).abs() < 1e-9), "{all:?} vs {accuracy}");
    let means = Npy::parse(&std::fs::read(dir.join("class-means/mlp-wide/epsilon.npy")).unwrap()).unwrap();
    assert_eq!(means.shape, vec![10, 784]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `lrp tune` finds a value in the parameter's range, at least as good on the tuning
/// half as the default (which the search includes), and writes what the page reads.
#[test]
fn tune_writes_the_search_and_the_best_values() {
    let dir = std::env::temp_dir().join(format!("lrp-cli-tune-{}", std::process::id()));
    let (ok, stdout, stderr) = lrp(&[
        "tune",
        "--model",
        "mlp-narrow",
        "--method",
        "gamma",
        "--n",
        "40",
        "--steps",
        "5",
        "--step-pixels",
        "20",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("| gamma | gamma | 0.25 |"), "{stdout}");
    let tuned: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("tuned.json")).unwrap()).unwrap();
    let best = tuned["models"]["mlp-narrow"]["gamma"]["gamma"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&best));
    let curve = std::fs::read_to_string(dir.join("tune.csv")).unwrap();
    let points: Vec<(f64, f64)> = curve
        .lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[3].parse().unwrap(), cells[4].parse().unwrap())
        })
        .collect();
    assert!(points.len() >= 9, "the grid and its refinements: {points:?}");
    let gain_of = |v: f64| points.iter().find(|(x, _)| *x == v).unwrap().1;
    assert!(points.iter().all(|&(_, g)| g <= gain_of(best)), "the best value has the best gain");
    assert!(gain_of(best) >= gain_of(0.25));
    let (ok, _, stderr) = lrp(&["tune", "--method", "epsilon", "--n", "3", "--out", dir.to_str().unwrap()]);
    assert!(!ok && stderr.contains("at least 4"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Ctrl-C during `lrp evaluate` stops it after the work in progress: the files hold the
/// model × method that finished, complete.
#[test]
fn ctrl_c_leaves_complete_files_for_what_has_finished() {
    let dir = std::env::temp_dir().join(format!("lrp-cli-interrupt-{}", std::process::id()));
    let child = Command::new(env!("CARGO_BIN_EXE_lrp"))
        .args([
            "evaluate",
            "--model",
            "mlp-narrow",
            "--method",
            "lrp-0",
            "--method",
            "integrated-gradients",
            "--n",
            "10000",
        ])
        .args(["--out", dir.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // lrp-0 on 10,000 digits finishes well before integrated gradients (twenty gradients per digit) does.
    let table = dir.join("table.csv");
    let started = std::time::Instant::now();
    while !table.exists() {
        assert!(started.elapsed().as_secs() < 120, "no table after 2 minutes");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");
    let table = std::fs::read_to_string(&table).unwrap();
    let methods: Vec<&str> = table.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert!(methods.contains(&"lrp-0") && !methods.contains(&"random"), "{table}");
    assert!(!dir.join("table.partial").exists() && !dir.join("curves.partial").exists());
    // Every row is whole: as many cells as the header.
    let width = table.lines().next().unwrap().split(',').count();
    assert!(table.lines().all(|l| l.split(',').count() == width));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A model of one's own through `--model-file`: the exported RGB CNN (3×32×32) explains
/// an input exactly as the library does, for `explain`, `classify` and `evaluate`.
#[test]
fn a_model_file_works_wherever_a_model_name_does() {
    let dir = std::env::temp_dir().join(format!("lrp-cli-model-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lrp/models/rgb-cnn.json");
    let model = lrp::Model::from_bytes(
        &std::fs::read_to_string(json).unwrap(),
        &std::fs::read(json.replace(".json", ".safetensors")).unwrap(),
    )
    .unwrap();
    // Two inputs of 3×32×32: a ramp and its mirror image.
    let pixels: Vec<f32> =
        (0..2 * 3072).map(|i| if i < 3072 { i as f32 / 3071.0 } else { (6143 - i) as f32 / 3071.0 }).collect();
    let input = dir.join("rgb.npy");
    std::fs::write(&input, Npy { shape: vec![2, 3, 32, 32], data: pixels.clone() }.to_bytes()).unwrap();
    let out = dir.join("relevance.npy");
    let (ok, stdout, stderr) = lrp(&[
        "explain",
        input.to_str().unwrap(),
        "--model-file",
        json,
        "--rule",
        "epsilon-gamma-box",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["model"], "rgb-cnn");
    let relevance = Npy::parse(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(relevance.shape, vec![2, 3072]);
    let method = lrp::Method::parse("epsilon-gamma-box", &lrp::Params::default(), &model).unwrap();
    let options = lrp::Options { output: lrp::OutputRelevance::Score, ..Default::default() };
    let expected = lrp::explain(&model, model.batch(&pixels).unwrap(), &method, &options).unwrap();
    assert_eq!(relevance.data, expected.relevance.iter().copied().collect::<Vec<f32>>());
    let classes = model.classes();
    let predicted = summary["inputs"][0]["prediction"].as_u64().unwrap() as usize;
    assert!(predicted < classes.len());

    let (ok, stdout, stderr) = lrp(&["classify", input.to_str().unwrap(), "--model-file", json]);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("image\trgb-cnn\n0\t"), "{stdout}");
    let (ok, _, stderr) = lrp(&[
        "evaluate",
        input.to_str().unwrap(),
        "--model-file",
        json,
        "--method",
        "epsilon",
        "--steps",
        "2",
        "--k",
        "20",
        "--out",
        dir.join("evaluation").to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let table = std::fs::read_to_string(dir.join("evaluation/table.csv")).unwrap();
    assert!(table.lines().any(|l| l.starts_with("rgb-cnn,epsilon,")), "{table}");
    // Its data set is not named, so `test` has no meaning for it.
    let (ok, _, stderr) = lrp(&["classify", "test:0", "--model-file", json]);
    assert!(!ok && stderr.contains("`test` is the test split of the model's data set"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Bad model files give one clear line each and no panic.
#[test]
fn bad_model_files_fail_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("lrp-cli-bad-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lrp/models/flat-mlp");
    let json = std::fs::read_to_string(format!("{fixture}.json")).unwrap();
    let weights = std::fs::read(format!("{fixture}.safetensors")).unwrap();
    let write = |name: &str, json: &str, weights: &[u8]| {
        std::fs::write(
            dir.join(format!("{name}.json")),
            json.replace("flat-mlp.safetensors", &format!("{name}.safetensors")),
        )
        .unwrap();
        std::fs::write(dir.join(format!("{name}.safetensors")), weights).unwrap();
        dir.join(format!("{name}.json")).to_str().unwrap().to_string()
    };
    let good = write("good", &json, &weights);
    let truncated = write("truncated", &json, &weights[..weights.len() / 2]);
    let unknown = write("unknown", &json.replacen("\"ReLU\"", "\"GELU\"", 1), &weights);
    let reshaped = write("reshaped", &json.replacen("\"out_features\": 24", "\"out_features\": 25", 1), &weights);
    let not_json = write("not-json", "{ \"format\": ", &weights);
    let escaping = dir.join("escaping.json");
    std::fs::write(&escaping, json.replace("flat-mlp.safetensors", "../flat-mlp.safetensors")).unwrap();
    let missing = dir.join("missing.json");
    std::fs::write(&missing, json.replace("flat-mlp.safetensors", "nowhere.safetensors")).unwrap();
    // A weights file over the cap (sparse: no 65 MiB written).
    let oversized = write("oversized", &json, &[]);
    std::fs::File::create(dir.join("oversized.safetensors")).unwrap().set_len((64 << 20) + 1).unwrap();
    let row: Vec<f32> = vec![0.5; 64];
    let input = dir.join("flat.npy");
    std::fs::write(&input, Npy { shape: vec![1, 64], data: row }.to_bytes()).unwrap();
    let input = input.to_str().unwrap();
    let (ok, stdout, stderr) = lrp(&["classify", input, "--model-file", &good]);
    assert!(ok && stdout.contains("flat-mlp\n0\t"), "{stdout}{stderr}");
    let cases: [(&str, &str); 7] = [
        (&truncated, "weights file is not valid"),
        (&unknown, "unknown variant `GELU`"),
        (&reshaped, "layer 0 (Linear)"),
        (&not_json, "model description is not valid"),
        (escaping.to_str().unwrap(), "must be a file name beside the description"),
        (missing.to_str().unwrap(), "nowhere.safetensors"),
        (&oversized, "more than the 67108864 a model file may have"),
    ];
    for (file, message) in cases {
        let (ok, _, stderr) = lrp(&["classify", input, "--model-file", file]);
        assert!(!ok && stderr.contains(message) && !stderr.contains("panicked"), "{file}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn test_means_the_test_split_of_the_models_data_set() {
    let (ok, stdout, stderr) = lrp(&["classify", "test", "--quiet", "--model", "fashion-cnn"]);
    assert!(ok, "{stderr}");
    let correct = lrp::embedded::get("fashion-cnn").unwrap().card().test_correct;
    assert!(stdout.contains(&format!("fashion-cnn: {correct}/10000 correct")), "{stdout}");
    let (ok, stdout, _) = lrp(&["explain", "test:0", "--model", "fashion-cnn"]);
    assert!(ok);
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["inputs"][0]["label"], 9, "test image 0 of Fashion-MNIST is an ankle boot");
}

/// `--condition LAYER:CHANNELS` (CRP) keeps only those channels of the layer's output
/// relevance; `--channels` reports each layer's output relevance per channel.
#[test]
fn explain_conditions_on_channels_and_reports_them() {
    let (ok, stdout, stderr) = lrp(&[
        "explain",
        "test:0",
        "--model",
        "cnn",
        "--rule",
        "epsilon",
        "--condition",
        "3:5,7",
        "--condition",
        "0:1,2",
        "--channels",
    ]);
    assert!(ok, "{stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["conditions"][0]["layer"], 3);
    let layers = summary["inputs"][0]["layers"].as_array().unwrap();
    let channels = |i: usize| -> Vec<f64> {
        layers[i]["channels"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
    };
    let conv2 = channels(3);
    assert_eq!(conv2.len(), 24);
    for (c, v) in conv2.iter().enumerate() {
        assert!(*v == 0.0 || c == 5 || c == 7, "channel {c} of layer 3 carries {v}");
    }
    // What leaves the conditioned layer's output is what its next layer takes in.
    let entering = layers[4]["sum"].as_f64().unwrap();
    assert!((conv2.iter().sum::<f64>() - entering).abs() < 1e-4 * entering.abs().max(1.0));
    let shares: Vec<f64> = layers[3]["shares"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let total: f64 = conv2.iter().map(|v| v.abs()).sum();
    for (share, value) in shares.iter().zip(&conv2) {
        assert!((share - value / total).abs() < 1e-5, "share {share} of {value} in {total}");
    }
    let conv1 = channels(0);
    assert!(conv1.iter().enumerate().all(|(c, v)| *v == 0.0 || c == 1 || c == 2), "{conv1:?}");
    // Without --channels, no per-channel lists.
    let (ok, stdout, _) = lrp(&["explain", "test:0", "--condition", "3:5"]);
    let plain: Value = serde_json::from_str(&stdout).unwrap();
    assert!(ok && plain["inputs"][0]["layers"].as_array().unwrap().iter().all(|l| l.get("channels").is_none()));
    for (args, message) in [
        (&["explain", "test:0", "--condition", "3:99"][..], "layer 3 has channels 0 to 23, not 99"),
        (&["explain", "test:0", "--condition", "12:0"][..], "layer 12 does not exist"),
        (&["explain", "test:0", "--condition", "3"][..], "expected LAYER:CHANNELS"),
        (&["explain", "test:0", "--condition", "3:1", "--condition", "3:2"][..], "conditioned twice"),
        (&["explain", "test:0", "--condition", "3:1", "--rule", "occlusion"][..], "conditions: apply to LRP"),
    ] {
        let (ok, stdout, stderr) = lrp(args);
        assert!(!ok && stderr.contains(message) && stdout.is_empty(), "{args:?}: {stderr}");
    }
}

/// `lrp concepts` writes each channel's reference inputs, best first, with receptive fields.
#[test]
fn concepts_writes_the_reference_inputs_of_every_channel() {
    let dir = std::env::temp_dir().join(format!("lrp-cli-concepts-{}", std::process::id()));
    let (ok, stdout, stderr) =
        lrp(&["concepts", "--model", "cnn", "--n", "200", "--k", "4", "--out", dir.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("cnn: 3 layers, 200 inputs, 4 references per channel"), "{stdout}");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("cnn.json")).unwrap()).unwrap();
    let layers = file["layers"].as_array().unwrap();
    assert_eq!(layers.iter().map(|l| l["layer"].as_u64().unwrap()).collect::<Vec<_>>(), vec![0, 3, 7]);
    let conv2 = layers[1]["relevance"].as_array().unwrap();
    assert_eq!(conv2.len(), 24);
    for channel in conv2 {
        let refs = channel.as_array().unwrap();
        assert_eq!(refs.len(), 4);
        let values: Vec<f64> = refs.iter().map(|r| r[1].as_f64().unwrap()).collect();
        assert!(values.windows(2).all(|w| w[0] >= w[1]), "best first: {values:?}");
        for r in refs {
            let [index, y0, y1, x0, x1] = [0, 2, 3, 4, 5].map(|i| r[i].as_u64().unwrap());
            assert!(index < 200 && y0 <= y1 && y1 < 28 && x0 <= x1 && x1 < 28, "{r}");
            assert_eq!((y1 - y0, x1 - x0), (13, 13), "conv 2's receptive field is 14×14 inside the image");
        }
    }
    let (ok, _, stderr) = lrp(&["concepts", "--model", "cnn", "--rule", "gradient"]);
    assert!(!ok && stderr.contains("invalid value 'gradient'"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
