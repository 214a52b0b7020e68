"""keras_stlstm.layers.get_conv_lstm_class: the gesture paper's letters to layer classes."""

import pytest

from keras_stlstm import layers


@pytest.mark.parametrize(
    "name, expected",
    [
        ("convlstm", layers.ConvLSTM),
        ("ConvLSTM", layers.ConvLSTM),
        ("a", layers.PooledGateConvLSTM),
        ("A", layers.PooledGateConvLSTM),
        (" b ", layers.InputAttentionConvLSTM),
        ("c", layers.InputGateAttentionConvLSTM),
        ("D", layers.OutputGateAttentionConvLSTM),
        ("PooledGateConvLSTM", layers.PooledGateConvLSTM),
        ("outputgateattentionconvlstm", layers.OutputGateAttentionConvLSTM),
    ],
)
def test_lookup(name, expected):
    assert layers.get_conv_lstm_class(name) is expected


@pytest.mark.parametrize("name", ["e", "", "lstm", None, 3])
def test_unknown_name_lists_valid_names(name):
    with pytest.raises(ValueError, match="convlstm, a, b, c, d") as info:
        layers.get_conv_lstm_class(name)
    assert "PooledGateConvLSTM" in str(info.value)


def test_every_class_takes_the_shared_signature():
    for cls in layers.CONV_LSTM_VARIANTS.values():
        layer = cls(4, 3, return_sequences=True, return_state=True, go_backwards=True, unroll=True)
        assert (layer.cell.filters, layer.cell.kernel_size) == (4, (3, 3))
        assert layer.return_sequences and layer.return_state and layer.go_backwards and layer.unroll
