"""keras_hub's conventions: `Cls.presets` a dict, `save_to_preset`, `upload_preset(uri, preset)` (the
old order warns), `from_preset(..., load_weights=False)` and `compile()` with each task's defaults."""

import keras
import numpy as np
import pytest

import keras_stlstm
from keras_stlstm import presets
from keras_stlstm.models import EarlyActivityRecognizer, GestureRecognizer, VideoPredictor
from keras_stlstm.testing import TinyClipClassifier, register_temporary_preset

NAMES = ["down", "right", "still"]


@pytest.fixture(scope="module")
def gesture():
    keras.utils.set_random_seed(0)
    return GestureRecognizer("a", num_classes=3, config="tiny", class_names=NAMES)


def test_presets_is_a_dict_of_the_class_presets(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_STLSTM_WEIGHTS", str(tmp_path))
    register_temporary_preset(tmp_path, "hub_conv_tiny", TinyClipClassifier(name="t"))
    try:
        assert isinstance(TinyClipClassifier.presets, dict)
        assert TinyClipClassifier.presets["hub_conv_tiny"].builder == "TinyClipClassifier"
        assert "hub_conv_tiny" not in GestureRecognizer.presets
        assert "gesture_a_synthetic" in GestureRecognizer.presets
        with pytest.warns(DeprecationWarning, match=r"Cls.presets\(\) is deprecated"):
            assert TinyClipClassifier.presets() == ["hub_conv_tiny"]
    finally:
        presets.remove_preset("hub_conv_tiny")


def test_save_to_preset_round_trips(gesture, tmp_path):
    folder = gesture.save_to_preset(tmp_path / "mine")
    loaded = GestureRecognizer.from_preset(folder)
    assert loaded.class_names == NAMES
    clip = np.random.default_rng(0).random((2, 4, 16, 16, 3), dtype=np.float32)
    np.testing.assert_allclose(loaded.predict(clip, verbose=0), gesture.predict(clip, verbose=0), atol=1e-6)


def test_load_weights_false_builds_the_architecture_fresh(gesture, tmp_path):
    folder = gesture.save_to_preset(tmp_path / "mine")
    fresh = GestureRecognizer.from_preset(folder, load_weights=False)
    assert fresh.count_params() == gesture.count_params() and fresh.class_names == NAMES
    kernel = lambda m: m.get_layer("Classes").get_weights()[0]  # noqa: E731
    assert not np.allclose(kernel(fresh), kernel(gesture))
    two = GestureRecognizer.from_preset(folder, load_weights=False, num_classes=2)
    assert two.outputs[0].shape[-1] == 2 and two.class_names is None


def test_upload_preset_takes_keras_hubs_order_and_warns_on_the_old(gesture, tmp_path, monkeypatch):
    from keras_stlstm.presets import hub

    calls = []
    monkeypatch.setattr(hub, "upload_folder", lambda folder, uri, *a: calls.append((folder.name, uri)) or "ok")
    folder = gesture.save_to_preset(tmp_path / "mine")
    assert keras_stlstm.upload_preset("hf://me/mine", folder) == "ok"
    with pytest.warns(DeprecationWarning, match=r"write upload_preset\(uri, preset\)"):
        assert keras_stlstm.upload_preset(str(folder), "hf://me/mine@dev") == "ok"
    assert calls == [("mine", "hf://me/mine"), ("mine", "hf://me/mine@dev")]


def _fit_once(model, x, y):
    model.compile(jit_compile=False)  # only the "auto" optimizer, loss and metrics
    history = model.fit(x, y, batch_size=2, epochs=1, verbose=0).history
    assert all(np.isfinite(v[0]) for v in history.values())
    return history


def _fit_changes_only(model, x, y, allowed):
    """Fits once; asserts some weights changed and all of them are in `allowed` (weight paths)."""
    before = {w.path: np.array(w) for w in model.weights}
    _fit_once(model, x, y)
    changed = {w.path for w in model.weights if not np.array_equal(np.array(w), before[w.path])}
    assert changed and changed <= allowed, sorted(changed - allowed)
    return changed


def test_compile_without_arguments_uses_the_task_defaults(gesture):
    rng = np.random.default_rng(0)
    model = GestureRecognizer.from_config(gesture.get_config())
    history = _fit_once(model, rng.random((2, 4, 16, 16, 3), dtype=np.float32), np.array([0, 2]))
    assert set(history) == {"loss", "accuracy"}
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-4)
    explicit = GestureRecognizer.from_config(gesture.get_config())
    explicit.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", jit_compile=False)
    assert isinstance(explicit.optimizer, keras.optimizers.SGD) and explicit.loss == "sparse_categorical_crossentropy"


def test_compile_defaults_of_the_early_recognizer_and_the_predictor():
    from keras_stlstm.models.early_activity import early_activity_targets

    rng = np.random.default_rng(1)
    early = EarlyActivityRecognizer(num_classes=3, config="tiny")
    clips = rng.random((2,) + tuple(early.inputs[0].shape[1:]), dtype=np.float32)
    history = _fit_once(early, clips, early_activity_targets(clips, np.array([0, 1])))
    assert "label_accuracy" in history and "frames_loss" in history
    predictor = VideoPredictor("convlstm", context_frames=2, future_frames=1, image_size=16, patch_size=4,
                               filters=[4], kernel_size=3)
    sequences = rng.random((2, 3, 16, 16, 1), dtype=np.float32)
    history = _fit_once(predictor, sequences, sequences[:, 1:])
    assert "loss" in history and len(history) > 1  # the per-frame metrics beside the loss


def test_a_compiled_model_reloads_compiled_without_a_warning(gesture, tmp_path):
    import warnings

    model = GestureRecognizer.from_config(gesture.get_config())
    model.compile(optimizer=keras.optimizers.SGD(0.5), jit_compile=False)
    model.save(tmp_path / "compiled.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        loaded = keras.saving.load_model(tmp_path / "compiled.keras")
    assert isinstance(loaded.optimizer, keras.optimizers.SGD)
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.5)


def test_freezing_the_backbone_trains_only_the_head(gesture):
    model = GestureRecognizer.from_config(gesture.get_config())
    backbone = model.backbone
    assert backbone.outputs[0].shape[-1] == model.get_layer("Classes").get_weights()[0].shape[0]
    backbone.trainable = False
    assert [w.path for w in model.trainable_weights] == [w.path for w in model.get_layer("Classes").weights]
    rng = np.random.default_rng(2)
    head = {w.path for w in model.get_layer("Classes").weights}
    _fit_changes_only(model, rng.random((2, 4, 16, 16, 3), dtype=np.float32), np.array([0, 1]), head)


def test_freezing_the_early_recognizers_backbone_trains_only_the_heads():
    from keras_stlstm.models.early_activity import early_activity_targets

    keras.utils.set_random_seed(3)
    model = EarlyActivityRecognizer(num_classes=3, config="tiny")
    trainable = {w.path for w in model.trainable_weights}
    backbone = model.backbone
    frozen = {w.path for w in backbone.weights}
    assert {layer.name for layer in backbone.layers if layer.weights} == {"encoder_1", "encoder_2", "e3d_lstm"}
    assert backbone.outputs[0].shape == model.get_layer("e3d_lstm").output.shape
    backbone.trainable = False
    heads = {w.path for w in model.trainable_weights}
    assert heads == trainable - frozen and all(p.startswith(("classifier_", "decoder_")) for p in heads)
    clips = np.random.default_rng(3).random((2,) + tuple(model.inputs[0].shape[1:]), dtype=np.float32)
    changed = _fit_changes_only(model, clips, early_activity_targets(clips, np.array([0, 2])), heads)
    assert any(p.startswith("classifier_") for p in changed) and any(p.startswith("decoder_") for p in changed)


@pytest.mark.parametrize("name", ["e3d", "predrnn", "predrnn_pp", "convlstm"])
def test_the_video_predictors_backbone_is_its_recurrent_stack(name):
    model = VideoPredictor(name, context_frames=2, future_frames=1, image_size=8, patch_size=2, filters=[2, 2],
                           kernel_size=(2, 3, 3) if name == "e3d" else 3)
    assert model.backbone is model.prediction_cell.stack and model.backbone_name == name
    assert model.get_config()["backbone"] == name
    model.backbone.trainable = False
    assert [w.path for w in model.trainable_weights] == [w.path for w in model.prediction_cell.decoder.weights]


def test_freezing_the_video_predictors_backbone_trains_only_the_decoder():
    keras.utils.set_random_seed(4)
    model = VideoPredictor("convlstm", context_frames=2, future_frames=1, image_size=16, patch_size=4,
                           filters=[4], kernel_size=3)
    model.backbone.trainable = False
    sequences = np.random.default_rng(4).random((2, 3, 16, 16, 1), dtype=np.float32)
    decoder = {w.path for w in model.prediction_cell.decoder.weights}
    assert _fit_changes_only(model, sequences, sequences[:, 1:], decoder) == decoder
