"""Writes tests/fixtures/forward.json: PyTorch's logits for a fixed set of test
images of each model's data set, computed from the exported weights/ files (int8
with scales and float16 values, float32 maths).
`cargo test` checks that the Rust forward pass reproduces them.

    python3 train/make_fixtures.py
"""
import json
import pathlib

import torch

import architectures
import datasets
import weights_io

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"
# 64 images spread over the whole test split.
INDICES = list(range(0, 10000, 157))[:64]


def main():
    fixture = {"source": "PyTorch " + torch.__version__ + ", float32, weights/ as shipped",
               "test_indices": INDICES, "labels": {}, "datasets": {}, "logits": {}}
    with torch.no_grad():
        for name in architectures.MODELS:
            dataset = architectures.DATASET[name]
            images, labels = datasets.load_split("test", dataset)
            fixture["labels"][dataset] = labels[INDICES].tolist()
            fixture["datasets"][name] = dataset
            model, _ = weights_io.load(name)
            fixture["logits"][name] = [[float(v) for v in row] for row in model(torch.from_numpy(images[INDICES]))]
    FIXTURES.mkdir(parents=True, exist_ok=True)
    (FIXTURES / "forward.json").write_text(json.dumps(fixture) + "\n")
    print(f"wrote {FIXTURES / 'forward.json'} ({len(INDICES)} images)")


if __name__ == "__main__":
    main()
