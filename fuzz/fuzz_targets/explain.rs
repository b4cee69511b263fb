//! `explain`: `lrp::explain_conditioned` on an embedded model, with any method that parses (see
//! `parse_params`), an input of the model's length made from arbitrary bytes mapped
//! into the model's input range, one or two inputs per batch, any target (predicted,
//! or a class, possibly out of range), either output relevance, with or without
//! `zero_bias`, and any CRP conditions (layers and channels in range or not). It must
//! return Ok or Err without panicking; when it returns Ok, every relevance value (the
//! input's, each layer's and the books) is finite and shaped as the model says.
//!
//! To keep an execution near a millisecond, the harness skips SmoothGrad and
//! Integrated Gradients with more than `MAX_PASSES` (50) samples or steps, occlusion
//! with a stride under 2 on the CNN, and anything whose passes × inputs × cost of a
//! forward pass exceeds `MAX_EXPLAIN_WORK` (10⁷ multiply-adds): the library accepts
//! them, they are only slow. The body is `fuzz_support::explain_input`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: fuzz_support::ExplainInput| {
    fuzz_support::explain_input(&input);
});
