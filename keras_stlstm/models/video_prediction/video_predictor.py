"""`VideoPredictor`: E3D-LSTM, PredRNN or ConvLSTM video prediction with scheduled sampling."""

import keras
import numpy as np

from keras_stlstm.layers.base import check_positive_int, normalize_tuple
from keras_stlstm.models.clip_preprocessor import ClipPreprocessor, PreprocessorMixin
from keras_stlstm.models.common import CheckedPredict
from keras_stlstm.models.default_compile import DefaultCompileMixin
from keras_stlstm.models.video_prediction.prediction_cell import FramePredictionCell
from keras_stlstm.models.video_prediction.rollout import ScheduledSamplingRollout
from keras_stlstm.presets.loading import PresetMixin
from keras_stlstm.utils.inputs import check_frames


class _Cache:
    """Plain holder: Keras does not track models stored on it as sub-layers."""

    streaming = None


@keras.saving.register_keras_serializable(package="keras_stlstm")
class VideoPredictor(PresetMixin, DefaultCompileMixin, PreprocessorMixin, CheckedPredict, keras.Model):
    """Predicts future video frames with a recurrent stack (E3D paper section 4).

    Frames are patched (each p×p pixel block stacked on the channels), run frame
    by frame through the recurrent stack, decoded by the official decoder to the
    next patched frame and unpatched. During training the future frames fed to
    the stack are the true frames with probability η (scheduled sampling, the
    non-trainable `sampling_probability` that the `ScheduledSampling` callback
    moves from 1 to 0) and the model's own predictions otherwise; at inference
    the model always feeds its own predictions after the context.

    Output: the predictions of frames 2 .. T (T = context_frames + future_frames,
    so T - 1 frames), as in the official code; the loss covers every predicted
    frame (E3D paper eq. 3) and the target is `frames[:, 1:]`. The future frames
    are `outputs[:, context_frames - 1:]`.

    Output range: the official decoders are linear. Here the decoder output goes
    through a sigmoid (default) so that predictions lie in [0, 1] like the data:
    they are fed back as inputs, and an unbounded prediction fed back through a
    long rollout can drift; unlike a clip, the sigmoid never cuts the gradient of
    an out-of-range pixel. `output_activation="clip"` keeps the official linear
    decoder and clips to [0, 1].

    Backbones (defaults in parentheses; see `backbones.py`):
    - "e3d": Eidetic 3D LSTM stack (4 x 64, kernel (2, 5, 5), depth 2, layer
      norm, RECALL over all earlier memories); decoder Conv3D (D, 1, 1).
    - "predrnn": ST-LSTM stack with zigzag memory (4 x 128, kernel 5).
    - "predrnn_pp": PredRNN++, Causal LSTM stack with zigzag memory and a
      Gradient Highway Unit after the first layer (4 x 64, kernel 5, layer norm).
    - "convlstm": stack of ConvLSTM layers (4 x 128, kernel 5: OpenSTL's
      ConvLSTM-S Moving MNIST baseline).

    keras_hub's split: `model.backbone` is the recurrent stack (the stack cell
    holding every recurrent weight; its name is `model.backbone_name`), so
    `model.backbone.trainable = False` fine-tunes the patch decoder alone.
    `model.preprocessor` rescales raw uint8 frames (0-255) to [0, 1] and resizes
    them to `image_size`; it is saved with the preset. It samples no frames: a
    video predictor takes consecutive frames, every one of them kept.

    Args:
        backbone: "e3d", "predrnn", "predrnn_pp" or "convlstm".
        context_frames: frames given (10 for Moving MNIST).
        future_frames: frames predicted during training (10).
        image_size: int or (H, W) of the frames (64).
        channels: frame channels (1).
        patch_size: p (4); must divide H and W.
        filters: int or list of ints per layer; None = backbone default.
        kernel_size: int or tuple; None = backbone default.
        depth: E3D only, frames per input window D (2).
        recall_window: E3D only, how many stored memories RECALL attends to;
            None = all of a training sequence (T - 1). Longer rollouts keep the
            most recent T - 1.
        recall_initial_memory: E3D only. False (default): RECALL attends the
            memories of earlier steps, C_{1:t-1}, as in the paper's eq. 1. True:
            the initial memory C_0 as well, as the official code does (the
            shipped E3D presets were trained so and pin it in their config).
        layer_norm: None = backbone default (E3D and PredRNN++ on, PredRNN off);
            ConvLSTM has none.
        output_activation: "sigmoid" or "clip".
        decoder_input: "top" (default): the decoder reads the top layer.
            "all_layers": ConvLSTM only, the decoder reads every layer's hidden
            state concatenated, as the ConvLSTM paper's forecaster does (Shi et
            al. 2015, section 3.3). On Moving MNIST at the zoo's scale it gave
            sharper frames (higher SSIM, a better copy test) but no lower MSE
            (docs/experiments/convlstm_all_layers_decoder.md).
        sampling_seed: int or None, seed of the scheduled-sampling draws.

    Call arguments:
        frames: (batch, T, H, W, C) in [0, 1]. Frames after the context are the
            ground truth for scheduled sampling; they are ignored at inference.
        training: bool.

    Returns:
        (batch, T - 1, H, W, C) in [0, 1]: the predictions of frames 2 .. T.

    Example:

    >>> import numpy as np
    >>> model = VideoPredictor("convlstm", context_frames=3, future_frames=2, image_size=16,
    ...                        patch_size=4, filters=[8], kernel_size=3)
    >>> model(np.zeros((1, 5, 16, 16, 1), "float32")).shape
    (1, 4, 16, 16, 1)
    >>> model.predict_frames(np.zeros((1, 3, 16, 16, 1), "float32"), horizon=6).shape
    (1, 6, 16, 16, 1)
    """

    streaming_frames_per_step = 1

    def __init__(
        self,
        backbone="e3d",
        context_frames=10,
        future_frames=10,
        image_size=64,
        channels=1,
        patch_size=4,
        filters=None,
        kernel_size=None,
        depth=2,
        recall_window=None,
        layer_norm=None,
        output_activation="sigmoid",
        decoder_input="top",
        sampling_seed=None,
        recall_initial_memory=False,
        name=None,
        **kwargs,
    ):
        context_frames = check_positive_int(context_frames, "context_frames")
        future_frames = check_positive_int(future_frames, "future_frames")
        height, width = normalize_tuple(image_size, 2, "image_size")
        total = context_frames + future_frames
        cell = FramePredictionCell(
            backbone,
            channels=channels,
            patch_size=patch_size,
            filters=filters,
            kernel_size=kernel_size,
            layer_norm=layer_norm,
            depth=depth,
            recall_window=recall_window,
            history_length=total - 1,
            output_activation=output_activation,
            decoder_input=decoder_input,
            recall_initial_memory=recall_initial_memory,
            name="prediction_cell",
        )
        rollout = ScheduledSamplingRollout(cell, context_frames, future_frames, seed=sampling_seed, name="rollout")
        inputs = keras.Input((total, height, width, cell.channels), name="frames")
        outputs = rollout(inputs)
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)

        self.backbone_name = cell.backbone
        self.context_frames = context_frames
        self.future_frames = future_frames
        self.image_size = (height, width)
        self.channels = cell.channels
        self.patch_size = cell.patch_size
        self.filters = list(cell.filters)
        self.kernel_size = cell.kernel_size
        self.depth = cell.depth
        self.recall_window = recall_window
        self.recall_initial_memory = cell.recall_initial_memory
        self.layer_norm = cell.layer_norm
        self.output_activation = cell.output_activation
        self.decoder_input = cell.decoder_input
        self.sampling_seed = sampling_seed
        self.prediction_cell = cell
        self.rollout = rollout
        self._cache = _Cache()

    @property
    def sampling_probability(self):
        """η, the non-trainable probability of feeding the true future frame in training."""
        return self.rollout.sampling_probability

    @property
    def backbone(self):
        """The recurrent stack (keras_hub's `backbone`): the stack cell that holds every recurrent weight.

        `model.backbone.trainable = False` freezes it and leaves the patch decoder
        (`model.prediction_cell.decoder`) trainable. Its name ("e3d", ...) is
        `model.backbone_name`.
        """
        return self.prediction_cell.stack

    def default_preprocessor(self):
        """Rescales and resizes raw frames to (batch, T, H, W, C); no frame sampling (frames=None):
        the model takes consecutive frames."""
        return ClipPreprocessor(None, self.image_size, self.channels)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": self.backbone_name,
            "context_frames": self.context_frames,
            "future_frames": self.future_frames,
            "image_size": list(self.image_size),
            "channels": self.channels,
            "patch_size": self.patch_size,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "depth": self.depth,
            "recall_window": self.recall_window,
            "layer_norm": self.layer_norm,
            "output_activation": self.output_activation,
            "decoder_input": self.decoder_input,
            "sampling_seed": self.sampling_seed,
            "recall_initial_memory": self.recall_initial_memory,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # ------------------------------------------------------------------ streaming

    def streaming_model(self):
        """Single-step model sharing this model's weights: one frame in, next frame out.

        Inputs: "frames" (batch, H, W, C) and "state_0", ... (the stack's states);
        outputs: "output" (batch, H, W, C), the prediction of the following frame,
        and "new_state_0", .... Feed the context frames one by one, then feed
        back each output to roll out the future.
        """
        if self._cache.streaming is None:
            cell = self.prediction_cell
            frame = keras.Input(self.image_size + (self.channels,), name="frames")
            states = [keras.Input(s, name=f"state_{i}") for i, s in enumerate(cell.state_shapes())]
            out, new_states = cell(frame, states)
            outputs = [keras.layers.Identity(name="output")(out)]
            outputs += [keras.layers.Identity(name=f"new_state_{i}")(s) for i, s in enumerate(new_states)]
            self._cache.streaming = keras.Model([frame] + states, outputs, name=f"{self.name}_streaming")
        return self._cache.streaming

    def streaming_initial_state(self, batch_size=1):
        """Zero states for `streaming_model()`: a list of float32 NumPy arrays."""
        batch_size = check_positive_int(batch_size, "batch_size")
        return [np.zeros((batch_size,) + s, "float32") for s in self.prediction_cell.state_shapes()]

    def predict_frames(self, context, horizon=40):
        """Rolls out `horizon` future frames after `context`, for any horizon.

        Uses the single-step streaming model (the same weights), so the horizon
        is not limited to the `future_frames` the model was trained on. With
        `horizon=future_frames` and the full context this equals
        `model(frames, training=False)[:, context_frames - 1:]`.

        Args:
            context: (batch, L, H, W, C) float frames in [0, 1] (uint8 0-255
                is rescaled to [0, 1]; NaN, inf and other values raise),
                1 <= L <= context_frames.
            horizon: number of future frames to predict.

        Returns:
            NumPy (batch, horizon, H, W, C).
        """
        context = self._check_context(context)
        horizon = check_positive_int(horizon, "horizon")
        step = self.streaming_model()
        states = self.streaming_initial_state(context.shape[0])
        frame, outputs = None, []
        for t in range(context.shape[1] + horizon - 1):
            x = context[:, t] if t < context.shape[1] else frame
            result = step.predict_on_batch([x] + states)
            frame, states = np.asarray(result[0]), [np.asarray(s) for s in result[1:]]
            if t >= context.shape[1] - 1:
                outputs.append(frame)
        return np.stack(outputs, axis=1)

    def _check_context(self, context):
        context = check_frames(context, "context")
        expected = self.image_size + (self.channels,)
        if context.ndim != 5 or tuple(context.shape[2:]) != expected:
            raise ValueError(
                "`context` must have shape (batch, frames, "
                f"{', '.join(map(str, expected))}); received {context.shape}."
            )
        if not 1 <= context.shape[1] <= self.context_frames:
            raise ValueError(
                f"`context` has {context.shape[1]} frames; this model was built for at most "
                f"context_frames={self.context_frames} context frames (and at least 1). Pass "
                f"the last {self.context_frames} frames or build a model with more context."
            )
        return context
