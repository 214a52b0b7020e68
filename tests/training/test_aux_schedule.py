"""The E3D auxiliary-loss schedule: formula, and that it really drives training."""

import numpy as np
import pytest

import keras

from keras_stlstm.models import EarlyActivityRecognizer, early_activity_targets
from keras_stlstm.training import (
    AuxiliaryLossSchedule,
    WeightedLoss,
    auxiliary_loss_weight,
    early_activity_losses,
)


def test_formula():
    # λ(i) = max(0.1, 10 - 2e-5 · i)
    assert auxiliary_loss_weight(0) == 10.0
    assert auxiliary_loss_weight(1) == pytest.approx(10.0 - 2e-5)
    assert auxiliary_loss_weight(250_000) == pytest.approx(5.0)
    assert auxiliary_loss_weight(495_000) == pytest.approx(0.1)
    assert auxiliary_loss_weight(495_001) == 0.1
    assert auxiliary_loss_weight(10**7) == 0.1
    callback = AuxiliaryLossSchedule(start=4.0, rate=0.5, floor=1.0)
    assert [callback.value_at(i) for i in range(8)] == [4.0, 3.5, 3.0, 2.5, 2.0, 1.5, 1.0, 1.0]
    with pytest.raises(ValueError, match="iteration"):
        auxiliary_loss_weight(-1)


def test_weighted_loss_reads_its_variable():
    weight = keras.Variable(3.0, trainable=False)
    loss = WeightedLoss("mean_squared_error", weight=weight)
    y_true, y_pred = np.zeros((2, 4), "float32"), np.full((2, 4), 2.0, "float32")
    assert float(loss(y_true, y_pred)) == pytest.approx(12.0)
    weight.assign(0.5)
    assert float(loss(y_true, y_pred)) == pytest.approx(2.0)
    clone = WeightedLoss.from_config(loss.get_config())
    assert clone.weight == 0.5 and float(clone(y_true, y_pred)) == pytest.approx(2.0)


@pytest.mark.backends
def test_schedule_changes_the_loss_and_the_updates():
    keras.utils.set_random_seed(0)
    # The same shapes as tests/models/test_early_activity.py (shared compile caches).
    model = EarlyActivityRecognizer(num_classes=3, config="tiny")
    clips = np.random.default_rng(0).random((2, 8, 16, 16, 3)).astype("float32")
    targets = early_activity_targets(clips, [0, 2])
    decoder = model.get_layer("decoder_2_per_step").layer
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss=early_activity_losses(model))
    mse = np.mean((model.predict_on_batch(clips)["frames"] - targets["frames"]) ** 2)

    # Learning rate 0: nothing moves, so each epoch's frame loss is λ_i · the same MSE.
    schedule = AuxiliaryLossSchedule(start=10.0, rate=3.0, floor=0.1)
    history = model.fit(clips, targets, epochs=3, batch_size=2, verbose=0, callbacks=[schedule]).history
    assert history["auxiliary_loss_weight"] == [10.0, 7.0, 4.0]
    np.testing.assert_allclose(history["frames_loss"], [10 * mse, 7 * mse, 4 * mse], rtol=1e-4)
    np.testing.assert_allclose(
        np.subtract(history["loss"], history["frames_loss"]), history["label_loss"], rtol=1e-4
    )
    assert float(keras.ops.convert_to_numpy(model.auxiliary_loss_weight)) == 4.0

    # λ = 0: the frame decoder gets no gradient (only the frame loss reaches it).
    model.optimizer.learning_rate.assign(0.1)
    frozen = [w.copy() for w in decoder.get_weights()]
    model.fit(clips, targets, epochs=1, batch_size=2, verbose=0,
              callbacks=[AuxiliaryLossSchedule(start=0.0, rate=0.0, floor=0.0)])
    for before, after in zip(frozen, decoder.get_weights()):
        np.testing.assert_array_equal(before, after)
    # λ > 0: it does.
    model.fit(clips, targets, epochs=1, batch_size=2, verbose=0,
              callbacks=[AuxiliaryLossSchedule(start=1.0, rate=0.0, floor=1.0)])
    assert any(np.abs(b - a).max() > 0 for b, a in zip(frozen, decoder.get_weights()))


def test_bad_arguments():
    for kwargs in ({"start": -1.0}, {"rate": "fast"}, {"floor": 20.0}, {"start": True}):
        with pytest.raises(ValueError):
            AuxiliaryLossSchedule(**kwargs)
    plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="auxiliary_loss_weight"):
        early_activity_losses(plain)
