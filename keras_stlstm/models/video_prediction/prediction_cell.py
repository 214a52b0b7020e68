"""One step of video prediction: frame in, predicted next frame out.

    frame (H, W, C) --patch--> (H/p, W/p, p·p·C) --stack cell--> top hidden (or all layers')
        --decoder--> (H/p, W/p, p·p·C) --activation--> --unpatch--> next frame (H, W, C)

The whole-sequence model (`VideoPredictor`) runs `step_patched` in a loop over
patched frames; the streaming model calls the layer itself on raw frames.
"""

import keras
from keras import ops

from keras_stlstm.layers.base import check_positive_int
from keras_stlstm.models.video_prediction.backbones import (
    check_backbone,
    decode,
    make_decoder,
    make_stack_cell,
    resolve_backbone_args,
)
from keras_stlstm.models.video_prediction.patching import check_patchable, patch_frames, unpatch_frames

OUTPUT_ACTIVATIONS = ("sigmoid", "clip")


@keras.saving.register_keras_serializable(package="keras_stlstm")
class FramePredictionCell(keras.layers.Layer):
    """Recurrent stack + decoder + patching: one video-prediction step.

    Args:
        backbone: "e3d", "predrnn", "predrnn_pp" or "convlstm" (see `backbones.py`).
        channels: C, the frame channels.
        patch_size: p, the side of the square pixel blocks stacked on channels.
        filters, kernel_size, layer_norm: the stack's; None = the backbone default.
        depth: E3D only, frames per input window (D).
        recall_window: E3D only, memories RECALL attends to (None = all, i.e.
            `history_length`).
        history_length: E3D with recall_window=None: buffer capacity (the
            number of steps of a training sequence).
        recall_initial_memory: E3D only; False (the paper's eq. 1) or True
            (the official code: RECALL also attends the initial memory C_0).
        output_activation: "sigmoid" (default) or "clip", mapping the decoder
            output to [0, 1].
        decoder_input: "top" (default): the decoder reads the top layer's
            output. "all_layers" (ConvLSTM only): every layer's hidden state,
            concatenated (Shi et al. 2015).

    Call arguments:
        frame: (batch, H, W, C), one frame in [0, 1].
        states: the stack cell's states (see `get_initial_state`).

    Returns:
        (next_frame, new_states): the prediction of the following frame,
        (batch, H, W, C) in [0, 1], and the new states.
    """

    def __init__(
        self,
        backbone,
        channels=1,
        patch_size=4,
        filters=None,
        kernel_size=None,
        layer_norm=None,
        depth=2,
        recall_window=None,
        history_length=None,
        output_activation="sigmoid",
        decoder_input="top",
        recall_initial_memory=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.backbone = check_backbone(backbone)
        self.channels = check_positive_int(channels, "channels")
        self.patch_size = check_positive_int(patch_size, "patch_size")
        self.depth = check_positive_int(depth, "depth")
        self.filters, self.kernel_size, self.layer_norm = resolve_backbone_args(
            self.backbone, filters, kernel_size, layer_norm, recall_window, depth, decoder_input, recall_initial_memory
        )
        self.recall_initial_memory = recall_initial_memory
        self.decoder_input = decoder_input
        self.recall_window = recall_window
        self.history_length = history_length
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(
                f"Argument `output_activation` must be one of {list(OUTPUT_ACTIVATIONS)}; "
                f"received {output_activation!r}."
            )
        self.output_activation = output_activation
        self.stack = make_stack_cell(
            self.backbone,
            self.filters,
            self.kernel_size,
            self.layer_norm,
            self.depth,
            recall_window,
            history_length,
            decoder_input=self.decoder_input,
            recall_initial_memory=recall_initial_memory,
        )
        self.decoder = make_decoder(self.backbone, self.patch_size**2 * self.channels, self.depth)

    @property
    def patched_channels(self):
        return self.patch_size**2 * self.channels

    def build(self, frame_shape, states_shape=None):
        frame_shape = tuple(frame_shape)
        if len(frame_shape) != 4 or frame_shape[-1] != self.channels:
            raise ValueError(
                f"{type(self).__name__} expects frames of shape (batch, H, W, {self.channels}); "
                f"received {frame_shape}."
            )
        h, w = frame_shape[1], frame_shape[2]
        check_patchable(h, w, self.patch_size)
        self.frame_size = (h, w)
        patched = (None, h // self.patch_size, w // self.patch_size, self.patched_channels)
        self.stack.build(patched)
        top = (None,) + tuple(self.stack.output_shape_per_sample())
        self.decoder.build(top)
        self.built = True

    def get_initial_state(self, batch_size):
        """Zero states of the stack for `batch_size` samples."""
        return self.stack.get_initial_state(batch_size)

    def state_shapes(self):
        """Per-sample shapes of the states (valid once built)."""
        return [tuple(s) for s in self.stack.state_shapes()]

    def activate(self, x):
        """Maps decoder outputs to [0, 1]."""
        if self.output_activation == "sigmoid":
            return ops.sigmoid(x)
        return ops.clip(x, 0.0, 1.0)

    def step_patched(self, patched_frame, states, training=False):
        """One step on a patched frame; returns (patched prediction, new_states)."""
        hidden, new_states = self.stack(patched_frame, states, training=training)
        out = self.activate(decode(self.decoder, self.backbone, hidden))
        return out, list(new_states)

    def call(self, frame, states, training=False):
        out, new_states = self.step_patched(patch_frames(frame, self.patch_size), states, training=training)
        return unpatch_frames(out, self.patch_size), new_states

    def compute_output_shape(self, frame_shape, states_shape=None):
        batch = frame_shape[0]
        return tuple(frame_shape), [(batch,) + s for s in self.state_shapes()]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "backbone": self.backbone,
                "channels": self.channels,
                "patch_size": self.patch_size,
                "filters": list(self.filters),
                "kernel_size": self.kernel_size,
                "layer_norm": self.layer_norm,
                "depth": self.depth,
                "recall_window": self.recall_window,
                "history_length": self.history_length,
                "output_activation": self.output_activation,
                "decoder_input": self.decoder_input,
                "recall_initial_memory": self.recall_initial_memory,
            }
        )
        return config
