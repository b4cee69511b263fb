"""Export a PyTorch classifier to the LRP explainer's model format, a JSON description
beside a safetensors file, which the page, the `lrp` command and the wasm module load.
Needs only torch and safetensors; copy this file next to your code.

    from lrp_export import export
    export(model, "my-net.json", input_shape=(3, 32, 32), input_range=(0, 1),
           class_names=["plane", "car", ...])      # writes my-net.json + my-net.safetensors

`model` is an nn.Sequential (nested ones are flattened) of Linear, Conv2d (any stride
and padding; groups 1, no dilation), ReLU, MaxPool2d, AvgPool2d, Flatten, BatchNorm1d/2d
and Dropout. BatchNorm (with its running statistics, as in eval mode) is merged into
the Linear or Conv2d before it, as Zennit's SequentialMergeBatchNorm canonizer does, so
the exported network computes the same function and gets the same explanations.
Dropout is the identity at test time and is left out. Anything else is refused with
a message naming the layer. Layers are numbered in the description as exported
(after merging and dropping), and tensors named `<index>.weight`, `<index>.bias`.

The description lists the layers in order with their PyTorch type and arguments and
their tensors' names and shapes; the safetensors file holds the tensors in PyTorch
layout (Linear [out, in], Conv2d [out, in, kh, kw]). Weights are float32 by default;
`int8=True` stores each weight as int8 with one float32 scale per output (its largest
|weight| maps to 127), a quarter of the size: element [o, ...] is q[o, ...] * scale[o],
computed in float32 by every reader, and the JSON entry names the scales ("scale").
"""
import json
import math
import pathlib

import torch
from safetensors.torch import load_file, save_file
from torch import nn

FORMAT = "lrp-model/1"
SUPPORTED = "Linear, Conv2d, ReLU, MaxPool2d, AvgPool2d, Flatten, BatchNorm1d, BatchNorm2d, Dropout"
INT8_STORAGE = ("weights: int8 with one float32 scale per output (symmetric: the largest |weight| of the "
                "output maps to 127); biases: {bias}; computed in float32")


class ExportError(ValueError):
    """The model cannot be expressed in the format; the message names the layer."""


def export(model, path, input_shape, input_range=(0.0, 1.0), class_names=None, *, name=None, card=None,
           dataset=None, int8=False, bias_dtype=torch.float32):
    """Writes `path` (the JSON description) and the safetensors file beside it, and
    returns the network as stored: an nn.Sequential in float32, in eval mode.

    input_shape: one input without the batch axis, e.g. (1, 28, 28) or (784,).
    input_range: the (low, high) the inputs lie in; the z^B rule uses it as its bounds.
    class_names: one per output (default "0", "1", ...).
    dataset: the data set it was trained on, if the explainer knows it ("mnist",
      "fashion-mnist"): `test:N` then means that split's image N.
    card: extra model-card entries, e.g. {"test_correct": 9123, "test_total": 10000,
      "training": {...}}; "parameters" and "storage" are filled in."""
    path = pathlib.Path(path)
    if path.suffix != ".json":
        raise ExportError(f"{path}: the description's file name must end in .json")
    name = name or path.stem
    input_shape = [int(d) for d in input_shape]
    low, high = (float(v) for v in input_range)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ExportError(f"input_range {input_range!r} is not an interval low < high")
    layers = prepare(model)
    with torch.no_grad():
        try:
            outputs = nn.Sequential(*layers)(torch.zeros(1, *input_shape)).shape[1:]
        except Exception as e:
            raise ExportError(f"the network cannot take an input of shape {input_shape}: {e}") from e
    if len(outputs) != 1:
        raise ExportError(f"the network outputs shape {list(outputs)}; a classifier outputs one score per class")
    class_names = [str(c) for c in (class_names if class_names is not None else range(outputs[0]))]
    if len(class_names) != outputs[0]:
        raise ExportError(f"{len(class_names)} class names for {outputs[0]} outputs")

    state, entries = {}, []
    for index, layer in enumerate(layers):
        entry = describe(index, layer)
        for role, tensor in entry.get("tensors", {}).items():
            value = getattr(layer, role).detach().to(torch.float32)
            if int8 and role == "weight":
                state[tensor["name"]], state[f"{tensor['name']}_scale"] = quantize(value)
                tensor["scale"] = f"{tensor['name']}_scale"
            else:
                state[tensor["name"]] = value.to(bias_dtype if role == "bias" else torch.float32).contiguous()
        entries.append(entry)
    parameters = sum(p.numel() for layer in layers for p in layer.parameters())
    bias = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16"}[bias_dtype]
    card = {"parameters": parameters, "test_correct": 0, "test_total": 0, "test_accuracy": 0.0,
            "storage": INT8_STORAGE.format(bias=bias) if int8 else f"weights: float32; biases: {bias}",
            **(card or {})}
    description = {
        "format": FORMAT, "name": name, "input_shape": input_shape, "input_range": [low, high],
        "classes": class_names, **({"dataset": dataset} if dataset else {}),
        "weights": f"{path.stem}.safetensors", "layers": entries, "card": card,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, path.with_suffix(".safetensors"), metadata={"format": "pt"})
    path.write_text(json.dumps(description, indent=2) + "\n")
    return load(path)[0]


def prepare(model):
    """The layers to export: copies in float32 with BatchNorm merged and Dropout left out."""
    if not isinstance(model, nn.Sequential):
        raise ExportError(f"the model is a {type(model).__name__}; export takes an nn.Sequential")
    layers, merged = [], []
    for where, layer in _flatten(model):
        kind = type(layer).__name__
        if isinstance(layer, (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout, nn.Identity)):
            continue
        if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
            previous = layers[-1] if layers else None
            wanted = nn.Linear if isinstance(layer, nn.BatchNorm1d) else nn.Conv2d
            if type(previous) is not wanted or id(previous) in merged:
                raise ExportError(f"layer {where} ({kind}) must directly follow a {wanted.__name__} "
                                  f"(dropout aside) to be merged into it")
            _merge_batch_norm(previous, layer, where)
            merged.append(id(previous))
            continue
        if not isinstance(layer, (nn.Linear, nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.AvgPool2d, nn.Flatten)):
            raise ExportError(f"layer {where} ({kind}) is not supported; supported: {SUPPORTED}")
        _check_arguments(where, layer)
        copy = _copy(layer)
        layers.append(copy)
    return layers


def _flatten(model, prefix=""):
    for key, layer in model.named_children():
        where = f"{prefix}{key}"
        if isinstance(layer, nn.Sequential):
            yield from _flatten(layer, f"{where}.")
        else:
            yield where, layer


def _copy(layer):
    """A float32 copy in eval mode (the export never changes the caller's model)."""
    rebuilt = rebuild(describe(0, layer))
    rebuilt.load_state_dict({k: v.detach().to(torch.float32) for k, v in layer.state_dict().items()})
    return rebuilt.eval()


def _merge_batch_norm(linear, norm, where):
    """y = γ (x − μ) / √(σ² + ε) + β folded into the weights and bias before it, in float64."""
    if not norm.track_running_stats or norm.running_mean is None:
        raise ExportError(f"layer {where} ({type(norm).__name__}) has no running statistics "
                          f"(track_running_stats=False), so it depends on the batch")
    with torch.no_grad():
        mean, var = norm.running_mean.double(), norm.running_var.double()
        gamma = norm.weight.double() if norm.affine else torch.ones_like(mean)
        beta = norm.bias.double() if norm.affine else torch.zeros_like(mean)
        scale = gamma / torch.sqrt(var + norm.eps)
        weight = linear.weight.double() * scale.reshape(-1, *[1] * (linear.weight.dim() - 1))
        bias = linear.bias.double() if linear.bias is not None else torch.zeros_like(mean)
        if linear.bias is None:
            linear.bias = nn.Parameter(torch.zeros_like(mean, dtype=torch.float32))
        linear.weight.copy_(weight.float())
        linear.bias.copy_(((bias - mean) * scale + beta).float())


def pair(v):
    return [int(x) for x in v] if isinstance(v, (tuple, list)) else [int(v), int(v)]


def _check_arguments(where, layer):
    """The format has no keys for these arguments: they must have PyTorch's defaults."""
    kind = type(layer).__name__
    expected = {}
    if isinstance(layer, nn.Conv2d):
        if isinstance(layer.padding, str):
            raise ExportError(f"layer {where} (Conv2d): padding={layer.padding!r} is not supported (use numbers)")
        expected = dict(groups=1, dilation=[1, 1], padding_mode="zeros")
    elif isinstance(layer, nn.MaxPool2d):
        expected = dict(dilation=[1, 1], ceil_mode=False, return_indices=False)
    elif isinstance(layer, nn.AvgPool2d):
        expected = dict(ceil_mode=False, count_include_pad=True, divisor_override=None)
    elif isinstance(layer, nn.Flatten):
        expected = dict(start_dim=1, end_dim=-1)
    for key, value in expected.items():
        actual = getattr(layer, key)
        if (pair(actual) if isinstance(value, list) else actual) != value:
            raise ExportError(f"layer {where} ({kind}): {key}={actual!r} is not supported (only {value!r})")


def describe(index, layer):
    """The JSON entry of one exportable layer."""
    if isinstance(layer, nn.Linear):
        spec = {"in_features": layer.in_features, "out_features": layer.out_features}
    elif isinstance(layer, nn.Conv2d):
        spec = {"in_channels": layer.in_channels, "out_channels": layer.out_channels,
                "kernel_size": pair(layer.kernel_size), "stride": pair(layer.stride),
                "padding": pair(layer.padding)}
    elif isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        spec = {"kernel_size": pair(layer.kernel_size), "stride": pair(layer.stride or layer.kernel_size),
                "padding": pair(layer.padding)}
    else:
        spec = {}
    entry = {"type": type(layer).__name__, **spec}
    tensors = {role: {"name": f"{index}.{role}", "shape": list(p.shape)}
               for role, p in layer.named_parameters(recurse=False)}
    if tensors:
        entry["tensors"] = tensors
    return entry


def rebuild(entry):
    """The PyTorch layer of a JSON entry (without its weights)."""
    args = {k: tuple(v) if isinstance(v, list) else v for k, v in entry.items() if k not in ("type", "tensors")}
    if entry["type"] in ("Linear", "Conv2d"):
        args["bias"] = "bias" in entry.get("tensors", {})
    return getattr(nn, entry["type"])(**args)


def quantize(weight):
    """int8 values and float32 scales, one per output (the first axis), of a float tensor."""
    flat = weight.detach().to(torch.float32).reshape(weight.shape[0], -1)
    scale = flat.abs().amax(dim=1) / 127
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))  # an output with no weights
    q = torch.round(flat / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return q.reshape(weight.shape).contiguous(), scale.contiguous()


def dequantize(q, scale):
    return q.to(torch.float32) * scale.to(torch.float32).reshape(-1, *[1] * (q.dim() - 1))


def load(path):
    """The float32 nn.Sequential (eval mode) and the description of an exported model."""
    path = pathlib.Path(path)
    description = json.loads(path.read_text())
    model = nn.Sequential(*[rebuild(entry) for entry in description["layers"]])
    stored = load_file(path.parent / description["weights"])
    state = {}
    for index, entry in enumerate(description["layers"]):
        for role, tensor in entry.get("tensors", {}).items():
            value = stored[tensor["name"]]
            state[f"{index}.{role}"] = dequantize(value, stored[tensor["scale"]]) if "scale" in tensor \
                else value.to(torch.float32)
    model.load_state_dict(state, strict=True)
    return model.eval(), description
