//! Concept Relevance Propagation: conditional heatmaps match zennit-crp 0.6
//! (`CondAttribution` with a `ChannelConcept`, on Zennit 0.5.1) for every shipped
//! model, with ε, EpsilonGammaBox and α2β1, conditioned on one channel of one layer,
//! several of another, and both at once, within the engine's tolerance (1e-5 of the
//! map's largest value); and conditioning is a split of the relevance: the heatmaps
//! conditioned on each channel of a layer add up to the unconditioned one.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::BTreeMap;

use common::{digits, tensor, ROOT};
use lrp::lrp::channel_sums;
use lrp::{embedded, explain, explain_conditioned, Condition, Method, Options, OutputRelevance, Params, Target};
use ndarray::{Axis, IxDyn};
use safetensors::SafeTensors;
use serde::Deserialize;

#[derive(Deserialize)]
struct Cases {
    methods: BTreeMap<String, MethodCase>,
    /// model -> case -> the conditions of each input (its own most relevant channels).
    models: BTreeMap<String, BTreeMap<String, Vec<Vec<Condition>>>>,
}

#[derive(Deserialize)]
struct MethodCase {
    method: String,
    params: BTreeMap<String, f64>,
}

fn method(case: &MethodCase, model: &lrp::Model) -> Method {
    let mut params = Params::default();
    for (name, value) in &case.params {
        params.values.set(name, *value).unwrap();
    }
    Method::parse(&case.method, &params, model).unwrap()
}

#[test]
fn conditional_heatmaps_match_zennit_crp() {
    let cases: Cases = serde_json::from_str(include_str!("fixtures/crp/cases.json")).unwrap();
    assert_eq!(cases.models.len(), embedded::names().len(), "fixtures for every shipped model");
    let mut checked = 0;
    let mut worst = 0.0f32;
    for (name, per_case) in &cases.models {
        let model = embedded::get(name).unwrap();
        let bytes = std::fs::read(format!("{ROOT}/tests/fixtures/crp/{name}.safetensors")).unwrap();
        let file = SafeTensors::deserialize(&bytes).unwrap();
        let inputs = tensor(&file, "inputs");
        let targets = tensor(&file, "targets");
        let mut shape = vec![1];
        shape.extend(&model.spec().input_shape);
        for (case, per_input) in per_case {
            assert_eq!(per_input.len(), inputs.shape()[0]);
            for (id, m) in &cases.methods {
                let expected = tensor(&file, &format!("{case}/{id}"));
                let method = method(m, model);
                for (i, conditions) in per_input.iter().enumerate() {
                    let x = inputs.index_axis(Axis(0), i).to_owned().into_shape_with_order(IxDyn(&shape)).unwrap();
                    let options = Options {
                        target: Target::Class(targets[i] as usize),
                        output: OutputRelevance::Score,
                        ..Default::default()
                    };
                    let ours = explain_conditioned(model, x, &method, &options, conditions).unwrap().relevance;
                    let zennit = expected.index_axis(Axis(0), i);
                    let scale = zennit.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                    assert!(scale > 0.0, "{name} {case} {id} input {i}: an all-zero reference map tests nothing");
                    let diff = ours.iter().zip(zennit.iter()).fold(0.0f32, |m, (a, b)| m.max((a - b).abs())) / scale;
                    worst = worst.max(diff);
                    assert!(diff <= 1e-5, "{name} {case} {id} input {i}: {diff:.2e} relative to zennit-crp");
                    checked += 1;
                }
            }
        }
    }
    println!("{checked} conditional maps, worst relative difference to zennit-crp {worst:.2e}");
    assert_eq!(checked, embedded::names().len() * 3 * 3 * 4);
}

#[test]
fn conditional_heatmaps_over_all_channels_of_a_layer_add_up_to_the_whole() {
    for model in embedded::all().unwrap() {
        let x = digits(model, 2);
        for name in ["epsilon", "epsilon-gamma-box", "alpha-beta", "gradient-x-input"] {
            let method = Method::parse(name, &Params::default(), model).unwrap();
            let whole = explain(model, x.clone(), &method, &Options::default()).unwrap();
            let scale = whole.relevance.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            // Every layer with weights, and a pooling layer.
            for (layer, l) in
                model.layers().iter().enumerate().filter(|(_, l)| l.bias().is_some() || l.kind() == "MaxPool2d")
            {
                let channels = model.shapes()[layer + 1][0];
                let mut sum = ndarray::ArrayD::<f32>::zeros(whole.relevance.raw_dim());
                let mut per_channel = vec![];
                for c in 0..channels {
                    let conditions = [Condition { layer, channels: vec![c] }];
                    let part =
                        explain_conditioned(model, x.clone(), &method, &Options::default(), &conditions).unwrap();
                    // The relevance reaching the layer's output is the unconditioned one on channel c, nothing elsewhere.
                    let at_output = part.layers.get(layer + 1).map_or(&part.output_relevance, |next| &next.relevance);
                    per_channel.push(channel_sums(at_output).column(c).to_owned());
                    sum += &part.relevance;
                }
                let diff = sum.iter().zip(whole.relevance.iter()).fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
                assert!(
                    diff <= 1e-4 * scale,
                    "{} {name} layer {layer} ({}): Σ over channels differs by {diff:e}",
                    model.name(),
                    l.kind()
                );
                let unconditioned =
                    channel_sums(whole.layers.get(layer + 1).map_or(&whole.output_relevance, |next| &next.relevance));
                for (c, sums) in per_channel.iter().enumerate() {
                    for (i, s) in sums.iter().enumerate() {
                        assert!(
                            (s - unconditioned[[i, c]]).abs() <= 1e-5 * scale.max(1.0),
                            "{} layer {layer} channel {c}",
                            model.name()
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn bad_conditions_are_refused_by_name() {
    let model = embedded::get("cnn").unwrap();
    let x = digits(model, 1);
    let epsilon = Method::parse("epsilon", &Params::default(), model).unwrap();
    let error = |method: &Method, conditions: &[Condition]| {
        explain_conditioned(model, x.clone(), method, &Options::default(), conditions).unwrap_err().to_string()
    };
    let c = |layer, channels: &[usize]| Condition { layer, channels: channels.to_vec() };
    assert!(
        error(&epsilon, &[c(10, &[0])]).contains("conditions[0]: layer 10 does not exist; the model has layers 0 to 9")
    );
    assert!(error(&epsilon, &[c(3, &[24])]).contains("layer 3 has channels 0 to 23, not 24"));
    assert!(error(&epsilon, &[c(3, &[])]).contains("at least one channel"));
    assert!(error(&epsilon, &[c(3, &[1]), c(3, &[2])]).contains("conditions[1]: layer 3 is conditioned twice"));
    let smoothgrad = Method::parse("smoothgrad", &Params::default(), model).unwrap();
    assert!(error(&smoothgrad, &[c(3, &[1])]).contains("conditions: apply to LRP"));
    // Conditioning on the output is choosing the explained class: the other classes' relevance is dropped.
    let all_classes = [c(9, &(0..10).collect::<Vec<_>>())];
    let same = explain_conditioned(model, x.clone(), &epsilon, &Options::default(), &all_classes).unwrap();
    assert_eq!(same.relevance, explain(model, x, &epsilon, &Options::default()).unwrap().relevance);
}

/// Relevance and activation maximisation (`lrp concepts`) rank the same reference inputs,
/// with the same best neurons and values, as zennit-crp's FeatureVisualization on a slice
/// of the test split (reference/crp_fixtures.py, references.json).
/// "relevance" and "activation" -> per channel, its references as [index, value, position].
type Modes = BTreeMap<String, Vec<Vec<(u64, f64, usize)>>>;

#[test]
fn reference_samples_match_zennit_crps_feature_visualization() {
    #[derive(Deserialize)]
    struct Fixture {
        inputs: usize,
        k: usize,
        method: String,
        params: BTreeMap<String, f64>,
        /// model -> layer -> mode -> channel -> [index, value, position]
        models: BTreeMap<String, BTreeMap<String, Modes>>,
        /// model -> where zennit-crp's single-neuron heatmap of a reference is not zero
        crops: BTreeMap<String, Vec<Crop>>,
    }
    #[derive(Deserialize)]
    struct Crop {
        layer: usize,
        channel: usize,
        index: u64,
        position: usize,
        #[serde(rename = "box")]
        bounds: [usize; 4],
    }
    let fixture: Fixture = serde_json::from_str(include_str!("fixtures/crp/references.json")).unwrap();
    let (mut same, mut compared) = (0, 0);
    for (name, layers) in &fixture.models {
        let model = embedded::get(name).unwrap();
        let (images, labels) = common::test_split_of(model.spec().dataset.as_deref().unwrap());
        let method = method(&MethodCase { method: fixture.method.clone(), params: fixture.params.clone() }, model);
        let indices: Vec<usize> = layers.keys().map(|l| l.parse().unwrap()).collect();
        assert_eq!(indices, lrp::concepts::layers_with_concepts(model), "{name}: the layers lrp concepts covers");
        let len = model.input_len();
        let ours = lrp::concepts::references(
            model,
            &method,
            &images[..fixture.inputs * len],
            &labels[..fixture.inputs],
            0,
            &indices,
            fixture.k,
        )
        .unwrap();
        for (slot, (layer, modes)) in layers.iter().enumerate() {
            for (mode, channels) in modes {
                let ranking = if mode == "relevance" { &ours.relevance[slot] } else { &ours.activation[slot] };
                assert_eq!(ranking.channels.len(), channels.len(), "{name} layer {layer}");
                for (c, (theirs, mine)) in channels.iter().zip(&ranking.channels).enumerate() {
                    for (j, (&(index, value, position), r)) in theirs.iter().zip(mine).enumerate() {
                        compared += 1;
                        // Near-equal values may swap places between float64 and float32.
                        let close = (r.value as f64 - value).abs() <= 1e-4 * value.abs().max(1e-3);
                        if r.index == index {
                            same += 1;
                            assert!(
                                close,
                                "{name} layer {layer} {mode} channel {c} #{j}: value {} against {value}",
                                r.value
                            );
                            assert_eq!(
                                r.position, position,
                                "{name} layer {layer} {mode} channel {c} #{j}: best neuron"
                            );
                        } else {
                            // Another input of the same value (a tie, e.g. a silent channel's zeros) at this rank.
                            assert!(
                                close,
                                "{name} layer {layer} {mode} channel {c} #{j}: input {} ({}) against {index} ({value})",
                                r.index, r.value
                            );
                        }
                    }
                }
            }
        }
    }
    // The crops: the receptive field of the reference's best neuron holds all of zennit-crp's
    // heatmap of that neuron alone (its crop); for conv 1, whose neurons see 5×5 pixels, they are the same.
    let mut crops = 0;
    for (name, list) in &fixture.crops {
        let model = embedded::get(name).unwrap();
        for crop in list {
            let [y0, y1, x0, x1] = lrp::concepts::receptive_field(model, crop.layer, crop.position);
            let [a0, a1, b0, b1] = crop.bounds;
            let what = format!("{name} layer {} channel {} input {}", crop.layer, crop.channel, crop.index);
            assert!(
                y0 <= a0 && a1 <= y1 && x0 <= b0 && b1 <= x1,
                "{what}: zennit-crp's crop {:?} outside {:?}",
                crop.bounds,
                [y0, y1, x0, x1]
            );
            if crop.layer == 0 {
                assert_eq!(crop.bounds, [y0, y1, x0, x1], "{what}");
            }
            crops += 1;
        }
    }
    assert!(crops >= 16, "{crops} crops compared");
    println!("{same} of {compared} reference samples in zennit-crp's place, the rest near-ties swapped; {crops} crops inside the receptive fields");
    assert!(same * 100 >= compared * 95, "{same} of {compared}");
}

#[test]
fn receptive_fields_follow_kernels_strides_and_padding() {
    use lrp::concepts::receptive_field;
    let cnn = embedded::get("cnn").unwrap();
    // conv 1 (5×5, 24×24 out): the window under the neuron.
    assert_eq!(receptive_field(cnn, 0, 10 * 24 + 8), [10, 14, 8, 12]);
    // conv 2 (8×8 out) over pool 1 (2×2) over conv 1: 5 rows of pool 1, 10 of conv 1, 14 of the input.
    assert_eq!(receptive_field(cnn, 3, 0), [0, 13, 0, 13]);
    assert_eq!(receptive_field(cnn, 3, 8 * 8 - 1), [14, 27, 14, 27]);
    // A dense neuron sees the whole input.
    assert_eq!(receptive_field(cnn, 7, 5), [0, 27, 0, 27]);
    // Padding: fashion-cnn's conv 1 (5×5, padding 2) at the corner reaches 2 pixels in, clipped at the edge.
    let fashion = embedded::get("fashion-cnn").unwrap();
    assert_eq!(receptive_field(fashion, 0, 0), [0, 2, 0, 2]);
    assert_eq!(receptive_field(fashion, 0, 28 * 28 - 1), [25, 27, 25, 27]);
}
