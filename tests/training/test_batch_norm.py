"""BatchNorm recalibration: moving statistics become the mean of the batches' statistics."""

import keras
import numpy as np
import pytest

from keras_stlstm.training.batch_norm import batch_norm_layers, recalibrate_batch_norm


@pytest.mark.backends
def test_moving_statistics_are_the_average_batch_statistics():
    inner = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization(momentum=0.99)])
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, use_bias=False), inner])
    dense = model.layers[0].get_weights()
    rng = np.random.default_rng(0)
    batches = [rng.normal(2.0, 3.0, (8, 3)).astype("float32") for _ in range(4)]
    (bn,) = batch_norm_layers(model)  # found inside the nested model
    assert recalibrate_batch_norm(model, [(b, None) for b in batches]) == 1
    features = [b @ dense[0] for b in batches]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(bn.moving_mean),
                               np.mean([f.mean(0) for f in features], 0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(bn.moving_variance),
                               np.mean([f.var(0) for f in features], 0), rtol=1e-4)
    assert bn.momentum == 0.99  # restored
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], dense[0])  # weights untouched


def test_models_without_batch_norm_are_left_alone():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    assert recalibrate_batch_norm(model, [np.zeros((1, 2), "float32")]) == 0
