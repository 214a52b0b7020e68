"""What the ST-LSTM and E3D-LSTM stack cells share.

Both are whole stacks of layers run as one recurrent cell, with the
spatiotemporal memory M zigzagging through them; per layer they have the same
five convolutions (conv_x -> 7F, conv_h -> 4F, conv_m -> 3F, conv_o and the
1x1 conv_last) and an optional per-sample layer norm after some of them. They
differ in the gate order, RECALL, and the rank of the convolutions.
"""

import math
import numbers

import keras
from keras import ops

from keras_stlstm.layers.base import SpatialCell, check_positive_int, normalize_tuple
from keras_stlstm.layers.normalization import add_layer_norm_weights, sample_layer_norm


def normalize_stack_filters(filters):
    """Validates the per-layer `filters` of a zigzag-memory stack.

    Args:
        filters: an int (one layer) or a non-empty sequence of equal positive ints.

    Returns:
        A tuple of ints, one per layer.

    Raises:
        ValueError: naming `filters` when an entry is not a positive int, the
            sequence is empty, or the entries differ (the shared memory M needs
            the same channel count in every layer).
    """
    if isinstance(filters, numbers.Integral) and not isinstance(filters, bool):
        filters = (filters,)
    if isinstance(filters, (str, bytes)) or not hasattr(filters, "__iter__"):
        raise ValueError(
            "Argument `filters` must be an int or a list of ints (one per layer). "
            f"Received: filters={filters!r}"
        )
    filters = tuple(
        int(f) if isinstance(f, numbers.Integral) and not isinstance(f, bool) else f
        for f in filters
    )
    if not filters:
        raise ValueError("Argument `filters` must name at least one layer. Received: filters=()")
    for f in filters:
        check_positive_int(f, "filters")
    if len(set(filters)) != 1:
        raise ValueError(
            "Every entry of `filters` must be equal: the layers of the stack share "
            "the zigzag memory M, which has one channel count. "
            f"Received: filters={list(filters)}"
        )
    return filters


class ZigzagStackCell(SpatialCell):
    """Base of the stack cells: arguments, per-layer weights, convolutions, counts.

    Subclasses set `kernel_rank` (the rank of the convolutions) and implement
    `layer_norms()`; the per-layer weights are the dict `layer_weights[n]` with
    keys "x", "h", "m", "o", "last", "bias" and "norm_<key>" (gamma, beta).

    Args:
        filters: int or list of equal ints, F of each layer.
        kernel_size: int or `kernel_rank` ints, the kernel of every convolution
            but conv_last.
        layer_norm, forget_bias, kernel_initializer, recurrent_initializer,
        bias_initializer: see the subclasses.
    """

    kernel_rank = 2

    def __init__(
        self,
        filters,
        kernel_size,
        layer_norm,
        forget_bias,
        kernel_initializer,
        recurrent_initializer,
        bias_initializer,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = normalize_stack_filters(filters)
        self.kernel_size = normalize_tuple(kernel_size, self.kernel_rank, "kernel_size")
        self.layer_norm = bool(layer_norm)
        self.forget_bias = float(forget_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    @property
    def num_layers(self):
        return len(self.filters)

    @property
    def units(self):
        """F, the channel count shared by every layer."""
        return self.filters[0]

    def layer_norms(self):
        """(key, channels, weight name) of each layer's norms, in creation order."""
        raise NotImplementedError

    def build_weights(self, input_channels):
        f, k = self.units, self.kernel_size
        kernels = (
            ("x", k, 7, self.kernel_initializer),
            ("h", k, 4, self.recurrent_initializer),
            ("m", k, 3, self.recurrent_initializer),
            ("o", k, 1, self.kernel_initializer),
            ("last", (1,) * self.kernel_rank, 1, self.kernel_initializer),
        )
        self.layer_weights = []
        for n in range(self.num_layers):
            inputs = {"x": input_channels if n == 0 else f, "h": f, "m": f, "o": 2 * f, "last": 2 * f}
            w = {
                key: self.add_weight(
                    shape=size + (inputs[key], width * f), initializer=initializer, name=f"l{n}_kernel_{key}"
                )
                for key, size, width, initializer in kernels
            }
            w["bias"] = self.add_weight(shape=(7 * f,), initializer=self.bias_initializer, name=f"l{n}_bias")
            for key, channels, name in self.layer_norms():
                w[f"norm_{key}"] = add_layer_norm_weights(self, channels, f"l{n}_norm_{name}")
            self.layer_weights.append(w)

    def _same_conv(self, x, kernel):
        """'same' convolution, stride 1; subclasses may compute it another way."""
        return ops.conv(x, kernel, padding="same")

    def _conv(self, x, w, key):
        """'same' convolution by kernel `key`, followed by its layer norm if it has one."""
        z = self._same_conv(x, w[key])
        if f"norm_{key}" in w:
            z = sample_layer_norm(z, *w[f"norm_{key}"])
        return z

    def stack_counts(self):
        """(conv, weights, biases) of the built stack, per sample.

        `conv` counts the kernel weights (each used once per position), `weights`
        adds the layer-norm gains, `biases` the gate biases and layer-norm shifts.
        """
        f, taps = self.units, math.prod(self.kernel_size)
        norms = sum(channels for _, channels, _ in self.layer_norms())
        conv = 0
        for n in range(self.num_layers):
            cin = self.input_channels if n == 0 else f
            conv += taps * (cin * 7 * f + f * 4 * f + f * 3 * f + 2 * f * f) + 2 * f * f
        return conv, conv + self.num_layers * norms, self.num_layers * (7 * f + norms)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": list(self.filters),
                "kernel_size": self.kernel_size,
                "layer_norm": self.layer_norm,
                "forget_bias": self.forget_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config
