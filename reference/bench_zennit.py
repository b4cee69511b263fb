"""Time one Zennit explanation (1 image, float32) per model x method and put it next to
the native Rust figure from criterion, if `cargo bench` has been run.

    cargo bench                          # writes target/criterion/explain/<model>/<method>/
    python3 reference/bench_zennit.py    # table
    python3 reference/bench_zennit.py --json
    python3 reference/bench_zennit.py --batch 1000   # Zennit on 1,000 digits at a time, every
                                         # thread, per digit, next to criterion's batched/
    python3 reference/bench_zennit.py --serve        # one JSON line in, one out: {"model", "method",
                                         # "runs"} -> {"us"}, 1 thread (benches/browser.mjs --zennit
                                         # alternates these with its own figures)

Each timed explanation = forward + modified backward (torch.autograd.grad) with the
composite already registered; the "reg. inside" column also registers and removes the
composite inside the timed region. Median over --runs runs after --warmup runs.
"""
import argparse
import json
import os
import pathlib
import statistics
import sys
import time

import torch

import zennit  # noqa: F401
from zennit import types as ztypes
from zennit.composites import LayerMapComposite, layer_map_base, EpsilonGammaBox
from zennit.attribution import IntegratedGradients
from zennit.rules import Epsilon, AlphaBeta

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "train"))
import architectures  # noqa: E402
import datasets  # noqa: E402
import weights_io  # noqa: E402

CRITERION = ROOT / "target" / "criterion" / "explain"
CRITERION_BATCHED = ROOT / "target" / "criterion" / "batched"
BATCHED_DIGITS = 1024  # digits per iteration of benches/explain.rs's batched group

METHODS = {
    "epsilon": lambda: LayerMapComposite(layer_map_base() + [(ztypes.Linear, Epsilon(epsilon=0.25))]),
    "epsilon-gamma-box": lambda: EpsilonGammaBox(low=0., high=1., epsilon=0.25, gamma=0.25),
    "alpha2-beta1": lambda: LayerMapComposite(layer_map_base() + [(ztypes.Linear, AlphaBeta(alpha=2, beta=1))]),
    # Not a composite: Zennit's attributor, 20 steps from the zero baseline (its default and ours).
    "integrated-gradients": None,
}


def integrated_gradients(model, x, grad_out):
    _, rel = IntegratedGradients(model=model, n_iter=20)(x, grad_out)
    return rel


def explain(model, x, grad_out):
    x = x.detach().requires_grad_(True)
    out = model(x)
    rel, = torch.autograd.grad(out, x, grad_outputs=grad_out)
    return rel


def median_us(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - t0)
    return statistics.median(times) / 1e3


def time_zennit(model, composite_fn, x, grad_out, runs, warmup, inside=True):
    """(registered, registration inside) medians in µs; without `inside`, the second is None."""
    if composite_fn is None:  # integrated gradients: nothing to register
        t = median_us(lambda: integrated_gradients(model, x, grad_out), runs, warmup)
        return t, t
    composite = composite_fn()
    composite.register(model)
    try:
        registered = median_us(lambda: explain(model, x, grad_out), runs, warmup)
    finally:
        composite.remove()
    if not inside:
        return registered, None

    def with_registration():
        c = composite_fn()
        c.register(model)
        try:
            explain(model, x, grad_out)
        finally:
            c.remove()
    inside = median_us(with_registration, runs, warmup)
    return registered, inside


def rust_us(model, method):
    path = CRITERION / model / method / "new" / "estimates.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())["median"]["point_estimate"] / 1e3
    except (KeyError, ValueError, TypeError):
        return None


def load(name, x):
    """The model in float32 without parameter gradients, and the one-hot output
    relevance of its predictions on `x`."""
    model, _ = weights_io.load(name)
    model = model.float().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    with torch.no_grad():
        target = model(x).argmax(1)
    return model, torch.nn.functional.one_hot(target, 10).float()


def batched(args):
    """Zennit on --batch digits at a time with torch's default threads, microseconds per
    digit (median of --rounds), beside the Rust batched figure (every core)."""
    images, _ = datasets.load_split("test")
    x = torch.from_numpy(images[:args.batch]).float()
    threads = torch.get_num_threads()
    print(f"Zennit {_zennit_version()} / torch {torch.__version__} on {_cpu_name()}; {args.batch} digits per batch, "
          f"{threads} threads, median of {args.rounds} rounds after one warm-up; µs per digit")
    print(f"{'model':<11} {'method':<18} {'zennit':>9} {'rust':>9} {'zennit/rust':>12}")
    for name in architectures.MODELS:
        model, grad_out = load(name, x)
        for method, composite_fn in METHODS.items():
            if composite_fn is None:
                continue  # batched: the rules only
            composite = composite_fn()
            composite.register(model)
            try:
                explain(model, x, grad_out)
                times = []
                for _ in range(args.rounds):
                    t0 = time.perf_counter_ns()
                    explain(model, x, grad_out)
                    times.append(time.perf_counter_ns() - t0)
            finally:
                composite.remove()
            zennit = statistics.median(times) / 1e3 / args.batch
            path = CRITERION_BATCHED / name / method / "new" / "estimates.json"
            rust = json.loads(path.read_text())["median"]["point_estimate"] / 1e3 / BATCHED_DIGITS if path.is_file() else None
            ratio = "n/a (cargo bench)" if rust is None else f"{zennit / rust:.1f}x"
            print(f"{name:<11} {method:<18} {zennit:>9.1f} {'n/a' if rust is None else f'{rust:.1f}':>9} {ratio:>12}")


def serve(args):
    """Answers each line of standard input, {"model", "method", "runs"}, with {"us": the
    median of that many timed explanations (1 thread, composite registered)}, so that a
    caller can alternate Zennit's figures with its own in one sitting."""
    torch.set_num_threads(1)
    images, _ = datasets.load_split("test")
    x = torch.from_numpy(images[:1]).float()
    models = {}
    print(json.dumps({"zennit": _zennit_version(), "torch": torch.__version__, "cpu": _cpu_name()}), flush=True)
    for line in sys.stdin:
        ask = json.loads(line)
        if ask["model"] not in models:
            models[ask["model"]] = load(ask["model"], x)
        model, grad_out = models[ask["model"]]
        runs = int(ask.get("runs", args.runs))
        us, _ = time_zennit(model, METHODS[ask["method"]], x, grad_out, runs, args.warmup, inside=False)
        print(json.dumps({"us": us}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print machine-readable JSON instead of a table")
    ap.add_argument("--runs", type=int, default=300, help="timed runs per figure (>= 200)")
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--batch", type=int, default=0, help="time batches of this many digits instead (per digit)")
    ap.add_argument("--rounds", type=int, default=7, help="timed batches per figure with --batch")
    ap.add_argument("--serve", action="store_true", help="answer timing requests, one JSON line each (see above)")
    args = ap.parse_args()
    if args.serve:
        return serve(args)
    if args.batch:
        return batched(args)
    if args.runs < 200:
        ap.error("--runs must be at least 200")

    default_threads = torch.get_num_threads()
    images, _ = datasets.load_split("test")
    x = torch.from_numpy(images[:1]).float()

    rows = []
    for name in architectures.MODELS:
        model, grad_out = load(name, x)
        for method, composite_fn in METHODS.items():
            row = {"model": name, "method": method}
            torch.set_num_threads(1)
            row["zennit_us_1_thread"], row["zennit_us_1_thread_registration_inside"] = time_zennit(
                model, composite_fn, x, grad_out, args.runs, args.warmup)
            torch.set_num_threads(default_threads)
            row["zennit_us_default_threads"], _ = time_zennit(
                model, composite_fn, x, grad_out, args.runs, args.warmup)
            rust = rust_us(name, method)
            row["rust_us"] = rust
            row["ratio_zennit_over_rust"] = None if rust is None else row["zennit_us_1_thread"] / rust
            rows.append(row)
    torch.set_num_threads(default_threads)

    info = {"torch": torch.__version__, "zennit": _zennit_version(), "default_threads": default_threads,
            "cpu": _cpu_name(), "runs": args.runs, "warmup": args.warmup, "batch": 1, "dtype": "float32",
            "statistic": "median", "rust_source": str(CRITERION.relative_to(ROOT)) + "/<model>/<method>/new/estimates.json"
                                                  " median.point_estimate (ns)",
            "rows": rows}
    if args.json:
        print(json.dumps(info, indent=1))
        return

    print(f"Zennit {info['zennit']} / torch {info['torch']} on {info['cpu']}; batch 1, float32, "
          f"median of {args.runs} runs after {args.warmup} warm-up; default threads = {default_threads}")
    head = ("model", "method", "zennit µs (1 thr)", f"zennit µs ({default_threads} thr)",
            "zennit µs reg. inside (1 thr)", "rust µs", "zennit/rust")
    table = [head]
    for r in rows:
        table.append((r["model"], r["method"], f"{r['zennit_us_1_thread']:.1f}", f"{r['zennit_us_default_threads']:.1f}",
                      f"{r['zennit_us_1_thread_registration_inside']:.1f}",
                      "n/a" if r["rust_us"] is None else f"{r['rust_us']:.1f}",
                      "n/a (run cargo bench)" if r["rust_us"] is None else f"{r['ratio_zennit_over_rust']:.1f}x"))
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for i, row in enumerate(table):
        print("  ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))


def _zennit_version():
    try:
        from importlib.metadata import version
        return version("zennit")
    except Exception:
        return "unknown"


def _cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip() + f" ({os.cpu_count()} logical CPUs)"
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
