//! Explanations natively, for each model × {ε, EpsilonGammaBox, α2β1}:
//! - `explain/<model>/<method>`: one image (forward and backward pass), one thread;
//! - `batched/<model>/<method>`: 1,024 test digits as `lrp explain` and `lrp evaluate`
//!   run them, in chunks of the model's preferred batch on every core (criterion's
//!   throughput is digits per second);
//! - `removal/<model>`: the perturbation curves of 64 digits (20 steps, MoRF),
//!   the forward passes an evaluation spends most of its time in.
//!
//! `python3 reference/bench_zennit.py` (batch 1) and `python3 reference/bench_zennit.py
//! --batch 1000` print these next to Zennit's figures on the same machine.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lrp::data::{idx::Idx, MNIST_TEST_IMAGES};
use lrp::evaluation::{evaluate, Ranking, Removal};
use lrp::{embedded, explain, Method, Model, Options, Params};
use rayon::prelude::*;

const BATCH: usize = 1024;

fn methods(model: &Model) -> [(&'static str, Method); 4] {
    [
        ("epsilon", Method::parse("epsilon", &Params::default(), model).unwrap()),
        ("epsilon-gamma-box", Method::parse("epsilon-gamma-box", &Params::default(), model).unwrap()),
        ("alpha2-beta1", Method::parse("alpha-beta", &Params::default().with("alpha", 2.0).unwrap(), model).unwrap()),
        // 20 steps from the zero baseline: the default here and in Zennit.
        ("integrated-gradients", Method::parse("integrated-gradients", &Params::default(), model).unwrap()),
    ]
}

fn explanations(c: &mut Criterion) {
    let digits = Idx::open(MNIST_TEST_IMAGES).unwrap().to_unit_f32();
    let mut group = c.benchmark_group("explain");
    for model in embedded::all().unwrap() {
        let input = model.batch(&digits[..784]).unwrap();
        for (name, method) in &methods(model) {
            group.bench_function(BenchmarkId::new(model.name(), name), |b| {
                b.iter(|| explain(model, input.clone(), method, &Options::default()).unwrap())
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("batched");
    group.throughput(Throughput::Elements(BATCH as u64)).sample_size(10);
    let pixels = &digits[..BATCH * 784];
    for model in embedded::all().unwrap() {
        for (name, method) in &methods(model) {
            group.bench_function(BenchmarkId::new(model.name(), name), |b| {
                b.iter(|| {
                    pixels.par_chunks(model.preferred_batch() * 784).for_each(|chunk| {
                        explain(model, model.batch(chunk).unwrap(), method, &Options::default()).unwrap();
                    })
                })
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("removal");
    group.throughput(Throughput::Elements(64)).sample_size(10);
    for model in embedded::all().unwrap() {
        let ranking = Ranking::Method { name: "epsilon".into(), method: methods(model)[0].1.clone() };
        group.bench_function(BenchmarkId::new(model.name(), "epsilon"), |b| {
            b.iter(|| {
                let chunk = model.preferred_batch().min(32);
                digits[..64 * 784].par_chunks(chunk * 784).enumerate().for_each(|(i, inputs)| {
                    evaluate(model, &ranking, inputs, None, &Removal::default(), (i * chunk) as u64, false).unwrap();
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, explanations);
criterion_main!(benches);
