"""A recipe fine-tunes from a preset with a new head ([model] preset = NAME, num_classes = N),
stores the data's class names in the model, and validates on the whole validation folder
when validation_root is given without validation_steps (it used to skip validation)."""

import csv

import cv2
import keras
import numpy as np
import pytest

from keras_stlstm.models import GestureRecognizer
from keras_stlstm.presets import from_preset, remove_preset
from keras_stlstm.testing import register_temporary_preset
from keras_stlstm.training import load_recipe, train


@pytest.fixture
def folders(tmp_path):
    """train/ and validation/ trees: 2 classes ("left", "right"), clips of 4 PNG frames of 16x16."""
    for split, clips in (("train", 2), ("validation", 3)):
        for label, name in enumerate(("left", "right")):
            for clip in range(clips):
                folder = tmp_path / split / name / f"clip{clip}"
                folder.mkdir(parents=True)
                for frame in range(4):
                    cv2.imwrite(str(folder / f"{frame:05d}.png"), np.full((16, 16, 3), 60 * label + 40, np.uint8))
    return tmp_path


@pytest.fixture
def preset(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_STLSTM_WEIGHTS", str(tmp_path / "weights"))
    keras.utils.set_random_seed(0)
    model = GestureRecognizer("a", num_classes=27, config="tiny")
    register_temporary_preset(tmp_path / "weights", "recipe_tiny_gesture", model)
    yield model
    remove_preset("recipe_tiny_gesture")


def recipe(folders, **data):
    return {
        "model": {"class": "GestureRecognizer", "preset": "recipe_tiny_gesture", "num_classes": 2},
        "data": {"source": "folder", "root": str(folders / "train"),
                 "validation_root": str(folders / "validation"), **data},
        "optimizer": {"name": "adam", "learning_rate": 0.0},  # the backbone must stay the preset's
        "training": {"batch_size": 2, "epochs": 1, "output_dir": str(folders / "run"), "jit_compile": False,
                     "verbose": 0},
    }


def test_fine_tunes_from_a_preset_name_with_a_new_head(folders, preset):
    result = train(recipe(folders))
    model = from_preset(result.model_dir)
    assert type(model) is GestureRecognizer and model.outputs[0].shape[-1] == 2
    assert model.class_names == ["left", "right"]
    for layer in ("recurrent_1", "recurrent_2"):  # learning rate 0: exactly the preset's weights
        for got, want in zip(model.get_layer(layer).get_weights(), preset.get_layer(layer).get_weights()):
            np.testing.assert_array_equal(got, want)
    # No validation_steps: one pass over the 6 validation clips (3 batches of 2) every epoch.
    with open(folders / "run" / "training_log.csv") as f:
        row = next(csv.DictReader(f))
    assert 0.0 <= float(row["val_accuracy"]) <= 1.0 and np.isfinite(float(row["val_loss"]))
    assert load_recipe(recipe(folders))["data"]["validation_steps"] is None


def test_explicit_validation_steps_and_bad_presets(folders, preset):
    assert load_recipe(recipe(folders, validation_steps=1))["data"]["validation_steps"] == 1
    bad = recipe(folders)
    bad["model"]["preset"] = ""
    with pytest.raises(ValueError, match=r"\[model\] key 'preset' must be a preset name"):
        load_recipe(bad)
