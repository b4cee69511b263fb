//! `parse_params`: `Method::parse(name, params, model)` for any method name (from the
//! registry or any string), any parameter values (names from `params::ALL` or any
//! string; values in range, at its edges, or any double), any per-layer rule names,
//! on each embedded model. It must return Ok or Err without panicking, and a method
//! it builds must be well-formed: every value in its rules finite, a rule on exactly
//! the layers with parameters, baselines with positive counts. The body is
//! `fuzz_support::parse_params`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: fuzz_support::ParseParamsInput| {
    fuzz_support::parse_params(&input);
});
