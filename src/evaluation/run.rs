//! One evaluation step: a batch of inputs, one model, one ranking of the pixels.
//! The CLI runs it over a data set in parallel batches, the page over slices of the
//! test split in a pool of Web Workers; both add up the [`Tally`]s it returns.

use ndarray::Axis;
use serde::Serialize;

use super::curve::{curves, Curve, Removal};
use super::removal::{Grid, Order};
use super::tally::{Split, Tally};
use crate::lrp::{explain, Method, Options};
use crate::model::Model;
use crate::{Error, Result};

/// What ranks the pixels: an explanation method (MoRF and LeRF on its relevance), or
/// nothing (the random order, the reference every method is compared with).
#[derive(Debug, Clone, PartialEq)]
pub enum Ranking {
    Method { name: String, method: Method },
    Random,
}

impl Ranking {
    pub fn name(&self) -> &str {
        match self {
            Ranking::Method { name, .. } => name,
            Ranking::Random => "random",
        }
    }

    /// The orders it is evaluated with.
    pub fn orders(&self) -> &'static [Order] {
        match self {
            Ranking::Method { .. } => &[Order::Morf, Order::Lerf],
            Ranking::Random => &[Order::Random],
        }
    }
}

/// One input's results: its curves (one per order) and where it first flipped.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct InputCurves {
    /// Its place in the data set.
    pub index: u64,
    pub label: Option<u8>,
    /// The class predicted and explained.
    pub prediction: usize,
    pub curves: Vec<(Order, Curve)>,
}

/// Evaluates `ranking` on a batch of `inputs` (flat, one after another) for `model`:
/// each input's prediction is explained (LRP with the score as output relevance, the
/// method's defaults otherwise as given), its pixels removed in the ranking's orders,
/// and the curves tallied by split (`labels`, one per input, if known). `first_index`
/// is the batch's place in the data set: random orders and noise depend on it, so
/// any batching gives the same numbers (an index past u64::MAX wraps around: it only
/// names a random stream). With `keep`, each input's curves come back too.
pub fn evaluate(
    model: &Model,
    ranking: &Ranking,
    inputs: &[f32],
    labels: Option<&[u8]>,
    removal: &Removal,
    first_index: u64,
    keep: bool,
) -> Result<(Tally, Vec<InputCurves>)> {
    let grid = Grid::of(&model.spec().input_shape)?;
    let schedule = removal.schedule.check(&grid)?;
    let batch = model.batch(inputs)?;
    let n = batch.shape()[0];
    if let Some(labels) = labels {
        if labels.len() != n {
            return Err(Error::Input(format!("labels: expected one per input ({n}), got {}", labels.len())));
        }
        if let Some(i) = labels.iter().position(|&l| l as usize >= model.classes().len()) {
            return Err(Error::Input(format!(
                "labels[{i}]: expected a class from 0 to {}, got {}",
                model.classes().len() - 1,
                labels[i]
            )));
        }
    }
    let mut tally =
        Tally::new(model.name(), ranking.name(), removal.imputation, schedule, &grid, model.classes().len());
    let (relevance, predictions) = match ranking {
        Ranking::Method { method, .. } => {
            let e = explain(model, batch.clone(), method, &Options::default())?;
            (e.relevance, e.predictions)
        }
        Ranking::Random => {
            let predictions = model.scores(batch.clone())?.axis_iter(Axis(0)).map(|row| super::argmax(&row)).collect();
            (batch.clone(), predictions)
        }
    };
    let label = |i: usize| labels.map(|l| l[i]);
    let mut kept: Vec<InputCurves> = if keep {
        (0..n)
            .map(|i| InputCurves {
                index: first_index.wrapping_add(i as u64),
                label: label(i),
                prediction: predictions[i],
                curves: vec![],
            })
            .collect()
    } else {
        vec![]
    };
    for &order in ranking.orders() {
        let curves = curves(model, &batch, &relevance, &predictions, order, removal, first_index)?;
        for (i, curve) in curves.into_iter().enumerate() {
            tally.add_curve(order, Split::of(predictions[i], label(i)), &curve);
            if keep {
                kept[i].curves.push((order, curve));
            }
        }
    }
    if matches!(ranking, Ranking::Method { .. }) {
        for (i, map) in relevance.axis_iter(Axis(0)).enumerate() {
            tally.add_relevance(predictions[i], map.as_standard_layout().as_slice().expect("standard layout"));
        }
    }
    Ok((tally, kept))
}
