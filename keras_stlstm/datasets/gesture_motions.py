"""Hand model and per-class motions of the synthetic gestures (see `synthetic_gestures`).

The hand lives in palm-width units, image orientation (y down), origin at the palm
centre. A motion function ``(rng, t, image_size) -> pose`` turns the clip's time axis
``t`` (T values in [0, 1]) into per-frame arrays:

- ``center`` (T, 2) pixels (x, y); ``scale`` (T,) pixels per palm width;
- ``rotation`` (T,) radians, clockwise on screen; ``roll`` (T,) radians about the
  horizontal axis through the wrist (drawn as vertical foreshortening);
- ``angles``, ``lengths`` (5,) or (T, 5): finger directions (from "up", clockwise) and
  lengths, fingers ordered thumb, index, middle, ring, pinky;
- optional ``hand`` (False: no hand in the scene), ``thumb_base`` and ``objects``
  (distractors: per-frame centre and angle, axes, colour).

`MOTIONS` maps the Jester label of every class that is rendered forwards (all but the
second member of each time-reversed pair) to its motion.
"""

import numpy as np

# Thumb on the +x side before mirroring.
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


def broadcast_fingers(num_frames, angles, lengths):
    """Broadcasts per-finger (5,) or per-frame (T, 5) angles and lengths to (T, 5)."""
    shape = (num_frames, 5)
    return (np.broadcast_to(angles, shape).astype(np.float64),
            np.broadcast_to(lengths, shape).astype(np.float64))


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
    pointing = rng.random() < 0.5
    pose["angles"], pose["lengths"] = _fingers_up((1,)) if pointing else _open_hand(rng.uniform(0, 1))
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


MOTIONS = {
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


def hand_geometry(pose, mirror):
    """Image-space palm polygons, finger segments, sleeve and thicknesses of every frame.

    Args:
        pose: a motion's output with (T, 5) `angles` and `lengths`.
        mirror: +1 or -1 (a left hand is the mirror image of a right hand).

    Returns:
        dict: palm (T, P, 2), base/tip (T, 5, 2), sleeve (T, 2, 2) float pixel
        coordinates (x, y); width (T, 5) and sleeve_width (T,) int pixels; back (T,)
        True where the back of the hand faces the camera.
    """
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
    sleeve_y = np.broadcast_to([_WRIST_Y + 0.25, _WRIST_Y + _SLEEVE_LENGTH], (n, 2))
    sleeve = place(np.zeros((n, 2)), sleeve_y, rolled=False)  # the forearm does not roll
    return {
        "palm": palm,
        "base": base,
        "tip": tip,
        "sleeve": sleeve,
        "width": np.maximum(2, np.rint(_FINGER_WIDTH[None, :] * scale)).astype(int),
        "sleeve_width": np.maximum(3, np.rint(_SLEEVE_WIDTH * scale[:, 0])).astype(int),
        "back": roll[:, 0] < 0,
    }
