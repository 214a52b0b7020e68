"""Row labels ("context", "truth", "prediction") to the left of a comparison strip."""

import cv2
import numpy as np

# The rows of `video_io.comparison_strip`, top to bottom.
COMPARISON_ROW_LABELS = ("context", "truth", "prediction")


def add_row_labels(strip, labels, gap=2, fill=255, ink=0):
    """`strip` with a column on its left naming each of its rows.

    Args:
        strip: uint8 (rows·H + (rows − 1)·gap, W, C) image of equal-height rows.
        labels: one text per row, top to bottom.
        gap: pixels between the rows (as the strip was made with).
        fill, ink: uint8 values of the column's background and of the text.

    Returns:
        uint8 (same height, label width + W, C).

    Raises:
        ValueError: the strip's height does not split into len(labels) rows.
    """
    rows = len(labels)
    row_height, remainder = divmod(strip.shape[0] - (rows - 1) * gap, rows)
    if remainder or row_height < 1:
        raise ValueError(f"A strip of height {strip.shape[0]} does not hold {rows} rows with gaps of {gap} pixels.")
    font, thickness = cv2.FONT_HERSHEY_SIMPLEX, 1
    # Text at most 12 pixels tall, smaller for small frames, so each label stays inside its row.
    scale = min(0.4, max(0.25, row_height / 40))
    sizes = [cv2.getTextSize(text, font, scale, thickness)[0] for text in labels]
    column = np.full((strip.shape[0], max(w for w, _ in sizes) + 8, strip.shape[2]), fill, np.uint8)
    for i, (text, (_, text_height)) in enumerate(zip(labels, sizes)):
        baseline_y = i * (row_height + gap) + (row_height + text_height) // 2
        cv2.putText(column, text, (4, baseline_y), font, scale, (ink,) * strip.shape[2], thickness, cv2.LINE_AA)
    return np.concatenate([column, strip], axis=1)
