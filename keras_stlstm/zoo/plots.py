"""Pictures drawn with OpenCV (matplotlib is not a dependency): per-frame MSE curves, confusion matrices."""

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


# Confusion matrix layout (pixels): grid origin and the colour bar beside it.
CONFUSION_LEFT, CONFUSION_TOP = 60, 60
_EMPTY_ROW = (225, 225, 225)  # BGR grey: a true class without test clips
_FULL = np.array([110, 40, 8], np.float64)  # BGR dark blue: fraction 1.0


def confusion_color(fraction):
    """BGR colour of a row-normalised fraction in [0, 1]: white (0) to dark blue (1)."""
    fraction = float(np.clip(fraction, 0.0, 1.0))
    return tuple(int(round(255 - fraction * (255 - c))) for c in _FULL)


def row_normalized(confusion):
    """Each row of a confusion matrix divided by its sum (NaN rows where the sum is 0)."""
    confusion = np.asarray(confusion, np.float64)
    totals = confusion.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, confusion / np.maximum(totals, 1), np.nan)


def confusion_matrix_image(confusion, title="Confusion matrix", class_names=None, cell=16):
    """A BGR uint8 picture of a row-normalised confusion matrix.

    Row i, column j shows the fraction of clips of true class i predicted as j,
    from white (0) to dark blue (1); rows of classes without clips are grey.
    Class indices label both axes; a colour bar and, if `class_names` are given,
    an "index: name" key are drawn on the right.

    Args:
        confusion: (K, K) counts, row = true class, column = predicted class.
        title: drawn at the top.
        class_names: K names for the key (None: no key).
        cell: side of one matrix cell in pixels.

    Returns:
        uint8 (height, width, 3). Cell (i, j) covers rows CONFUSION_TOP + i·cell
        .. + cell - 1 and columns CONFUSION_LEFT + j·cell .. + cell - 1.
    """
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1] or not confusion.shape[0]:
        raise ValueError(f"`confusion` must be a square (K, K) matrix of counts; got shape {confusion.shape}.")
    k = confusion.shape[0]
    if class_names is not None and len(class_names) != k:
        raise ValueError(f"`class_names` must hold {k} names, one per class; got {len(class_names)}.")
    fractions = row_normalized(confusion)
    grid = k * cell
    bar_left = CONFUSION_LEFT + grid + 20
    key_left = bar_left + 60
    width = key_left + (230 if class_names is not None else 0)
    key_height = 14 * k + 10 if class_names is not None else 0
    height = CONFUSION_TOP + max(grid, key_height) + 55
    image = np.full((height, width, 3), 255, np.uint8)
    black, font_scale = (0, 0, 0), 0.33 if cell < 20 else 0.4
    for i in range(k):
        for j in range(k):
            value = fractions[i, j]
            color = _EMPTY_ROW if np.isnan(value) else confusion_color(value)
            top, left = CONFUSION_TOP + i * cell, CONFUSION_LEFT + j * cell
            cv2.rectangle(image, (left, top), (left + cell - 1, top + cell - 1), color, -1)
    cv2.rectangle(image, (CONFUSION_LEFT - 1, CONFUSION_TOP - 1), (CONFUSION_LEFT + grid, CONFUSION_TOP + grid),
                  black, 1)
    for i in range(k):  # class indices on both axes
        centre = i * cell + cell // 2
        cv2.putText(image, str(i), (CONFUSION_LEFT - 22, CONFUSION_TOP + centre + 4), _FONT, font_scale, black, 1,
                    cv2.LINE_AA)
        cv2.putText(image, str(i), (CONFUSION_LEFT + centre - 6, CONFUSION_TOP + grid + 14), _FONT, font_scale,
                    black, 1, cv2.LINE_AA)
    cv2.putText(image, title, (10, 22), _FONT, 0.55, black, 1, cv2.LINE_AA)
    subtitle = "rows: true class, columns: predicted class, each row sums to 1"
    if np.isnan(fractions).any():
        subtitle += "; grey: no test clips"
    cv2.putText(image, subtitle, (10, 44), _FONT, 0.4, black, 1, cv2.LINE_AA)
    cv2.putText(image, "predicted class", (CONFUSION_LEFT + grid // 2 - 50, CONFUSION_TOP + grid + 36), _FONT,
                0.45, black, 1, cv2.LINE_AA)
    label = np.full((18, 80, 3), 255, np.uint8)  # "true class", rotated onto the left margin
    cv2.putText(label, "true class", (2, 13), _FONT, 0.45, black, 1, cv2.LINE_AA)
    label = cv2.rotate(label, cv2.ROTATE_90_COUNTERCLOCKWISE)
    top = CONFUSION_TOP + max(0, grid // 2 - 40)
    if top + label.shape[0] <= height:
        image[top:top + label.shape[0], 4:4 + label.shape[1]] = label
    for y in range(grid):  # colour bar: 1 at the top, 0 at the bottom
        cv2.line(image, (bar_left, CONFUSION_TOP + y), (bar_left + 16, CONFUSION_TOP + y),
                 confusion_color(1 - y / max(grid - 1, 1)), 1)
    cv2.rectangle(image, (bar_left - 1, CONFUSION_TOP - 1), (bar_left + 17, CONFUSION_TOP + grid), black, 1)
    for value, y in ((1.0, CONFUSION_TOP + 4), (0.5, CONFUSION_TOP + grid // 2 + 4), (0.0, CONFUSION_TOP + grid)):
        cv2.putText(image, f"{value:g}", (bar_left + 22, y), _FONT, 0.38, black, 1, cv2.LINE_AA)
    for i, name in enumerate(class_names or ()):  # key: index -> class name
        cv2.putText(image, f"{i:>2}: {name}"[:34], (key_left, CONFUSION_TOP + 10 + 14 * i), _FONT, 0.36, black, 1,
                    cv2.LINE_AA)
    return image


def write_confusion_matrix(path, confusion, title="Confusion matrix", class_names=None, cell=16):
    """Writes `confusion_matrix_image(...)` as a PNG (atomically); returns the path."""
    image = confusion_matrix_image(confusion, title, class_names, cell)
    with _atomic_output(path) as tmp:
        if not cv2.imwrite(tmp, image):
            raise OSError(f"{path}: OpenCV could not write the image (unsupported extension?)")
    return path
