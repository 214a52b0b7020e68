"""The two standard Moving MNIST files: Srivastava's .npy and the PredRNN/E3D .npz, on small files written here."""

import numpy as np
import pytest

from keras_stlstm.datasets import (
    load_moving_mnist_file,
    load_moving_mnist_npy,
    load_moving_mnist_npz,
    open_moving_mnist_npy,
    write_moving_mnist_npy,
)


def _video(n=3, t=20, size=64, seed=0):
    """uint8 (N, T, H, W) with a distinct value at a known pixel of every frame."""
    video = np.random.default_rng(seed).integers(0, 256, (n, t, size, size), dtype=np.uint8)
    for i in range(n):
        for k in range(t):
            video[i, k, 0, 0] = 10 * i + k  # sequence i, frame k
    return video


def test_npy_is_read_time_first_as_float_in_unit_range(tmp_path):
    video = _video()
    path = tmp_path / "mnist_test_seq.npy"
    np.save(path, np.transpose(video, (1, 0, 2, 3)))  # the file is (T, N, H, W)
    got = load_moving_mnist_npy(path)
    assert got.shape == (3, 20, 64, 64, 1) and got.dtype == np.float32
    np.testing.assert_array_equal(got[..., 0], video.astype(np.float32) / 255.0)
    assert got[2, 7, 0, 0, 0] == np.float32(27 / 255.0)
    np.testing.assert_array_equal(load_moving_mnist_npy(path, [2, 0]), got[[2, 0]])
    np.testing.assert_array_equal(load_moving_mnist_file(path, 1), got[1])
    view = open_moving_mnist_npy(path)
    assert view.dtype == np.uint8 and view.shape == (3, 20, 64, 64, 1)
    np.testing.assert_array_equal(view[1:2], video[1:2, ..., None])


def test_write_then_read_round_trip(tmp_path):
    video = _video(n=2, t=5)
    path = write_moving_mnist_npy(tmp_path / "out" / "set.npy", video[..., None].astype(np.float32) / 255.0)
    raw = np.load(path)
    assert raw.dtype == np.uint8 and raw.shape == (5, 2, 64, 64)  # time first, as the standard file
    np.testing.assert_array_equal(np.transpose(raw, (1, 0, 2, 3)), video)
    assert [p.name for p in path.parent.iterdir()] == ["set.npy"]  # no temporary file left


def _npz(path, video, dims=None, **override):
    """The official layout: frames channels first, clip i = frames [20i, 20i + 10) then [20i + 10, 20i + 20)."""
    n, t = video.shape[:2]
    half = t // 2
    clips = np.zeros((2, n, 2), np.int32)
    clips[0, :, 0], clips[0, :, 1] = np.arange(n) * t, half
    clips[1, :, 0], clips[1, :, 1] = np.arange(n) * t + half, t - half
    arrays = {
        "clips": clips,
        "dims": np.array([[1, 64, 64]], np.int32) if dims is None else dims,
        "input_raw_data": video.reshape(n * t, 1, 64, 64).astype(np.float32) / 255.0,
    }
    arrays.update(override)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def test_npz_clips_are_input_then_output_frames(tmp_path):
    video = _video()
    path = _npz(tmp_path / "moving-mnist-test.npz", video)
    got = load_moving_mnist_npz(path)
    assert got.shape == (3, 20, 64, 64, 1) and got.dtype == np.float32
    np.testing.assert_allclose(got[..., 0], video / 255.0, atol=1e-7)
    np.testing.assert_array_equal(load_moving_mnist_file(path, [1]), got[1:2])
    # Two rows of dims: the output frames come from output_raw_data.
    future = np.zeros((3 * 20, 1, 64, 64), np.float32) + 0.5
    two = _npz(tmp_path / "two.npz", video, dims=np.array([[1, 64, 64], [1, 64, 64]]), output_raw_data=future)
    split = load_moving_mnist_npz(two)
    np.testing.assert_array_equal(split[:, :10], got[:, :10])
    assert np.all(split[:, 10:] == 0.5)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: np.save(p / "x.npy", np.zeros((20, 2, 64, 64), np.float32)), "float32 array of shape"),
        (lambda p: np.save(p / "x.npy", np.zeros((2, 20, 64, 64, 1), np.uint8)), r"uint8 array \(T, N, H, W\)"),
        (lambda p: _npz(p / "x.npz", _video(1), input_raw_data=None), r"missing key\(s\) \['input_raw_data'\]"),
        (lambda p: _npz(p / "x.npz", _video(1), dims=np.array([[1, 32, 32]])), "'dims' says frames of"),
        (lambda p: _npz(p / "x.npz", _video(1), clips=np.zeros((2, 1), np.int32)), "'clips' is int32"),
        (lambda p: _npz(p / "x.npz", _video(1), clips=np.array([[[0, 10]], [[15, 10]]])), "points past"),
        (lambda p: (p / "x.txt").write_text("x"), "unknown Moving MNIST file type"),
    ],
)
def test_wrong_files_are_one_line_errors_naming_the_layout(tmp_path, make, match):
    make(tmp_path)
    path = next(tmp_path.iterdir())
    with pytest.raises(ValueError, match=match) as info:
        load_moving_mnist_file(path)
    message = str(info.value)
    assert "\n" not in message and ("(T, N, H, W)" in message or "'input_raw_data'" in message)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="not found"):
        load_moving_mnist_npy("/no/such/mnist_test_seq.npy")
