"""Readers (and a writer) of the two standard Moving MNIST file formats.

- Srivastava et al.'s ``mnist_test_seq.npy``: one uint8 array of shape
  (T, N, H, W) = (20, 10000, 64, 64), time first, pixels 0-255.
- The PredRNN / E3D-LSTM ``.npz`` (thuml/predrnn-pytorch and google/e3d_lstm,
  ``core/data_provider/mnist.py`` / ``src/data_provider/mnist.py``), three keys:
  ``input_raw_data`` (F, C, H, W) every frame of every clip, channels first,
  float32 in [0, 1]; ``dims`` (1, 3) = [[C, H, W]] (or (2, 3), with the future
  frames then in a fourth key ``output_raw_data`` of shape given by its second
  row); ``clips`` (2, N, 2) int: ``clips[0, i]`` = (first frame, length) of clip
  i's input frames, ``clips[1, i]`` the same for its output frames. A clip is its
  input frames followed by its output frames.

Both readers return (N, T, H, W, C) float32 in [0, 1], the layout of
`generate_moving_mnist`. Anything else is a one-line ValueError naming the
expected layout.
"""

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np

NPY_LAYOUT = "Srivastava's Moving MNIST .npy: uint8 array (T, N, H, W), time first, e.g. (20, 10000, 64, 64)"
NPZ_LAYOUT = (
    "PredRNN/E3D Moving MNIST .npz: keys 'clips' int (2, N, 2), 'dims' (1, 3) = [[C, H, W]] "
    "and 'input_raw_data' (frames, C, H, W) in [0, 1]"
)


def _existing(path):
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Moving MNIST file not found: {path}")
    return path


def open_moving_mnist_npy(path):
    """A lazy (memory-mapped) uint8 view (N, T, H, W, 1) of a Srivastava .npy file.

    Nothing is read until the view is indexed, so a 10,000-sequence file can be
    scored batch by batch (`evaluate_video_predictor` takes uint8 sequences).
    """
    path = _existing(path)
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as err:
        raise ValueError(f"{path}: not a NumPy array file ({err}); expected {NPY_LAYOUT}.") from None
    if array.dtype != np.uint8 or array.ndim != 4:
        raise ValueError(f"{path}: got {array.dtype} array of shape {array.shape}; expected {NPY_LAYOUT}.")
    return np.moveaxis(array, 0, 1)[..., None]


def _select(array, indices):
    """array[indices] along the first axis (None: all), as a real array."""
    return np.asarray(array if indices is None else array[indices])


def load_moving_mnist_npy(path, indices=None):
    """Reads Srivastava's ``mnist_test_seq.npy`` layout.

    Args:
        path: the .npy file, uint8 (T, N, H, W).
        indices: None (every sequence), an int, a slice or a list of sequence
            indices; only those are read from disk.

    Returns:
        (N, T, H, W, 1) float32 in [0, 1] ((T, H, W, 1) for an int index).

    Example:

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "seq.npy")
    >>> np.save(path, np.full((20, 3, 64, 64), 255, np.uint8))
    >>> load_moving_mnist_npy(path).shape, float(load_moving_mnist_npy(path, 0).max())
    ((3, 20, 64, 64, 1), 1.0)
    """
    return _select(open_moving_mnist_npy(path), indices).astype(np.float32) / np.float32(255.0)


def _npz_arrays(path):
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError as err:
        raise ValueError(f"{path}: not a NumPy .npz archive ({err}); expected {NPZ_LAYOUT}.") from None
    if not hasattr(archive, "files"):
        raise ValueError(f"{path}: a single array, not an .npz archive; expected {NPZ_LAYOUT}.")
    missing = [key for key in ("clips", "dims", "input_raw_data") if key not in archive.files]
    if missing:
        raise ValueError(f"{path}: missing key(s) {missing} (has {archive.files}); expected {NPZ_LAYOUT}.")
    return archive


def _check_npz(path, clips, dims, raw, future_raw):
    if clips.ndim != 3 or clips.shape[0] != 2 or clips.shape[2] != 2 or clips.dtype.kind not in "iu":
        raise ValueError(f"{path}: 'clips' is {clips.dtype} {clips.shape}; expected {NPZ_LAYOUT}.")
    if dims.shape not in ((1, 3), (2, 3)):
        raise ValueError(f"{path}: 'dims' has shape {dims.shape}; expected {NPZ_LAYOUT}.")
    for name, frames, frame_dims in (("input_raw_data", raw, dims[0]), ("output_raw_data", future_raw, dims[-1])):
        if frames.ndim != 4 or tuple(frames.shape[1:]) != tuple(int(d) for d in frame_dims):
            raise ValueError(
                f"{path}: '{name}' has shape {frames.shape}, 'dims' says frames of {tuple(frame_dims)}; "
                f"expected {NPZ_LAYOUT}."
            )
    for row, frames in ((0, raw), (1, future_raw)):
        lengths = clips[row, :, 1]
        if lengths.size and (lengths.min() != lengths.max() or lengths.min() < 0):
            raise ValueError(f"{path}: clips of different lengths {sorted(set(lengths.tolist()))[:5]}; "
                             f"expected {NPZ_LAYOUT} with one input and one output length.")
        if lengths.size and (clips[row, :, 0].min() < 0 or (clips[row, :, 0] + lengths).max() > len(frames)):
            raise ValueError(f"{path}: 'clips' points past the {len(frames)} stored frames; expected {NPZ_LAYOUT}.")


def _unit_frames(path, frames):
    if frames.dtype == np.uint8:
        return frames.astype(np.float32) / np.float32(255.0)
    frames = frames.astype(np.float32)
    if frames.size and (frames.min() < 0.0 or frames.max() > 1.0):
        raise ValueError(f"{path}: pixel values outside [0, 1]; expected {NPZ_LAYOUT}.")
    return frames


def load_moving_mnist_npz(path, indices=None):
    """Reads the PredRNN / E3D-LSTM .npz layout (``clips``, ``dims``, ``input_raw_data``).

    Args:
        path: the .npz file (e.g. moving-mnist-test.npz).
        indices: None (every clip), an int, a slice or a list of clip indices.

    Returns:
        (N, T, H, W, C) float32 in [0, 1]: each clip's input frames followed by its
        output frames, channels last ((T, H, W, C) for an int index).
    """
    path = _existing(path)
    archive = _npz_arrays(path)
    clips, dims, raw = archive["clips"], np.asarray(archive["dims"]), archive["input_raw_data"]
    # As the official InputHandle: output frames come from output_raw_data when
    # 'dims' has two rows, else from input_raw_data.
    future_raw = archive["output_raw_data"] if dims.shape == (2, 3) and "output_raw_data" in archive.files else raw
    if dims.shape == (2, 3) and "output_raw_data" not in archive.files:
        raise ValueError(f"{path}: 'dims' has two rows but there is no 'output_raw_data'; expected {NPZ_LAYOUT}.")
    _check_npz(path, clips, dims, raw, future_raw)
    chosen = np.arange(clips.shape[1])
    chosen = chosen[indices] if indices is not None else chosen
    parts = []
    for row, frames in ((0, raw), (1, future_raw)):
        starts, length = clips[row, np.atleast_1d(chosen), 0], int(clips[row, 0, 1]) if clips.shape[1] else 0
        gathered = frames[starts[:, None] + np.arange(length)]  # (n, length, C, H, W)
        parts.append(_unit_frames(path, gathered))
    sequences = np.transpose(np.concatenate(parts, axis=1), (0, 1, 3, 4, 2))
    return sequences[0] if np.ndim(chosen) == 0 else sequences


def load_moving_mnist_file(path, indices=None):
    """Either standard file, by its suffix: .npy (Srivastava) or .npz (PredRNN / E3D).

    Returns:
        (N, T, H, W, C) float32 in [0, 1]; see `load_moving_mnist_npy` and
        `load_moving_mnist_npz` for `indices`.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".npy":
        return load_moving_mnist_npy(path, indices)
    if suffix == ".npz":
        return load_moving_mnist_npz(path, indices)
    raise ValueError(f"{path}: unknown Moving MNIST file type; expected a .npy ({NPY_LAYOUT}) or a .npz ({NPZ_LAYOUT}).")


def write_moving_mnist_npy(path, sequences):
    """Writes sequences in Srivastava's layout: uint8 (T, N, H, W), time first.

    Args:
        path: the .npy file to write (replaced atomically: a temporary file, then a rename).
        sequences: (N, T, H, W) or (N, T, H, W, 1), uint8 or float in [0, 1].

    Returns:
        The path.
    """
    sequences = np.asarray(sequences)
    if sequences.ndim == 5 and sequences.shape[-1] == 1:
        sequences = sequences[..., 0]
    if sequences.ndim != 4:
        raise ValueError(f"`sequences` must have shape (N, T, H, W[, 1]); got {sequences.shape}.")
    n, t, h, w = sequences.shape
    with npy_file_writer(path, n, t, h, w) as out:
        out[:] = np.moveaxis(as_uint8(sequences), 0, 1)
    return Path(path)


def as_uint8(frames):
    """uint8 frames unchanged; floats in [0, 1] scaled to 0-255 and rounded."""
    frames = np.asarray(frames)
    if frames.dtype == np.uint8:
        return frames
    return np.round(np.clip(frames, 0.0, 1.0) * 255.0).astype(np.uint8)


@contextlib.contextmanager
def npy_file_writer(path, num_sequences, num_frames, height, width):
    """Yields a writable uint8 memmap (T, N, H, W) of a new Srivastava-layout .npy file.

    Fill it (e.g. a batch of sequences at a time, `out[:, i:j] = ...`); the file
    appears at `path` only when the block exits without error (written to a
    temporary name, then renamed), so a set too large for memory is never half-written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".npy")
    os.close(fd)
    os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a data file is for everyone to read
    try:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8,
                                        shape=(num_frames, num_sequences, height, width))
        yield out
        out.flush()
        del out
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
