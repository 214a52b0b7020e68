"""MNIST digit sources for the generated video datasets (Moving MNIST, the copy test).

The digits come from one of:

- an array the caller already has, shape (N, 28, 28) (or (N, 28, 28, 1)), uint8 in
  [0, 255] or float in [0, 1] (floats whose maximum exceeds 1 are read as [0, 255]);
- IDX files (the format MNIST is published in, gzip-compressed or raw), given as one
  file or as a folder holding ``t10k-images-idx3-ubyte[.gz]`` / ``train-images-idx3-ubyte[.gz]``;
- ``"keras"``: ``keras.datasets.mnist.load_data()``, which downloads MNIST once into
  ``~/.keras/datasets``.

The project's fixed digit split (used for every generated train/test set) is defined
on the 10,000 digits of the MNIST *test* file (t10k): indices 0-7999 feed training
sequences and indices 8000-9999 feed validation/test sequences, so a test sequence
never shows a digit image seen in training (`split_digits`).

A small sample of real digits ships with the package for tests and demos
(`load_sample_digits`): 64 digits from indices 0-7999 and 64 from 8000-9999 of the
t10k file. MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges and is
distributed under CC BY-SA 3.0; credit it in anything trained on these digits.
"""

import gzip
import os
import pathlib

import numpy as np

DIGIT_SIZE = 28
# The fixed split of the 10,000 t10k digits: [start, stop) index ranges.
TRAIN_DIGIT_RANGE = (0, 8000)
TEST_DIGIT_RANGE = (8000, 10000)
SPLIT_RANGES = {"train": TRAIN_DIGIT_RANGE, "test": TEST_DIGIT_RANGE}

_IDX_MAGIC = {2051: 3, 2049: 1}  # images (count, rows, cols), labels (count,)
_SAMPLE_PATH = pathlib.Path(__file__).resolve().parent / "data" / "mnist_sample.npz"
_FILE_PREFIXES = {"t10k": "t10k", "test": "t10k", "train": "train"}


def _read_bytes(path):
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            return f.read()
    except (OSError, EOFError) as err:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{path}: cannot read IDX file ({err})") from err


def load_idx(path):
    """Reads one MNIST IDX file (images, magic 2051, or labels, magic 2049).

    Args:
        path: the file, gzip-compressed when its name ends in ``.gz``, raw otherwise.

    Returns:
        uint8 array: (count, rows, cols) for an images file, (count,) for a labels file.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError (naming the file): unknown magic number, or fewer bytes than the
            header's dimensions announce (a truncated download).

    Example:
        >>> images = load_idx("t10k-images-idx3-ubyte.gz")  # (10000, 28, 28) uint8
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    data = _read_bytes(path)
    if len(data) < 8:
        raise ValueError(f"{path}: truncated IDX file ({len(data)} bytes, header needs at least 8)")
    magic = int.from_bytes(data[:4], "big")
    if magic not in _IDX_MAGIC:
        raise ValueError(
            f"{path}: not an MNIST IDX file (magic number {magic}, expected 2051 for images "
            "or 2049 for labels)"
        )
    ndim = _IDX_MAGIC[magic]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(data)} bytes, expected {header})")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims))
    if len(data) - header != expected:
        raise ValueError(
            f"{path}: IDX header announces shape {dims} ({expected} bytes of data) but the "
            f"file holds {len(data) - header} bytes after the header (truncated or corrupt)"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims).copy()


def _images_file_in(folder, which):
    prefix = _FILE_PREFIXES.get(which)
    if prefix is None:
        raise ValueError(f"`which` must be 't10k' (or 'test') or 'train', got {which!r}")
    found = sorted(folder.glob(f"{prefix}-images*idx3-ubyte*"))
    if not found:
        raise FileNotFoundError(
            f"no {prefix}-images-idx3-ubyte[.gz] file in {folder} (expected the MNIST IDX files)"
        )
    return found[0]


def as_digit_array(array, name="digits"):
    """Validates a digit array and returns it as uint8 (N, H, W) (floats in [0, 1] are scaled by 255)."""
    array = np.asarray(array)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 3 or array.shape[0] < 1:
        raise ValueError(
            f"`{name}` must have shape (N, height, width) or (N, height, width, 1) with N >= 1, "
            f"got shape {array.shape}"
        )
    if array.dtype == np.uint8:
        return array
    if not np.issubdtype(array.dtype, np.floating) and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"`{name}` must be uint8 or float, got dtype {array.dtype}")
    is_float = np.issubdtype(array.dtype, np.floating)
    array = array.astype(np.float32)
    if is_float and array.max(initial=0.0) <= 1.0:  # float digits in [0, 1]
        array = array * 255.0
    return np.clip(np.rint(array), 0, 255).astype(np.uint8)


def load_digits(source="keras", which="t10k"):
    """MNIST digit images as uint8 (N, 28, 28).

    Args:
        source: an array of digits ((N, H, W) or (N, H, W, 1), uint8 in [0, 255] or
            float in [0, 1]); a path to an IDX images file or to a folder holding the
            MNIST IDX files (e.g. ``../shared/data/mnist``); or ``"keras"`` for
            ``keras.datasets.mnist`` (downloads on first use).
        which: for a folder or ``"keras"``: ``"t10k"`` (alias ``"test"``, the 10,000
            test digits the project's fixed split is defined on, see `split_digits`) or
            ``"train"`` (the 60,000 training digits).

    Returns:
        uint8 array (N, H, W) (H = W = 28 for MNIST).

    Example:
        >>> digits = load_digits("../shared/data/mnist")   # (10000, 28, 28)
        >>> train_pool = split_digits(digits, "train")      # (8000, 28, 28)
    """
    if isinstance(source, str) and source == "keras":
        if _FILE_PREFIXES.get(which) is None:
            raise ValueError(f"`which` must be 't10k' (or 'test') or 'train', got {which!r}")
        import keras

        (x_train, _), (x_test, _) = keras.datasets.mnist.load_data()
        return as_digit_array(x_train if _FILE_PREFIXES[which] == "train" else x_test)
    if isinstance(source, (str, os.PathLike)):
        path = pathlib.Path(source)
        if path.is_dir():
            path = _images_file_in(path, which)
        images = load_idx(path)
        if images.ndim != 3:
            raise ValueError(f"{path}: an IDX labels file (magic 2049), expected images (2051)")
        return images
    return as_digit_array(source)


def split_digits(digits, split):
    """The project's fixed train/test split of the 10,000 MNIST test (t10k) digits.

    Args:
        digits: the 10,000 t10k digits in file order, (10000, H, W).
        split: ``"train"`` -> indices 0-7999, ``"test"`` -> indices 8000-9999.

    Returns:
        A view of `digits`: (8000, H, W) or (2000, H, W).
    """
    if split not in SPLIT_RANGES:
        raise ValueError(f"`split` must be 'train' or 'test', got {split!r}")
    digits = np.asarray(digits)
    if digits.ndim < 1 or digits.shape[0] != TEST_DIGIT_RANGE[1]:
        raise ValueError(
            "split_digits expects the 10,000 MNIST t10k digits in file order, shape "
            f"(10000, 28, 28); got shape {digits.shape}"
        )
    start, stop = SPLIT_RANGES[split]
    return digits[start:stop]


def load_sample_digits(split="train", return_labels=False):
    """The real MNIST digits shipped with the package (64 per split).

    Taken from the t10k file: the ``"train"`` sample from indices 0-7999, the ``"test"``
    sample from indices 8000-9999, so they follow the project's fixed split. MNIST
    (LeCun, Cortes, Burges), CC BY-SA 3.0.

    Args:
        split: ``"train"`` or ``"test"``.
        return_labels: also return the digit labels and the t10k indices.

    Returns:
        uint8 (64, 28, 28), or (digits, labels, indices) when `return_labels`.
    """
    if split not in SPLIT_RANGES:
        raise ValueError(f"`split` must be 'train' or 'test', got {split!r}")
    with np.load(_SAMPLE_PATH) as sample:
        digits = sample[f"{split}_digits"]
        if return_labels:
            return digits, sample[f"{split}_labels"], sample[f"{split}_indices"]
    return digits
