"""Temporal sampling (with jitter) and resize/crop helpers."""

import numpy as np
import pytest

from keras_stlstm.datasets.sampling import (
    center_crop,
    random_crop,
    resize_frames,
    resize_short_side,
    sample_indices,
    sliding_windows,
)


def test_eval_sampling_takes_segment_centres():
    assert sample_indices(10, 5).tolist() == [1, 3, 5, 7, 9]
    assert sample_indices(16, 16).tolist() == list(range(16))
    assert sample_indices(37, 4).tolist() == [4, 13, 22, 32]  # segments 0-8, 9-17, 18-26, 27-36


def test_eval_sampling_of_short_clips_repeats_frames_in_order():
    assert sample_indices(3, 6).tolist() == [0, 0, 1, 1, 2, 2]
    assert sample_indices(1, 4).tolist() == [0, 0, 0, 0]
    assert sample_indices(3, 7, short="loop").tolist() == [0, 1, 2, 0, 1, 2, 0]


@pytest.mark.parametrize("num_frames", [1, 3, 7, 15, 16, 17, 40, 1000])
def test_jitter_stays_in_range_and_in_segments(num_frames):
    length = 16
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(200):
        idx = sample_indices(num_frames, length, training=True, rng=rng)
        assert idx.shape == (length,) and idx.dtype == np.int64
        assert idx.min() >= 0 and idx.max() < num_frames
        assert np.all(np.diff(idx) >= 0)
        if num_frames >= length:
            assert np.all(np.diff(idx) > 0)  # no frame twice when there are enough
            bounds = (np.arange(length + 1) * num_frames) // length
            assert np.all((idx >= bounds[:-1]) & (idx < bounds[1:]))
        seen.add(tuple(idx))
    if num_frames > length:
        assert len(seen) > 1  # jitter actually varies the frames


def test_jitter_is_reproducible_with_a_seed():
    a = sample_indices(50, 8, training=True, rng=123)
    b = sample_indices(50, 8, training=True, rng=123)
    c = sample_indices(50, 8, training=True, rng=124)
    assert a.tolist() == b.tolist()
    assert a.tolist() != c.tolist()


def test_sampling_rejects_bad_arguments():
    with pytest.raises(ValueError, match="num_frames"):
        sample_indices(0, 4)
    with pytest.raises(ValueError, match="length"):
        sample_indices(4, 0)
    with pytest.raises(ValueError, match="short"):
        sample_indices(2, 4, short="pad")


def test_sliding_windows():
    assert sliding_windows(25, 10, 5).tolist() == [0, 5, 10, 15]
    assert sliding_windows(20, 20, 3).tolist() == [0]
    assert sliding_windows(9, 10, 1).tolist() == []


def test_resize_and_crops():
    clip = np.zeros((2, 40, 60, 3), np.uint8)
    clip[:, 10:30, 20:40] = 200  # a bright centre block
    assert resize_frames(clip, 16).shape == (2, 16, 16, 3)
    assert resize_frames(clip[..., :1], (8, 12)).shape == (2, 8, 12, 1)
    assert resize_short_side(clip, 20).shape == (2, 20, 30, 3)
    centre = center_crop(clip, (20, 20))
    assert centre.shape == (2, 20, 20, 3) and np.all(centre == 200)
    crops = {random_crop(clip, (20, 20), rng=s)[0, :, :, 0].sum() for s in range(20)}
    assert len(crops) > 1  # different windows for different seeds
    first = random_crop(clip, 10, rng=np.random.default_rng(5))
    assert np.array_equal(first[0], first[1])  # same window for every frame
    with pytest.raises(ValueError, match="larger than the frames"):
        center_crop(clip, 50)
    with pytest.raises(ValueError, match=r"\(T, H, W, C\)"):
        resize_frames(np.zeros((4, 4)), 2)
