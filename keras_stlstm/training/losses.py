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


@keras.saving.register_keras_serializable(package="keras_stlstm")
class FutureFrameMSE(keras.losses.Loss):
    """Mean squared error over the last `future_frames` frames only.

    A next-frame predictor's output covers frames 2..T: the one-step predictions
    inside the context as well as the future. The default video loss weighs all
    of them; this one trains on the frames a forecast is judged on. Measured on
    the ConvLSTM preset against an all-frames control, it lowered the test MSE by
    only 0.1% (docs/experiments/convlstm_future_frame_loss.md).

    Args:
        future_frames: how many frames, counted from the end of axis 1 of
            (batch, T, H, W, C) targets and predictions, the loss covers.
        name, reduction, dtype: as in `keras.losses.Loss`.

    Example:

    >>> import numpy as np
    >>> loss = FutureFrameMSE(future_frames=1, reduction=None)
    >>> y_pred = np.zeros((1, 3, 2, 2, 1)); y_pred[:, -1] = 0.5
    >>> float(loss(np.zeros_like(y_pred), y_pred)[0])
    0.25
    """

    def __init__(self, future_frames, name="future_frame_mse_loss", reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if isinstance(future_frames, bool) or not isinstance(future_frames, int) or future_frames < 1:
            raise ValueError(f"future_frames must be a positive int, got {future_frames!r}")
        self.future_frames = future_frames

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        if len(y_pred.shape) < 3 or tuple(y_true.shape[1:]) != tuple(y_pred.shape[1:]):
            raise ValueError(
                "FutureFrameMSE needs targets and predictions of the same shape (batch, T, ...); "
                f"received y_true {tuple(y_true.shape)} and y_pred {tuple(y_pred.shape)}."
            )
        if y_pred.shape[1] is not None and y_pred.shape[1] < self.future_frames:
            raise ValueError(
                f"FutureFrameMSE(future_frames={self.future_frames}) needs at least that many frames "
                f"on axis 1; received {y_pred.shape[1]}."
            )
        error = y_pred[:, -self.future_frames:] - y_true[:, -self.future_frames:]
        return ops.mean(ops.square(error), axis=tuple(range(1, len(error.shape))))

    def get_config(self):
        config = super().get_config()
        config["future_frames"] = self.future_frames
        return config


def future_frame_mse(model):
    """`FutureFrameMSE` over the model's future frames (recipe loss
    "keras_stlstm.training.losses:future_frame_mse").

    Args:
        model: a model with a `future_frames` attribute (a `VideoPredictor`).

    Raises:
        ValueError: the model has no `future_frames`.
    """
    future_frames = getattr(model, "future_frames", None)
    if future_frames is None:
        raise ValueError(
            f"future_frame_mse needs a model with a `future_frames` attribute (a VideoPredictor); "
            f"got {type(model).__name__}."
        )
    return FutureFrameMSE(future_frames=int(future_frames))


# The package's losses by the plain names recipes use.
LOSSES = {"l1_l2_loss": l1_l2_loss}
