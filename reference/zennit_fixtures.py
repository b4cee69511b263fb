"""Zennit reference relevance maps for the Rust LRP implementation.

Writes tests/fixtures/lrp/cases.json and tests/fixtures/lrp/<model>.safetensors
(one file per model in train/architectures.py MODELS) for the first 8 test images
of the model's data set, and the same for the untrained test models (read from
tests/fixtures/lrp/models/<name>.{json,safetensors}) for 4 inputs: those of
reference/tiny_models.py, and those of reference/export_models.py, which went
through export/lrp_export.py. For the latter, Zennit runs on the original PyTorch
model (BatchNorm, Dropout), with its SequentialMergeBatchNorm canonizer, so the
fixtures check the export round trip. Everything is computed in float64
(model.double(), input.double()) and stored as float32 (targets as int64).

    python3 reference/tiny_models.py      # only if the test models change
    python3 reference/export_models.py    # the same
    python3 reference/zennit_fixtures.py

See reference/README.md for the fixture format.
"""
import json
import pathlib
import sys

import torch
from torch import nn
from safetensors.torch import save_file

import zennit
from zennit import types as ztypes
from zennit.canonizers import SequentialMergeBatchNorm
from zennit.attribution import Gradient, SmoothGrad, IntegratedGradients, Occlusion
from zennit.composites import (
    LayerMapComposite, NameLayerMapComposite, layer_map_base,
    EpsilonGammaBox, EpsilonPlus, EpsilonPlusFlat, EpsilonAlpha2Beta1, EpsilonAlpha2Beta1Flat,
)
from zennit.rules import Epsilon, Gamma, AlphaBeta, ZPlus, ZBox, Flat, WSquare

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "train"))
import architectures  # noqa: E402
import datasets  # noqa: E402
import weights_io  # noqa: E402
sys.path.insert(0, str(ROOT / "reference"))
import export_models  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "lrp"
TEST_INDICES = list(range(8))
# Untrained test models: name -> description relative to OUT. The tiny ones (average pooling, padding,
# strides) on MNIST digits; the exported ones (RGB, BatchNorm, a flat input) as export_models.py builds them.
TEST_MODELS = {"tiny-avgpool": "models/tiny-avgpool.json", "tiny-strided": "models/tiny-strided.json",
               **{name: f"models/{name}.json" for name in export_models.MODELS}}
TEST_MODEL_INDICES = list(range(4))
SEED = 0


def zennit_version():
    try:
        from importlib.metadata import version
        return version("zennit")
    except Exception:  # pragma: no cover
        return getattr(zennit, "__version__", "unknown")


# ----------------------------------------------------------------------------- composites

def whole(rule_factory):
    """The rule on every Linear/Conv2d (zennit.types.Linear), Pass on ReLU, gradient elsewhere."""
    return lambda model: LayerMapComposite(layer_map_base() + [(ztypes.Linear, rule_factory())])


def param_layers(model):
    """Names and modules of the parametrised layers (Linear / Conv2d), in order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Linear, nn.Conv2d))]


def per_layer(rules):
    """NameLayerMapComposite with one rule per parametrised layer + layer_map_base()."""
    def build(model):
        names = [n for n, _ in param_layers(model)]
        assert len(names) == len(rules)
        name_map = [((n,), rule) for n, rule in zip(names, rules)]
        return NameLayerMapComposite(name_map=name_map, layer_map=layer_map_base())
    return build


def montavon_rules(model):
    layers = param_layers(model)
    out = []
    for i, (_, m) in enumerate(layers):
        if i == 0:
            out.append(ZBox(low=0., high=1.))
        elif i == len(layers) - 1:
            out.append(Epsilon(epsilon=0.0))
        elif isinstance(m, nn.Conv2d):
            out.append(Gamma(gamma=0.25))
        else:
            out.append(Epsilon(epsilon=0.25))
    return out


def custom_spec(model):
    n = len(param_layers(model))
    spec = []
    for i in range(n):
        if i == 0:
            spec.append({"rule": "w-square"})
        elif i == n - 1:
            spec.append({"rule": "epsilon", "epsilon": 0.1})
        else:
            spec.append({"rule": "gamma", "gamma": 0.5})
    return spec


def rule_from_spec(s):
    return {"w-square": lambda: WSquare(),
            "epsilon": lambda: Epsilon(epsilon=s.get("epsilon", 0.0)),
            "gamma": lambda: Gamma(gamma=s.get("gamma", 0.25))}[s["rule"]]()


def custom_composite(model):
    return per_layer([rule_from_spec(s) for s in custom_spec(model)])(model)


def montavon_composite(model):
    return per_layer(montavon_rules(model))(model)


EGB = {"epsilon": 0.25, "gamma": 0.25, "low": 0, "high": 1}

# (id, method, params, target, output, zero_bias, kind, builder)
# kind "lrp": builder(model) -> composite ; kind "baseline": handled in run_baseline.
CASES = [
    ("lrp-0", "lrp-0", {}, "predicted", "one-hot", False, "lrp", whole(lambda: Epsilon(epsilon=0.0))),
    ("epsilon", "epsilon", {"epsilon": 0.25}, "predicted", "one-hot", False, "lrp",
     whole(lambda: Epsilon(epsilon=0.25))),
    ("epsilon-score", "epsilon", {"epsilon": 0.25}, "predicted", "score", False, "lrp",
     whole(lambda: Epsilon(epsilon=0.25))),
    ("epsilon-other", "epsilon", {"epsilon": 0.25}, "other", "one-hot", False, "lrp",
     whole(lambda: Epsilon(epsilon=0.25))),
    ("epsilon-zero-bias", "epsilon", {"epsilon": 0.25}, "predicted", "one-hot", True, "lrp",
     whole(lambda: Epsilon(epsilon=0.25, zero_params=["bias"]))),
    ("lrp-0-zero-bias", "lrp-0", {}, "predicted", "score", True, "lrp",
     whole(lambda: Epsilon(epsilon=0.0, zero_params=["bias"]))),
    ("gamma", "gamma", {"gamma": 0.25}, "predicted", "one-hot", False, "lrp", whole(lambda: Gamma(gamma=0.25))),
    ("alpha2-beta1", "alpha-beta", {"alpha": 2, "beta": 1}, "predicted", "one-hot", False, "lrp",
     whole(lambda: AlphaBeta(alpha=2, beta=1))),
    ("alpha1-beta0", "alpha-beta", {"alpha": 1, "beta": 0}, "predicted", "one-hot", False, "lrp",
     whole(lambda: AlphaBeta(alpha=1, beta=0))),
    ("z-plus", "z-plus", {}, "predicted", "one-hot", False, "lrp", whole(lambda: ZPlus())),
    ("z-box", "z-box", {"low": 0, "high": 1}, "predicted", "one-hot", False, "lrp",
     whole(lambda: ZBox(low=0., high=1.))),
    ("flat", "flat", {}, "predicted", "one-hot", False, "lrp", whole(lambda: Flat())),
    ("w-square", "w-square", {}, "predicted", "one-hot", False, "lrp", whole(lambda: WSquare())),
    ("epsilon-gamma-box", "epsilon-gamma-box", dict(EGB), "predicted", "one-hot", False, "lrp",
     lambda m: EpsilonGammaBox(low=0., high=1., epsilon=0.25, gamma=0.25)),
    ("epsilon-plus", "epsilon-plus", {"epsilon": 0.25}, "predicted", "one-hot", False, "lrp",
     lambda m: EpsilonPlus(epsilon=0.25)),
    ("epsilon-plus-flat", "epsilon-plus-flat", {"epsilon": 0.25}, "predicted", "one-hot", False, "lrp",
     lambda m: EpsilonPlusFlat(epsilon=0.25)),
    ("epsilon-alpha2-beta1", "epsilon-alpha2-beta1", {"epsilon": 0.25}, "predicted", "one-hot", False, "lrp",
     lambda m: EpsilonAlpha2Beta1(epsilon=0.25)),
    ("epsilon-alpha2-beta1-flat", "epsilon-alpha2-beta1-flat", {"epsilon": 0.25}, "predicted", "one-hot", False,
     "lrp", lambda m: EpsilonAlpha2Beta1Flat(epsilon=0.25)),
    ("montavon", "montavon", dict(EGB), "predicted", "one-hot", False, "lrp", montavon_composite),
    ("custom", "custom", {}, "predicted", "one-hot", False, "lrp", custom_composite),
    ("gradient", "gradient", {}, "predicted", "one-hot", False, "baseline", None),
    ("gradient-x-input", "gradient-x-input", {}, "predicted", "one-hot", False, "baseline", None),
    ("smoothgrad", "smoothgrad", {"noise": 0.1, "samples": 8}, "predicted", "one-hot", False, "baseline", None),
    ("integrated-gradients", "integrated-gradients", {"steps": 16}, "predicted", "one-hot", False, "baseline", None),
    ("occlusion", "occlusion", {"window": 8, "stride": 8}, "predicted", "one-hot", False, "baseline", None),
    ("occlusion-4-2", "occlusion", {"window": 4, "stride": 2}, "predicted", "one-hot", False, "baseline", None),
]


# ----------------------------------------------------------------------------- helpers

def attr_output(logits, targets, output):
    onehot = torch.nn.functional.one_hot(targets, logits.shape[1]).to(logits.dtype)
    if output == "one-hot":
        return onehot
    if output == "score":
        return onehot * logits.gather(1, targets[:, None])
    raise ValueError(output)


def lrp(model, composite, x, grad_out):
    """Zennit's modified gradient: Gradient attributor with the composite registered."""
    with Gradient(model=model, composite=composite) as attributor:
        _, rel = attributor(x.clone(), grad_out)
    return rel


class RecordingRandn:
    """Replaces torch.randn_like while SmoothGrad runs: draws float32 standard normals from a
    seeded generator (so the stored float32 noise is *exactly* what Zennit used), records them
    and returns them cast to the input's dtype."""

    def __init__(self, seed):
        self.gen = torch.Generator().manual_seed(seed)
        self.draws = []
        self.original = torch.randn_like

    def __call__(self, input, *args, **kwargs):
        assert not args and not kwargs, (args, kwargs)
        z = torch.randn(input.shape, generator=self.gen, dtype=torch.float32)
        self.draws.append(z.clone())
        return z.to(input.dtype)

    def __enter__(self):
        torch.randn_like = self
        return self

    def __exit__(self, *exc):
        torch.randn_like = self.original
        return False


def run_baseline(case_id, params, model, x, grad_out, extra):
    if case_id == "gradient":
        _, rel = Gradient(model=model)(x.clone(), grad_out)
        return rel
    if case_id == "gradient-x-input":
        _, rel = Gradient(model=model)(x.clone(), grad_out)
        return rel * x
    if case_id == "smoothgrad":
        attributor = SmoothGrad(model=model, noise_level=params["noise"], n_iter=params["samples"])
        with RecordingRandn(SEED) as rec:
            _, rel = attributor(x.clone(), grad_out)
        noise = torch.stack(rec.draws)  # [n_iter-1, N, 1, 28, 28] float32
        assert noise.shape[0] == params["samples"] - 1, noise.shape
        extra["smoothgrad/noise"] = noise.reshape(noise.shape[0], x.shape[0], -1)
        # Independent re-computation of Zennit's formula from the stored noise.
        dims = tuple(range(1, x.ndim))
        std = params["noise"] * (x.amax(dims, keepdim=True) - x.amin(dims, keepdim=True))
        acc = torch.zeros_like(x)
        for eps in list(noise.to(x.dtype) * std) + [torch.zeros_like(x)]:
            xi = (x + eps).detach().requires_grad_(True)
            g, = torch.autograd.grad(model(xi), xi, grad_outputs=grad_out)
            acc += g / params["samples"]
        err = (acc - rel).abs().max().item()
        extra["checks"].append(f"smoothgrad re-run from stored noise: max |diff| = {err:.3e}")
        assert err < 1e-12, err
        return rel
    if case_id == "integrated-gradients":
        _, rel = IntegratedGradients(model=model, n_iter=params["steps"])(x.clone(), grad_out)
        return rel
    if case_id.startswith("occlusion"):
        # Since Zennit 0.5 (PR #117) Occlusion does NOT multiply attr_output with the model output:
        # score = attr_output_fn(output).sum(). A one-hot *tensor* would give score 1 for every
        # window (a map that just counts windows), so pass a function selecting the target logit.
        attributor = Occlusion(model=model, window=params["window"], stride=params["stride"])
        _, rel = attributor(x.clone(), lambda out: out * grad_out)
        return rel
    raise ValueError(case_id)


def fmt_rel(a, b):
    return abs(a - b) / max(abs(b), 1e-30)


def layer_relevance(model, composite, x, grad_out):
    """The relevance arriving at the input of every top-level layer (float64, [N, ...] each) and
    the relevance map itself. The tensor hooks are registered before Zennit's, so they see the
    layer inputs before Zennit wraps them: the gradient there is the relevance the layer hands down."""
    seen = []

    def pre_hook(module, args):
        if args[0].requires_grad:
            slot = len(seen)
            seen.append(None)
            args[0].register_hook(lambda g: seen.__setitem__(slot, g.detach().clone()))

    handles = [layer.register_forward_pre_hook(pre_hook) for layer in model]
    try:
        rel = lrp(model, composite, x, grad_out)
    finally:
        for h in handles:
            h.remove()
    return seen, rel


def norm_expected_loss(layer, inp, rel_out):
    """What Zennit's Norm rule on a pooling layer is expected to lose: sum_j R_j * 1e-6 / (z_j + 1e-6)
    per image (z_j >= 0 after a ReLU; sign(0) = +1)."""
    z = layer(inp)
    return (rel_out * 1e-6 / (z + 1e-6)).flatten(1).sum(1)


def norm_by_hand(layer, x, rel_out):
    """Zennit's Norm rule on AvgPool2d (count_include_pad, floor mode) written out with unfold/fold:
    R_in[i] = x[i] / (kh*kw) * sum over the windows w containing i of R_out[w] / (z[w] + 1e-6)."""
    (kh, kw), (sh, sw), (ph, pw) = (weights_io.lrp_export.pair(v) for v in (layer.kernel_size, layer.stride or layer.kernel_size,
                                                                    layer.padding))
    n, c, h, w = x.shape
    windows = nn.functional.unfold(nn.functional.pad(x, (pw, pw, ph, ph)), (kh, kw), stride=(sh, sw))
    windows = windows.reshape(n, c, kh * kw, -1)
    z = windows.sum(2) / (kh * kw)
    share = (rel_out.reshape(n, c, -1) / (z + 1e-6))[:, :, None, :].expand(n, c, kh * kw, z.shape[-1]) / (kh * kw)
    # fold sums the overlapping windows over the padded input; rows/columns that no window reaches stay 0
    out_h, out_w = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    assert out_h * out_w == z.shape[-1]
    spread = nn.functional.fold(share.reshape(n, c * kh * kw, -1), (h + 2 * ph, w + 2 * pw), (kh, kw), stride=(sh, sw))
    return x * spread[:, :, ph:ph + h, pw:pw + w]


def conv_covered(layer, shape):
    """Which input positions (H, W) of a Conv2d at least one window reads (floor mode)."""
    (kh, kw), (sh, sw), (ph, pw) = (weights_io.lrp_export.pair(v) for v in (layer.kernel_size, layer.stride, layer.padding))
    h, w = shape
    rows = torch.zeros(h + 2 * ph, dtype=torch.bool)
    cols = torch.zeros(w + 2 * pw, dtype=torch.bool)
    for start in range(0, h + 2 * ph - kh + 1, sh):
        rows[start:start + kh] = True
    for start in range(0, w + 2 * pw - kw + 1, sw):
        cols[start:start + kw] = True
    return rows[ph:ph + h, None] & cols[None, pw:pw + w]


def check_test_model(name, model, model32, x, grad_out, checks):
    """Sanity checks only the test models need: conservation layer by layer (where the bias-free
    LRP-0 maps are NaN at the input) and float32/float64 agreement of the max-pool winners."""
    for case_id, factory in (("lrp-0-zero-bias", lambda: Epsilon(epsilon=0.0, zero_params=["bias"])),
                             ("flat", lambda: Flat())):
        seen, _rel = layer_relevance(model, whole(factory)(model), x, grad_out[case_id])
        acts = [x]
        with torch.no_grad():
            for layer in model:
                acts.append(layer(acts[-1]))
        parts = []
        # seen[i] = relevance at the input of layer i (layer 0's input = the pixels); the output
        # relevance is grad_out.
        rels = seen + [grad_out[case_id]]
        for i, layer in enumerate(model):
            r_in, r_out = rels[i].flatten(1).sum(1), rels[i + 1].flatten(1).sum(1)
            finite = torch.isfinite(r_in) & torch.isfinite(r_out)
            if not finite.any():
                parts.append(f"{i}:{type(layer).__name__} n/a (NaN)")
                continue
            err = ((r_in - r_out).abs() / r_out.abs())[finite].max().item()
            label = f"{i}:{type(layer).__name__} {err:.1e}"
            if isinstance(layer, nn.AvgPool2d):
                want = norm_expected_loss(layer, acts[i], rels[i + 1])
                explained = ((r_out - r_in) - want)[finite].abs().max().item() / r_out.abs().max().item()
                elementwise = (norm_by_hand(layer, acts[i], rels[i + 1]) - rels[i]).abs().max().item()
                label += (f" (loss = sum R*1e-6/(z+1e-6) to {explained:.0e}; map = Norm by hand to "
                          f"{elementwise / rels[i].abs().max().item():.0e})")
            if isinstance(layer, nn.Conv2d):
                covered = conv_covered(layer, rels[i].shape[-2:])
                label += f" (uncovered inputs {int((~covered).sum())}, max |R| there " \
                         f"{rels[i][..., ~covered].abs().max().item() if (~covered).any() else 0:.0e})"
            parts.append(label)
        checks.append(f"{name}: {case_id} per-layer conservation, max rel |sum R_in - sum R_out|: " + ", ".join(parts))
    for i, layer in enumerate(model):
        if isinstance(layer, nn.MaxPool2d):
            (kh, kw), (sh, sw), (ph, pw) = (weights_io.lrp_export.pair(v) for v in (layer.kernel_size, layer.stride,
                                                                            layer.padding))
            with torch.no_grad():
                h64 = model[:i](x)
                h32 = model32[:i](x.float())
            args = dict(kernel_size=(kh, kw), stride=(sh, sw), padding=(ph, pw), return_indices=True)
            v64, i64 = nn.functional.max_pool2d(h64, **args)
            _v32, i32 = nn.functional.max_pool2d(h32, **args)
            # -1 in the padding is never a maximum: the pooled activations are ReLU outputs (>= 0).
            assert h64.min() >= 0
            windows = nn.functional.unfold(nn.functional.pad(h64, (pw, pw, ph, ph), value=-1.0), (kh, kw),
                                           stride=(sh, sw)).reshape(h64.shape[0], h64.shape[1], kh * kw, -1)
            top = windows.max(2, keepdim=True).values
            ties = ((windows == top).sum(2) > 1).flatten()
            zero = (top[:, :, 0] == 0).flatten()
            checks.append(f"{name}: layer {i} MaxPool2d: {v64.numel()} windows, {int(ties.sum())} with tied maxima "
                          f"({int((ties & zero).sum())} of them all zero), the gradient goes to the first in-bounds "
                          f"maximum (row-major); float32 and float64 winners "
                          f"{'agree' if torch.equal(i32, i64) else 'DIFFER'}")


def exact_batch_norm(model):
    """The same function with every BatchNorm's eps moved into its running variance
    (var + eps, eps = 0). Zennit's canonizer leaves a merged BatchNorm computing
    x / sqrt(1 + eps) rather than x, 5e-6 off per layer with PyTorch's eps = 1e-5;
    with eps = 0 it is the identity, and the merged network is exactly the original."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_var += m.eps
                m.eps = 0.0
    return model


# ----------------------------------------------------------------------------- main

def run_model(name, model, model32, x32, meta, per_model, nonfinite, checks, test_model=False):
    """All cases for one model on the inputs x32 (float32 [N, ...]); writes <name>.safetensors.
    A model with BatchNorm gets Zennit's SequentialMergeBatchNorm canonizer in every composite."""
    has_batch_norm = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    x = x32.double()
    n = x.shape[0]
    model = model.double().eval()
    with torch.no_grad():
        logits = model(x)
        logits32 = model32(x32)
    predicted = logits.argmax(1)
    if not torch.equal(predicted, logits32.argmax(1)):
        checks.append(f"{name}: WARNING float32 and float64 argmax differ")
    other = (predicted + 3) % logits.shape[1]
    targets = {"predicted": predicted, "other": other}
    meta["custom_layers"][name] = custom_spec(model)

    tensors = {
        "inputs": x.reshape(n, -1).float(),
        "logits": logits.float(),
        "targets/predicted": predicted.to(torch.int64),
        "targets/other": other.to(torch.int64),
    }
    extra = {"checks": checks}
    maxabs = {}
    rel64 = {}
    grad_outs = {}
    for (case_id, method, params, target, output, zero_bias, kind, builder) in CASES:
        grad_out = attr_output(logits, targets[target], output)
        grad_outs[case_id] = grad_out
        if kind == "lrp":
            composite = builder(model)
            if has_batch_norm:
                composite.canonizers = [SequentialMergeBatchNorm()]
            rel = lrp(model, composite, x, grad_out)
        else:
            rel = run_baseline(case_id, params, model, x, grad_out, extra)
        rel = rel.detach().reshape(n, -1)
        bad = (~torch.isfinite(rel)).sum().item()
        nonfinite.setdefault(case_id, {})[name] = bad
        if bad:
            checks.append(f"{name}/{case_id}: NON-FINITE values: {bad} of {rel.numel()} "
                          f"(nan={torch.isnan(rel).sum().item()}, inf={torch.isinf(rel).sum().item()})")
        maxabs[case_id] = float(rel[torch.isfinite(rel)].abs().max()) if rel.numel() - bad else float("nan")
        tensors[case_id] = rel.float()
        rel64[case_id] = rel
        per_model.setdefault(case_id, {})[name] = maxabs[case_id]
    tensors["smoothgrad/noise"] = extra["smoothgrad/noise"].float()

    # ---- sanity checks
    sums = rel64["lrp-0-zero-bias"].sum(1)
    tl = logits.gather(1, predicted[:, None])[:, 0]
    rel_err = ((sums - tl).abs() / tl.abs()).max().item()
    checks.append(f"{name}: conservation lrp-0-zero-bias (score): max rel |sum R - logit| = {rel_err:.3e}"
                  f" {'OK' if rel_err < 1e-6 else 'FAIL'}")
    zp = rel64["z-plus"]
    checks.append(f"{name}: z-plus min = {zp.min().item():.3e} "
                  f"{'OK (>= 0)' if zp.min().item() >= -1e-12 else 'FAIL'}")
    d = (rel64["alpha1-beta0"] - rel64["z-plus"]).abs().max().item()
    checks.append(f"{name}: max |alpha1-beta0 - z-plus| = {d:.3e} (max |z-plus| = {zp.abs().max().item():.3e})"
                  f" {'OK' if d <= 1e-6 * zp.abs().max().item() else 'FAIL'}")
    ids = list(rel64)
    same = [f"{a} == {b}" for i, a in enumerate(ids) for b in ids[i + 1:]
            if torch.equal(rel64[a], rel64[b])]
    checks.append(f"{name}: bit-identical cases: {', '.join(same) or 'none'}")
    checks.append(f"{name}: predicted = {predicted.tolist()}, logits[target] = "
                  f"{[round(v, 4) for v in tl.tolist()]}")
    if test_model:
        check_test_model(name, model, model32, x, grad_outs, checks)

    OUT.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(OUT / f"{name}.safetensors"),
              metadata={"source": f"zennit {meta['zennit']}, torch {torch.__version__}, float64 -> float32"})


def main():
    torch.manual_seed(SEED)
    images = {dataset: datasets.load_split("test", dataset)[0] for dataset in set(architectures.DATASET.values())}

    meta = {
        "zennit": zennit_version(),
        "torch": torch.__version__,
        "test_indices": TEST_INDICES,
        "dtype": "float64 computed, stored float32",
        "models": list(architectures.MODELS),
        "test_models": {name: {"description": path, "test_indices": TEST_MODEL_INDICES}
                        for name, path in TEST_MODELS.items()},
        "datasets": {name: architectures.DATASET[name] for name in architectures.MODELS},
        "notes": {
            "relevance": "tensor <id> in <model>.safetensors, float32 [N, input values] (row-major, e.g. "
                         "[8, 784] for 1x28x28); inputs are the first test images of the model's data set",
            "stabilizer": "rules other than Epsilon use Zennit's default stabilizer 1e-6 "
                          "(denominator z + 1e-6*sign(z), sign(0)=+1); Epsilon adds epsilon*sign(z) the same way",
            "layer_map_base": "Pass on ReLU, plain gradient through MaxPool2d/Flatten",
            "smoothgrad": "noise = std * smoothgrad/noise[k], std = noise*(max(x)-min(x)) per image; "
                          "8 samples = 7 noisy + 1 noise-free (last), averaged",
            "integrated-gradients": "zero baseline, alphas k/steps for k=1..steps, mean grad * x",
            "occlusion": "Zennit default occlusion_fn: keep ONLY the window, zero everything else; "
                         "windows at offsets 0,stride,..<28 per axis, cyclic (torch.roll wraps past 27); "
                         "relevance[p] = sum over all windows covering p of the target logit of the window-only input "
                         "(attr_output passed as the function out -> out * one_hot(target))",
            "test_models": "untrained models with average pooling, padding and strides (reference/tiny_models.py); "
                           "model description test_models[name].description relative to this file; "
                           "tensors [4, 784] instead of [8, 784] (test_models[name].test_indices), "
                           "smoothgrad/noise [7, 4, 784]; the exported ones (reference/export_models.py: RGB 3x32x32, "
                           "BatchNorm, a flat input of 64) have their own inputs ([4, input values]), and Zennit ran "
                           "on the original PyTorch model, with SequentialMergeBatchNorm in every LRP composite",
            "avgpool": "every LRP case (all composites include Zennit's layer_map_base) puts the Norm rule on "
                       "AvgPool2d: R_in = x * avgpool_backward(R_out / (z + 1e-6*sign(z))), z = avgpool(x), "
                       "i.e. R_in[i] = x[i]/(kh*kw) * sum over the windows containing i of R_out/(z+1e-6) "
                       "(count_include_pad: always kh*kw, padding taken as 0); baselines use the plain gradient",
        },
        "nonfinite": "a case with a 'nonfinite' entry {model: count} holds NaN/inf exactly as Zennit produced "
                     "them (Epsilon(0) divides 0 by 0 where a unit's pre-activation is exactly 0)",
        "custom_layers": {},
        "cases": [],
    }
    per_model = {}
    nonfinite = {}
    checks = []

    for name in architectures.MODELS:
        x32 = torch.from_numpy(images[architectures.DATASET[name]][TEST_INDICES]).contiguous()  # [8,1,28,28]
        model, _desc = weights_io.load(name)
        run_model(name, model, weights_io.load(name)[0], x32, meta, per_model, nonfinite, checks)

    for name, path in TEST_MODELS.items():
        directory = (OUT / path).parent
        stored, desc = weights_io.load(name, directory)
        assert (directory / f"{desc['name']}.json") == OUT / path
        if name in export_models.MODELS:
            # Zennit on the original (BatchNorm, Dropout); ours on the exported files.
            x32 = export_models.inputs(name)
            assert export_models.TEST_INDICES == TEST_MODEL_INDICES
            run_model(name, exact_batch_norm(export_models.build(name)), stored, x32, meta, per_model, nonfinite,
                      checks)
        else:
            x32 = torch.from_numpy(images["mnist"][TEST_MODEL_INDICES]).contiguous()  # [4,1,28,28] float32
            run_model(name, stored, weights_io.load(name, directory)[0], x32, meta, per_model, nonfinite, checks,
                      test_model=True)

    for (case_id, method, params, target, output, zero_bias, kind, _b) in CASES:
        meta["cases"].append({
            "id": case_id, "method": method, "params": params, "target": target, "output": output,
            "zero_bias": zero_bias, "max_abs": per_model[case_id],
        })
        if any(nonfinite[case_id].values()):
            meta["cases"][-1]["nonfinite"] = nonfinite[case_id]
    (OUT / "cases.json").write_text(json.dumps(meta, indent=1) + "\n")

    print("\n".join(checks))
    print()
    for p in sorted(OUT.rglob("*")):
        if p.is_file():
            print(f"{p.relative_to(ROOT)}  {p.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
