//! Reading and writing data: MNIST's IDX files and NumPy's .npy arrays.

pub mod idx;
pub mod npy;
