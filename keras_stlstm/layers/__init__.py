"""Recurrent layers: ConvLSTM, the gesture paper's variants (a)-(d), ST-LSTM, PredRNN++ and E3D-LSTM."""

from keras_stlstm.layers.conv_lstm import ConvLSTM, ConvLSTMCell
from keras_stlstm.layers.input_attention_conv_lstm import (
    InputAttentionConvLSTM,
    InputAttentionConvLSTMCell,
)
from keras_stlstm.layers.input_gate_attention_conv_lstm import (
    InputGateAttentionConvLSTM,
    InputGateAttentionConvLSTMCell,
)
from keras_stlstm.layers.output_gate_attention_conv_lstm import (
    OutputGateAttentionConvLSTM,
    OutputGateAttentionConvLSTMCell,
)
from keras_stlstm.layers.pooled_gate_conv_lstm import PooledGateConvLSTM, PooledGateConvLSTMCell
from keras_stlstm.layers.variants import CONV_LSTM_VARIANTS, get_conv_lstm_class
from keras_stlstm.layers.eidetic_3d_lstm import Eidetic3DLSTM, Eidetic3DLSTMCell
from keras_stlstm.layers.predrnn_plus_plus import PredRNNPlusPlus, PredRNNPlusPlusCell
from keras_stlstm.layers.spatiotemporal_lstm import SpatioTemporalLSTM, SpatioTemporalLSTMCell
