"""Checks of the frames that enter the package (readers, predict, classify, the CLI).

Models take float32 frames in [0, 1]. `check_frames` turns what a user may
reasonably pass into that, and refuses the rest with a one-line error that says
what was found and what is expected:

- uint8 frames (video pixels, 0-255) are rescaled explicitly: divided by 255
  to float32 [0, 1];
- float frames must be finite and lie in [0, 1] (0-255 floats are refused
  rather than guessed at: divide them by 255, or pass uint8);
- other dtypes (bool, other integers, strings, objects) and empty arrays are
  refused.

Example:

>>> import numpy as np
>>> check_frames(np.array([[0, 255]], np.uint8), "clip").tolist()
[[0.0, 1.0]]
>>> check_frames(np.array([0.5, np.nan]), "clip")
Traceback (most recent call last):
...
ValueError: `clip` holds 1 non-finite value (NaN or inf), the first at index (1,); expected finite frames (float32 in [0, 1], or uint8 0-255).
"""

import numpy as np

EXPECTED = "float32 in [0, 1], or uint8 0-255"
# Slack for values computed in float32 (e.g. a model's sigmoid output fed back).
_TOLERANCE = 1e-6


def check_frames(frames, name, value_range=(0.0, 1.0)):
    """`frames` as a float32 array, checked; uint8 is rescaled to [0, 1].

    Args:
        frames: an array-like of pixel values.
        name: how the error message names it (an argument or a file).
        value_range: (low, high) the float values must lie in, or None for any
            finite values (data in its own units, e.g. TaxiBJ flows); integers
            are then converted to float32 without rescaling.

    Returns:
        A float32 NumPy array of the same shape.

    Raises:
        ValueError: empty, a dtype other than float or uint8, non-finite
            values, or values outside `value_range`.
    """
    array = np.asarray(frames)
    if array.size == 0:
        raise ValueError(f"`{name}` is empty (shape {array.shape}); expected frames ({EXPECTED}).")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / np.float32(255.0) if value_range else array.astype(np.float32)
    if value_range is None and np.issubdtype(array.dtype, np.integer):
        return array.astype(np.float32)  # counts in their own units
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"`{name}` has dtype {array.dtype}; expected frames ({EXPECTED}).")
    array = array.astype(np.float32, copy=False)
    bad = ~np.isfinite(array)
    if bad.any():
        count = int(bad.sum())
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"`{name}` holds {count} non-finite value{'s' if count > 1 else ''} (NaN or inf), the first at "
            f"index {first}; expected finite frames ({EXPECTED})."
        )
    if value_range is not None:
        low, high = float(array.min()), float(array.max())
        if low < value_range[0] - _TOLERANCE or high > value_range[1] + _TOLERANCE:
            raise ValueError(
                f"`{name}` has values in [{low:g}, {high:g}]; expected frames ({EXPECTED}). Divide 0-255 "
                "values by 255 (or pass them as uint8)."
            )
    return array
