"""The E3D-LSTM copy test (Wang et al., ICLR 2019, section 4.1): long-range memory.

Two unrelated Moving MNIST sequences, Seq 1 and Seq 2 (each `num_frames` = 20 frames,
`context` = 10 given + 10 to predict), are laid out on one timeline of
``3 * num_frames`` frames (60 by default):

===========  ===========  =============================================  =========
frames       name         content                                        role
===========  ===========  =============================================  =========
0 .. 19      prior        a full copy of Seq 2 (all 20 frames)           input
20 .. 29     seq1_input   Seq 1, frames 0-9                              input
30 .. 39     seq1_target  Seq 1, frames 10-19                            target (training loss only)
40 .. 49     seq2_input   Seq 2, frames 0-9                              input
50 .. 59     seq2_target  Seq 2, frames 10-19 (== frames 10-19 of prior) target (the reported metric)
===========  ===========  =============================================  =========

A model that remembers the prior context across Seq 1 can copy Seq 2's future from it;
the reported MSE/SSIM are taken on ``seq2_target`` only, while training also predicts
Seq 1's future. `CopyTestLayout` holds these index ranges for other sizes.

Determinism: example ``i`` of seed ``s`` draws Seq 1 from ``SeedSequence(s,
spawn_key=(1, i))`` and Seq 2 from ``(2, i)`` (streams distinct from plain Moving MNIST
with the same seed), independent of how many examples are generated.

Fixed test set: `copy_test_set` = 1,000 examples from the held-out digits (t10k
indices 8000-9999) with seed `COPY_TEST_SEED`.
"""

import dataclasses

import numpy as np

from keras_stlstm.datasets.mnist import as_digit_array
from keras_stlstm.datasets.moving_mnist import (
    check_sizes,
    check_dtype,
    numpy_batch_dataset,
    render,
    to_dtype,
    trajectories,
)

COPY_TEST_SEED = 2019
_SEQ1_STREAM = (1,)
_SEQ2_STREAM = (2,)


@dataclasses.dataclass(frozen=True)
class CopyTestLayout:
    """Frame index ranges of the copy-test timeline (see the module docstring).

    Args:
        num_frames: frames of each of Seq 1 and Seq 2 (20).
        context: given frames of each (10); the rest are predicted.
    """

    num_frames: int = 20
    context: int = 10

    def __post_init__(self):
        if not 0 < self.context < self.num_frames:
            raise ValueError(
                f"`context` must be in [1, num_frames - 1] = [1, {self.num_frames - 1}], got {self.context!r}"
            )

    @property
    def length(self):
        """Total timeline length, 3 * num_frames."""
        return 3 * self.num_frames

    @property
    def prior(self):
        return slice(0, self.num_frames)

    @property
    def seq1_input(self):
        return slice(self.num_frames, self.num_frames + self.context)

    @property
    def seq1_target(self):
        return slice(self.num_frames + self.context, 2 * self.num_frames)

    @property
    def seq2_input(self):
        return slice(2 * self.num_frames, 2 * self.num_frames + self.context)

    @property
    def seq2_target(self):
        return slice(2 * self.num_frames + self.context, 3 * self.num_frames)

    @property
    def target_indices(self):
        """Timeline indices of the predicted frames: Seq 1's future, then Seq 2's future."""
        return np.r_[self.seq1_target, self.seq2_target]

    @property
    def target_mask(self):
        """Boolean (length,): True where the frame is to be predicted."""
        mask = np.zeros(self.length, bool)
        mask[self.target_indices] = True
        return mask

    @property
    def eval_targets(self):
        """Slice of the `target_indices` axis that is scored (Seq 2's future)."""
        future = self.num_frames - self.context
        return slice(future, 2 * future)


def generate_copy_test(digits, num_sequences, seed, *, start=0, num_frames=20, context=10,
                       num_digits=2, image_size=64, step_length=0.1, dtype="float32"):
    """Copy-test timelines: (N, 3 * num_frames, image_size, image_size, 1).

    Args:
        digits: digit pool ((P, 28, 28) uint8 or float in [0, 1]).
        num_sequences: number of examples N.
        seed: int seed; example i depends only on (seed, i) and the other arguments.
        start: index of the first example.
        num_frames, context: length of Seq 1 / Seq 2 and how many of their frames are
            given (layout in the module docstring, `CopyTestLayout(num_frames, context)`).
        num_digits, image_size, step_length: Moving MNIST settings of both sequences.
        dtype: ``"float32"`` (values in [0, 1]) or ``"uint8"``.

    Returns:
        The full timelines, ground truth at every position (inputs and targets).

    Example:
        >>> frames = generate_copy_test(load_sample_digits("test"), 4, seed=0)
        >>> layout = CopyTestLayout()
        >>> np.array_equal(frames[:, layout.prior][:, 10:], frames[:, layout.seq2_target])
        True
    """
    digits = as_digit_array(digits)
    check_dtype(dtype)
    check_sizes(digits, num_frames, num_digits, image_size)
    CopyTestLayout(num_frames, context)  # validates context
    settings = dict(start=int(start), num_frames=num_frames, num_digits=num_digits, pool_size=len(digits),
                    travel=image_size - max(digits.shape[1:]), step_length=step_length,
                    trajectory="reflect")  # the law the copy-test scores on the cards were measured with
    seq1, seq2 = (
        render(digits, *trajectories(int(num_sequences), seed, stream=stream, **settings), image_size)
        for stream in (_SEQ1_STREAM, _SEQ2_STREAM)
    )
    # prior (Seq 2), Seq 1, Seq 2.
    timeline = np.concatenate([seq2, seq1, seq2], axis=1)[..., None]
    return to_dtype(timeline, dtype)


def split_copy_test(frames, layout=None, mask_targets=True):
    """Splits timelines into model inputs and the frames to predict.

    Args:
        frames: (N, 3 * T, H, W, C) from `generate_copy_test`.
        layout: the `CopyTestLayout` (default 20 frames, context 10).
        mask_targets: zero the target positions in the inputs, so a model that reads
            the whole timeline cannot see what it must predict (teacher forcing and
            scheduled sampling can take the true frames from the targets).

    Returns:
        (inputs (N, 3T, H, W, C), targets (N, 2 * (T - context), H, W, C)); the targets
        are Seq 1's future then Seq 2's future, ``targets[:, layout.eval_targets]`` is
        what the copy test scores.
    """
    layout = layout or CopyTestLayout()
    if frames.ndim != 5 or frames.shape[1] != layout.length:
        raise ValueError(
            f"`frames` must have shape (N, {layout.length}, H, W, C) for {layout}, got {frames.shape}"
        )
    targets = frames[:, layout.target_indices]
    inputs = frames
    if mask_targets:
        inputs = frames.copy()
        inputs[:, layout.target_indices] = 0
    return inputs, targets


def copy_test_set(digits_test, num_sequences=1000, seed=COPY_TEST_SEED, **kwargs):
    """The project's fixed copy-test set: `generate_copy_test` on the held-out digits.

    Args:
        digits_test: t10k digits 8000-9999 (``split_digits(load_digits(...), "test")``).
        num_sequences: 1,000 by default.
        seed: `COPY_TEST_SEED` (2019).
        **kwargs: passed to `generate_copy_test`.

    Returns:
        (num_sequences, 60, 64, 64, 1) float32 in [0, 1] by default.
    """
    return generate_copy_test(digits_test, num_sequences, seed, **kwargs)


def copy_test_dataset(digits, batch_size=4, seed=0, *, num_sequences=None, num_frames=20, context=10,
                      num_digits=2, image_size=64, step_length=0.1, dtype="float32", mask_targets=True,
                      drop_remainder=False, num_parallel_calls=None):
    """tf.data.Dataset of copy-test batches ``(inputs, targets)`` generated on the fly.

    Batch j is `split_copy_test` of `generate_copy_test(digits, ..., seed,
    start=j * batch_size)`.

    Args:
        digits: digit pool (train split for training).
        batch_size: examples per batch.
        seed: int seed.
        num_sequences: total examples (None: endless).
        mask_targets: see `split_copy_test`.
        num_frames, context, num_digits, image_size, step_length, dtype: see
            `generate_copy_test`.
        drop_remainder, num_parallel_calls: as in `moving_mnist_dataset`.

    Returns:
        Dataset of (inputs (B, 3T, H, W, 1), targets (B, 2(T - context), H, W, 1)).
    """
    digits = as_digit_array(digits)
    check_dtype(dtype)
    check_sizes(digits, num_frames, num_digits, image_size)
    layout = CopyTestLayout(num_frames, context)

    def make_batch(first, count):
        return generate_copy_test(
            digits, count, seed, start=first, num_frames=num_frames, context=context, num_digits=num_digits,
            image_size=image_size, step_length=step_length, dtype=dtype,
        )

    shape = (None, layout.length, image_size, image_size, 1)
    ds = numpy_batch_dataset(make_batch, num_sequences, batch_size, drop_remainder, shape, dtype,
                             num_parallel_calls)
    target_indices = layout.target_indices
    target_mask = layout.target_mask[None, :, None, None, None]

    def split(frames):
        import tensorflow as tf

        targets = tf.gather(frames, target_indices, axis=1)
        inputs = tf.where(target_mask, tf.zeros_like(frames), frames) if mask_targets else frames
        return inputs, targets

    return ds.map(split)
