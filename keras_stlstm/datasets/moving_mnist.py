"""Moving MNIST (Srivastava et al. 2015), generated deterministically from a seed.

Recipe: `num_digits` digits (default 2) of 28x28 pixels move inside a black
`image_size` x `image_size` canvas (default 64) at constant velocity and bounce off
the borders; overlapping digits combine by pixel maximum; `num_frames` frames
(default 20, of which 10 are given and 10 predicted). A digit's top-left corner moves
in the square [0, L]^2 with L = image_size - digit_size, its start is uniform in that
square, its direction uniform in [0, 2*pi) and its speed `step_length * L` pixels per
frame (0.1 * 36 = 3.6 px for the standard sizes). Two motion laws (`trajectory`):

- "srivastava" (default): Srivastava et al.'s published generator
  (``BouncingMNISTDataHandler.GetRandomTrajectory`` of their unsupervised-videos code,
  which drew ``mnist_test_seq.npy``), exactly: the position p in [0, 1]^2 takes a step
  of `step_length` along the direction *before* each frame (the first frame is
  already one step from the start); a coordinate that reaches p <= 0 or p >= 1 is
  clamped to 0 or 1 and its velocity flips (the overshoot is lost); the frame's
  top-left corner is int(L * p), truncated to a whole pixel.
- "reflect": the path is folded back into [0, L] exactly (the overshoot is kept, as a
  mirror would), the first frame is the start, and positions are rounded to the
  nearest pixel. The shipped Moving MNIST presets were trained, and the project's
  fixed test set (`moving_mnist_test_set`) is drawn, with this law.

Determinism: sequence ``i`` of seed ``s`` is drawn from its own generator
``SeedSequence(s, spawn_key=(i,))``, so it does not depend on how many sequences are
asked for, on batching, or on tf.data parallelism.

Frames are returned as float32 in [0, 1] (``dtype="float32"``, what the models take)
or uint8 in [0, 255] (``dtype="uint8"``), shape (N, T, H, W, 1).

Fixed test set: `moving_mnist_test_set` = 2,000 sequences from the held-out digits
(t10k indices 8000-9999, see `keras_stlstm.datasets.mnist.split_digits`) with seed
`MOVING_MNIST_TEST_SEED` and the "reflect" law. Unlike the standard 10,000-sequence
test file, it is regenerated from that seed (and so are the numbers measured on it).
`write_srivastava_test_set` writes a Srivastava-law set in the standard file layout.
"""

import numpy as np

from keras_stlstm.datasets.mnist import as_digit_array
from keras_stlstm.layers.base import check_positive_int

MOVING_MNIST_TEST_SEED = 2015
DTYPES = ("float32", "uint8")
TRAJECTORIES = ("srivastava", "reflect")


def check_trajectory(trajectory):
    """Returns `trajectory` if it is a known motion law, else raises a ValueError listing them."""
    if trajectory not in TRAJECTORIES:
        raise ValueError(f"`trajectory` must be one of {list(TRAJECTORIES)}; got {trajectory!r}")
    return trajectory


def reflect_path(start, velocity, num_frames, travel):
    """The "reflect" law: frame t at start + t * velocity folded into [0, travel], rounded.

    Args:
        start: (..., 2) first positions in pixels, in [0, travel].
        velocity: (..., 2) pixels per frame.
        num_frames: T.
        travel: L.

    Returns:
        (T, ..., 2) int64 positions.
    """
    time = np.arange(num_frames, dtype=np.float64).reshape((-1,) + (1,) * np.ndim(start))
    unfolded = start + velocity * time
    if travel == 0:
        return np.zeros(unfolded.shape, np.int64)
    # Reflection at 0 and L == folding the straight path with period 2L.
    folded = np.mod(unfolded, 2.0 * travel)
    folded = np.where(folded > travel, 2.0 * travel - folded, folded)
    return np.clip(np.rint(folded), 0, travel).astype(np.int64)


def srivastava_path(start, direction, num_frames, travel, step_length):
    """The "srivastava" law (their GetRandomTrajectory), vectorised over the leading axes.

    Args:
        start: (..., 2) starting positions in [0, 1] (fractions of `travel`).
        direction: (..., 2) unit velocity (sin, cos of the angle for (y, x)).
        num_frames: T.
        travel: L.
        step_length: step per frame in [0, 1] units.

    Returns:
        (T, ..., 2) int64 positions int(L * p).
    """
    position = np.array(start, np.float64)
    velocity = np.array(direction, np.float64)
    out = np.empty((num_frames,) + position.shape, np.int64)
    for t in range(num_frames):
        position += velocity * step_length  # the step comes before the frame
        for edge, hit in ((0.0, position <= 0.0), (1.0, position >= 1.0)):
            position[hit] = edge
            velocity[hit] = -velocity[hit]
        out[t] = (travel * position).astype(np.int64)  # truncation, as astype(np.int32) there
    return out


def check_dtype(dtype):
    """Returns `dtype` if it is one of the supported output dtypes, else raises."""
    if dtype not in DTYPES:
        raise ValueError(f"`dtype` must be 'float32' (range [0, 1]) or 'uint8' (0-255), got {dtype!r}")
    return dtype


def to_dtype(frames_uint8, dtype):
    """uint8 frames -> `dtype` ('uint8' unchanged, 'float32' divided by 255)."""
    if check_dtype(dtype) == "uint8":
        return frames_uint8
    return frames_uint8.astype(np.float32) / np.float32(255.0)


def sequence_generator(seed, index, stream=()):
    """The NumPy generator of sequence `index` of seed `seed` (optionally a sub-stream)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=tuple(stream) + (int(index),)))


def check_sizes(digits, num_frames, num_digits, image_size):
    """Validates the Moving MNIST sizes against the digit pool."""
    check_positive_int(num_frames, "num_frames")
    check_positive_int(num_digits, "num_digits")
    check_positive_int(image_size, "image_size")
    height, width = digits.shape[1:]
    if height > image_size or width > image_size:
        raise ValueError(
            f"`image_size` ({image_size}) must be at least the digit size ({height}x{width})"
        )


def trajectories(num_sequences, seed, *, start=0, num_frames=20, num_digits=2, pool_size,
                 travel, step_length=0.1, stream=(), trajectory="srivastava"):
    """Digit choices and top-left positions of sequences `start` .. `start + num_sequences - 1`.

    Args:
        num_sequences, seed, start: which sequences (see the module docstring).
        num_frames, num_digits: frames per sequence, digits per sequence.
        pool_size: number of digit images to choose from.
        travel: L, the largest top-left coordinate (image_size - digit_size).
        step_length: speed as a fraction of `travel` per frame.
        stream: extra spawn-key prefix, so other generators (the copy test) get
            streams independent of plain Moving MNIST with the same seed.
        trajectory: the motion law, "srivastava" or "reflect" (module docstring).

    Returns:
        (digit_index (N, K) int64, positions (N, T, K, 2) int64 as (y, x)).
    """
    draws = np.empty((num_sequences, num_digits, 4))
    for n in range(num_sequences):
        # One call per sequence: (digit, y0, x0, angle) uniform in [0, 1).
        draws[n] = sequence_generator(seed, start + n, stream).random((num_digits, 4))
    check_trajectory(trajectory)
    digit_index = np.minimum((draws[..., 0] * pool_size).astype(np.int64), pool_size - 1)
    angle = draws[..., 3] * 2.0 * np.pi
    direction = np.stack([np.sin(angle), np.cos(angle)], axis=-1)  # (N, K, 2) as (y, x)
    if trajectory == "srivastava":
        path = srivastava_path(draws[..., 1:3], direction, num_frames, travel, step_length)
    else:
        path = reflect_path(draws[..., 1:3] * travel, step_length * travel * direction, num_frames, travel)
    return digit_index, np.moveaxis(path, 0, 1)  # (N, T, K, 2)


def render(digits, digit_index, positions, image_size):
    """Pastes the digits at `positions` with pixel-max overlap.

    Args:
        digits: uint8 (P, h, w) digit pool.
        digit_index: (N, K) indices into `digits`.
        positions: (N, T, K, 2) top-left (y, x) of every digit in every frame.
        image_size: canvas side.

    Returns:
        uint8 (N, T, image_size, image_size).
    """
    n, t, k, _ = positions.shape
    h, w = digits.shape[1:]
    canvas = np.zeros((n * t, image_size, image_size), np.uint8)
    # windows[f, y, x] is the (h, w) block of frame f whose top-left corner is (y, x):
    # indexing it with one (y, x) per frame moves whole blocks instead of single pixels.
    windows = np.lib.stride_tricks.sliding_window_view(canvas, (h, w), axis=(1, 2), writeable=True)
    frame = np.arange(n * t)
    for d in range(k):
        y, x = positions[:, :, d].reshape(n * t, 2).T
        patch = np.repeat(digits[digit_index[:, d]], t, axis=0)  # (NT, h, w)
        if d > 0:  # pixel-max overlap with the digits already drawn
            patch = np.maximum(windows[frame, y, x], patch)
        windows[frame, y, x] = patch
    return canvas.reshape(n, t, image_size, image_size)


def generate_moving_mnist(digits, num_sequences, seed, *, start=0, num_frames=20, num_digits=2,
                          image_size=64, step_length=0.1, dtype="float32", return_info=False,
                          trajectory="srivastava"):
    """Moving MNIST sequences `start` .. `start + num_sequences - 1` of `seed`.

    Args:
        digits: digit pool, (P, h, w) uint8 or float in [0, 1] (see `load_digits`);
            use the train split for training and the test split for evaluation.
        num_sequences: how many sequences.
        seed: int seed; sequence i depends only on (seed, i) and the other arguments.
        start: index of the first sequence (to generate a slice of a larger set).
        num_frames: frames per sequence (20 = 10 context + 10 future).
        num_digits: digits per sequence.
        image_size: side of the square canvas.
        step_length: speed per frame as a fraction of image_size - digit_size.
        dtype: ``"float32"`` (values in [0, 1]) or ``"uint8"`` (0-255).
        return_info: also return ``{"digit_index": (N, K), "positions": (N, T, K, 2)}``
            (indices into `digits`, top-left (y, x) of each digit per frame).
        trajectory: "srivastava" (default, the published generator's law) or
            "reflect" (exact reflection, rounded positions; the shipped presets'
            training data and the fixed test set); see the module docstring.

    Returns:
        Frames (N, T, image_size, image_size, 1) of `dtype` [, info].

    Example:
        >>> train = load_sample_digits("train")
        >>> frames = generate_moving_mnist(train, 8, seed=0)   # (8, 20, 64, 64, 1) float32
        >>> context, future = frames[:, :10], frames[:, 10:]
    """
    digits = as_digit_array(digits)
    check_dtype(dtype)
    check_sizes(digits, num_frames, num_digits, image_size)
    if isinstance(num_sequences, bool) or not isinstance(num_sequences, (int, np.integer)) \
            or num_sequences < 0:
        raise ValueError(f"`num_sequences` must be a non-negative int, got {num_sequences!r}")
    travel = image_size - max(digits.shape[1:])
    digit_index, positions = trajectories(
        int(num_sequences), seed, start=int(start), num_frames=num_frames, num_digits=num_digits,
        pool_size=len(digits), travel=travel, step_length=step_length, trajectory=trajectory,
    )
    frames = to_dtype(render(digits, digit_index, positions, image_size)[..., None], dtype)
    if return_info:
        return frames, {"digit_index": digit_index, "positions": positions}
    return frames


def moving_mnist_test_set(digits_test, num_sequences=2000, seed=MOVING_MNIST_TEST_SEED, **kwargs):
    """The project's fixed Moving MNIST test set.

    Args:
        digits_test: the held-out digits, t10k indices 8000-9999
            (``split_digits(load_digits(...), "test")``).
        num_sequences: 2,000 by default.
        seed: `MOVING_MNIST_TEST_SEED` (2015); keep it to compare numbers.
        **kwargs: passed to `generate_moving_mnist` (dtype, num_frames, ...);
            `trajectory` is "reflect" unless given (the law the cards' numbers
            were measured with).

    Returns:
        (num_sequences, 20, 64, 64, 1) float32 in [0, 1] by default.
    """
    kwargs.setdefault("trajectory", "reflect")
    return generate_moving_mnist(digits_test, num_sequences, seed, **kwargs)


def index_batches(num_sequences, batch_size, drop_remainder):
    """tf.data dataset of (first_index, count) int64 pairs covering the sequence indices.

    `num_sequences=None` gives an endless stream (fresh sequences forever).
    """
    import tensorflow as tf

    check_positive_int(batch_size, "batch_size")
    total = np.iinfo(np.int64).max if num_sequences is None else int(num_sequences)
    starts = tf.data.Dataset.range(0, total, batch_size)

    def with_count(first):
        return first, tf.minimum(tf.constant(batch_size, tf.int64), total - first)

    batches = starts.map(with_count)
    if drop_remainder and num_sequences is not None:
        batches = batches.take(int(num_sequences) // batch_size)
    return batches


def numpy_batch_dataset(make_batch, num_sequences, batch_size, drop_remainder, shape, dtype,
                        num_parallel_calls=None):
    """Batches `make_batch(first, count) -> ndarray` over the index batches, via tf.numpy_function.

    Args:
        make_batch: NumPy function of (first index, count) returning `shape[1:]`-shaped
            samples stacked on axis 0.
        shape: per-batch shape with None for the batch axis.
        dtype: ``"float32"`` or ``"uint8"``.
    """
    import tensorflow as tf

    batches = index_batches(num_sequences, batch_size, drop_remainder)
    tf_dtype = tf.float32 if dtype == "float32" else tf.uint8

    def generate(first, count):
        frames = tf.numpy_function(lambda f, c: make_batch(int(f), int(c)), [first, count], tf_dtype)
        frames.set_shape(shape)
        return frames

    if num_parallel_calls is None:
        return batches.map(generate)
    return batches.map(generate, num_parallel_calls=num_parallel_calls, deterministic=True)


def moving_mnist_dataset(digits, batch_size=16, seed=0, *, num_sequences=None, context=10,
                         num_frames=20, num_digits=2, image_size=64, step_length=0.1,
                         dtype="float32", drop_remainder=False, num_parallel_calls=None,
                         trajectory="srivastava"):
    """A tf.data.Dataset of Moving MNIST batches generated on the fly.

    Batch j holds sequences ``j*batch_size ..`` of `seed`: exactly what
    `generate_moving_mnist(digits, ..., seed, start=j*batch_size)` returns.

    Args:
        digits: digit pool (the train split for training).
        batch_size: sequences per batch.
        seed: int seed.
        num_sequences: total sequences (None: endless stream of new sequences, use
            ``steps_per_epoch`` in ``fit``).
        context: frames given to the model; the dataset yields ``(frames[:, :context],
            frames[:, context:])`` pairs. None: yields the full sequences only.
        num_frames, num_digits, image_size, step_length, dtype, trajectory: as in
            `generate_moving_mnist`.
        drop_remainder: drop a last, smaller batch.
        num_parallel_calls: parallel generation of batches (e.g. ``tf.data.AUTOTUNE``);
            the order and content stay the same.

    Returns:
        tf.data.Dataset of (context, target) pairs, (B, context, H, W, 1) and
        (B, T - context, H, W, 1), or of full (B, T, H, W, 1) batches.

    Example:
        >>> ds = moving_mnist_dataset(load_sample_digits("train"), batch_size=4, seed=0)
        >>> model.fit(ds, steps_per_epoch=100)
    """
    digits = as_digit_array(digits)
    check_dtype(dtype)
    check_trajectory(trajectory)
    check_sizes(digits, num_frames, num_digits, image_size)
    if context is not None and not 0 < context < num_frames:
        raise ValueError(
            f"`context` must be None or in [1, num_frames - 1] = [1, {num_frames - 1}], got {context!r}")

    def make_batch(first, count):
        return generate_moving_mnist(
            digits, count, seed, start=first, num_frames=num_frames, num_digits=num_digits,
            image_size=image_size, step_length=step_length, dtype=dtype, trajectory=trajectory,
        )

    shape = (None, num_frames, image_size, image_size, 1)
    ds = numpy_batch_dataset(make_batch, num_sequences, batch_size, drop_remainder, shape, dtype,
                             num_parallel_calls)
    if context is not None:
        ds = ds.map(lambda frames: (frames[:, :context], frames[:, context:]))
    return ds
