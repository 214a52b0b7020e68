"""Scheduled sampling schedule: formula, and the callback driving VideoPredictor's η under fit."""

import numpy as np
import pytest

import keras

from keras_stlstm.models.video_prediction import VideoPredictor
from keras_stlstm.training import ScheduledSampling, l1_l2_loss, scheduled_sampling_probability
from keras_stlstm.training.schedules import linear_decay


def test_e3d_schedule_values():
    # 1.0 at the start, minus 2e-5 per iteration, 0 from iteration 50,000 on.
    for i in (0, 1, 10, 12345, 25000, 49999, 50000, 50001, 80000):
        expected = 0.0 if i >= 50000 else 1.0 - 2e-5 * i
        assert scheduled_sampling_probability(i) == pytest.approx(expected, abs=1e-12)
    assert scheduled_sampling_probability(25000) == pytest.approx(0.5)
    # Adjustable; the floor holds even before stop_iteration.
    assert scheduled_sampling_probability(10, start=0.5, rate=0.1, stop_iteration=None, end=0.2) == 0.2
    assert linear_decay(3, start=1.0, rate=0.25, end=0.0, stop_iteration=3) == 0.0
    with pytest.raises(ValueError, match="iteration"):
        linear_decay(-1, 1.0, 0.1, 0.0)


def test_callback_argument_errors():
    with pytest.raises(ValueError, match="rate"):
        ScheduledSampling(rate=-1.0)
    with pytest.raises(ValueError, match="start"):
        ScheduledSampling(start=1.5)
    with pytest.raises(ValueError, match="stop_iteration"):
        ScheduledSampling(stop_iteration=2.5)


class Recorder(keras.callbacks.Callback):
    """Reads η at every batch start (after ScheduledSampling) and the batch losses."""

    def __init__(self):
        super().__init__()
        self.etas, self.losses = [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.etas.append(float(keras.ops.convert_to_numpy(self.model.sampling_probability)))

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float(logs["loss"]))


def tiny_model():
    model = VideoPredictor(
        "convlstm", context_frames=2, future_frames=2, image_size=16, patch_size=4, filters=[16, 16],
        kernel_size=3, sampling_seed=0,
    )
    jit = "auto" if keras.backend.backend() == "jax" else False
    model.compile(keras.optimizers.SGD(0.0), l1_l2_loss, jit_compile=jit)
    return model


@pytest.mark.backends
def test_callback_moves_eta_and_the_training_step_uses_it():
    keras.utils.set_random_seed(0)
    model = tiny_model()
    x = np.random.default_rng(0).random((2, 4, 16, 16, 1)).astype("float32")
    x[:, 2:] = 1.0  # future truth far from the model's own predictions (about 0.5)
    y = x[:, 1:]
    # Loss with only true frames (η = 1) and with only predictions (η = 0).
    model.sampling_probability.assign(1.0)
    teacher_loss = float(np.mean(keras.ops.convert_to_numpy(l1_l2_loss(y, model(x, training=True)))))
    model.sampling_probability.assign(0.0)
    own_loss = float(np.mean(keras.ops.convert_to_numpy(l1_l2_loss(y, model(x, training=True)))))
    assert abs(teacher_loss - own_loss) > 2e-5

    # Learning rate 0: the weights stay, so batch losses show which η each step used.
    recorder = Recorder()
    schedule = ScheduledSampling(start=1.0, rate=0.5, stop_iteration=None)
    history = model.fit(x, y, batch_size=2, epochs=3, verbose=0, callbacks=[schedule, recorder])
    assert recorder.etas == [1.0, 0.5, 0.0]
    np.testing.assert_allclose(recorder.losses[0], teacher_loss, rtol=2e-6)
    np.testing.assert_allclose(recorder.losses[2], own_loss, rtol=2e-6)
    assert history.history["sampling_probability"] == [1.0, 0.5, 0.0]
    assert float(keras.ops.convert_to_numpy(model.sampling_probability)) == 0.0


def test_callback_needs_a_model_with_eta():
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="sampling_probability"):
        model.fit(np.zeros((2, 2)), np.zeros((2, 1)), verbose=0, callbacks=[ScheduledSampling()])
