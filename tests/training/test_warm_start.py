"""Warm starts ([training] initial_weights): a run begins from an earlier run's weights
and records the earlier stages; the adam_cosine schedule of such a continuation."""

import json
import os

import numpy as np
import pytest

import keras

from keras_stlstm.training import load_recipe, train
from keras_stlstm.training.optimizers import adam_cosine
from keras_stlstm.training.warm_start import earlier_stages, load_initial_weights, totals, weights_file

from tests.training.test_train_entry import tiny_recipe

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def weights_of(model):
    return [np.array(w) for w in model.get_weights()]


def test_second_stage_starts_from_the_first_and_records_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = train(tiny_recipe("stage1", epochs=1))
    second_recipe = tiny_recipe("stage2", epochs=2, seed=8, initial_weights="stage1/model")
    second_recipe["training"]["callbacks"] = {}

    class FirstBatchWeights(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start = weights_of(self.model)

    probe = FirstBatchWeights()
    second = train(second_recipe, callbacks=[probe])
    # Training starts from exactly stage 1's saved weights ...
    for got, want in zip(probe.start, weights_of(first.model)):
        np.testing.assert_array_equal(got, want)
    # ... and moves on from them.
    assert any(not np.array_equal(a, b) for a, b in zip(weights_of(second.model), probe.start))
    metrics = json.loads((tmp_path / "stage2" / "metrics.json").read_text())
    assert metrics["steps"] == 4 and metrics["initial_weights"] == "stage1/model"
    [stage] = metrics["earlier_stages"]
    assert stage["run"] == "stage1" and stage["steps"] == 2 and stage["seed"] == 7
    assert metrics["total_steps"] == 6
    assert metrics["total_training_minutes"] == pytest.approx(
        stage["training_minutes"] + metrics["training_minutes"], abs=1e-3)


def test_third_stage_lists_both_earlier_stages(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train(tiny_recipe("s1", epochs=1))
    train(tiny_recipe("s2", epochs=1, initial_weights="s1/model"))
    train(tiny_recipe("s3", epochs=1, initial_weights="s2/model"))
    metrics = json.loads((tmp_path / "s3" / "metrics.json").read_text())
    assert [s["run"] for s in metrics["earlier_stages"]] == ["s1", "s2"]
    assert metrics["total_steps"] == 6


def test_weights_of_another_architecture_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train(tiny_recipe("small", epochs=1))
    bigger = tiny_recipe("big", epochs=1, initial_weights="small/model")
    bigger["model"]["filters"] = [8, 8]
    with pytest.raises(ValueError, match="initial_weights 'small/model' does not fit the recipe's model"):
        train(bigger)


def test_missing_initial_weights_name_the_expected_forms(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected a saved model folder holding model.weights.h5"):
        weights_file(tmp_path / "nowhere")
    recipe = tiny_recipe(tmp_path / "run", initial_weights=3)
    with pytest.raises(ValueError, match="'initial_weights' must be the path of a saved model folder"):
        load_recipe(recipe)


def test_a_preset_folder_has_no_earlier_stages(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    folder = tmp_path / "preset"
    keras.saving.save_model(model, folder, zipped=False)
    assert earlier_stages(folder) == []
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    load_initial_weights(other, folder)
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_totals_are_unknown_when_a_stage_is():
    assert totals([{"steps": 10, "training_minutes": 1.5}], 5, 0.5) == (15, 2.0)
    assert totals([{"steps": None, "training_minutes": 1.5}], 5, 0.5) == (None, 2.0)


def test_adam_cosine_warms_up_then_decays_to_alpha():
    optimizer = adam_cosine(1e-3, decay_steps=110, warmup_steps=10, alpha=0.1)
    schedule = optimizer.learning_rate if callable(optimizer.learning_rate) else optimizer._learning_rate
    rates = [float(schedule(step)) for step in (0, 5, 10, 60, 110)]
    # Linear warm-up 0 -> 1e-3 over 10 steps, then cosine to alpha * 1e-3 at step 110.
    expected = [0.0, 5e-4, 1e-3, 1e-3 * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * 0.5))), 1e-4]
    np.testing.assert_allclose(rates, expected, rtol=1e-5, atol=1e-9)
    with pytest.raises(ValueError, match="decay_steps > warmup_steps"):
        adam_cosine(decay_steps=10, warmup_steps=10)


def test_every_recipe_in_the_repository_validates():
    folder = os.path.join(REPO, "recipes")
    names = sorted(n for n in os.listdir(folder) if n.endswith(".toml"))
    assert any(n.endswith("_stage2.toml") for n in names)
    for name in names:
        recipe = load_recipe(os.path.join(folder, name))
        initial = recipe["training"]["initial_weights"]
        if initial:  # a stage 2 starts from its stage 1's run
            stage1 = [n for n in names if n != name and load_recipe(os.path.join(folder, n))["training"][
                "output_dir"] == os.path.dirname(initial)]
            assert stage1, f"{name}: no recipe writes {initial}"
