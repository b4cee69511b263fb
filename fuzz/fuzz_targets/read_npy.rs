//! `read_npy`: `Npy::parse` on any bytes returns Ok or Err without panicking or
//! allocating more than the data it was given warrants; an array it reads has as many
//! values as its shape says, and writing it with `Npy::to_bytes` and parsing that
//! gives back the same shape and the same values, bit for bit (NaNs included).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lrp::data::npy::Npy;

fuzz_target!(|data: &[u8]| {
    let Ok(npy) = Npy::parse(data) else { return };
    assert_eq!(Some(npy.data.len()), npy.shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)));
    let bytes = npy.to_bytes();
    let again = Npy::parse(&bytes).unwrap_or_else(|e| panic!("to_bytes wrote a file parse refuses: {e}"));
    assert_eq!(again.shape, npy.shape);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&again.data), bits(&npy.data));
});
