//! `read_idx`: `Idx::from_file_bytes` on any bytes, gzipped (they start with the gzip
//! magic) or raw, returns Ok or Err without panicking or unpacking past its limit;
//! a file it reads has as many bytes of data as its dimensions say, and every
//! accessor the CLI uses on it (`len`, `item_len`, `to_unit_f32`) works.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lrp::data::idx::Idx;

fuzz_target!(|data: &[u8]| {
    let Ok(idx) = Idx::from_file_bytes(data) else { return };
    assert!(!idx.dims.is_empty());
    // As many bytes as the dimensions say: none if one of them is 0 (whatever the
    // others multiply to), else their product.
    let size = if idx.dims.contains(&0) { Some(0) } else { idx.dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d)) };
    assert_eq!(Some(idx.data.len()), size);
    assert_eq!(idx.len(), idx.dims[0]);
    assert_eq!(idx.is_empty(), idx.dims[0] == 0);
    let item = idx.item_len();
    if !idx.is_empty() {
        assert_eq!(item * idx.len(), idx.data.len());
    }
    let unit = idx.to_unit_f32();
    assert_eq!(unit.len(), idx.data.len());
    assert!(unit.iter().all(|v| (0.0..=1.0).contains(v)));
    // Raw files read the same through `parse`.
    if !data.starts_with(&[0x1f, 0x8b]) {
        assert_eq!(Idx::parse(data).as_ref(), Ok(&idx));
    }
});
