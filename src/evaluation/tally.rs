//! What an evaluation gathers over many inputs, as sums that add up across batches,
//! threads and Web Workers ([`Tally::merge`]), and the figures read off them
//! ([`Tally::report`]): mean curves, the poster's table, AOPC and the symmetric
//! relevance gain, class-mean relevance maps.

use serde::{Deserialize, Serialize};

use super::curve::Curve;
use super::removal::{Grid, Imputation, Order, Schedule};
use crate::{Error, Result};

/// Inputs the model classifies correctly, wrongly, or without a label to tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Correct,
    Incorrect,
    Unlabelled,
}

impl Split {
    pub fn of(prediction: usize, label: Option<u8>) -> Split {
        match label {
            Some(l) if l as usize == prediction => Split::Correct,
            Some(_) => Split::Incorrect,
            None => Split::Unlabelled,
        }
    }
}

/// Sums over the inputs of one split of their curves under one order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct CurveSums {
    pub order: Option<Order>,
    pub split: Option<Split>,
    pub inputs: usize,
    /// Per step: the sums of the target's score, probability and the confidence.
    pub score: Vec<f64>,
    pub probability: Vec<f64>,
    pub confidence: Vec<f64>,
    /// Per step: how many inputs are predicted otherwise than at step 0.
    pub flipped: Vec<usize>,
    /// Per step: the highest confidence of any input (the poster's "strongest").
    pub strongest: Vec<f32>,
    /// Inputs whose prediction changes within the schedule, and the pixels removed at
    /// each one's first change, summed.
    pub flips: usize,
    pub flip_pixels: usize,
}

impl CurveSums {
    fn new(order: Order, split: Split, steps: usize) -> CurveSums {
        CurveSums {
            order: Some(order),
            split: Some(split),
            inputs: 0,
            score: vec![0.0; steps + 1],
            probability: vec![0.0; steps + 1],
            confidence: vec![0.0; steps + 1],
            flipped: vec![0; steps + 1],
            strongest: vec![0.0; steps + 1],
            flips: 0,
            flip_pixels: 0,
        }
    }

    fn add(&mut self, curve: &Curve) {
        self.inputs += 1;
        for step in 0..self.score.len() {
            self.score[step] += curve.score[step] as f64;
            self.probability[step] += curve.probability[step] as f64;
            self.confidence[step] += curve.confidence[step] as f64;
            self.flipped[step] += curve.flipped(step) as usize;
            self.strongest[step] = self.strongest[step].max(curve.confidence[step]);
        }
        if let Some(flip) = curve.flip() {
            self.flips += 1;
            self.flip_pixels += flip.pixels;
        }
    }

    fn merge(&mut self, other: &CurveSums) {
        self.inputs += other.inputs;
        let add = |a: &mut Vec<f64>, b: &[f64]| a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        add(&mut self.score, &other.score);
        add(&mut self.probability, &other.probability);
        add(&mut self.confidence, &other.confidence);
        self.flipped.iter_mut().zip(&other.flipped).for_each(|(a, b)| *a += b);
        self.strongest.iter_mut().zip(&other.strongest).for_each(|(a, &b)| *a = a.max(b));
        self.flips += other.flips;
        self.flip_pixels += other.flip_pixels;
    }

    /// The mean of `sums` per step.
    fn mean(&self, sums: &[f64]) -> Vec<f64> {
        sums.iter().map(|s| s / self.inputs.max(1) as f64).collect()
    }

    /// The mean area under the probability curve (the mean over its steps).
    fn area(&self) -> f64 {
        let mean = self.mean(&self.probability);
        mean.iter().sum::<f64>() / mean.len().max(1) as f64
    }
}

/// Everything an evaluation of one model and one ranking of the pixels (a method, or
/// the random order) gathers over any number of inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    pub model: String,
    /// The method's name, or `random` for the random order.
    pub method: String,
    pub imputation: Imputation,
    pub schedule: Schedule,
    /// Pixels removed at each step.
    pub removed: Vec<usize>,
    /// The model's input grid.
    pub grid: Grid,
    /// One per order and split that has inputs.
    pub curves: Vec<CurveSums>,
    /// Per predicted class: the sum of the relevance maps of its inputs (empty for the
    /// random order), and how many there were.
    pub class_relevance: Vec<Vec<f64>>,
    pub class_inputs: Vec<usize>,
}

impl Tally {
    pub fn new(
        model: &str,
        method: &str,
        imputation: Imputation,
        schedule: Schedule,
        grid: &Grid,
        classes: usize,
    ) -> Tally {
        Tally {
            model: model.to_string(),
            method: method.to_string(),
            imputation,
            schedule,
            removed: (0..=schedule.steps).map(|s| schedule.removed(s, grid)).collect(),
            grid: *grid,
            curves: vec![],
            class_relevance: vec![vec![]; classes],
            class_inputs: vec![0; classes],
        }
    }

    pub fn steps(&self) -> usize {
        self.removed.len().saturating_sub(1)
    }

    pub fn add_curve(&mut self, order: Order, split: Split, curve: &Curve) {
        let steps = self.steps();
        let sums = match self.curves.iter().position(|c| c.order == Some(order) && c.split == Some(split)) {
            Some(i) => &mut self.curves[i],
            None => {
                self.curves.push(CurveSums::new(order, split, steps));
                self.curves.last_mut().expect("just pushed")
            }
        };
        sums.add(curve);
    }

    /// Adds one input's relevance map to its predicted class's sum.
    pub fn add_relevance(&mut self, class: usize, relevance: &[f32]) {
        let sum = &mut self.class_relevance[class];
        if sum.is_empty() {
            *sum = vec![0.0; relevance.len()];
        }
        sum.iter_mut().zip(relevance).for_each(|(s, &r)| *s += r as f64);
        self.class_inputs[class] += 1;
    }

    /// Whether the tally holds together: one value per step in every curve, an order and
    /// a split on each, class sums of the input's length. A tally built here always
    /// does; one that comes back from JavaScript is checked before it is read.
    pub fn check(&self) -> Result<()> {
        let steps = self.removed.len();
        let fail = |what: &str| Err(Error::Input(format!("tally of {} / {}: {what}", self.model, self.method)));
        let schedule = self.schedule.steps.checked_add(1);
        if steps == 0
            || Some(steps) != schedule
            || self.schedule.step_pixels == 0
            || self.removed.windows(2).any(|w| w[0] > w[1])
        {
            return fail("its steps do not match its schedule");
        }
        for c in &self.curves {
            let lengths = [c.score.len(), c.probability.len(), c.confidence.len(), c.flipped.len(), c.strongest.len()];
            if c.order.is_none() || c.split.is_none() || lengths.iter().any(|&l| l != steps) {
                return fail("a curve without its order, its split or a value per step");
            }
            if c.flipped.iter().any(|&f| f > c.inputs) || c.flips > c.inputs {
                return fail("more flipped inputs than inputs");
            }
        }
        let classes = self.class_inputs.len();
        if self.class_relevance.len() != classes
            || self.class_relevance.iter().any(|r| !r.is_empty() && r.len() != self.grid.len())
        {
            return fail("class sums of another shape than the model's classes and input");
        }
        Ok(())
    }

    /// Adds `other`, an evaluation of the same model, method and removal on other inputs.
    pub fn merge(&mut self, other: &Tally) -> Result<()> {
        self.check()?;
        other.check()?;
        let same = self.model == other.model
            && self.method == other.method
            && self.imputation == other.imputation
            && self.schedule == other.schedule
            && self.removed == other.removed
            && self.grid == other.grid
            && self.class_inputs.len() == other.class_inputs.len()
            && other.curves.iter().all(|c| c.score.len() == self.removed.len())
            && other.class_relevance.iter().all(|r| r.is_empty() || r.len() == self.grid.len());
        if !same {
            return Err(Error::Input(format!(
                "tallies: cannot add {} / {} to {} / {}: another model, method or removal",
                other.model, other.method, self.model, self.method
            )));
        }
        for sums in &other.curves {
            match self.curves.iter_mut().find(|c| c.order == sums.order && c.split == sums.split) {
                Some(mine) => mine.merge(sums),
                None => self.curves.push(sums.clone()),
            }
        }
        for (class, (sum, &count)) in other.class_relevance.iter().zip(&other.class_inputs).enumerate() {
            if count == 0 {
                continue;
            }
            let mine = &mut self.class_relevance[class];
            if mine.is_empty() {
                *mine = vec![0.0; sum.len()];
            }
            mine.iter_mut().zip(sum).for_each(|(a, b)| *a += b);
            self.class_inputs[class] += count;
        }
        Ok(())
    }

    /// The sums of one order over the inputs of `splits`.
    fn sums(&self, order: Order, splits: &[Split]) -> Option<CurveSums> {
        let mut total: Option<CurveSums> = None;
        for c in self.curves.iter().filter(|c| c.order == Some(order) && c.split.is_some_and(|s| splits.contains(&s))) {
            match &mut total {
                Some(t) => t.merge(c),
                None => total = Some(c.clone()),
            }
        }
        total
    }

    /// The mean relevance map of each predicted class (empty where no input was).
    pub fn class_means(&self) -> Vec<Vec<f32>> {
        self.class_relevance
            .iter()
            .zip(&self.class_inputs)
            .map(|(sum, &n)| sum.iter().map(|s| (s / n.max(1) as f64) as f32).collect())
            .collect()
    }

    /// The figures, with the table read after `k_step` steps.
    pub fn report(&self, k_step: usize) -> Result<Report> {
        self.check()?;
        if k_step > self.steps() {
            return Err(Error::Input(format!("k: the table's step {k_step} is past the last step, {}", self.steps())));
        }
        let mut curves = vec![];
        let mut rows = vec![];
        for (split, splits) in ReportSplit::ALL.iter().map(|s| (*s, s.splits())) {
            let (morf, lerf, random) =
                (self.sums(Order::Morf, splits), self.sums(Order::Lerf, splits), self.sums(Order::Random, splits));
            for sums in [&morf, &lerf, &random].into_iter().flatten() {
                curves.push(MeanCurve {
                    order: sums.order.expect("set"),
                    split,
                    inputs: sums.inputs,
                    score: sums.mean(&sums.score),
                    probability: sums.mean(&sums.probability),
                    confidence: sums.mean(&sums.confidence),
                    flipped: sums.flipped.iter().map(|&f| f as f64 / sums.inputs.max(1) as f64).collect(),
                    strongest: sums.strongest.clone(),
                });
            }
            // The table reads the order that ranks by relevance first (the random order's own curve for `random`).
            let Some(main) = morf.as_ref().or(random.as_ref()) else { continue };
            if main.inputs == 0 {
                continue;
            }
            let confidence = main.mean(&main.confidence);
            let probability = main.mean(&main.probability);
            rows.push(Row {
                split,
                inputs: main.inputs,
                confidence_start: confidence[0],
                confidence_k: confidence[k_step],
                strongest_k: main.strongest[k_step] as f64,
                flipped_k: main.flipped[k_step] as f64 / main.inputs as f64,
                aopc: probability[0] - main.area(),
                relevance_gain: match (&morf, &lerf) {
                    (Some(m), Some(l)) => Some(l.area() - m.area()),
                    _ if random.is_some() => Some(0.0),
                    _ => None,
                },
                flip_rate: main.flips as f64 / main.inputs as f64,
                flip_pixels: (main.flips > 0).then(|| main.flip_pixels as f64 / main.flips as f64),
                confidence_sweep: confidence,
            });
        }
        Ok(Report {
            model: self.model.clone(),
            method: self.method.clone(),
            imputation: self.imputation,
            removed: self.removed.clone(),
            pixels: self.grid.pixels(),
            k_step,
            curves,
            rows,
        })
    }
}

/// The inputs a figure is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum ReportSplit {
    All,
    Correct,
    Incorrect,
}

impl ReportSplit {
    pub const ALL: [ReportSplit; 3] = [ReportSplit::All, ReportSplit::Correct, ReportSplit::Incorrect];

    fn splits(self) -> &'static [Split] {
        match self {
            ReportSplit::All => &[Split::Correct, Split::Incorrect, Split::Unlabelled],
            ReportSplit::Correct => &[Split::Correct],
            ReportSplit::Incorrect => &[Split::Incorrect],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ReportSplit::All => "all",
            ReportSplit::Correct => "correct",
            ReportSplit::Incorrect => "incorrect",
        }
    }
}

/// A curve averaged over the inputs of a split.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct MeanCurve {
    pub order: Order,
    pub split: ReportSplit,
    pub inputs: usize,
    pub score: Vec<f64>,
    pub probability: Vec<f64>,
    pub confidence: Vec<f64>,
    /// The fraction of inputs predicted otherwise than at step 0.
    pub flipped: Vec<f64>,
    pub strongest: Vec<f32>,
}

/// One line of the poster's table: a model × method over the inputs of a split,
/// read from the MoRF curves (the random order's own for `random`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub split: ReportSplit,
    pub inputs: usize,
    /// Mean confidence on the inputs themselves.
    pub confidence_start: f64,
    /// Mean confidence after the table's k pixels are removed.
    pub confidence_k: f64,
    /// The highest confidence of any input after k pixels (the poster's "strongest").
    pub strongest_k: f64,
    /// The fraction of inputs whose prediction has changed after k pixels.
    pub flipped_k: f64,
    /// AOPC on the target's probability (higher: the first pixels matter more).
    pub aopc: f64,
    /// LeRF area − MoRF area (0 for the random order; none without both curves).
    pub relevance_gain: Option<f64>,
    /// The fraction of inputs whose prediction changes within the schedule, and the
    /// mean pixels removed at their first change.
    pub flip_rate: f64,
    pub flip_pixels: Option<f64>,
    /// Mean confidence after each step.
    pub confidence_sweep: Vec<f64>,
}

/// The figures of one model × method.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub model: String,
    pub method: String,
    pub imputation: Imputation,
    /// Pixels removed at each step, of `pixels`.
    pub removed: Vec<usize>,
    pub pixels: usize,
    /// The step the rows' "after k" figures are read at.
    pub k_step: usize,
    pub curves: Vec<MeanCurve>,
    pub rows: Vec<Row>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(probability: &[f32], prediction: &[usize]) -> Curve {
        Curve {
            removed: vec![0, 10, 20],
            score: probability.iter().map(|p| 10.0 * p).collect(),
            probability: probability.to_vec(),
            confidence: probability.to_vec(),
            prediction: prediction.to_vec(),
        }
    }

    const GRID: Grid = Grid { channels: 1, height: 2, width: 20 };

    fn tally() -> Tally {
        let t = Tally::new("m", "epsilon", Imputation::Zero, Schedule { steps: 2, step_pixels: 10 }, &GRID, 3);
        assert_eq!(t.removed, [0, 10, 20]);
        t
    }

    #[test]
    fn the_table_by_hand_and_tallies_add_up_in_any_grouping() {
        let inputs = [
            (Split::Correct, curve(&[0.9, 0.5, 0.1], &[1, 1, 2]), curve(&[0.9, 0.9, 0.6], &[1, 1, 1])),
            (Split::Correct, curve(&[0.7, 0.7, 0.4], &[0, 0, 0]), curve(&[0.7, 0.8, 0.8], &[0, 0, 0])),
            (Split::Incorrect, curve(&[0.6, 0.2, 0.2], &[2, 1, 1]), curve(&[0.6, 0.6, 0.3], &[2, 2, 0])),
        ];
        let mut whole = tally();
        let mut parts = [tally(), tally()];
        for (i, (split, morf, lerf)) in inputs.iter().enumerate() {
            for t in [&mut whole, &mut parts[i % 2]] {
                t.add_curve(Order::Morf, *split, morf);
                t.add_curve(Order::Lerf, *split, lerf);
                let mut map = vec![0.0; 40];
                map[..4].copy_from_slice(&[i as f32, 1.0, 0.0, -1.0]);
                t.add_relevance(i % 2, &map);
            }
        }
        let mut merged = parts[1].clone();
        merged.merge(&parts[0]).unwrap();
        let (a, b) = (whole.report(1).unwrap(), merged.report(1).unwrap());
        assert_eq!(a.rows.len(), 3);
        for (x, y) in a.rows.iter().zip(&b.rows) {
            assert_eq!(x.split, y.split);
            assert!((x.aopc - y.aopc).abs() < 1e-12 && (x.confidence_k - y.confidence_k).abs() < 1e-12);
        }
        let correct = &a.rows[1];
        assert_eq!((correct.split, correct.inputs), (ReportSplit::Correct, 2));
        assert!((correct.confidence_start - 0.8).abs() < 1e-6);
        assert!((correct.confidence_k - 0.6).abs() < 1e-6, "(0.5 + 0.7) / 2");
        assert!((correct.strongest_k - 0.7).abs() < 1e-6);
        // AOPC: mean p₀ 0.8 − mean area ((0.9+0.5+0.1)/3 + (0.7+0.7+0.4)/3) / 2 = 0.8 − 0.55.
        assert!((correct.aopc - 0.25).abs() < 1e-6, "{}", correct.aopc);
        // Gain: LeRF areas (2.4/3 + 2.3/3) / 2 − 0.55.
        assert!((correct.relevance_gain.unwrap() - (4.7 / 6.0 - 0.55)).abs() < 1e-6);
        assert_eq!((correct.flip_rate, correct.flip_pixels), (0.5, Some(20.0)));
        let incorrect = &a.rows[2];
        assert_eq!((incorrect.inputs, incorrect.flipped_k, incorrect.flip_pixels), (1, 1.0, Some(10.0)));
        let all = &a.rows[0];
        assert_eq!(all.inputs, 3);
        assert!((all.confidence_k - (0.5 + 0.7 + 0.2) / 3.0).abs() < 1e-6);
        // Class means: class 0 had inputs 0 and 2, class 1 input 1.
        assert_eq!(whole.class_means()[0][..5], [1.0, 1.0, 0.0, -1.0, 0.0]);
        assert_eq!(merged.class_means()[1][..5], [1.0, 1.0, 0.0, -1.0, 0.0]);
        assert!(whole.class_means()[2].is_empty());
        assert!(whole.report(3).is_err(), "step past the end");
        let mut other = Tally::new("m", "gamma", Imputation::Zero, Schedule { steps: 2, step_pixels: 10 }, &GRID, 3);
        assert!(other.merge(&whole).is_err(), "another method");
    }

    /// A tally that does not hold together (as JavaScript could hand back) is refused,
    /// never read past its end.
    #[test]
    fn a_broken_tally_is_refused() {
        let mut t = tally();
        t.add_curve(Order::Morf, Split::Correct, &curve(&[0.9, 0.5, 0.1], &[1, 1, 2]));
        assert!(t.report(2).is_ok());
        let breaks: [fn(&mut Tally); 7] = [
            |t| t.curves[0].strongest.pop().map(|_| ()).unwrap(),
            |t| t.curves[0].order = None,
            |t| t.removed.clear(),
            |t| t.schedule.steps = 7,
            |t| t.schedule.step_pixels = 0,
            |t| t.class_relevance[1] = vec![1.0; 3],
            |t| t.curves[0].flipped[1] = 5,
        ];
        for (i, broken) in breaks.iter().enumerate() {
            let mut b = t.clone();
            broken(&mut b);
            assert!(b.report(0).is_err(), "break {i} was read");
            assert!(t.clone().merge(&b).is_err(), "break {i} was merged");
        }
    }
}
