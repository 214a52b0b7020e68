"""Variant (d) of the gesture paper: the output gate rebuilt as channel-wise attention (eqs. 21-24)."""

import keras

from keras_stlstm.layers._gate_attention import GateAttentionConvLSTMCell
from keras_stlstm.layers.base import SpatialRNN


@keras.saving.register_keras_serializable(package="keras_stlstm")
class OutputGateAttentionConvLSTMCell(GateAttentionConvLSTMCell):
    """One step of variant (d): o = channel-wise attention, i and f pooled as in (a).

    Equations, weights, arguments, call arguments and returns: see
    `GateAttentionConvLSTMCell`.
    """

    attention_gate = "o"


@keras.saving.register_keras_serializable(package="keras_stlstm")
class OutputGateAttentionConvLSTM(SpatialRNN):
    """Variant (d) recurrent layer over (batch, time, H, W, Cin) sequences.

    The output gate becomes a per-channel spatial attention map computed from the
    input and the hidden state; the input and forget gates stay pooled as in (a).

    Args, Call arguments, Returns: as `PooledGateConvLSTM`.

    Example:

    >>> import numpy as np
    >>> layer = OutputGateAttentionConvLSTM(8, 3)
    >>> tuple(layer(np.zeros((2, 5, 16, 16, 3), "float32")).shape)
    (2, 16, 16, 8)
    """

    cell_class = OutputGateAttentionConvLSTMCell
    cell_name = "output_gate_attention_conv_lstm_cell"
