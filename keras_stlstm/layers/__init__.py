"""Recurrent layers: ConvLSTM, the gesture paper's variants (a)-(d), ST-LSTM and E3D-LSTM."""

from keras_stlstm.layers.conv_lstm import ConvLSTM, ConvLSTMCell
