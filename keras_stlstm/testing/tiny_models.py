"""Tiny registered models that implement the package's model conventions.

They follow the task models' pattern (a functional graph built in `__init__`,
`get_config` = constructor arguments, the streaming interface) at a size that
builds, saves and converts in well under a second, so the preset, export and
CLI tests do not depend on the full task models.
"""

import keras
from keras import ops

from keras_stlstm.layers.conv_lstm import ConvLSTM
from keras_stlstm.presets.loading import PresetMixin


def _recurrent_layer(cell, filters, return_sequences):
    """The recurrent layer named by `cell`: "convlstm", "a"-"d", "stlstm" or "e3d"."""
    if cell == "stlstm":
        from keras_stlstm.layers.spatiotemporal_lstm import SpatioTemporalLSTM

        return SpatioTemporalLSTM([filters, filters], 3, return_sequences=return_sequences, name="rnn")
    if cell == "e3d":
        from keras_stlstm.layers.eidetic_3d_lstm import Eidetic3DLSTM

        return Eidetic3DLSTM(
            [filters], (2, 3, 3), depth=2, recall_window=2, return_sequences=return_sequences, name="rnn"
        )
    if cell == "convlstm":
        layer_class = ConvLSTM
    else:
        from keras_stlstm.layers import get_conv_lstm_class

        layer_class = get_conv_lstm_class(cell)
    return layer_class(filters, 3, return_sequences=return_sequences, name="rnn")


class _Streaming:
    """The streaming interface shared by the tiny models (one frame per step)."""

    streaming_frames_per_step = 1

    def streaming_model(self):
        """[frames (batch, 1, H, W, C), *states] -> [output, *new_states], no loop."""
        rnn = self.get_layer("rnn")
        frames = keras.Input((1,) + tuple(self.input_shape[2:]), name="frames")
        shapes = rnn.cell.state_shapes()
        states = [keras.Input(tuple(s), name=f"state_{i}") for i, s in enumerate(shapes)]
        hidden, new_states = rnn.cell(ops.squeeze(frames, 1), states)
        output = keras.layers.Identity(name="output")(self._head_step(hidden))
        new_states = [
            keras.layers.Identity(name=f"new_state_{i}")(s) for i, s in enumerate(new_states)
        ]
        return keras.Model([frames, *states], [output, *new_states], name=f"{self.name}_streaming")

    def streaming_initial_state(self, batch_size=1):
        import numpy as np

        shapes = self.get_layer("rnn").cell.state_shapes()
        return [np.zeros((batch_size,) + tuple(s), "float32") for s in shapes]


def _pool(x):
    """Mean over every axis but batch and channels."""
    return ops.mean(x, axis=tuple(range(1, len(x.shape) - 1)))


@keras.saving.register_keras_serializable(package="keras_stlstm")
class TinyClipClassifier(PresetMixin, _Streaming, keras.Model):
    """Clip classifier: recurrent layer -> spatial mean -> softmax head.

    Args:
        frames: clip length (None: any length).
        size: frame height and width.
        channels: frame channels.
        filters: recurrent filters.
        num_classes: classes of the head.
        cell: "convlstm", "a"-"d", "stlstm" or "e3d".
        class_names: optional list of `num_classes` names.

    Returns:
        (batch, num_classes) probabilities.
    """

    def __init__(self, frames=4, size=8, channels=2, filters=4, num_classes=3, cell="convlstm",
                 class_names=None, **kwargs):
        if class_names is not None and len(class_names) != num_classes:
            raise ValueError(
                f"`class_names` must have num_classes={num_classes} entries; received {len(class_names)}."
            )
        clip = keras.Input((frames, size, size, channels), name="frames")
        rnn = _recurrent_layer(cell, filters, return_sequences=False)
        # A local, not an attribute: torch modules reject attributes set before __init__.
        head = keras.layers.Dense(num_classes, activation="softmax", name="head")
        probs = head(_pool(rnn(clip)))
        super().__init__(inputs=clip, outputs=probs, **kwargs)
        self.frames, self.size, self.channels, self.filters = frames, size, channels, filters
        self.num_classes, self.cell_type, self.class_names = num_classes, cell, class_names

    def _head_step(self, hidden):
        return self.get_layer("head")(_pool(hidden))

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "frames": self.frames,
            "size": self.size,
            "channels": self.channels,
            "filters": self.filters,
            "num_classes": self.num_classes,
            "cell": self.cell_type,
            "class_names": self.class_names,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_stlstm")
class TinyFramePredictor(PresetMixin, _Streaming, keras.Model):
    """Per-frame predictor: recurrent layer (all steps) -> 1x1 conv to the frame channels.

    Args:
        frames, size, channels, filters, cell: as in `TinyClipClassifier`.

    Returns:
        (batch, frames, size, size, channels): the prediction of the next frame
        after every input frame.
    """

    def __init__(self, frames=4, size=8, channels=1, filters=4, cell="convlstm", **kwargs):
        clip = keras.Input((frames, size, size, channels), name="frames")
        rnn = _recurrent_layer(cell, filters, return_sequences=True)
        # A local, not an attribute: torch modules reject attributes set before __init__.
        decoder = keras.layers.Dense(channels, activation="sigmoid", name="decoder")
        hidden = rnn(clip)
        if cell == "e3d":  # (batch, time, D, H, W, F): average the depth slices
            hidden = ops.mean(hidden, axis=2)
        super().__init__(inputs=clip, outputs=decoder(hidden), **kwargs)
        self.frames, self.size, self.channels = frames, size, channels
        self.filters, self.cell_type = filters, cell

    def _head_step(self, hidden):
        if self.cell_type == "e3d":
            hidden = ops.mean(hidden, axis=1)
        return ops.expand_dims(self.get_layer("decoder")(hidden), 1)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "frames": self.frames,
            "size": self.size,
            "channels": self.channels,
            "filters": self.filters,
            "cell": self.cell_type,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
