"""Look-up of the ConvLSTM family by the gesture paper's letters."""

from keras_stlstm.layers.conv_lstm import ConvLSTM
from keras_stlstm.layers.input_attention_conv_lstm import InputAttentionConvLSTM
from keras_stlstm.layers.input_gate_attention_conv_lstm import InputGateAttentionConvLSTM
from keras_stlstm.layers.output_gate_attention_conv_lstm import OutputGateAttentionConvLSTM
from keras_stlstm.layers.pooled_gate_conv_lstm import PooledGateConvLSTM

CONV_LSTM_VARIANTS = {
    "convlstm": ConvLSTM,
    "a": PooledGateConvLSTM,
    "b": InputAttentionConvLSTM,
    "c": InputGateAttentionConvLSTM,
    "d": OutputGateAttentionConvLSTM,
}


def get_conv_lstm_class(name):
    """Returns the ConvLSTM-family layer class for a variant name.

    Args:
        name: "convlstm" or the gesture paper's letter "a", "b", "c", "d"
            (case-insensitive), or the class name itself (e.g.
            "PooledGateConvLSTM").

    Returns:
        The layer class; every one takes `(filters, kernel_size=3, ...)`.

    Raises:
        ValueError: for any other name; the message lists the valid names.

    Example:

    >>> get_conv_lstm_class("A").__name__
    'PooledGateConvLSTM'
    """
    if isinstance(name, str):
        key = name.strip().lower()
        if key in CONV_LSTM_VARIANTS:
            return CONV_LSTM_VARIANTS[key]
        for cls in CONV_LSTM_VARIANTS.values():
            if key == cls.__name__.lower():
                return cls
    valid = list(CONV_LSTM_VARIANTS) + [cls.__name__ for cls in CONV_LSTM_VARIANTS.values()]
    raise ValueError(
        f"Unknown ConvLSTM variant {name!r}. Expected one of: {', '.join(valid)}."
    )
