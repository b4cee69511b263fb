//! Do the pixels a method calls relevant really carry the decision? The starting
//! poster's experiment: remove pixels in the order a method ranks them and watch the
//! model's answer ([`removal`], [`curve`]), over many inputs ([`run`], [`tally`]).
//!
//! Definitions, used everywhere (the README states them with every table):
//! - **confidence**: the poster's (max − 2nd max) / max, on the softmax
//!   probabilities ([`confidence`]), in [0, 1];
//! - **MoRF / LeRF / random**: pixels removed most relevant first, least relevant
//!   first, or in a seeded random order;
//! - **AOPC** (Samek et al. 2017): the mean over the steps 0..L of the MoRF curve of
//!   `p(x⁽⁰⁾) − p(x⁽ᵏ⁾)`, `p` the target's probability;
//! - **symmetric relevance gain** (Blücher et al. 2024): the mean LeRF probability
//!   minus the mean MoRF probability (the areas under the curves).

pub mod confidence;
pub mod curve;
pub mod removal;
pub mod run;
pub mod selection;
pub mod tally;

pub use confidence::{confidence, raw_confidence, softmax};
pub use curve::{argmax, curves, relevance_gain, Curve, Flip, Removal};
pub use removal::{Grid, Imputation, Order, Schedule};
pub use run::{evaluate, InputCurves, Ranking};
pub use tally::{Report, ReportSplit, Split, Tally};
