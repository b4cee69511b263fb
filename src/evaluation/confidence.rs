//! Reading a model's output: probabilities and the starting poster's confidence.

/// Softmax of one row of output scores.
pub fn softmax(scores: &[f32]) -> Vec<f32> {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = scores.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|v| v / sum).collect()
}

/// The two largest values.
fn top_two(values: &[f32]) -> (f32, f32) {
    let (mut first, mut second) = (f32::NEG_INFINITY, f32::NEG_INFINITY);
    for &v in values {
        if v > first {
            second = first;
            first = v;
        } else if v > second {
            second = v;
        }
    }
    (first, second)
}

/// The poster's confidence, (max − second max) / max, of the softmax probabilities:
/// always in [0, 1]; 1 when one class has all the probability, 0 when the runner-up
/// ties with it. This is the confidence everywhere unless a figure says otherwise.
pub fn confidence(probabilities: &[f32]) -> f32 {
    let (first, second) = top_two(probabilities);
    if first > 0.0 && second.is_finite() {
        ((first - second) / first).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// The poster's formula on the raw output scores, defined only while the top score is
/// positive (else `None`); with a negative runner-up it exceeds 1.
pub fn raw_confidence(scores: &[f32]) -> Option<f32> {
    let (first, second) = top_two(scores);
    (first > 0.0 && second.is_finite()).then(|| (first - second) / first)
}

#[cfg(test)]
mod tests {
    use super::{confidence, raw_confidence, softmax};

    #[test]
    fn confidence_on_probabilities_and_on_raw_scores() {
        // (0.5 − 0.3) / 0.5
        assert!((confidence(&[0.2, 0.5, 0.3]) - 0.4).abs() < 1e-6);
        assert_eq!(confidence(&[0.5, 0.5]), 0.0);
        assert_eq!(confidence(&[1.0, 0.0]), 1.0);
        // On scores: (8 − 6) / 8; a negative runner-up gives more than 1; a negative top, nothing.
        assert_eq!(raw_confidence(&[1.0, 8.0, 6.0]), Some(0.25));
        assert_eq!(raw_confidence(&[4.0, -4.0]), Some(2.0));
        assert_eq!(raw_confidence(&[-3.0, -1.0]), None);
        let p = softmax(&[0.0, 2f32.ln()]);
        assert!((p[0] - 1.0 / 3.0).abs() < 1e-6 && (p[1] - 2.0 / 3.0).abs() < 1e-6);
        assert!(softmax(&[1000.0, 0.0])[0].is_finite());
        // The softmax confidence of scores (4, −4) is (1 − e⁻⁸) / (1 + e⁻⁸) / (1 / (1 + e⁻⁸)).
        let c = confidence(&softmax(&[4.0, -4.0]));
        assert!((c - (1.0 - (-8f32).exp())).abs() < 1e-6, "{c}");
    }
}
