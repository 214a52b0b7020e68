"""E3D-LSTM training step: keras_stlstm on every Keras backend against OpenSTL's PyTorch E3D-LSTM.

At the E3D paper's Moving MNIST configuration: 64×64×1 frames patched 4×4 into
16×16×16, 10 context + 10 future frames (19 recurrent steps), 4 layers of 64
filters, kernel 2×5×5, window depth 2, batch 4; no layer norm on the gate
convolutions (OpenSTL's Moving MNIST setting, layer_norm = 0); MSE + L1 loss,
Adam. One training step = forward + backward + optimizer update, teacher
forcing (η = 1) on both sides.

Rows:
- keras_stlstm `VideoPredictor("e3d")` with `train_on_batch`, on each backend
  that imports here (tensorflow, jax, torch);
- OpenSTL's own E3D-LSTM (vendored in benchmarks/openstl_vendor, built by
  benchmarks/openstl_reference.py), as OpenSTL runs it (depth padding 0: its 3D
  convolutions compute half the output slices and repeat them), and with
  'same' depth padding, the same work as keras_stlstm's 'same' convolutions.
  The ratios compare at equal work.
- "-before" rows (not run unless named with --rows): keras_stlstm's E3D-LSTM
  as it was before the speed work of issue 22, the 3D convolutions through
  `ops.conv` on the 5D block and RECALL rematerialised on every backend, for a
  before/after ratio measured in the same run.
- "-ftz" rows: the same PyTorch rows with denormal floats flushed to zero
  (`torch.set_flush_denormal(True)`). PyTorch computes with denormals by
  default, and OpenSTL's RECALL produces them (softmax weights of 10^-38 and
  less over thousands of keys), which makes its attention matrix products
  several times slower on x86 CPUs; TensorFlow flushes denormals in its own
  threads by default. The flushed OpenSTL row is the strongest reference
  (the issue's 23.8 s per step "as OpenSTL runs" was measured so); the
  headline ratio is against the faster of the two equal-work OpenSTL rows.

Parameters: the two models are the same architecture up to three documented
differences, and the script checks the count of each against the other's
weights: OpenSTL's M path has a fourth gate convolution (F more output
channels in conv_gm; keras_stlstm follows the paper's three), its LayerNorm of
C + RECALL has a gain and shift per element of the F×D×H×W block (keras_stlstm:
per channel), and it has no biases (keras_stlstm: gate biases and the decoder's).

Each row runs in its own subprocess, so its peak resident memory
(ru_maxrss: framework, model, activations kept for the backward pass) is its
own. Times are the best and the median of the timed steps, after untimed
warm-up steps (tracing, XLA / graph compilation); the process CPU time of the
best step is given too, the steadier number on a machine shared with other jobs.

Usage (from the repository root):

    python benchmarks/bench_e3d_vs_openstl.py                 # the paper's configuration (minutes per row)
    python benchmarks/bench_e3d_vs_openstl.py --small         # a reduced configuration, about a minute
    python benchmarks/bench_e3d_vs_openstl.py --rows keras-jax openstl-same
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

# Run from a checkout without installing the package.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.timing import timed_calls  # noqa: E402

PAPER = {"layers": 4, "filters": 64, "kernel": (2, 5, 5), "image": 64, "patch": 4, "channels": 1,
         "context": 10, "future": 10, "batch": 4}
SMALL = {"layers": 2, "filters": 16, "kernel": (2, 5, 5), "image": 32, "patch": 4, "channels": 1,
         "context": 5, "future": 5, "batch": 2}
TOY = {"layers": 2, "filters": 4, "kernel": (2, 5, 5), "image": 8, "patch": 2, "channels": 1,
       "context": 2, "future": 2, "batch": 2}
SIZES = {"paper": PAPER, "small": SMALL, "toy": TOY}
BACKENDS = ("tensorflow", "jax", "torch")
FTZ = "-ftz"  # suffix of the PyTorch rows run with denormals flushed to zero
BEFORE = "-before"  # suffix of the keras_stlstm rows run as before issue 22's speed work
ROWS = ("keras-tensorflow", "keras-jax", "keras-torch", "keras-torch-ftz", "openstl", "openstl-ftz",
        "openstl-same", "openstl-same-ftz")
BEFORE_ROWS = tuple(f"keras-{b}{BEFORE}" for b in BACKENDS)
LABELS = {
    "keras-tensorflow": "keras_stlstm, TensorFlow",
    "keras-jax": "keras_stlstm, JAX",
    "keras-torch": "keras_stlstm, PyTorch",
    "keras-torch-ftz": "keras_stlstm, PyTorch, denormals flushed",
    "openstl": "OpenSTL, depth padding 0 (as OpenSTL runs: half the output slices)",
    "openstl-ftz": "OpenSTL, depth padding 0, denormals flushed",
    "openstl-same": "OpenSTL, 'same' depth padding (equal work)",
    "openstl-same-ftz": "OpenSTL, 'same' depth padding (equal work), denormals flushed",
    "keras-tensorflow-before": "keras_stlstm, TensorFlow, before (Conv3D, RECALL rematerialised)",
    "keras-jax-before": "keras_stlstm, JAX, before (Conv3D, RECALL rematerialised)",
    "keras-torch-before": "keras_stlstm, PyTorch, before (Conv3D, RECALL rematerialised)",
}
# The ratio columns: each keras_stlstm row against these OpenSTL rows.
REFERENCES = (("openstl", "as run"), ("openstl-same", "equal work"), ("openstl-same-ftz", "equal work, FTZ"))
EQUAL_WORK = ("openstl-same", "openstl-same-ftz")


def _peak_rss_mb():
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _clip(cfg, seed=0):
    """(batch, T, image, image, channels) frames in [0, 1]."""
    import numpy as np

    shape = (cfg["batch"], cfg["context"] + cfg["future"], cfg["image"], cfg["image"], cfg["channels"])
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def keras_parameter_breakdown(model):
    """{part: count} of a keras_stlstm E3D VideoPredictor, by weight path."""
    import math

    parts = {"kernel_m": 0, "biases": 0, "norm_recall": 0, "other": 0}
    for v in model.weights:
        if not v.trainable:
            continue
        n, path = math.prod(v.shape), v.path
        if path.endswith("kernel_m"):
            parts["kernel_m"] += n
        elif path.endswith("bias") or path.endswith("_bias"):
            parts["biases"] += n
        elif "norm_recall" in path:
            parts["norm_recall"] += n
        else:
            parts["other"] += n
    return parts


def openstl_count_from_keras(parts, cfg):
    """OpenSTL's parameter count predicted from keras_stlstm's weights (see the module docstring)."""
    size = cfg["image"] // cfg["patch"]
    per_element_norm = 2 * cfg["filters"] * 2 * size * size  # gain + shift per (F, D, H, W) element
    return parts["other"] + parts["kernel_m"] * 4 // 3 + cfg["layers"] * per_element_norm


def build_keras_model(cfg):
    import keras

    from keras_stlstm.models import VideoPredictor
    from keras_stlstm.training import l1_l2_loss

    model = VideoPredictor("e3d", context_frames=cfg["context"], future_frames=cfg["future"],
                           image_size=cfg["image"], channels=cfg["channels"], patch_size=cfg["patch"],
                           filters=[cfg["filters"]] * cfg["layers"], kernel_size=cfg["kernel"],
                           layer_norm=False)
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=l1_l2_loss)
    return model


def run_keras(cfg, warmup, repeats):
    import keras

    model = build_keras_model(cfg)
    frames = _clip(cfg)
    targets = frames[:, 1:]
    times, cpu = timed_calls(lambda: model.train_on_batch(frames, targets), repeats, warmup)
    parts = keras_parameter_breakdown(model)
    return {"backend": keras.backend.backend(), "times": times, "cpu": cpu, "params": model.count_params(),
            "parts": parts, "openstl_params_predicted": openstl_count_from_keras(parts, cfg)}


def build_openstl_model(cfg, depth_padding):
    from benchmarks.openstl_reference import build_openstl_e3d

    if tuple(cfg["kernel"]) != (2, 5, 5):
        raise ValueError(f"OpenSTL's E3D-LSTM hard-codes the kernel (2, 5, 5); received {cfg['kernel']}.")
    return build_openstl_e3d([cfg["filters"]] * cfg["layers"], cfg["image"], cfg["patch"], cfg["channels"],
                             cfg["context"], cfg["future"], depth_padding=depth_padding)


def patch(frames, p):
    """OpenSTL's reshape_patch: (B, T, H, W, C) -> (B, T, H/p, W/p, p·p·C)."""
    b, t, h, w, c = frames.shape
    x = frames.reshape(b, t, h // p, p, w // p, p, c).transpose(0, 1, 2, 4, 3, 5, 6)
    return x.reshape(b, t, h // p, w // p, p * p * c)


def run_openstl(cfg, depth_padding, warmup, repeats):
    import torch

    torch.manual_seed(0)
    model = build_openstl_model(cfg, depth_padding)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    frames = torch.from_numpy(patch(_clip(cfg), cfg["patch"]))
    # Teacher forcing (η = 1), as keras_stlstm's sampling probability at the start of training.
    mask = torch.ones((cfg["batch"], cfg["future"] - 1) + tuple(frames.shape[2:]))

    def step():
        optimizer.zero_grad()
        _, loss = model(frames, mask)
        loss.backward()
        optimizer.step()

    times, cpu = timed_calls(step, repeats, warmup)
    return {"backend": "torch", "times": times, "cpu": cpu, "params": sum(p.numel() for p in model.parameters()),
            "torch_threads": torch.get_num_threads()}


def undo_speedups():
    """Puts keras_stlstm's E3D-LSTM back as it ran before issue 22 (for the -before rows; this process only).

    Its 3D convolutions through `ops.conv` on the 5D block instead of one 2D
    convolution per depth tap, and RECALL rematerialised on every backend
    (now: not on PyTorch). The values are the same either way.
    """
    from keras import ops

    from keras_stlstm.layers import eidetic_3d_lstm

    eidetic_3d_lstm.Eidetic3DLSTMCell._same_conv = lambda self, x, kernel: ops.conv(x, kernel, padding="same")
    eidetic_3d_lstm.recall_for_training = lambda: eidetic_3d_lstm.recall_rematerialized


def run_row(row, cfg, warmup, repeats):
    """Measures one row in this process."""
    if row.endswith(BEFORE):
        undo_speedups()
    if row.endswith(FTZ):
        import torch

        torch.set_flush_denormal(True)
    try:
        if row.startswith("keras-"):
            result = run_keras(cfg, warmup, repeats)
        else:
            result = run_openstl(cfg, "same" if row.startswith("openstl-same") else "openstl", warmup, repeats)
    finally:
        if row.endswith(FTZ):
            torch.set_flush_denormal(False)  # PyTorch's default, for whatever runs next in this process
    result["flush_denormal"] = row.endswith(FTZ)
    result.update(row=row, label=LABELS[row], best=min(result["times"]), median=statistics.median(result["times"]),
                  cpu_best=min(result["cpu"]), peak_rss_mb=_peak_rss_mb())
    return result


def available_rows(rows):
    """The rows whose framework imports here (each Keras backend, torch for OpenSTL and the -ftz rows)."""
    import importlib.util

    needs = {r: "torch" if r.startswith("openstl") or r.endswith(FTZ) else r.split("-")[1]
             for r in ROWS + BEFORE_ROWS}
    return [r for r in rows if importlib.util.find_spec(needs[r]) is not None]


def measure(rows, size, warmup, repeats, timeout=None):
    """Runs each row in its own subprocess; returns (results, failures)."""
    results, failures = [], {}
    for row in rows:
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        if row.startswith("keras-"):
            env["KERAS_BACKEND"] = row.split("-")[1]
        command = [sys.executable, os.path.abspath(__file__), "--worker", row, "--size", size,
                   "--warmup", str(warmup), "--repeats", str(repeats)]
        print(f"running {row} ...", file=sys.stderr, flush=True)
        try:
            proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            failures[row] = f"timed out after {timeout} s"
            continue
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not lines:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            failures[row] = f"exit code {proc.returncode}: {tail}"
            continue
        results.append(json.loads(lines[-1]))
        # Each row as it finishes, so that an interrupted run still tells what it measured.
        print(f"  {lines[-1]}", file=sys.stderr, flush=True)
    return results, failures


def check_parameters(results):
    """Lines comparing OpenSTL's count with the one predicted from each keras_stlstm model's weights."""
    lines = []
    ports = {r["params"] for r in results if r["row"].startswith("openstl")}
    for r in results:
        if not r["row"].startswith("keras-") or not ports:
            continue
        predicted = r["openstl_params_predicted"]
        verdict = "equal" if ports == {predicted} else f"DIFFERENT (OpenSTL: {sorted(ports)})"
        lines.append(
            f"- {r['label']}: {r['params']:,} parameters ({r['parts']['biases']:,} biases, "
            f"{r['parts']['norm_recall']:,} per-channel norm, {r['parts']['kernel_m']:,} in the 3-gate M "
            f"convolutions); OpenSTL's count predicted from these weights {predicted:,}: {verdict}."
        )
    return lines


def before_after(results):
    """Lines giving each backend's speed-up over its -before row, where both ran."""
    rows = {r["row"]: r for r in results}
    lines = []
    for before in BEFORE_ROWS:
        now = before[: -len(BEFORE)]
        if before in rows and now in rows:
            a, b = rows[now], rows[before]
            lines.append(f"- {a['label']}: {b['best'] / a['best']:.2f}x the speed of before ({a['best']:.2f} s vs "
                         f"{b['best']:.2f} s per step; CPU {a['cpu_best']:.2f} s vs {b['cpu_best']:.2f} s), peak RSS "
                         f"{a['peak_rss_mb']:,.0f} MB vs {b['peak_rss_mb']:,.0f} MB.")
    return ["", "Before / after issue 22's speed work:"] + lines if lines else []


def _equal_work_reference(ports):
    """The faster of the equal-work OpenSTL rows that ran (None if neither did)."""
    runs = [ports[row] for row in EQUAL_WORK if row in ports]
    return min(runs, key=lambda r: r["best"]) if runs else None


def report(results, failures, cfg, size):
    """Markdown: the table, time ratios against each OpenSTL reference, the headline, the parameter check."""
    ports = {r["row"]: r for r in results if r["row"].startswith("openstl")}
    strongest = _equal_work_reference(ports)
    lines = [
        f"Configuration ({size}): {cfg['layers']} layers x {cfg['filters']}, kernel "
        f"{'x'.join(map(str, cfg['kernel']))}, {cfg['image']}x{cfg['image']}x{cfg['channels']} frames patched "
        f"{cfg['patch']}x{cfg['patch']}, {cfg['context']}+{cfg['future']} frames, batch {cfg['batch']}.",
        "",
        "| row | parameters | step s best (median) | CPU s per step | peak RSS MB "
        + "".join(f"| time / OpenSTL ({name}) " for _, name in REFERENCES)
        + "| CPU time / OpenSTL (fastest equal work) | peak RSS / OpenSTL (fastest equal work) |",
        "| --- | ---: | ---: | ---: | ---: " + "| ---: " * (len(REFERENCES) + 2) + "|",
    ]

    def ratio(r, key, reference):
        return f"{r[key] / reference[key]:.2f}x" if reference else "-"

    for r in results:
        cells = [ratio(r, "best", ports.get(row)) for row, _ in REFERENCES]
        cells += [ratio(r, "cpu_best", strongest), ratio(r, "peak_rss_mb", strongest)]
        lines.append(
            f"| {r['label']} | {r['params']:,} | {r['best']:.2f} ({r['median']:.2f}) | {r['cpu_best']:.2f} "
            f"| {r['peak_rss_mb']:,.0f} | " + " | ".join(cells) + " |"
        )
    for row, why in failures.items():
        lines.append(f"| {LABELS[row]} | - | failed: {why} " + "| - " * (len(REFERENCES) + 4) + "|")
    keras_rows = [r for r in results if r["row"].startswith("keras-")]
    if keras_rows and strongest:
        best = min(keras_rows, key=lambda r: r["best"])
        lines += ["", f"Fastest keras_stlstm row: {best['label']}, {strongest['best'] / best['best']:.2f}x the "
                      f"speed of the fastest OpenSTL row at equal work ({strongest['label']}: "
                      f"{best['best']:.2f} s vs {strongest['best']:.2f} s per step), "
                      f"peak RSS {best['peak_rss_mb'] / strongest['peak_rss_mb']:.2f}x."]
    lines += before_after(results)
    checks = check_parameters(results)
    if checks:
        lines += ["", "Parameters:"] + checks
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="a reduced configuration (about a minute in all)")
    parser.add_argument("--size", choices=list(SIZES), default=None, help=argparse.SUPPRESS)
    parser.add_argument("--rows", nargs="+", choices=ROWS + BEFORE_ROWS, default=list(ROWS),
                        help="rows to run (default: all but the -before rows)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first (tracing, compilation)")
    parser.add_argument("--repeats", type=int, default=2, help="timed steps per row")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per row before giving up on it")
    parser.add_argument("--worker", choices=ROWS + BEFORE_ROWS, help=argparse.SUPPRESS)  # internal: measure one row
    args = parser.parse_args(argv)
    if args.size is None:
        args.size = "small" if args.small else "paper"
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = SIZES[args.size]
    if args.worker:
        print(json.dumps(run_row(args.worker, cfg, args.warmup, args.repeats)), flush=True)
        return None
    rows = available_rows(args.rows)
    results, failures = measure(rows, args.size, args.warmup, args.repeats, args.timeout)
    print(f"# E3D-LSTM training step, keras_stlstm vs OpenSTL ({datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC)")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print()
    print(report(results, failures, cfg, args.size), flush=True)
    return results, failures


if __name__ == "__main__":
    main()
