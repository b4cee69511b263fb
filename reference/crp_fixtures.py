"""zennit-crp reference maps for Concept Relevance Propagation (conditional relevance).

Writes tests/fixtures/crp/cases.json and tests/fixtures/crp/<model>.safetensors: for
every shipped model, its data set's first 4 test images, three methods (ε, ε-γ-box,
α2β1) and conditions on two layers (one channel of one, several of the other, and
both at once), zennit-crp's CondAttribution heatmap with a ChannelConcept mask,
the relevance initialised with the predicted class's score ({"y": [class]}). Float64,
stored as float32.

    pip install --no-deps zennit-crp==0.6.0 tqdm   # zennit-crp pins zennit<=0.4.6; 0.5.1 works
    python3 reference/crp_fixtures.py
"""
import json
import pathlib
import sys
from importlib.metadata import version

import torch
from safetensors.torch import save_file
from crp.attribution import CondAttribution
from crp.concepts import ChannelConcept
from zennit import types as ztypes
from zennit.composites import EpsilonGammaBox, LayerMapComposite, layer_map_base
from zennit.rules import AlphaBeta, Epsilon

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "train"))
import architectures  # noqa: E402
import datasets  # noqa: E402
import weights_io  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "crp"
TEST_INDICES = list(range(4))

# method id -> (our method name and parameters, the Zennit composite)
METHODS = {
    "epsilon": (("epsilon", {"epsilon": 0.25}),
                lambda: LayerMapComposite(layer_map_base() + [(ztypes.Linear, Epsilon(epsilon=0.25))])),
    "epsilon-gamma-box": (("epsilon-gamma-box", {"epsilon": 0.25, "gamma": 0.25, "low": 0, "high": 1}),
                          lambda: EpsilonGammaBox(low=0.0, high=1.0, epsilon=0.25, gamma=0.25)),
    "alpha2-beta1": (("alpha-beta", {"alpha": 2, "beta": 1}),
                     lambda: LayerMapComposite(layer_map_base() + [(ztypes.Linear, AlphaBeta(alpha=2, beta=1))])),
}

# The two layers each model is conditioned on: nn.Sequential indices of a lower and an
# upper Conv2d or Linear.
LAYERS = {"mlp-narrow": (1, 3), "mlp-wide": (1, 3), "cnn": (0, 3), "fashion-cnn": (0, 3)}


def cases(attribution, name, x, predicted):
    """For each input: one channel of the lower layer, several of the upper, and both at
    once. The channels are picked by their relevance for that input (ε, unconditioned),
    so that none is silent: the most relevant of the lower layer; the 1st, 2nd and 5th
    of the upper. Returns {case: [the conditions of each input]}."""
    low, high = LAYERS[name]
    concept = ChannelConcept()
    data = x.clone().requires_grad_(True)
    result = attribution(data, [{"y": [int(t)]} for t in predicted], METHODS["epsilon"][1](),
                         record_layer=[str(low), str(high)])
    rank = lambda layer, i: concept.attribute(result.relevances[str(layer)], abs_norm=False)[i].argsort(descending=True)  # noqa: E731
    out = {"single": [], "multiple": [], "two-layers": []}
    for i in range(len(x)):
        low_channels = [int(rank(low, i)[0])]
        high_channels = sorted(int(c) for c in rank(high, i)[[0, 1, 4]])
        out["single"].append([{"layer": low, "channels": low_channels}])
        out["multiple"].append([{"layer": high, "channels": high_channels}])
        # zennit-crp walks a condition's layers from the last to the first.
        out["two-layers"].append([{"layer": high, "channels": high_channels}, {"layer": low, "channels": low_channels}])
    return out


def main():
    meta = {"zennit": version("zennit"), "zennit-crp": version("zennit-crp"), "torch": torch.__version__,
            "test_indices": TEST_INDICES, "methods": {k: {"method": m, "params": p} for k, ((m, p), _) in METHODS.items()},
            "output": "score", "models": {}}
    OUT.mkdir(parents=True, exist_ok=True)
    for name in architectures.MODELS:
        model, _ = weights_io.load(name)
        model = model.double().eval()
        images, _labels = datasets.load_split("test", architectures.DATASET[name])
        x = torch.from_numpy(images[TEST_INDICES]).double()
        with torch.no_grad():
            predicted = model(x).argmax(1)
        tensors = {"inputs": x.reshape(len(x), -1).float(), "targets": predicted.to(torch.int64)}
        attribution = CondAttribution(model)
        chosen = cases(attribution, name, x, predicted)
        for case, per_input in chosen.items():
            for method, (_ours, composite) in METHODS.items():
                conds = [{"y": [int(t)], **{str(c["layer"]): c["channels"] for c in conditions}}
                         for t, conditions in zip(predicted, per_input)]
                data = x.clone().requires_grad_(True)
                result = attribution(data, conds, composite())
                # The heatmap sums over the input's channel axis: one channel here, so it is the input relevance.
                tensors[f"{case}/{method}"] = result.heatmap.detach().reshape(len(x), -1).float()
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(OUT / f"{name}.safetensors"),
                  metadata={"source": f"zennit-crp {meta['zennit-crp']}, zennit {meta['zennit']}, float64 -> float32"})
        meta["models"][name] = chosen
        print(f"{name}: predicted {predicted.tolist()}; conditions of input 0 {chosen['two-layers'][0]}; " + ", ".join(
            f"{case}/{m} sum {tensors[f'{case}/{m}'].sum(1).tolist()[0]:.4f}" for case in chosen for m in METHODS))
    (OUT / "cases.json").write_text(json.dumps(meta, indent=1) + "\n")


# ----------------------------------------------------------------------------- reference samples

REFERENCE_MODELS = ["cnn", "mlp-narrow"]
REFERENCE_INPUTS = 100  # the first test images: a small slice, as zennit-crp runs it
REFERENCE_K = 8


class TestSplit(torch.utils.data.Dataset):
    def __init__(self, dataset, n):
        images, labels = datasets.load_split("test", dataset)
        self.images, self.labels = torch.from_numpy(images[:n]).double(), labels[:n]

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], int(self.labels[i])


def reference_samples():
    """zennit-crp's FeatureVisualization (relevance and activation maximisation, its
    defaults max_target="sum", abs_norm=True) on the first REFERENCE_INPUTS test images,
    ε-γ-box, every layer `lrp concepts` covers: the top REFERENCE_K inputs of every
    channel as [index, value, position of the best neuron]; and for the first 4 channels of
    each convolution, the crop zennit-crp would cut its top 2 references to (`crops`)."""
    import tempfile
    import numpy as np
    from crp.visualization import FeatureVisualization
    (method, params), composite = METHODS["epsilon-gamma-box"]
    out = {"inputs": REFERENCE_INPUTS, "k": REFERENCE_K, "method": method, "params": params, "models": {}}
    for name in REFERENCE_MODELS:
        model, description = weights_io.load(name)
        model = model.double().eval()
        last = len(description["layers"]) - 1
        layers = [str(i) for i, l in enumerate(description["layers"]) if l["type"] in ("Conv2d", "Linear") and i < last]
        with tempfile.TemporaryDirectory() as path:
            visualization = FeatureVisualization(CondAttribution(model), TestSplit(architectures.DATASET[name], REFERENCE_INPUTS),
                                                 {layer: ChannelConcept() for layer in layers}, path=path)
            files = visualization.run(composite(), 0, REFERENCE_INPUTS, batch_size=50)
            result = {}
            for mode, key in (("relevance", "r_max"), ("activation", "a_max")):
                for prefix in files[key]:
                    layer = pathlib.Path(prefix).name.rstrip("_")
                    d, v, rf = (np.load(prefix + part) for part in ("data.npy", "rel.npy", "rf.npy"))
                    result.setdefault(layer, {})[mode] = [
                        [[int(d[j, c]), float(v[j, c]), int(rf[j, c])] for j in range(REFERENCE_K)] for c in range(d.shape[1])]
            # The crop zennit-crp cuts a reference to: its single-neuron heatmap (the best neuron
            # of the channel alone, ChannelConcept.mask_rf, started at the layer): where it is not 0.
            crops = []
            split = TestSplit(architectures.DATASET[name], REFERENCE_INPUTS)
            for layer in [l for l in layers if description["layers"][int(l)]["type"] == "Conv2d"]:
                for c in range(4):
                    for index, _value, position in result[layer]["relevance"][c][:2]:
                        data = split[index][0].unsqueeze(0)
                        heat = visualization._attribution_on_reference(data, c, layer, composite(), rf=True, neuron_ids=[position])[0]
                        rows, cols = torch.nonzero(heat.abs() > 0, as_tuple=True)
                        if len(rows):
                            box = [int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())]
                            crops.append({"layer": int(layer), "channel": c, "index": index, "position": position, "box": box})
            out.setdefault("crops", {})[name] = crops
        out["models"][name] = result
        print(f"{name}: reference samples of layers {layers}: channel 0 of layer {layers[-1]}: "
              f"{[r[0] for r in result[layers[-1]]['relevance'][0]]}")
    (OUT / "references.json").write_text(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
    reference_samples()
