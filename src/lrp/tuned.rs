//! Tuned parameters: for each model and rule, the values that maximised the symmetric
//! relevance gain on MNIST test digits, as `lrp tune --out data/tuned` wrote them
//! (data/tuned/tune.md says on which digits and how much they gain). Embedded, so that
//! `methods(model)` can offer them; values that do not fit the method are left out.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::method::{Method, Params};
use crate::model::Model;

const FILE: &str = include_str!("../../data/tuned/tuned.json");

/// Model → method → parameter → value.
type Values = BTreeMap<String, BTreeMap<String, BTreeMap<String, f64>>>;

#[derive(Deserialize)]
struct Tuned {
    models: Values,
}

fn all() -> &'static Values {
    static TUNED: OnceLock<Values> = OnceLock::new();
    // A file that does not parse offers nothing (tests/registry.rs checks that it parses).
    TUNED.get_or_init(|| serde_json::from_str::<Tuned>(FILE).map(|t| t.models).unwrap_or_default())
}

/// The tuned values of `method` on `model`, if there are any that the method takes.
pub fn tuned(model: &Model, method: &str) -> Option<BTreeMap<String, f64>> {
    let values = all().get(model.name())?.get(method)?;
    let mut params = Params::default();
    for (name, &value) in values {
        params.values.set(name, value).ok()?;
    }
    Method::parse(method, &params, model).ok().map(|_| values.clone())
}

/// Whether the embedded file parses (for the tests).
pub fn parses() -> bool {
    serde_json::from_str::<Tuned>(FILE).is_ok()
}
