"""Two small, untrained test models that exercise what the shipped MNIST models lack:
average pooling (AvgPool2d, count_include_pad), convolution padding and stride
(different for H and W, non-square kernels), max pooling with padding and
stride != kernel, and floor-mode windows that leave an input column uncovered.

    python3 reference/tiny_models.py     # writes tests/fixtures/lrp/models/<name>.{json,safetensors}

The weights are deterministic (torch.manual_seed), Kaiming-normal scale
(std = sqrt(2 / fan_in)), with non-zero biases of both signs (uniform in
[-BIAS, BIAS]); they are stored as float32 in the model format of
train/weights_io.py. The models are not trained: they only have to be
numerically interesting (every ReLU layer partly active on the test digits,
logits of different sizes, not one class for every digit), which main() checks.
"""
import pathlib
import sys

import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "train"))
import datasets  # noqa: E402
import weights_io  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "lrp" / "models"
BIAS = 0.2
TEST_INDICES = list(range(4))  # the digits the fixtures use


def tiny_avgpool():
    # 1x28x28 -conv3 p1-> 4x28x28 -avg2-> 4x14x14
    # -conv(3,5) s(2,1) p(1,2)-> 6x7x14 -avg3 s2 p1-> 6x4x7 = 168 -> 16 -> 10
    return nn.Sequential(
        nn.Conv2d(1, 4, kernel_size=3, stride=1, padding=1), nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Conv2d(4, 6, kernel_size=(3, 5), stride=(2, 1), padding=(1, 2)), nn.ReLU(),
        nn.AvgPool2d(kernel_size=3, stride=2, padding=1),
        nn.Flatten(),
        nn.Linear(168, 16), nn.ReLU(),
        nn.Linear(16, 10),
    )


def tiny_strided():
    # 1x28x28 -conv4 s2 p2-> 5x15x15 -max3 s2 p1-> 5x8x8
    # -conv3 s(1,2) p(1,0)-> 7x8x3 = 168 -> 10
    # In the second conv the W windows start at 0, 2, 4 (floor mode), so column 7 of the
    # max-pool output is read by no window: it gets no relevance and no gradient.
    return nn.Sequential(
        nn.Conv2d(1, 5, kernel_size=4, stride=2, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
        nn.Conv2d(5, 7, kernel_size=3, stride=(1, 2), padding=(1, 0)), nn.ReLU(),
        nn.Flatten(),
        nn.Linear(168, 10),
    )


# name -> (builder, seed). Seeds picked by hand among 0..7: tiny-avgpool 0 predicts [7, 9, 7, 9] and
# tiny-strided 2 predicts [4, 6, 4, 8] for the four test digits (more than one class each).
MODELS = {"tiny-avgpool": (tiny_avgpool, 0), "tiny-strided": (tiny_strided, 2)}


def initialise(model, seed):
    """Kaiming-normal weights and uniform [-BIAS, BIAS] biases from one seeded generator."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, (nn.Linear, nn.Conv2d)):
                fan_in = layer.weight[0].numel()
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
                layer.bias.copy_((torch.rand(layer.bias.shape, generator=gen) * 2 - 1) * BIAS)
    return model.eval()


def build(name):
    builder, seed = MODELS[name]
    return initialise(builder(), seed)


def describe(model, x):
    """Per-layer output shapes and, for ReLUs, the fraction of active units on x."""
    rows = []
    with torch.no_grad():
        for layer in model:
            x = layer(x)
            active = f"  active {float((x > 0).double().mean()):.2f}" if isinstance(layer, nn.ReLU) else ""
            rows.append((layer, tuple(x.shape[1:]), active))
    return rows, x


def main():
    images, labels = datasets.load_split("test")
    x = torch.from_numpy(images[TEST_INDICES])
    for name in MODELS:
        model = build(name)
        parameters = sum(p.numel() for p in model.parameters())
        card = {"parameters": parameters, "test_correct": 0, "test_total": 0, "test_accuracy": 0.0}
        loaded, description = weights_io.save(name, model, card, OUT, dtype=torch.float32, int8=False)

        rows, logits = describe(model, x)
        print(f"{name}: {parameters} parameters")
        for layer, shape, active in rows:
            print(f"  {str(layer):<80} -> {list(shape)}{active}")
        with torch.no_grad():
            reloaded = loaded(x)
        assert torch.equal(reloaded, logits), (reloaded - logits).abs().max()
        assert all(b.abs().min() > 0 for b in (p for n, p in model.named_parameters() if n.endswith("bias")))
        for layer, _shape, active in rows:
            if active:
                fraction = float(active.split()[-1])
                assert 0.05 < fraction < 0.95, (name, layer, fraction)
        predicted = logits.argmax(1)
        assert len(set(predicted.tolist())) > 1, predicted
        print(f"  labels {labels[TEST_INDICES].tolist()}, predicted {predicted.tolist()}, "
              f"logits[predicted] {[round(v, 4) for v in logits.max(1).values.tolist()]}, "
              f"logit spread per digit {[round(v, 3) for v in (logits.max(1).values - logits.min(1).values).tolist()]}")
        print(f"  weights_io.load() rebuilds it bit-identically: "
              f"{description['name']} -> {(OUT / (name + '.json')).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
