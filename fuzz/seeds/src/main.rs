//! Writes fuzz/corpus/<target>/ seeds: real files cut down and tiny hand-made ones.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use arbitrary::{Arbitrary, Unstructured};
use fuzz_support::{evaluate_input, explain_input, parse_params, EvaluateInput, ExplainInput, Outcome, ParseParamsInput};
use lrp::data::npy::Npy;
use safetensors::tensor::TensorView;
use safetensors::Dtype;
use serde_json::json;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = root().join("fuzz/corpus").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// Deterministic values in [-1, 1).
fn values(n: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state % 2000) as f32 / 1000.0 - 1.0
        })
        .collect()
}

fn encode(values: &[f32], dtype: Dtype) -> Vec<u8> {
    match dtype {
        Dtype::F32 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        Dtype::F16 => values.iter().flat_map(|v| half::f16::from_f32(*v).to_le_bytes()).collect(),
        Dtype::BF16 => values.iter().flat_map(|v| half::bf16::from_f32(*v).to_le_bytes()).collect(),
        _ => unreachable!(),
    }
}

/// A model seed: the description, a NUL, the safetensors bytes.
fn model_seed(description: &serde_json::Value, tensors: &[(&str, Dtype, Vec<usize>, u32)]) -> Vec<u8> {
    let data: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(name, dtype, shape, seed)| {
            let n = shape.iter().product();
            (name.to_string(), *dtype, shape.clone(), encode(&values(n, *seed), *dtype))
        })
        .collect();
    let views: Vec<(String, TensorView)> =
        data.iter().map(|(name, dtype, shape, bytes)| (name.clone(), TensorView::new(*dtype, shape.clone(), bytes).unwrap())).collect();
    let weights = safetensors::serialize(views, None).unwrap();
    let mut out = serde_json::to_vec(description).unwrap();
    out.push(0);
    out.extend(weights);
    let (json, bytes) = out.split_at(out.iter().position(|&b| b == 0).unwrap());
    lrp::Model::from_bytes(std::str::from_utf8(json).unwrap(), &bytes[1..]).expect("seed model loads");
    out
}

fn models() {
    let card = json!({"parameters": 0, "test_correct": 0, "test_total": 0, "test_accuracy": 0.0});
    let mlp = json!({
        "format": "lrp-model/1", "name": "mlp-small", "input_shape": [1, 4, 4], "input_range": [0.0, 1.0],
        "classes": ["a", "b", "c"], "weights": "mlp-small.safetensors",
        "layers": [
            {"type": "Flatten"},
            {"type": "Linear", "in_features": 16, "out_features": 6,
             "tensors": {"weight": {"name": "1.weight", "shape": [6, 16]}, "bias": {"name": "1.bias", "shape": [6]}}},
            {"type": "ReLU"},
            {"type": "Linear", "in_features": 6, "out_features": 3, "tensors": {"weight": {"name": "3.weight", "shape": [3, 6]}}}
        ],
        "card": card,
    });
    let tensors = [("1.weight", Dtype::F16, vec![6, 16], 1), ("1.bias", Dtype::F16, vec![6], 2), ("3.weight", Dtype::F32, vec![3, 6], 3)];
    write("load_model", "mlp-small", &model_seed(&mlp, &tensors));

    let conv = json!({
        "format": "lrp-model/1", "name": "conv-small", "input_shape": [2, 6, 6], "input_range": [-1.0, 1.0],
        "classes": ["yes", "no"], "weights": "conv-small.safetensors",
        "layers": [
            {"type": "Conv2d", "in_channels": 2, "out_channels": 3, "kernel_size": [3, 3], "stride": [1, 1], "padding": [1, 1],
             "tensors": {"weight": {"name": "0.weight", "shape": [3, 2, 3, 3]}, "bias": {"name": "0.bias", "shape": [3]}}},
            {"type": "ReLU"},
            {"type": "AvgPool2d", "kernel_size": [2, 2], "stride": [2, 2], "padding": [0, 0]},
            {"type": "MaxPool2d", "kernel_size": [3, 3], "stride": [1, 1], "padding": [1, 1]},
            {"type": "Flatten"},
            {"type": "Linear", "in_features": 27, "out_features": 2,
             "tensors": {"weight": {"name": "5.weight", "shape": [2, 27]}, "bias": {"name": "5.bias", "shape": [2]}}}
        ],
        "card": {"parameters": 113, "test_correct": 1, "test_total": 2, "test_accuracy": 0.5, "training": {"epochs": 1}},
    });
    let tensors = [
        ("0.weight", Dtype::BF16, vec![3, 2, 3, 3], 4),
        ("0.bias", Dtype::BF16, vec![3], 5),
        ("5.weight", Dtype::F32, vec![2, 27], 6),
        ("5.bias", Dtype::F16, vec![2], 7),
    ];
    write("load_model", "conv-small", &model_seed(&conv, &tensors));

    for name in ["tiny-strided", "tiny-avgpool"] {
        let dir = root().join("tests/fixtures/lrp/models");
        let mut seed = std::fs::read(dir.join(format!("{name}.json"))).unwrap();
        seed.push(0);
        seed.extend(std::fs::read(dir.join(format!("{name}.safetensors"))).unwrap());
        write("load_model", name, &seed);
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()).read_to_end(&mut out).unwrap();
    out
}

/// The first `count` items of a real MNIST file, header rewritten to match.
fn idx_head(path: &Path, count: u32) -> Vec<u8> {
    let full = gunzip(path);
    let ndim = full[3] as usize;
    let item: usize = (1..ndim).map(|d| u32::from_be_bytes(full[4 + 4 * d..8 + 4 * d].try_into().unwrap()) as usize).product();
    let header = 4 + 4 * ndim;
    let mut out = full[..header].to_vec();
    out[4..8].copy_from_slice(&count.to_be_bytes());
    out.extend(&full[header..header + item * count as usize]);
    out
}

fn idx() {
    let images = idx_head(Path::new(lrp::data::MNIST_TEST_IMAGES), 2);
    let labels = idx_head(Path::new(lrp::data::MNIST_TEST_LABELS), 10);
    write("read_idx", "images-2", &images);
    write("read_idx", "images-2.gz", &gzip(&images));
    write("read_idx", "labels-10", &labels);
    write("read_idx", "labels-10.gz", &gzip(&labels));
    write("read_idx", "three-dims", &[0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 64, 128, 255]);
}

fn npy() {
    let digit = idx_head(Path::new(lrp::data::MNIST_TEST_IMAGES), 1);
    let pixels: Vec<f32> = digit[16..].iter().map(|&v| v as f32 / 255.0).collect();
    write("read_npy", "digit-1x1x28x28", &Npy { shape: vec![1, 1, 28, 28], data: pixels }.to_bytes());
    write("read_npy", "f32-2x3", &Npy { shape: vec![2, 3], data: vec![0.0, 1.5, -2.0, 3.25, f32::NAN, f32::MAX] }.to_bytes());
    write("read_npy", "f32-empty-0x3", &Npy { shape: vec![0, 3], data: vec![] }.to_bytes());
    write("read_npy", "f32-scalar", &Npy { shape: vec![], data: vec![7.0] }.to_bytes());
    let mut f64s = Vec::new();
    {
        use npyz::WriterBuilder;
        let mut writer = npyz::WriteOptions::<f64>::new().default_dtype().shape(&[3]).writer(&mut f64s).begin_nd().unwrap();
        writer.extend([0.5f64, -3.0, 1e300]).unwrap();
        writer.finish().unwrap();
    }
    write("read_npy", "f64-3", &f64s);
}

fn png_bytes(width: u32, height: u32, colour: png::ColorType, depth: png::BitDepth, data: &[u8], palette: Option<(&[u8], &[u8])>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(colour);
    encoder.set_depth(depth);
    if let Some((palette, trns)) = palette {
        encoder.set_palette(palette.to_vec());
        encoder.set_trns(trns.to_vec());
    }
    encoder.write_header().unwrap().write_image_data(data).unwrap();
    lrp::data::png::decode(&out, 1 << 16).expect("seed PNG decodes");
    out
}

fn pngs() {
    use png::{BitDepth as B, ColorType as C};
    let digit = idx_head(Path::new(lrp::data::MNIST_TEST_IMAGES), 1);
    write("read_png", "digit-28x28-grey", &png_bytes(28, 28, C::Grayscale, B::Eight, &digit[16..], None));
    write("read_png", "grey-2x2", &png_bytes(2, 2, C::Grayscale, B::Eight, &[0, 85, 170, 255], None));
    write("read_png", "rgb-3x1", &png_bytes(3, 1, C::Rgb, B::Eight, &[255, 0, 0, 0, 255, 0, 0, 0, 255], None));
    write("read_png", "grey-alpha-1x1", &png_bytes(1, 1, C::GrayscaleAlpha, B::Eight, &[255, 51], None));
    write("read_png", "rgba16-2x1", &png_bytes(2, 1, C::Rgba, B::Sixteen, &[255, 255, 0, 0, 0, 0, 128, 0, 0, 0, 255, 255, 0, 0, 255, 255], None));
    write("read_png", "grey1-8x1", &png_bytes(8, 1, C::Grayscale, B::One, &[0b1010_0101], None));
    let palette = [0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 255];
    write("read_png", "indexed2-4x2-trns", &png_bytes(4, 2, C::Indexed, B::Two, &[0b0001_1011, 0b1110_0100], Some((&palette, &[255, 128]))));
}

/// Structured seeds: random byte strings, kept when they decode to an input that
/// reaches the code under test (a method that parses; an explanation that runs),
/// one per model and method.
fn structured() {
    let methods: Vec<&str> = lrp::lrp::METHODS.iter().map(|m| m.name).collect();
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut random_bytes = |len: usize| -> Vec<u8> {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect()
    };
    let mut found_params = std::collections::BTreeSet::new();
    let mut found_explain = std::collections::BTreeSet::new();
    for _ in 0..2_000_000 {
        let len = 16 + (random_bytes(1)[0] as usize % 48);
        let bytes = random_bytes(len);
        if let Ok(input) = ParseParamsInput::arbitrary(&mut Unstructured::new(&bytes)) {
            if let Some(method) = parse_params(&input) {
                let key = (input.model % 3, method_key(&method, &methods));
                if found_params.insert(key.clone()) {
                    write("parse_params", &format!("{}-{}", key.0, key.1), &bytes);
                }
            }
        }
        if found_explain.len() < found_params.len() {
            if let Ok(input) = ExplainInput::arbitrary(&mut Unstructured::new(&bytes)) {
                let models = lrp::embedded::all().unwrap();
                let model = &models[input.model as usize % models.len()];
                let (name, _) = input.method.build(model);
                let key = (input.model % 3, name);
                if !found_explain.contains(&key) && explain_input(&input) == Outcome::Explained {
                    write("explain", &format!("{}-{}", key.0, key.1), &bytes);
                    found_explain.insert(key);
                }
            }
        }
    }
    println!("parse_params seeds: {}, explain seeds: {}", found_params.len(), found_explain.len());
}

/// Seeds for `evaluate`: random byte strings that evaluate, one per model, ranking
/// (a method or the random order) and removal.
fn evaluate_seeds() {
    let mut state = 0x0bad_5eed_1234_5678u64;
    let mut found = std::collections::BTreeSet::new();
    for _ in 0..3_000_000 {
        let len = 24 + {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as usize % 64
        };
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let Ok(input) = EvaluateInput::arbitrary(&mut Unstructured::new(&bytes)) else { continue };
        let models = lrp::embedded::all().unwrap();
        let model = &models[input.explain.model as usize % models.len()];
        let ranking = if input.random { "random".to_string() } else { input.explain.method.build(model).0 };
        let key = (input.explain.model % 3, ranking, input.imputation % 3);
        if !found.contains(&key) && evaluate_input(&input) == Outcome::Explained {
            write("evaluate", &format!("{}-{}-{}", key.0, key.1, key.2), &bytes);
            found.insert(key);
        }
    }
    println!("evaluate seeds: {}", found.len());
}

fn method_key(method: &lrp::Method, _methods: &[&str]) -> String {
    match method {
        lrp::Method::Lrp(rules) => rules.iter().flatten().map(|r| r.name).collect::<Vec<_>>().join("+"),
        lrp::Method::Baseline(b) => format!("{b:?}").split([' ', '{']).next().unwrap().to_string(),
    }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("evaluate") {
        return evaluate_seeds();
    }
    if std::env::args().nth(1).as_deref() == Some("time") {
        for model in lrp::embedded::all().unwrap() {
            let budget = fuzz_support::MAX_EXPLAIN_WORK / fuzz_support::work(model);
            let stride = (1..=28).find(|s| (28usize.div_ceil(*s) as u128).pow(2) <= budget).unwrap();
            println!("{}: work {} per pass, {budget} passes, occlusion stride >= {stride}", model.name(), fuzz_support::work(model));
        }
        let dir = root().join("fuzz/corpus/explain");
        let mut rows = vec![];
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let input = ExplainInput::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
            explain_input(&input);
            let start = std::time::Instant::now();
            for _ in 0..10 {
                explain_input(&input);
            }
            rows.push((start.elapsed().as_micros() / 10, path.file_name().unwrap().to_string_lossy().to_string(), input.two_inputs));
        }
        rows.sort();
        for r in rows {
            println!("{:>8} us  {} two={}", r.0, r.1, r.2);
        }
        return;
    }
    models();
    idx();
    npy();
    pngs();
    structured();
    evaluate_seeds();
}
