//! Many inputs on every core: consecutive chunks are worked on in parallel (rayon) and
//! their results handed on in order, a window of chunks at a time, so that memory
//! stays bounded whatever the number of inputs. Ctrl-C stops at the next chunk.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use indicatif::{ProgressBar, ProgressStyle};
use lrp::Error;
use rayon::prelude::*;

static STOP: OnceLock<AtomicBool> = OnceLock::new();

/// Whether Ctrl-C was pressed (after the first call, which installs the handler).
pub fn stopped() -> bool {
    STOP.get_or_init(|| {
        // Without a terminal (or a second handler) Ctrl-C simply ends the process.
        let _ = ctrlc::set_handler(|| {
            if STOP.get().is_some_and(|stop| stop.swap(true, Ordering::SeqCst)) {
                std::process::exit(130);
            }
            eprintln!("\nstopping after the work in progress (Ctrl-C again to quit at once)");
        });
        AtomicBool::new(false)
    })
    .load(Ordering::SeqCst)
}

/// Calls `work` on chunks of `chunk` inputs of `0..count` in parallel (the model's
/// `preferred_batch`) and `sink` on each result in order. Returns `Ok(false)` if
/// Ctrl-C stopped it first (what `sink` got is complete).
pub fn in_order<T: Send>(
    count: usize,
    chunk: usize,
    work: impl Fn(Range<usize>) -> Result<T, Error> + Sync,
    mut sink: impl FnMut(Range<usize>, T) -> Result<(), Error>,
) -> Result<bool, Error> {
    let chunk = chunk.max(1);
    let chunks: Vec<Range<usize>> = (0..count).step_by(chunk).map(|s| s..(s + chunk).min(count)).collect();
    let window = 4 * rayon::current_num_threads();
    for group in chunks.chunks(window) {
        if stopped() {
            return Ok(false);
        }
        let results: Vec<Result<T, Error>> = group.par_iter().map(|range| work(range.clone())).collect();
        for (range, result) in group.iter().zip(results) {
            sink(range.clone(), result?)?;
        }
    }
    Ok(!stopped())
}

/// A progress bar on standard error with the time left, hidden when it is not a terminal.
pub fn progress(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg:<28} [{bar:30}] {pos}/{len} {per_sec} {eta} left")
            .expect("template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}
