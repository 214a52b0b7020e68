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

import cv2
import numpy as np

from keras_stlstm.datasets.jester_labels import JESTER_CLASSES
from keras_stlstm.datasets.moving_mnist import check_dtype, index_batches, to_dtype
from keras_stlstm.layers.base import check_positive_int

# (forward, reversed) class pairs: the second is rendered as the first, time-reversed.
_PAIRS = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11), (12, 13), (14, 15), (16, 17), (18, 19), (20, 21))
GESTURE_OPPOSITES = {**{a: b for a, b in _PAIRS}, **{b: a for a, b in _PAIRS}}
_REVERSED = {b: a for a, b in _PAIRS}

SPLIT_SEED_RANGES = {"train": (0, 2**30), "validation": (2**30, 2**31), "test": (2**31, 2**31 + 2**30)}
_SPLIT_IDS = {"train": 0, "validation": 1, "test": 2}

# ---------------------------------------------------------------------------------------
# Hand model, in palm-width units, image orientation (y down), origin at the palm centre.
# Finger order: thumb, index, middle, ring, pinky (thumb on the +x side before mirroring).
# Finger angles are measured from "up", positive = clockwise on screen.
_FINGER_BASE = np.array([[0.40, 0.10], [0.30, -0.45], [0.10, -0.50], [-0.10, -0.48], [-0.30, -0.42]])
_FINGER_LENGTH = np.array([0.62, 0.85, 0.95, 0.88, 0.70])
_FINGER_WIDTH = np.array([0.24, 0.20, 0.20, 0.19, 0.17])
_OPEN_TOGETHER = np.radians([55.0, 4.0, 0.0, -4.0, -8.0])
_OPEN_FANNED = np.radians([80.0, 22.0, 4.0, -13.0, -30.0])
_CURLED_LENGTH = 0.24  # a curled finger shows as a knuckle bump
_FIST_THUMB_BASE, _FIST_THUMB_LENGTH = (0.45, -0.2), 0.8  # a raised thumb clears the knuckles
_TUCKED_THUMB = (np.radians(-35.0), 0.45)
_WRIST_Y = 0.55
_SLEEVE_LENGTH, _SLEEVE_WIDTH = 2.6, 0.8


def _palm_outline(points=14):
    """A rounded rectangle (superellipse), 1.0 wide and 1.1 tall."""
    a = np.linspace(0.0, 2.0 * np.pi, points, endpoint=False)
    c, s = np.cos(a), np.sin(a)
    return np.stack([0.5 * np.sign(c) * np.abs(c) ** 0.6, 0.55 * np.sign(s) * np.abs(s) ** 0.6], axis=-1)


_PALM = _palm_outline()


def _hand(num_frames, angles, lengths):
    """Broadcasts per-finger (5,) or per-frame (T, 5) angles and lengths to (T, 5)."""
    shape = (num_frames, 5)
    return np.broadcast_to(angles, shape).astype(np.float64), np.broadcast_to(lengths, shape).astype(np.float64)


def _open_hand(spread):
    """Open hand, fingers together (spread 0) to fanned out (1); spread may be (T, 1)."""
    return _OPEN_TOGETHER + (_OPEN_FANNED - _OPEN_TOGETHER) * spread, _FINGER_LENGTH


def _fingers_up(extended, spread=0.0):
    """Only the `extended` fingers (indices 1-4) straight, the rest curled, thumb tucked."""
    angles = _OPEN_TOGETHER + (_OPEN_FANNED - _OPEN_TOGETHER) * spread
    lengths = np.full(5, _CURLED_LENGTH)
    lengths[list(extended)] = _FINGER_LENGTH[list(extended)]
    angles = np.array(angles, dtype=np.float64)
    angles[0], lengths[0] = _TUCKED_THUMB
    return angles, lengths


def _towards(point, which):
    """Angles and lengths that put the tips of fingers `which` on `point`."""
    delta = np.asarray(point) - _FINGER_BASE[which]
    return np.arctan2(delta[:, 0], -delta[:, 1]), np.hypot(delta[:, 0], delta[:, 1])


def _pinch(spread, which, open_angles, open_lengths, point):
    """Fingers `which` closed on `point` (spread 0) to open (spread 1); others curled."""
    closed_angles, closed_lengths = _towards(point, which)
    spread = np.asarray(spread, dtype=np.float64).reshape(-1, 1)
    angles = np.tile(np.array(_OPEN_TOGETHER), (len(spread), 1))
    lengths = np.full((len(spread), 5), _CURLED_LENGTH)
    angles[:, 0], lengths[:, 0] = _TUCKED_THUMB
    angles[:, which] = closed_angles + (np.asarray(open_angles) - closed_angles) * spread
    lengths[:, which] = closed_lengths + (np.asarray(open_lengths) - closed_lengths) * spread
    return angles, lengths


# ---------------------------------------------------------------------------------------
# Motions. Each returns a dict of per-frame arrays: center (T, 2) px (x, y), scale (T,)
# px per palm width, rotation (T,) rad (clockwise), roll (T,) rad, angles/lengths (T, 5),
# and optionally "hand": False (no hand) or "objects" (distractors).


def _ease(rng, t, duration=(0.45, 0.75)):
    """Progress 0 -> 1 with a random start and duration (smoothstep)."""
    d = rng.uniform(*duration)
    t0 = rng.uniform(0.0, max(0.0, 1.0 - d) * 0.8)
    x = np.clip((t - t0) / d, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _base(rng, t, size, scale=(0.22, 0.30)):
    n = len(t)
    return {
        "center": np.tile([rng.uniform(0.38, 0.62) * size, rng.uniform(0.42, 0.58) * size], (n, 1)),
        "scale": np.full(n, rng.uniform(*scale) * size),
        "rotation": np.full(n, np.radians(rng.uniform(-12.0, 12.0))),
        "roll": np.zeros(n),
    }


def _translate(rng, t, size, axis, two_fingers):
    """Swipe (open hand) or slide (two fingers) towards -x (axis 0) or +y (axis 1)."""
    pose = _base(rng, t, size, (0.17, 0.22) if not two_fingers else (0.20, 0.26))
    amplitude = rng.uniform(0.45, 0.6) if not two_fingers else rng.uniform(0.28, 0.4)
    p = _ease(rng, t, (0.35, 0.55) if not two_fingers else (0.55, 0.8))
    start = 0.5 + amplitude / 2 + rng.uniform(-0.05, 0.05)
    if axis == 0:  # right -> left
        pose["center"][:, 0] = (start - amplitude * p) * size
        pose["center"][:, 1] += 0.04 * size * np.sin(np.pi * p)  # slight arc
        pose["rotation"] -= np.radians(10.0) * np.sin(np.pi * p)  # leads with the fingers
    else:  # top -> bottom
        pose["center"][:, 1] = (1.0 - start - 0.05 + amplitude * p) * size
    spread = rng.uniform(0.0, 0.3)
    pose["angles"], pose["lengths"] = _fingers_up((1, 2), spread) if two_fingers else _open_hand(spread)
    return pose


def _push(rng, t, size, two_fingers):
    """Away from the camera: the hand shrinks to 50-65% of its size."""
    pose = _base(rng, t, size, (0.26, 0.32))
    p = _ease(rng, t)
    pose["scale"] = pose["scale"] * (1.0 - (1.0 - rng.uniform(0.5, 0.65)) * p)
    pose["center"][:, 1] -= 0.06 * size * p  # receding hands rise a little in the image
    spread = rng.uniform(0.0, 0.4)
    pose["angles"], pose["lengths"] = _fingers_up((1, 2), spread) if two_fingers else _open_hand(spread)
    return pose


def _roll_forward(rng, t, size):
    pose = _base(rng, t, size, (0.22, 0.28))
    pose["center"][:, 1] -= 0.1 * size
    pose["roll"] = rng.uniform(2.2, 2.8) * _ease(rng, t)
    pose["angles"], pose["lengths"] = _open_hand(rng.uniform(0.0, 0.2))
    return pose


def _turn_clockwise(rng, t, size):
    pose = _base(rng, t, size, (0.22, 0.28))
    pose["rotation"] = pose["rotation"] + np.radians(rng.uniform(50.0, 80.0)) * _ease(rng, t)
    pose["angles"], pose["lengths"] = _open_hand(rng.uniform(0.0, 0.15))
    return pose


def _zoom_in(rng, t, size, two_fingers):
    """Fingertips pinched together, then spread apart."""
    pose = _base(rng, t, size, (0.22, 0.28))
    spread = _ease(rng, t)
    if two_fingers:
        pose["angles"], pose["lengths"] = _pinch(
            spread, [0, 1], np.radians([85.0, 2.0]), [0.65, 0.85], (0.32, -0.95))
    else:
        which = [0, 1, 2, 3, 4]
        pose["angles"], pose["lengths"] = _pinch(spread, which, _OPEN_FANNED, _FINGER_LENGTH, (0.05, -0.85))
    return pose


def _thumb_up(rng, t, size):
    """A fist whose thumb swings from down to up while the hand rises."""
    pose = _base(rng, t, size, (0.24, 0.30))
    p = _ease(rng, t)
    pose["center"][:, 1] += (0.5 - p) * rng.uniform(0.15, 0.25) * size
    angles = np.tile(_OPEN_TOGETHER, (len(t), 1))
    lengths = np.tile(np.full(5, _CURLED_LENGTH), (len(t), 1))
    start, end = np.radians(rng.uniform(140.0, 165.0)), np.radians(rng.uniform(-5.0, 10.0))
    angles[:, 0] = start + (end - start) * p
    lengths[:, 0] = _FIST_THUMB_LENGTH
    pose["angles"], pose["lengths"], pose["thumb_base"] = angles, lengths, _FIST_THUMB_BASE
    return pose


def _shake(rng, t, size):
    pose = _base(rng, t, size, (0.22, 0.28))
    wave = np.sin(2.0 * np.pi * rng.uniform(1.5, 3.0) * t + rng.uniform(0.0, 2.0 * np.pi))
    pose["center"][:, 0] += rng.uniform(0.06, 0.12) * size * wave
    pose["rotation"] = pose["rotation"] + np.radians(rng.uniform(8.0, 18.0)) * wave
    pose["angles"], pose["lengths"] = _open_hand(rng.uniform(0.2, 0.6))
    return pose


def _stop_sign(rng, t, size):
    pose = _base(rng, t, size, (0.26, 0.32))
    pose["angles"], pose["lengths"] = _open_hand(rng.uniform(0.0, 0.2))
    return pose


def _drum(rng, t, size):
    """A still hand, fingers pointing sideways, tapping one after the other."""
    pose = _base(rng, t, size, (0.24, 0.30))
    pose["rotation"] = np.full(len(t), np.radians(rng.uniform(65.0, 100.0)) * rng.choice([-1.0, 1.0]))
    freq, lag = rng.uniform(2.0, 3.5), rng.uniform(0.6, 1.2)
    phase = 2.0 * np.pi * freq * t[:, None] - lag * np.arange(4)[None, :] + rng.uniform(0.0, 2.0 * np.pi)
    lengths = np.tile(_FINGER_LENGTH, (len(t), 1))
    lengths[:, 1:] *= 1.0 - 0.5 * np.maximum(0.0, np.sin(phase))  # a tapping finger bends away
    angles = np.tile(_OPEN_TOGETHER, (len(t), 1))
    angles[:, 0], lengths[:, 0] = _TUCKED_THUMB
    pose["angles"], pose["lengths"] = angles, lengths
    return pose


def _no_gesture(rng, t, size):
    pose = _base(rng, t, size, (0.22, 0.28))
    pose["hand"] = bool(rng.random() < 0.5)
    pose["center"][:, 1] = rng.uniform(0.65, 0.85) * size
    pose["center"] += rng.normal(0.0, 0.004 * size, 2) * t[:, None]  # barely drifts
    fist = rng.random() < 0.5
    pose["angles"], pose["lengths"] = _fingers_up(()) if fist else _open_hand(rng.uniform(0.1, 0.4))
    return pose


def _other_things(rng, t, size):
    """A hand wandering without purpose plus moving distractor objects."""
    pose = _base(rng, t, size, (0.2, 0.26))
    for _ in range(2):
        pose["center"] += 0.08 * size * np.sin(
            2.0 * np.pi * rng.uniform(0.3, 1.2, 2) * t[:, None] + rng.uniform(0.0, 2.0 * np.pi, 2))
    pose["rotation"] = pose["rotation"] + np.radians(20.0) * np.sin(2.0 * np.pi * rng.uniform(0.3, 1.0) * t)
    pose["angles"], pose["lengths"] = _fingers_up((1,)) if rng.random() < 0.5 else _open_hand(rng.uniform(0, 1))
    objects = []
    for _ in range(rng.integers(1, 4)):
        start = rng.uniform(0.1, 0.9, 2) * size
        velocity = rng.uniform(-0.5, 0.5, 2) * size
        objects.append({
            "center": start + velocity * t[:, None],
            "axes": rng.uniform(0.06, 0.16, 2) * size,
            "angle": rng.uniform(0.0, 180.0) + rng.uniform(-90.0, 90.0) * t,
            "color": rng.integers(0, 256, 3),
        })
    pose["objects"] = objects
    return pose


_MOTIONS = {
    0: lambda rng, t, s: _translate(rng, t, s, 0, False),
    2: lambda rng, t, s: _translate(rng, t, s, 1, False),
    4: lambda rng, t, s: _push(rng, t, s, False),
    6: lambda rng, t, s: _translate(rng, t, s, 0, True),
    8: lambda rng, t, s: _translate(rng, t, s, 1, True),
    10: lambda rng, t, s: _push(rng, t, s, True),
    12: _roll_forward,
    14: _turn_clockwise,
    16: lambda rng, t, s: _zoom_in(rng, t, s, False),
    18: lambda rng, t, s: _zoom_in(rng, t, s, True),
    20: _thumb_up,
    22: _shake,
    23: _stop_sign,
    24: _drum,
    25: _no_gesture,
    26: _other_things,
}


# ---------------------------------------------------------------------------------------
# Scene: background, colours, camera jitter, lighting and noise.

_SHIFT = 4  # cv2 fixed-point coordinates: 4 fractional bits, so slow motion stays smooth
_ONE = 1 << _SHIFT
_SKIN_TONES = np.array([[236, 188, 160], [224, 172, 105], [198, 134, 66], [141, 85, 36], [255, 205, 180]])


def _background(rng, size):
    """Gradient + smooth texture + shapes (+ torso and face), uint8 (size, size, 3)."""
    # Gradient and texture are smooth: build them on a coarse grid, then upsample once.
    grid = 16
    c1, c2 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    angle = rng.uniform(0.0, 2.0 * np.pi)
    ramp = np.linspace(0.0, 1.0, grid)
    g = np.clip(0.5 + (ramp[None, :] - 0.5) * np.cos(angle) + (ramp[:, None] - 0.5) * np.sin(angle), 0, 1)
    coarse = c1 + g[..., None] * (c2 - c1)
    cells = int(rng.integers(3, 12))
    texture = cv2.resize(rng.uniform(-1, 1, (cells, cells, 3)), (grid, grid), interpolation=cv2.INTER_LINEAR)
    coarse = np.clip(coarse + texture * rng.uniform(5.0, 40.0), 0, 255).astype(np.float32)
    image = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_LINEAR).astype(np.uint8)
    for _ in range(rng.integers(0, 6)):
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        x0, y0, x1, y1 = (int(v) for v in rng.integers(0, size, 4))
        kind, fill = rng.integers(0, 3), rng.random() < 0.6
        if kind == 0:
            cv2.rectangle(image, (x0, y0), (x1, y1), color, -1 if fill else 2)
        elif kind == 1:
            cv2.circle(image, (x0, y0), int(abs(x1 - x0) // 3 + 2), color, -1 if fill else 2)
        else:
            cv2.line(image, (x0, y0), (x1, y1), color, int(rng.integers(1, 5)))
    if rng.random() < 0.6:  # a person: torso (clothes) and, sometimes, a face
        cx = int(size * rng.uniform(0.3, 0.7))
        cv2.ellipse(image, (cx, size), (int(size * rng.uniform(0.3, 0.45)), int(size * 0.5)), 0, 180, 360,
                    tuple(int(c) for c in rng.integers(0, 256, 3)), -1)
        if rng.random() < 0.6:
            tone = _SKIN_TONES[rng.integers(len(_SKIN_TONES))]
            cv2.ellipse(image, (cx, int(size * 0.3)), (int(size * 0.11), int(size * 0.15)), 0, 0, 360,
                        tuple(int(c) for c in tone * 0.9), -1)
    return image


def _jitter(rng, num_frames, pad):
    """Per-frame integer camera offsets (random walk within [-pad, pad], sometimes still)."""
    if pad == 0 or rng.random() < 0.25:
        return np.zeros((num_frames, 2), np.int64)
    steps = rng.integers(-1, 2, (num_frames, 2))
    return np.clip(np.cumsum(steps, axis=0), -pad, pad)


def _uniform_noise(rng, shape, bits):
    """uint8 noise, uniform over 0 .. 2**bits - 1 (raw generator words: ~10x faster than integers())."""
    count = int(np.prod(shape))
    words = rng.bit_generator.random_raw((count + 7) // 8).astype("<u8", copy=False)
    mask = np.uint64(int.from_bytes(bytes([(1 << bits) - 1]) * 8, "little"))
    return (words & mask).view(np.uint8)[:count].reshape(shape)


def _to_fixed(points):
    return np.rint(points * _ONE).astype(np.int32)


def _geometry(pose, mirror):
    """Image-space (fixed-point) palm polygons, finger segments, sleeve and thicknesses."""
    scale, rot, roll = pose["scale"][:, None], pose["rotation"][:, None], np.cos(pose["roll"])[:, None]
    cos_r, sin_r = np.cos(rot), np.sin(rot)

    def place(x, y, rolled=True):  # local (T, P) -> image (T, P, 2)
        x = x * mirror
        if rolled:  # rotation about the wrist's horizontal axis foreshortens y
            y = _WRIST_Y + (y - _WRIST_Y) * roll
        return pose["center"][:, None, :] + scale[..., None] * np.stack(
            [x * cos_r - y * sin_r, x * sin_r + y * cos_r], axis=-1)

    n = len(scale)
    palm = place(np.broadcast_to(_PALM[:, 0], (n, len(_PALM))), np.broadcast_to(_PALM[:, 1], (n, len(_PALM))))
    angles, lengths = pose["angles"], pose["lengths"]
    bases = _FINGER_BASE.copy()
    if "thumb_base" in pose:
        bases[0] = pose["thumb_base"]
    base_x, base_y = np.broadcast_to(bases[:, 0], angles.shape), np.broadcast_to(bases[:, 1], angles.shape)
    base = place(base_x, base_y)
    tip = place(base_x + lengths * np.sin(angles), base_y - lengths * np.cos(angles))
    sleeve = place(np.zeros((n, 2)), np.broadcast_to([_WRIST_Y + 0.25, _WRIST_Y + _SLEEVE_LENGTH], (n, 2)), False)
    return {
        "palm": _to_fixed(palm),
        "base": _to_fixed(base),
        "tip": _to_fixed(tip),
        "sleeve": _to_fixed(sleeve),
        "width": np.maximum(2, np.rint(_FINGER_WIDTH[None, :] * scale)).astype(int),
        "sleeve_width": np.maximum(3, np.rint(_SLEEVE_WIDTH * scale[:, 0])).astype(int),
        "back": roll[:, 0] < 0,
    }


def _draw_hand(image, mask, geo, i, skin, outline):
    """Draws frame i's hand (palm, then fingers with a darker rim) on image (and mask)."""
    aa = cv2.LINE_AA
    palm = geo["palm"][i]
    cv2.fillPoly(image, [palm], skin, aa, _SHIFT)
    cv2.polylines(image, [palm], True, outline, 1, aa, _SHIFT)
    if mask is not None:
        cv2.fillPoly(mask, [palm], 1, cv2.LINE_8, _SHIFT)
    for f in range(5):
        p0, p1 = tuple(geo["base"][i, f].tolist()), tuple(geo["tip"][i, f].tolist())
        width = int(geo["width"][i, f])
        cv2.line(image, p0, p1, outline, width + 2, aa, _SHIFT)
        cv2.line(image, p0, p1, skin, width, cv2.LINE_8, _SHIFT)  # its edge hides under the rim
        if mask is not None:
            cv2.line(mask, p0, p1, 1, width + 2, cv2.LINE_8, _SHIFT)


def _draw_objects(image, objects, i):
    for obj in objects:
        center = tuple(_to_fixed(obj["center"][i]).tolist())
        axes = tuple(_to_fixed(obj["axes"]).tolist())
        cv2.ellipse(image, center, axes, float(obj["angle"][i]), 0, 360,
                    tuple(int(c) for c in obj["color"]), -1, cv2.LINE_AA, _SHIFT)


def _render_forward(class_id, seed, num_frames, image_size, return_mask):
    """Renders a class that is not the reversed member of a pair."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(class_id,)))
    pad = max(1, round(0.025 * image_size))
    canvas_size = image_size + 2 * pad
    background = _background(rng, canvas_size)
    t = np.linspace(0.0, 1.0, num_frames)
    pose = _MOTIONS[class_id](rng, t, image_size)
    pose["angles"], pose["lengths"] = _hand(num_frames, pose["angles"], pose["lengths"])
    pose["center"] = pose["center"] + pad
    for obj in pose.get("objects", ()):
        obj["center"] = obj["center"] + pad
    mirror = rng.choice([-1.0, 1.0])
    geo = _geometry(pose, mirror)
    tone = _SKIN_TONES[rng.integers(len(_SKIN_TONES))] * rng.uniform(0.85, 1.1, 3)
    skin = np.clip(tone, 0, 255)
    back_skin = tuple(float(c) for c in skin * 0.8)
    outline = tuple(float(c) for c in skin * 0.55)
    skin = tuple(float(c) for c in skin)
    sleeve_color = tuple(int(c) for c in rng.integers(0, 256, 3)) if rng.random() < 0.8 else None
    offsets = pad + _jitter(rng, num_frames, pad)
    gain = np.linspace(rng.uniform(0.75, 1.2), rng.uniform(0.75, 1.2), num_frames) + rng.normal(0, 0.02, num_frames)
    bias = rng.uniform(-15.0, 15.0)
    noise_bits = int(rng.integers(2, 6))  # uniform noise over 2**bits levels
    noise = _uniform_noise(rng, (num_frames, image_size, image_size, 3), noise_bits)
    noise_mean = ((1 << noise_bits) - 1) / 2.0

    clip = np.empty((num_frames, image_size, image_size, 3), np.uint8)
    masks = np.zeros((num_frames, image_size, image_size), np.uint8) if return_mask else None
    canvas_mask = np.empty((canvas_size, canvas_size), np.uint8) if return_mask else None
    for i in range(num_frames):
        canvas = background.copy()
        _draw_objects(canvas, pose.get("objects", ()), i)
        if pose.get("hand", True):
            if sleeve_color is not None:
                p0, p1 = (tuple(p.tolist()) for p in geo["sleeve"][i])
                cv2.line(canvas, p0, p1, sleeve_color, int(geo["sleeve_width"][i]), cv2.LINE_AA, _SHIFT)
            if return_mask:
                canvas_mask.fill(0)
            _draw_hand(canvas, canvas_mask, geo, i, back_skin if geo["back"][i] else skin, outline)
        oy, ox = offsets[i]
        window = canvas[oy:oy + image_size, ox:ox + image_size]
        # Lighting (gain, bias) and sensor noise, saturated to [0, 255].
        cv2.addWeighted(window, float(gain[i]), noise[i], 1.0, bias - noise_mean, clip[i])
        if return_mask and pose.get("hand", True):
            masks[i] = canvas_mask[oy:oy + image_size, ox:ox + image_size]
    return clip, (masks.astype(bool) if return_mask else None)


def _check_class(class_id):
    if isinstance(class_id, bool) or not isinstance(class_id, (int, np.integer)) or not 0 <= class_id < len(JESTER_CLASSES):
        raise ValueError(f"`class_id` must be an int in [0, {len(JESTER_CLASSES) - 1}] (a Jester label), got {class_id!r}")
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
    clip, mask = _render_forward(forward, seed, num_frames, image_size, return_mask)
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


def synthetic_gestures(num_clips, seed=0, split="train", *, start=0, classes=None, num_frames=16, image_size=112,
                       dtype="uint8", return_mask=False):
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
        return synthetic_gestures(int(count), seed, split, start=int(first), classes=classes, num_frames=num_frames,
                                  image_size=image_size, dtype=dtype)

    def generate(first, count):
        clips, labels = tf.numpy_function(make_batch, [first, count], (tf_dtype, tf.int32))
        clips.set_shape((None, num_frames, image_size, image_size, 3))
        labels.set_shape((None,))
        return clips, labels

    if num_parallel_calls is None:
        return batches.map(generate)
    return batches.map(generate, num_parallel_calls=num_parallel_calls, deterministic=True)
