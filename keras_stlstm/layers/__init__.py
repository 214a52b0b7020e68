"""Recurrent layers: ConvLSTM, the gesture paper's variants (a)-(d), ST-LSTM and E3D-LSTM."""

from keras_stlstm.layers.conv_lstm import ConvLSTM, ConvLSTMCell
from keras_stlstm.layers.eidetic_3d_lstm import Eidetic3DLSTM, Eidetic3DLSTMCell
from keras_stlstm.layers.spatiotemporal_lstm import SpatioTemporalLSTM, SpatioTemporalLSTMCell
