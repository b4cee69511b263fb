"""weights/<name>.safetensors + weights/<name>.json for the shipped models, written by
export/lrp_export.py (the one writer of the model format, which any PyTorch user can
call too; see its docstring for the format).

The shipped models store their weights as int8 with one float32 scale per output and
their biases as float16: every consumer computes in float32 from exactly these values
(q * scale is one float32 multiplication, the same in PyTorch and in Rust), so the
shipped model is exactly what is measured. Test models (tests/fixtures/lrp/models/)
store float32."""
import pathlib
import sys

import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "export"))
import lrp_export  # noqa: E402

WEIGHTS = ROOT / "weights"
INT8_STORAGE = lrp_export.INT8_STORAGE.format(bias="float16")


def save(name, model, card, directory=WEIGHTS, *, dtype=torch.float16, int8=True, input_shape=(1, 28, 28),
         classes=None, dataset=None):
    """Writes both files and returns (the model as stored, its description). Weights
    are int8 with scales unless `int8` is False (then float32); biases are `dtype`.
    `classes` defaults to the ten digits "0".."9"."""
    path = pathlib.Path(directory) / f"{name}.json"
    lrp_export.export(model, path, input_shape, (0.0, 1.0), classes, name=name, card=card, dataset=dataset, int8=int8,
                      bias_dtype=dtype)
    return lrp_export.load(path)


def load(name, directory=WEIGHTS):
    """Rebuilds a float32 nn.Sequential from weights/<name>.{json,safetensors}."""
    return lrp_export.load(pathlib.Path(directory) / f"{name}.json")
