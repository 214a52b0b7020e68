"""Channel-wise attention gate shared by the gesture paper's variants (c) and (d), eqs. 21-24."""

import math

from keras import ops

from keras_stlstm.layers.pooled_gate_conv_lstm import PooledGateConvLSTMCell, depthwise_conv_same


class GateAttentionConvLSTMCell(PooledGateConvLSTMCell):
    """Variant (a) with one gate (`attention_gate`) rebuilt as channel-wise attention.

        Z = Wi * tanh(Pw·[dw(X), dw(H)] + bi)       Z is H×W×F
        A(c) = exp(Z(c) - max over positions of Z(c))   per channel, in (0, 1]
        gate = A; the two other gates σ(W·x̄ + U·h̄ + b), pooled as in variant (a)
        G = tanh(Pw·[dw(X), dw(H)] + bc)   C' = f∘C + i∘G   H' = o∘tanh(C')

    Wi is a K×K depthwise convolution over F channels followed by a pointwise
    F -> F projection. A is the spatial softmax of each channel divided by its
    maximum, computed in the form that cannot overflow. The attention's pointwise
    (Cin + F) -> F projection replaces the gate's pooled (Cin + F)·F weights, so
    the extra weights are K·K·(Cin + 2F) + F·F (paper eq. 24).

    Extra weights: `attention_depthwise_kernel` (K, K, Cin, 1),
    `attention_recurrent_depthwise_kernel` (K, K, F, 1),
    `attention_pointwise_kernel` (Cin, F), `attention_recurrent_pointwise_kernel`
    (F, F), `attention_bias` (F,), `attention_score_depthwise_kernel`
    (K, K, F, 1), `attention_score_pointwise_kernel` (F, F). The pooled gate
    kernels hold the two other gates, in the order i, f, o.

    Args, Call arguments, Returns: as `PooledGateConvLSTMCell`.
    """

    def build_attention_weights(self, input_channels):
        self.add_separable("attention", input_channels, self.filters)
        self.attention_score_depthwise_kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, 1),
            initializer=self.depthwise_initializer,
            name="attention_score_depthwise_kernel",
        )
        self.attention_score_pointwise_kernel = self.add_weight(
            shape=(self.filters, self.filters),
            initializer=self.kernel_initializer,
            name="attention_score_pointwise_kernel",
        )

    def attention_gate_value(self, x, h):
        """The attention A, shape (batch, H, W, F), max exactly 1 per sample and channel."""
        s = ops.tanh(self.separable("attention", x, h))
        s = depthwise_conv_same(s, self.attention_score_depthwise_kernel)
        z = ops.matmul(s, self.attention_score_pointwise_kernel)
        spatial_axes = tuple(range(1, 1 + self.spatial_rank))
        # exp(Z) / max exp(Z) overflows for large Z; subtracting the max first is exact.
        return ops.exp(z - ops.max(z, axis=spatial_axes, keepdims=True))

    def attention_counts(self):
        w, b, m = self.separable_counts(self.filters)
        score = math.prod(self.kernel_size) * self.filters + self.filters * self.filters
        return w + score, b, m + math.prod(self.spatial_dims) * score
