"""Reading the IDX files (gzip or raw) of the data sets the models are trained on:
MNIST (all four files in data/mnist/) and Fashion-MNIST (the test split in
data/fashion-mnist/, the training split from the Debian package dataset-fashion-mnist)."""
import gzip
import pathlib

import numpy as np

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"
# Where each data set's files are looked for, in order.
DIRECTORIES = {
    "mnist": [DATA / "mnist"],
    "fashion-mnist": [DATA / "fashion-mnist", pathlib.Path("/usr/share/datasets/fashion-mnist")],
}
CLASSES = {
    "mnist": [str(d) for d in range(10)],
    "fashion-mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
}


def read_idx(path):
    raw = pathlib.Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _find(dataset, name):
    for directory in DIRECTORIES[dataset]:
        if (directory / name).exists():
            return directory / name
    hint = " (apt-get install dataset-fashion-mnist)" if dataset == "fashion-mnist" else ""
    raise FileNotFoundError(f"{name} of {dataset} is in none of {[str(d) for d in DIRECTORIES[dataset]]}{hint}")


def load_split(split, dataset="mnist"):
    """Images as float32 in [0, 1], shape (N, 1, 28, 28), and labels as int64."""
    prefix = {"train": "train", "test": "t10k"}[split]
    images = read_idx(_find(dataset, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(_find(dataset, f"{prefix}-labels-idx1-ubyte.gz"))
    return (images.astype(np.float32) / 255.0)[:, None], labels.astype(np.int64)
