"""weights/<name>.safetensors + weights/<name>.json: the one format the Rust core,
the reference scripts and any PyTorch user share.

The JSON lists the layers in order with their PyTorch type, constructor arguments
and tensor names/shapes; the safetensors file holds the tensors in PyTorch layout
(Linear [out, in], Conv2d [out, in, kh, kw]). The shipped models store their weights
as int8 with one float32 scale per output (per row, per output channel): weight
[o, ...] = q[o, ...] * scale[o], a quarter of the float32 size, and biases as float16.
Every consumer computes in float32 from exactly these values (the product q * scale
is one float32 multiplication, the same in PyTorch and in Rust), so the shipped model
is exactly what is measured. The tensor dtype is read from the safetensors header
(there is no "dtype" key in the JSON); an int8 tensor's JSON entry names its scales
("scale"). Test models (tests/fixtures/lrp/models/) store float32."""
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


def describe_layer(index, layer, scales=None):
    """The JSON entry of a layer; `scales` maps the names of int8 tensors to their scales'."""
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
    for tensor in tensors.values():
        if tensor["name"] in (scales or {}):
            tensor["scale"] = scales[tensor["name"]]
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


# What the shipped models store, for their model cards.
INT8_STORAGE = ("weights: int8 with one float32 scale per output (symmetric: the largest |weight| of the "
                "output maps to 127); biases: float16; computed in float32")


def quantize(weight):
    """int8 values and float32 scales, one per output (the first axis), of a float tensor."""
    flat = weight.detach().to(torch.float32).reshape(weight.shape[0], -1)
    scale = flat.abs().amax(dim=1) / 127
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))  # an output with no weights
    q = torch.round(flat / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return q.reshape(weight.shape).contiguous(), scale.contiguous()


def dequantize(q, scale):
    return q.to(torch.float32) * scale.to(torch.float32).reshape(-1, *[1] * (q.dim() - 1))


def save(name, model, card, directory=WEIGHTS, *, dtype=torch.float16, int8=True, input_shape=(1, 28, 28),
         classes=None):
    """Writes both files and returns the model as stored: weights (tensors of two or more
    axes) as int8 with scales unless `int8` is False, the rest rounded to `dtype`. The
    shipped models use the defaults; test models store float32 (int8=False,
    dtype=torch.float32). `classes` defaults to the ten digits "0".."9"."""
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state, scales = {}, {}
    for key, value in model.state_dict().items():
        if int8 and value.dim() >= 2:
            state[key], state[f"{key}_scale"] = quantize(value)
            scales[key] = f"{key}_scale"
        else:
            state[key] = value.detach().to(dtype).contiguous()
    save_file(state, directory / f"{name}.safetensors", metadata={"format": "pt"})
    description = {
        "format": FORMAT,
        "name": name,
        "input_shape": list(input_shape),
        "input_range": [0.0, 1.0],
        "classes": [str(d) for d in range(10)] if classes is None else [str(c) for c in classes],
        "weights": f"{name}.safetensors",
        "layers": [describe_layer(i, layer, scales) for i, layer in enumerate(model)],
        "card": card,
    }
    (directory / f"{name}.json").write_text(json.dumps(description, indent=2) + "\n")
    return load(name, directory)


def load(name, directory=WEIGHTS):
    """Rebuilds a float32 nn.Sequential from weights/<name>.{json,safetensors}."""
    directory = pathlib.Path(directory)
    description = json.loads((directory / f"{name}.json").read_text())
    model = nn.Sequential(*[rebuild_layer(e) for e in description["layers"]])
    stored = load_file(directory / description["weights"])
    state = {}
    for index, entry in enumerate(description["layers"]):
        for role, tensor in entry.get("tensors", {}).items():
            value = stored[tensor["name"]]
            state[f"{index}.{role}"] = dequantize(value, stored[tensor["scale"]]) if "scale" in tensor \
                else value.to(torch.float32)
    model.load_state_dict(state, strict=True)
    return model.eval(), description
