//! `evaluate`: the feature-removal evaluation (`lrp::evaluation::evaluate`) of one or
//! two inputs, on an embedded model, with any method that parses or the random order,
//! any removal, any schedule (steps and pixels per step, most of them refused), seed,
//! place in the data set and labels (out-of-range classes included), then the report
//! read after any step. It must return Ok or Err without panicking; when it returns
//! Ok, every curve has its steps, probabilities and confidences in [0, 1] and finite
//! scores, and the report covers every input. The harness skips (as `explain` does)
//! methods too slow for a fuzzer and schedules of more than 64 forward passes per
//! input and order. The body is `fuzz_support::evaluate_input`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: fuzz_support::EvaluateInput| {
    fuzz_support::evaluate_input(&input);
});
