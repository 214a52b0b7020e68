"""The presets shipped in weights/ load (sha256-checked, safe mode) and score like their cards say,
on TensorFlow and JAX: a wrong weight, a backend difference or a broken file shows up as a
value, not only as an exception."""

import json

import numpy as np
import pytest

from keras_stlstm.presets import from_preset, get_preset_info, list_presets, weights_root
from keras_stlstm.zoo.evaluation import BASELINES, evaluate_video_predictor
from keras_stlstm.zoo.gesture_evaluation import evaluate_early_recognizer, evaluate_gesture_recognizer
from keras_stlstm.zoo.test_sets import EARLY_TEST_FRAMES, gesture_test_set, load_test_sample


def shipped(builder):
    """Registered presets of `builder` whose folder is in weights/ (all of them in a checkout)."""
    return [name for name in list_presets(builder=builder) if (weights_root() / name / "config.json").is_file()]


def test_every_registered_preset_is_shipped():
    assert sorted(shipped(None)) == sorted(list_presets())


def _uses_e3d(config):
    return config["class_name"] == "EarlyActivityRecognizer" or config["config"].get("backbone") == "e3d"


@pytest.mark.parametrize("name", list_presets())
def test_e3d_presets_pin_the_recall_history_they_were_trained_with(name):
    """Trained with the official code's RECALL history (C_0 included); the layer's default is the paper's."""
    config = json.loads((weights_root() / name / "config.json").read_text())
    if _uses_e3d(config):
        assert config["config"]["recall_initial_memory"] is True
        assert from_preset(name).get_config()["recall_initial_memory"] is True


@pytest.mark.backends
@pytest.mark.parametrize("name", shipped("VideoPredictor"))
def test_video_preset_beats_the_baselines_on_the_shipped_sample(name):
    video, _ = load_test_sample()
    video = video[:8]
    model = from_preset(name)
    ours = evaluate_video_predictor(model, video, progress=False)
    black = evaluate_video_predictor(BASELINES["all-black"], video, progress=False)
    # Well below the all-black baseline, and near the card's full-test-set MSE (8 sequences: loose).
    assert ours["mse_mean"] < 0.85 * black["mse_mean"]
    recorded = get_preset_info(name).metrics.get("mse")
    if recorded:
        assert abs(ours["mse_mean"] - recorded) < 0.35 * recorded


@pytest.mark.backends
@pytest.mark.parametrize("name", shipped("GestureRecognizer"))
def test_gesture_preset_scores_like_its_card(name):
    model = from_preset(name)
    frames, size = model.inputs[0].shape[1], model.inputs[0].shape[2]
    clips, labels = gesture_test_set(108, num_frames=frames, image_size=size)
    scores = evaluate_gesture_recognizer(model, clips, labels, progress=False)
    recorded = get_preset_info(name).metrics.get("top1")
    assert scores["top1"] > 0.3  # chance is 1/27
    if recorded:
        assert abs(scores["top1"] - recorded) < 0.15  # 108 clips: a loose band around the card's figure


@pytest.mark.backends
@pytest.mark.parametrize("name", shipped("EarlyActivityRecognizer"))
def test_early_preset_is_well_above_chance(name):
    model = from_preset(name)
    clips, labels = gesture_test_set(108, num_frames=EARLY_TEST_FRAMES, image_size=model.inputs[0].shape[2])
    scores = evaluate_early_recognizer(model, clips, labels, fractions=(0.5,))
    assert scores[0.5]["top1"] > 0.15  # chance is 1/27
