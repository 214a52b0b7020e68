"""Backend-agnostic Keras metrics for video prediction (keras.ops only).

Each metric accumulates the mean per-frame value of the NumPy reference in
`frame_metrics` (same conventions: per-frame SUM for MSE/MAE, skimage-compatible
SSIM, PSNR for data range 1) over (batch, T, H, W, C) frames in [0, 1]. With
`per_frame=True` it also accumulates one mean per future frame (`frame_results()`),
which needs the number of frames up front (Keras creates metric state eagerly).
With `last_frames=N` it scores only the last N frames of the time axis: the future
frames of a next-frame model, whose output also covers the context (see
`video_prediction_metrics`).
"""

import keras
from keras import ops

from keras_stlstm.metrics.frame_metrics import SSIM_WIN_SIZE, ssim_from_moments


class _FrameMetric(keras.metrics.Metric):
    """Mean of a per-frame value over every frame seen (and optionally per frame index).

    Args:
        per_frame: also keep one mean per frame index (the last axis of the
            per-frame values, i.e. T for (batch, T, H, W, C) inputs).
        num_frames: T, required with `per_frame=True` (with `last_frames`, the
            frames kept).
        last_frames: score only the last `last_frames` frames of axis 1 of
            (batch, T, H, W, C) inputs; None scores every frame.
        name, dtype: as for `keras.metrics.Metric`.
    """

    def __init__(self, per_frame=False, num_frames=None, name=None, dtype=None, last_frames=None):
        super().__init__(name=name, dtype=dtype)
        self.per_frame = bool(per_frame)
        if self.per_frame and (not isinstance(num_frames, int) or num_frames < 1):
            raise ValueError(f"num_frames must be a positive int with per_frame=True, got {num_frames!r}")
        if last_frames is not None and (isinstance(last_frames, bool) or not isinstance(last_frames, int)
                                        or last_frames < 1):
            raise ValueError(f"last_frames must be a positive int or None, got {last_frames!r}")
        self.num_frames = num_frames
        self.last_frames = last_frames
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")
        if self.per_frame:
            self.frame_total = self.add_variable(shape=(num_frames,), initializer="zeros", name="frame_total")
            self.frame_count = self.add_variable(shape=(num_frames,), initializer="zeros", name="frame_count")

    def frame_values(self, y_true, y_pred):
        """(..., H, W, C) -> per-frame values (...)."""
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.convert_to_tensor(y_true, dtype=self.dtype)
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        if len(y_true.shape) < 3 or tuple(y_true.shape) != tuple(y_pred.shape):
            raise ValueError(
                f"{self.name}: y_true and y_pred must have the same shape (..., H, W, C), "
                f"got {y_true.shape} and {y_pred.shape}"
            )
        if self.last_frames is not None:
            y_true, y_pred = self._keep_last_frames(y_true), self._keep_last_frames(y_pred)
        values = self.frame_values(y_true, y_pred)
        weights = ops.ones_like(values)
        if sample_weight is not None:
            sample_weight = ops.convert_to_tensor(sample_weight, dtype=self.dtype)
            while len(sample_weight.shape) < len(values.shape):
                sample_weight = ops.expand_dims(sample_weight, -1)
            weights = weights * sample_weight
        self.total.assign_add(ops.sum(values * weights))
        self.count.assign_add(ops.sum(weights))
        if self.per_frame:
            if len(values.shape) < 1 or values.shape[-1] != self.num_frames:
                raise ValueError(
                    f"{self.name}: per_frame expects {self.num_frames} frames on the time axis "
                    f"(batch, T, H, W, C), got inputs of shape {y_true.shape}"
                )
            flat_values = ops.reshape(values * weights, (-1, self.num_frames))
            self.frame_total.assign_add(ops.sum(flat_values, axis=0))
            self.frame_count.assign_add(ops.sum(ops.reshape(weights, (-1, self.num_frames)), axis=0))

    def _keep_last_frames(self, frames):
        if len(frames.shape) != 5 or (frames.shape[1] is not None and frames.shape[1] < self.last_frames):
            raise ValueError(
                f"{self.name}: last_frames={self.last_frames} expects (batch, T, H, W, C) frames "
                f"with T >= {self.last_frames}, got shape {frames.shape}"
            )
        return frames[:, -self.last_frames:]

    def result(self):
        return ops.divide_no_nan(self.total, self.count)

    def frame_results(self):
        """Mean per frame index, shape (num_frames,) (needs per_frame=True)."""
        if not self.per_frame:
            raise ValueError(f"{self.name} was created with per_frame=False")
        return ops.divide_no_nan(self.frame_total, self.frame_count)

    def reset_state(self):
        for variable in self.variables:
            variable.assign(ops.zeros(variable.shape, dtype=variable.dtype))

    def get_config(self):
        config = super().get_config()
        config.update({"per_frame": self.per_frame, "num_frames": self.num_frames,
                       "last_frames": self.last_frames})
        return config


@keras.saving.register_keras_serializable(package="keras_stlstm")
class FrameMSE(_FrameMetric):
    """Mean per-frame MSE: squared error summed over each frame's pixels, averaged over frames.

    Example:

    >>> import numpy as np
    >>> m = FrameMSE()
    >>> m.update_state(np.zeros((1, 2, 4, 4, 1)), np.full((1, 2, 4, 4, 1), 0.5))
    >>> float(m.result())
    4.0
    """

    def __init__(self, per_frame=False, num_frames=None, name="frame_mse", dtype=None, last_frames=None):
        super().__init__(per_frame, num_frames, name=name, dtype=dtype, last_frames=last_frames)

    def frame_values(self, y_true, y_pred):
        return ops.sum(ops.square(y_true - y_pred), axis=(-3, -2, -1))


@keras.saving.register_keras_serializable(package="keras_stlstm")
class FrameMAE(_FrameMetric):
    """Mean per-frame MAE: absolute error summed over each frame's pixels, averaged over frames."""

    def __init__(self, per_frame=False, num_frames=None, name="frame_mae", dtype=None, last_frames=None):
        super().__init__(per_frame, num_frames, name=name, dtype=dtype, last_frames=last_frames)

    def frame_values(self, y_true, y_pred):
        return ops.sum(ops.abs(y_true - y_pred), axis=(-3, -2, -1))


@keras.saving.register_keras_serializable(package="keras_stlstm")
class FramePSNR(_FrameMetric):
    """Mean per-frame PSNR (dB, data range 1), each frame bounded by `cap`.

    Args:
        cap: upper bound of one frame's PSNR (identical frames would be +inf and
            make the mean infinite); 100 dB by default.
        per_frame, num_frames, name, dtype: see `FrameMSE`.
    """

    def __init__(self, cap=100.0, per_frame=False, num_frames=None, name="frame_psnr", dtype=None, last_frames=None):
        super().__init__(per_frame, num_frames, name=name, dtype=dtype, last_frames=last_frames)
        self.cap = float(cap)

    def frame_values(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=(-3, -2, -1))
        # 10 log10(1 / mse) >= cap  <=>  mse <= 10^(-cap / 10); clamping mse there
        # keeps log finite (no inf, no NaN gradients) and gives exactly `cap`.
        floor = 10.0 ** (-self.cap / 10.0)
        mse = ops.maximum(mse, ops.cast(floor, mse.dtype))
        return ops.minimum(-10.0 * ops.log(mse) / ops.log(ops.cast(10.0, mse.dtype)), self.cap)

    def get_config(self):
        config = super().get_config()
        config["cap"] = self.cap
        return config


def ssim_per_frame(y_true, y_pred):
    """SSIM of every frame with keras.ops, same definition as `frame_ssim` (skimage).

    (..., H, W, C) -> (...). The 7x7 uniform window is a 'valid' average pooling,
    so only the window positions inside the frame count, as in skimage.
    """
    shape = tuple(y_true.shape)
    height, width, channels = shape[-3:]
    if height is None or width is None or min(height, width) < SSIM_WIN_SIZE:
        raise ValueError(f"SSIM needs frames of at least {SSIM_WIN_SIZE}x{SSIM_WIN_SIZE}, got {shape}")
    lead = ops.shape(y_true)[:-3]
    x = ops.reshape(y_true, (-1, height, width, channels))
    y = ops.reshape(y_pred, (-1, height, width, channels))

    def box(v):
        return ops.average_pool(v, SSIM_WIN_SIZE, strides=1, padding="valid")

    ssim_map = ssim_from_moments(
        box(x), box(y), box(x * x), box(y * y), box(x * y), window_pixels=SSIM_WIN_SIZE**2
    )
    return ops.reshape(ops.mean(ssim_map, axis=(1, 2, 3)), lead)


@keras.saving.register_keras_serializable(package="keras_stlstm")
class FrameSSIM(_FrameMetric):
    """Mean per-frame SSIM (skimage's structural_similarity with data_range=1)."""

    def __init__(self, per_frame=False, num_frames=None, name="frame_ssim", dtype=None, last_frames=None):
        super().__init__(per_frame, num_frames, name=name, dtype=dtype, last_frames=last_frames)

    def frame_values(self, y_true, y_pred):
        return ssim_per_frame(y_true, y_pred)


def video_prediction_metrics(model):
    """The metrics a video-prediction training run logs, for `model` (a VideoPredictor).

    Per-pixel "mse" and "mae" over all predicted frames (frames 2..T: the
    one-step predictions inside the context and the future frames), and
    `future_frame_mse`: the per-frame MSE of the future frames only, the number
    the zoo evaluation reports (`keras-stlstm zoo-evaluate`), so that a run's
    `val_future_frame_mse` reads on the same scale as a model card.

    Args:
        model: a model with a `future_frames` attribute.

    Returns:
        A list for `model.compile(metrics=...)`.
    """
    return ["mse", "mae", FrameMSE(last_frames=model.future_frames, name="future_frame_mse")]
