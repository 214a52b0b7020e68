"""depth_tap_conv: the values and gradients of a 'same' Conv3D (ops.conv) for shallow blocks."""

import keras
import numpy as np
import pytest
from stlstm_numpy_reference import float64_backend  # noqa: F401  (a fixture)

from keras_stlstm.layers.depth_tap_conv import depth_tap_conv
from keras_stlstm.testing.gradients import argument_gradients

pytestmark = pytest.mark.backends


def _conv3d(x, kernel):
    return keras.ops.conv(x, kernel, padding="same")


# (depth D, kernel (kd, kh, kw)): the paper's D = kd = 2, an odd kd, a kernel deeper
# than the block (taps that only see padding), D = 1, an even spatial kernel.
@pytest.mark.parametrize("depth, kernel", [(2, (2, 3, 3)), (3, (3, 3, 3)), (2, (4, 3, 3)), (1, (2, 1, 1)),
                                           (3, (2, 2, 3))])
def test_values_and_gradients_equal_a_same_conv3d(float64_backend, depth, kernel):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, depth, 5, 4, 3))
    w = rng.normal(size=kernel + (3, 4))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(depth_tap_conv(x, w)),
                               keras.ops.convert_to_numpy(_conv3d(x, w)), rtol=1e-10, atol=1e-10)
    weights = rng.normal(size=(2, depth, 5, 4, 4))

    def gradients(fn):
        loss = lambda a, b: keras.ops.sum(keras.ops.multiply(fn(a, b), weights))  # noqa: E731
        return [keras.ops.convert_to_numpy(g) for g in argument_gradients(loss, (x, w), argnums=(0, 1))]

    for got, want in zip(gradients(depth_tap_conv), gradients(_conv3d)):
        assert np.abs(want).max() > 1e-3
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
