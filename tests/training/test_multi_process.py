"""Multi-process data parallel with 2 real processes on 127.0.0.1 (one CPU device each).

The children run on the backend each test names, JAX or TensorFlow, whatever
the backend of this test process (CI's TensorFlow run executes these tests;
the JAX run selects `-m backends` only): a 2-process job with a global batch
of 4 must end with the weights of one process training on batches of 4, and a
job whose worker is killed must resume from its last backup on restart.
"""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from keras_stlstm.training.local_launch import child_environments, launch_local
from keras_stlstm.training.train import backed_up_epoch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EPOCHS = 8


def write_recipe(path, output_dir, epochs=EPOCHS, validation_steps=0):
    """A tiny ConvLSTM predictor, one step of a global batch of 4 per epoch; η = 1 (no random draws)."""
    path.write_text(f"""
[model]
class = "VideoPredictor"
backbone = "convlstm"
context_frames = 2
future_frames = 2
image_size = 32
patch_size = 4
filters = [8]
kernel_size = 3
[data]
source = "moving_mnist"
digits = "sample"
validation_steps = {validation_steps}
[optimizer]
name = "adam"
learning_rate = 0.01
[training]
batch_size = 4
epochs = {epochs}
steps_per_epoch = 1
seed = 7
output_dir = "{output_dir}"
verbose = 0
distribution = "data_parallel"
[training.callbacks.scheduled_sampling]
rate = 0.0
""")
    return path


def child_env(backend="jax"):
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2",
               XLA_FLAGS="", CUDA_VISIBLE_DEVICES="")
    for key in ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
                "KERAS_DISTRIBUTION_PROCESS_ID", "TF_CONFIG"):
        env.pop(key, None)
    return env


def train_command(recipe, *flags):
    return [sys.executable, "-m", "keras_stlstm.cli", "train", str(recipe), *flags]


def saved_weights(run_dir):
    """Every array of the saved model's weights file, by its path in the file."""
    arrays = {}
    with h5py.File(run_dir / "model" / "model.weights.h5", "r") as f:
        f.visititems(lambda name, item: arrays.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset) else None)
    return arrays


def assert_same_weights(a, b, atol=1e-5):
    assert sorted(a) == sorted(b) and a
    for name in a:
        np.testing.assert_allclose(a[name], b[name], atol=atol, rtol=1e-4, err_msg=name)


# Validation steps of the test recipe per backend (TensorFlow: `evaluate` under the job's strategy too).
VALIDATION_STEPS = {"jax": 0, "tensorflow": 1}
BACKENDS = ["jax", "tensorflow"]


def recipe_for(folder, backend):
    return write_recipe(folder / "recipe.toml", folder / "run", validation_steps=VALIDATION_STEPS[backend])


def logged_losses(run_dir):
    """The loss columns of the run's CSV log (loss, and val_loss when it validates), one row per epoch."""
    with open(run_dir / "training_log.csv") as f:
        rows = list(csv.DictReader(f))
    return np.array([[float(row[key]) for key in sorted(row) if key.endswith("loss") and row[key] != "NA"]
                     for row in rows])


@pytest.fixture(scope="module")
def one_process_run(tmp_path_factory):
    """The reference of a backend: one process (one device), batches of 4; its weights and logged losses."""
    runs = {}

    def run(backend):
        if backend not in runs:
            folder = tmp_path_factory.mktemp(f"one_process_{backend}")
            done = subprocess.run(train_command(recipe_for(folder, backend)), env=child_env(backend), cwd=REPO,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr[-3000:]
            assert "global batch 4 (1 device); learning rate 0.01" in done.stdout
            runs[backend] = saved_weights(folder / "run"), logged_losses(folder / "run")
        return runs[backend]

    return run


# Each process trains, then prints a digest of the weights it ends with.
DIGEST_SCRIPT = """
import hashlib, sys
import keras, numpy as np
from keras_stlstm.training import train
result = train(sys.argv[1])
digest = hashlib.sha256(b"".join(np.asarray(w).tobytes() for w in result.model.get_weights())).hexdigest()
print("WEIGHTS", digest, flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_multi_process_two_processes_match_one_process_with_the_global_batch(tmp_path, one_process_run, backend):
    recipe = recipe_for(tmp_path, backend)
    output = io.StringIO()
    status = launch_local([sys.executable, "-c", DIGEST_SCRIPT, str(recipe)], 2, env=child_env(backend),
                          output=output)
    assert status == 0, output.getvalue()[-4000:]
    # The log states the global batch and the learning rate.
    assert ("[process 0] global batch 4 (2 per process x 2 processes, 2 devices); learning rate 0.01"
            in output.getvalue())
    # Both processes end with the same weights; process 0 alone wrote them.
    digests = {line.split("WEIGHTS ")[1] for line in output.getvalue().splitlines() if "WEIGHTS " in line}
    assert len(digests) == 1, output.getvalue()[-4000:]
    weights, losses = one_process_run(backend)
    assert_same_weights(saved_weights(tmp_path / "run"), weights)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert (metrics["processes"], metrics["replicas"], metrics["global_batch_size"], metrics["steps"]) == (2, 2, 4, EPOCHS)
    # One writer, one row per epoch, with the losses of the global batch (and of validation on TensorFlow).
    assert losses.shape == (EPOCHS, 1 + bool(VALIDATION_STEPS[backend]))
    np.testing.assert_allclose(logged_losses(tmp_path / "run"), losses, rtol=1e-4)


def backed_up_epochs(run_dir):
    """Completed epochs of the run's newest sound backup (0 when there is none yet)."""
    return backed_up_epoch(run_dir / "backup") or 0


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_multi_process_killed_worker_resumes_from_the_last_backup(tmp_path, one_process_run, backend):
    recipe = recipe_for(tmp_path, backend)
    command = train_command(recipe, "--processes", "2")
    log_path = tmp_path / "first.log"
    with open(log_path, "w") as log:
        launcher = subprocess.Popen(command, env=child_env(backend), cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 240
            while backed_up_epochs(tmp_path / "run") < 2 and launcher.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            lines = log_path.read_text().splitlines()
            worker = int(next(line.split("pid ")[1] for line in lines if "[launcher] process 1: pid" in line))
            os.kill(worker, signal.SIGKILL)  # the worker dies mid-run, the launcher takes the job down
            assert launcher.wait(timeout=60) == 128 + signal.SIGKILL
        finally:
            if launcher.poll() is None:
                launcher.kill()
    assert not (tmp_path / "run" / "model").exists()
    killed_after = backed_up_epochs(tmp_path / "run")
    assert 2 <= killed_after < EPOCHS

    done = subprocess.run(command, env=child_env(backend), cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:]
    for process in (0, 1):  # both processes read the same backup
        assert f"[process {process}] resuming from epoch {killed_after}" in done.stdout, done.stdout[-4000:]
    weights, losses = one_process_run(backend)
    assert_same_weights(saved_weights(tmp_path / "run"), weights)
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["resumed_from_epoch"] == killed_after
    np.testing.assert_allclose(logged_losses(tmp_path / "run"), losses, rtol=1e-4)  # every epoch logged once


def test_multi_process_local_job_environments():
    # JAX: Keras' variables, one coordinator; TensorFlow: a TF_CONFIG per process, each on its own port.
    base = {"TF_CONFIG": "{}", "KERAS_DISTRIBUTION_PROCESS_ID": "5", "HOME": "/home/x"}
    jax_envs = child_environments(2, base, backend="jax")
    assert [env["KERAS_DISTRIBUTION_PROCESS_ID"] for env in jax_envs] == ["0", "1"]
    assert jax_envs[0]["KERAS_DISTRIBUTION_JOB_ADDRESSES"] == jax_envs[1]["KERAS_DISTRIBUTION_JOB_ADDRESSES"]
    assert all("TF_CONFIG" not in env and env["HOME"] == "/home/x" for env in jax_envs)
    tf_envs = child_environments(3, base, backend="tensorflow")
    assert all("KERAS_DISTRIBUTION_PROCESS_ID" not in env for env in tf_envs)
    configs = [json.loads(env["TF_CONFIG"]) for env in tf_envs]
    workers = configs[0]["cluster"]["worker"]
    assert len(set(workers)) == 3 and all(address.startswith("127.0.0.1:") for address in workers)
    assert configs == [{"cluster": {"worker": workers}, "task": {"type": "worker", "index": i}} for i in range(3)]


def test_multi_process_launcher_stops_the_job_when_one_process_fails():
    # Process 1 fails at once; process 0 would run for a minute. Each sees its place in the job.
    script = ("import os, sys, time\n"
              "rank = os.environ['KERAS_DISTRIBUTION_PROCESS_ID']\n"
              "print('rank', rank, 'of', os.environ['KERAS_DISTRIBUTION_NUM_PROCESSES'],\n"
              "      os.environ['KERAS_DISTRIBUTION_JOB_ADDRESSES'].split(':')[0], flush=True)\n"
              "sys.exit(3) if rank == '1' else time.sleep(60)\n")
    output = io.StringIO()
    started = time.monotonic()
    assert launch_local([sys.executable, "-c", script], 2, env=child_env("jax"), output=output) == 3
    assert time.monotonic() - started < 30
    assert "[process 0] rank 0 of 2 127.0.0.1" in output.getvalue() and "[process 1] rank 1 of 2 127.0.0.1" in output.getvalue()
    assert "[launcher] failed with status 3" in output.getvalue()
    with pytest.raises(ValueError, match="--processes must be a positive integer; received 0"):
        launch_local([sys.executable, "-c", "pass"], 0)


def test_multi_process_environment_errors_are_one_line(monkeypatch):
    import keras

    from keras_stlstm.training import multi_process, tf_multi_worker

    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "two")
    with pytest.raises(ValueError, match="KERAS_DISTRIBUTION_NUM_PROCESSES must be an integer; received 'two'"):
        multi_process.initialize_from_environment()
    if keras.backend.backend() == "tensorflow":  # a TensorFlow job is described by TF_CONFIG
        monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
        with pytest.raises(ValueError, match="A TensorFlow job is described by TF_CONFIG, not by "
                                             "KERAS_DISTRIBUTION_NUM_PROCESSES"):
            multi_process.initialize_from_environment()
    monkeypatch.delenv("KERAS_DISTRIBUTION_NUM_PROCESSES")
    workers = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
    for config, problem in [("worker=2", "must be JSON with a 'cluster' table"),
                            (json.dumps({"cluster": workers}), "'task' must name this process's place"),
                            (json.dumps({"cluster": workers, "task": {"type": "worker", "index": 2}}),
                             "'task' must name this process's place")]:
        monkeypatch.setenv("TF_CONFIG", config)
        with pytest.raises(ValueError, match=problem):
            tf_multi_worker.tf_config()
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": dict(workers, chief=["127.0.0.1:3"]),
                                                "task": {"type": "worker", "index": 1}}))
    config = tf_multi_worker.tf_config()  # the chief is process 0, then the workers
    assert (tf_multi_worker.cluster_size(config), tf_multi_worker.task_number(config)) == (3, 2)
    monkeypatch.delenv("TF_CONFIG")
    multi_process.initialize_from_environment()  # one process: nothing to join
    assert (multi_process.process_count(), multi_process.is_chief(), multi_process.data_shard(4)) == (1, True, (0, 4))
    assert multi_process.unsupported_backend_error("torch").startswith(
        "Multi-process training runs on the JAX or TensorFlow backend")


def test_multi_process_slices_tile_every_global_batch_once(tmp_path):
    # Each process's slice of each global batch: together exactly the one-process batches, no example twice.
    from keras_stlstm.training import data_sources, load_recipe

    data = load_recipe(write_recipe(tmp_path / "recipe.toml", tmp_path / "run"))["data"]
    stream = data_sources.build_stream(data, "train", 7, (4, 32, 32, 1))
    whole = np.concatenate([x for (x,) in data_sources.stream_dataset(stream, 4, start_batch=1, num_batches=3)])
    slices = [[x for (x,) in data_sources.stream_dataset(stream, 4, start_batch=1, num_batches=3, shard=(p * 2, 2))]
              for p in (0, 1)]
    assert all(x.shape == (2, 4, 32, 32, 1) for x in slices[0] + slices[1])
    tiled = np.concatenate([np.concatenate(pair) for pair in zip(*slices)])
    np.testing.assert_array_equal(tiled, whole)
    assert len({x.tobytes() for x in tiled}) == len(tiled) == 12
