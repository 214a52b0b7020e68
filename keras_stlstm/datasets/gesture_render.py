"""Scene rendering of the synthetic gestures: background, hand drawing, jitter, light, noise."""

import cv2
import numpy as np

from keras_stlstm.datasets.gesture_motions import MOTIONS, broadcast_fingers, hand_geometry

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
    _add_shapes(image, rng)
    if rng.random() < 0.6:
        _add_person(image, rng)
    return image


def _random_color(rng):
    return tuple(int(c) for c in rng.integers(0, 256, 3))


def _add_shapes(image, rng):
    """Up to 5 rectangles, circles or lines in random colours."""
    size = image.shape[0]
    for _ in range(rng.integers(0, 6)):
        color = _random_color(rng)
        x0, y0, x1, y1 = (int(v) for v in rng.integers(0, size, 4))
        kind, fill = rng.integers(0, 3), rng.random() < 0.6
        if kind == 0:
            cv2.rectangle(image, (x0, y0), (x1, y1), color, -1 if fill else 2)
        elif kind == 1:
            cv2.circle(image, (x0, y0), int(abs(x1 - x0) // 3 + 2), color, -1 if fill else 2)
        else:
            cv2.line(image, (x0, y0), (x1, y1), color, int(rng.integers(1, 5)))


def _add_person(image, rng):
    """A torso (clothes) at the bottom and, sometimes, a face: skin that is not the hand."""
    size = image.shape[0]
    cx = int(size * rng.uniform(0.3, 0.7))
    cv2.ellipse(image, (cx, size), (int(size * rng.uniform(0.3, 0.45)), int(size * 0.5)), 0, 180, 360,
                _random_color(rng), -1)
    if rng.random() < 0.6:
        tone = _SKIN_TONES[rng.integers(len(_SKIN_TONES))]
        cv2.ellipse(image, (cx, int(size * 0.3)), (int(size * 0.11), int(size * 0.15)), 0, 0, 360,
                    tuple(int(c) for c in tone * 0.9), -1)


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


def _appearance(rng):
    """Skin colours (palm side, back of the hand, darker rim) and sleeve colour (or None)."""
    skin = np.clip(_SKIN_TONES[rng.integers(len(_SKIN_TONES))] * rng.uniform(0.85, 1.1, 3), 0, 255)
    sleeve = _random_color(rng) if rng.random() < 0.8 else None
    return {
        "skin": tuple(float(c) for c in skin),
        "back": tuple(float(c) for c in skin * 0.8),
        "rim": tuple(float(c) for c in skin * 0.55),
        "sleeve": sleeve,
    }


def _camera(rng, num_frames, image_size, pad):
    """Per-frame crop offsets (jitter), lighting gain and offset, and sensor noise."""
    bits = int(rng.integers(2, 6))  # uniform noise over 2**bits levels
    return {
        "offsets": pad + _jitter(rng, num_frames, pad),
        "gain": np.linspace(rng.uniform(0.75, 1.2), rng.uniform(0.75, 1.2), num_frames)
        + rng.normal(0.0, 0.02, num_frames),
        # The noise is uint8 in [0, 2**bits - 1]: its mean is taken out of the offset.
        "offset": rng.uniform(-15.0, 15.0) - ((1 << bits) - 1) / 2.0,
        "noise": _uniform_noise(rng, (num_frames, image_size, image_size, 3), bits),
    }


def _pose(class_id, rng, num_frames, image_size, pad):
    """The class's motion, with (T, 5) finger arrays and coordinates on the padded canvas."""
    pose = MOTIONS[class_id](rng, np.linspace(0.0, 1.0, num_frames), image_size)
    pose["angles"], pose["lengths"] = broadcast_fingers(num_frames, pose["angles"], pose["lengths"])
    pose["center"] = pose["center"] + pad
    for obj in pose.get("objects", ()):
        obj["center"] = obj["center"] + pad
    return pose


def _draw_scene(canvas, canvas_mask, pose, geo, colors, i):
    """Draws frame i's distractors, sleeve and hand on the canvas (and the hand mask)."""
    _draw_objects(canvas, pose.get("objects", ()), i)
    if not pose.get("hand", True):
        return
    if colors["sleeve"] is not None:
        p0, p1 = (tuple(p.tolist()) for p in geo["sleeve"][i])
        cv2.line(canvas, p0, p1, colors["sleeve"], int(geo["sleeve_width"][i]), cv2.LINE_AA, _SHIFT)
    skin = colors["back"] if geo["back"][i] else colors["skin"]
    _draw_hand(canvas, canvas_mask, geo, i, skin, colors["rim"])


def render_forward(class_id, seed, num_frames, image_size, return_mask):
    """Renders a class that is rendered forwards (see `MOTIONS`).

    Returns:
        (uint8 clip (T, S, S, 3), bool masks (T, S, S) or None).
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(class_id,)))
    # The scene is drawn on a canvas `pad` pixels larger on each side; camera jitter
    # moves the crop window.
    pad = max(1, round(0.025 * image_size))
    canvas_size = image_size + 2 * pad
    background = _background(rng, canvas_size)
    pose = _pose(class_id, rng, num_frames, image_size, pad)
    geo = {key: _to_fixed(value) if key in ("palm", "base", "tip", "sleeve") else value
           for key, value in hand_geometry(pose, rng.choice([-1.0, 1.0])).items()}
    colors = _appearance(rng)
    camera = _camera(rng, num_frames, image_size, pad)

    clip = np.empty((num_frames, image_size, image_size, 3), np.uint8)
    masks = np.zeros((num_frames, image_size, image_size), bool) if return_mask else None
    canvas_mask = np.zeros((canvas_size, canvas_size), np.uint8) if return_mask else None
    for i in range(num_frames):
        canvas = background.copy()
        if return_mask:
            canvas_mask.fill(0)
        _draw_scene(canvas, canvas_mask, pose, geo, colors, i)
        oy, ox = camera["offsets"][i]
        window = canvas[oy:oy + image_size, ox:ox + image_size]
        # Lighting and sensor noise, saturated to [0, 255].
        cv2.addWeighted(window, float(camera["gain"][i]), camera["noise"][i], 1.0, camera["offset"], clip[i])
        if return_mask:
            masks[i] = canvas_mask[oy:oy + image_size, ox:ox + image_size]
    return clip, masks
