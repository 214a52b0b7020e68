"""Step time of a 2-process data-parallel job (127.0.0.1) against one process, same global batch.

    python benchmarks/bench_multi_process.py [--backend jax|tensorflow] [--quick] [--batch 8] [--steps 12]

Both runs train the same recipe (a ConvLSTM video predictor on generated Moving
MNIST, `distribution = "data_parallel"`) with the same global batch: the
reference in one process, then `keras_stlstm.training.local_launch` with two
processes of one CPU device each, every process reading half of each batch
(JAX: `keras.distribution.DataParallel` over gloo; TensorFlow:
`MultiWorkerMirroredStrategy`, ring all-reduce over gRPC).
Each run reports the median wall-clock time of a training step after the
first epoch (which holds the compilation); the ratio 2-process / 1-process is
printed last. Below 1 means the job is faster than one process.

On a machine with fewer cores than processes x threads the two processes
compete for the same cores, so expect a ratio near or above 1 there; the
number says what the collectives and the input split cost, not what a
multi-GPU host or a cluster gains.
"""

import argparse
import io
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RECIPE = """
[model]
class = "VideoPredictor"
backbone = "convlstm"
context_frames = 5
future_frames = 5
image_size = 64
patch_size = 4
filters = [{filters}, {filters}]
kernel_size = 5
[data]
source = "moving_mnist"
digits = "sample"
[optimizer]
name = "adam"
learning_rate = 0.001
[training]
batch_size = {batch}
epochs = 2
steps_per_epoch = {steps}
seed = 0
output_dir = "{output_dir}"
verbose = 0
distribution = "data_parallel"
"""

# Runs in every process: trains the recipe and prints process 0's median step time.
TIMED_TRAIN = """
import statistics, sys, time
import keras
from keras_stlstm.training import train
from keras_stlstm.training import multi_process

class StepTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.times = []
    def on_train_batch_begin(self, batch, logs=None):
        self.start = time.perf_counter()
    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter() - self.start)

timer = StepTimer()
result = train(sys.argv[1], overwrite=True, callbacks=[timer])
steps = result.metrics["steps"] // result.metrics["epochs_run"]
if multi_process.is_chief():
    print(f"STEP_SECONDS {statistics.median(timer.times[steps:]):.4f}", flush=True)
"""


COLLECTIVES = {"jax": "gloo", "tensorflow": "gRPC ring all-reduce"}


def child_env(backend):
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="2",
               CUDA_VISIBLE_DEVICES="")
    env.pop("XLA_FLAGS", None)
    return env


def step_seconds(text):
    found = re.findall(r"STEP_SECONDS ([0-9.]+)", text)
    if not found:
        raise RuntimeError(f"no step time in the output:\n{text[-3000:]}")
    return float(found[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=8, help="global batch (even)")
    parser.add_argument("--steps", type=int, default=12, help="steps per epoch (2 epochs; the second is timed)")
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--backend", choices=sorted(COLLECTIVES), default="jax", help="the children's Keras backend")
    parser.add_argument("--quick", action="store_true", help="batch 4, 4 steps, 8 filters (a seconds-long check)")
    args = parser.parse_args(argv)
    if args.quick:
        args.batch, args.steps, args.filters = 4, 4, 8

    from keras_stlstm.training.local_launch import launch_local

    with tempfile.TemporaryDirectory() as folder:
        recipe = Path(folder) / "recipe.toml"
        recipe.write_text(RECIPE.format(filters=args.filters, batch=args.batch, steps=args.steps,
                                        output_dir=Path(folder) / "run"))
        command = [sys.executable, "-c", TIMED_TRAIN, str(recipe)]
        one = subprocess.run(command, env=child_env(args.backend), capture_output=True, text=True, check=False)
        if one.returncode:
            raise RuntimeError(f"the one-process run failed:\n{one.stderr[-3000:]}")
        single = step_seconds(one.stdout)

        collected = io.StringIO()
        if launch_local(command, 2, env=child_env(args.backend), output=collected):
            raise RuntimeError(f"the 2-process run failed:\n{collected.getvalue()[-3000:]}")
        double = step_seconds(collected.getvalue())

    print(f"backend: {args.backend}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPU cores, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}; Python {platform.python_version()}")
    print(f"model: ConvLSTM predictor 64x64, filters [{args.filters}, {args.filters}], 10 frames; "
          f"global batch {args.batch}, median of {args.steps} steps after the compiling epoch")
    print(f"1 process  (batch {args.batch} on 1 device):            {single:.4f} s per step")
    print(f"2 processes (batch {args.batch // 2} + {args.batch // 2}, {COLLECTIVES[args.backend]} on 127.0.0.1): "
          f"{double:.4f} s per step")
    print(f"ratio 2-process / 1-process step time: {double / single:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
