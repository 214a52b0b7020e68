"""Moving MNIST generation: determinism, bouncing physics, pixel-max overlap, split, tf.data."""

import numpy as np
import pytest

from keras_stlstm.datasets.mnist import load_sample_digits
from keras_stlstm.datasets.moving_mnist import (
    MOVING_MNIST_TEST_SEED,
    generate_moving_mnist,
    moving_mnist_dataset,
    moving_mnist_test_set,
)

TRAIN = load_sample_digits("train")
TEST = load_sample_digits("test")


def test_same_seed_same_sequences_and_independent_of_count():
    a = generate_moving_mnist(TRAIN, 6, seed=3, dtype="uint8")
    b = generate_moving_mnist(TRAIN, 10, seed=3, dtype="uint8")
    np.testing.assert_array_equal(a, b[:6])
    np.testing.assert_array_equal(generate_moving_mnist(TRAIN, 4, seed=3, start=6, dtype="uint8"), b[6:])
    c = generate_moving_mnist(TRAIN, 6, seed=4, dtype="uint8")
    assert all(not np.array_equal(a[i], c[i]) for i in range(6))
    assert not np.array_equal(a[0], a[1])


def test_dtype_range_and_shape():
    as_float = generate_moving_mnist(TRAIN, 3, seed=0)
    as_uint8 = generate_moving_mnist(TRAIN, 3, seed=0, dtype="uint8")
    assert as_float.shape == as_uint8.shape == (3, 20, 64, 64, 1)
    assert as_float.dtype == np.float32 and as_uint8.dtype == np.uint8
    assert as_float.min() == 0.0 and as_float.max() == 1.0
    np.testing.assert_allclose(as_float, as_uint8 / 255.0, atol=1e-7)
    # The background is black: most pixels are exactly zero.
    assert (as_uint8 == 0).mean() > 0.6
    small = generate_moving_mnist(TRAIN, 2, seed=0, num_frames=7, num_digits=3, image_size=40)
    assert small.shape == (2, 7, 40, 40, 1)
    with pytest.raises(ValueError, match="image_size"):
        generate_moving_mnist(TRAIN, 1, seed=0, image_size=20)
    with pytest.raises(ValueError, match="dtype"):
        generate_moving_mnist(TRAIN, 1, seed=0, dtype="float64")


def _paste_reference(digits, info, image_size):
    """Naive per-frame rendering: paste every digit with np.maximum."""
    index, positions = info["digit_index"], info["positions"]
    n, t, k, _ = positions.shape
    out = np.zeros((n, t, image_size, image_size), np.uint8)
    for i in range(n):
        for j in range(t):
            for d in range(k):
                y, x = positions[i, j, d]
                window = out[i, j, y:y + 28, x:x + 28]
                np.maximum(window, digits[index[i, d]], out=window)
    return out


def test_frames_are_pixel_max_of_the_digits():
    frames, info = generate_moving_mnist(TRAIN, 5, seed=1, num_digits=3, dtype="uint8", return_info=True)
    np.testing.assert_array_equal(frames[..., 0], _paste_reference(TRAIN, info, 64))


def test_digit_stays_inside_and_bounces():
    frames, info = generate_moving_mnist(TRAIN, 12, seed=5, num_digits=1, num_frames=40, dtype="uint8",
                                         return_info=True)
    travel, speed = 64 - 28, 0.1 * 36
    bounces = 0
    for seq, idx in zip(frames[..., 0], info["digit_index"][:, 0]):
        digit = TRAIN[idx]
        # The whole digit is visible in every frame (never clipped by the border).
        assert (seq.reshape(40, -1).sum(axis=1) == int(digit.sum())).all()
        # Track the digit's bounding box in the frames.
        rows, cols = np.nonzero(digit)
        left = np.array([np.nonzero(f.any(axis=0))[0][0] for f in seq]) - cols.min()
        top = np.array([np.nonzero(f.any(axis=1))[0][0] for f in seq]) - rows.min()
        for pos in (left, top):
            assert pos.min() >= 0 and pos.max() <= travel
            step = np.diff(pos)
            assert np.abs(step).max() <= np.ceil(speed) + 1  # constant speed
            moving = np.nonzero(step)[0]
            for a, b in zip(moving[:-1], moving[1:]):
                if np.sign(step[a]) != np.sign(step[b]):  # a bounce: only next to a border
                    bounces += 1
                    turn = pos[b]
                    assert turn <= speed + 1 or turn >= travel - speed - 1, (pos, turn)
    # 40 frames at 3.6 px per frame cross the 36-px range several times.
    assert bounces >= 12


def test_train_and_test_use_disjoint_digit_images():
    train_set = {d.tobytes() for d in TRAIN}
    frames, info = generate_moving_mnist(TEST, 8, seed=0, num_digits=1, dtype="uint8", return_info=True)
    for seq, idx, pos in zip(frames[..., 0], info["digit_index"][:, 0], info["positions"][:, 0, 0]):
        crop = seq[0, pos[0]:pos[0] + 28, pos[1]:pos[1] + 28]
        np.testing.assert_array_equal(crop, TEST[idx])
        assert crop.tobytes() not in train_set
    # With the same seed, the two pools give different frames.
    other = generate_moving_mnist(TRAIN, 8, seed=0, num_digits=1, dtype="uint8")
    assert not np.array_equal(frames, other)


def test_tf_dataset_matches_numpy():
    expected = generate_moving_mnist(TRAIN, 10, seed=7)
    pairs = list(moving_mnist_dataset(TRAIN, batch_size=4, seed=7, num_sequences=10).as_numpy_iterator())
    assert [x.shape[0] for x, _ in pairs] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([x for x, _ in pairs]), expected[:, :10])
    np.testing.assert_array_equal(np.concatenate([y for _, y in pairs]), expected[:, 10:])
    full = moving_mnist_dataset(TRAIN, batch_size=4, seed=7, num_sequences=10, context=None, dtype="uint8",
                                drop_remainder=True, num_parallel_calls=2)
    batches = list(full.as_numpy_iterator())
    assert len(batches) == 2 and batches[0].dtype == np.uint8
    np.testing.assert_array_equal(np.concatenate(batches).astype(np.float32) / np.float32(255), expected[:8])
    # Endless stream: keeps producing the same sequence indices in order.
    endless = next(iter(moving_mnist_dataset(TRAIN, batch_size=3, seed=7, context=None).skip(2)))
    np.testing.assert_array_equal(endless.numpy(), expected[6:9])


def test_fixed_test_set():
    first = moving_mnist_test_set(TEST, num_sequences=3, dtype="uint8")
    expected = generate_moving_mnist(TEST, 3, MOVING_MNIST_TEST_SEED, dtype="uint8", trajectory="reflect")
    np.testing.assert_array_equal(first, expected)
    assert MOVING_MNIST_TEST_SEED == 2015
