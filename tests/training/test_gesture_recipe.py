"""The gesture paper's optimizer: SGD, momentum, polynomial decay, weight decay."""

import numpy as np
import pytest

import keras

from keras_stlstm.training import gesture_optimizer, gesture_steps


def official_lr(step, steps, initial=1e-3, end=1e-6, power=0.9):
    """lr_polynomial_decay of the official training_res3d_*_mobilenet.py."""
    p = min(step, steps) / steps
    return (initial - end) * (1 - p) ** power + end


def test_learning_rate_schedule_matches_the_official_formula():
    optimizer = gesture_optimizer(1000)
    schedule = optimizer._learning_rate
    for step in (0, 1, 250, 500, 999, 1000, 5000):
        assert float(schedule(step)) == pytest.approx(official_lr(step, 1000), rel=1e-5)
    assert optimizer.momentum == 0.9 and not optimizer.nesterov
    assert optimizer.weight_decay == pytest.approx(5e-5)


def test_weight_decay_skips_biases_and_batch_norm():
    layer = keras.layers.Dense(2)
    norm = keras.layers.BatchNormalization()
    layer.build((None, 3))
    norm.build((None, 2))
    optimizer = gesture_optimizer(10)
    optimizer.build(layer.trainable_variables + norm.trainable_variables)
    decayed = {v.name: optimizer._use_weight_decay(v) for v in layer.trainable_variables + norm.trainable_variables}
    assert decayed == {"kernel": True, "bias": False, "gamma": False, "beta": False}
    everything = gesture_optimizer(10, decay_all_variables=True)
    everything.build(layer.trainable_variables)
    assert all(everything._use_weight_decay(v) for v in layer.trainable_variables)


def test_one_step_is_sgd_with_decoupled_weight_decay():
    # w ← w - lr · wd · w, then the momentum SGD step on the gradient.
    variable = keras.Variable(np.array([2.0, -1.0], "float32"))
    optimizer = gesture_optimizer(100, initial_lr=0.1, end_lr=0.001, weight_decay=0.01)
    gradient = np.array([0.5, 0.5], "float32")
    optimizer.apply_gradients([(keras.ops.convert_to_tensor(gradient), variable)])
    lr = 0.1
    expected = np.array([2.0, -1.0]) * (1 - lr * 0.01) - lr * gradient
    np.testing.assert_allclose(keras.ops.convert_to_numpy(variable), expected, rtol=1e-5)


def test_steps_and_bad_arguments():
    assert gesture_steps(148_094, 16, 30) == 9256 * 30
    assert gesture_steps(10, 3, 2) == 8
    for kwargs in ({"steps": 0}, {"steps": 10, "initial_lr": 0}, {"steps": 10, "end_lr": 1.0},
                   {"steps": 10, "momentum": 1.0}, {"steps": 10, "weight_decay": -1.0}):
        with pytest.raises(ValueError):
            gesture_optimizer(**kwargs)
    assert gesture_optimizer(10, weight_decay=0).weight_decay is None
