//! The model's own bookkeeping, against values worked out by hand: shapes, parameter
//! counts, the shape check of the forward pass, PyTorch's arg-max on ties, and
//! batched prediction of many inputs.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{mlp_description, model};
use lrp::Model;

/// One Linear(3→3) layer with the identity as weights: the scores are the input.
fn identity_model() -> Model {
    model(
        &mlp_description(&[3, 3], [-10.0, 10.0]),
        &[
            ("0.weight", vec![3, 3], vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]),
            ("0.bias", vec![3], vec![0.0; 3]),
        ],
    )
}

#[test]
fn shapes_and_parameter_counts() {
    let m = model(
        &mlp_description(&[4, 3, 2], [0.0, 1.0]),
        &[
            ("0.weight", vec![3, 4], vec![0.5; 12]),
            ("0.bias", vec![3], vec![0.0; 3]),
            ("2.weight", vec![2, 3], vec![0.5; 6]),
            ("2.bias", vec![2], vec![0.0; 2]),
        ],
    );
    assert_eq!(m.shapes(), &[vec![4], vec![3], vec![3], vec![2]]);
    // 4·3 + 3 + 3·2 + 2
    assert_eq!(m.parameter_count(), 23);
    assert_eq!(m.layers().iter().map(|l| l.parameter_count()).collect::<Vec<_>>(), vec![15, 0, 8]);
}

#[test]
fn the_forward_pass_refuses_a_batch_of_another_shape() {
    let m = identity_model();
    for shape in [vec![1, 4], vec![2, 2], vec![1, 3, 1], vec![3]] {
        let x = ndarray::ArrayD::<f32>::zeros(ndarray::IxDyn(&shape));
        let message = m.forward(x).expect_err(&format!("{shape:?} accepted")).to_string();
        assert!(message.contains("expected [N, 3]"), "{message}");
    }
    assert!(m.forward(ndarray::ArrayD::<f32>::zeros(ndarray::IxDyn(&[2, 3]))).is_ok());
}

#[test]
fn the_prediction_is_the_first_arg_max_as_in_pytorch() {
    let m = identity_model();
    let predict = |x: &[f32]| m.forward(m.batch(x).unwrap()).unwrap().predictions();
    assert_eq!(predict(&[1.0, 3.0, 2.0]), vec![1]);
    assert_eq!(predict(&[-1.0, -3.0, -2.0]), vec![0]);
    assert_eq!(predict(&[-5.0, -3.0, -4.0]), vec![1]);
    assert_eq!(predict(&[0.0, 0.0, 1.0]), vec![2]);
    // Ties go to the first maximum (torch.argmax).
    assert_eq!(predict(&[2.0, 7.0, 7.0]), vec![1]);
    assert_eq!(predict(&[0.0, 0.0, 0.0]), vec![0]);
    assert_eq!(predict(&[4.0, 4.0, 1.0, 1.0, 9.0, 9.0]), vec![0, 1]);
}

#[test]
fn predict_evaluates_any_number_of_inputs_in_batches() {
    // 1,201 inputs of three values (more than two batches of 500; 500 is no multiple of
    // three values): input n has its maximum at n mod 3.
    let m = identity_model();
    let count = 1201;
    let values: Vec<f32> =
        (0..count).flat_map(|n| (0..3).map(move |k| if k == n % 3 { 1.0 + (n % 7) as f32 } else { 0.5 })).collect();
    let expected: Vec<usize> = (0..count).map(|n| n % 3).collect();
    assert_eq!(m.predict(&values).unwrap(), expected);
    assert!(m.predict(&values[..5]).is_err(), "a partial input");
    assert!(m.predict(&[0.0, 11.0, 0.0]).is_err(), "a value outside the input range");
}
