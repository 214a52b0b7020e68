"""Per-frame MSE curves drawn with OpenCV (matplotlib is not a dependency)."""

import cv2
import numpy as np

from keras_stlstm.datasets.video_io import _atomic_output

# BGR colours, one per line, cycled.
COLORS = [(180, 119, 31), (14, 127, 255), (44, 160, 44), (40, 39, 214), (189, 103, 148), (75, 86, 140)]
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _nice_step(span, ticks=5):
    raw = span / ticks
    magnitude = 10 ** np.floor(np.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def mse_curve_image(curves, title="Per-frame MSE", size=(640, 400)):
    """A BGR uint8 image: one line per model, MSE against the future frame index.

    Args:
        curves: {label: per-frame MSE values (T,)}.
        title: drawn at the top.
        size: (width, height) in pixels.

    Returns:
        uint8 (height, width, 3).
    """
    if not curves:
        raise ValueError("`curves` must hold at least one {label: values} entry.")
    width, height = size
    left, right, top, bottom = 70, 160, 40, 50
    image = np.full((height, width, 3), 255, np.uint8)
    values = {k: np.asarray(v, np.float64) for k, v in curves.items()}
    frames = max(len(v) for v in values.values())
    step = _nice_step(max(float(max(v.max() for v in values.values())), 1e-6))
    y_max = step * np.ceil(max(v.max() for v in values.values()) / step)

    def to_px(i, value):
        x = left + (i / max(frames - 1, 1)) * (width - left - right)
        y = height - bottom - (value / y_max) * (height - top - bottom)
        return int(round(x)), int(round(y))

    cv2.rectangle(image, (left, top), (width - right, height - bottom), (0, 0, 0), 1)
    for tick in np.arange(0.0, y_max + step / 2, step):  # y ticks and grid
        _, y = to_px(0, tick)
        cv2.line(image, (left - 4, y), (width - right, y), (225, 225, 225) if tick else (0, 0, 0), 1)
        cv2.putText(image, f"{tick:g}", (5, y + 4), _FONT, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    for i in range(frames):  # x ticks: future frame numbers from 1
        x, y = to_px(i, 0.0)
        cv2.line(image, (x, y), (x, y + 4), (0, 0, 0), 1)
        cv2.putText(image, str(i + 1), (x - 4, y + 18), _FONT, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(image, "future frame", (left + (width - left - right) // 2 - 40, height - 10), _FONT, 0.45,
                (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(image, title, (left, 25), _FONT, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(image, "MSE", (width - right - 30, top - 6), _FONT, 0.45, (0, 0, 0), 1, cv2.LINE_AA)  # y-axis label
    for k, (label, v) in enumerate(values.items()):
        color = COLORS[k % len(COLORS)]
        points = np.array([to_px(i, value) for i, value in enumerate(v)], np.int32)
        cv2.polylines(image, [points], False, color, 2, cv2.LINE_AA)
        for point in points:
            cv2.circle(image, tuple(int(c) for c in point), 3, color, -1, cv2.LINE_AA)
        legend_y = top + 15 + 20 * k
        cv2.line(image, (width - right + 10, legend_y - 4), (width - right + 30, legend_y - 4), color, 2)
        cv2.putText(image, label[:18], (width - right + 35, legend_y), _FONT, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return image


def write_mse_curve(path, curves, title="Per-frame MSE", size=(640, 400)):
    """Writes `mse_curve_image(...)` as a PNG (atomically); returns the path."""
    image = mse_curve_image(curves, title, size)
    with _atomic_output(path) as tmp:
        if not cv2.imwrite(tmp, image):
            raise OSError(f"{path}: OpenCV could not write the image (unsupported extension?)")
    return path
