"""Speed of the recurrent layers against keras.layers.ConvLSTM2D.

Measures, in one run, the forward time (`predict_on_batch`) and the training-step
time (`train_on_batch` with MSE and SGD: forward, backward and weight update) of
each layer in a one-layer model, at the gesture paper's ConvLSTM shape by
default: batch 2, 8 steps, 28×28×256 -> 256, 3×3 kernel. Models are timed in
turns (one call each, round after round) so load from other processes hits them
alike; the table shows the best and the median time of the timed calls and the
speed-up over ConvLSTM2D (its best time divided by the layer's; the best time is
the least disturbed by other processes).

Usage (from the repository root):

    KERAS_BACKEND=tensorflow python benchmarks/bench_layers.py --repeats 10
    KERAS_BACKEND=jax python benchmarks/bench_layers.py --quick   # smoke run

Sections (`--only`): `convlstm` (ConvLSTM and the gesture paper's variants
(a)-(d)); `e3d` (E3D-LSTM with full history and with a window of 5, and the
ST-LSTM stack, always at the E3D paper's Moving MNIST shape, from
bench_e3d.py, which also measures their peak memory). A section is a
function `(args) -> list of (name, model builder)`; register new ones in
`SECTIONS`.
"""

import argparse
import dataclasses
import datetime
import os
import platform
import statistics
import sys
import time

import numpy as np

# Run from a checkout without installing the package.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402

from keras_stlstm.layers import get_conv_lstm_class  # noqa: E402
from keras_stlstm.utils import complexity  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_e3d import e3d_section  # noqa: E402


def convlstm_section(args):
    """ConvLSTM and variants (a)-(d) against keras.layers.ConvLSTM2D(padding="same")."""
    shape = (args.steps, args.size, args.size, args.channels)

    def builder(make_layer):
        return lambda: _one_layer_model(shape, make_layer())

    rows = [
        (
            "keras ConvLSTM2D",
            builder(lambda: keras.layers.ConvLSTM2D(args.filters, args.kernel, padding="same")),
        )
    ]
    for key, label in (
        ("convlstm", "ConvLSTM"),
        ("a", "(a) PooledGateConvLSTM"),
        ("b", "(b) InputAttentionConvLSTM"),
        ("c", "(c) InputGateAttentionConvLSTM"),
        ("d", "(d) OutputGateAttentionConvLSTM"),
    ):
        cls = get_conv_lstm_class(key)
        rows.append((label, builder(lambda cls=cls: cls(args.filters, args.kernel))))
    return rows


SECTIONS = {"convlstm": convlstm_section, "e3d": e3d_section}


def _one_layer_model(shape, layer):
    inputs = keras.Input(shape)
    model = keras.Model(inputs, layer(inputs))
    model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")
    return model


def _time_call(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _measure(entries, args):
    """Median forward and training-step seconds per entry, timed round-robin."""
    rng = np.random.default_rng(0)
    prepared = []
    for name, build in entries:
        model = build()
        x = rng.standard_normal((args.batch,) + model.input_shape[1:]).astype("float32")
        y = rng.standard_normal((args.batch,) + model.output_shape[1:]).astype("float32")
        # Warm-up: the first calls trace / compile.
        for _ in range(args.warmup):
            model.predict_on_batch(x)
            model.train_on_batch(x, y)
        prepared.append((name, model, x, y))
    times = {name: ([], []) for name, *_ in prepared}
    for _ in range(args.repeats):
        for name, model, x, y in prepared:
            times[name][0].append(_time_call(lambda: np.asarray(model.predict_on_batch(x))))
            times[name][1].append(_time_call(lambda: model.train_on_batch(x, y)))
    results = []
    for name, model, *_ in prepared:
        fwd, train = times[name]
        results.append(
            Result(name, model.count_params(), _counts(model), min(fwd), min(train),
                   statistics.median(fwd), statistics.median(train))
        )
    return results


@dataclasses.dataclass
class Result:
    """One table row; times in seconds, best (min) and median of the repeats."""

    name: str
    params: int
    counts: object  # keras_stlstm.utils.Complexity, or None for Keras' own layers
    forward: float
    train: float
    forward_median: float
    train_median: float


def _counts(model):
    try:
        return complexity(model)
    except ValueError:  # keras.layers.ConvLSTM2D has no SpatialCell
        return None


def _table(results):
    """Markdown table; speed-up = reference time / layer time, from the best times."""
    base = results[0]
    lines = [
        "| layer | params | true Mult-Adds/step | forward ms best (median) | speed-up "
        "| train step ms best (median) | speed-up |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        macs = _mult_adds(r.counts)
        lines.append(
            f"| {r.name} | {r.params:,} | {macs} "
            f"| {r.forward * 1e3:,.1f} ({r.forward_median * 1e3:,.1f}) | {base.forward / r.forward:.2f}x "
            f"| {r.train * 1e3:,.1f} ({r.train_median * 1e3:,.1f}) | {base.train / r.train:.2f}x |"
        )
    return "\n".join(lines)


def _mult_adds(counts):
    if counts is None:
        return "-"
    m = counts.mult_adds
    return f"{m / 1e6:,.0f}M" if m >= 1e6 else f"{m:,}"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per model")
    parser.add_argument("--warmup", type=int, default=2, help="untimed calls per model first")
    parser.add_argument("--quick", action="store_true", help="tiny shapes, one repeat: a smoke run")
    parser.add_argument(
        "--only", nargs="+", choices=sorted(SECTIONS), default=sorted(SECTIONS),
        help="sections to run",
    )
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--size", type=int, default=28, help="height = width")
    parser.add_argument("--channels", type=int, default=256, help="input channels")
    parser.add_argument("--filters", type=int, default=256)
    parser.add_argument("--kernel", type=int, default=3)
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.warmup = 1, 1
        args.steps, args.size, args.channels, args.filters = 2, 6, 2, 3
    return args


def main(argv=None):
    args = parse_args(argv)
    print(
        f"# {datetime.date.today()}  keras {keras.__version__}, backend {keras.backend.backend()}, "
        f"{platform.machine()} {os.cpu_count()} CPUs\n"
        f"# batch {args.batch}, {args.steps} steps, {args.size}x{args.size}x{args.channels} -> "
        f"{args.filters}, kernel {args.kernel}; best and median of {args.repeats} timed calls"
    )
    tables = {}
    for section in args.only:
        results = _measure(SECTIONS[section](args), args)
        tables[section] = results
        print(f"\n## {section}\n\n{_table(results)}", flush=True)
    return tables


if __name__ == "__main__":
    main()
