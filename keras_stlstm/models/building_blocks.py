"""Layers shared by the task models: a causal 3D convolution and a time-folding wrapper.

`CausalConv3D` is what makes a 3D-convolutional front end run online: along time
it only looks at the current and past frames, so a clip fed a few frames at a
time (with the last frames of the previous chunk kept as state, see
`keras_stlstm.models.streaming`) gives exactly the whole-clip result.
"""

import math

import keras
from keras import ops

from keras_stlstm.layers.base import normalize_tuple


def same_padding(size, kernel, stride):
    """(before, after) padding of TensorFlow/XLA 'same' for one axis of static `size`."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


@keras.saving.register_keras_serializable(package="keras_stlstm")
class CausalConv3D(keras.layers.Conv3D):
    """3D convolution that is causal along time and 'same' in space.

    Output step t' of a layer with temporal kernel k and temporal stride s sees the
    input frames s·t' + s - k ... s·t' + s - 1, i.e. it is aligned with the LAST
    frame of its stride group: the layer pads k - s zero frames in front of the
    clip (or drops s - k frames when k < s) and none behind, so T frames give T / s
    outputs and no output depends on a later frame. Spatial padding is exactly
    Keras' 'same' (more padding after than before when the total is odd).

    The weights have the same shapes as `keras.layers.Conv3D` with the same
    arguments, so weights can be moved between the causal and the centred form.

    Args:
        filters, kernel_size, strides: as in `keras.layers.Conv3D`.
        padding: must be "causal" (the only mode; kept so `get_config` round-trips).
        **kwargs: other `keras.layers.Conv3D` arguments (no dilation).

    Call arguments:
        inputs: (batch, time, H, W, C) with static H and W.
        streaming: if True the caller has already put the `buffer_frames` past
            frames in front of `inputs` (see `keras_stlstm.models.streaming`), so
            no zero frames are added.

    Returns:
        (batch, time', H', W', filters): time' = time / s for whole clips.

    Example:

    >>> import numpy as np
    >>> conv = CausalConv3D(4, (3, 3, 3))
    >>> conv(np.zeros((1, 6, 8, 8, 2), "float32")).shape
    (1, 6, 8, 8, 4)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="causal", **kwargs):
        if padding != "causal":
            raise ValueError(
                f"CausalConv3D only supports padding='causal'. Received: padding={padding!r}"
            )
        dilation = kwargs.pop("dilation_rate", (1, 1, 1))
        if normalize_tuple(dilation, 3, "dilation_rate") != (1, 1, 1):
            raise ValueError(
                f"CausalConv3D does not support dilation. Received: dilation_rate={dilation}"
            )
        super().__init__(filters, kernel_size, strides=strides, padding="valid", **kwargs)

    @property
    def time_padding(self):
        """Zero frames put in front of a whole clip (negative: frames dropped)."""
        return self.kernel_size[0] - self.strides[0]

    @property
    def buffer_frames(self):
        """Past input frames a streaming step must keep for this layer."""
        return max(self.time_padding, 0)

    def _padding(self, input_shape, streaming):
        spatial = input_shape[2:4]
        if any(d is None for d in spatial):
            raise ValueError(
                f"CausalConv3D needs static spatial dimensions; received shape {tuple(input_shape)}."
            )
        front = self.time_padding if (self.time_padding > 0 and not streaming) else 0
        pads = [(0, 0), (front, 0)]
        for size, k, s in zip(spatial, self.kernel_size[1:], self.strides[1:]):
            pads.append(same_padding(size, k, s))
        return pads + [(0, 0)]

    def call(self, inputs, streaming=False):
        if self.time_padding < 0:
            inputs = inputs[:, -self.time_padding :]
        pads = self._padding(inputs.shape, streaming)
        front = pads[1][0]
        if front:
            # Zero frames are concatenated rather than added to the spatial Pad:
            # with a time-and-space Pad, TensorFlow's grappler (remapper) breaks
            # the graph of a causal Res3D followed by a recurrent layer for a
            # batch of 1 ("Specified a list with shape [1,...] from a tensor with
            # shape [2,...]").
            zeros = ops.zeros_like(inputs[:, :1])
            inputs = ops.concatenate([zeros] * front + [inputs], axis=1)
            pads[1] = (0, 0)
        if any(p != (0, 0) for p in pads):
            inputs = ops.pad(inputs, pads)
        return super().call(inputs)

    def _output_shape(self, input_shape, streaming=False):
        input_shape = tuple(input_shape)
        steps = input_shape[1]
        if steps is not None:
            if self.time_padding < 0:
                steps -= -self.time_padding
            elif not streaming:
                steps += self.time_padding
            steps = (steps - self.kernel_size[0]) // self.strides[0] + 1
        spatial = tuple(
            None if d is None else math.ceil(d / s)
            for d, s in zip(input_shape[2:4], self.strides[1:])
        )
        return (input_shape[0], steps) + spatial + (self.filters,)

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape)

    def compute_output_spec(self, inputs, streaming=False):
        return keras.KerasTensor(
            self._output_shape(inputs.shape, streaming), dtype=self.compute_dtype
        )

    def get_config(self):
        config = super().get_config()
        config["padding"] = "causal"
        config.pop("dilation_rate", None)
        return config


@keras.saving.register_keras_serializable(package="keras_stlstm")
class TimeFolded(keras.layers.Wrapper):
    """Applies a layer to every time step by folding time into the batch axis.

    Unlike `keras.layers.TimeDistributed` (a Python loop of one call per step),
    the wrapped layer sees one (batch·time, ...) tensor, so batch normalisation
    inside it takes its statistics over batch and time together, as the gesture
    paper's official code does (it reshapes to (-1, 28, 28, 256)).

    Args:
        layer: the per-frame layer or model.

    Call arguments:
        inputs: (batch, time, ...) with a static time axis.
        training: passed to the wrapped layer.

    Returns:
        (batch, time, ...) with the wrapped layer's per-frame output shape.

    Example:

    >>> import numpy as np
    >>> folded = TimeFolded(keras.layers.Conv2D(4, 3, padding="same"))
    >>> folded(np.zeros((2, 5, 8, 8, 3), "float32")).shape
    (2, 5, 8, 8, 4)
    """

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build((None,) + tuple(input_shape[2:]))
        self.built = True

    def call(self, inputs, training=None):
        steps = inputs.shape[1]
        if steps is None:
            raise ValueError(
                f"TimeFolded needs a static time axis; received shape {tuple(inputs.shape)}."
            )
        folded = ops.reshape(inputs, (-1,) + tuple(inputs.shape[2:]))
        outputs = self.layer(folded, training=training)
        return ops.reshape(outputs, (-1, steps) + tuple(outputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_spec(
            keras.KerasTensor((None,) + tuple(input_shape[2:]), dtype=self.compute_dtype)
        ).shape
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])


@keras.saving.register_keras_serializable(package="keras_stlstm")
class MaxPooling3D2(keras.layers.Layer):
    """2×2×2 max pooling with 'same' padding, built from ops TFLite has.

    Equal to `keras.layers.MaxPooling3D(2, padding="same")`, but TFLite has no 3D
    pooling: the time pairs are reduced with a max over a reshaped axis and the
    space with `MaxPooling2D`, both builtin TFLite ops, so models using it export
    to TFLite without Flex ops.

    Call arguments:
        inputs: (batch, T, H, W, C) with static T, H, W, C.

    Returns:
        (batch, ceil(T/2), ceil(H/2), ceil(W/2), C).

    Example:

    >>> import numpy as np
    >>> MaxPooling3D2()(np.zeros((1, 5, 4, 3, 2), "float32")).shape
    (1, 3, 2, 2, 2)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.spatial_pool = keras.layers.MaxPooling2D(2, padding="same")

    def call(self, inputs):
        steps, height, width, channels = inputs.shape[1:]
        if steps % 2:  # 'same' padding: the last frame is its own pair
            inputs = ops.concatenate([inputs, inputs[:, -1:]], axis=1)
            steps += 1
        x = ops.reshape(inputs, (-1, steps // 2, 2, height * width * channels))
        x = ops.reshape(ops.max(x, axis=2), (-1, height, width, channels))
        x = self.spatial_pool(x)
        return ops.reshape(x, (-1, steps // 2) + tuple(x.shape[1:]))

    def compute_output_shape(self, input_shape):
        batch, steps, height, width, channels = input_shape
        half = lambda d: None if d is None else -(-d // 2)  # noqa: E731
        return (batch, half(steps), half(height), half(width), channels)
