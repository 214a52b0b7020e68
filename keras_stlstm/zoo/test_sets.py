"""The zoo's fixed test sets and the sample of them shipped with the package.

- Moving MNIST: `video_test_set` = 2,000 sequences (20 frames, 64x64) generated with
  `MOVING_MNIST_TEST_SEED` from the MNIST t10k digits 8000-9999 (the same images as
  ``keras.datasets.mnist``'s ``x_test[8000:]``); training uses digits 0-7999 only.
- Copy test: `copy_test_sequences` = 1,000 timelines (60 frames) generated with
  `COPY_TEST_SEED` from the same held-out digits.
- The shipped sample (`load_test_sample`): the first 32 sequences of the Moving
  MNIST test set and the first 16 of the copy test, uint8, in
  ``keras_stlstm/zoo/data/moving_mnist_test_sample.npz``, so the demo and the tests
  run without MNIST on disk.

MNIST (Yann LeCun, Corinna Cortes, Christopher J.C. Burges) is distributed under
CC BY-SA 3.0; the sample is derived from it under the same license.
"""

import pathlib

import numpy as np

from keras_stlstm.datasets.copy_test import copy_test_set
from keras_stlstm.datasets.mnist import load_digits, split_digits
from keras_stlstm.datasets.moving_mnist import moving_mnist_test_set

SAMPLE_PATH = pathlib.Path(__file__).resolve().parent / "data" / "moving_mnist_test_sample.npz"
VIDEO_TEST_SIZE = 2000
COPY_TEST_SIZE = 1000
SAMPLE_VIDEO_SIZE = 32
SAMPLE_COPY_SIZE = 16
MNIST_CREDIT = (
    "MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, "
    "licensed under CC BY-SA 3.0 (https://creativecommons.org/licenses/by-sa/3.0/)"
)


def held_out_digits(digits_source):
    """The held-out digits (t10k 8000-9999) of an IDX folder/file or ``"keras"``.

    Args:
        digits_source: what `keras_stlstm.datasets.load_digits` accepts: a folder
            holding ``t10k-images-idx3-ubyte[.gz]`` (e.g. ``../shared/data/mnist``),
            an IDX file, ``"keras"`` or the 10,000 t10k digits as an array.

    Returns:
        uint8 (2000, 28, 28).
    """
    return split_digits(load_digits(digits_source, "t10k"), "test")


def video_test_set(digits_source, num_sequences=VIDEO_TEST_SIZE, dtype="uint8"):
    """The Moving MNIST test set: (N, 20, 64, 64, 1), the first `num_sequences` of the 2,000.

    Example:
        >>> clips = video_test_set("../shared/data/mnist")  # doctest: +SKIP
    """
    return moving_mnist_test_set(held_out_digits(digits_source), num_sequences=num_sequences, dtype=dtype)


def copy_test_sequences(digits_source, num_sequences=COPY_TEST_SIZE, dtype="uint8"):
    """The copy-test set: (N, 60, 64, 64, 1) timelines, the first `num_sequences` of the 1,000.

    Split them with `keras_stlstm.datasets.split_copy_test`; the scored frames are
    Seq 2's future (`CopyTestLayout().seq2_target`).
    """
    return copy_test_set(held_out_digits(digits_source), num_sequences=num_sequences, dtype=dtype)


def load_test_sample():
    """The shipped sample: (video uint8 (32, 20, 64, 64, 1), copy test uint8 (16, 60, 64, 64, 1)).

    Exactly the first sequences of `video_test_set` and `copy_test_sequences`.
    """
    with np.load(SAMPLE_PATH) as sample:
        return sample["video"], sample["copy_test"]


def write_test_sample(digits_source, path=SAMPLE_PATH):
    """Regenerates the shipped sample from real MNIST digits (maintainers)."""
    path = pathlib.Path(path)
    tmp = path.with_name(f".{path.stem}.tmp.npz")
    np.savez_compressed(
        tmp,
        video=video_test_set(digits_source, SAMPLE_VIDEO_SIZE),
        copy_test=copy_test_sequences(digits_source, SAMPLE_COPY_SIZE),
        credit=np.array(MNIST_CREDIT),
    )
    tmp.replace(path)
    return path
