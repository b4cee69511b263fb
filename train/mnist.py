"""Reading the official MNIST IDX files (gzip or raw) that live in data/mnist/."""
import gzip
import pathlib

import numpy as np

DATA = pathlib.Path(__file__).resolve().parent.parent / "data" / "mnist"


def read_idx(path):
    raw = pathlib.Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_split(split):
    """Images as float32 in [0, 1], shape (N, 1, 28, 28), and labels as int64."""
    prefix = {"train": "train", "test": "t10k"}[split]
    images = read_idx(DATA / f"{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(DATA / f"{prefix}-labels-idx1-ubyte.gz")
    return (images.astype(np.float32) / 255.0)[:, None], labels.astype(np.int64)
