"""Warm starts ([training] initial_weights): a run begins from an earlier run's weights
and records the earlier stages; the adam_cosine schedule of such a continuation."""

import functools
import json
import os

import numpy as np
import pytest

import keras

from keras_stlstm.training import load_recipe, train
from keras_stlstm.training.optimizers import adam_cosine
from keras_stlstm.training.warm_start import earlier_stages, load_initial_weights, totals, weights_file

from keras_stlstm.training.train import finished_run, main, train_stages

from tests.training.test_train_entry import StopAfterEpoch, read_log, tiny_recipe, with_change

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


def test_a_chain_of_stages_resumes_where_it_stopped(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    stages = [tiny_recipe("c1", epochs=1), tiny_recipe("c2", epochs=2, seed=8, initial_weights="c1/model")]
    train(stages[0])
    with pytest.raises(KeyboardInterrupt):  # a kill at the end of stage 2's second epoch
        train(stages[1], callbacks=[StopAfterEpoch(1)])
    assert finished_run(stages[0]) == os.path.join("c1", "model") and finished_run(stages[1]) is None
    capsys.readouterr()

    # Running the whole chain again skips stage 1 and resumes stage 2.
    lines = []
    model_dirs = train_stages(stages, skip_finished=True, report=lines.append)
    assert "resuming from epoch 1" in capsys.readouterr().out
    assert lines == ["[1/2] recipe: skipped, already finished in " + os.path.join("c1", "model"),
                     "[2/2] recipe: saved " + os.path.join("c2", "model")]
    assert model_dirs == [finished_run(s) for s in stages]
    metrics = json.loads((tmp_path / "c2" / "metrics.json").read_text())
    assert metrics["resumed_from_epoch"] == 1 and metrics["total_steps"] == 6

    # Without --skip-finished a finished stage is not silently retrained.
    with pytest.raises(ValueError, match="already holds a finished run"):
        train_stages(stages)
    # Every recipe is checked before the first trains: a typo in a late stage costs nothing.
    late_typo = with_change(tiny_recipe("c4"), "training", "bach_size", 2)
    with pytest.raises(ValueError, match="Unknown key 'bach_size'"):
        train_stages([tiny_recipe("c3"), late_typo])
    assert not (tmp_path / "c3").exists()
    assert main(["a.toml", "--overwrite", "--skip-finished"]) == 2
    assert "not both" in capsys.readouterr().err


def test_stop_after_epochs_cuts_a_run_short_on_its_full_schedule(tmp_path, monkeypatch):
    # A time budget that cuts a cosine part-way down, replayed at equal steps.
    monkeypatch.chdir(tmp_path)
    schedule = {"recipe": "adam_cosine", "learning_rate": 1e-2, "warmup_steps": 1}
    full = tiny_recipe("full", epochs=3)
    full["optimizer"] = schedule
    cut = with_change(with_change(full, "training", "output_dir", "cut"), "training", "stop_after_epochs", 2)
    train(full)
    result = train(cut)
    assert result.metrics["epochs_run"] == 2 and result.metrics["steps"] == 4
    # The first two epochs are those of the 3-epoch run: the cosine spans 3 epochs, not 2.
    rows = lambda run: [{k: v for k, v in r.items() if k != "elapsed_minutes"} for r in read_log(tmp_path / run)]
    assert rows("cut") == rows("full")[:2]
    assert float(keras.ops.convert_to_numpy(result.model.optimizer.learning_rate)) > 1e-4


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


@functools.lru_cache(maxsize=None)
def _recipes_in(folder):
    """The recipes of a repository folder by relative path, loaded once per session."""
    names = sorted(n for n in os.listdir(os.path.join(REPO, folder)) if n.endswith(".toml"))
    return {os.path.join(folder, n): load_recipe(os.path.join(REPO, folder, n)) for n in names}


@pytest.mark.parametrize("folder", ["recipes", "docs/experiments"])
def test_every_recipe_in_the_repository_validates(folder):
    """The presets' recipes and the experiments' probes all load, and every warm start
    names a run that another recipe writes: one in the same folder, or (for a probe
    continuing a preset) one in recipes/."""
    recipes = _recipes_in(folder)
    assert any(n.endswith("_stage2.toml") for n in recipes)
    writers = {**_recipes_in("recipes"), **recipes}
    for name, recipe in recipes.items():
        initial = recipe["training"]["initial_weights"]
        if initial:  # a stage 2 starts from its stage 1's run
            others = {r["training"]["output_dir"] for n, r in writers.items() if n != name}
            assert os.path.dirname(initial) in others, f"{name}: no recipe writes {initial}"
