"""The frame-by-frame loop of video prediction, with scheduled sampling.

Why a Python-unrolled loop (and not `keras.layers.RNN`): the input of step t+1
depends on the *output* of step t (the model's own prediction), mixed with the
ground truth by a per-sample random draw. Unrolled over the fixed, short number
of steps (19 for 10 -> 10) this is plain code, gives a loop-free graph (which
converts to TFLite with builtin ops only, see platform.md) and lets JAX compile a
straight-line program. The price is graph size linear in the number of steps,
which is why long rollouts (`VideoPredictor.predict_frames`) step the
single-step streaming model instead of unrolling further.
"""

import keras
from keras import ops

from keras_stlstm.layers.base import check_positive_int
from keras_stlstm.models.video_prediction.patching import patch_frames, unpatch_frames


@keras.saving.register_keras_serializable(package="keras_stlstm")
class ScheduledSamplingRollout(keras.layers.Layer):
    """Runs a `FramePredictionCell` over a sequence, feeding back its predictions.

    Step t (t = 0 .. T-2) reads a frame and predicts frame t+1:
    - t < context_frames: the true frame t;
    - t >= context_frames, training: the true frame with probability η (the
      non-trainable weight `sampling_probability`), else the model's own
      prediction of frame t; drawn per sample and per frame;
    - t >= context_frames, inference: always the model's own prediction.

    The random draws for all future frames are made once, before the loop, with
    `keras.random.uniform` and this layer's `SeedGenerator` (random draws inside a
    traced recurrent step fail on JAX; see platform.md). The seed generator's
    state is saved with the weights, so a run restored from a checkpoint draws
    the same masks as an uninterrupted one.

    Args:
        cell: a `FramePredictionCell`.
        context_frames: frames always read from the input.
        future_frames: frames predicted after the context.
        seed: int or None, seed of the sampling draws.

    Call arguments:
        frames: (batch, context_frames + future_frames, H, W, C) in [0, 1]; the
            future part is the ground truth used by scheduled sampling (ignored
            at inference).
        training: bool.

    Returns:
        (batch, T - 1, H, W, C): the predictions of frames 1 .. T-1.
    """

    def __init__(self, cell, context_frames, future_frames, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, dict):
            cell = keras.saving.deserialize_keras_object(cell)
        self.cell = cell
        self.context_frames = check_positive_int(context_frames, "context_frames")
        self.future_frames = check_positive_int(future_frames, "future_frames")
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="sampling_seed")

    @property
    def total_frames(self):
        return self.context_frames + self.future_frames

    def expected_shape(self):
        """Per-sample input shape (T, H, W, C); valid once built."""
        return (self.total_frames,) + tuple(self.cell.frame_size) + (self.cell.channels,)

    def check_frames_shape(self, shape):
        """Raises a ValueError unless `shape` is (batch, T, H, W, C) of this model."""
        shape = tuple(shape)
        if self.built:
            expected = self.expected_shape()
        else:  # frame size not known yet
            expected = (self.total_frames, None, None, self.cell.channels)
        if len(shape) == 5 and all(e is None or e == s for e, s in zip(expected, shape[1:])):
            return
        shown = ", ".join("?" if e is None else str(e) for e in expected)
        raise ValueError(
            f"This video predictor expects frames of shape (batch, {shown}): "
            f"context_frames + future_frames = {self.total_frames} frames, then height, width, "
            f"channels. Received shape {shape}."
        )

    def build(self, frames_shape):
        self.check_frames_shape(frames_shape)
        self.cell.build((None,) + tuple(frames_shape[2:]))
        self.sampling_probability = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="sampling_probability"
        )
        self.built = True

    def sampling_masks(self, batch_size, dtype, training):
        """1.0 where a future step reads the true frame, shape (batch, future - 1); None at inference."""
        n_sampled = self.future_frames - 1
        if not training or n_sampled == 0:
            return None
        draws = keras.random.uniform((batch_size, n_sampled), seed=self.seed_generator)
        eta = ops.cast(self.sampling_probability, draws.dtype)
        return ops.cast(ops.less(draws, eta), dtype)

    def call(self, frames, training=False):
        self.check_frames_shape(frames.shape)
        p = self.cell.patch_size
        patched = patch_frames(frames, p)
        batch = ops.shape(frames)[0]
        states = self.cell.get_initial_state(batch)
        masks = self.sampling_masks(batch, patched.dtype, bool(training))
        predictions, previous = [], None
        for t in range(self.total_frames - 1):
            if t < self.context_frames:
                x = patched[:, t]
            elif masks is None:
                x = previous
            else:
                m = ops.reshape(masks[:, t - self.context_frames], (-1, 1, 1, 1))
                x = m * patched[:, t] + (1.0 - m) * previous
            previous, states = self.cell.step_patched(x, states, training=training)
            predictions.append(previous)
        return unpatch_frames(ops.stack(predictions, axis=1), p)

    def compute_output_shape(self, frames_shape):
        return (frames_shape[0], self.total_frames - 1) + tuple(frames_shape[2:])

    # The seed generator's state is not a layer weight in Keras; save it with the
    # weights anyway so that checkpoints restore the random stream exactly.
    def save_own_variables(self, store):
        super().save_own_variables(store)
        store["sampling_seed_state"] = self.seed_generator.state

    def load_own_variables(self, store):
        # Files written before the seed state was saved simply lack the key.
        seed_state = store["sampling_seed_state"] if "sampling_seed_state" in store else None
        own = {k: store[k] for k in store.keys() if k != "sampling_seed_state"}
        super().load_own_variables(own)
        if seed_state is not None:
            self.seed_generator.state.assign(ops.convert_to_tensor(seed_state, self.seed_generator.state.dtype))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "cell": keras.saving.serialize_keras_object(self.cell),
                "context_frames": self.context_frames,
                "future_frames": self.future_frames,
                "seed": self.seed,
            }
        )
        return config
