"""Variant (b) of the gesture paper: spatial soft attention on the input (eqs. 17-20)."""

import math

import keras
from keras import ops

from keras_stlstm.layers.base import SpatialRNN
from keras_stlstm.layers.pooled_gate_conv_lstm import PooledGateConvLSTMCell


@keras.saving.register_keras_serializable(package="keras_stlstm")
class InputAttentionConvLSTMCell(PooledGateConvLSTMCell):
    """One step of variant (b): variant (a) on a spatially reweighted input.

        Z = Wz * tanh(Pw·[dw(X), dw(H)] + ba)     Wz: K×K×F×1, Z is H×W×1
        A = softmax of Z over all H·W positions  (sums to 1 per sample)
        X̃ = A∘X, then variant (a) with X̃ in place of X (pooled gates and candidate)

    Unlike the official code (whose attention weight only fits when Cin == F),
    any Cin and F work: the attention's separable convolution maps Cin + F
    channels to F, and Wz maps F channels to one score per position.

    Weights: those of `PooledGateConvLSTMCell`, plus `attention_depthwise_kernel`
    (K, K, Cin, 1), `attention_recurrent_depthwise_kernel` (K, K, F, 1),
    `attention_pointwise_kernel` (Cin, F), `attention_recurrent_pointwise_kernel`
    (F, F), `attention_bias` (F,) and `attention_score_kernel` (K, K, F, 1).
    Extra weights without biases: K·K·(Cin + 2F) + (Cin + F)·F (paper eq. 20).

    Args:
        Same as `PooledGateConvLSTMCell`; the attention kernels use
        `kernel_initializer` / `recurrent_initializer` / `depthwise_initializer`
        like their counterparts in the candidate.

    Call arguments:
        inputs: one step's input, shape (batch, H, W, Cin).
        states: [h, c], each (batch, H, W, F).

    Returns:
        (h', [h', c']).
    """

    def build_attention_weights(self, input_channels):
        self.add_separable("attention", input_channels, self.filters)
        self.attention_score_kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, 1),
            initializer=self.kernel_initializer,
            name="attention_score_kernel",
        )

    def attention_map(self, x, h):
        """The spatial attention A, shape (batch, H, W, 1), summing to 1 per sample."""
        s = ops.tanh(self.separable("attention", x, h))
        z = ops.conv(s, self.attention_score_kernel, padding="same")
        flat = ops.softmax(ops.reshape(z, (-1, math.prod(self.spatial_dims))), axis=-1)
        return ops.reshape(flat, (-1,) + self.spatial_dims + (1,))

    def attend_input(self, x, h):
        return self.attention_map(x, h) * x

    def attention_counts(self):
        w, b, m = self.separable_counts(self.filters)
        score = math.prod(self.kernel_size) * self.filters
        return w + score, b, m + math.prod(self.spatial_dims) * score


@keras.saving.register_keras_serializable(package="keras_stlstm")
class InputAttentionConvLSTM(SpatialRNN):
    """Variant (b) recurrent layer over (batch, time, H, W, Cin) sequences.

    Soft attention over positions, computed from the input and the hidden state,
    reweights each input frame before a variant (a) step.

    Args, Call arguments, Returns: as `PooledGateConvLSTM`.

    Example:

    >>> import numpy as np
    >>> layer = InputAttentionConvLSTM(8, 3)
    >>> tuple(layer(np.zeros((2, 5, 16, 16, 3), "float32")).shape)
    (2, 16, 16, 8)
    """

    cell_class = InputAttentionConvLSTMCell
    cell_name = "input_attention_conv_lstm_cell"
