"""examples/fine_tune_on_your_videos.py picks its model: the default preset when it is
registered (with a new head, BatchNorm kept in inference mode), a fresh model with a
printed note when it is not, and a fresh tiny one under --fast."""

import importlib.util
from pathlib import Path

import keras
import pytest

from keras_stlstm.presets import registry
from keras_stlstm.testing import register_temporary_preset
from keras_stlstm.training.batch_norm import batch_norm_layers

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "fine_tune_on_your_videos.py"


@pytest.fixture()
def example():
    spec = importlib.util.spec_from_file_location("fine_tune_on_your_videos", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def empty_registry(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "_PRESETS", {})
    monkeypatch.setattr(registry, "REGISTRY_PATH", tmp_path / "registry.json")
    monkeypatch.setenv("KERAS_STLSTM_WEIGHTS", str(tmp_path / "weights"))
    return tmp_path / "weights"


def test_defaults_to_the_registered_preset_with_a_new_head(example, empty_registry, capsys):
    from keras_stlstm.models import GestureRecognizer

    keras.utils.set_random_seed(0)
    # A tiny stand-in registered under the default preset's name.
    register_temporary_preset(empty_registry, example.DEFAULT_PRESET,
                              GestureRecognizer("a", num_classes=27, config="tiny"))
    args = example.parse_args([])
    assert (args.preset, args.fresh, args.config, args.clips_per_class, args.epochs) == (None, False, "cpu", 12, 10)
    model = example.build_model(args, 4)
    assert model.num_classes == 4 and model.inputs[0].shape[1:] == (4, 16, 16, 3)
    layers = batch_norm_layers(model)
    assert layers and not any(layer.trainable for layer in layers)
    assert f"loaded {example.DEFAULT_PRESET} with a new 4-class head" in capsys.readouterr().out


def test_falls_back_to_a_fresh_model_without_the_preset(example, empty_registry, capsys):
    args = example.parse_args(["--config", "tiny"])
    model = example.build_model(args, 3)
    out = capsys.readouterr().out
    assert f"note: the preset {example.DEFAULT_PRESET} is not registered" in out
    assert "built GestureRecognizer(cell='a', config='tiny', num_classes=3)" in out
    assert all(layer.trainable for layer in batch_norm_layers(model))  # trained, then recalibrated


def test_fast_and_fresh_skip_the_preset(example):
    assert example.parse_args(["--fast"]).fresh and example.parse_args(["--fresh"]).fresh
    assert not example.parse_args(["--fast", "--preset", "some_folder"]).fresh
    with pytest.raises(SystemExit):
        example.parse_args(["--fresh", "--preset", "x"])
