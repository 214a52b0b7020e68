"""Row labels beside a comparison strip: a column of text, the frames untouched."""

import numpy as np
import pytest

from keras_stlstm.datasets.strip_labels import COMPARISON_ROW_LABELS, add_row_labels
from keras_stlstm.datasets.video_io import comparison_strip


def test_labels_make_a_column_left_of_the_untouched_rows():
    context, truth, pred = (np.full((n, 16, 16, 1), v, np.uint8) for n, v in ((3, 50), (2, 100), (2, 150)))
    strip = comparison_strip(context, truth, pred, gap=2, fill=255)
    labelled = add_row_labels(strip, COMPARISON_ROW_LABELS, gap=2, fill=255)
    width = labelled.shape[1] - strip.shape[1]
    assert labelled.shape[0] == strip.shape[0] and width > 20
    np.testing.assert_array_equal(labelled[:, width:], strip)
    for r in range(3):  # ink in each row's band, none in the gaps between rows
        assert labelled[r * 18:r * 18 + 16, :width].min() < 128
        if r:
            assert labelled[r * 18 - 2:r * 18, :width].min() == 255
    # A longer label makes a wider column.
    wider = add_row_labels(strip, ("context", "truth", "a much longer prediction"), gap=2)
    assert wider.shape[1] > labelled.shape[1]


def test_a_strip_that_does_not_split_into_the_rows_is_refused():
    with pytest.raises(ValueError, match="does not hold 3 rows with gaps of 2 pixels"):
        add_row_labels(np.zeros((51, 10, 3), np.uint8), COMPARISON_ROW_LABELS, gap=2)
