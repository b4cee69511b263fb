#![allow(dead_code)]

use lrp::data::idx::Idx;

pub const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist");

/// The official MNIST test split: pixels in [0, 1] (10,000 × 784) and labels.
pub fn test_split() -> (Vec<f32>, Vec<u8>) {
    let images = Idx::open(format!("{DATA}/t10k-images-idx3-ubyte.gz")).expect("test images");
    let labels = Idx::open(format!("{DATA}/t10k-labels-idx1-ubyte.gz")).expect("test labels");
    assert_eq!(images.dims, vec![10_000, 28, 28]);
    assert_eq!(labels.dims, vec![10_000]);
    (images.to_unit_f32(), labels.data)
}
