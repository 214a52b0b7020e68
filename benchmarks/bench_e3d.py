"""Speed and peak memory of the E3D-LSTM stack, full history vs a window of 5.

At the E3D paper's Moving MNIST shape: 20 frames of 64×64×1 patched 4×4 into
16×16×16, 4 layers of 64 filters, kernel 2×5×5, depth 2, batch 2. Rows:
E3D-LSTM attending to every earlier memory (recall_window=None, τ = 20), the
same with a window of 5 memories (the paper's online setting), and, for
reference, the PredRNN ST-LSTM stack of its official Moving MNIST scripts
(4 layers of 128, kernel 5) on the same input.

Each configuration runs in a fresh subprocess, so its peak resident memory
(`resource.getrusage(...).ru_maxrss`) is its own: the table reports the peak
over the process's life (framework included) and the growth over the resident
size measured after building the model, for the forward pass (`predict_on_batch`)
and then for the training step (`train_on_batch`: MSE, SGD; forward, backward,
update). Times are the best and the median of the timed calls.

Usage (from the repository root):

    KERAS_BACKEND=tensorflow python benchmarks/bench_e3d.py --repeats 3
    python benchmarks/bench_e3d.py --quick      # tiny shapes: a smoke run

`e3d_section(args)` also plugs these rows into `benchmarks/bench_layers.py`
(`--only e3d`), which times them in turns in one process (no memory column).
"""

import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

# Run from a checkout without installing the package.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The E3D paper's Moving MNIST setting, after 4×4 patching of 64×64×1 frames.
PAPER_SHAPE = {"steps": 20, "size": 16, "channels": 16}
QUICK_SHAPE = {"steps": 3, "size": 6, "channels": 2}


def configurations(quick=False):
    """Key -> (table label, keyword arguments of the recurrent layer), in table order."""
    if quick:
        e3d = {"kind": "e3d", "filters": [3, 3], "kernel_size": (2, 3, 3)}
        st = {"kind": "st", "filters": [4, 4], "kernel_size": 3}
        labels = ("E3D-LSTM 2x3 k2x3x3", "ST-LSTM 2x4 k3")
    else:
        e3d = {"kind": "e3d", "filters": [64] * 4, "kernel_size": (2, 5, 5)}
        st = {"kind": "st", "filters": [128] * 4, "kernel_size": 5}
        labels = ("E3D-LSTM 4x64 k2x5x5", "ST-LSTM 4x128 k5 (PredRNN)")
    return {
        "e3d-full": (f"{labels[0]}, full history", e3d),
        "e3d-window5": (f"{labels[0]}, window 5", {**e3d, "recall_window": 5}),
        "st-lstm": (labels[1], st),
    }


def build_model(config, shape):
    """A compiled model: frames (steps, size, size, channels) -> the stack's output sequence."""
    import keras

    from keras_stlstm.layers import Eidetic3DLSTM, SpatioTemporalLSTM

    config = dict(config)
    cls = Eidetic3DLSTM if config.pop("kind") == "e3d" else SpatioTemporalLSTM
    inputs = keras.Input((shape["steps"], shape["size"], shape["size"], shape["channels"]))
    model = keras.Model(inputs, cls(return_sequences=True, **config)(inputs))
    model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")
    return model


def e3d_section(args):
    """Rows for bench_layers.py: (name, model builder) at the E3D paper's shape (tiny with --quick)."""
    shape = QUICK_SHAPE if args.quick else PAPER_SHAPE
    return [
        (label, lambda config=config: build_model(config, shape))
        for label, config in configurations(args.quick).values()
    ]


def _max_rss_mb():
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_worker(key, args):
    """Measures one configuration (a key of `configurations`) in this process; returns a dict."""
    import numpy as np

    shape = QUICK_SHAPE if args.quick else PAPER_SHAPE
    name, config = configurations(args.quick)[key]
    model = build_model(config, shape)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch,) + model.input_shape[1:]).astype("float32")
    y = rng.standard_normal((args.batch,) + model.output_shape[1:]).astype("float32")
    base = _max_rss_mb()
    forward = [_timed(lambda: np.asarray(model.predict_on_batch(x))) for _ in range(args.warmup + args.repeats)]
    after_forward = _max_rss_mb()
    train = [_timed(lambda: model.train_on_batch(x, y)) for _ in range(args.warmup + args.repeats)]
    after_train = _max_rss_mb()
    forward, train = forward[args.warmup :], train[args.warmup :]
    return {
        "key": key,
        "name": name,
        "params": model.count_params(),
        "forward": min(forward),
        "forward_median": statistics.median(forward),
        "train": min(train),
        "train_median": statistics.median(train),
        "rss_base_mb": base,
        "rss_forward_mb": after_forward,
        "rss_train_mb": after_train,
    }


def measure(args):
    """Runs every configuration in its own subprocess; returns the list of result dicts."""
    results = []
    script = os.path.abspath(__file__)
    common = ["--batch", str(args.batch), "--repeats", str(args.repeats), "--warmup", str(args.warmup)]
    if args.quick:
        common.append("--quick")
    for key in args.configs:
        proc = subprocess.run(
            [sys.executable, script, "--worker", key] + common,
            capture_output=True, text=True, check=False,
        )
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not lines:
            raise RuntimeError(f"benchmark worker for {key!r} failed:\n{proc.stderr[-3000:]}")
        results.append(json.loads(lines[-1]))
    return results


def table(results):
    """Markdown table; a last line gives the full-history / window-5 ratios when both ran."""
    lines = [
        "| configuration | params | forward ms best (median) | train step ms best (median) "
        "| peak RSS MB forward / train | growth over built model MB forward / train |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['name']} | {r['params']:,} "
            f"| {r['forward'] * 1e3:,.0f} ({r['forward_median'] * 1e3:,.0f}) "
            f"| {r['train'] * 1e3:,.0f} ({r['train_median'] * 1e3:,.0f}) "
            f"| {r['rss_forward_mb']:,.0f} / {r['rss_train_mb']:,.0f} "
            f"| {r['rss_forward_mb'] - r['rss_base_mb']:,.0f} / {r['rss_train_mb'] - r['rss_base_mb']:,.0f} |"
        )
    by_key = {r["key"]: r for r in results}
    if "e3d-full" in by_key and "e3d-window5" in by_key:
        full, window = by_key["e3d-full"], by_key["e3d-window5"]

        def growth(r, key):
            return max(r[key] - r["rss_base_mb"], 1e-9)

        lines.append("")
        lines.append(
            "Full history / window 5: forward time {:.2f}x, train step time {:.2f}x, "
            "memory growth forward {:.2f}x, train {:.2f}x.".format(
                full["forward"] / window["forward"],
                full["train"] / window["train"],
                growth(full, "rss_forward_mb") / growth(window, "rss_forward_mb"),
                growth(full, "rss_train_mb") / growth(window, "rss_train_mb"),
            )
        )
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per configuration")
    parser.add_argument("--warmup", type=int, default=1, help="untimed calls first (tracing, compilation)")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="tiny shapes, one repeat: a smoke run")
    keys = list(configurations())
    parser.add_argument("--configs", nargs="+", choices=keys, default=keys, help="configurations to run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: measure one configuration
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.warmup = 1, 1
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker(args.worker, args)), flush=True)
        return None
    import keras

    shape = QUICK_SHAPE if args.quick else PAPER_SHAPE
    print(
        f"# {datetime.date.today()}  keras {keras.__version__}, backend {keras.backend.backend()}, "
        f"{platform.machine()} {os.cpu_count()} CPUs\n"
        f"# batch {args.batch}, {shape['steps']} frames of {shape['size']}x{shape['size']}x{shape['channels']}; "
        f"best and median of {args.repeats} timed calls, one subprocess per configuration\n"
    )
    results = measure(args)
    print(table(results), flush=True)
    return results


if __name__ == "__main__":
    main()
