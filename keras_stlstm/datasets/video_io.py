"""Video and frame I/O with OpenCV (and Pillow for GIFs).

tensorflow-io's video kernels do not load with TensorFlow 2.21 (see the platform
notes), so every reader in this package decodes with OpenCV. Frames returned here
are uint8 RGB (T, H, W, 3), or (T, H, W, 1) with `grayscale=True`. Frames accepted
by the writers are uint8, or floats in [0, 1], shaped (T, H, W), (T, H, W, 1) or
(T, H, W, 3). Sizes are (height, width) or one int.

Writers write to a temporary name in the destination folder and move the file into
place, so an interrupted write never leaves a half-written file under the final name.
"""

import contextlib
import os
import re
import tempfile

import cv2
import numpy as np

from keras_stlstm.datasets.sampling import normalize_size, resize_frame

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")
# FFmpeg warns that the "VP80" tag is not stored in WebM, but it selects the VP8 encoder.
VIDEO_CODECS = {".mp4": "mp4v", ".avi": "MJPG", ".webm": "VP80", ".mkv": "MJPG"}
# A truncated file usually still carries its header's frame count; far fewer decoded
# frames than declared means the stream stops early. Variable-frame-rate files only
# estimate the count, so allow some slack before calling a file truncated.
_TRUNCATION_TOLERANCE = 0.9


class VideoReadError(ValueError):
    """A video, frame folder or camera could not be read; `.path` names it."""

    def __init__(self, path, problem):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def _convert_frame(bgr, size, grayscale):
    """OpenCV BGR(A)/gray frame -> RGB (H, W, 3) or gray (H, W, 1) uint8, resized."""
    if bgr.dtype != np.uint8:
        # 16-bit PNGs (e.g. depth maps) are scaled to 8 bits.
        bgr = (bgr / 257.0).round().astype(np.uint8) if bgr.dtype == np.uint16 else bgr.astype(np.uint8)
    if bgr.ndim == 2:
        frame = bgr[..., None] if grayscale else cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
    elif grayscale:
        code = cv2.COLOR_BGRA2GRAY if bgr.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        frame = cv2.cvtColor(bgr, code)[..., None]
    else:
        code = cv2.COLOR_BGRA2RGB if bgr.shape[2] == 4 else cv2.COLOR_BGR2RGB
        frame = cv2.cvtColor(bgr, code)
    return frame if size is None else resize_frame(frame, size)


def _stack(frames, path):
    shapes = {f.shape for f in frames}
    if len(shapes) > 1:
        raise VideoReadError(
            path, f"frames have different sizes {sorted(shapes)}; pass size=(height, width)"
        )
    return np.stack(frames)


def read_video(path, max_frames=None, size=None, grayscale=False, check_truncation=True):
    """Decode a video file into an array of frames.

    Args:
        path: video file (anything the OpenCV FFmpeg backend reads: avi, mp4, webm, ...).
        max_frames: stop after this many frames (None: the whole video).
        size: resize every frame to int or (height, width); None keeps the size.
        grayscale: return (T, H, W, 1) luminance instead of RGB.
        check_truncation: raise if far fewer frames decode than the header declares
            (under 90%: a truncated file), instead of returning the partial clip.

    Returns:
        uint8 array (T, H, W, 3) RGB, or (T, H, W, 1) with `grayscale`.

    Raises:
        FileNotFoundError: the file does not exist.
        VideoReadError: the file cannot be opened (corrupt, truncated header, unknown
            format), has no decodable frame, or is truncated.

    Example:

    >>> frames = read_video("clip.mp4", size=112)  # doctest: +SKIP
    >>> frames.shape  # doctest: +SKIP
    (37, 112, 112, 3)
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"video file not found: {path}")
    if max_frames is not None and (not isinstance(max_frames, int) or max_frames < 1):
        raise ValueError(f"max_frames must be a positive int or None, got {max_frames!r}")
    size = None if size is None else normalize_size(size)
    capture = cv2.VideoCapture(path)
    try:
        if not capture.isOpened():
            raise VideoReadError(
                path,
                "cannot be opened as a video (unreadable, corrupt or truncated, or a "
                "format this OpenCV/FFmpeg build cannot decode)",
            )
        declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        frames = []
        while max_frames is None or len(frames) < max_frames:
            ok, bgr = capture.read()
            if not ok:
                break
            frames.append(_convert_frame(bgr, size, grayscale))
    finally:
        capture.release()
    if not frames:
        raise VideoReadError(path, "contains no decodable frames (zero-frame or corrupt video)")
    if check_truncation and max_frames is None and declared > 0:
        if len(frames) < _TRUNCATION_TOLERANCE * declared - 1:
            raise VideoReadError(
                path,
                f"truncated or corrupt: the header declares {declared} frames but only "
                f"{len(frames)} could be decoded",
            )
    return _stack(frames, path)


def _natural_key(name):
    # "frame10.jpg" after "frame9.jpg": compare digit runs as numbers.
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def list_frame_files(folder, extensions=IMAGE_EXTENSIONS):
    """Image files of a frame folder, sorted numerically (00002.jpg before 00010.jpg).

    Raises:
        FileNotFoundError: `folder` is not a directory.
        VideoReadError: it holds no image with one of `extensions`.
    """
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"frame folder not found: {folder}")
    names = [n for n in os.listdir(folder) if n.lower().endswith(tuple(extensions))]
    if not names:
        raise VideoReadError(folder, f"contains no image frames ({'/'.join(extensions)})")
    return [os.path.join(folder, n) for n in sorted(names, key=_natural_key)]


def _read_image(path, size, grayscale):
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise VideoReadError(path, "unreadable or corrupt image")
    return _convert_frame(image, size, grayscale)


def read_frame_folder(folder, max_frames=None, size=None, grayscale=False, indices=None):
    """Read a folder of numbered image frames (e.g. Jester's 00001.jpg ...) into a clip.

    Args:
        folder: directory of .jpg/.jpeg/.png/.bmp frames, sorted numerically.
        max_frames: read at most this many (the first ones).
        size: resize to int or (height, width).
        grayscale: (T, H, W, 1) instead of RGB.
        indices: read only these frame positions (after sorting), in this order;
            repeated positions are decoded once.

    Returns:
        uint8 (T, H, W, 3) or (T, H, W, 1).

    Raises:
        FileNotFoundError: no such folder. VideoReadError: no frames, an unreadable
        image (named), or frames of different sizes without `size`.
    """
    files = list_frame_files(folder)
    if max_frames is not None:
        files = files[:max_frames]
    if indices is None:
        indices = range(len(files))
    size = None if size is None else normalize_size(size)
    cache = {}
    frames = []
    for i in indices:
        if not 0 <= i < len(files):
            raise ValueError(f"frame index {i} out of range for {len(files)} frames in {folder}")
        if i not in cache:
            cache[i] = _read_image(files[i], size, grayscale)
        frames.append(cache[i])
    return _stack(frames, folder)


def read_frames(path, select=None, size=None, grayscale=False):
    """Read a clip from a video file or a frame folder, keeping selected frames.

    Args:
        path: video file or folder of numbered images.
        select: optional callable `num_frames -> indices` choosing the frames to
            keep (e.g. a `sample_indices` closure). Frame folders then decode only
            those images; videos are decoded in full (container frame counts are
            unreliable) and indexed afterwards.
        size, grayscale: as in `read_video`.

    Returns:
        uint8 (T, H, W, C) frames.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"clip not found (no video file or frame folder): {path}")
    if os.path.isdir(path):
        indices = None if select is None else select(len(list_frame_files(path)))
        return read_frame_folder(path, size=size, grayscale=grayscale, indices=indices)
    frames = read_video(path, grayscale=grayscale)
    if select is not None:
        frames = frames[np.asarray(select(len(frames)))]
    if size is not None:
        frames = np.stack([resize_frame(f, size) for f in frames])
    return frames


def _open_camera(index):
    capture = cv2.VideoCapture(index)
    if not capture.isOpened():
        capture.release()
        raise VideoReadError(
            f"camera {index}", "cannot be opened (no such device, no permission, or in use)"
        )
    return capture


def _camera_frames(capture, index, size, grayscale, max_frames):
    try:
        count = 0
        while max_frames is None or count < max_frames:
            ok, bgr = capture.read()
            if not ok:
                raise VideoReadError(f"camera {index}", "stopped delivering frames")
            count += 1
            yield _convert_frame(bgr, size, grayscale)
    finally:
        capture.release()


def iter_camera(index=0, size=None, grayscale=False, max_frames=None):
    """Stream frames from a camera (live demos: feed each frame to a streaming model).

    The camera is opened immediately, so a bad `index` fails here, not at the first
    `next()`. The device is released when the generator is closed or exhausted.

    Args:
        index: OpenCV camera index (0 = default webcam) or a device path/URL.
        size: resize to int or (height, width).
        grayscale: (H, W, 1) frames instead of RGB.
        max_frames: stop after this many frames (None: until closed).

    Returns:
        A generator of uint8 (H, W, 3) RGB or (H, W, 1) frames.

    Raises:
        VideoReadError: the camera cannot be opened, or stops delivering frames.

    Example:

    >>> for frame in iter_camera(0, size=112, max_frames=100):  # doctest: +SKIP
    ...     logits = streaming_step(frame)
    """
    return _camera_frames(_open_camera(index), index, size, grayscale, max_frames)


def to_uint8_frames(frames, name="frames"):
    """(T, H, W), (T, H, W, 1) or (T, H, W, 3) uint8 or float [0, 1] -> uint8 (T, H, W, C)."""
    frames = np.asarray(frames)
    if frames.ndim == 3:
        frames = frames[..., None]
    if frames.ndim != 4 or frames.shape[-1] not in (1, 3):
        raise ValueError(
            f"{name} must have shape (T, H, W), (T, H, W, 1) or (T, H, W, 3), got {frames.shape}"
        )
    if frames.dtype == np.uint8:
        return frames
    if not (np.issubdtype(frames.dtype, np.floating) or frames.dtype == bool):
        raise ValueError(f"{name} must be uint8 or float in [0, 1], got dtype {frames.dtype}")
    return (np.clip(frames.astype(np.float32), 0.0, 1.0) * 255.0).round().astype(np.uint8)


@contextlib.contextmanager
def _atomic_output(path):
    """Yield a temporary path next to `path` (same extension); move it into place on success."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    stem, ext = os.path.splitext(os.path.basename(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=f".tmp{ext}", dir=folder)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _to_bgr(frame):
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR if frame.shape[-1] == 1 else cv2.COLOR_RGB2BGR)


def write_video(path, frames, fps=10.0, codec=None):
    """Write frames to a video file.

    Args:
        path: destination; the extension picks the container and default codec
            (.mp4: mp4v, .avi: MJPG, .webm: VP8, .mkv: MJPG).
        frames: (T, H, W[, C]) uint8 or float [0, 1], gray or RGB.
        fps: frames per second.
        codec: four-character code overriding the default.

    Raises:
        ValueError: bad frames, unknown extension. OSError: OpenCV cannot open a
        writer for this codec/container.
    """
    frames = to_uint8_frames(frames)
    ext = os.path.splitext(os.fspath(path))[1].lower()
    codec = codec or VIDEO_CODECS.get(ext)
    if codec is None:
        raise ValueError(f"unknown video extension {ext!r} for {path}; use one of {sorted(VIDEO_CODECS)}")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps!r}")
    height, width = frames.shape[1:3]
    with _atomic_output(path) as tmp:
        writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*codec), float(fps), (width, height))
        try:
            if not writer.isOpened():
                raise OSError(f"{path}: OpenCV cannot open a video writer with codec {codec!r}")
            for frame in frames:
                writer.write(_to_bgr(frame))
        finally:
            writer.release()


def write_gif(path, frames, fps=10.0, loop=0):
    """Write frames as an animated GIF (Pillow).

    Pillow merges identical consecutive frames into one (adding their delays), so
    the file may hold fewer frames than given while playing for the same time.

    Args:
        path: destination .gif.
        frames: (T, H, W[, C]) uint8 or float [0, 1], gray or RGB.
        fps: frames per second (GIF delays are whole milliseconds).
        loop: number of loops, 0 = forever.
    """
    from PIL import Image  # Pillow: only needed for GIFs.

    frames = to_uint8_frames(frames)
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps!r}")
    mode = "L" if frames.shape[-1] == 1 else "RGB"
    images = [Image.fromarray(f[..., 0] if mode == "L" else f, mode=mode) for f in frames]
    with _atomic_output(path) as tmp:
        images[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=max(1, round(1000.0 / fps)),
            loop=loop,
        )


def _prepare_triplet(context, truth, prediction):
    context = to_uint8_frames(context, "context")
    truth = to_uint8_frames(truth, "truth")
    prediction = to_uint8_frames(prediction, "prediction")
    if truth.shape[:3] != prediction.shape[:3]:
        raise ValueError(f"truth {truth.shape} and prediction {prediction.shape} must have the same shape")
    if context.shape[1:3] != truth.shape[1:3]:
        raise ValueError(f"context frames {context.shape[1:3]} and truth frames {truth.shape[1:3]} differ in size")
    channels = max(context.shape[-1], truth.shape[-1])
    # Mixed gray and RGB inputs: show everything in RGB.
    return [np.repeat(x, 3, axis=-1) if x.shape[-1] < channels else x for x in (context, truth, prediction)]


def _hconcat(frames, gap, fill):
    h, _, c = frames[0].shape
    spacer = np.full((h, gap, c), fill, np.uint8)
    parts = []
    for i, frame in enumerate(frames):
        if i:
            parts.append(spacer)
        parts.append(frame)
    return np.concatenate(parts, axis=1)


def comparison_strip(context, truth, prediction, gap=2, fill=255):
    """One image with three rows: context frames | true future | predicted future.

    Args:
        context: (Tc, H, W[, C]) given frames. truth, prediction: (Tf, H, W[, C]).
            uint8 or float [0, 1]; gray and RGB may be mixed (shown in RGB).
        gap: pixels between frames and rows.
        fill: uint8 value of the gaps and of the padding of the shorter rows.

    Returns:
        uint8 (3H + 2·gap, max(Tc, Tf)·(W + gap) − gap, C).
    """
    rows = [_hconcat(list(x), gap, fill) for x in _prepare_triplet(context, truth, prediction)]
    width = max(r.shape[1] for r in rows)
    h, c = rows[0].shape[0], rows[0].shape[2]
    padded = [np.concatenate([r, np.full((h, width - r.shape[1], c), fill, np.uint8)], axis=1) for r in rows]
    spacer = np.full((gap, width, c), fill, np.uint8)
    return np.concatenate([padded[0], spacer, padded[1], spacer, padded[2]], axis=0)


def write_comparison_strip(path, context, truth, prediction, gap=2, fill=255, labels=None):
    """Write `comparison_strip(...)` as a PNG (or any image format cv2.imwrite knows).

    `labels`: None, or three row names (e.g. `strip_labels.COMPARISON_ROW_LABELS`) written in a
    column left of the rows.
    """
    strip = comparison_strip(context, truth, prediction, gap, fill)
    if labels is not None:
        from keras_stlstm.datasets.strip_labels import add_row_labels

        strip = add_row_labels(strip, labels, gap, fill)
    with _atomic_output(path) as tmp:
        if not cv2.imwrite(tmp, _to_bgr(strip)):
            raise OSError(f"{path}: OpenCV could not write the image (unsupported extension?)")


def comparison_frames(context, truth, prediction, gap=2, fill=255):
    """Side-by-side frames for an animation: left = ground truth, right = model.

    For the Tc context steps both panels show the given frame; for the Tf future
    steps the left panel shows the true frame and the right one the prediction.

    Returns:
        uint8 (Tc + Tf, H, 2W + gap, C).
    """
    context, truth, prediction = _prepare_triplet(context, truth, prediction)
    frames = [_hconcat([f, f], gap, fill) for f in context]
    frames += [_hconcat([t, p], gap, fill) for t, p in zip(truth, prediction)]
    return np.stack(frames)


def write_comparison_gif(path, context, truth, prediction, fps=4.0, gap=2, fill=255):
    """Write `comparison_frames(...)` as an animated GIF."""
    write_gif(path, comparison_frames(context, truth, prediction, gap, fill), fps=fps)
