"""Variant (c) of the gesture paper: the input gate rebuilt as channel-wise attention (eqs. 21-24)."""

import keras

from keras_stlstm.layers._gate_attention import GateAttentionConvLSTMCell
from keras_stlstm.layers.base import SpatialRNN


@keras.saving.register_keras_serializable(package="keras_stlstm")
class InputGateAttentionConvLSTMCell(GateAttentionConvLSTMCell):
    """One step of variant (c): i = channel-wise attention, f and o pooled as in (a).

    Equations, weights, arguments, call arguments and returns: see
    `GateAttentionConvLSTMCell`.
    """

    attention_gate = "i"


@keras.saving.register_keras_serializable(package="keras_stlstm")
class InputGateAttentionConvLSTM(SpatialRNN):
    """Variant (c) recurrent layer over (batch, time, H, W, Cin) sequences.

    The input gate becomes a per-channel spatial attention map computed from the
    input and the hidden state; the forget and output gates stay pooled as in (a).

    Args, Call arguments, Returns: as `PooledGateConvLSTM`.

    Example:

    >>> import numpy as np
    >>> layer = InputGateAttentionConvLSTM(8, 3)
    >>> tuple(layer(np.zeros((2, 5, 16, 16, 3), "float32")).shape)
    (2, 16, 16, 8)
    """

    cell_class = InputGateAttentionConvLSTMCell
    cell_name = "input_gate_attention_conv_lstm_cell"
