"""The three shipped classifiers, as plain nn.Sequential so that their state_dict
names ("1.weight", ...) are the tensor names in weights/*.safetensors."""
from torch import nn

HIDDEN = {"mlp-narrow": 128, "mlp-wide": 300}


def mlp(hidden):
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, hidden), nn.ReLU(),
        nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, 10),
    )


def cnn():
    # 28 -> conv5 -> 24 -> pool -> 12 -> conv5 -> 8 -> pool -> 4; 24*4*4 = 384 features.
    return nn.Sequential(
        nn.Conv2d(1, 12, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(12, 24, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(384, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )


def build(name):
    return cnn() if name == "cnn" else mlp(HIDDEN[name])


MODELS = ["mlp-narrow", "mlp-wide", "cnn"]
