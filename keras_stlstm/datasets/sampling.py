"""Temporal sampling and spatial resizing/cropping of clips (NumPy + OpenCV).

Clips are uint8 or float arrays of shape (T, H, W, C). Sizes are (height, width),
NumPy order, or one int for a square.
"""

import cv2
import numpy as np

SHORT_CLIP_MODES = ("repeat", "loop")


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def as_rng(rng):
    """A `np.random.Generator` from a Generator, an int seed or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def normalize_size(size, name="size"):
    """`int` or `(height, width)` -> `(height, width)` of positive ints."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (size, size)
    if not isinstance(size, (tuple, list)) or len(size) != 2:
        raise ValueError(f"{name} must be an int or (height, width), got {size!r}")
    return (_positive_int(size[0], f"{name}[0]"), _positive_int(size[1], f"{name}[1]"))


def sample_indices(num_frames, length, training=False, rng=None, short="repeat"):
    """Uniform temporal sampling of `length` frame indices from a clip of `num_frames`.

    The clip is cut into `length` equal segments and one frame is taken from each:
    the segment's centre for evaluation (deterministic), a uniformly random frame of
    the segment for training (temporal jitter, TSN-style). With integer segment
    bounds, indices are strictly increasing whenever `num_frames >= length`.

    Clips shorter than `length`: `short="repeat"` stretches the clip (frames are
    repeated in order, e.g. 3 -> 6 gives 0 0 1 1 2 2; with jitter which frames
    repeat varies), `short="loop"` plays it again from the start (0 1 2 0 1 2;
    no jitter).

    Args:
        num_frames: N, frames in the clip (>= 1).
        length: L, indices to return (>= 1).
        training: jitter within each segment if True.
        rng: `np.random.Generator`, int seed or None; used only when training.
        short: "repeat" or "loop", for N < L.

    Returns:
        int64 array of shape (L,), values in [0, N).

    Example:

    >>> sample_indices(10, 5).tolist()
    [1, 3, 5, 7, 9]
    >>> sample_indices(3, 6).tolist()
    [0, 0, 1, 1, 2, 2]
    """
    n = _positive_int(num_frames, "num_frames")
    length = _positive_int(length, "length")
    if short not in SHORT_CLIP_MODES:
        raise ValueError(f"short must be one of {SHORT_CLIP_MODES}, got {short!r}")
    if n < length and short == "loop":
        return np.arange(length, dtype=np.int64) % n
    if n >= length:
        bounds = (np.arange(length + 1, dtype=np.int64) * n) // length
        starts, sizes = bounds[:-1], np.diff(bounds)
        if training:
            offsets = np.floor(as_rng(rng).random(length) * sizes).astype(np.int64)
        else:
            offsets = sizes // 2
        return starts + offsets
    # Fewer frames than indices: positions inside each (sub-frame) segment, floored.
    u = as_rng(rng).random(length) if training else np.full(length, 0.5)
    idx = np.floor((np.arange(length) + u) * n / length).astype(np.int64)
    return np.clip(idx, 0, n - 1)


def sliding_windows(num_frames, window, stride):
    """Start indices of every full window of `window` frames taken every `stride` frames.

    >>> sliding_windows(25, 10, 5).tolist()
    [0, 5, 10, 15]
    """
    window = _positive_int(window, "window")
    stride = _positive_int(stride, "stride")
    if num_frames < window:
        return np.zeros((0,), np.int64)
    return np.arange(0, num_frames - window + 1, stride, dtype=np.int64)


def resize_frame(frame, size):
    """Resize one (H, W) or (H, W, C) frame to `size` = (height, width).

    INTER_AREA when shrinking (no aliasing), INTER_LINEAR when enlarging. Keeps a
    trailing channel axis of 1 (which OpenCV drops).
    """
    h, w = normalize_size(size)
    if frame.shape[:2] == (h, w):
        return frame
    shrink = h * w < frame.shape[0] * frame.shape[1]
    out = cv2.resize(
        frame, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    )
    if frame.ndim == 3 and out.ndim == 2:
        out = out[..., None]
    return out


def _check_clip(frames):
    frames = np.asarray(frames)
    if frames.ndim != 4:
        raise ValueError(f"frames must have shape (T, H, W, C), got shape {frames.shape}")
    return frames


def resize_frames(frames, size):
    """Resize every frame of a (T, H, W, C) clip to `size` = int or (height, width)."""
    frames = _check_clip(frames)
    return np.stack([resize_frame(f, size) for f in frames])


def resize_short_side(frames, short_side):
    """Resize a (T, H, W, C) clip so its shorter side is `short_side`, keeping the aspect ratio."""
    frames = _check_clip(frames)
    short_side = _positive_int(short_side, "short_side")
    h, w = frames.shape[1:3]
    scale = short_side / min(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    return resize_frames(frames, size)


def _crop_origin_check(frames, size):
    frames = _check_clip(frames)
    ch, cw = normalize_size(size)
    h, w = frames.shape[1:3]
    if ch > h or cw > w:
        raise ValueError(f"crop size {(ch, cw)} is larger than the frames ({h}, {w})")
    return frames, ch, cw, h, w


def center_crop(frames, size):
    """Central `size` crop of a (T, H, W, C) clip (same window for every frame)."""
    frames, ch, cw, h, w = _crop_origin_check(frames, size)
    top, left = (h - ch) // 2, (w - cw) // 2
    return frames[:, top : top + ch, left : left + cw]


def random_crop(frames, size, rng=None):
    """Random `size` crop of a (T, H, W, C) clip, the same window for every frame."""
    frames, ch, cw, h, w = _crop_origin_check(frames, size)
    rng = as_rng(rng)
    top = int(rng.integers(0, h - ch + 1))
    left = int(rng.integers(0, w - cw + 1))
    return frames[:, top : top + ch, left : left + cw]
