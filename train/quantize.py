"""Rewrites the shipped models' weights as int8 with one float32 scale per output
(weights_io.py), from the float16 weights they were first exported with, and records in
each model card the test accuracy of what is now stored. Done once, on 2026-12-01; a
model trained from now on (train.py) is exported this way directly.

    python3 train/quantize.py
"""
import torch

import architectures
import datasets
import weights_io


def main():
    test_x, test_y = map(torch.from_numpy, datasets.load_split("test"))
    for name in architectures.MODELS:
        model, description = weights_io.load(name)
        card = description["card"]
        before = card["test_correct"]
        stored, _ = weights_io.save(name, model, card)
        with torch.no_grad():
            correct = int((stored(test_x).argmax(1) == test_y).sum())
        card.update(test_correct=correct, test_accuracy=correct / len(test_x), storage=weights_io.INT8_STORAGE)
        card["training"]["storage"] = "exported as float16, then quantized to int8 by train/quantize.py"
        weights_io.save(name, model, card)
        print(f"{name}: test accuracy {before / 100:.2f}% (float16) -> {correct / 100:.2f}% (int8)")


if __name__ == "__main__":
    main()
