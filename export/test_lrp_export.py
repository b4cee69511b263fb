"""Round trips through export/lrp_export.py: PyTorch model -> files -> PyTorch and
-> the `lrp` command, which must compute the same logits and, when Zennit is
installed, Zennit's relevance (with its BatchNorm canonizer, on the original model).

    python3 -m unittest discover -s export     # needs torch and safetensors; zennit optional

The test command runs this when torch is importable and says so when it is not.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import lrp_export  # noqa: E402
from lrp_export import ExportError, export  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
LRP = pathlib.Path(os.environ.get("LRP_BIN", ROOT / "target" / "release" / "lrp"))

try:
    import zennit  # noqa: F401
    from zennit.attribution import Gradient
    from zennit.canonizers import SequentialMergeBatchNorm
    from zennit.composites import EpsilonGammaBox
except ImportError:  # pragma: no cover
    zennit = None


def seeded(model, seed=0):
    """Random weights, and BatchNorm statistics away from the identity."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2 / m.weight[0].numel()) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.rand(m.bias.shape, generator=gen) * 0.4 - 0.2)
            elif isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.rand(m.num_features, generator=gen) * 0.6 - 0.3)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(m.num_features, generator=gen) * 0.4 - 0.2)
    return model.eval()


def rgb_net():
    return seeded(nn.Sequential(
        nn.Conv2d(3, 6, 3, stride=2, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.AvgPool2d(2),
        nn.Sequential(nn.Conv2d(6, 8, (3, 2), padding=(1, 0), bias=False), nn.BatchNorm2d(8), nn.ReLU()),
        nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(8 * 2 * 1, 5)))


def flat_net():
    return seeded(nn.Sequential(nn.Linear(20, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Dropout(), nn.Linear(12, 3)), 1)


class RoundTrip(unittest.TestCase):
    def setUp(self):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="lrp-export-"))

    def export(self, model, shape, **kwargs):
        return export(model, self.dir / "net.json", shape, **kwargs)

    def test_the_stored_network_computes_the_original_function(self):
        for model, shape in ((rgb_net(), (3, 16, 12)), (flat_net(), (20,))):
            before = {k: v.clone() for k, v in model.state_dict().items()}
            stored = self.export(model, shape)
            x = torch.rand(4, *shape, generator=torch.Generator().manual_seed(3))
            with torch.no_grad():
                self.assertLess((model(x) - stored(x)).abs().max().item(), 1e-5)
            # BatchNorm merged, Dropout left out, nested Sequentials flattened; the caller's model untouched.
            kinds = [type(m).__name__ for m in stored]
            self.assertNotIn("BatchNorm2d", kinds)
            self.assertNotIn("BatchNorm1d", kinds)
            self.assertNotIn("Dropout", kinds)
            for key, value in model.state_dict().items():
                self.assertTrue(torch.equal(value, before[key]), key)
            description = json.loads((self.dir / "net.json").read_text())
            self.assertEqual(description["input_shape"], list(shape))
            self.assertEqual([layer["type"] for layer in description["layers"]], kinds)
            self.assertEqual(description["card"]["parameters"], sum(p.numel() for p in stored.parameters()))

    def test_int8_stores_a_scale_per_output(self):
        stored = self.export(flat_net(), (20,), int8=True, class_names=["a", "b", "c"])
        description = json.loads((self.dir / "net.json").read_text())
        weight = description["layers"][0]["tensors"]["weight"]
        self.assertEqual(weight["scale"], "0.weight_scale")
        self.assertEqual(description["classes"], ["a", "b", "c"])
        self.assertIn("int8", description["card"]["storage"])
        x = torch.rand(2, 20)
        with torch.no_grad():
            self.assertLess((flat_net()(x) - stored(x)).abs().max().item(), 0.05)

    def test_unsupported_models_are_refused_naming_the_layer(self):
        cases = [
            (nn.Sequential(nn.Linear(4, 4), nn.GELU(), nn.Linear(4, 2)), (4,), "layer 1 (GELU) is not supported"),
            (nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.BatchNorm1d(4)), (4,), "layer 2 (BatchNorm1d) must "
                                                                                "directly follow a Linear"),
            (nn.Sequential(nn.Conv2d(2, 2, 3, groups=2), nn.Flatten()), (2, 5, 5), "layer 0 (Conv2d): groups=2"),
            (nn.Sequential(nn.Conv2d(1, 2, 3, dilation=2), nn.Flatten()), (1, 9, 9), "dilation"),
            (nn.Sequential(nn.Conv2d(1, 2, 3, padding="same"), nn.Flatten()), (1, 5, 5), "padding='same'"),
            (nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2, ceil_mode=True), nn.Flatten()), (1, 7, 7),
             "ceil_mode"),
            (nn.Sequential(nn.Sequential(nn.Linear(4, 3), nn.Tanh())), (4,), "layer 0.1 (Tanh)"),
            (nn.Sequential(nn.Linear(4, 3)), (5,), "cannot take an input of shape [5]"),
            (nn.Sequential(nn.Conv2d(1, 2, 3)), (1, 5, 5), "one score per class"),
            (nn.Linear(4, 2), (4,), "export takes an nn.Sequential"),
        ]
        for model, shape, message in cases:
            with self.subTest(message=message), self.assertRaises(ExportError) as caught:
                self.export(model, shape)
            self.assertIn(message, str(caught.exception))
        with self.assertRaises(ExportError) as caught:
            self.export(flat_net(), (20,), class_names=["only", "two"])
        self.assertIn("2 class names for 3 outputs", str(caught.exception))
        with self.assertRaises(ExportError):
            self.export(flat_net(), (20,), input_range=(1, 0))

    @unittest.skipUnless(LRP.exists(), f"{LRP} is not built (cargo build --release)")
    def test_the_lrp_command_reads_the_export_as_pytorch_and_zennit_do(self):
        model, shape = rgb_net(), (3, 16, 12)
        export(model, self.dir / "net.json", shape, class_names=list("abcde"))
        x = torch.rand(3, *shape, generator=torch.Generator().manual_seed(5))
        np.save(self.dir / "x.npy", x.numpy())
        run = subprocess.run([str(LRP), "explain", str(self.dir / "x.npy"), "--model-file", str(self.dir / "net.json"),
                              "--rule", "epsilon-gamma-box", "--param", "epsilon=0.25", "--param", "gamma=0.25",
                              "--output", "one-hot", "--out",
                              str(self.dir / "relevance.npy")], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        summary = json.loads(run.stdout)
        with torch.no_grad():
            logits = model(x)
        ours = torch.tensor([row["logits"] for row in summary["inputs"]])
        self.assertLess((ours - logits).abs().max().item(), 1e-4)
        if zennit is None:
            print("zennit is not installed: relevance not compared", file=sys.stderr)
            return
        relevance = torch.from_numpy(np.load(self.dir / "relevance.npy")).double()
        original = model.double()
        for m in original.modules():  # the same function; Zennit's merged BatchNorm is then exactly the identity
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_var += m.eps
                m.eps = 0.0
        composite = EpsilonGammaBox(low=0.0, high=1.0, epsilon=0.25, gamma=0.25, canonizers=[SequentialMergeBatchNorm()])
        xd = x.double()
        target = torch.eye(5, dtype=torch.float64)[original(xd).argmax(1)]
        with Gradient(model=original, composite=composite) as attributor:
            _, expected = attributor(xd, target)
        expected = expected.reshape(3, -1)
        difference = ((relevance - expected).abs().max() / expected.abs().max()).item()
        self.assertLess(difference, 1e-5, f"relative difference to Zennit {difference:.1e}")


if __name__ == "__main__":
    unittest.main()
