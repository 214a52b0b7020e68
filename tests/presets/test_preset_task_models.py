"""Presets of the task models: round trip, class check and the fine-tuning path."""

import keras
import numpy as np
import pytest

from keras_stlstm.presets import PresetError, save_preset


def test_gesture_recognizer_fine_tuning_from_a_preset(tmp_path):
    from keras_stlstm.models import GestureRecognizer, VideoPredictor

    keras.utils.set_random_seed(0)
    model = GestureRecognizer("a", num_classes=5, config="tiny")
    folder = save_preset(model, tmp_path / "gesture")
    clips = np.random.default_rng(0).random((2, 4, 16, 16, 3), dtype=np.float32)

    loaded = GestureRecognizer.from_preset(folder)
    np.testing.assert_allclose(loaded(clips), model(clips), atol=1e-6)

    tuned = GestureRecognizer.from_preset(folder, num_classes=3)
    assert tuned.num_classes == 3 and tuple(tuned(clips).shape) == (2, 3)
    for name in ("recurrent_1", "recurrent_2"):  # the backbone keeps its weights
        for old, new in zip(model.get_layer(name).get_weights(), tuned.get_layer(name).get_weights()):
            np.testing.assert_array_equal(old, new)
    assert tuple(tuned.get_layer("Classes").kernel.shape)[-1] == 3
    tuned.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = tuned.fit(clips, np.array([0, 2]), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])

    with pytest.raises(PresetError, match="is a GestureRecognizer, not a VideoPredictor"):
        VideoPredictor.from_preset(folder)


def test_early_activity_recall_window_override_keeps_every_weight(tmp_path):
    from keras_stlstm.models import EarlyActivityRecognizer

    keras.utils.set_random_seed(0)
    model = EarlyActivityRecognizer(num_classes=4, config="tiny", recall_window=2)
    folder = save_preset(model, tmp_path / "early")
    online = EarlyActivityRecognizer.from_preset(folder, recall_window=3)
    assert online.get_config()["recall_window"] == 3
    old, new = model.get_weights(), online.get_weights()
    assert len(old) == len(new)
    for a, b in zip(old, new):  # the window length changes no weight: everything carries over
        np.testing.assert_array_equal(a, b)
    clips = np.random.default_rng(0).random((1, 8, 16, 16, 3), dtype=np.float32)
    new_out, old_out = online(clips), model(clips)
    assert set(new_out) == set(old_out)
    for key in old_out:
        assert tuple(new_out[key].shape) == tuple(old_out[key].shape)
