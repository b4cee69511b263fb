"""Three small untrained PyTorch models that go through export/lrp_export.py, the
bring-your-own-model path, with what the shipped models lack:

- rgb-cnn: a 3x32x32 RGB input, convolution stride and padding, average pooling, Dropout;
- bn-cnn: BatchNorm2d and BatchNorm1d after Conv2d and Linear (one without a bias),
  with non-trivial running statistics and affine parameters, and Dropout;
- flat-mlp: a flat input of 64 values (an 8x8 image, flattened by the caller) and
  BatchNorm1d.

    python3 reference/export_models.py   # writes tests/fixtures/lrp/models/<name>.{json,safetensors}

reference/zennit_fixtures.py rebuilds the same models (build()) and applies Zennit,
with its SequentialMergeBatchNorm canonizer, to these originals, while the Rust
tests load the exported files: the fixtures check the whole round trip.
"""
import pathlib
import sys

import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "train"))
sys.path.insert(0, str(ROOT / "export"))
import datasets  # noqa: E402
import lrp_export  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "lrp" / "models"
BIAS = 0.2
TEST_INDICES = list(range(4))
CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def rgb_cnn():
    # 3x32x32 -conv3 p1-> 8x32x32 -avg2-> 8x16x16 -conv4 s2 p1-> 12x8x8 -avg2 s2-> 12x4x4 = 192 -> 10
    return nn.Sequential(
        nn.Conv2d(3, 8, kernel_size=3, padding=1), nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Conv2d(8, 12, kernel_size=4, stride=2, padding=1), nn.ReLU(),
        nn.AvgPool2d(2, stride=2),
        nn.Flatten(), nn.Dropout(0.5),
        nn.Linear(192, 10),
    )


def bn_cnn():
    # 1x28x28 -conv5-> 6x24x24 -bn, relu, max2-> 6x12x12 -conv3 (no bias)-> 10x10x10 -bn, relu, max2-> 10x5x5
    # = 250 -> 32 -bn, relu, dropout-> 10
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 10, kernel_size=3, bias=False), nn.BatchNorm2d(10), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(250, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(32, 10),
    )


def flat_mlp():
    return nn.Sequential(
        nn.Linear(64, 24), nn.BatchNorm1d(24), nn.ReLU(),
        nn.Linear(24, 16), nn.ReLU(),
        nn.Linear(16, 10),
    )


# name -> (builder, input shape, class names, seed); seeds picked among 0..9 so that the four test inputs
# get more than one class each (rgb-cnn 5: [3, 2, 3, 2], bn-cnn 1: [4, 2, 1, 2], flat-mlp 4: [7, 2, 0, 6]).
MODELS = {
    "rgb-cnn": (rgb_cnn, (3, 32, 32), CIFAR_CLASSES, 5),
    "bn-cnn": (bn_cnn, (1, 28, 28), None, 1),
    "flat-mlp": (flat_mlp, (64,), None, 4),
}


def initialise(model, seed):
    """Kaiming-normal weights, uniform [-BIAS, BIAS] biases, and BatchNorm statistics and
    affine parameters away from the identity, from one seeded generator."""
    gen = torch.Generator().manual_seed(seed)
    uniform = lambda shape, low, high: low + (high - low) * torch.rand(shape, generator=gen)  # noqa: E731
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, (nn.Linear, nn.Conv2d)):
                fan_in = layer.weight[0].numel()
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
                if layer.bias is not None:
                    layer.bias.copy_(uniform(layer.bias.shape, -BIAS, BIAS))
            elif isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
                n = layer.num_features
                layer.running_mean.copy_(uniform(n, -0.3, 0.3))
                layer.running_var.copy_(uniform(n, 0.5, 2.0))
                layer.weight.copy_(uniform(n, 0.5, 1.5))
                layer.bias.copy_(uniform(n, -0.2, 0.2))
    return model.eval()


def build(name):
    builder, _shape, _classes, seed = MODELS[name]
    return initialise(builder(), seed)


def inputs(name):
    """Four test inputs of the model's shape, in [0, 1], made from MNIST test digits:
    padded to 32x32 and coloured for rgb-cnn, averaged to 8x8 for flat-mlp."""
    images, _labels = datasets.load_split("test")
    x = torch.from_numpy(images[TEST_INDICES])
    if name == "rgb-cnn":
        x = nn.functional.pad(x, (2, 2, 2, 2))
        ramp = torch.linspace(0, 1, 32)
        return torch.cat([x, x * ramp[None, None, :, None], (1 - x) * ramp[None, None, None, :]], 1).contiguous()
    if name == "flat-mlp":
        return nn.functional.adaptive_avg_pool2d(x, 8).reshape(len(TEST_INDICES), 64).contiguous()
    return x.contiguous()


def main():
    for name, (_builder, shape, classes, _seed) in MODELS.items():
        model = build(name)
        exported = lrp_export.export(model, OUT / f"{name}.json", shape, (0.0, 1.0), classes,
                                     card={"training": {"note": "untrained test model (reference/export_models.py)"}})
        x = inputs(name)
        with torch.no_grad():
            original, ours = model(x), exported(x)
        difference = (original - ours).abs().max().item()
        print(f"{name}: {len(model)} layers -> {len(exported)} exported; max |original - exported| logits "
              f"{difference:.1e}; predicted {original.argmax(1).tolist()}")
        assert difference < 1e-5, difference
        assert len(set(original.argmax(1).tolist())) > 1


if __name__ == "__main__":
    main()
