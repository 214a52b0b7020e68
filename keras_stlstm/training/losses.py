"""Losses of the training recipes."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_stlstm")
def l1_l2_loss(y_true, y_pred):
    """L2 + L1 over every predicted pixel (E3D paper eq. 3), per sample.

    Returns mean((y - ŷ)²) + mean(|y - ŷ|) over all non-batch axes, so a Keras
    loss reduction then averages over the batch. The official code sums both
    terms over the whole batch (and halves the L2 term, `tf.nn.l2_loss`); the
    mean differs from that by a constant factor, which Adam (the recipe's
    optimiser) is invariant to, and keeps the loss comparable across frame
    sizes and batch sizes.

    Args:
        y_true: target frames, (batch, ...).
        y_pred: predicted frames, same shape.

    Returns:
        (batch,) loss values.

    Example:

    >>> import numpy as np
    >>> float(l1_l2_loss(np.zeros((1, 2, 2)), np.full((1, 2, 2), 0.5))[0])
    0.75
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    if tuple(y_true.shape[1:]) != tuple(y_pred.shape[1:]) and None not in y_true.shape[1:]:
        raise ValueError(
            f"l1_l2_loss needs targets shaped like the predictions; received y_true "
            f"{tuple(y_true.shape)} and y_pred {tuple(y_pred.shape)}."
        )
    error = y_pred - y_true
    axes = tuple(range(1, len(error.shape)))
    return ops.mean(ops.square(error), axis=axes) + ops.mean(ops.abs(error), axis=axes)


# The package's losses by the plain names recipes use.
LOSSES = {"l1_l2_loss": l1_l2_loss}
