"""Inputs and targets of early activity recognition (E3D paper section 4.4).

The model sees only the front of a clip (the first 25% or 50% of its frames)
and must name the whole clip's activity. The auxiliary target is the next frame
after every seen frame, taken from the same front part, so no frame beyond it
is ever used.
"""

import numpy as np


def early_fraction_clip(clip, fraction, frames=None, time_axis=-4):
    """The first `fraction` of a clip's frames, optionally resampled to `frames`.

    Args:
        clip: array whose axis `time_axis` is time: (T, H, W, C) or
            (batch, T, H, W, C) with the default -4.
        fraction: in (0, 1], e.g. 0.25 or 0.5; the front keeps
            max(1, round(fraction · T)) frames.
        frames: if given, the kept front is sampled uniformly (segment centres,
            see `keras_stlstm.datasets.sampling.sample_indices`) to exactly this
            many frames, the fixed length a built `EarlyActivityRecognizer` takes.
        time_axis: the time axis of `clip`.

    Returns:
        NumPy array with the time axis shortened (or resampled).

    Raises:
        ValueError: bad fraction, or a clip without the time axis.

    Example:

    >>> import numpy as np
    >>> clip = np.arange(40).reshape(40, 1, 1, 1)
    >>> early_fraction_clip(clip, 0.25).shape
    (10, 1, 1, 1)
    >>> early_fraction_clip(clip, 0.5, frames=5)[:, 0, 0, 0].tolist()
    [2, 6, 10, 14, 18]
    """
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
        raise ValueError(
            f"Argument `fraction` must be a number in (0, 1], e.g. 0.25 or 0.5. "
            f"Received: fraction={fraction!r}"
        )
    clip = np.asarray(clip)
    if clip.ndim < 4:
        raise ValueError(
            "Argument `clip` must be (T, H, W, C) or (batch, T, H, W, C); received "
            f"an array of shape {clip.shape}."
        )
    total = clip.shape[time_axis]
    keep = max(1, int(round(fraction * total)))
    front = np.take(clip, np.arange(keep), axis=time_axis)
    if frames is None:
        return front
    # Imported here: the sampling module pulls in OpenCV, which the models do not need.
    from keras_stlstm.datasets.sampling import sample_indices

    return np.take(front, sample_indices(keep, frames), axis=time_axis)


def early_activity_targets(clip, labels):
    """The training targets of `EarlyActivityRecognizer` for a batch of early clips.

    Args:
        clip: (batch, T, H, W, C) float array, the model's input.
        labels: (batch,) integer class ids.

    Returns:
        dict {"label": labels, "frames": clip[:, 1:]}: the frame predicted after
        seen frame t is frame t + 1.

    Example:

    >>> import numpy as np
    >>> targets = early_activity_targets(np.zeros((2, 8, 16, 16, 3)), [0, 1])
    >>> targets["frames"].shape
    (2, 7, 16, 16, 3)
    """
    clip = np.asarray(clip)
    labels = np.asarray(labels)
    if clip.ndim != 5:
        raise ValueError(
            f"Argument `clip` must be (batch, T, H, W, C); received shape {clip.shape}."
        )
    if labels.shape != clip.shape[:1]:
        raise ValueError(
            f"Argument `labels` must hold one class id per clip, shape ({clip.shape[0]},); "
            f"received shape {labels.shape}."
        )
    return {"label": labels, "frames": clip[:, 1:]}
