//! The engine against values computed without it: a network small enough to explain
//! by hand, and a second, naive implementation of every rule (f64, one loop per
//! formula, written from the rules' definitions in src/lrp/rule.rs and Zennit's
//! documentation) on random dense networks whose inputs have both signs, checking
//! the relevance at every layer and what the biases absorb.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{mlp_description, model, params, values};
use lrp::{explain, Method, Model, Options, OutputRelevance, Params};

/// 2 inputs → 3 hidden (ReLU) → 1 output. Hidden pre-activations on x = (1, 2):
/// z₁ = 1 − 2 + 0.5 = −0.5 (off), z₂ = 2 + 2 − 1 = 3, z₃ = 0 (no weights, no bias);
/// output z = 1·0 + 2·3 + 5·0 + 1 = 7.
fn hand_model() -> Model {
    model(
        &mlp_description(&[2, 3, 1], [0.0, 2.0]),
        &[
            ("0.weight", vec![3, 2], vec![1.0, -1.0, 2.0, 1.0, 0.0, 0.0]),
            ("0.bias", vec![3], vec![0.5, -1.0, 0.0]),
            ("2.weight", vec![1, 3], vec![1.0, 2.0, 5.0]),
            ("2.bias", vec![1], vec![1.0]),
        ],
    )
}

fn explain_hand(method: &str, p: Params) -> lrp::Explanation {
    let model = hand_model();
    let method = Method::parse(method, &p, &model).unwrap();
    explain(&model, model.batch(&[1.0, 2.0]).unwrap(), &method, &Options::default()).unwrap()
}

fn close(actual: f32, expected: f32) -> bool {
    (actual - expected).abs() <= 1e-5 * expected.abs().max(1.0)
}

fn assert_all_close(actual: impl IntoIterator<Item = f32>, expected: &[f32], what: &str) {
    let actual: Vec<f32> = actual.into_iter().collect();
    assert!(
        actual.len() == expected.len() && actual.iter().zip(expected).all(|(a, e)| close(*a, *e)),
        "{what}: {actual:?} vs {expected:?}"
    );
}

#[test]
fn lrp0_by_hand() {
    let e = explain_hand("lrp-0", Params::default());
    // Output layer: R = 7 (the score), s = 7 / 7 = 1; the hidden units get a·w·s = (0, 6, 0)
    // and the bias 1·1 = 1.
    let [first, _relu, output] = &e.layers[..] else { panic!("three layers") };
    assert_all_close(output.relevance.iter().copied(), &[0.0, 6.0, 0.0], "hidden relevance");
    assert_eq!((output.books[0].entering, output.books[0].leaving, output.books[0].bias), (7.0, 6.0, 1.0));
    // First layer: s = (0 / −0.5, 6 / 3, 0 / 0 → 0) = (0, 2, 0); R = x ⊙ Wᵀs = (1·2·2, 2·1·2) = (4, 4);
    // the biases absorb 2·(−1) = −2.
    assert_all_close(first.relevance.iter().copied(), &[4.0, 4.0], "input relevance");
    assert_all_close(
        [first.books[0].entering, first.books[0].leaving, first.books[0].bias, first.books[0].stabilizer],
        &[6.0, 8.0, -2.0, 0.0],
        "books",
    );
}

#[test]
fn epsilon_by_hand() {
    let e = explain_hand("epsilon", params(&[("epsilon", 1.0)]));
    let [first, _relu, output] = &e.layers[..] else { panic!("three layers") };
    // Output layer: s = 7 / (7 + 1) = 0.875; hidden R = (0, 3·2·0.875, 0) = (0, 5.25, 0);
    // the bias takes 0.875, the stabiliser 7 − 0.875·7 = 0.875.
    assert_all_close(output.relevance.iter().copied(), &[0.0, 5.25, 0.0], "hidden relevance");
    let b = output.books[0];
    assert_all_close(
        [b.entering, b.leaving, b.bias, b.stabilizer, b.gated],
        &[7.0, 5.25, 0.875, 0.875, 0.0],
        "output books",
    );
    // First layer: s = (0, 5.25 / (3 + 1), 0) = (0, 1.3125); R = (1·2·1.3125, 2·1·1.3125);
    // bias 1.3125·(−1), stabiliser 5.25 − 1.3125·3 = 1.3125.
    assert_all_close(first.relevance.iter().copied(), &[2.625, 2.625], "input relevance");
    let b = first.books[0];
    assert_all_close([b.entering, b.leaving, b.bias, b.stabilizer], &[5.25, 5.25, -1.3125, 1.3125], "first books");
}

#[test]
fn gates_stop_what_reaches_a_silent_unit() {
    // flat on the output layer gives every hidden unit s = 7 / (3 + 1e-6), active or not;
    // γ on the first layer has no group for unit 3, whose output is exactly 0: the gate
    // stops its share, and nothing reaches the pixels from it.
    let mut p = params(&[("gamma", 0.25)]);
    p.layers = vec!["gamma".into(), "flat".into()];
    let e = explain_hand("custom", p);
    let share = 7.0 / (3.0 + 1e-6);
    assert_all_close(e.layers[2].relevance.iter().copied(), &[share, share, share], "flat");
    assert!(close(e.layers[0].books[0].gated, share), "{:?}", e.layers[0].books);
    // Unit 1 (z < 0) and unit 2 (z > 0) pass theirs on, to both pixels.
    assert!(e.relevance.iter().all(|r| r.abs() > 0.1), "{:?}", e.relevance);
}

// ---------------------------------------------------------------- a naive implementation

/// A rule, as the naive implementation knows it.
#[derive(Clone, Copy, Debug)]
enum Naive {
    Epsilon(f64),
    Gamma(f64),
    AlphaBeta(f64, f64),
    ZBox(f64, f64),
    Flat,
    WSquare,
}

const STABILIZER: f64 = 1e-6;

fn stabilise(z: f64, epsilon: f64) -> f64 {
    z + if z >= 0.0 { epsilon } else { -epsilon }
}

fn divide(r: f64, d: f64) -> f64 {
    if d == 0.0 {
        0.0
    } else {
        r / d
    }
}

struct Layer {
    w: Vec<Vec<f64>>, // [out][in]
    b: Vec<f64>,
}

/// Σ_j x_j f(w_kj) + bias, for each k.
fn affine(layer: &Layer, x: &[f64], f: impl Fn(f64) -> f64, bias: impl Fn(f64) -> f64) -> Vec<f64> {
    layer
        .w
        .iter()
        .zip(&layer.b)
        .map(|(row, &b)| row.iter().zip(x).map(|(&w, &x)| x * f(w)).sum::<f64>() + bias(b))
        .collect()
}

/// Σ_k f(w_kj) s_k, for each j.
fn back(layer: &Layer, s: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
    (0..layer.w[0].len()).map(|j| layer.w.iter().zip(s).map(|(row, &s)| f(row[j]) * s).sum()).collect()
}

fn pos(v: f64) -> f64 {
    v.max(0.0)
}
fn neg(v: f64) -> f64 {
    v.min(0.0)
}

/// One layer's relevance at its input and what its biases absorbed.
fn naive_layer(layer: &Layer, x: &[f64], r: &[f64], rule: Naive) -> (Vec<f64>, f64) {
    let xp: Vec<f64> = x.iter().map(|&v| pos(v)).collect();
    let xn: Vec<f64> = x.iter().map(|&v| neg(v)).collect();
    let z = affine(layer, x, |w| w, |b| b);
    let add = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a + b).collect::<Vec<f64>>();
    let dot = |s: &[f64], b: &[f64]| s.iter().zip(b).map(|(s, b)| s * b).sum::<f64>();
    match rule {
        Naive::Epsilon(eps) => {
            let s: Vec<f64> = r.iter().zip(&z).map(|(&r, &z)| divide(r, stabilise(z, eps))).collect();
            let c = back(layer, &s, |w| w);
            (x.iter().zip(&c).map(|(x, c)| x * c).collect(), dot(&s, &layer.b))
        }
        Naive::Gamma(g) => {
            let up = move |w: f64| w + g * pos(w);
            let down = move |w: f64| w + g * neg(w);
            // Outputs above zero: favour positive contributions; below zero: negative ones.
            let d_pos = add(&affine(layer, &xp, up, up), &affine(layer, &xn, down, |_| 0.0));
            let d_neg = add(&affine(layer, &xp, down, down), &affine(layer, &xn, up, |_| 0.0));
            let s_pos: Vec<f64> = (0..z.len())
                .map(|k| if z[k] > 0.0 { divide(r[k], stabilise(d_pos[k], STABILIZER)) } else { 0.0 })
                .collect();
            let s_neg: Vec<f64> = (0..z.len())
                .map(|k| if z[k] < 0.0 { divide(r[k], stabilise(d_neg[k], STABILIZER)) } else { 0.0 })
                .collect();
            let rel = (0..x.len())
                .map(|j| {
                    xp[j] * (back(layer, &s_pos, up)[j] + back(layer, &s_neg, down)[j])
                        + xn[j] * (back(layer, &s_pos, down)[j] + back(layer, &s_neg, up)[j])
                })
                .collect();
            let bias = dot(&s_pos, &layer.b.iter().map(|&b| up(b)).collect::<Vec<_>>())
                + dot(&s_neg, &layer.b.iter().map(|&b| down(b)).collect::<Vec<_>>());
            (rel, bias)
        }
        Naive::AlphaBeta(alpha, beta) => {
            let d_pos = add(&affine(layer, &xp, pos, pos), &affine(layer, &xn, neg, |_| 0.0));
            let d_neg = add(&affine(layer, &xp, neg, neg), &affine(layer, &xn, pos, |_| 0.0));
            let s_pos: Vec<f64> = r.iter().zip(&d_pos).map(|(&r, &d)| divide(r, stabilise(d, STABILIZER))).collect();
            let s_neg: Vec<f64> = r.iter().zip(&d_neg).map(|(&r, &d)| divide(r, stabilise(d, STABILIZER))).collect();
            let rel = (0..x.len())
                .map(|j| {
                    alpha * (xp[j] * back(layer, &s_pos, pos)[j] + xn[j] * back(layer, &s_pos, neg)[j])
                        - beta * (xp[j] * back(layer, &s_neg, neg)[j] + xn[j] * back(layer, &s_neg, pos)[j])
                })
                .collect();
            let bias = alpha * dot(&s_pos, &layer.b.iter().map(|&b| pos(b)).collect::<Vec<_>>())
                - beta * dot(&s_neg, &layer.b.iter().map(|&b| neg(b)).collect::<Vec<_>>());
            (rel, bias)
        }
        Naive::ZBox(low, high) => {
            let lows = vec![low; x.len()];
            let highs = vec![high; x.len()];
            let d: Vec<f64> = (0..z.len())
                .map(|k| z[k] - affine(layer, &lows, pos, pos)[k] - affine(layer, &highs, neg, neg)[k])
                .collect();
            let s: Vec<f64> = r.iter().zip(&d).map(|(&r, &d)| divide(r, stabilise(d, STABILIZER))).collect();
            let rel = (0..x.len())
                .map(|j| {
                    x[j] * back(layer, &s, |w| w)[j] - low * back(layer, &s, pos)[j] - high * back(layer, &s, neg)[j]
                })
                .collect();
            let bias = dot(&s, &layer.b.iter().map(|&b| b - pos(b) - neg(b)).collect::<Vec<_>>());
            (rel, bias)
        }
        Naive::Flat => {
            let fan_in = x.len() as f64;
            let s: Vec<f64> = r.iter().map(|&r| divide(r, stabilise(fan_in, STABILIZER))).collect();
            (back(layer, &s, |_| 1.0), 0.0)
        }
        Naive::WSquare => {
            let d = affine(layer, &vec![1.0; x.len()], |w| w * w, |b| b * b);
            let s: Vec<f64> = r.iter().zip(&d).map(|(&r, &d)| divide(r, stabilise(d, STABILIZER))).collect();
            (back(layer, &s, |w| w * w), dot(&s, &layer.b.iter().map(|&b| b * b).collect::<Vec<_>>()))
        }
    }
}

/// Relevance at the input of each dense layer (the ReLUs pass it on) and the biases'
/// share, for output relevance = the target's score.
fn naive_explain(layers: &[Layer], x: &[f64], rules: &[Naive], target: usize) -> Vec<(Vec<f64>, f64)> {
    let mut inputs = vec![x.to_vec()];
    for (i, layer) in layers.iter().enumerate() {
        let z = affine(layer, inputs.last().unwrap(), |w| w, |b| b);
        inputs.push(if i + 1 < layers.len() { z.iter().map(|&v| pos(v)).collect() } else { z });
    }
    let logits = inputs.last().unwrap();
    let mut r: Vec<f64> = (0..logits.len()).map(|k| if k == target { logits[k] } else { 0.0 }).collect();
    let mut out = vec![];
    for i in (0..layers.len()).rev() {
        let (below, bias) = naive_layer(&layers[i], &inputs[i], &r, rules[i]);
        out.push((below.clone(), bias));
        r = below;
    }
    out.reverse();
    out
}

fn rule_name(rule: Naive) -> (&'static str, Vec<(&'static str, f64)>) {
    match rule {
        Naive::Epsilon(0.0) => ("lrp-0", vec![]),
        Naive::Epsilon(e) => ("epsilon", vec![("epsilon", e)]),
        Naive::Gamma(g) => ("gamma", vec![("gamma", g)]),
        Naive::AlphaBeta(a, b) => ("alpha-beta", vec![("alpha", a), ("beta", b)]),
        Naive::ZBox(l, h) => ("z-box", vec![("low", l), ("high", h)]),
        Naive::Flat => ("flat", vec![]),
        Naive::WSquare => ("w-square", vec![]),
    }
}

#[test]
fn every_rule_matches_a_naive_implementation_on_random_networks() {
    let widths = [7, 6, 5, 4];
    let mut worst: f64 = 0.0;
    for seed in 0..4u32 {
        let layers: Vec<Layer> = widths
            .windows(2)
            .enumerate()
            .map(|(i, pair)| {
                let w = values(pair[0] * pair[1], seed * 10 + i as u32);
                let b = values(pair[1], seed * 10 + i as u32 + 5);
                Layer {
                    w: w.chunks(pair[0]).map(|row| row.iter().map(|&v| v as f64).collect()).collect(),
                    b: b.iter().map(|&v| 0.5 * v as f64).collect(),
                }
            })
            .collect();
        let tensors: Vec<(String, Vec<usize>, Vec<f32>)> = layers
            .iter()
            .enumerate()
            .flat_map(|(i, l)| {
                let (rows, cols) = (l.w.len(), l.w[0].len());
                let w: Vec<f32> = l.w.iter().flatten().map(|&v| v as f32).collect();
                let b: Vec<f32> = l.b.iter().map(|&v| v as f32).collect();
                [(format!("{}.weight", 2 * i), vec![rows, cols], w), (format!("{}.bias", 2 * i), vec![rows], b)]
            })
            .collect();
        let refs: Vec<(&str, Vec<usize>, Vec<f32>)> =
            tensors.iter().map(|(n, s, v)| (n.as_str(), s.clone(), v.clone())).collect();
        // Inputs of both signs, so that every x⁻ term matters.
        let network = model(&mlp_description(&widths, [-1.0, 1.0]), &refs);
        let x32: Vec<f32> = values(widths[0], seed + 99);
        let x: Vec<f64> = x32.iter().map(|&v| v as f64).collect();
        let rules = [
            Naive::Epsilon(0.0),
            Naive::Epsilon(0.3),
            Naive::Gamma(0.25),
            Naive::Gamma(1.5),
            Naive::AlphaBeta(1.0, 0.0),
            Naive::AlphaBeta(2.0, 1.0),
            Naive::AlphaBeta(3.5, 2.5),
            Naive::ZBox(-1.0, 1.0),
            Naive::ZBox(-0.5, 0.75),
            Naive::Flat,
            Naive::WSquare,
        ];
        // Every rule on every layer, and mixtures (custom, with the parameters shared).
        let mut assignments: Vec<Vec<Naive>> = rules.iter().map(|&r| vec![r; 3]).collect();
        assignments.push(vec![Naive::ZBox(-1.0, 1.0), Naive::Gamma(0.5), Naive::Epsilon(0.0)]);
        assignments.push(vec![Naive::WSquare, Naive::AlphaBeta(2.0, 1.0), Naive::Epsilon(0.3)]);
        assignments.push(vec![Naive::Flat, Naive::Flat, Naive::Gamma(0.5)]);
        for rules in assignments {
            let mut p = Params::default();
            for &rule in &rules {
                for (name, value) in rule_name(rule).1 {
                    p.values.set(name, value).unwrap();
                }
            }
            let method = if rules.iter().all(|r| rule_name(*r).0 == rule_name(rules[0]).0) {
                Method::parse(rule_name(rules[0]).0, &p, &network).unwrap()
            } else {
                p.layers = rules.iter().map(|r| rule_name(*r).0.to_string()).collect();
                Method::parse("custom", &p, &network).unwrap()
            };
            let ours = explain(
                &network,
                network.batch(&x32).unwrap(),
                &method,
                &Options { output: OutputRelevance::Score, ..Options::default() },
            )
            .unwrap();
            let target = ours.targets[0];
            let expected = naive_explain(&layers, &x, &rules, target);
            for (k, (relevance, bias)) in expected.iter().enumerate() {
                let layer = &ours.layers[2 * k];
                let scale = relevance.iter().fold(bias.abs(), |m, v| m.max(v.abs())).max(1e-3);
                let diff =
                    relevance.iter().zip(layer.relevance.iter()).fold(0.0f64, |m, (e, &o)| m.max((e - o as f64).abs()));
                let bias_diff = (bias - layer.books[0].bias as f64).abs();
                worst = worst.max(diff.max(bias_diff) / scale);
                assert!(
                    diff <= 1e-4 * scale && bias_diff <= 1e-4 * scale,
                    "seed {seed} {rules:?} layer {}: relevance off by {diff:e}, bias by {bias_diff:e} (scale {scale})\nours  {:?}\nnaive {relevance:?}",
                    2 * k,
                    layer.relevance
                );
            }
        }
    }
    println!("worst relative difference to the naive implementation: {worst:.2e}");
}
