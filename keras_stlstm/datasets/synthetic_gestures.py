"""Synthetic hand-gesture clips for the 27 Jester classes, rendered with OpenCV.

A stand-in for 20BN-Jester when the real clips are not at hand: tests, demos and quick
experiments on temporal models. Every clip shows a cartoon hand (palm, fingers, thumb,
sleeve) over a random background (colour gradient, smooth texture, shapes, sometimes a
torso and a face), with per-pixel noise, a lighting drift and camera jitter. Its motion
follows the class name (`JESTER_CLASSES`, Jester's official order):

- Swiping Left/Right/Down/Up: an open hand crosses the frame quickly.
- Sliding Two Fingers Left/Right/Down/Up: index and middle finger up, slower, shorter.
- Pushing Hand Away / Pulling Hand In (and the Two Fingers versions): the hand moves
  away from the camera and gets smaller (push), or comes closer and grows (pull).
- Rolling Hand Forward/Backward: rotation about the horizontal axis through the wrist,
  rendered as vertical foreshortening; forward tips the fingers towards the camera
  and down until the back of the hand (darker) shows with the fingers pointing down.
- Turning Hand Clockwise/Counterclockwise: in-plane rotation by 50-80 degrees as seen
  in the image.
- Zooming In With Full Hand / Two Fingers: fingertips start pinched together and spread
  apart (Zooming Out: they close).
- Thumb Up/Down: a fist whose thumb swings from pointing down to pointing up while the
  hand rises (Thumb Down: the reverse).
- Shaking Hand: side-to-side oscillation with a wrist wobble; Stop Sign: a still open
  palm; Drumming Fingers: a still hand whose fingers tap in sequence.
- No gesture: an empty scene or a resting hand; Doing other things: a wandering hand
  plus moving distractor objects.

Time reversal: for every pair in `GESTURE_OPPOSITES` the clip of the second class is
*exactly* (bitwise, noise, jitter and lighting included) the time-reversed clip of the
first class for the same seed, so no single frame tells the two apart; only the order
of the frames does.

Speed, start time, duration, position, size, handedness, skin/sleeve colours,
background, noise and lighting all vary with the seed. Clips are uint8 RGB
(T, H, W, 3), 16 x 112 x 112 by default.

Datasets: `synthetic_gestures` / `synthetic_gesture_dataset` assign balanced labels
and per-clip render seeds derived from (seed, split, index). Render seeds of the
splits lie in disjoint ranges (train [0, 2^30), validation [2^30, 2^31), test
[2^31, 2^31 + 2^30)), so a test clip, or its time-reversed twin, never occurs in
training.
"""

import numpy as np

from keras_stlstm.datasets.gesture_render import render_forward
from keras_stlstm.datasets.jester_labels import JESTER_CLASSES
from keras_stlstm.datasets.moving_mnist import check_dtype, index_batches, to_dtype
from keras_stlstm.layers.base import check_positive_int

__all__ = [
    "GESTURE_OPPOSITES", "JESTER_CLASSES", "SPLIT_SEED_RANGES", "clip_specs", "render_gesture",
    "synthetic_gesture_dataset", "synthetic_gestures",
]

# (forward, reversed) class pairs: the second is rendered as the first, time-reversed.
_PAIRS = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11), (12, 13), (14, 15), (16, 17), (18, 19), (20, 21))
GESTURE_OPPOSITES = {**{a: b for a, b in _PAIRS}, **{b: a for a, b in _PAIRS}}
_REVERSED = {b: a for a, b in _PAIRS}

SPLIT_SEED_RANGES = {"train": (0, 2**30), "validation": (2**30, 2**31), "test": (2**31, 2**31 + 2**30)}
_SPLIT_IDS = {"train": 0, "validation": 1, "test": 2}


def _check_class(class_id):
    last = len(JESTER_CLASSES) - 1
    if isinstance(class_id, bool) or not isinstance(class_id, (int, np.integer)) or not 0 <= class_id <= last:
        raise ValueError(f"`class_id` must be an int in [0, {last}] (a Jester label), got {class_id!r}")
    return int(class_id)


def _check_seed(seed, name="seed"):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"`{name}` must be a non-negative int, got {seed!r}")
    return int(seed)


def render_gesture(class_id, seed, num_frames=16, image_size=112, return_mask=False):
    """Renders one synthetic clip of Jester class `class_id`.

    Args:
        class_id: label index into `JESTER_CLASSES` (0-26).
        seed: non-negative int; the clip is a pure function of (class_id, seed, sizes).
        num_frames: T (16 by default, as the gesture paper uses for Jester).
        image_size: side of the square frames (112).
        return_mask: also return the hand mask (palm and fingers, not the sleeve).

    Returns:
        uint8 RGB clip (T, image_size, image_size, 3) [, bool mask (T, image_size,
        image_size)]. For a class in `GESTURE_OPPOSITES` whose opposite comes first in
        Jester's order, the clip is the opposite's clip for the same seed with the
        frames in reverse order.

    Example:
        >>> left = render_gesture(JESTER_CLASSES.index("Swiping Left"), seed=3)
        >>> right = render_gesture(JESTER_CLASSES.index("Swiping Right"), seed=3)
        >>> np.array_equal(left[::-1], right)
        True
    """
    class_id = _check_class(class_id)
    seed = _check_seed(seed)
    check_positive_int(num_frames, "num_frames")
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 16:
        raise ValueError(f"`image_size` must be an int >= 16, got {image_size!r}")
    forward = _REVERSED.get(class_id, class_id)
    clip, mask = render_forward(forward, seed, num_frames, image_size, return_mask)
    if forward != class_id:
        clip = np.ascontiguousarray(clip[::-1])
        mask = None if mask is None else np.ascontiguousarray(mask[::-1])
    return (clip, mask) if return_mask else clip


def _check_classes(classes):
    if classes is None:
        return tuple(range(len(JESTER_CLASSES)))
    classes = tuple(_check_class(c) for c in classes)
    if not classes or len(set(classes)) != len(classes):
        raise ValueError(f"`classes` must be a non-empty list of distinct Jester label ids, got {classes!r}")
    return classes


def clip_specs(num_clips, seed=0, split="train", *, start=0, num_classes=27):
    """Labels and render seeds of clips `start` .. `start + num_clips - 1`.

    Labels are balanced: every block of `num_classes` consecutive clips holds each
    label once, in an order drawn from (seed, split, block). Render seeds come from
    (seed, split, index) and lie in ``SPLIT_SEED_RANGES[split]``.

    Args:
        num_clips, start: which clips.
        seed: non-negative int.
        split: ``"train"``, ``"validation"`` or ``"test"``.
        num_classes: number of labels (positions in the `classes` list).

    Returns:
        (labels (N,) int32 in [0, num_classes), render_seeds (N,) int64).
    """
    if split not in SPLIT_SEED_RANGES:
        raise ValueError(f"`split` must be one of {tuple(SPLIT_SEED_RANGES)}, got {split!r}")
    seed, split_id = _check_seed(seed), _SPLIT_IDS[split]
    low, high = SPLIT_SEED_RANGES[split]
    labels, seeds, permutations = np.empty(num_clips, np.int32), np.empty(num_clips, np.int64), {}
    for n, index in enumerate(range(start, start + num_clips)):
        block, position = divmod(index, num_classes)
        if block not in permutations:
            block_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(split_id, 0, block)))
            permutations[block] = block_rng.permutation(num_classes)
        labels[n] = permutations[block][position]
        state = np.random.SeedSequence(seed, spawn_key=(split_id, 1, index)).generate_state(1, np.uint64)[0]
        seeds[n] = low + int(state) % (high - low)
    return labels, seeds


def synthetic_gestures(num_clips, seed=0, split="train", *, start=0, classes=None, num_frames=16,
                       image_size=112, dtype="uint8", return_mask=False):
    """A balanced set of synthetic gesture clips as NumPy arrays.

    Args:
        num_clips: number of clips N.
        seed: non-negative int; clip i depends only on (seed, split, i, classes, sizes).
        split: ``"train"``, ``"validation"`` or ``"test"`` (disjoint render seeds).
        start: index of the first clip (to render a slice of a larger set).
        classes: Jester label ids to draw from (default all 27); labels are positions
            in this list (equal to the Jester ids by default).
        num_frames, image_size: clip size.
        dtype: ``"uint8"`` (0-255) or ``"float32"`` (values in [0, 1]).
        return_mask: also return the hand masks.

    Returns:
        (clips (N, T, H, W, 3), labels (N,) int32) [, masks (N, T, H, W) bool].

    Example:
        >>> clips, labels = synthetic_gestures(54, seed=0, split="test", image_size=64)
        >>> np.bincount(labels).tolist() == [2] * 27
        True
    """
    check_dtype(dtype)
    classes = _check_classes(classes)
    labels, seeds = clip_specs(num_clips, seed, split, start=start, num_classes=len(classes))
    clips = np.empty((num_clips, num_frames, image_size, image_size, 3), np.uint8)
    masks = np.empty(clips.shape[:-1], bool) if return_mask else None
    for n in range(num_clips):
        rendered = render_gesture(classes[labels[n]], int(seeds[n]), num_frames, image_size, return_mask)
        if return_mask:
            clips[n], masks[n] = rendered
        else:
            clips[n] = rendered
    clips = to_dtype(clips, dtype)
    return (clips, labels, masks) if return_mask else (clips, labels)


def synthetic_gesture_dataset(num_clips=None, seed=0, split="train", *, batch_size=16, classes=None,
                              num_frames=16, image_size=112, dtype="float32", drop_remainder=False,
                              num_parallel_calls=None):
    """tf.data.Dataset of ``(clips, labels)`` batches rendered on the fly.

    Batch j holds exactly `synthetic_gestures(..., start=j * batch_size)`.

    Args:
        num_clips: total clips (None: endless).
        seed, split, classes, num_frames, image_size: as in `synthetic_gestures`.
        batch_size: clips per batch.
        dtype: ``"float32"`` (values in [0, 1], the default: what the models take) or ``"uint8"``.
        drop_remainder: drop a last, smaller batch.
        num_parallel_calls: render batches in parallel (e.g. ``tf.data.AUTOTUNE``);
            order and content are unchanged.

    Returns:
        Dataset of (clips (B, T, H, W, 3) `dtype`, labels (B,) int32).
    """
    import tensorflow as tf

    check_dtype(dtype)
    classes = _check_classes(classes)
    batches = index_batches(num_clips, batch_size, drop_remainder)
    tf_dtype = tf.float32 if dtype == "float32" else tf.uint8

    def make_batch(first, count):
        return synthetic_gestures(int(count), seed, split, start=int(first), classes=classes,
                                  num_frames=num_frames, image_size=image_size, dtype=dtype)

    def generate(first, count):
        clips, labels = tf.numpy_function(make_batch, [first, count], (tf_dtype, tf.int32))
        clips.set_shape((None, num_frames, image_size, image_size, 3))
        labels.set_shape((None,))
        return clips, labels

    if num_parallel_calls is None:
        return batches.map(generate)
    return batches.map(generate, num_parallel_calls=num_parallel_calls, deterministic=True)
