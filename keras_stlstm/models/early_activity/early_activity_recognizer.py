"""The E3D paper's early activity recognition network (section 4.4)."""

import keras
from keras import ops

from keras_stlstm.layers.base import check_positive_int, normalize_tuple
from keras_stlstm.layers.eidetic_3d_lstm import Eidetic3DLSTM
from keras_stlstm.models.building_blocks import CausalConv3D, MaxPooling3D2, TimeFolded
from keras_stlstm.models.common import ClipModel, check_class_names
from keras_stlstm.models.default_compile import DefaultCompileMixin
from keras_stlstm.models.early_activity.configs import resolve_config
from keras_stlstm.models.streaming import StreamingGraph, conv_step, recurrent_step
from keras_stlstm.models.video_prediction.patching import unpatch_frames
from keras_stlstm.presets.loading import PresetMixin


class _EarlyActivityNetwork:
    """Creates the layers once; wires them on whole clips or on one streaming step."""

    def __init__(self, num_classes, spec, channels):
        kernel = spec["kernel_size"]
        self.encoder = [
            CausalConv3D(
                spec["encoder_filters"],
                kernel,
                strides=(1, stride, stride),
                activation="relu",
                name=f"encoder_{i + 1}",
            )
            for i, stride in enumerate(spec["encoder_strides"])
        ]
        self.e3d = Eidetic3DLSTM(
            list(spec["lstm_filters"]),
            kernel,
            depth=spec["depth"],
            recall_window=spec["recall_window"],
            recall_initial_memory=spec["recall_initial_memory"],
            return_sequences=True,
            name="e3d_lstm",
        )
        # Decoder of the auxiliary next-frame prediction: a 3D convolution over
        # each step's hidden block, then the official E3D decoder (kernel and
        # stride (depth, 1, 1): one frame) to the r×r patches of the frame, r the
        # encoder's total spatial stride, put back in place by depth-to-space.
        self.patch = spec["patch"]
        self.decoder = [
            keras.layers.Conv3D(
                spec["encoder_filters"], kernel, padding="same", activation="relu", name="decoder_1"
            ),
            keras.layers.Conv3D(
                channels * self.patch**2,
                (spec["depth"], 1, 1),
                strides=(spec["depth"], 1, 1),
                name="decoder_2",
            ),
        ]
        self.decoder_per_step = [
            TimeFolded(layer, name=f"{layer.name}_per_step") for layer in self.decoder
        ]
        self.steps = spec["classifier_steps"]
        self.classifier = [
            keras.layers.Conv3D(
                spec["classifier_filters"],
                (2, 3, 3),
                strides=2,
                padding="same",
                activation="relu",
                name=f"classifier_conv_{i + 1}",
            )
            for i in range(2)
        ] + [
            # MaxPooling3D(2, padding="same") in TFLite-builtin ops.
            MaxPooling3D2(name="classifier_pool"),
            keras.layers.Flatten(name="classifier_flatten"),
            keras.layers.Dense(spec["dense_units"], activation="relu", name="classifier_dense"),
            keras.layers.Dense(num_classes, name="classifier_logits"),
        ]
        self.softmax = keras.layers.Activation("softmax", dtype="float32", name="label")

    def encode(self, frames, graph=None):
        for layer in self.encoder:
            frames = conv_step(layer, frames, graph)
        return frames

    def classify(self, hidden):
        """(batch, K, D, h, w, F) hidden blocks -> class probabilities.

        The K steps' D-slice blocks are laid end to end on one time axis of K·D
        slices for the classifier's 3D convolutions.
        """
        x = ops.reshape(hidden, (-1, hidden.shape[1] * hidden.shape[2]) + tuple(hidden.shape[3:]))
        for layer in self.classifier:
            x = layer(x)
        return self.softmax(x)

    def decode(self, hidden):
        """(batch, T, D, h, w, F) -> predicted next frames (batch, T, H, W, C)."""
        x = hidden
        for layer in self.decoder_per_step:
            x = layer(x)
        x = ops.squeeze(x, axis=2)  # the collapsed depth
        return unpatch_frames(x, self.patch)

    def whole_clip(self, frames):
        hidden = self.e3d(self.encode(frames))
        label = self.classify(hidden[:, -self.steps :])
        # The prediction after the last seen frame has no target in the clip.
        # Named "next_frames": the model's input layer already has the name "frames".
        frames = keras.layers.Identity(name="next_frames")(self.decode(hidden[:, :-1]))
        return {"label": label, "frames": frames}

    def step(self, frame, graph):
        """One streaming step on one new frame (batch, 1, H, W, C)."""
        encoded = self.encode(frame, graph)
        hidden = recurrent_step(self.e3d, encoded[:, 0], graph)[:, None]
        # The last K hidden blocks, oldest first, for the classifier.
        recent = graph.state((self.steps,) + tuple(hidden.shape[2:]))
        recent_new = ops.concatenate([recent[:, 1:], hidden], axis=1)
        graph.update(recent, recent_new)
        label = keras.layers.Identity(name="output")(self.classify(recent_new))
        next_frame = keras.layers.Identity(name="next_frame")(self.decode(hidden)[:, 0])
        return label, next_frame


@keras.saving.register_keras_serializable(package="keras_stlstm")
class EarlyActivityRecognizer(PresetMixin, DefaultCompileMixin, ClipModel, keras.Model):
    """E3D-LSTM early activity recognition with auxiliary next-frame prediction.

    The E3D paper's network (section 4.4): two Conv3D encoder layers (kernel
    `kernel_size`, the paper's 64 filters of 2×5×5; causal in time, spatial stride
    `encoder_strides`), the E3D-LSTM stack (`lstm_filters`, one frame per step, D =
    `depth` frame windows), two Conv3D decoder layers predicting the next frame
    after every seen frame, and a classifier on the top layer's hidden blocks of
    the last `classifier_steps` steps: two Conv3D of `classifier_filters`
    (2×3×3, stride 2×2×2), a 2×2×2 max pooling, a dense layer of `dense_units`
    and a softmax.

    Input: the first 25% or 50% of a clip, as `frames` frames (see
    `early_fraction_clip`, which can resample the front to that length). The
    weights do not depend on `frames`, so a model for another length is
    `EarlyActivityRecognizer(frames=n, ...)` plus `set_weights`; with an int
    `recall_window`, `streaming_model()` also runs clips of any length frame by
    frame.

    Outputs (a dict): "label", the (batch, num_classes) probabilities, and
    "frames", (batch, frames - 1, H, W, C), the prediction of frames 1 ... T-1
    (targets: `early_activity_targets`). The training loss is
    λ · L2(frames) + cross-entropy(label) with λ decaying per iteration
    (`keras_stlstm.training.aux_schedule`: `early_activity_losses(model)` and the
    `AuxiliaryLossSchedule` callback, which update `auxiliary_loss_weight`).

    keras_hub's split: `model.backbone` is the encoder and the E3D-LSTM stack,
    (batch, frames, D, h, w, F) hidden blocks: everything but the classifier head
    and the frame decoder, so `model.backbone.trainable = False` fine-tunes the two
    heads alone. `model.preprocessor` samples, resizes and rescales raw uint8 clips
    to the model's input; it is saved with the preset.

    The encoder is causal in time (each frame's features use that frame and
    earlier ones): with a centred temporal kernel the hidden state of step t
    would already contain frame t + 1 and the next-frame task would be trivial.

    Args:
        num_classes: classes (41 for the paper's Something-Something subset).
        frames: frames per input clip (>= classifier_steps and >= 2). None: from `config`.
        image_size: int or (height, width); divisible by the encoder's total stride.
        config: "paper" (default when None), "small" or "tiny"; see
            `keras_stlstm.models.early_activity.configs`. Explicit arguments override.
        input_channels: channels of the frames.
        encoder_filters: filters of both encoder layers (and of the first decoder layer).
        encoder_strides: spatial stride of each encoder layer (two ints).
        lstm_filters: filters of each E3D-LSTM layer (equal values).
        kernel_size: (kd, kh, kw) of the encoder, the E3D-LSTM and the first decoder layer.
        depth: D, frames per E3D window.
        recall_window: τ of RECALL; None attends to every earlier step (the paper's
            offline setting), 5 is the paper's online setting.
        recall_initial_memory: False (default): RECALL attends the memories of
            earlier steps, C_{1:t-1} (the paper's eq. 1); True: the initial
            memory C_0 as well (the official code; the shipped preset was
            trained so and pins it in its config).
        classifier_steps: K, the hidden blocks the classifier sees (16; 5 online).
        classifier_filters, dense_units: classifier widths (128, 512).
        auxiliary_loss_weight: initial λ (the paper's λ(0) = 10).
        class_names: optional list of `num_classes` names (label i is `class_names[i]`),
            saved with the model; `keras-stlstm classify` prints them.
        name: model name.

    Call arguments:
        inputs: (batch, frames, H, W, input_channels) floats in [0, 1].
        training: bool.

    Returns:
        {"label": (batch, num_classes), "frames": (batch, frames - 1, H, W, C)}.

    Example:

    >>> import numpy as np
    >>> model = EarlyActivityRecognizer(num_classes=3, config="tiny")
    >>> out = model.predict(np.zeros((2, 8, 16, 16, 3), "float32"), verbose=0)
    >>> out["label"].shape, out["frames"].shape
    ((2, 3), (2, 7, 16, 16, 3))
    """

    def __init__(
        self,
        num_classes=41,
        frames=None,
        image_size=None,
        config=None,
        input_channels=3,
        encoder_filters=None,
        encoder_strides=None,
        lstm_filters=None,
        kernel_size=None,
        depth=None,
        recall_window=None,
        recall_initial_memory=False,
        classifier_steps=None,
        classifier_filters=None,
        dense_units=None,
        auxiliary_loss_weight=10.0,
        class_names=None,
        name="early_activity_recognizer",
        **kwargs,
    ):
        spec = resolve_config(
            config,
            frames=frames,
            image_size=image_size,
            encoder_filters=encoder_filters,
            encoder_strides=encoder_strides,
            lstm_filters=lstm_filters,
            kernel_size=kernel_size,
            depth=depth,
            classifier_steps=classifier_steps,
            classifier_filters=classifier_filters,
            dense_units=dense_units,
        )
        spec["recall_window"] = recall_window
        spec["recall_initial_memory"] = recall_initial_memory
        spec = _validate(spec, num_classes, input_channels)
        class_names = check_class_names(class_names, num_classes)
        network = _EarlyActivityNetwork(num_classes, spec, input_channels)
        clip = self.clip_input(spec, input_channels)
        super().__init__(inputs=clip, outputs=network.whole_clip(clip), name=name, **kwargs)
        self._network = network
        self.num_classes = num_classes
        self.class_names = class_names
        self.input_channels = input_channels
        self.spec = spec
        self.initial_auxiliary_loss_weight = float(auxiliary_loss_weight)
        # λ of the loss λ·L2(frames) + CE(label): a model variable, so the
        # schedule callback can change it between steps and compiled train steps
        # (TensorFlow graphs, JAX's stateless steps) read the current value.
        self.auxiliary_loss_weight = keras.Variable(
            self.initial_auxiliary_loss_weight,
            trainable=False,
            dtype="float32",
            name="auxiliary_loss_weight",
        )

    # `backbone`: the encoder and the E3D-LSTM stack, before the classifier head and the frame decoder.
    backbone_output_layer = "e3d_lstm"

    def clip_shape_hint(self):
        frames, height, width, _ = self.clip_shape
        return (
            "Take the front of the clip with early_fraction_clip(clip, fraction, "
            f"frames={frames}) at {height}×{width}, or build a model with matching "
            "`frames`, `image_size` and `input_channels`."
        )

    # --- streaming ---------------------------------------------------------------

    streaming_frames_per_step = 1

    def streaming_model(self, include_frames=False):
        """The single-step model (one frame per step), sharing this model's weights.

        Inputs: "frames" (batch, 1, H, W, C), then "state_0", ...: the previous
        frame of each causal encoder layer's input, the E3D-LSTM stack's states
        (hidden blocks, memories, recall buffer, frame window) and the last
        `classifier_steps` top hidden blocks. Outputs: "output", the class
        probabilities from the last `classifier_steps` steps (equal to the whole
        clip's "label" once that many frames were fed), optionally "next_frame"
        (batch, H, W, C) with `include_frames`, then "new_state_0", ....

        With recall_window=None the recall buffer holds `frames` memories, so the
        steps reproduce the whole-clip model for clips up to `frames` frames and
        act as τ = frames beyond.
        """
        graph = StreamingGraph()
        frame = keras.Input((1,) + self.clip_shape[1:], name="frames")
        label, next_frame = self._network.step(frame, graph)
        outputs = [label, next_frame] if include_frames else [label]
        return graph.model(frame, outputs, name=f"{self.name}_streaming")

    # --- serialisation -----------------------------------------------------------

    def get_config(self):
        spec = {k: v for k, v in self.spec.items() if k != "patch"}
        return {"auxiliary_loss_weight": self.initial_auxiliary_loss_weight, **self.clip_config(spec)}


def _validate(spec, num_classes, input_channels):
    check_positive_int(num_classes, "num_classes")
    check_positive_int(input_channels, "input_channels")
    frames = check_positive_int(spec["frames"], "frames")
    steps = check_positive_int(spec["classifier_steps"], "classifier_steps")
    if frames < max(steps, 2):
        raise ValueError(
            f"Argument `frames` ({frames}) must be at least `classifier_steps` ({steps}) "
            "and at least 2: the classifier reads the last `classifier_steps` steps. "
            "Feed a longer front of the clip (see early_fraction_clip(..., frames=n)) or "
            "lower classifier_steps."
        )
    spec["image_size"] = normalize_tuple(spec["image_size"], 2, "image_size")
    spec["kernel_size"] = normalize_tuple(spec["kernel_size"], 3, "kernel_size")
    spec["encoder_strides"] = tuple(spec["encoder_strides"])
    if len(spec["encoder_strides"]) != 2:
        raise ValueError(
            "Argument `encoder_strides` must hold the spatial stride of each of the 2 "
            f"encoder layers. Received: {spec['encoder_strides']}"
        )
    patch = 1
    for stride in spec["encoder_strides"]:
        patch *= check_positive_int(stride, "encoder_strides")
    height, width = spec["image_size"]
    if height % patch or width % patch:
        raise ValueError(
            f"Argument `image_size` {spec['image_size']} must be divisible by the encoder's "
            f"total spatial stride {patch} (encoder_strides={spec['encoder_strides']}), so "
            "the decoder can restore the frame size."
        )
    spec["patch"] = patch
    spec["lstm_filters"] = tuple(spec["lstm_filters"])
    for key in ("encoder_filters", "depth", "classifier_filters", "dense_units"):
        check_positive_int(spec[key], key)
    return spec
