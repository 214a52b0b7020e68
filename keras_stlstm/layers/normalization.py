"""Per-sample layer normalisation used inside the ST-LSTM and E3D-LSTM cells.

The official PredRNN and E3D-LSTM code normalise each sample over all of its
axes (space, depth and channels together), not over channels alone. Gain and
bias are per channel, as in the E3D code's `tf.contrib.layers.layer_norm`, so
the weights do not depend on the spatial size of the input.
"""

from keras import ops

LAYER_NORM_EPSILON = 1e-5


def add_layer_norm_weights(layer, channels, name):
    """Creates the (gamma, beta) pair of one normalisation on `layer`.

    Args:
        layer: the Keras layer that owns the weights.
        channels: number of channels (last axis) of the normalised tensor.
        name: prefix of the weight names.

    Returns:
        (gamma, beta), each of shape (channels,), initialised to 1 and 0.
    """
    gamma = layer.add_weight(shape=(channels,), initializer="ones", name=f"{name}_gamma")
    beta = layer.add_weight(shape=(channels,), initializer="zeros", name=f"{name}_beta")
    return gamma, beta


def sample_layer_norm(x, gamma, beta, epsilon=LAYER_NORM_EPSILON):
    """Normalises every sample of `x` over all its non-batch axes.

    Args:
        x: tensor (batch, ..., channels).
        gamma, beta: per-channel gain and bias, shape (channels,).
        epsilon: added to the variance.

    Returns:
        `(x - mean) / sqrt(var + epsilon) * gamma + beta`, where mean and var are
        taken per sample over every axis but the batch axis.
    """
    axes = tuple(range(1, len(x.shape)))
    mean, var = ops.moments(x, axes=axes, keepdims=True)
    return (x - mean) * ops.rsqrt(var + epsilon) * gamma + beta
