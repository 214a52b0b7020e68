"""ClipPreprocessor: raw clips (uint8, any length and size) -> the model's input, saved with the preset."""

import json

import keras
import numpy as np
import pytest

from keras_stlstm.datasets.sampling import resize_frames, sample_indices
from keras_stlstm.models import GestureRecognizer
from keras_stlstm.models.clip_preprocessor import ClipPreprocessor


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return GestureRecognizer("a", num_classes=3, config="tiny")  # 4 frames of 16x16x3


def test_uint8_clips_are_sampled_resized_and_rescaled(model):
    raw = np.random.default_rng(0).integers(0, 256, (10, 24, 32, 3), dtype=np.uint8)
    clips = model.preprocessor(raw)
    expected = resize_frames(raw[sample_indices(10, 4)].astype(np.float32) / 255.0, (16, 16))
    assert clips.shape == (1, 4, 16, 16, 3) and clips.dtype == np.float32
    np.testing.assert_allclose(clips[0], expected, atol=1e-6)
    np.testing.assert_allclose(model.predict(clips, verbose=0), model.predict(expected[None], verbose=0), atol=1e-6)
    # Already the model's shape, float in [0, 1]: unchanged.
    np.testing.assert_array_equal(model.preprocessor(expected[None]), expected[None])


def test_float_clips_on_the_0_255_scale_and_wrong_channels_are_refused(model):
    with pytest.raises(ValueError, match=r"Float clips must be in \[0, 1\]; these reach 200"):
        model.preprocessor(np.full((4, 16, 16, 3), 200.0, np.float32))
    with pytest.raises(ValueError, match=r"Expected clips of shape \(T, H, W, 3\)"):
        model.preprocessor(np.zeros((4, 16, 16, 1), np.uint8))


def test_the_preprocessor_is_saved_with_the_preset(model, tmp_path):
    model.preprocessor = ClipPreprocessor(frames=4, image_size=(16, 16), channels=3, scale=1 / 127.5)
    try:
        folder = model.save_to_preset(tmp_path / "preset")
    finally:
        model.preprocessor = None  # back to the default
    saved = json.loads((folder / "preprocessor.json").read_text())
    assert saved == {"frames": 4, "image_size": [16, 16], "channels": 3, "scale": 1 / 127.5}
    loaded = GestureRecognizer.from_preset(folder)
    assert loaded.preprocessor.get_config() == saved
    assert model.preprocessor.scale == pytest.approx(1 / 255)


def test_integer_clips_are_rescaled_by_predict_and_refused_elsewhere_instead_of_silently_misread(model):
    raw = np.random.default_rng(1).integers(0, 256, (1, 4, 16, 16, 3), dtype=np.uint8)
    # predict and predict_on_batch rescale uint8 NumPy clips (documented), as the preprocessor does.
    expected = model.predict(raw / np.float32(255), verbose=0)
    np.testing.assert_allclose(model.predict(raw, verbose=0), expected, atol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(raw), expected, atol=1e-6)
    np.testing.assert_allclose(model.predict(model.preprocessor(raw), verbose=0), expected, atol=1e-6)
    calls = (lambda: model(raw), lambda: model.evaluate(raw, np.zeros(1), verbose=0))
    model.compile(jit_compile=False)
    for run in calls:
        with pytest.raises(ValueError, match=r"takes float clips in \[0, 1\]; received uint8 clips"):
            run()


def test_the_video_predictors_preprocessor_rescales_and_resizes_every_frame(tmp_path):
    from keras_stlstm.models import VideoPredictor

    predictor = VideoPredictor("convlstm", context_frames=2, future_frames=1, image_size=16, patch_size=4,
                               filters=[2], kernel_size=3)
    raw = np.random.default_rng(2).integers(0, 256, (5, 24, 32, 1), dtype=np.uint8)
    frames = predictor.preprocessor(raw)  # consecutive frames: none sampled, none dropped
    np.testing.assert_allclose(frames[0], resize_frames(raw.astype(np.float32) / 255.0, (16, 16)), atol=1e-6)
    assert frames.shape == (1, 5, 16, 16, 1) and predictor.preprocessor.frames is None
    assert predictor.predict_frames(frames[:, :2], horizon=3).shape == (1, 3, 16, 16, 1)
    with pytest.raises(ValueError, match=r"Expected clips of shape \(T, H, W, 1\)"):
        predictor.preprocessor(np.zeros((3, 16, 16, 3), np.uint8))
    predictor.preprocessor = ClipPreprocessor(frames=None, image_size=(16, 16), channels=1, scale=1 / 127.5)
    folder = predictor.save_to_preset(tmp_path / "predictor")
    saved = json.loads((folder / "preprocessor.json").read_text())
    assert saved == {"frames": None, "image_size": [16, 16], "channels": 1, "scale": 1 / 127.5}
    assert VideoPredictor.from_preset(folder).preprocessor.get_config() == saved
