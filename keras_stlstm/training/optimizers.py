"""Optimisers of the training recipes."""

import keras


def e3d_optimizer(learning_rate=1e-3):
    """The E3D-LSTM recipe's optimiser: Adam with learning rate 1e-3 (google/e3d_lstm).

    Args:
        learning_rate: float (or a Keras learning-rate schedule).

    Returns:
        A `keras.optimizers.Adam`.

    Example:

    >>> float(e3d_optimizer().learning_rate)
    0.001
    """
    return keras.optimizers.Adam(learning_rate=learning_rate)
