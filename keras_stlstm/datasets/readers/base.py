"""Shared tf.data plumbing of the dataset readers.

Every reader is a list of *items* (a clip, a video, a window) and a NumPy loader
that turns one item into a small batch of examples (usually one; a KTH video gives
all its windows; a skipped bad file gives none). `DatasetReader.dataset()` runs the
loader in parallel inside `tf.data` through `tf.numpy_function` (OpenCV releases
the GIL while decoding, so the threads decode in parallel) and unbatches.

Randomness (temporal jitter, crops) comes from a per-item seed drawn from
`tf.data.Dataset.random(seed)`, so parallel calls share no generator state and a
fixed `seed` gives the same epochs in the same order.
"""

import logging
import math
import os
import threading

import cv2
import numpy as np

from keras_stlstm.datasets.sampling import (
    SHORT_CLIP_MODES,
    center_crop,
    normalize_size,
    random_crop,
    resize_frames,
    resize_short_side,
    sample_indices,
)
from keras_stlstm.datasets.video_io import read_frames

logger = logging.getLogger("keras_stlstm.datasets")

ON_ERROR_MODES = ("raise", "skip")
# What a bad file raises: missing (OSError), undecodable (VideoReadError is a
# ValueError), or OpenCV failing on a malformed frame. Anything else is a bug and
# is never skipped.
DATA_ERRORS = (OSError, ValueError, cv2.error)


class ReaderStats:
    """Bad items met by a reader with `on_error="skip"` (thread-safe).

    Attributes:
        bad_files: dict path -> reason, in the order they were met.
        skipped: number of distinct bad items skipped.
        skip_events: skips in total (a bad file is skipped again every epoch).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.bad_files = {}
        self.skip_events = 0

    @property
    def skipped(self):
        return len(self.bad_files)

    def record(self, path, error):
        with self._lock:
            self.skip_events += 1
            first = path not in self.bad_files
            self.bad_files[path] = f"{type(error).__name__}: {error}"
            count = len(self.bad_files)
        if first:
            logger.warning("skipped bad item %s (%s); %d skipped so far", path, error, count)

    def reset(self):
        with self._lock:
            self.bad_files = {}
            self.skip_events = 0

    def __repr__(self):
        return f"ReaderStats(skipped={self.skipped}, skip_events={self.skip_events})"


def check_choice(value, choices, name):
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_file(path, what):
    """Raise FileNotFoundError naming `what` and `path` unless it is a file."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} not found: {path}")
    return os.fspath(path)


def _tf():
    # TensorFlow is imported on first use so `keras_stlstm.datasets` imports
    # without it (e.g. under the JAX backend, for the NumPy parts).
    import tensorflow as tf

    return tf


def _seed_rng(seed):
    # tf.data random values are int64 and may be negative.
    return np.random.default_rng(int(seed) % (1 << 63))


class DatasetReader:
    """Base class: items + a NumPy loader -> parallel `tf.data.Dataset`.

    Subclasses define `__len__`, `item_name(i)` (for messages), `load_item(i, rng)`
    returning a tuple of arrays with a leading examples axis, and `element_spec_np()`
    returning [(dtype, per-example shape), ...]. `postprocess(*tensors)` (tf ops,
    after unbatching) is optional.

    Args:
        on_error: "raise" (default): a bad item stops the pipeline with an error
            naming the file; "skip": it is dropped, logged once and counted in `stats`.
        seed: int seed of shuffling and augmentation, or None.
        training: shuffle and augment (jitter, random crops) by default.
    """

    def __init__(self, on_error="raise", seed=None, training=False):
        self.on_error = check_choice(on_error, ON_ERROR_MODES, "on_error")
        self.seed = seed
        self.training = bool(training)
        self.stats = ReaderStats()

    # -- to implement -------------------------------------------------------------
    def __len__(self):
        raise NotImplementedError

    def item_name(self, index):
        raise NotImplementedError

    def load_item(self, index, rng):
        raise NotImplementedError

    def element_spec_np(self):
        raise NotImplementedError

    def postprocess(self, *tensors):
        return tensors

    # -- shared --------------------------------------------------------------------
    def _empty(self):
        return tuple(np.zeros((0,) + tuple(shape), dtype) for dtype, shape in self.element_spec_np())

    def _load_or_skip(self, index, seed):
        index = int(index)
        try:
            return tuple(self.load_item(index, _seed_rng(seed)))
        except DATA_ERRORS as error:
            if self.on_error == "raise":
                raise
            self.stats.record(self.item_name(index), error)
            return self._empty()

    def _tf_load(self, index, seed):
        tf = _tf()
        spec = self.element_spec_np()
        outputs = tf.numpy_function(
            self._load_or_skip, [index, seed], [tf.as_dtype(d) for d, _ in spec]
        )
        for tensor, (_, shape) in zip(outputs, spec):
            tensor.set_shape((None,) + tuple(shape))
        return tuple(outputs)

    def dataset(
        self,
        batch_size=None,
        shuffle=None,
        shuffle_buffer=None,
        drop_remainder=False,
        num_parallel_calls=None,
    ):
        """The reader as a `tf.data.Dataset` of example tuples (e.g. `(clip, label)`).

        Args:
            batch_size: batch the examples (None: unbatched).
            shuffle: shuffle the items each epoch (default: `training`).
            shuffle_buffer: also shuffle the examples in a buffer of this size
                (readers giving several examples per item set a default).
            drop_remainder: drop the last smaller batch.
            num_parallel_calls: parallel decoding calls (None: tf.data.AUTOTUNE).

        Returns:
            A `tf.data.Dataset`, with attributes `class_names`, `stats` and `reader`;
            its length (`cardinality()`, the steps `fit` shows) is known for
            one-example-per-clip readers with on_error="raise".
        """
        tf = _tf()
        if num_parallel_calls is None:
            num_parallel_calls = tf.data.AUTOTUNE
        shuffle = self.training if shuffle is None else bool(shuffle)
        n = len(self)
        items = tf.data.Dataset.range(n)
        if shuffle:
            items = items.shuffle(max(n, 1), seed=self.seed, reshuffle_each_iteration=True)
        seeds = tf.data.Dataset.random(seed=self.seed, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip((items, seeds))
        ds = ds.map(self._tf_load, num_parallel_calls=num_parallel_calls).unbatch()
        ds = ds.map(self.postprocess, num_parallel_calls=num_parallel_calls)
        per_item = self.examples_per_item()
        if per_item is not None and self.on_error == "raise":
            # unbatch() hides the length; stating it lets fit show N/N steps and end an epoch
            # without a "ran out of data" warning. (Skipping bad items would make it uncertain.)
            ds = ds.apply(tf.data.experimental.assert_cardinality(n * per_item))
        buffer = shuffle_buffer if shuffle_buffer is not None else self.default_shuffle_buffer()
        if shuffle and buffer and buffer > 1:
            ds = ds.shuffle(buffer, seed=self.seed, reshuffle_each_iteration=True)
        if batch_size is not None:
            ds = ds.batch(batch_size, drop_remainder=drop_remainder)
        ds = ds.prefetch(tf.data.AUTOTUNE)
        ds.class_names = getattr(self, "class_names", None)
        ds.stats = self.stats
        ds.reader = self
        return ds

    def default_shuffle_buffer(self):
        return 0

    def examples_per_item(self):
        """Examples every item gives, when fixed (then `dataset()` has a known length); None otherwise."""
        return None


class ClipReader(DatasetReader):
    """(clip, label) classification reader over `items` = [(path, label), ...].

    A path is a video file or a folder of numbered frames. Each clip is sampled to
    `num_frames` frames (uniform segments; jittered when training, segment centres
    otherwise), resized and cropped.

    Args:
        items: list of (path, int label); label -1 marks an unlabelled clip.
        class_names: sequence of class names (index = label).
        num_frames: L, frames per clip.
        size: output crop, int or (height, width).
        resize: None: resize each frame straight to `size`; int: resize the shorter
            side to this, then crop `size` (random crop when training, centre crop
            otherwise); (height, width): resize to that, then crop.
        channels: 3 (RGB) or 1 (grayscale).
        fraction: keep only the first `fraction` of each clip's frames before
            sampling (early recognition: 0.25 or 0.5), in (0, 1].
        short: "repeat" or "loop": how clips shorter than L are filled.
        dtype: "float32" (values in [0, 1]) or "uint8".
        training, on_error, seed: see `DatasetReader`.
    """

    def __init__(
        self,
        items,
        class_names,
        num_frames=16,
        size=112,
        resize=None,
        channels=3,
        fraction=1.0,
        short="repeat",
        dtype="float32",
        training=False,
        on_error="raise",
        seed=None,
    ):
        super().__init__(on_error=on_error, seed=seed, training=training)
        self.items = list(items)
        self.class_names = tuple(class_names)
        if isinstance(num_frames, bool) or not isinstance(num_frames, int) or num_frames < 1:
            raise ValueError(f"num_frames must be a positive int, got {num_frames!r}")
        self.num_frames = num_frames
        self.size = normalize_size(size)
        if resize is not None and not isinstance(resize, int):
            resize = normalize_size(resize, "resize")
        self.resize = resize
        self.channels = check_choice(channels, (1, 3), "channels")
        if not 0.0 < float(fraction) <= 1.0:
            raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
        self.fraction = float(fraction)
        self.short = check_choice(short, SHORT_CLIP_MODES, "short")
        self.dtype = check_choice(dtype, ("float32", "uint8"), "dtype")

    @property
    def labels(self):
        """int labels of the items, in order."""
        return [label for _, label in self.items]

    def __len__(self):
        return len(self.items)

    def item_name(self, index):
        return self.items[index][0]

    def element_spec_np(self):
        shape = (self.num_frames,) + self.size + (self.channels,)
        return [(self.dtype, shape), ("int32", ())]

    def default_shuffle_buffer(self):
        return 0  # one example per item: shuffling the items is enough.

    def examples_per_item(self):
        return 1

    def _select(self, rng):
        def select(num_frames):
            kept = max(1, math.ceil(num_frames * self.fraction))
            return sample_indices(kept, self.num_frames, self.training, rng, self.short)

        return select

    def _spatial(self, frames, rng):
        if self.resize is None:
            return resize_frames(frames, self.size)
        if isinstance(self.resize, int):
            frames = resize_short_side(frames, self.resize)
        else:
            frames = resize_frames(frames, self.resize)
        return random_crop(frames, self.size, rng) if self.training else center_crop(frames, self.size)

    def load(self, index, rng=None):
        """Load one clip eagerly: (clip (L, h, w, C), label). Errors propagate as raised."""
        path, label = self.items[index]
        frames = read_frames(path, select=self._select(rng), grayscale=self.channels == 1)
        clip = self._spatial(frames, rng)
        if self.dtype == "float32":
            clip = clip.astype(np.float32) / np.float32(255.0)
        return clip, np.int32(label)

    def load_item(self, index, rng):
        clip, label = self.load(index, rng)
        return clip[None], np.asarray([label], np.int32)


def label_lookup(class_names):
    """Case- and space-insensitive map of class name -> index."""
    return {" ".join(name.split()).casefold(): i for i, name in enumerate(class_names)}


def unknown_label_error(source, line, label, class_names):
    examples = ", ".join(repr(c) for c in list(class_names)[:3])
    return ValueError(
        f"{source}, line {line}: unknown label {label!r} (expected one of the "
        f"{len(class_names)} class names, e.g. {examples})"
    )


def read_class_names(path):
    """Class names from a text file, one per line (e.g. jester-v1-labels.csv)."""
    check_file(path, "class-name file")
    with open(path, encoding="utf-8") as f:
        names = [line.strip() for line in f if line.strip()]
    if not names:
        raise ValueError(f"{path}: no class names (expected one name per line)")
    return tuple(names)
