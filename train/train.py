"""Trains the shipped classifiers on the full training split of their data set
(MNIST; Fashion-MNIST for fashion-cnn) and exports them.

    python3 train/train.py                 # every model
    python3 train/train.py --model cnn     # one

Deterministic on CPU for a given torch version (fixed seeds, fixed thread count).
Writes weights/<name>.safetensors and weights/<name>.json, whose "card" records the
test accuracy of the exported weights (int8 with scales, biases float16: see
weights_io.py) on the official 10,000-image test split."""
import argparse
import math
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

import architectures
import datasets
import weights_io

RECIPES = {
    # epochs, peak learning rate, augmentation strength (1.0 = full), weight decay
    "mlp-narrow": dict(epochs=30, lr=2e-3, augment=0.5, weight_decay=1e-4),
    "mlp-wide": dict(epochs=30, lr=1.5e-3, augment=0.5, weight_decay=1e-4),
    "cnn": dict(epochs=16, lr=3e-3, augment=1.0, weight_decay=1e-4),
    # Clothes are photographed upright and centred: small jitter, and mirror images.
    "fashion-cnn": dict(epochs=20, lr=3e-3, augment=0.3, weight_decay=1e-4, mirror=True),
}
BATCH = 128
DATA_NAMES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
# Light affine jitter: people draw off-centre, a little rotated, larger or smaller.
MAX_DEGREES, MAX_SHIFT_PX, MAX_SCALE = 10.0, 2.0, 0.1


def augment(x, strength, generator, mirror=False):
    """Random rotation/scale/shift of a batch (half the images are left untouched),
    and with `mirror` a left-right flip of a random half."""
    n = x.shape[0]
    if mirror:
        flip = torch.rand(n, generator=generator) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    u = lambda: torch.rand(n, generator=generator) * 2 - 1  # noqa: E731
    angle = u() * math.radians(MAX_DEGREES) * strength
    scale = 1 + u() * MAX_SCALE * strength
    shift = torch.stack([u(), u()], 1) * (2 * MAX_SHIFT_PX / 28) * strength
    keep = torch.rand(n, generator=generator) < 0.5
    angle[keep], scale[keep], shift[keep] = 0.0, 1.0, 0.0
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                         torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")


@torch.no_grad()
def count_correct(model, images, labels):
    model.eval()
    return sum(int((model(images[i:i + 1000]).argmax(1) == labels[i:i + 1000]).sum())
               for i in range(0, len(images), 1000))


def train(name, out):
    recipe = RECIPES[name]
    dataset = architectures.DATASET[name]
    train_x, train_y = map(torch.from_numpy, datasets.load_split("train", dataset))
    test_x, test_y = map(torch.from_numpy, datasets.load_split("test", dataset))
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    model = architectures.build(name)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe["lr"],
                                  weight_decay=recipe["weight_decay"])
    steps = recipe["epochs"] * math.ceil(len(train_x) / BATCH)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, recipe["lr"], total_steps=steps)
    start = time.time()
    for epoch in range(recipe["epochs"]):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        for i in range(0, len(order), BATCH):
            idx = order[i:i + BATCH]
            x = augment(train_x[idx], recipe["augment"], generator, recipe.get("mirror", False))
            loss = F.cross_entropy(model(x), train_y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        correct = count_correct(model, test_x, test_y)
        print(f"{name} epoch {epoch + 1}/{recipe['epochs']}: test {correct / 100:.2f}% "
              f"({time.time() - start:.0f}s)", flush=True)

    card_training = {
        "data": f"{DATA_NAMES[dataset]} training split, all 60,000 images, pixels scaled to [0, 1]",
        "augmentation": f"half of each batch: rotation up to {MAX_DEGREES * recipe['augment']:g} deg, "
                        f"shift up to {MAX_SHIFT_PX * recipe['augment']:g} px, "
                        f"scale up to {MAX_SCALE * recipe['augment']:g}"
                        + ("; a random half mirrored left-right" if recipe.get("mirror") else ""),
        "optimizer": f"AdamW, one-cycle lr peak {recipe['lr']:g}, weight decay {recipe['weight_decay']:g}, "
                     f"batch {BATCH}, {recipe['epochs']} epochs, cross-entropy",
        "seed": 0,
        "torch": torch.__version__,
    }
    dropout = [m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)]
    if dropout:
        card_training["dropout"] = f"p = {', '.join(f'{p:g}' for p in dropout)} while training; left out by the export"
    classes = datasets.CLASSES[dataset]
    model.eval()  # the export leaves Dropout out, as eval mode does
    exported, _ = weights_io.save(name, model, {}, out, classes=classes, dataset=dataset)
    correct = count_correct(exported, test_x, test_y)
    parameters = sum(p.numel() for p in exported.parameters())
    card = {"parameters": parameters, "test_correct": correct, "test_total": len(test_x),
            "test_accuracy": correct / len(test_x), "storage": weights_io.INT8_STORAGE, "training": card_training}
    weights_io.save(name, model, card, out, classes=classes, dataset=dataset)
    print(f"{name}: exported int8 weights, test accuracy {correct / 100:.2f}% "
          f"({parameters} parameters)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=architectures.MODELS, action="append")
    parser.add_argument("--out", default=weights_io.WEIGHTS, help="directory for the exported files (default: weights/)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    random.seed(0)
    np.random.seed(0)
    for name in args.model or architectures.MODELS:
        train(name, args.out)


if __name__ == "__main__":
    main()
