"""l1_l2_loss and FutureFrameMSE: values, reduction, registration, use in compile and saving, errors."""

import numpy as np
import pytest

import keras

import keras_stlstm  # noqa: F401
from keras_stlstm.training import FutureFrameMSE, future_frame_mse, l1_l2_loss


@pytest.mark.backends
def test_value_is_mean_squared_plus_mean_absolute_error_per_sample():
    rng = np.random.default_rng(0)
    y_true = rng.random((3, 2, 4, 4, 1)).astype("float32")
    y_pred = rng.random((3, 2, 4, 4, 1)).astype("float32")
    expected = ((y_pred - y_true) ** 2).mean(axis=(1, 2, 3, 4)) + np.abs(y_pred - y_true).mean(axis=(1, 2, 3, 4))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(l1_l2_loss(y_true, y_pred)), expected, rtol=1e-6)
    assert float(keras.ops.convert_to_numpy(l1_l2_loss(y_true, y_true)).max()) == 0.0
    # A Keras loss reduction averages the per-sample values over the batch.
    reduced = keras.losses.get(l1_l2_loss)
    assert reduced is l1_l2_loss


def test_registered_and_serialisable():
    assert keras.saving.get_registered_object("keras_stlstm>l1_l2_loss") is l1_l2_loss
    config = keras.saving.serialize_keras_object(l1_l2_loss)
    assert keras.saving.deserialize_keras_object(config) is l1_l2_loss


def test_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="shaped like the predictions"):
        l1_l2_loss(np.zeros((2, 3, 4), "float32"), np.zeros((2, 4, 4), "float32"))


def test_compiled_model_saves_and_reloads_with_the_loss(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(4)(inputs))
    model.compile("adam", l1_l2_loss)
    x = np.ones((2, 4), "float32")
    model.fit(x, x, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert loaded.loss is l1_l2_loss


@pytest.mark.backends
def test_future_frame_mse_averages_only_the_last_frames():
    rng = np.random.default_rng(1)
    y_true = rng.random((3, 5, 4, 4, 1)).astype("float32")
    y_pred = rng.random((3, 5, 4, 4, 1)).astype("float32")
    per_sample = ((y_pred[:, 3:] - y_true[:, 3:]) ** 2).mean(axis=(1, 2, 3, 4))
    loss = FutureFrameMSE(future_frames=2, reduction=None)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loss(y_true, y_pred)), per_sample, rtol=1e-6)
    np.testing.assert_allclose(float(FutureFrameMSE(future_frames=2)(y_true, y_pred)), per_sample.mean(), rtol=1e-6)
    # Errors in the earlier frames do not count.
    y_pred[:, :3] += 10.0
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loss(y_true, y_pred)), per_sample, rtol=1e-6)


def test_future_frame_mse_is_built_from_the_model_and_round_trips():
    class Model:
        future_frames = 10

    loss = future_frame_mse(Model())
    assert isinstance(loss, FutureFrameMSE) and loss.future_frames == 10
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, FutureFrameMSE) and restored.get_config() == loss.get_config()
    with pytest.raises(ValueError, match="future_frames"):
        future_frame_mse(object())


@pytest.mark.parametrize("future_frames", [0, -1, 2.0, True])
def test_future_frame_mse_rejects_a_bad_frame_count(future_frames):
    with pytest.raises(ValueError, match="future_frames must be a positive int"):
        FutureFrameMSE(future_frames=future_frames)


def test_future_frame_mse_shape_errors_name_the_expected_form():
    loss = FutureFrameMSE(future_frames=4)
    with pytest.raises(ValueError, match="at least that many frames"):
        loss(np.zeros((1, 3, 2, 2, 1), "float32"), np.zeros((1, 3, 2, 2, 1), "float32"))
    with pytest.raises(ValueError, match="same shape"):
        loss(np.zeros((1, 5, 2, 2, 1), "float32"), np.zeros((1, 5, 3, 2, 1), "float32"))
