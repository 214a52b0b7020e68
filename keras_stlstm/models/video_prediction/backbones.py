"""The recurrent stacks and decoders a `VideoPredictor` can run on.

Each backbone is one *stack cell* (`cell(x_t, states) -> (top_output, new_states)`,
`cell.get_initial_state(batch_size)`) plus the official decoder from the top
output to one patched frame:

| backbone   | stack cell                          | defaults                         | decoder |
| ---------- | ----------------------------------- | -------------------------------- | ------- |
| "e3d"      | `Eidetic3DLSTMCell`                 | 4 x 64, kernel (2, 5, 5), D = 2, layer norm | Conv3D kernel = stride = (D, 1, 1) |
| "predrnn"  | `SpatioTemporalLSTMCell`            | 4 x 128, kernel 5, no layer norm | 1x1 Conv2D |
| "predrnn_pp" | `PredRNNPlusPlusCell`             | 4 x 64, kernel 5, layer norm     | 1x1 Conv2D |
| "convlstm" | `ConvLSTMStackCell` (below)         | 4 x 128, kernel 5                | 1x1 Conv2D |

The ConvLSTM decoder reads the top layer's hidden state by default, like the
other two; `decoder_input="all_layers"` feeds it every layer's hidden state
concatenated instead, the forecaster output of the ConvLSTM paper (Shi et al.
2015, section 3.3: "we concatenate all the states in the forecasting network
and feed them into a 1 x 1 convolutional layer to generate the final
prediction").

The PredRNN defaults are thuml/predrnn-pytorch's Moving MNIST script; the E3D
ones the paper's (google/e3d_lstm's flags); the PredRNN++ ones Yunbo426/predrnn-pp's
train.py (kernel 5, 4x4 patches, layer norm), with 4 equal layers of 64 where it
has 128, 64, 64, 64 (the zigzag memory here has one width). For ConvLSTM we take the same
4 x 128, kernel 5, patch 4 stack as PredRNN: that is OpenSTL's "ConvLSTM-S"
Moving MNIST baseline (protocols.md table), so the three backbones differ only in
their cell.
"""

import keras
from keras import ops

from keras_stlstm.layers.base import SpatialCell
from keras_stlstm.layers.conv_lstm import ConvLSTMCell
from keras_stlstm.layers.eidetic_3d_lstm import Eidetic3DLSTMCell
from keras_stlstm.layers.predrnn_plus_plus import PredRNNPlusPlusCell
from keras_stlstm.layers.spatiotemporal_lstm import SpatioTemporalLSTMCell, normalize_stack_filters

BACKBONES = ("e3d", "predrnn", "predrnn_pp", "convlstm")
DECODER_INPUTS = ("top", "all_layers")

DEFAULTS = {
    "e3d": {"filters": (64, 64, 64, 64), "kernel_size": (2, 5, 5), "layer_norm": True},
    "predrnn": {"filters": (128, 128, 128, 128), "kernel_size": 5, "layer_norm": False},
    "predrnn_pp": {"filters": (64, 64, 64, 64), "kernel_size": 5, "layer_norm": True},
    "convlstm": {"filters": (128, 128, 128, 128), "kernel_size": 5, "layer_norm": False},
}


def check_backbone(backbone):
    """Returns `backbone` lower-cased, or raises a ValueError listing the valid names."""
    name = str(backbone).lower() if isinstance(backbone, str) else backbone
    if name not in BACKBONES:
        raise ValueError(
            f"Unknown `backbone`: {backbone!r}. Expected one of {list(BACKBONES)}."
        )
    return name


@keras.saving.register_keras_serializable(package="keras_stlstm")
class ConvLSTMStackCell(SpatialCell):
    """One time step of a stack of ConvLSTM layers (layer k feeds layer k+1).

    Unlike the ST-LSTM and E3D stacks there is no shared memory: each layer keeps
    its own (h, c). The stack is one cell so that a frame-by-frame loop (with
    scheduled sampling, or streaming) can step every layer at once.

    Args:
        filters: int or list of ints, F of each layer.
        kernel_size: int or (kh, kw) of every layer.
        concat_outputs: False (default): the step output is the top layer's
            h'. True: every layer's h' concatenated on the channels, bottom
            first (Shi et al. 2015's forecaster output), (batch, H, W, sum F).
        cell_kwargs: dict forwarded to every `ConvLSTMCell` (activation,
            initialisers...).

    Call arguments:
        inputs: one step's input, (batch, H, W, Cin).
        states: [h_0, c_0, ..., h_{L-1}, c_{L-1}], each (batch, H, W, F_k).

    Returns:
        (output, new_states): output is h_top' or the concatenated h's.

    Example:

    >>> import numpy as np
    >>> cell = ConvLSTMStackCell([8, 8], 3)
    >>> x = np.zeros((2, 16, 16, 4), "float32")
    >>> cell.build(x.shape)
    >>> out, states = cell(x, cell.get_initial_state(2))
    >>> tuple(out.shape), len(states)
    ((2, 16, 16, 8), 4)
    """

    def __init__(self, filters, kernel_size=5, concat_outputs=False, cell_kwargs=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(filters, int):
            filters = (filters,)
        self.filters = tuple(int(f) if isinstance(f, int) else f for f in filters)
        if not self.filters:
            raise ValueError("Argument `filters` must name at least one layer. Received: filters=()")
        self.kernel_size = kernel_size
        self.concat_outputs = bool(concat_outputs)
        self.cell_kwargs = dict(cell_kwargs or {})
        self.cells = [
            ConvLSTMCell(f, kernel_size, name=f"conv_lstm_cell_{n}", dtype=kwargs.get("dtype"), **self.cell_kwargs)
            for n, f in enumerate(self.filters)
        ]

    def build_weights(self, input_channels):
        channels = input_channels
        for cell in self.cells:
            cell.build((None,) + self.spatial_dims + (channels,))
            channels = cell.filters

    def state_shapes(self):
        return [shape for cell in self.cells for shape in cell.state_shapes()]

    def output_shape_per_sample(self):
        top = tuple(self.cells[-1].output_shape_per_sample())
        if not self.concat_outputs:
            return top
        return top[:-1] + (sum(cell.filters for cell in self.cells),)

    def call(self, inputs, states, training=False):
        x, new_states, outputs = inputs, [], []
        for n, cell in enumerate(self.cells):
            x, layer_states = cell(x, states[2 * n : 2 * n + 2], training=training)
            new_states += list(layer_states)
            outputs.append(x)
        if self.concat_outputs and len(outputs) > 1:
            x = ops.concatenate(outputs, axis=-1)
        return x, new_states

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": list(self.filters),
                "kernel_size": self.kernel_size,
                "concat_outputs": self.concat_outputs,
                "cell_kwargs": self.cell_kwargs,
            }
        )
        return config


def resolve_backbone_args(
    backbone, filters, kernel_size, layer_norm, recall_window, depth, decoder_input="top", recall_initial_memory=False
):
    """Fills in the backbone's defaults and rejects arguments it cannot use.

    Returns:
        (filters tuple, kernel_size, layer_norm).
    """
    defaults = DEFAULTS[backbone]
    filters = defaults["filters"] if filters is None else filters
    filters = normalize_stack_filters(filters) if backbone != "convlstm" else _int_tuple(filters, "filters")
    kernel_size = defaults["kernel_size"] if kernel_size is None else kernel_size
    if isinstance(kernel_size, list):
        kernel_size = tuple(kernel_size)
    layer_norm = defaults["layer_norm"] if layer_norm is None else bool(layer_norm)
    if backbone == "convlstm" and layer_norm:
        raise ValueError(
            "Argument `layer_norm` is not supported by backbone='convlstm' (the "
            "ConvLSTM cell has no normalisation); use None or False."
        )
    if backbone != "e3d":
        e3d_only = (("recall_window", recall_window, None), ("depth", depth, 2))
        e3d_only += (("recall_initial_memory", recall_initial_memory, False),)
        for name, value, default in e3d_only:
            if value != default:
                raise ValueError(
                    f"Argument `{name}` only applies to backbone='e3d'; received "
                    f"{name}={value!r} with backbone={backbone!r}."
                )
    if decoder_input not in DECODER_INPUTS:
        raise ValueError(
            f"Argument `decoder_input` must be one of {list(DECODER_INPUTS)}; received {decoder_input!r}."
        )
    if decoder_input != "top" and backbone != "convlstm":
        raise ValueError(
            f"Argument `decoder_input={decoder_input!r}` only applies to backbone='convlstm' (the "
            f"PredRNN and E3D stacks pass their memory up the layers); use 'top' with backbone={backbone!r}."
        )
    return filters, kernel_size, layer_norm


def _int_tuple(filters, name):
    if isinstance(filters, int) and not isinstance(filters, bool):
        filters = (filters,)
    try:
        values = tuple(filters)
    except TypeError:
        values = ()
    if not values or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
        raise ValueError(
            f"Argument `{name}` must be a positive int or a non-empty list of "
            f"positive ints (one per layer). Received: {name}={filters!r}"
        )
    return values


def make_stack_cell(
    backbone,
    filters,
    kernel_size,
    layer_norm,
    depth,
    recall_window,
    history_length,
    decoder_input="top",
    recall_initial_memory=False,
):
    """Builds the (unbuilt) stack cell of `backbone` with resolved arguments."""
    if backbone == "e3d":
        return Eidetic3DLSTMCell(
            filters,
            kernel_size,
            depth=depth,
            recall_window=recall_window,
            history_length=history_length if recall_window is None else None,
            recall_initial_memory=recall_initial_memory,
            layer_norm=layer_norm,
            name="stack",
        )
    if backbone == "predrnn":
        return SpatioTemporalLSTMCell(filters, kernel_size, layer_norm=layer_norm, name="stack")
    if backbone == "predrnn_pp":
        return PredRNNPlusPlusCell(filters, kernel_size, layer_norm=layer_norm, name="stack")
    return ConvLSTMStackCell(filters, kernel_size, concat_outputs=decoder_input == "all_layers", name="stack")


def make_decoder(backbone, out_channels, depth):
    """The official decoder from the top hidden state to one patched frame (pre-activation).

    E3D: a Conv3D with kernel and stride (D, 1, 1) collapses the depth-D hidden
    block to one frame (google/e3d_lstm; its 'same' padding is 'valid' here
    because kernel = stride = depth). PredRNN / ConvLSTM: a 1x1 convolution
    (thuml/predrnn-pytorch's conv_last). Both keep a bias (the PredRNN code has
    none) so the output sigmoid can settle the mostly-black background quickly.
    """
    if backbone == "e3d":
        return keras.layers.Conv3D(
            out_channels, (depth, 1, 1), strides=(depth, 1, 1), padding="valid", name="decoder"
        )
    return keras.layers.Conv2D(out_channels, 1, name="decoder")


def decode(decoder, backbone, hidden):
    """Applies `decoder` to the stack's top output; returns (batch, h, w, p*p*C)."""
    out = decoder(hidden)
    if backbone == "e3d":
        out = ops.squeeze(out, axis=1)  # depth collapsed to 1 by the (D, 1, 1) stride
    return out
