"""MNIST digit sources: IDX reading, the fixed split, the packaged sample."""

import gzip
import pathlib

import numpy as np
import pytest

from keras_stlstm.datasets import mnist

SHARED_MNIST = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist"


def _idx_bytes(array, magic):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def images():
    return np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5) * 3


def test_load_idx_raw_and_gzip(tmp_path, images):
    raw = tmp_path / "t10k-images-idx3-ubyte"
    raw.write_bytes(_idx_bytes(images, 2051))
    packed = tmp_path / "imgs.gz"
    packed.write_bytes(gzip.compress(_idx_bytes(images, 2051)))
    labels = tmp_path / "labels.gz"
    labels.write_bytes(gzip.compress(_idx_bytes(np.array([7, 0, 9]), 2049)))
    np.testing.assert_array_equal(mnist.load_idx(raw), images)
    np.testing.assert_array_equal(mnist.load_idx(packed), images)
    assert mnist.load_idx(labels).tolist() == [7, 0, 9]
    assert mnist.load_idx(raw).dtype == np.uint8
    # A folder is searched for the t10k images file.
    np.testing.assert_array_equal(mnist.load_digits(tmp_path), images)


def test_bad_idx_files_name_the_file(tmp_path, images):
    data = _idx_bytes(images, 2051)
    truncated = tmp_path / "short-idx3-ubyte"
    truncated.write_bytes(data[:-7])
    with pytest.raises(ValueError, match="short-idx3-ubyte.*truncated"):
        mnist.load_idx(truncated)
    cut_gzip = tmp_path / "cut.gz"
    cut_gzip.write_bytes(gzip.compress(data)[:30])
    with pytest.raises(ValueError, match="cut.gz"):
        mnist.load_idx(cut_gzip)
    bad_magic = tmp_path / "magic"
    bad_magic.write_bytes(_idx_bytes(images, 2052))
    with pytest.raises(ValueError, match="magic.*2052"):
        mnist.load_idx(bad_magic)
    with pytest.raises(FileNotFoundError):
        mnist.load_idx(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="t10k-images"):
        mnist.load_digits(empty)


def test_load_digits_from_arrays():
    floats = np.zeros((2, 28, 28, 1), np.float32)
    floats[0, 3, 4] = 1.0
    floats[1, 5, 6] = 0.5
    digits = mnist.load_digits(floats)
    assert digits.shape == (2, 28, 28) and digits.dtype == np.uint8
    assert digits[0, 3, 4] == 255 and digits[1, 5, 6] == 128 and digits.sum() == 255 + 128
    as_uint8 = np.full((1, 28, 28), 200, np.uint8)
    assert mnist.load_digits(as_uint8) is as_uint8
    with pytest.raises(ValueError, match="shape"):
        mnist.load_digits(np.zeros((28, 28)))


def test_split_digits_is_the_fixed_split():
    ids = np.arange(10000)
    assert mnist.split_digits(ids, "train").tolist() == list(range(8000))
    assert mnist.split_digits(ids, "test").tolist() == list(range(8000, 10000))
    with pytest.raises(ValueError, match="10,000"):
        mnist.split_digits(ids[:9000], "train")
    with pytest.raises(ValueError, match="split"):
        mnist.split_digits(ids, "val")


def test_packaged_sample_follows_the_split():
    train, train_labels, train_idx = mnist.load_sample_digits("train", return_labels=True)
    test, test_labels, test_idx = mnist.load_sample_digits("test", return_labels=True)
    assert train.shape == test.shape == (64, 28, 28) and train.dtype == np.uint8
    assert train_idx.max() < 8000 and test_idx.min() >= 8000 and test_idx.max() < 10000
    assert set(train_labels.tolist()) == set(range(10)) and test_labels.max() <= 9
    # Real handwriting: ink covers a few to ~30% of the pixels, full intensity reached.
    ink = (np.concatenate([train, test]) > 127).mean(axis=(1, 2))
    assert ink.min() > 0.02 and ink.max() < 0.4 and train.max() == 255
    # No digit image is shared between the two pools.
    flat_train = {d.tobytes() for d in train}
    assert not any(d.tobytes() in flat_train for d in test)


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="../shared/data/mnist not present")
def test_shared_mnist_copy_matches_sample():
    digits = mnist.load_digits(SHARED_MNIST)
    labels = mnist.load_idx(SHARED_MNIST / "t10k-labels-idx1-ubyte.gz")
    assert digits.shape == (10000, 28, 28) and labels.shape == (10000,)
    for split in ("train", "test"):
        sample, sample_labels, indices = mnist.load_sample_digits(split, return_labels=True)
        np.testing.assert_array_equal(digits[indices], sample)
        np.testing.assert_array_equal(labels[indices], sample_labels)
    assert len(mnist.split_digits(digits, "test")) == 2000
