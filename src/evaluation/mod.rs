//! Reading a model's output: probabilities and the starting poster's confidence.
//! (The feature-removal evaluation will live here too.)

/// Softmax of one row of output scores.
pub fn softmax(scores: &[f32]) -> Vec<f32> {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = scores.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|v| v / sum).collect()
}

/// The poster's confidence: (max − second max) / max of the output scores. It is 1
/// when one class has all the evidence and falls to 0 as the runner-up catches up;
/// it is only meaningful while the top score is positive (otherwise 0 is returned).
pub fn confidence(scores: &[f32]) -> f32 {
    let (mut first, mut second) = (f32::NEG_INFINITY, f32::NEG_INFINITY);
    for &s in scores {
        if s > first {
            second = first;
            first = s;
        } else if s > second {
            second = s;
        }
    }
    if first > 0.0 && second.is_finite() { (first - second) / first } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::{confidence, softmax};

    #[test]
    fn confidence_and_softmax() {
        assert_eq!(confidence(&[1.0, 8.0, 6.0]), 0.25);
        assert_eq!(confidence(&[-3.0, -1.0]), 0.0);
        assert_eq!(confidence(&[5.0, 5.0]), 0.0);
        let p = softmax(&[0.0, 2f32.ln()]);
        assert!((p[0] - 1.0 / 3.0).abs() < 1e-6 && (p[1] - 2.0 / 3.0).abs() < 1e-6);
        assert!(softmax(&[1000.0, 0.0])[0].is_finite());
    }
}
