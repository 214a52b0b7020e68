"""`keras-stlstm train` killed (SIGKILL) or out of disk at chosen moments, then run again.

Each fault runs in a real subprocess (tests/faults/fault_runner.py); the same
command run again must end with the same final weights, bit for bit, as an
uninterrupted run, keep the training log, and leave nothing half-written.
"""

import csv
import os
import signal
import subprocess
import sys

import h5py
import numpy as np
import pytest

import keras

from keras_stlstm import cli
from keras_stlstm.training import backup

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# TensorFlow covers the process-level faults; the backend adds nothing here.
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="fault runs use TensorFlow")]

RECIPE = """
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
split = "train"
validation_steps = 0

[optimizer]
recipe = "e3d"

[training]
batch_size = 2
epochs = 3
steps_per_epoch = 2
seed = 7
output_dir = "{output_dir}"
verbose = 0
jit_compile = false
batch_norm_recalibration_batches = 0
callbacks = {{ scheduled_sampling = {{ rate = 0.2 }} }}
"""


def write_recipe(tmp_path, name):
    path = tmp_path / f"{name}.toml"
    path.write_text(RECIPE.format(output_dir=(tmp_path / name).as_posix()))
    return path


def run_with_fault(fault, recipe):
    env = dict(os.environ, PYTHONPATH=REPO, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, os.path.join(HERE, "fault_runner.py"), fault, "--", "train", str(recipe)],
                          env=env, capture_output=True, text=True, timeout=300)


def weights(run_dir):
    """Every array of the final weights file (model and optimiser state), in file order."""
    arrays = []
    with h5py.File(run_dir / "model" / "model.weights.h5", "r") as f:
        f.visititems(lambda name, obj: arrays.append(np.asarray(obj)) if isinstance(obj, h5py.Dataset) else None)
    return arrays


def log_rows(run_dir):
    with open(run_dir / "training_log.csv", newline="") as f:
        return [{k: v for k, v in row.items() if k != "elapsed_minutes"} for row in csv.DictReader(f)]


def leftovers(run_dir):
    """Temporary files or folders anywhere under the run folder."""
    return [path for path, dirs, files in os.walk(run_dir) for name in dirs + files if ".tmp" in name
            or ".removed-" in name]


def assert_no_half_written_backup(run_dir):
    for epoch, folder in backup.backup_folders(str(run_dir / "backup")):
        assert backup.damage(folder) is None, folder


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("straight")
    assert cli.main(["train", str(write_recipe(tmp_path, "run"))]) == 0
    return weights(tmp_path / "run"), log_rows(tmp_path / "run")


def resume_and_compare(tmp_path, recipe, reference, capsys, expect):
    capsys.readouterr()
    assert cli.main(["train", str(recipe)]) == 0  # the same command, run again
    out = capsys.readouterr().out
    assert expect in out, out
    assert ("its epochs had all run" in out) == expect.startswith("resuming from epoch 3"), out
    run_dir = tmp_path / "run"
    ref_weights, ref_log = reference
    got = weights(run_dir)
    assert len(got) == len(ref_weights)
    for a, b in zip(got, ref_weights):
        np.testing.assert_array_equal(a, b)
    assert log_rows(run_dir) == ref_log
    assert not leftovers(run_dir) and not (run_dir / "backup").exists()


@pytest.mark.parametrize(
    "fault, expect",
    [
        ("kill_in_batch:5", "resuming from epoch 2"),  # mid-epoch 3 (batches 5 and 6)
        ("kill_in_backup:2", "resuming from epoch 1"),  # half the weights of epoch 2's backup written
        ("kill_in_final_save", "resuming from epoch 3 (backup in"),  # after fit, model/ half written
    ],
)
def test_kill_9_then_same_command_gives_the_same_weights(tmp_path, reference, capsys, fault, expect):
    recipe = write_recipe(tmp_path, "run")
    done = run_with_fault(fault, recipe)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    run_dir = tmp_path / "run"
    assert not (run_dir / "model").exists()  # nothing half-written at a final name
    assert_no_half_written_backup(run_dir)
    resume_and_compare(tmp_path, recipe, reference, capsys, expect)


@pytest.mark.parametrize(
    "fault, message, expect",
    [
        ("full_disk_at_backup:2", "Could not write the backup of epoch 2", "resuming from epoch 1"),
        ("full_disk_at_final_save", "Could not save the model to", "resuming from epoch 3"),
    ],
)
def test_full_disk_gives_one_line_and_loses_nothing(tmp_path, reference, capsys, fault, message, expect):
    recipe = write_recipe(tmp_path, "run")
    done = run_with_fault(fault, recipe)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("keras-stlstm train: error: " + message) and "File too large" in last
    assert "run the same command again" in last
    run_dir = tmp_path / "run"
    assert not (run_dir / "model").exists() and not leftovers(run_dir)
    assert_no_half_written_backup(run_dir)
    resume_and_compare(tmp_path, recipe, reference, capsys, expect)


def test_damaged_backup_falls_back_to_the_previous_one(tmp_path, reference, capsys):
    recipe = write_recipe(tmp_path, "run")
    assert run_with_fault("kill_in_batch:5", recipe).returncode == -signal.SIGKILL
    newest = tmp_path / "run" / "backup" / "epoch-0002" / backup.WEIGHTS_FILE
    data = bytearray(newest.read_bytes())
    data[len(data) // 2] ^= 0x40  # one flipped bit
    newest.write_bytes(bytes(data))
    resume_and_compare(tmp_path, recipe, reference, capsys, "resuming from epoch 1")


def test_no_sound_backup_is_a_clear_error(tmp_path, capsys):
    recipe = write_recipe(tmp_path, "run")
    folder = tmp_path / "run" / "backup" / "epoch-0001"
    folder.mkdir(parents=True)
    (folder / backup.WEIGHTS_FILE).write_bytes(b"not hdf5")
    (folder / backup.METADATA_FILE).write_text('{"epoch": 1}')
    assert cli.main(["train", str(recipe)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No backup in" in err[0] and "--overwrite" in err[0]
    assert folder.exists()  # kept: only --overwrite discards it


class Interrupt(keras.callbacks.Callback):
    """Raises at the end of epoch `epoch` (0-based), before its backup is written."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt("simulated interruption")


def test_backup_in_keras_layout_of_earlier_versions_still_resumes(tmp_path, reference, capsys):
    from keras_stlstm.training import train

    recipe = write_recipe(tmp_path, "run")
    with pytest.raises(KeyboardInterrupt):
        train(str(recipe), callbacks=[Interrupt(2)])
    backup_dir = tmp_path / "run" / "backup"
    # What keras.callbacks.BackupAndRestore wrote before: the two files directly in backup/.
    for name in (backup.WEIGHTS_FILE, backup.METADATA_FILE):
        os.replace(backup_dir / "epoch-0002" / name, backup_dir / name)
    os.rmdir(backup_dir / "epoch-0002")
    backup.delete_backup(str(backup_dir), str(backup_dir / "epoch-0001"))
    (backup_dir / backup.METADATA_FILE).write_text('{"epoch": 2, "batch": 0}')  # no sha256 in that layout
    resume_and_compare(tmp_path, recipe, reference, capsys, "resuming from epoch 2")


def test_a_log_row_cut_short_by_a_kill_is_dropped_on_resume(tmp_path):
    from keras_stlstm.training.train import truncate_log

    log = tmp_path / "training_log.csv"
    log.write_text("epoch,loss,mse\n0,0.5,0.2\n1,0.4,0.1\n2,0.3")  # the kill cut the last row
    truncate_log(str(log), 3)
    assert log.read_text().splitlines() == ["epoch,loss,mse", "0,0.5,0.2", "1,0.4,0.1"]
    log.write_text("epoch,loss,mse\n0,0.5,0.2\n\x00\x00garbage\n")
    truncate_log(str(log), 3)
    assert log.read_text().splitlines() == ["epoch,loss,mse", "0,0.5,0.2"]
