//! Reading and writing data: the IDX files of MNIST and Fashion-MNIST, NumPy's .npy arrays and PNG images
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

/// The test split of a data set a model names (`ModelSpec::dataset`), if the
/// repository holds it: (images, labels) IDX files.
#[cfg(not(target_arch = "wasm32"))]
pub fn test_split(dataset: &str) -> Option<(&'static str, &'static str)> {
    match dataset {
        "mnist" => Some((MNIST_TEST_IMAGES, MNIST_TEST_LABELS)),
        "fashion-mnist" => Some((
            concat!(env!("CARGO_MANIFEST_DIR"), "/data/fashion-mnist/t10k-images-idx3-ubyte.gz"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/data/fashion-mnist/t10k-labels-idx1-ubyte.gz"),
        )),
        _ => None,
    }
}
