"""Synthetic Jester gestures: class order, exact time reversal of opposites, motion per class, sets."""

import pathlib
import runpy

import numpy as np
import pytest

from keras_stlstm.datasets.synthetic_gestures import (
    GESTURE_OPPOSITES,
    JESTER_CLASSES,
    SPLIT_SEED_RANGES,
    clip_specs,
    render_gesture,
    synthetic_gesture_dataset,
    synthetic_gestures,
)

# protocols.md, Jester's official order.
OFFICIAL = (
    "Swiping Left", "Swiping Right", "Swiping Down", "Swiping Up", "Pushing Hand Away", "Pulling Hand In",
    "Sliding Two Fingers Left", "Sliding Two Fingers Right", "Sliding Two Fingers Down",
    "Sliding Two Fingers Up", "Pushing Two Fingers Away", "Pulling Two Fingers In", "Rolling Hand Forward",
    "Rolling Hand Backward", "Turning Hand Clockwise", "Turning Hand Counterclockwise",
    "Zooming In With Full Hand", "Zooming Out With Full Hand", "Zooming In With Two Fingers",
    "Zooming Out With Two Fingers", "Thumb Up", "Thumb Down", "Shaking Hand", "Stop Sign", "Drumming Fingers",
    "No gesture", "Doing other things",
)
ID = {name: i for i, name in enumerate(JESTER_CLASSES)}
OPPOSITE_NAMES = [
    ("Swiping Left", "Swiping Right"),
    ("Swiping Down", "Swiping Up"),
    ("Pushing Hand Away", "Pulling Hand In"),
    ("Sliding Two Fingers Left", "Sliding Two Fingers Right"),
    ("Sliding Two Fingers Down", "Sliding Two Fingers Up"),
    ("Pushing Two Fingers Away", "Pulling Two Fingers In"),
    ("Rolling Hand Forward", "Rolling Hand Backward"),
    ("Turning Hand Clockwise", "Turning Hand Counterclockwise"),
    ("Zooming In With Full Hand", "Zooming Out With Full Hand"),
    ("Zooming In With Two Fingers", "Zooming Out With Two Fingers"),
    ("Thumb Up", "Thumb Down"),
]
SEEDS = range(6)


def test_class_names_in_official_order():
    assert JESTER_CLASSES == tuple(OFFICIAL) and len(JESTER_CLASSES) == 27


def test_opposites_are_the_named_pairs():
    expected = {ID[a]: ID[b] for a, b in OPPOSITE_NAMES}
    expected.update({b: a for a, b in expected.items()})
    assert GESTURE_OPPOSITES == expected


@pytest.mark.parametrize("seed", [0, 17, 2**31 + 5])
def test_opposite_clips_are_exact_time_reversals(seed):
    for a, b in GESTURE_OPPOSITES.items():
        if a > b:
            continue
        clip_a, mask_a = render_gesture(a, seed, num_frames=10, image_size=64, return_mask=True)
        clip_b, mask_b = render_gesture(b, seed, num_frames=10, image_size=64, return_mask=True)
        np.testing.assert_array_equal(clip_a[::-1], clip_b)
        np.testing.assert_array_equal(mask_a[::-1], mask_b)
        # The same frames, in a different order: not the same clip.
        assert not np.array_equal(clip_a, clip_b)


def test_every_class_renders_for_many_seeds():
    for class_id in range(27):
        for seed in range(5):
            clip = render_gesture(class_id, 1000 * seed + class_id, num_frames=8, image_size=48)
            assert clip.shape == (8, 48, 48, 3) and clip.dtype == np.uint8
            assert clip.std() > 5  # a textured scene, not a blank frame
    full, mask = render_gesture(ID["Stop Sign"], 3, return_mask=True)
    assert full.shape == (16, 112, 112, 3) and mask.shape == (16, 112, 112) and mask.dtype == bool
    with pytest.raises(ValueError, match="class_id"):
        render_gesture(27, 0)
    with pytest.raises(ValueError, match="seed"):
        render_gesture(0, -1)


def test_seeds_change_the_clip_and_fix_it():
    a = render_gesture(ID["Swiping Up"], 1, num_frames=8, image_size=64)
    np.testing.assert_array_equal(a, render_gesture(ID["Swiping Up"], 1, num_frames=8, image_size=64))
    b = render_gesture(ID["Swiping Up"], 2, num_frames=8, image_size=64)
    assert np.abs(a.astype(int) - b).mean() > 10


def _stats(mask):
    ys, xs = np.nonzero(mask)
    cx, cy = xs.mean(), ys.mean()
    mu20, mu02, mu11 = ((xs - cx) ** 2).mean(), ((ys - cy) ** 2).mean(), ((xs - cx) * (ys - cy)).mean()
    # Principal-axis angle in image coordinates (y down): grows when the shape turns clockwise.
    theta = 0.5 * np.arctan2(2 * mu11, mu20 - mu02)
    return {"x": cx, "y": cy, "area": len(xs), "theta": theta, "width": np.ptp(xs) + 1}


def _change(class_name, seed, key):
    _, mask = render_gesture(ID[class_name], seed, return_mask=True)
    first, last = _stats(mask[0]), _stats(mask[-1])
    if key == "theta":  # orientation is defined modulo pi
        return (last[key] - first[key] + np.pi / 2) % np.pi - np.pi / 2
    if key in ("area", "width"):
        return last[key] / first[key]
    return last[key] - first[key]


# (class, statistic, check): x/y are image coordinates (y grows downwards).
MOTIONS = [
    ("Swiping Left", "x", lambda d: d < -25),
    ("Swiping Right", "x", lambda d: d > 25),
    ("Swiping Down", "y", lambda d: d > 25),
    ("Swiping Up", "y", lambda d: d < -25),
    ("Sliding Two Fingers Left", "x", lambda d: d < -15),
    ("Sliding Two Fingers Right", "x", lambda d: d > 15),
    ("Sliding Two Fingers Down", "y", lambda d: d > 15),
    ("Sliding Two Fingers Up", "y", lambda d: d < -15),
    # Away from the camera = smaller in the image.
    ("Pushing Hand Away", "area", lambda r: r < 0.7),
    ("Pulling Hand In", "area", lambda r: r > 1.4),
    ("Pushing Two Fingers Away", "area", lambda r: r < 0.7),
    ("Pulling Two Fingers In", "area", lambda r: r > 1.4),
    # Forward: the fingers tip over towards the camera and end below the wrist.
    ("Rolling Hand Forward", "y", lambda d: d > 15),
    ("Rolling Hand Backward", "y", lambda d: d < -15),
    ("Turning Hand Clockwise", "theta", lambda a: np.degrees(a) > 30),
    ("Turning Hand Counterclockwise", "theta", lambda a: np.degrees(a) < -30),
    # Zooming in spreads the fingers apart: the hand gets wider.
    ("Zooming In With Full Hand", "width", lambda r: r > 1.3),
    ("Zooming Out With Full Hand", "width", lambda r: r < 0.77),
    ("Zooming In With Two Fingers", "width", lambda r: r > 1.3),
    ("Zooming Out With Two Fingers", "width", lambda r: r < 0.77),
    ("Thumb Up", "y", lambda d: d < -10),
    ("Thumb Down", "y", lambda d: d > 10),
]


@pytest.mark.parametrize("class_name,key,check", MOTIONS, ids=[m[0] for m in MOTIONS])
def test_motion_follows_the_class_name(class_name, key, check):
    changes = [_change(class_name, seed, key) for seed in SEEDS]
    assert all(check(c) for c in changes), changes


def test_still_classes():
    for seed in SEEDS:
        _, mask = render_gesture(ID["Stop Sign"], seed, return_mask=True)
        stats = [_stats(m) for m in mask]
        # Only camera jitter (at most 3 px at 112x112) moves a stop sign.
        assert np.ptp([s["x"] for s in stats]) <= 6 and np.ptp([s["y"] for s in stats]) <= 6
        areas = [s["area"] for s in stats]
        assert max(areas) / min(areas) < 1.05
    # Drumming: the hand stays, the fingers move (mask area changes).
    _, mask = render_gesture(ID["Drumming Fingers"], 1, return_mask=True)
    areas = mask.sum(axis=(1, 2))
    assert areas.max() / areas.min() > 1.05
    # Shaking: the hand goes back and forth.
    _, mask = render_gesture(ID["Shaking Hand"], 1, return_mask=True)
    step = np.sign(np.diff([_stats(m)["x"] for m in mask]))
    assert (step[1:] != step[:-1]).sum() >= 2


def test_balanced_sets_with_disjoint_split_seeds():
    clips, labels = synthetic_gestures(54, seed=3, split="test", num_frames=4, image_size=32)
    assert clips.shape == (54, 4, 32, 32, 3) and clips.dtype == np.uint8 and labels.dtype == np.int32
    assert np.bincount(labels, minlength=27).tolist() == [2] * 27
    # Clip i is the render of (label, render seed) from clip_specs, whatever the slice.
    spec_labels, spec_seeds = clip_specs(54, seed=3, split="test")
    np.testing.assert_array_equal(labels, spec_labels)
    np.testing.assert_array_equal(clips[7], render_gesture(int(labels[7]), int(spec_seeds[7]), 4, 32))
    later, later_labels = synthetic_gestures(4, seed=3, split="test", start=50, num_frames=4, image_size=32)
    np.testing.assert_array_equal(later, clips[50:])
    for split, (low, high) in SPLIT_SEED_RANGES.items():
        _, seeds = clip_specs(200, seed=0, split=split)
        assert seeds.min() >= low and seeds.max() < high
    assert SPLIT_SEED_RANGES["train"][1] <= SPLIT_SEED_RANGES["validation"][0]
    assert SPLIT_SEED_RANGES["validation"][1] <= SPLIT_SEED_RANGES["test"][0]
    # A class subset: labels are positions in the list; float output in [0, 1]; masks.
    sub, sub_labels, masks = synthetic_gestures(4, seed=1, classes=[23, 0], num_frames=3, image_size=32,
                                                dtype="float32", return_mask=True)
    assert sorted(sub_labels.tolist()) == [0, 0, 1, 1] and sub.dtype == np.float32
    assert 0.0 <= sub.min() and sub.max() <= 1.0 and masks.shape == (4, 3, 32, 32)


def test_tf_dataset_matches_numpy():
    clips, labels = synthetic_gestures(5, seed=2, num_frames=4, image_size=32, dtype="float32")
    ds = synthetic_gesture_dataset(5, seed=2, batch_size=2, num_frames=4, image_size=32, num_parallel_calls=2)
    batches = list(ds.as_numpy_iterator())
    assert [len(y) for _, y in batches] == [2, 2, 1]
    np.testing.assert_array_equal(np.concatenate([x for x, _ in batches]), clips)
    np.testing.assert_array_equal(np.concatenate([y for _, y in batches]), labels)


def test_benchmark_quick_runs():
    script = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "bench_synthetic_gestures.py"
    results = runpy.run_path(str(script))["main"](["--quick"])
    assert set(results) == {(16, 112), (16, 64)} and all(rate > 0 for rate in results.values())
