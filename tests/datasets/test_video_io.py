"""OpenCV video/frame I/O, GIF and comparison writers, and their error messages."""

import os

import cv2
import numpy as np
import pytest

from keras_stlstm.datasets.video_io import (
    VideoReadError,
    comparison_frames,
    comparison_strip,
    iter_camera,
    read_frame_folder,
    read_frames,
    read_video,
    write_comparison_gif,
    write_comparison_strip,
    write_gif,
    write_video,
)

H, W = 24, 32


def ramp_clip(n, channels=3):
    """Constant frames whose value encodes the index (10·i), colour per channel."""
    clip = np.zeros((n, H, W, channels), np.uint8)
    for i in range(n):
        clip[i] = [10 * i + 3 * c for c in range(channels)]
    return clip


@pytest.mark.parametrize("ext", [".avi", ".mp4", ".webm"])
def test_write_then_read_video_round_trip(tmp_path, ext):
    path = tmp_path / f"clip{ext}"
    clip = ramp_clip(8)
    write_video(path, clip, fps=5)
    assert sorted(os.listdir(tmp_path)) == [path.name]  # no temporary file left
    frames = read_video(path)
    assert frames.shape == (8, H, W, 3) and frames.dtype == np.uint8
    # constant frames survive lossy codecs within a few levels; RGB order kept
    np.testing.assert_allclose(frames.astype(float), clip.astype(float), atol=4)
    gray = read_video(path, grayscale=True, size=(12, 16), max_frames=3)
    assert gray.shape == (3, 12, 16, 1)
    expected_luma = 0.299 * clip[:3, 0, 0, 0] + 0.587 * clip[:3, 0, 0, 1] + 0.114 * clip[:3, 0, 0, 2]
    np.testing.assert_allclose(gray[:, 0, 0, 0], expected_luma, atol=4)


def test_write_video_accepts_float_gray_frames(tmp_path):
    frames = np.linspace(0, 1, 5)[:, None, None] * np.ones((5, H, W))
    write_video(tmp_path / "g.avi", frames)
    back = read_video(tmp_path / "g.avi")
    np.testing.assert_allclose(back[:, 5, 5, 0], np.round(np.linspace(0, 255, 5)), atol=4)


def test_write_video_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown video extension '.xyz'"):
        write_video(tmp_path / "a.xyz", ramp_clip(2))
    with pytest.raises(ValueError, match=r"\(T, H, W\)"):
        write_video(tmp_path / "a.avi", np.zeros((2, H, W, 2), np.uint8))
    assert os.listdir(tmp_path) == []


def test_read_video_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.mp4"):
        read_video(tmp_path / "nope.mp4")


def test_read_video_garbage_file(tmp_path):
    path = tmp_path / "garbage.avi"
    path.write_bytes(b"not a video" * 50)
    with pytest.raises(VideoReadError, match="garbage.avi: cannot be opened") as info:
        read_video(path)
    assert info.value.path == str(path)


def test_read_video_zero_frames(tmp_path):
    path = tmp_path / "empty.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5, (W, H))
    writer.release()
    with pytest.raises(VideoReadError, match="empty.avi: contains no decodable frames"):
        read_video(path)


def test_read_video_truncated(tmp_path):
    path = tmp_path / "full.avi"
    rng = np.random.default_rng(0)
    write_video(path, rng.integers(0, 255, (20, H, W, 3), dtype=np.uint8))
    data = path.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoReadError, match=r"cut.avi: truncated or corrupt: the header declares 20 frames"):
        read_video(cut)
    assert 0 < len(read_video(cut, check_truncation=False)) < 20
    stub = tmp_path / "stub.mp4"
    stub.write_bytes(data[:200])
    with pytest.raises(VideoReadError, match="stub.mp4"):
        read_video(stub)


def test_read_frame_folder_sorts_numerically(tmp_path):
    clip = ramp_clip(12)
    for i, frame in enumerate(clip):
        cv2.imwrite(str(tmp_path / f"img_{i + 1}.jpg"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    (tmp_path / "notes.txt").write_text("ignored")
    frames = read_frame_folder(tmp_path)
    assert frames.shape == (12, H, W, 3)
    np.testing.assert_allclose(frames[:, 0, 0, 0], 10 * np.arange(12), atol=2)  # 10 after 9
    some = read_frame_folder(tmp_path, indices=[11, 0, 0], size=8, grayscale=True)
    assert some.shape == (3, 8, 8, 1)
    assert some[0, 0, 0, 0] > some[1, 0, 0, 0] and some[1, 0, 0, 0] == some[2, 0, 0, 0]
    picked = read_frames(tmp_path, select=lambda n: np.arange(0, n, 4))
    np.testing.assert_allclose(picked[:, 0, 0, 0], [0, 40, 80], atol=2)


def test_read_frame_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="frame folder not found: .*missing"):
        read_frame_folder(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(VideoReadError, match="empty: contains no image frames"):
        read_frame_folder(empty)
    bad = tmp_path / "bad"
    bad.mkdir()
    cv2.imwrite(str(bad / "00001.jpg"), np.zeros((H, W, 3), np.uint8))
    (bad / "00002.jpg").write_bytes(b"\xff\xd8 truncated jpeg")
    with pytest.raises(VideoReadError, match="00002.jpg: unreadable or corrupt image"):
        read_frame_folder(bad)


def test_iter_camera_bad_index_raises_immediately():
    with pytest.raises(VideoReadError, match="camera 97: cannot be opened"):
        iter_camera(97)


def test_write_gif(tmp_path):
    from PIL import Image

    gray = np.stack([np.full((H, W), v, np.uint8) for v in (0, 128, 255)])
    write_gif(tmp_path / "a.gif", gray, fps=4)
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.n_frames == 3 and gif.size == (W, H)
        values = []
        for i in range(3):
            gif.seek(i)
            values.append(np.asarray(gif.convert("L"))[0, 0])
        assert gif.info["duration"] == 250
    assert values == [0, 128, 255]
    assert os.listdir(tmp_path) == ["a.gif"]


def test_comparison_strip_layout(tmp_path):
    context = np.full((3, 8, 10), 0.2, np.float32)  # gray floats
    truth = np.full((2, 8, 10, 3), 100, np.uint8)  # RGB uint8
    pred = np.full((2, 8, 10, 1), 0.8, np.float32)
    strip = comparison_strip(context, truth, pred, gap=2, fill=255)
    assert strip.shape == (3 * 8 + 2 * 2, 3 * 10 + 2 * 2, 3)
    assert strip[0, 0, 0] == 51  # context row: 0.2 -> 51
    assert strip[8, 0, 0] == 255  # gap between rows
    assert strip[10, 0, 0] == 100  # truth row
    assert strip[10, 2 * 12, 0] == 255  # the truth row is shorter: padded
    assert strip[20, 12, 0] == 204  # prediction row, second frame: 0.8 -> 204
    path = tmp_path / "strip.png"
    write_comparison_strip(path, context, truth, pred)
    back = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(back, strip)


def test_comparison_frames_and_gif(tmp_path):
    from PIL import Image

    context = np.full((2, 8, 10, 1), 50, np.uint8) + np.arange(2, dtype=np.uint8)[:, None, None, None]
    truth = np.full((3, 8, 10, 1), 100, np.uint8) + np.arange(3, dtype=np.uint8)[:, None, None, None]
    pred = np.full((3, 8, 10, 1), 200, np.uint8)
    frames = comparison_frames(context, truth, pred, gap=2)
    assert frames.shape == (5, 8, 22, 1)
    assert frames[1, 0, 0, 0] == 51 and frames[1, 0, 12, 0] == 51  # context on both sides
    assert frames[3, 0, 0, 0] == 101 and frames[3, 0, 12, 0] == 200  # truth | prediction
    assert frames[3, 0, 10, 0] == 255  # gap
    write_comparison_gif(tmp_path / "cmp.gif", context, truth, pred, fps=2)
    with Image.open(tmp_path / "cmp.gif") as gif:
        assert gif.n_frames == 5 and gif.size == (22, 8)
    with pytest.raises(ValueError, match="same shape"):
        comparison_frames(context, truth, pred[:2])
