"""The zoo's fixed test sets and the sample of them shipped with the package.

- Moving MNIST: `video_test_set` = 2,000 sequences (20 frames, 64x64) generated with
  `MOVING_MNIST_TEST_SEED` from the MNIST t10k digits 8000-9999 (the same images as
  ``keras.datasets.mnist``'s ``x_test[8000:]``); training uses digits 0-7999 only.
- Srivastava-law Moving MNIST (`write_srivastava_test_set`): 10,000 sequences drawn
  with Srivastava et al.'s published motion law (`trajectory="srivastava"`) from the
  same held-out digits with `SRIVASTAVA_TEST_SEED`, written in the standard
  ``mnist_test_seq.npy`` layout; `speed` (px/frame, 3.6 standard) gives the
  robustness sets (2.5 and 5 px/frame).
- Copy test: `copy_test_sequences` = 1,000 timelines (60 frames) generated with
  `COPY_TEST_SEED` from the same held-out digits.
- The shipped sample (`load_test_sample`): the first 32 sequences of the Moving
  MNIST test set and the first 16 of the copy test, uint8, in
  ``keras_stlstm/zoo/data/moving_mnist_test_sample.npz``, so the demo and the tests
  run without MNIST on disk.
- Gestures: `gesture_test_set` = 2,000 synthetic gesture clips
  (`keras_stlstm.datasets.synthetic_gestures`, seed `GESTURE_TEST_SEED`, split
  "test"), rendered at the evaluated model's frame count and size. The render seeds
  of split "test" lie in [2^31, 2^31 + 2^30), disjoint from those of "train" and
  "validation" (`SPLIT_SEED_RANGES`), so no test clip, nor its time-reversed twin,
  is ever seen in training. Early recognizers get the same clips at
  `EARLY_TEST_FRAMES` (16) frames, of which they see the front.

MNIST (Yann LeCun, Corinna Cortes, Christopher J.C. Burges) is distributed under
CC BY-SA 3.0; the sample is derived from it under the same license.
"""

import pathlib

import numpy as np

from keras_stlstm.datasets.copy_test import copy_test_set
from keras_stlstm.datasets.mnist import load_digits, split_digits
from keras_stlstm.datasets.moving_mnist import generate_moving_mnist, moving_mnist_test_set
from keras_stlstm.datasets.moving_mnist_files import npy_file_writer

GESTURE_TEST_SIZE = 2000
GESTURE_TEST_SEED = 0
EARLY_TEST_FRAMES = 16
SAMPLE_PATH = pathlib.Path(__file__).resolve().parent / "data" / "moving_mnist_test_sample.npz"
VIDEO_TEST_SIZE = 2000
SRIVASTAVA_TEST_SIZE = 10000
SRIVASTAVA_TEST_SEED = 2016
STANDARD_SPEED = 3.6  # px/frame: step 0.1 of the 64 - 28 = 36 px travel
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


def write_srivastava_test_set(path, digits_source, num_sequences=SRIVASTAVA_TEST_SIZE, speed=STANDARD_SPEED,
                              seed=SRIVASTAVA_TEST_SEED, num_frames=20, batch_size=500):
    """Writes a fixed Srivastava-law Moving MNIST test set as a standard ``.npy`` file.

    Sequence i is `generate_moving_mnist(held-out digits, ..., seed, trajectory="srivastava")`'s
    sequence i at `speed` px/frame, whatever `num_sequences` is, so a smaller file
    is a prefix of the full one. The digits are t10k 8000-9999, never seen in
    training. Generated `batch_size` sequences at a time into the file, so the
    10,000 sequences (820 MB) never sit in memory; the file appears only once complete.

    Args:
        path: the .npy file (uint8 (num_frames, N, 64, 64), time first).
        digits_source: an IDX folder/file, ``"keras"`` or the t10k digits (see `held_out_digits`).
        num_sequences: 10,000 by default, as the standard file.
        speed: digit speed in pixels per frame (3.6 standard; 2.5 and 5 for robustness).
        seed: `SRIVASTAVA_TEST_SEED`; keep it to compare numbers.
        num_frames: frames per sequence (20 = 10 given + 10 predicted).
        batch_size: sequences generated per step.

    Returns:
        The path. Read it with `keras_stlstm.datasets.load_moving_mnist_npy` or
        ``keras-stlstm evaluate NAME --data PATH``.
    """
    digits = held_out_digits(digits_source)
    travel = 64 - digits.shape[1]
    if not speed > 0 or speed > travel:
        raise ValueError(f"`speed` must be in (0, {travel}] pixels per frame; got {speed!r}.")
    with npy_file_writer(path, int(num_sequences), num_frames, 64, 64) as out:
        for start in range(0, int(num_sequences), batch_size):
            count = min(batch_size, int(num_sequences) - start)
            video = generate_moving_mnist(digits, count, seed, start=start, num_frames=num_frames,
                                          step_length=speed / travel, dtype="uint8", trajectory="srivastava")
            out[:, start:start + count] = np.moveaxis(video[..., 0], 0, 1)
    return pathlib.Path(path)


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


def gesture_test_set(num_clips=GESTURE_TEST_SIZE, num_frames=8, image_size=32, dtype="uint8"):
    """The fixed gesture test set: the first `num_clips` of the 2,000 held-out synthetic clips.

    Clip i is `synthetic_gestures(..., seed=GESTURE_TEST_SEED, split="test")`'s clip i,
    whatever `num_clips` is, so a shorter run scores a prefix of the full set. Labels
    are balanced over the 27 Jester classes in every block of 27 clips. The "test"
    split's render seeds are disjoint from the "train" and "validation" ones by
    construction (`keras_stlstm.datasets.synthetic_gestures.SPLIT_SEED_RANGES`).

    Args:
        num_clips: how many clips (1 to 2,000).
        num_frames: frames per clip, the model's frame count (`EARLY_TEST_FRAMES`
            for early recognizers, which see a front fraction of each clip).
        image_size: side of the square frames, the model's.
        dtype: "uint8" (0-255, compact) or "float32" (in [0, 1]).

    Returns:
        (clips (N, num_frames, image_size, image_size, 3), labels (N,) int32 Jester ids).

    Raises:
        ValueError: `num_clips` outside 1 .. 2,000.

    Example:

    >>> clips, labels = gesture_test_set(27, num_frames=4, image_size=16)
    >>> clips.shape, sorted(labels.tolist()) == list(range(27))
    ((27, 4, 16, 16, 3), True)
    """
    from keras_stlstm.datasets.synthetic_gestures import synthetic_gestures

    if isinstance(num_clips, bool) or not isinstance(num_clips, (int, np.integer)) or not (
            1 <= num_clips <= GESTURE_TEST_SIZE):
        raise ValueError(f"`num_clips` must be an int in [1, {GESTURE_TEST_SIZE}]; got {num_clips!r}.")
    return synthetic_gestures(int(num_clips), seed=GESTURE_TEST_SEED, split="test", num_frames=num_frames,
                              image_size=image_size, dtype=dtype)
