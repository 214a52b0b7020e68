"""Per-frame video-prediction metrics in NumPy (float64), the evaluation reference.

Frames are channels-last arrays (..., H, W, C) with values in [0, 1] (uint8 frames
are divided by 255). Every function reduces one frame (the last three axes) to one
number, so (batch, T, H, W, C) inputs give (batch, T) values.

Conventions (protocols.md; OpenSTL, E3D-LSTM and PredRNN):
- MSE / MAE of a frame are SUMS over its pixels (and channels) of the squared /
  absolute error: a 64x64 frame with MSE 41.3 has a mean squared error per pixel
  of 41.3 / 4096.
- PSNR = 10 log10(1 / mean squared error per pixel), in dB; +inf for identical
  frames (pass `cap` to bound it so averages stay finite).
- SSIM reproduces `skimage.metrics.structural_similarity(data_range=1)` with its
  defaults: 7x7 uniform window, K1 = 0.01, K2 = 0.03, sample covariance (N/(N-1)),
  the mean taken over the window positions that fit inside the frame (skimage
  crops the (7-1)/2-pixel border), one SSIM per channel averaged over channels
  (`channel_axis=-1`).
"""

import numpy as np

SSIM_WIN_SIZE = 7
SSIM_K1 = 0.01
SSIM_K2 = 0.03


def _as_frames(true, pred, min_spatial=1):
    true = np.asarray(true)
    pred = np.asarray(pred)
    if true.shape != pred.shape:
        raise ValueError(f"true and pred must have the same shape, got {true.shape} and {pred.shape}")
    if true.ndim < 3:
        raise ValueError(f"frames must have shape (..., H, W, C), got shape {true.shape}")
    if min(true.shape[-3:-1]) < min_spatial:
        raise ValueError(
            f"frames must be at least {min_spatial}x{min_spatial} pixels, got {true.shape[-3:-1]}"
        )
    return _to_unit_float(true), _to_unit_float(pred)


def _to_unit_float(x):
    if x.dtype == np.uint8:
        return x.astype(np.float64) / 255.0
    return x.astype(np.float64)


def frame_mse(true, pred):
    """Per-frame sum of squared errors: (..., H, W, C) -> (...)."""
    true, pred = _as_frames(true, pred)
    return np.sum((true - pred) ** 2, axis=(-3, -2, -1))


def frame_mae(true, pred):
    """Per-frame sum of absolute errors: (..., H, W, C) -> (...)."""
    true, pred = _as_frames(true, pred)
    return np.sum(np.abs(true - pred), axis=(-3, -2, -1))


def psnr_from_mse(mse_per_pixel, cap=None):
    """10 log10(1 / mse) elementwise; +inf where mse is 0, bounded by `cap` if given."""
    mse_per_pixel = np.asarray(mse_per_pixel, np.float64)
    with np.errstate(divide="ignore"):
        psnr = 10.0 * np.log10(1.0 / mse_per_pixel)
    return psnr if cap is None else np.minimum(psnr, cap)


def frame_psnr(true, pred, cap=None):
    """Per-frame PSNR in dB for data range 1: (..., H, W, C) -> (...).

    Args:
        true, pred: frames in [0, 1].
        cap: upper bound in dB (e.g. 100); None returns +inf for identical frames.
    """
    true, pred = _as_frames(true, pred)
    return psnr_from_mse(np.mean((true - pred) ** 2, axis=(-3, -2, -1)), cap)


def ssim_from_moments(ux, uy, uxx, uyy, uxy, window_pixels, data_range=1.0):
    """SSIM map from local means of x, y, x², y², xy (Wang et al. 2004, eq. 13).

    Pure arithmetic, so it serves NumPy arrays and Keras tensors alike.
    `window_pixels` = N, used for the sample-covariance factor N / (N - 1).
    """
    cov_norm = window_pixels / (window_pixels - 1.0)
    vx = cov_norm * (uxx - ux * ux)
    vy = cov_norm * (uyy - uy * uy)
    vxy = cov_norm * (uxy - ux * uy)
    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    return ((2.0 * ux * uy + c1) * (2.0 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))


def _box_mean_valid(x, win):
    """Mean over every win x win window that fits (valid positions), per channel.

    (..., H, W, C) -> (..., H - win + 1, W - win + 1, C), via a summed-area table.
    """
    table = np.cumsum(np.cumsum(x, axis=-3), axis=-2)
    pad = [(0, 0)] * (x.ndim - 3) + [(1, 0), (1, 0), (0, 0)]
    table = np.pad(table, pad)
    sums = (
        table[..., win:, win:, :]
        - table[..., :-win, win:, :]
        - table[..., win:, :-win, :]
        + table[..., :-win, :-win, :]
    )
    return sums / float(win * win)


def frame_ssim(true, pred):
    """Per-frame SSIM, as skimage's structural_similarity(data_range=1, channel_axis=-1).

    (..., H, W, C) -> (...); H and W must be at least 7. Agrees with skimage to
    floating-point rounding (its uniform filter's reflected border only affects
    the cropped positions).
    """
    true, pred = _as_frames(true, pred, SSIM_WIN_SIZE)
    win = SSIM_WIN_SIZE
    moments = [_box_mean_valid(v, win) for v in (true, pred, true * true, pred * pred, true * pred)]
    ssim_map = ssim_from_moments(*moments, window_pixels=win * win)
    # Equal-size valid maps per channel: the mean over (H', W', C) is the mean of
    # the per-channel means, as skimage averages channels.
    return ssim_map.mean(axis=(-3, -2, -1))


def per_frame_curves(true, pred, psnr_cap=100.0):
    """Mean metric of every future frame and over all frames.

    Args:
        true, pred: (..., T, H, W, C) future frames in [0, 1] (e.g. (batch, T, H, W, C)).
        psnr_cap: bound on each frame's PSNR (dB) so identical frames do not make
            the averages infinite; None keeps +inf.

    Returns:
        dict with, for m in ("mse", "mae", "ssim", "psnr"): `m` -> (T,) array of the
        per-frame value averaged over the leading axes, and `m + "_mean"` -> float,
        the average over all frames.

    Example:

    >>> import numpy as np
    >>> t = np.zeros((2, 3, 8, 8, 1)); p = t + 0.5
    >>> curves = per_frame_curves(t, p)
    >>> curves["mse"].tolist(), curves["mse_mean"]
    ([16.0, 16.0, 16.0], 16.0)
    """
    if np.ndim(true) < 4:
        raise ValueError(f"true and pred must have shape (..., T, H, W, C), got shape {np.shape(true)}")
    values = {
        "mse": frame_mse(true, pred),
        "mae": frame_mae(true, pred),
        "ssim": frame_ssim(true, pred),
        "psnr": frame_psnr(true, pred, cap=psnr_cap),
    }
    curves = {}
    for name, per_frame in values.items():
        flat = per_frame.reshape(-1, per_frame.shape[-1])
        curves[name] = flat.mean(axis=0)
        curves[name + "_mean"] = float(flat.mean())
    return curves
