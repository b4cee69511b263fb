"""The shipped classifiers, as plain nn.Sequential so that their state_dict
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


def fashion_cnn():
    # 28 -conv5 p2-> 28 -pool-> 14 -conv5 p2-> 14 -pool-> 7; 32*7*7 = 1568 features.
    # Dropout regularises training; the export drops it (it is the identity at test time).
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.3),
        nn.Linear(1568, 64), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(64, 10),
    )


BUILDERS = {"mlp-narrow": lambda: mlp(HIDDEN["mlp-narrow"]), "mlp-wide": lambda: mlp(HIDDEN["mlp-wide"]),
            "cnn": cnn, "fashion-cnn": fashion_cnn}
# The data set each model is trained and tested on (train/datasets.py).
DATASET = {"mlp-narrow": "mnist", "mlp-wide": "mnist", "cnn": "mnist", "fashion-cnn": "fashion-mnist"}
MODELS = list(BUILDERS)


def build(name):
    return BUILDERS[name]()
