"""Variant (a) of the gesture paper: ConvLSTM gates from globally pooled features (eqs. 8-16).

This module also holds what variants (b), (c) and (d) reuse: the pooled gates and
the depthwise-separable convolution of an (input, hidden) pair. Each variant's layer
is a `SpatialRNN` naming its cell class, so all five share the cell's signature.
"""

import math

import keras
from keras import ops

from keras_stlstm.layers.base import SpatialCell, SpatialRNN, check_positive_int, normalize_tuple

GATE_NAMES = ("i", "f", "o")


def depthwise_conv_same(x, kernel):
    """Depthwise 'same' convolution of (batch, H, W, C) by a (kh, kw, C, 1) kernel.

    On JAX, XLA's CPU depthwise convolution is slow (about 60x slower than the
    shifted sum below at the gesture paper's 28×28×256, 20x for its gradient), so
    there the convolution is computed as a sum of kh·kw shifted, channel-scaled
    copies of the padded input, which XLA fuses into one loop. TensorFlow's own
    depthwise kernel is the faster of the two there.
    """
    if keras.backend.backend() != "jax":
        return ops.depthwise_conv(x, kernel, padding="same")
    kh, kw = kernel.shape[0], kernel.shape[1]
    height, width = x.shape[1], x.shape[2]
    # 'same' padding as TensorFlow and XLA place it: the odd extra row/column after.
    padded = ops.pad(x, ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)))
    taps = ops.reshape(kernel, (kh, kw, -1))
    out = None
    for i in range(kh):
        for j in range(kw):
            term = padded[:, i : i + height, j : j + width, :] * taps[i, j]
            out = term if out is None else out + term
    return out


@keras.saving.register_keras_serializable(package="keras_stlstm")
class PooledGateConvLSTMCell(SpatialCell):
    """One step of the gesture paper's variant (a): gates from pooled features.

        x̄ = GlobalAveragePool(X)      h̄ = GlobalAveragePool(H)
        i, f, o = σ(W·x̄ + U·h̄ + b)   (vectors of F, broadcast over H×W)
        G = tanh(Pw·[dw(X), dw(H)] + bc)
        C' = f∘C + i∘G                 H' = o∘tanh(C')

    The candidate is a depthwise-separable convolution: a K×K depthwise
    convolution of X and one of H, then one pointwise (1×1) projection of the
    (Cin + F) concatenation to F channels. The projection is stored as its two
    halves (`candidate_pointwise_kernel` for the input channels,
    `candidate_recurrent_pointwise_kernel` for the hidden ones), which is the same
    map. Weights without biases: (K·K + 4F)·(Cin + F) (paper eq. 16).

    Variants (b)-(d) subclass this cell: they override `attend_input` (b) or set
    `attention_gate` and override `attention_gate_value` (c, d); every gate not
    replaced by attention stays pooled.

    Weights (gate order i, f, o; gates replaced by attention are left out):
        gate_kernel (Cin, nF), gate_recurrent_kernel (F, nF), gate_bias (nF,);
        candidate_depthwise_kernel (K, K, Cin, 1),
        candidate_recurrent_depthwise_kernel (K, K, F, 1),
        candidate_pointwise_kernel (Cin, F),
        candidate_recurrent_pointwise_kernel (F, F), candidate_bias (F,).

    Args:
        filters: F, the number of output channels.
        kernel_size: int or (kh, kw) of the depthwise convolutions.
        activation: activation of the candidate and the output (default tanh).
        recurrent_activation: activation of the pooled gates. Default sigmoid, as
            in the paper (the official code uses hard_sigmoid).
        use_bias: whether the gates and the candidate have biases.
        unit_forget_bias: initialise the forget-gate bias to 1.
        kernel_initializer: initialiser of the input-side pointwise and gate
            kernels.
        recurrent_initializer: initialiser of the hidden-side pointwise and gate
            kernels.
        depthwise_initializer: initialiser of the depthwise kernels.
        bias_initializer: initialiser of the biases.

    Call arguments:
        inputs: one step's input, shape (batch, H, W, Cin).
        states: [h, c], each (batch, H, W, F).

    Returns:
        (h', [h', c']).
    """

    # Gate computed by attention instead of pooling: None, "i" (variant c) or "o" (d).
    attention_gate = None

    def __init__(
        self,
        filters,
        kernel_size=3,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        unit_forget_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = check_positive_int(filters, "filters")
        self.kernel_size = normalize_tuple(kernel_size, 2, "kernel_size")
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.unit_forget_bias = unit_forget_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.depthwise_initializer = keras.initializers.get(depthwise_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    @property
    def pooled_gates(self):
        """Names of the gates computed from pooled features, in weight order."""
        return tuple(g for g in GATE_NAMES if g != self.attention_gate)

    # ------------------------------------------------------------------ weights
    def build_weights(self, input_channels):
        f, n = self.filters, len(self.pooled_gates)
        self.gate_kernel = self.add_weight(
            shape=(input_channels, n * f),
            initializer=self.kernel_initializer,
            name="gate_kernel",
        )
        self.gate_recurrent_kernel = self.add_weight(
            shape=(f, n * f),
            initializer=self.recurrent_initializer,
            name="gate_recurrent_kernel",
        )
        self.gate_bias = (
            self.add_weight(
                shape=(n * f,), initializer=self._gate_bias_initializer(), name="gate_bias"
            )
            if self.use_bias
            else None
        )
        self.add_separable("candidate", input_channels, self.filters)
        self.build_attention_weights(input_channels)

    def build_attention_weights(self, input_channels):
        """Hook for the variants' extra weights; (a) has none."""

    def _gate_bias_initializer(self):
        if not self.unit_forget_bias or "f" not in self.pooled_gates:
            return self.bias_initializer
        base, f = self.bias_initializer, self.filters
        forget = self.pooled_gates.index("f")
        n = len(self.pooled_gates)

        def initializer(shape, dtype=None):
            parts = [base((f,), dtype=dtype) for _ in range(n)]
            parts[forget] = ops.ones((f,), dtype=dtype)
            return ops.concatenate(parts)

        return initializer

    def add_separable(self, prefix, input_channels, out_channels, use_bias=None):
        """Creates the weights of a depthwise-separable convolution of (X, H).

        Weights `{prefix}_depthwise_kernel` (K, K, Cin, 1),
        `{prefix}_recurrent_depthwise_kernel` (K, K, F, 1),
        `{prefix}_pointwise_kernel` (Cin, out), `{prefix}_recurrent_pointwise_kernel`
        (F, out) and, with biases, `{prefix}_bias` (out,); `separable(prefix, x, h)`
        applies them.
        """
        use_bias = self.use_bias if use_bias is None else use_bias
        shapes = {
            "depthwise_kernel": (self.kernel_size + (input_channels, 1), self.depthwise_initializer),
            "recurrent_depthwise_kernel": (
                self.kernel_size + (self.filters, 1),
                self.depthwise_initializer,
            ),
            "pointwise_kernel": ((input_channels, out_channels), self.kernel_initializer),
            "recurrent_pointwise_kernel": (
                (self.filters, out_channels),
                self.recurrent_initializer,
            ),
        }
        if use_bias:
            shapes["bias"] = ((out_channels,), self.bias_initializer)
        for name, (shape, initializer) in shapes.items():
            full = f"{prefix}_{name}"
            setattr(self, full, self.add_weight(shape=shape, initializer=initializer, name=full))
        if not use_bias:
            setattr(self, f"{prefix}_bias", None)

    # ------------------------------------------------------------------ maths
    def separable(self, prefix, x, h):
        """Pw·[dw(X), dw(H)] + b with the weights made by `add_separable(prefix, ...)`."""
        w = lambda name: getattr(self, f"{prefix}_{name}")  # noqa: E731
        dx = depthwise_conv_same(x, w("depthwise_kernel"))
        dh = depthwise_conv_same(h, w("recurrent_depthwise_kernel"))
        # A 1×1 convolution is a matmul over the channel axis; the sum of the two
        # halves' products is the projection of the concatenation.
        z = ops.matmul(dx, w("pointwise_kernel")) + ops.matmul(dh, w("recurrent_pointwise_kernel"))
        bias = w("bias")
        return z if bias is None else z + bias

    def spatial_mean(self, x):
        """Global average pool over the spatial axes: (batch, ..., C) -> (batch, C)."""
        return ops.mean(x, axis=tuple(range(1, 1 + self.spatial_rank)))

    def pooled_gate_values(self, x, h):
        """Gates from pooled features: {name: (batch, 1, 1, F)} for `pooled_gates`."""
        z = ops.matmul(self.spatial_mean(x), self.gate_kernel)
        z = z + ops.matmul(self.spatial_mean(h), self.gate_recurrent_kernel)
        if self.gate_bias is not None:
            z = z + self.gate_bias
        z = self.recurrent_activation(z)
        z = ops.reshape(z, (-1,) + (1,) * self.spatial_rank + (z.shape[-1],))
        return dict(zip(self.pooled_gates, ops.split(z, len(self.pooled_gates), axis=-1)))

    def attend_input(self, x, h):
        """Input fed to the gates and the candidate; (b) reweights it, (a) keeps it."""
        return x

    def attention_gate_value(self, x, h):
        """The gate named by `attention_gate`, computed by attention (variants c, d)."""
        raise NotImplementedError(
            f"{type(self).__name__} sets attention_gate={self.attention_gate!r} "
            "but does not implement attention_gate_value."
        )

    def call(self, inputs, states, training=False):
        h, c = states[0], states[1]
        x = self.attend_input(inputs, h)
        gates = self.pooled_gate_values(x, h)
        if self.attention_gate is not None:
            gates[self.attention_gate] = self.attention_gate_value(x, h)
        candidate = self.activation(self.separable("candidate", x, h))
        c_new = gates["f"] * c + gates["i"] * candidate
        h_new = gates["o"] * self.activation(c_new)
        return h_new, [h_new, c_new]

    def state_shapes(self):
        shape = self.spatial_dims + (self.filters,)
        return [shape, shape]

    def output_shape_per_sample(self):
        return self.spatial_dims + (self.filters,)

    # ------------------------------------------------------------------ counts
    def separable_counts(self, out_channels, use_bias=None):
        """(weights, biases, multiply-adds per step) of one `add_separable` block."""
        use_bias = self.use_bias if use_bias is None else use_bias
        k, channels = math.prod(self.kernel_size), self.input_channels + self.filters
        weights = k * channels + channels * out_channels
        positions = math.prod(self.spatial_dims)
        return weights, out_channels if use_bias else 0, positions * weights

    def attention_counts(self):
        """(weights, biases, multiply-adds per step) of the variant's attention; none in (a)."""
        return 0, 0, 0

    def complexity(self):
        """Counts of the built cell, per sample and time step.

        Returns:
            dict with `weights` (parameters without biases), `biases` and
            `mult_adds` (true multiply-adds of one step: the pooled gates run once,
            not once per position; pooling sums and elementwise ops not counted).
        """
        f, channels = self.filters, self.input_channels + self.filters
        n = len(self.pooled_gates)
        cw, cb, cm = self.separable_counts(f)
        aw, ab, am = self.attention_counts()
        gate_weights = n * f * channels
        return {
            "weights": gate_weights + cw + aw,
            "biases": (n * f if self.use_bias else 0) + cb + ab,
            "mult_adds": gate_weights + cm + am,
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "activation": keras.activations.serialize(self.activation),
                "recurrent_activation": keras.activations.serialize(self.recurrent_activation),
                "use_bias": self.use_bias,
                "unit_forget_bias": self.unit_forget_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
                "depthwise_initializer": keras.initializers.serialize(self.depthwise_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_stlstm")
class PooledGateConvLSTM(SpatialRNN):
    """Variant (a) recurrent layer over (batch, time, H, W, Cin) sequences.

    The gesture paper's proposed LSTM variant: gates from globally pooled
    features, depthwise-separable convolutions only in the candidate. About 9×
    fewer weights than a ConvLSTM and 35× fewer multiply-adds per step at the
    paper's 28×28×256 -> 256, 3×3 shape.

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
    >>> layer = PooledGateConvLSTM(8, 3, return_sequences=True)
    >>> tuple(layer(np.zeros((2, 5, 16, 16, 3), "float32")).shape)
    (2, 5, 16, 16, 8)
    """

    cell_class = PooledGateConvLSTMCell
    cell_name = "pooled_gate_conv_lstm_cell"
