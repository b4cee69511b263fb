"""weights/<name>.safetensors + weights/<name>.json: the one format the Rust core,
the reference scripts and any PyTorch user share.

The JSON lists the layers in order with their PyTorch type, constructor arguments
and tensor names/shapes; the safetensors file holds the tensors in PyTorch layout
(Linear [out, in], Conv2d [out, in, kh, kw]). The shipped models store float16, which
halves the embedded size; every consumer computes in float32 from these float16
values, so the shipped model is exactly what is measured. The tensor dtype is read
from the safetensors header (there is no "dtype" key in the JSON): test models
(tests/fixtures/lrp/models/) store float32."""
import json
import pathlib

import torch
from safetensors.torch import load_file, save_file
from torch import nn

WEIGHTS = pathlib.Path(__file__).resolve().parent.parent / "weights"
FORMAT = "lrp-model/1"


def _pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def _check_defaults(index, layer, **expected):
    """The format has no keys for these arguments: they must have PyTorch's default values."""
    for key, value in expected.items():
        actual = getattr(layer, key)
        if (_pair(actual) if isinstance(value, list) else actual) != value:
            raise ValueError(f"layer {index}: {type(layer).__name__} {key}={actual!r} is not supported "
                             f"(only {value!r})")


def describe_layer(index, layer):
    kind = type(layer).__name__
    if isinstance(layer, nn.Conv2d):
        _check_defaults(index, layer, groups=1, dilation=[1, 1], padding_mode="zeros")
        if isinstance(layer.padding, str):
            raise ValueError(f"layer {index}: Conv2d padding={layer.padding!r} is not supported (use numbers)")
    elif isinstance(layer, nn.MaxPool2d):
        _check_defaults(index, layer, dilation=[1, 1], ceil_mode=False, return_indices=False)
    elif isinstance(layer, nn.AvgPool2d):
        _check_defaults(index, layer, ceil_mode=False, count_include_pad=True, divisor_override=None)
    if isinstance(layer, nn.Linear):
        spec = {"in_features": layer.in_features, "out_features": layer.out_features}
    elif isinstance(layer, nn.Conv2d):
        spec = {"in_channels": layer.in_channels, "out_channels": layer.out_channels,
                "kernel_size": _pair(layer.kernel_size), "stride": _pair(layer.stride),
                "padding": _pair(layer.padding)}
    elif isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        spec = {"kernel_size": _pair(layer.kernel_size),
                "stride": _pair(layer.stride or layer.kernel_size),
                "padding": _pair(layer.padding)}
    elif isinstance(layer, (nn.ReLU, nn.Flatten)):
        spec = {}
    else:
        raise TypeError(f"layer {index}: {kind} is not supported")
    entry = {"type": kind, **spec}
    tensors = {n: {"name": f"{index}.{n}", "shape": list(p.shape)}
               for n, p in layer.named_parameters(recurse=False)}
    if tensors:
        entry["tensors"] = tensors
    return entry


def rebuild_layer(entry):
    kind = entry["type"]
    args = {k: v for k, v in entry.items() if k not in ("type", "tensors")}
    for key in ("kernel_size", "stride", "padding"):
        if key in args:
            args[key] = tuple(args[key])
    return getattr(nn, kind)(**args)


def save(name, model, card, directory=WEIGHTS, *, dtype=torch.float16, input_shape=(1, 28, 28), classes=None):
    """Rounds the parameters to `dtype` (float16 for the shipped models, float32 for test
    models), writes both files and returns the rounded model. `classes` defaults to the
    ten digits "0".."9"."""
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(dtype).contiguous() for k, v in model.state_dict().items()}
    save_file(state, directory / f"{name}.safetensors", metadata={"format": "pt"})
    description = {
        "format": FORMAT,
        "name": name,
        "input_shape": list(input_shape),
        "input_range": [0.0, 1.0],
        "classes": [str(d) for d in range(10)] if classes is None else [str(c) for c in classes],
        "weights": f"{name}.safetensors",
        "layers": [describe_layer(i, layer) for i, layer in enumerate(model)],
        "card": card,
    }
    (directory / f"{name}.json").write_text(json.dumps(description, indent=2) + "\n")
    return load(name, directory)


def load(name, directory=WEIGHTS):
    """Rebuilds a float32 nn.Sequential from weights/<name>.{json,safetensors}."""
    directory = pathlib.Path(directory)
    description = json.loads((directory / f"{name}.json").read_text())
    model = nn.Sequential(*[rebuild_layer(e) for e in description["layers"]])
    state = {k: v.to(torch.float32) for k, v in load_file(directory / description["weights"]).items()}
    model.load_state_dict(state, strict=True)
    return model.eval(), description
