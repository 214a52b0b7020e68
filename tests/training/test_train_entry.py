"""The recipe-driven training entry point: validation, runs, resume, saving, CLI, data parallel."""

import csv
import copy
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import keras

import keras_stlstm  # noqa: F401
from keras_stlstm.models.video_prediction import VideoPredictor
from keras_stlstm.training import builtin_recipes, load_recipe, train
from keras_stlstm.training.train import main

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TF = keras.backend.backend() == "tensorflow"


def tiny_recipe(output_dir, **training):
    """Moving MNIST (the digits shipped with the package) on a tiny ConvLSTM predictor."""
    recipe = {
        "model": {
            "class": "VideoPredictor", "backbone": "convlstm", "context_frames": 2, "future_frames": 2,
            "image_size": 32, "patch_size": 4, "filters": [8], "kernel_size": 3,
        },
        "data": {"source": "moving_mnist", "digits": "sample", "split": "train",
                 # A validation pass costs JAX one more compilation; TensorFlow covers it.
                 "validation_steps": 1 if TF else 0},
        "optimizer": {"recipe": "e3d"},
        "training": {
            "batch_size": 2, "epochs": 3, "steps_per_epoch": 2, "seed": 7, "output_dir": str(output_dir),
            "verbose": 0, "jit_compile": "auto" if not TF else False,
            # η falls 1 -> 0 over the run, so resuming must also restore the random draws.
            "callbacks": {"scheduled_sampling": {"rate": 0.2}},
        },
    }
    recipe["training"].update(training)
    return recipe


def with_change(recipe, section, key, value=None, delete=False):
    recipe = copy.deepcopy(recipe)
    if delete:
        del recipe[section][key]
    else:
        recipe[section][key] = value
    return recipe


class StopAfterEpoch(keras.callbacks.Callback):
    """Simulates a kill at the end of `epoch` (0-based), before it is logged and backed up."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt("simulated kill")


# --------------------------------------------------------------------------- recipes


@pytest.mark.parametrize(
    "section, key, value, delete, message",
    [
        ("training", "batch_size", None, True, "Missing required key 'batch_size' in \\[training\\]"),
        ("training", "bach_size", 2, False, "Unknown key 'bach_size' in \\[training\\]. Did you mean 'batch_size'"),
        ("model", "backbon", "e3d", False, "Unknown key 'backbon'.*Did you mean 'backbone'"),
        ("model", "class", "VideoPredicter", False, "Unknown model class 'VideoPredicter'. Did you mean 'VideoPredictor'"),
        ("model", "class", None, True, "Missing required key 'class' in \\[model\\]"),
        ("data", "source", "moving_mnst", False, "Unknown data source 'moving_mnst'. Did you mean 'moving_mnist'"),
        ("data", "digts", "sample", False, "Unknown key 'digts' in \\[data\\]. Did you mean 'digits'"),
        ("data", "source", "synthetic_gestures", False, "trains on sequences"),
        ("optimizer", "recipe", "e3", False, "Unknown optimizer recipe 'e3'. Did you mean 'e3d'"),
        ("optimizer", "learning_rat", 0.1, False, "Unknown key 'learning_rat'.*Did you mean 'learning_rate'"),
        ("optimizer", "name", "adam", False, "exactly one of 'recipe'"),
        ("training", "distribution", "model_parallel", False, "'distribution' must be one of"),
        ("training", "epochs", 0, False, "'epochs' must be a positive integer"),
        ("training", "stop_after_epochs", 4, False, "'stop_after_epochs' \\(4\\) must not exceed 'epochs' \\(3\\)"),
        ("training", "stop_after_epochs", 0, False, "'stop_after_epochs' must be a positive integer"),
        ("training", "callbacks", {"scheduled_samplng": {}}, False, "Unknown callback 'scheduled_samplng'"),
        ("training", "callbacks", {"scheduled_sampling": {"rat": 1e-3}}, False, "Did you mean 'rate'"),
    ],
)
def test_recipe_errors_name_the_key(tmp_path, section, key, value, delete, message):
    recipe = with_change(tiny_recipe(tmp_path), section, key, value, delete)
    with pytest.raises(ValueError, match=message):
        load_recipe(recipe)


def test_recipe_defaults_and_toml(tmp_path):
    path = tmp_path / "recipe.toml"
    path.write_text(textwrap.dedent(f"""
        [model]
        class = "VideoPredictor"
        backbone = "predrnn"
        [data]
        source = "moving_mnist"
        [optimizer]
        name = "adam"
        learning_rate = 0.01
        [training]
        batch_size = 4
        epochs = 1
        output_dir = "{tmp_path / 'run'}"
        [training.callbacks.scheduled_sampling]
        rate = 2e-5
    """))
    recipe = load_recipe(path)
    assert recipe["data"]["split"] == "train" and recipe["data"]["validation_split"] == "test"
    assert recipe["data"]["digits"] == "keras" and recipe["training"]["seed"] == 0
    assert recipe["training"]["distribution"] == "none"
    assert recipe["training"]["callbacks"] == {"scheduled_sampling": {"rate": 2e-5}}
    # Without [optimizer] the model's task picks its recipe.
    del_opt = {k: v for k, v in load_recipe(tiny_recipe(tmp_path)).items() if k != "optimizer"}
    assert load_recipe(del_opt)["optimizer"] == {"recipe": "e3d"}
    bad = tmp_path / "bad.toml"
    bad.write_text("[model\nclass = 1")
    with pytest.raises(ValueError, match="not a valid TOML"):
        load_recipe(bad)


def test_builtin_recipes_validate():
    names = builtin_recipes()
    assert {"e3d_moving_mnist", "predrnn_moving_mnist", "convlstm_moving_mnist"} <= set(names)
    for name in names:
        recipe = load_recipe(name)
        assert recipe["model"]["class"] == "VideoPredictor"
    e3d = load_recipe("e3d_moving_mnist")
    assert e3d["optimizer"] == {"recipe": "e3d"} and e3d["training"]["batch_size"] == 4
    assert e3d["training"]["epochs"] * e3d["training"]["steps_per_epoch"] == 80000
    assert e3d["training"]["callbacks"]["scheduled_sampling"] == {"start": 1.0, "rate": 2e-5, "stop_iteration": 50000}
    with pytest.raises(FileNotFoundError, match="e3d_moving_mnist"):
        load_recipe("e3d_moving_mnst")


def test_unknown_backbone_fails_before_training(tmp_path):
    recipe = tiny_recipe(tmp_path / "run")
    recipe["model"]["backbone"] = "e4d"
    with pytest.raises(ValueError, match="Unknown `backbone`: 'e4d'"):
        train(recipe)
    assert not os.path.exists(tmp_path / "run" / "model")


def test_cli_reports_recipe_errors(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[model]\nclass = "VideoPredictor"\n[data]\nsource = "moving_mnist"\n'
                    '[training]\nbatch_size = 2\nepochs = 1\noutptu_dir = "x"\n')
    assert main([str(path)]) == 2
    env = dict(os.environ, PYTHONPATH=REPO)
    done = subprocess.run([sys.executable, "-m", "keras_stlstm.training.train", str(path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Unknown key 'outptu_dir' in [training]. Did you mean 'output_dir'?" in done.stderr


# ------------------------------------------------------------------------ real runs


def read_log(run_dir):
    with open(run_dir / "training_log.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.backends
def test_killed_run_resumes_to_the_same_weights(tmp_path, capsys):
    straight = train(tiny_recipe(tmp_path / "straight"))

    interrupted = tiny_recipe(tmp_path / "interrupted")
    with pytest.raises(KeyboardInterrupt):
        train(interrupted, callbacks=[StopAfterEpoch(2)])
    assert not os.path.exists(tmp_path / "interrupted" / "model")
    # An interrupted run is only resumed with the same recipe.
    with pytest.raises(ValueError, match=r"different recipe \(\[training\] seed: 7 -> 8\)"):
        train(with_change(interrupted, "training", "seed", 8))
    capsys.readouterr()
    # The time budget may change on resume (extend or shorten a run); what a step computes may not.
    resumed = train(with_change(interrupted, "training", "time_budget_minutes", 1000.0))
    # Epochs 0 and 1 were backed up; the end of epoch 2 was lost.
    assert "resuming from epoch 2" in capsys.readouterr().out
    assert resumed.resumed_from_epoch == 2 and len(resumed.history.history["loss"]) == 1

    for a, b in zip(straight.model.weights, resumed.model.weights):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), atol=1e-6)
    log = read_log(tmp_path / "interrupted")
    assert [row["epoch"] for row in log] == ["0", "1", "2"]
    # Video runs also log the zoo's number: per-frame MSE of the future frames only.
    assert {"mse", "mae", "future_frame_mse"} <= set(log[0])
    assert not TF or "val_future_frame_mse" in log[0]
    # Same rows as the straight run, but for the training time, which adds up across the resume.
    without_time = lambda rows: [{k: v for k, v in row.items() if k != "elapsed_minutes"} for row in rows]
    assert without_time(log) == without_time(read_log(tmp_path / "straight"))
    minutes = [float(row["elapsed_minutes"]) for row in log]
    assert minutes == sorted(minutes) and minutes[0] > 0
    assert not os.path.exists(tmp_path / "interrupted" / "backup")  # removed once finished

    metrics = json.loads((tmp_path / "interrupted" / "metrics.json").read_text())
    assert metrics["final"]["epoch"] == 2 and metrics["resumed_from_epoch"] == 2
    assert metrics["final"]["loss"] == pytest.approx(straight.metrics["final"]["loss"], rel=1e-5)
    assert metrics["final"]["sampling_probability"] == pytest.approx(0.0)  # 6 iterations at rate 0.2
    assert json.loads((tmp_path / "interrupted" / "recipe.json").read_text())["data"]["digits"] == "sample"

    # The final folder loads safely and predicts like the trained model.
    folder = tmp_path / "interrupted" / "model"
    assert {"config.json", "metadata.json", "model.weights.h5"} <= set(os.listdir(folder))
    loaded = keras.saving.load_model(folder, safe_mode=True)
    assert isinstance(loaded, VideoPredictor)
    frames = np.random.default_rng(0).random((1, 4, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(frames)), keras.ops.convert_to_numpy(resumed.model(frames)), atol=1e-6
    )

    # A finished run is never silently retrained.
    with pytest.raises(ValueError, match="already holds a finished run"):
        train(interrupted)


@pytest.mark.slow
def test_classifier_trains_from_a_recipe(tmp_path):
    # GestureRecognizer on synthetic gestures with the gesture recipe's optimiser
    # (SGD with polynomial decay over epochs x steps_per_epoch steps).
    recipe = {
        "model": {"class": "GestureRecognizer", "num_classes": 3, "config": "tiny"},
        "data": {"source": "synthetic_gestures", "classes": [0, 1, 2], "validation_steps": 1},
        "training": {"batch_size": 2, "epochs": 1, "steps_per_epoch": 2, "output_dir": str(tmp_path / "run"),
                     "verbose": 0, "jit_compile": False},
    }
    recipe["training"].update(epochs=5, time_budget_minutes=1e-6,  # spent by the end of the first epoch
                              batch_norm_recalibration_batches=2)
    result = train(recipe)
    final = result.metrics["final"]
    assert set(final) >= {"loss", "accuracy", "val_loss", "val_accuracy", "elapsed_minutes"}
    assert result.metrics["epochs_run"] == 1 and result.metrics["stopped_by_time_budget"]
    assert len(read_log(tmp_path / "run")) == 1
    assert np.isfinite(final["loss"])
    schedule = result.model.optimizer.get_config()["learning_rate"]
    assert schedule["class_name"] == "PolynomialDecay" and schedule["config"]["decay_steps"] == 10
    loaded = keras.saving.load_model(result.model_dir, safe_mode=True)
    clip = np.random.default_rng(0).random((1,) + tuple(loaded.inputs[0].shape[1:])).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(clip)),
                               keras.ops.convert_to_numpy(result.model(clip)), atol=1e-6)


DATA_PARALLEL_SCRIPT = """
import json, os, sys
import keras
if keras.backend.backend() == "tensorflow":
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import numpy as np
sys.path.insert(0, os.environ["REPO"])
from keras_stlstm.training import train
recipe = json.loads(os.environ["RECIPE"])
single = train(recipe)
recipe["training"]["output_dir"] += "_dp"
recipe["training"]["distribution"] = "data_parallel"
parallel = train(recipe)
diff = max(float(np.abs(keras.ops.convert_to_numpy(a) - keras.ops.convert_to_numpy(b)).max())
           for a, b in zip(single.model.weights, parallel.model.weights))
print("RESULT", json.dumps({"replicas": parallel.metrics["replicas"], "diff": diff,
                            "loss": parallel.metrics["final"]["loss"]}))
"""


@pytest.mark.backends
@pytest.mark.slow
@pytest.mark.skipif(keras.backend.backend() == "torch", reason="Keras has no torch data parallelism")
def test_data_parallel_on_two_virtual_cpu_devices(tmp_path):
    recipe = tiny_recipe(tmp_path / "run", epochs=1, steps_per_epoch=2)
    recipe["data"]["validation_steps"] = 0
    # η = 1 throughout: the per-device random draws then match the single-device ones.
    recipe["training"]["callbacks"] = {"scheduled_sampling": {"rate": 0.0}}
    env = dict(os.environ, REPO=REPO, RECIPE=json.dumps(recipe),
               XLA_FLAGS="--xla_force_host_platform_device_count=2")
    done = subprocess.run([sys.executable, "-c", DATA_PARALLEL_SCRIPT], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.split("RESULT", 1)[1])
    assert result["replicas"] == 2
    assert np.isfinite(result["loss"])
    # Averaged gradients over two half batches = the gradient of the whole batch.
    assert result["diff"] < 1e-5, result


@pytest.mark.backends
@pytest.mark.skipif(keras.backend.backend() != "torch", reason="the torch backend's refusal")
def test_data_parallel_on_torch_is_a_one_line_error():
    from keras_stlstm.training.distribution import distribution_scope

    with pytest.raises(ValueError, match="needs the 'jax' or 'tensorflow' backend") as error:
        with distribution_scope("data_parallel"):
            pass
    assert "\n" not in str(error.value) and "distribution='none'" in str(error.value)
