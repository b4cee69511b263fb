//! Reading and writing data: MNIST's IDX files, NumPy's .npy arrays and PNG images
//! (the last two natively only: the module receives typed arrays).

pub mod idx;
#[cfg(not(target_arch = "wasm32"))]
pub mod npy;
#[cfg(not(target_arch = "wasm32"))]
pub mod png;

/// The MNIST test split committed with the repository, found from the repository
/// (where this crate was built), not from the working directory.
#[cfg(not(target_arch = "wasm32"))]
pub const MNIST_TEST_IMAGES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist/t10k-images-idx3-ubyte.gz");
#[cfg(not(target_arch = "wasm32"))]
pub const MNIST_TEST_LABELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist/t10k-labels-idx1-ubyte.gz");
