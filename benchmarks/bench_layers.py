"""Speed of the recurrent layers against keras.layers.ConvLSTM2D.

Measures, in one run, the forward time (`predict_on_batch`) and the training-step
time (`train_on_batch` with MSE and SGD: forward, backward and weight update) of
each layer in a one-layer model, at the gesture paper's ConvLSTM shape by
default: batch 2, 8 steps, 28×28×256 -> 256, 3×3 kernel. Models are timed in
turns (one call each, round after round) so load from other processes hits them
alike. The table shows, per call, the best wall-clock time and the median CPU
time of this process (summed over its threads), and the speed-up over
ConvLSTM2D for each (its time divided by the layer's). On a machine shared with
other jobs the CPU time is the stable number; the wall-clock time is what a user
waits on an idle machine.

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
    """(wall-clock seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


@dataclasses.dataclass
class Timing:
    """Seconds per call: best wall-clock time and median CPU time of the repeats."""

    wall: float
    cpu: float

    @classmethod
    def of(cls, samples):
        return cls(min(w for w, _ in samples), statistics.median(c for _, c in samples))


@dataclasses.dataclass
class Result:
    """One table row."""

    name: str
    params: int
    counts: object  # keras_stlstm.utils.Complexity, or None for Keras' own layers
    forward: Timing
    train: Timing


def _measure(entries, args):
    """Forward and training-step timings per entry, timed round-robin."""
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
    samples = {name: ([], []) for name, *_ in prepared}
    for _ in range(args.repeats):
        for name, model, x, y in prepared:
            samples[name][0].append(_time_call(lambda: np.asarray(model.predict_on_batch(x))))
            samples[name][1].append(_time_call(lambda: model.train_on_batch(x, y)))
    return [
        Result(name, model.count_params(), _counts(model), *map(Timing.of, samples[name]))
        for name, model, *_ in prepared
    ]


def _counts(model):
    try:
        return complexity(model)
    except ValueError:  # keras.layers.ConvLSTM2D has no SpatialCell
        return None


def _table(results):
    """Markdown table; a speed-up is the reference's time divided by the layer's."""
    base = results[0]
    lines = [
        "| layer | params | true Mult-Adds/step "
        "| forward wall ms | forward CPU ms | speed-up wall / CPU "
        "| train step wall ms | train step CPU ms | speed-up wall / CPU |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        cells = [r.name, f"{r.params:,}", _mult_adds(r.counts)]
        for timing, ref in ((r.forward, base.forward), (r.train, base.train)):
            cells += [
                f"{timing.wall * 1e3:,.1f}",
                f"{timing.cpu * 1e3:,.1f}",
                f"{ref.wall / timing.wall:.2f}x / {ref.cpu / timing.cpu:.2f}x",
            ]
        lines.append("| " + " | ".join(cells) + " |")
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
        f"{args.filters}, kernel {args.kernel}; {args.repeats} timed calls per model"
    )
    tables = {}
    for section in args.only:
        results = _measure(SECTIONS[section](args), args)
        tables[section] = results
        print(f"\n## {section}\n\n{_table(results)}", flush=True)
    return tables


if __name__ == "__main__":
    main()
