//! Time of one explanation (forward and backward pass, one image) natively, for each
//! model × {ε, EpsilonGammaBox, α2β1}. `python3 reference/bench_zennit.py` prints
//! these next to Zennit's figures on the same machine.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use lrp::data::{idx::Idx, MNIST_TEST_IMAGES};
use lrp::{embedded, explain, Method, Options, Params};

fn explanations(c: &mut Criterion) {
    let digit = Idx::open(MNIST_TEST_IMAGES).unwrap().to_unit_f32()[..784].to_vec();
    let mut group = c.benchmark_group("explain");
    for model in embedded::all().unwrap() {
        let input = model.batch(&digit).unwrap();
        let methods = [
            ("epsilon", Method::parse("epsilon", &Params::default(), model).unwrap()),
            ("epsilon-gamma-box", Method::parse("epsilon-gamma-box", &Params::default(), model).unwrap()),
            (
                "alpha2-beta1",
                Method::parse("alpha-beta", &Params::default().with("alpha", 2.0).unwrap(), model).unwrap(),
            ),
        ];
        for (name, method) in &methods {
            group.bench_function(BenchmarkId::new(model.name(), name), |b| {
                b.iter(|| explain(model, input.clone(), method, &Options::default()).unwrap())
            });
        }
    }
    group.finish();
}

criterion_group!(benches, explanations);
criterion_main!(benches);
