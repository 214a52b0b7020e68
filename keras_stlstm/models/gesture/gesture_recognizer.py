"""The gesture paper's "Res3D + ConvLSTM + MobileNet" network, for any of its cells."""

import keras

from keras_stlstm import layers as stlstm_layers
from keras_stlstm.layers.base import check_positive_int, normalize_tuple
from keras_stlstm.models.building_blocks import TimeFolded
from keras_stlstm.models.common import ClipModel, check_class_names
from keras_stlstm.models.default_compile import DefaultCompileMixin
from keras_stlstm.models.gesture.configs import resolve_config
from keras_stlstm.models.gesture.mobilenet_top import mobilenet_top
from keras_stlstm.models.gesture.res3d import SPATIAL_STRIDE, TEMPORAL_STRIDE, Res3D
from keras_stlstm.models.streaming import StreamingGraph, inference, recurrent_step
from keras_stlstm.presets.loading import PresetMixin


def recurrent_layer_classes(cell):
    """The classes of the two recurrent layers for a cell name.

    "convlstm" and "a" use that cell in both layers. For the attention variants
    "b", "c" and "d" only the FIRST layer is the attention cell and the second is
    variant (a), as in the official code (networks/res3d_aclstm_mobilenet.py:
    AttenXConvLSTM2D / AttenIConvLSTM2D / AttenOConvLSTM2D, then GatedConvLSTM2D).

    Raises:
        ValueError: unknown cell name (the message lists the valid ones).
    """
    if not isinstance(cell, str):
        raise ValueError(
            "Argument `cell` must be a cell name such as 'convlstm', 'a', 'b', 'c' or "
            f"'d'. Received: cell={cell!r}"
        )
    first = stlstm_layers.get_conv_lstm_class(cell)
    pooled = stlstm_layers.get_conv_lstm_class("a")
    if first in (pooled, stlstm_layers.get_conv_lstm_class("convlstm")):
        return first, first
    return first, pooled


class _GestureNetwork:
    """Creates the layers once; wires them on whole clips or on one streaming step."""

    def __init__(self, cell, num_classes, spec):
        self.res3d = Res3D(spec["res3d_filters"], causal=spec["causal"])
        first, second = recurrent_layer_classes(cell)
        kernel = spec["recurrent_kernel_size"]
        filters = spec["recurrent_filters"]
        self.recurrent = [
            first(filters, kernel, return_sequences=True, name="recurrent_1"),
            second(filters, kernel, return_sequences=True, name="recurrent_2"),
        ]
        height, width = spec["image_size"]
        feature_shape = (-(-height // SPATIAL_STRIDE), -(-width // SPATIAL_STRIDE), filters)
        self.top = mobilenet_top(spec["top_filters"], spec["top_strides"], feature_shape)
        self.top_per_frame = TimeFolded(self.top, name="mobilenet_top_per_frame")
        self.pool = keras.layers.GlobalAveragePooling3D(name="Average_Pooling")
        self.classes = keras.layers.Dense(
            num_classes, kernel_initializer="he_normal", name="Classes"
        )
        self.softmax = keras.layers.Activation("softmax", dtype="float32", name="output")

    def whole_clip(self, frames):
        x = self.res3d(frames)
        for layer in self.recurrent:
            x = layer(x)
        x = self.pool(self.top_per_frame(x))
        return self.softmax(self.classes(x))

    def step(self, frames, graph):
        """One streaming step: `frames` holds TEMPORAL_STRIDE new frames."""
        x = self.res3d(frames, graph)[:, 0]
        for layer in self.recurrent:
            x = recurrent_step(layer, x, graph)
        pooled = keras.layers.GlobalAveragePooling2D()(inference(self.top, graph)(x))
        # Running sum and count of the per-step pooled features: their ratio is
        # the temporal average pooling of the frames seen so far.
        total = graph.state(tuple(pooled.shape[1:]))
        count = graph.state((1,))
        new_total = total + pooled
        new_count = count + 1.0
        graph.update(total, new_total)
        graph.update(count, new_count)
        return self.softmax(self.classes(new_total / new_count))


@keras.saving.register_keras_serializable(package="keras_stlstm")
class GestureRecognizer(PresetMixin, DefaultCompileMixin, ClipModel, keras.Model):
    """Res3D + two convolutional LSTM layers + MobileNet top, the gesture paper's network.

    (batch, frames, H, W, C) clips -> class probabilities. Res3D blocks 1-4 turn
    L×112×112×3 into (L/2)×28×28×256; two recurrent layers of the chosen cell
    (256 filters, 3×3, sequences kept); MobileNet's top on every time step
    (28×28×256 -> 4×4×1024); average pooling over time and space; dense softmax.
    See `recurrent_layer_classes` for which cell each recurrent layer uses.

    keras_hub's split: `model.backbone` is the network up to the pooled features
    (everything but the "Classes" head; `model.backbone.trainable = False` trains
    the head alone) and `model.preprocessor` turns raw uint8 clips of any length
    and size into the model's input; it is saved with the preset.

    Parameter counts of the "paper" configuration (pinned in
    tests/models/test_gesture_recognizer.py): with the default 27 classes
    12,302,171 for cell "a" and 20,681,563 for "convlstm" (12,440,411 for "b",
    12,374,619 for "c" and "d"). The official code's "about 12.5M" and "20.9M"
    are for IsoGD's 249 classes, whose dense layer is 222 × 1,025 = 227,550
    parameters larger: num_classes=249 gives 12,529,721 and 20,909,113. The
    layers match the official ones one to one (bias-free Conv3D + batch norm,
    separable convolutions with bias, counts include batch norm's moving
    statistics as Keras' count_params does); each recurrent layer has the
    paper's Table 1 count with biases: 529,920 for (a), 4,719,616 for ConvLSTM,
    668,160 for (b), 602,368 for (c) and (d).

    Args:
        cell: "convlstm", "a", "b", "c" or "d" (see `keras_stlstm.layers.get_conv_lstm_class`).
        num_classes: number of gesture classes (27 for Jester, 249 for IsoGD).
        frames: clip length L (must be even: Res3D halves time). None: from `config`.
        image_size: int or (height, width) of the frames. None: from `config`.
        config: "paper" (the default when None), "small", "cpu" or "tiny" (see
            `keras_stlstm.models.gesture.configs`); explicit arguments override it.
        input_channels: 3 for RGB, 1 for depth, 2 for optical flow.
        res3d_filters: channels of Res3D blocks 1-2, 3, 4. None: from `config`.
        recurrent_filters, recurrent_kernel_size: of both recurrent layers.
        top_filters, top_strides: the separable convolutions of the top.
        causal: pad temporal convolutions with past frames only, so the model runs
            online (`streaming_model`) exactly as on whole clips. None: from
            `config` (False for "paper", True for the others).
        class_names: optional list of `num_classes` names (label i is `class_names[i]`),
            saved with the model; `keras-stlstm classify` prints them.
        name: model name.

    Call arguments:
        inputs: (batch, frames, H, W, input_channels) float clips.
        training: bool (batch norm).

    Returns:
        (batch, num_classes) softmax probabilities.

    Example:

    >>> import numpy as np
    >>> model = GestureRecognizer("a", num_classes=5, config="tiny")
    >>> model.predict(np.zeros((2, 4, 16, 16, 3), "float32"), verbose=0).shape
    (2, 5)
    """

    def __init__(
        self,
        cell="a",
        num_classes=27,
        frames=None,
        image_size=None,
        config=None,
        input_channels=3,
        res3d_filters=None,
        recurrent_filters=None,
        recurrent_kernel_size=None,
        top_filters=None,
        top_strides=None,
        causal=None,
        class_names=None,
        name="gesture_recognizer",
        **kwargs,
    ):
        spec = resolve_config(
            config,
            frames=frames,
            image_size=image_size,
            res3d_filters=res3d_filters,
            recurrent_filters=recurrent_filters,
            recurrent_kernel_size=recurrent_kernel_size,
            top_filters=top_filters,
            top_strides=top_strides,
            causal=causal,
        )
        spec = _validate(spec, num_classes, input_channels)
        class_names = check_class_names(class_names, num_classes)
        network = _GestureNetwork(cell, num_classes, spec)
        clip = self.clip_input(spec, input_channels)
        super().__init__(inputs=clip, outputs=network.whole_clip(clip), name=name, **kwargs)
        self._network = network
        self.cell_name = cell
        self.num_classes = num_classes
        self.class_names = class_names
        self.input_channels = input_channels
        self.spec = spec

    # `backbone`: the network up to the pooled features, (batch, features), before the "Classes" head.
    backbone_output_layer = "Average_Pooling"

    # --- shapes and checks -------------------------------------------------------

    def clip_shape_hint(self):
        frames, height, width, channels = self.clip_shape
        return (
            f"Resample the clip to {frames} frames of {height}×{width} with {channels} "
            "channel(s), or build a model with matching `frames`, `image_size` and "
            "`input_channels`."
        )

    @property
    def recurrent_layers(self):
        """The two recurrent layers (first, second)."""
        return list(self._network.recurrent)

    @property
    def mobilenet_top(self):
        """The per-frame MobileNet top (a keras.Sequential)."""
        return self._network.top

    # --- streaming ---------------------------------------------------------------

    @property
    def streaming_frames_per_step(self):
        """Frames one streaming step consumes: Res3D's temporal stride (2)."""
        return TEMPORAL_STRIDE

    def streaming_model(self):
        """The single-step model, sharing this model's weights.

        Inputs: "frames" (batch, 2, H, W, C), then "state_0", ...: the past-frame
        buffers of every causal temporal convolution (at its own input
        resolution), the two recurrent layers' (h, c), and the running sum and
        count of the pooled top features. Outputs: "output" (batch, num_classes),
        the class probabilities given every frame so far, then "new_state_0", ....
        After all steps of a clip the output equals the whole-clip model's
        (batch norm in inference mode).

        Raises:
            ValueError: the model is not causal.
        """
        if not self.spec["causal"]:
            raise ValueError(
                "streaming_model() needs a causal model (its temporal convolutions "
                "must not look at future frames). Build the model with causal=True "
                "(the 'small' and 'tiny' configurations are causal by default)."
            )
        graph = StreamingGraph()
        step_shape = (TEMPORAL_STRIDE,) + self.clip_shape[1:]
        frames = keras.Input(step_shape, name="frames")
        output = self._network.step(frames, graph)
        return graph.model(frames, [output], name=f"{self.name}_streaming")

    # --- serialisation -----------------------------------------------------------

    def get_config(self):
        return {"cell": self.cell_name, **self.clip_config(self.spec)}


def _validate(spec, num_classes, input_channels):
    check_positive_int(num_classes, "num_classes")
    check_positive_int(input_channels, "input_channels")
    frames = check_positive_int(spec["frames"], "frames")
    if frames % TEMPORAL_STRIDE:
        raise ValueError(
            f"Argument `frames` must be a multiple of {TEMPORAL_STRIDE} (Res3D halves "
            f"the time axis). Received: frames={frames}"
        )
    spec["image_size"] = normalize_tuple(spec["image_size"], 2, "image_size")
    spec["res3d_filters"] = tuple(
        check_positive_int(f, "res3d_filters") for f in spec["res3d_filters"]
    )
    spec["top_filters"] = tuple(check_positive_int(f, "top_filters") for f in spec["top_filters"])
    spec["top_strides"] = tuple(check_positive_int(s, "top_strides") for s in spec["top_strides"])
    check_positive_int(spec["recurrent_filters"], "recurrent_filters")
    spec["causal"] = bool(spec["causal"])
    return spec
