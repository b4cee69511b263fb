//! Reading data sets: MNIST's IDX format.

pub mod idx;
