"""The two Moving MNIST motion laws, on hand-computed paths, and the Srivastava-law test-set file."""

import numpy as np
import pytest

from keras_stlstm.datasets import generate_moving_mnist, load_moving_mnist_npy, load_sample_digits
from keras_stlstm.datasets.moving_mnist import reflect_path, sequence_generator, srivastava_path, trajectories

TRAIN = load_sample_digits("train")


def test_srivastava_law_by_hand():
    """Start y = 0.95, x = 0.5, heading +y (angle pi/2), step 0.1, travel 36.

    Step before the first frame: y = 1.05 -> clamped to 1, velocity flips (the 0.05
    overshoot is lost); then 0.9, 0.8, ...: int(36 * y) = 36, 32, 28, 25, 21 (28.8 is
    truncated to 28, not rounded to 29). x stays 0.5: int(18.0...) = 18.
    """
    path = srivastava_path(np.array([0.95, 0.5]), np.array([1.0, np.cos(np.pi / 2)]), 5, 36, 0.1)
    np.testing.assert_array_equal(path[:, 0], [36, 32, 28, 25, 21])
    np.testing.assert_array_equal(path[:, 1], [18] * 5)
    # Lower border, along x: 0.12 -> 0.02 -> -0.08 clamped to 0 and flipped -> 0.1 -> 0.2.
    path = srivastava_path(np.array([0.5, 0.12]), np.array([0.0, -1.0]), 4, 36, 0.1)
    np.testing.assert_array_equal(path[:, 1], [0, 0, 3, 7])  # int(0.72), int(0), int(3.6), int(7.2)


def test_reflect_law_by_hand():
    """Same start in pixels (34.2, 18), 3.6 px/frame: frame 0 is the start; 37.8 folds to 34.2, 41.4 to 30.6."""
    path = reflect_path(np.array([34.2, 18.0]), np.array([3.6, 0.0]), 5, 36)
    np.testing.assert_array_equal(path[:, 0], [34, 34, 31, 27, 23])  # rint(34.2, 34.2, 30.6, 27, 23.4)
    np.testing.assert_array_equal(path[:, 1], [18] * 5)


def _published_trajectory(y, x, theta, step, length, canvas):
    """GetRandomTrajectory of Srivastava et al.'s data_handler.py for one digit, loop for loop."""
    v_y, v_x = np.sin(theta), np.cos(theta)
    out = []
    for _ in range(length):
        y += v_y * step
        x += v_x * step
        if x <= 0:
            x, v_x = 0, -v_x
        if x >= 1.0:
            x, v_x = 1.0, -v_x
        if y <= 0:
            y, v_y = 0, -v_y
        if y >= 1.0:
            y, v_y = 1.0, -v_y
        out.append((int(canvas * y), int(canvas * x)))
    return out


@pytest.mark.parametrize("step", [0.1, 5 / 36])
def test_generator_follows_the_published_code(step):
    seed, frames = 11, 30
    digit_index, positions = trajectories(6, seed, num_frames=frames, num_digits=2, pool_size=64, travel=36,
                                          step_length=step, trajectory="srivastava")
    for n in range(6):
        draws = sequence_generator(seed, n).random((2, 4))  # (digit, y0, x0, angle) per digit
        for k in range(2):
            want = _published_trajectory(draws[k, 1], draws[k, 2], draws[k, 3] * 2 * np.pi, step, frames, 36)
            np.testing.assert_array_equal(positions[n, :, k], want)
        np.testing.assert_array_equal(digit_index[n], (draws[:, 0] * 64).astype(int))


def test_laws_share_digits_and_directions_but_not_paths():
    sriv, info_s = generate_moving_mnist(TRAIN, 4, seed=2, dtype="uint8", return_info=True)
    refl, info_r = generate_moving_mnist(TRAIN, 4, seed=2, dtype="uint8", return_info=True, trajectory="reflect")
    np.testing.assert_array_equal(info_s["digit_index"], info_r["digit_index"])
    assert not np.array_equal(sriv, refl)
    assert info_s["positions"].min() >= 0 and info_s["positions"].max() <= 36
    with pytest.raises(ValueError, match=r"trajectory.*'srivastava', 'reflect'"):
        generate_moving_mnist(TRAIN, 1, seed=0, trajectory="bounce")


def test_srivastava_test_set_file(tmp_path):
    from keras_stlstm.zoo import write_srivastava_test_set

    t10k = np.tile(load_sample_digits("test"), (157, 1, 1))[:10000]  # stands in for the t10k digits
    held_out = t10k[8000:]
    path = write_srivastava_test_set(tmp_path / "srivastava_test.npy", t10k, num_sequences=7, speed=5.0,
                                     batch_size=3)
    raw = np.load(path)
    assert raw.dtype == np.uint8 and raw.shape == (20, 7, 64, 64)
    want = generate_moving_mnist(held_out, 7, 2016, step_length=5.0 / 36, trajectory="srivastava")
    np.testing.assert_array_equal(load_moving_mnist_npy(path), want)
    # 5 px/frame: every unclamped step moves the corner by 4-6 px (truncation); never more.
    _, info = generate_moving_mnist(held_out, 7, 2016, step_length=5.0 / 36, return_info=True)
    assert np.abs(np.diff(info["positions"], axis=1)).max() <= 6
    assert [p.name for p in tmp_path.iterdir()] == ["srivastava_test.npy"]
    with pytest.raises(ValueError, match="speed"):
        write_srivastava_test_set(tmp_path / "x.npy", t10k, num_sequences=1, speed=0)
