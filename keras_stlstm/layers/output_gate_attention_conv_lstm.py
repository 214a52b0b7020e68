"""Variant (d) of the gesture paper: the output gate rebuilt as channel-wise attention (eqs. 21-24)."""

import keras

from keras_stlstm.layers._gate_attention import GateAttentionConvLSTMCell
from keras_stlstm.layers.pooled_gate_conv_lstm import PooledGateRNNBase


@keras.saving.register_keras_serializable(package="keras_stlstm")
class OutputGateAttentionConvLSTMCell(GateAttentionConvLSTMCell):
    """One step of variant (d): o = channel-wise attention, i and f pooled as in (a).

        Z = Wi * tanh(Pw·[dw(X), dw(H)] + bi)
        o = exp(Z - max over positions of Z)          (per channel, values in (0, 1])
        i, f = σ(W·x̄ + U·h̄ + b)                      (pooled, as in variant (a))
        G = tanh(Pw·[dw(X), dw(H)] + bc)   C' = f∘C + i∘G   H' = o∘tanh(C')

    See `GateAttentionConvLSTMCell` for the attention weights and
    `PooledGateConvLSTMCell` for the arguments and the other weights (here the
    pooled gate kernels hold i and f, in that order).

    Call arguments:
        inputs: one step's input, shape (batch, H, W, Cin).
        states: [h, c], each (batch, H, W, F).

    Returns:
        (h', [h', c']).
    """

    attention_gate = "o"


@keras.saving.register_keras_serializable(package="keras_stlstm")
class OutputGateAttentionConvLSTM(PooledGateRNNBase):
    """Variant (d) recurrent layer over (batch, time, H, W, Cin) sequences.

    The output gate becomes a per-channel spatial attention map computed from the
    input and the hidden state; the input and forget gates stay pooled as in (a).

    Args:
        filters, kernel_size, activation, recurrent_activation, use_bias,
        unit_forget_bias, kernel_initializer, recurrent_initializer,
        depthwise_initializer, bias_initializer: see `PooledGateConvLSTMCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: as in
            `keras.layers.RNN`.

    Call arguments:
        sequences: (batch, time, H, W, Cin).
        initial_state: optional [h, c], each (batch, H, W, F).
        training: bool.

    Returns:
        (batch, H, W, F), or (batch, time, H, W, F) with `return_sequences`;
        followed by h and c with `return_state`.

    Example:

    >>> import numpy as np
    >>> layer = OutputGateAttentionConvLSTM(8, 3)
    >>> tuple(layer(np.zeros((2, 5, 16, 16, 3), "float32")).shape)
    (2, 16, 16, 8)
    """

    cell_class = OutputGateAttentionConvLSTMCell
    cell_name = "output_gate_attention_conv_lstm_cell"
