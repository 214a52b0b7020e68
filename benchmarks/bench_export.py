"""Per-frame latency of the streaming TFLite model vs Keras, and file sizes per quantisation.

    KERAS_BACKEND=tensorflow python benchmarks/bench_export.py [--quick] [--model gesture|tiny]

For one model it exports the streaming TFLite file in float32, float16 and
dynamic int8 (and the unrolled whole-clip file in float32), then times:

- TFLite streaming: one step (streaming_frames_per_step frames), 1 thread;
- Keras streaming model: one step (`predict_on_batch`);
- Keras whole-clip model: the whole clip, divided by its frame count.

All latencies are medians per frame, in milliseconds, batch 1: wall-clock time
and the CPU time of the process (all its threads). On a shared machine the CPU
time is the steadier number; Keras may use several threads, TFLite uses one.
"""

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.timing import timed_calls  # noqa: E402


def build_model(name):
    if name == "tiny":
        from keras_stlstm.testing import TinyClipClassifier

        return TinyClipClassifier(frames=8, size=16, channels=3, filters=16, num_classes=5)
    from keras_stlstm.models import GestureRecognizer

    config = "tiny" if name == "gesture-tiny" else "small"
    return GestureRecognizer("a", num_classes=27, config=config)


def median_ms(fn, repeats, warmup=2):
    """(wall, CPU) median milliseconds of one call of `fn`."""
    wall, cpu = timed_calls(fn, repeats, warmup)
    return 1000 * statistics.median(wall), 1000 * statistics.median(cpu)


def tflite_step_ms(path, step_inputs, repeats):
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_path=str(path), num_threads=1).get_signature_runner("serving_default")
    return median_ms(lambda: runner(**step_inputs), repeats)


def run(model_name, quick):
    from keras_stlstm.export import export_tflite

    model = build_model(model_name)
    per_step = model.streaming_frames_per_step
    frames = model.inputs[0].shape[1] or 4 * per_step
    clip = np.random.default_rng(0).random((1, frames) + tuple(model.inputs[0].shape[2:]), dtype=np.float32)
    step = model.streaming_model()
    states = model.streaming_initial_state(1)
    step_frames = clip[:, :per_step].reshape((1,) + tuple(step.inputs[0].shape[1:]))
    step_inputs = {"frames": step_frames, **{f"state_{i}": s for i, s in enumerate(states)}}
    repeats = 5 if quick else 50

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sizes = {}
        for quantize in (None, "float16", "dynamic_int8"):
            label = quantize or "float32"
            path = export_tflite(model, Path(tmp) / f"stream_{label}.tflite", streaming=True, quantize=quantize)
            sizes[f"streaming {label}"] = os.path.getsize(path)
            wall, cpu = tflite_step_ms(path, step_inputs, repeats)
            rows.append((f"TFLite streaming {label} (1 thread)", wall / per_step, cpu / per_step))
        if not quick:
            clip_path = export_tflite(model, Path(tmp) / "clip_float32.tflite")
            sizes["whole clip float32"] = os.path.getsize(clip_path)
    wall, cpu = median_ms(lambda: step.predict_on_batch([step_frames, *states]), repeats)
    rows.append(("Keras streaming step", wall / per_step, cpu / per_step))
    wall, cpu = median_ms(lambda: model.predict_on_batch(clip), repeats)
    rows.append(("Keras whole clip", wall / frames, cpu / frames))

    print(f"model: {type(model).__name__} ({model_name}), {model.count_params():,} parameters, "
          f"clip {tuple(clip.shape[1:])}, {per_step} frame(s) per step")
    print(f"{'per frame (median, batch 1)':<40} {'wall ms':>9} {'CPU ms':>9}")
    for label, wall, cpu in rows:
        print(f"{label:<40} {wall:>9.3f} {cpu:>9.3f}")
    print(f"{'file':<40} {'KB':>9}")
    for label, size in sizes.items():
        print(f"{label:<40} {size / 1024:>9.1f}")
    return rows, sizes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repeats, no whole-clip export")
    parser.add_argument("--model", default="gesture-small", choices=("gesture-small", "gesture-tiny", "tiny"))
    args = parser.parse_args(argv)
    run(args.model, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
