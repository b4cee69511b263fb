//! `read_png`: `png::decode(bytes, 1 << 16)` on any bytes returns Ok or Err without
//! panicking; an image it decodes is at most 65,536 pixels, has one grey level per
//! pixel, and every grey level is in [0, 1].
#![no_main]

use libfuzzer_sys::fuzz_target;
use lrp::data::png::decode;

const MAX_PIXELS: usize = 1 << 16;

fuzz_target!(|data: &[u8]| {
    let Ok(grey) = decode(data, MAX_PIXELS) else { return };
    assert!(grey.width.checked_mul(grey.height).is_some_and(|n| n <= MAX_PIXELS), "{}×{}", grey.width, grey.height);
    assert_eq!(grey.pixels.len(), grey.width * grey.height);
    assert!(grey.pixels.iter().all(|v| (0.0..=1.0).contains(v)), "grey levels out of [0, 1]");
});
