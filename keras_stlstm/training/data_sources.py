"""Data sources of the training entry point, by name.

Every source is turned into an *indexed stream*: `load_batch(first, count)` gives
the examples at stream positions first .. first + count - 1, and position q
depends only on (source options, split, seed, q). Batch j of a run is positions
j*B .. (j+1)*B - 1, so a run resumed at epoch e simply starts the stream at batch
e * steps_per_epoch and sees exactly the batches an uninterrupted run would have
seen (tf.data iterators, by contrast, restart from scratch in a new process).

Sources (the dataset modules are imported only when a source is used):

- "moving_mnist": `keras_stlstm.datasets.moving_mnist` sequences; digits from
  `digits` (an IDX file or folder, "keras", or "sample" for the 64 digits shipped
  with the package), split "train" = t10k digits 0-7999, "test" = 8000-9999.
  Yields full sequences (kind "sequences").
- "synthetic_gestures": `keras_stlstm.datasets.synthetic_gestures` clips and
  labels, splits "train", "validation", "test" (kind "labelled_clips").
  `render_frames` (frames of the whole rendered gesture, default the model's)
  and `fraction` (keep the front of each clip, e.g. 0.5, resampled to the
  model's frames) make early-recognition data.
- "folder": a folder-per-class tree read by
  `keras_stlstm.datasets.readers.folder.VideoFolderReader` (kind
  "labelled_clips"); split "train" reads `root`, any other split reads
  `validation_root`. Stream positions walk through per-epoch permutations.
"""

import dataclasses
import importlib.util
import math
from typing import Callable, Optional

import keras
import numpy as np

COMMON_KEYS = {"source": None, "split": "train", "validation_split": None, "validation_steps": 0, "parallel": True}


@dataclasses.dataclass
class Stream:
    """An indexed, deterministic stream of examples.

    Attributes:
        load_batch: (first position, count) -> tuple of NumPy arrays, each with
            `count` examples on axis 0.
        spec: [(dtype, per-example shape)] of those arrays.
        kind: "sequences" (frames only) or "labelled_clips" ((clip, label)).
        num_examples: size of one pass over a finite source, None if endless.
    """

    load_batch: Callable
    spec: list
    kind: str
    num_examples: Optional[int] = None


@dataclasses.dataclass
class SourceInfo:
    """A registered source: builder, option defaults, kind of data, default validation split."""

    build: Callable
    options: dict
    kind: str
    validation_split: Optional[str]
    splits: Optional[tuple] = None


def _frames_shape(input_shape, options):
    """(T, H, W, C) of the clips a model takes; options may fill unknown axes."""
    frames, height, width, channels = input_shape
    frames = options.get("num_frames") or frames
    if frames is None:
        raise ValueError(
            "The model takes clips of any length; set `num_frames` in [data] to the "
            "number of frames per training clip."
        )
    return int(frames), int(height), int(width), int(channels)


def _load_moving_mnist_digits(digits, split):
    from keras_stlstm.datasets.mnist import load_digits, load_sample_digits, split_digits

    if digits == "sample":
        return load_sample_digits(split)
    return split_digits(load_digits(digits, "t10k"), split)


def build_moving_mnist(options, split, seed, input_shape):
    from keras_stlstm.datasets.moving_mnist import (
        MOVING_MNIST_TEST_SEED, check_sizes, check_trajectory, generate_moving_mnist)

    check_trajectory(options["trajectory"])

    frames, height, width, channels = _frames_shape(input_shape, {})
    if height != width or channels != 1:
        raise ValueError(
            "source='moving_mnist' makes square single-channel frames; the model takes "
            f"frames of {height}x{width}x{channels}. Build it with image_size={height} and channels=1."
        )
    digits = _load_moving_mnist_digits(options["digits"], split)
    try:  # now, not inside fit where the batches are made
        check_sizes(digits, frames, options["num_digits"], height)
    except ValueError as error:
        raise ValueError(f"source='moving_mnist' with the model's frames of {height}x{width}: {error}.") from None
    # The fixed test set uses its own seed (see moving_mnist.MOVING_MNIST_TEST_SEED).
    split_seed = MOVING_MNIST_TEST_SEED if split == "test" else seed

    def load_batch(first, count):
        sequences = generate_moving_mnist(
            digits, count, split_seed, start=first, num_frames=frames, num_digits=options["num_digits"],
            image_size=height, step_length=options["step_length"], trajectory=options["trajectory"],
        )
        return (sequences,)

    return Stream(load_batch, [("float32", (frames, height, width, 1))], "sequences")


def build_synthetic_gestures(options, split, seed, input_shape):
    from keras_stlstm.datasets.synthetic_gestures import synthetic_gestures

    frames, height, width, channels = _frames_shape(input_shape, options)
    if height != width or channels != 3:
        raise ValueError(
            "source='synthetic_gestures' renders square RGB clips; the model takes frames of "
            f"{height}x{width}x{channels}."
        )
    classes, fraction = options["classes"], options["fraction"]
    # Early recognition: render the whole gesture (`render_frames`), keep its front
    # `fraction` and resample that to the model's frames.
    render_frames = options["render_frames"] or frames

    def load_batch(first, count):
        clips, labels = synthetic_gestures(
            count, seed, split, start=first, classes=classes, num_frames=render_frames, image_size=height,
            dtype="float32",
        )
        if fraction is not None or render_frames != frames:
            from keras_stlstm.models.early_activity.clips import early_fraction_clip

            clips = early_fraction_clip(clips, fraction or 1.0, frames=frames, time_axis=1)
        return clips, labels

    spec = [("float32", (frames, height, width, 3)), ("int32", ())]
    return Stream(load_batch, spec, "labelled_clips")


def build_folder(options, split, seed, input_shape):
    from keras_stlstm.datasets.readers.folder import VideoFolderReader

    frames, height, width, channels = _frames_shape(input_shape, options)
    root = options["root"] if split == "train" else options["validation_root"]
    if root is None:
        raise ValueError(
            f"source='folder' needs `{'root' if split == 'train' else 'validation_root'}` in [data] "
            f"(the folder of class folders) for split {split!r}."
        )
    training = split == "train"
    reader = VideoFolderReader(
        root, num_frames=frames, size=(height, width), channels=channels, training=training,
        **{k: options[k] for k in ("resize", "fraction", "short") if options[k] is not None},
    )
    n = len(reader)

    def item_at(position):
        data_epoch, k = divmod(position, n)
        if not training:
            return k
        order = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, data_epoch))).permutation(n)
        return int(order[k])

    def load_batch(first, count):
        clips, labels = [], []
        for position in range(first, first + count):
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, position)))
            clip, label = reader.load(item_at(position), rng)
            clips.append(clip)
            labels.append(label)
        return np.stack(clips).astype("float32"), np.asarray(labels, "int32")

    spec = [("float32", (frames, height, width, channels)), ("int32", ())]
    stream = Stream(load_batch, spec, "labelled_clips", num_examples=n)
    stream.class_names = reader.class_names
    return stream


SOURCES = {
    "moving_mnist": SourceInfo(
        build_moving_mnist,
        {"digits": "keras", "num_digits": 2, "step_length": 0.1, "trajectory": "srivastava"},
        "sequences",
        "test",
        ("train", "test"),
    ),
    "synthetic_gestures": SourceInfo(
        build_synthetic_gestures,
        {"classes": None, "num_frames": None, "render_frames": None, "fraction": None},
        "labelled_clips",
        "validation",
        ("train", "validation", "test"),
    ),
    "folder": SourceInfo(
        build_folder,
        {"root": None, "validation_root": None, "num_frames": None, "resize": None, "fraction": None, "short": None},
        "labelled_clips",
        None,
    ),
}


def class_names(options):
    """The class names a labelled source gives, in label order; None when unknown.

    "folder": the sorted class folders of `root`; "synthetic_gestures": the
    Jester names of `classes` (all 27 by default).
    """
    if options["source"] == "folder":
        from keras_stlstm.datasets.readers.folder import list_video_folder

        return list(list_video_folder(options["root"])[1])
    if options["source"] == "synthetic_gestures":
        from keras_stlstm.datasets import JESTER_CLASSES

        ids = options.get("classes")
        return list(JESTER_CLASSES) if ids is None else [JESTER_CLASSES[i] for i in ids]
    return None


def source_names():
    return sorted(SOURCES)


def build_stream(data_options, split, seed, input_shape):
    """The `Stream` of `split` for the validated [data] options of a recipe."""
    info = SOURCES[data_options["source"]]
    if info.splits is not None and split not in info.splits:
        raise ValueError(
            f"source={data_options['source']!r} has splits {list(info.splits)}; received split {split!r}."
        )
    return info.build(data_options, split, seed, tuple(input_shape))


def stream_dataset(stream, batch_size, start_batch=0, num_batches=None, parallel=True, target_fn=None, shard=None):
    """A tf.data.Dataset of batches `start_batch`, `start_batch + 1`, ... of `stream`.

    Args:
        stream: a `Stream`.
        batch_size: examples per batch.
        start_batch: index of the first batch (resume point).
        num_batches: how many batches (None: endless).
        parallel: generate batches in parallel threads (order and content unchanged).
        target_fn: maps the tuple of batch tensors to what `fit` takes, e.g.
            `(x, y)`.
        shard: (offset, count): only examples offset .. offset + count - 1 of
            every batch (one process's slice of a global batch in a
            multi-process job); None for whole batches.

    Returns:
        tf.data.Dataset of batches of `count` (with `shard`) or `batch_size` examples;
        where TensorFlow is not installed (a JAX or PyTorch machine), a
        `StreamBatches` PyDataset of the same batches.
    """
    if importlib.util.find_spec("tensorflow") is None:
        return StreamBatches(stream, batch_size, start_batch, num_batches, parallel, target_fn, shard)
    import tensorflow as tf

    stop = np.iinfo(np.int64).max if num_batches is None else start_batch + num_batches
    batches = tf.data.Dataset.range(start_batch, stop)
    dtypes = [tf.as_dtype(d) for d, _ in stream.spec]

    offset, count = shard or (0, batch_size)

    def load(index):
        arrays = stream.load_batch(int(index) * batch_size + offset, count)
        return [np.asarray(a, d.as_numpy_dtype) for a, d in zip(arrays, dtypes)]

    def generate(index):
        tensors = tf.numpy_function(load, [index], dtypes)
        for tensor, (_, shape) in zip(tensors, stream.spec):
            tensor.set_shape((count,) + tuple(shape))
        return tuple(tensors)

    if parallel:
        ds = batches.map(generate, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    else:
        ds = batches.map(generate)
    if target_fn is not None:
        ds = ds.map(target_fn)
    return ds.prefetch(2)


def default_steps_per_epoch(stream, batch_size):
    """One pass over a finite source; None for an endless one."""
    if stream.num_examples is None:
        return None
    return max(1, math.ceil(stream.num_examples / batch_size))


class StreamBatches(keras.utils.PyDataset):
    """Batches `start_batch` .. `start_batch + num_batches - 1` of a `Stream`, without TensorFlow.

    The same batches, in the same order, as `stream_dataset`'s tf.data pipeline:
    what `fit` reads on a machine with JAX or PyTorch alone. `parallel` makes
    them in 4 threads (the order stays the same).
    """

    def __init__(self, stream, batch_size, start_batch=0, num_batches=None, parallel=True, target_fn=None,
                 shard=None):
        super().__init__(workers=4 if parallel else 1, use_multiprocessing=False, max_queue_size=4)
        if num_batches is None:
            raise ValueError("Without TensorFlow, a stream's batches need a count (num_batches); received None.")
        self.stream, self.batch_size = stream, batch_size
        self.start_batch, self.count_of_batches = start_batch, num_batches
        self.target_fn = target_fn
        self.offset, self.count = shard or (0, batch_size)

    def __len__(self):
        return self.count_of_batches

    def __getitem__(self, index):
        if not 0 <= index < self.count_of_batches:
            raise IndexError(f"batch index {index} is outside 0..{self.count_of_batches - 1}.")
        first = (self.start_batch + index) * self.batch_size + self.offset
        arrays = self.stream.load_batch(first, self.count)
        arrays = tuple(np.asarray(a, dtype) for a, (dtype, _) in zip(arrays, self.stream.spec))
        return arrays if self.target_fn is None else self.target_fn(*arrays)

    def as_numpy_iterator(self):
        """The batches as tuples of NumPy arrays, as tf.data's `as_numpy_iterator` gives them."""
        return (self[index] for index in range(self.count_of_batches))
