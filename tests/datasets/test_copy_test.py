"""The E3D copy test: timeline layout, prior context = Seq 2, masking, tf.data."""

import numpy as np
import pytest

from keras_stlstm.datasets.copy_test import (
    COPY_TEST_SEED,
    CopyTestLayout,
    copy_test_dataset,
    copy_test_set,
    generate_copy_test,
    split_copy_test,
)
from keras_stlstm.datasets.mnist import load_sample_digits
from keras_stlstm.datasets.moving_mnist import generate_moving_mnist

DIGITS = load_sample_digits("test")


def test_layout_indices():
    layout = CopyTestLayout()
    assert layout.length == 60
    assert (layout.prior, layout.seq1_input) == (slice(0, 20), slice(20, 30))
    assert layout.seq1_target == slice(30, 40)
    assert (layout.seq2_input, layout.seq2_target) == (slice(40, 50), slice(50, 60))
    assert layout.target_indices.tolist() == list(range(30, 40)) + list(range(50, 60))
    assert layout.target_mask.sum() == 20 and layout.eval_targets == slice(10, 20)
    short = CopyTestLayout(num_frames=8, context=3)
    assert short.length == 24 and short.target_indices.tolist() == [11, 12, 13, 14, 15, 19, 20, 21, 22, 23]
    with pytest.raises(ValueError, match="context"):
        CopyTestLayout(num_frames=10, context=10)


def test_prior_context_is_a_copy_of_seq2():
    frames = generate_copy_test(DIGITS, 4, seed=1, dtype="uint8")
    layout = CopyTestLayout()
    assert frames.shape == (4, 60, 64, 64, 1) and frames.dtype == np.uint8
    seq1 = frames[:, 20:40]
    seq2 = frames[:, 40:60]
    np.testing.assert_array_equal(frames[:, layout.prior], seq2)
    # The scored frames (Seq 2's future) were shown in the prior context.
    np.testing.assert_array_equal(frames[:, layout.seq2_target], frames[:, layout.prior][:, 10:])
    # Seq 1 is unrelated to Seq 2 and is itself a moving-digit sequence (changes every frame).
    assert all(not np.array_equal(seq1[i], seq2[i]) for i in range(4))
    assert (np.abs(np.diff(seq1.astype(int), axis=1)).reshape(4, 19, -1).max(axis=-1) > 0).all()
    # Seq 1 and Seq 2 come from streams different from plain Moving MNIST with the same seed.
    plain = generate_moving_mnist(DIGITS, 4, seed=1, dtype="uint8")
    assert not np.array_equal(plain, seq1) and not np.array_equal(plain, seq2)


def test_deterministic_and_independent_of_count():
    a = generate_copy_test(DIGITS, 3, seed=9)
    b = generate_copy_test(DIGITS, 5, seed=9)
    np.testing.assert_array_equal(a, b[:3])
    np.testing.assert_array_equal(generate_copy_test(DIGITS, 2, seed=9, start=3), b[3:])
    assert not np.array_equal(a, generate_copy_test(DIGITS, 3, seed=10))
    assert a.dtype == np.float32 and a.max() == 1.0 and a.min() == 0.0


def test_split_masks_targets():
    frames = generate_copy_test(DIGITS, 2, seed=2)
    inputs, targets = split_copy_test(frames)
    assert inputs.shape == frames.shape and targets.shape == (2, 20, 64, 64, 1)
    np.testing.assert_array_equal(targets[:, :10], frames[:, 30:40])
    np.testing.assert_array_equal(targets[:, CopyTestLayout().eval_targets], frames[:, 50:60])
    assert inputs[:, 30:40].max() == 0 and inputs[:, 50:60].max() == 0
    np.testing.assert_array_equal(inputs[:, :30], frames[:, :30])
    np.testing.assert_array_equal(inputs[:, 40:50], frames[:, 40:50])
    unmasked, _ = split_copy_test(frames, mask_targets=False)
    np.testing.assert_array_equal(unmasked, frames)
    with pytest.raises(ValueError, match="shape"):
        split_copy_test(frames[:, :50])


def test_dataset_matches_numpy_and_fixed_set():
    frames = generate_copy_test(DIGITS, 3, seed=4, num_frames=8, context=4, image_size=48)
    inputs, targets = split_copy_test(frames, CopyTestLayout(8, 4))
    ds = copy_test_dataset(DIGITS, batch_size=2, seed=4, num_sequences=3, num_frames=8, context=4,
                           image_size=48)
    batches = list(ds.as_numpy_iterator())
    np.testing.assert_array_equal(np.concatenate([x for x, _ in batches]), inputs)
    np.testing.assert_array_equal(np.concatenate([y for _, y in batches]), targets)
    fixed = copy_test_set(DIGITS, num_sequences=2, dtype="uint8")
    np.testing.assert_array_equal(fixed, generate_copy_test(DIGITS, 2, COPY_TEST_SEED, dtype="uint8"))
