"""PredRNN++ (Wang et al., ICML 2018): a stack of Causal LSTMs with a Gradient Highway Unit.

As in PredRNN, the stack is one recurrent cell, because the spatial memory M
zigzags: up through the layers within a step and from the top layer back to the
bottom one at the next step. The Causal LSTM cascades its two memories (the new
temporal memory C feeds the gates of the new spatial memory M), and the Gradient
Highway Unit (GHU) between the first and the second layer carries a state Z of
its own across steps, a short path for gradients through time.
"""

import math

import keras
from keras import ops

from keras_stlstm.layers._stack import ZigzagStackCell
from keras_stlstm.layers.base import SpatialRNN
from keras_stlstm.layers.normalization import add_layer_norm_weights, sample_layer_norm

def _tanh(x):
    """tanh in the dtype of `x` (keras.ops.tanh returns float32 for float64 inputs on JAX)."""
    return ops.cast(ops.tanh(x), x.dtype)


# Per Causal LSTM layer: (key, output width in F, source) of each 'same'
# convolution; "last" is the 1x1 memory reduction.
_LAYER_CONVS = (
    ("x", 7, "input"),  # g, i, f, g', i', f', o
    ("h", 3, "hidden"),  # g, i, f
    ("c", 3, "hidden"),  # g, i, f (of C_{t-1})
    ("cn", 4, "input"),  # g', i', f', o (of the new C_t)
    ("m", 4, "hidden"),  # g', i', f' and W3 (of M^{k-1}_t)
    ("mo", 1, "input"),  # o (of the new M^k_t)
)


@keras.saving.register_keras_serializable(package="keras_stlstm")
class PredRNNPlusPlusCell(ZigzagStackCell):
    """One time step of a whole PredRNN++ stack (Causal LSTM layers + GHU).

    Causal LSTM, per layer k (PredRNN++ eq. 1; X = the layer's input, `*` a
    'same' 2D convolution, [.] a concatenation along channels):

        (g, i, f)    = (tanh, σ, σ)(W1 * [X, H_{t-1}, C_{t-1}])
        C_t          = f∘C_{t-1} + i∘g
        (g', i', f') = (tanh, σ, σ)(W2 * [X, C_t, M^{k-1}_t])
        M^k_t        = f'∘tanh(W3 * M^{k-1}_t) + i'∘g'
        o            = tanh(W4 * [X, C_t, M^k_t])
        H_t          = o∘tanh(W5 * [C_t, M^k_t])          (W5: 1x1)

    f and f' get `forget_bias` added before the sigmoid. M^{k-1}_t is the M of
    the layer below at this step; layer 0 takes the top layer's M of the
    previous step (the zigzag).

    Gradient Highway Unit (eq. 2), on the first layer's output H¹_t:

        P   = tanh(Wpx * H¹_t + Wpz * Z_{t-1})
        S   = σ(Wsx * H¹_t + Wsz * Z_{t-1})
        Z_t = S∘P + (1 - S)∘Z_{t-1}

    Inputs: layer 0 takes the frame, layer 1 takes Z_t, layer k >= 2 takes H of
    layer k - 1; the cell's output is the top layer's H.

    Convolutions of each layer (W1..W4 split by source): conv_x (X -> 7F: g, i,
    f, g', i', f', o, with the 7F gate biases), conv_h (H_{t-1} -> 3F: g, i, f),
    conv_c (C_{t-1} -> 3F: g, i, f), conv_cn (C_t -> 4F: g', i', f', o), conv_m
    (M^{k-1}_t -> 4F: g', i', f', W3*M), conv_mo (M^k_t -> F: o), conv_last (1x1,
    [C_t, M^k_t] -> F). GHU: ghu_x (H¹_t -> 2F: p, s, with the 2F biases) and
    ghu_z (Z_{t-1} -> 2F). With `layer_norm` every convolution but conv_last is
    followed by a per-sample layer normalisation (as in the official code).

    State layout (each (batch, H, W, F)):
        [h_0, c_0, ..., h_{L-1}, c_{L-1}, m, z]

    Args:
        filters: list of at least 2 equal ints, F of each layer (L = its length;
            the GHU sits between layers 0 and 1).
        kernel_size: int or (kh, kw), the kernel of every convolution but conv_last.
        layer_norm: normalise the output of every gate convolution.
        forget_bias: constant added to the pre-activations of f and f'.
        kernel_initializer: initialiser of the convolutions of X, the new C and M
            and of conv_last (and of the GHU's input).
        recurrent_initializer: initialiser of the convolutions of H_{t-1},
            C_{t-1}, M^{k-1}_t and Z_{t-1}.
        bias_initializer: initialiser of the gate biases.

    Call arguments:
        inputs: one step's input, (batch, H, W, Cin).
        states: the list above.

    Returns:
        (h_top', new_states): the top layer's new hidden state and the new states.
    """

    def __init__(
        self,
        filters=(64, 64, 64, 64),
        kernel_size=5,
        layer_norm=False,
        forget_bias=1.0,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(
            filters,
            kernel_size,
            layer_norm,
            forget_bias,
            kernel_initializer,
            recurrent_initializer,
            bias_initializer,
            **kwargs,
        )
        if self.num_layers < 2:
            raise ValueError(
                "Argument `filters` must name at least 2 layers: PredRNN++'s Gradient "
                "Highway Unit sits between the first and the second. "
                f"Received: filters={list(self.filters)}"
            )

    def layer_norms(self):
        if not self.layer_norm:
            return []
        return [(key, width * self.units, key) for key, width, _ in _LAYER_CONVS]

    def _kernel(self, shape, source, name):
        initializer = self.recurrent_initializer if source == "hidden" else self.kernel_initializer
        return self.add_weight(shape=shape, initializer=initializer, name=name)

    def build_weights(self, input_channels):
        f, k = self.units, self.kernel_size
        self.layer_weights = []
        for n in range(self.num_layers):
            w = {}
            for key, width, source in _LAYER_CONVS:
                cin = input_channels if key == "x" and n == 0 else f
                w[key] = self._kernel(k + (cin, width * f), source, f"l{n}_kernel_{key}")
            w["last"] = self._kernel((1, 1, 2 * f, f), "input", f"l{n}_kernel_last")
            w["bias"] = self.add_weight(shape=(7 * f,), initializer=self.bias_initializer, name=f"l{n}_bias")
            for key, channels, name in self.layer_norms():
                w[f"norm_{key}"] = add_layer_norm_weights(self, channels, f"l{n}_norm_{name}")
            self.layer_weights.append(w)
        ghu = {
            "x": self._kernel(k + (f, 2 * f), "input", "ghu_kernel_x"),
            "z": self._kernel(k + (f, 2 * f), "hidden", "ghu_kernel_z"),
            "bias": self.add_weight(shape=(2 * f,), initializer=self.bias_initializer, name="ghu_bias"),
        }
        if self.layer_norm:
            for key in ("x", "z"):
                ghu[f"norm_{key}"] = add_layer_norm_weights(self, 2 * f, f"ghu_norm_{key}")
        self.ghu_weights = ghu

    def state_shapes(self):
        shape = self.spatial_dims + (self.units,)
        return [shape] * (2 * self.num_layers + 2)

    def output_shape_per_sample(self):
        return self.spatial_dims + (self.units,)

    def _causal_step(self, w, x, h, c, m):
        g_x, i_x, f_x, gp_x, ip_x, fp_x, o_x = ops.split(self._conv(x, w, "x") + w["bias"], 7, axis=-1)
        g_h, i_h, f_h = ops.split(self._conv(h, w, "h"), 3, axis=-1)
        g_c, i_c, f_c = ops.split(self._conv(c, w, "c"), 3, axis=-1)
        c_new = ops.sigmoid(f_x + f_h + f_c + self.forget_bias) * c + ops.sigmoid(i_x + i_h + i_c) * _tanh(
            g_x + g_h + g_c
        )

        gp_c, ip_c, fp_c, o_c = ops.split(self._conv(c_new, w, "cn"), 4, axis=-1)
        gp_m, ip_m, fp_m, m_m = ops.split(self._conv(m, w, "m"), 4, axis=-1)
        fp = ops.sigmoid(fp_x + fp_c + fp_m + self.forget_bias)
        ip = ops.sigmoid(ip_x + ip_c + ip_m)
        m_new = fp * _tanh(m_m) + ip * _tanh(gp_x + gp_c + gp_m)

        o = _tanh(o_x + o_c + self._conv(m_new, w, "mo"))
        mem = ops.concatenate([c_new, m_new], axis=-1)
        h_new = o * _tanh(ops.conv(mem, w["last"], padding="same"))
        return h_new, c_new, m_new

    def _highway(self, x, z):
        w = self.ghu_weights
        p, s = ops.split(self._conv(x, w, "x") + w["bias"] + self._conv(z, w, "z"), 2, axis=-1)
        s = ops.sigmoid(s)
        return s * _tanh(p) + (1.0 - s) * z

    def call(self, inputs, states, training=False):
        n_layers = self.num_layers
        m, z = states[2 * n_layers], states[2 * n_layers + 1]
        x = inputs
        new_states = []
        for n, w in enumerate(self.layer_weights):
            h, c, m = self._causal_step(w, x, states[2 * n], states[2 * n + 1], m)
            new_states += [h, c]
            x = h
            if n == 0:  # the highway between the first and the second layer
                z = self._highway(h, z)
                x = z
        return x, new_states + [m, z]

    def complexity(self):
        """Counts of the built stack, per sample and time step.

        Returns:
            dict with `weights` (convolution kernels and layer-norm gains),
            `biases` (gate biases and layer-norm shifts) and `mult_adds` (every
            kernel weight once per position; elementwise ops not counted).
        """
        kernels = [w[key] for w in self.layer_weights for key, _, _ in _LAYER_CONVS + (("last", 0, ""),)]
        kernels += [self.ghu_weights["x"], self.ghu_weights["z"]]
        conv = sum(math.prod(k.shape) for k in kernels)
        norms = self.num_layers * sum(channels for _, channels, _ in self.layer_norms())
        norms += 4 * self.units if self.layer_norm else 0  # the GHU's two norms of 2F
        biases = self.num_layers * 7 * self.units + 2 * self.units + norms
        return {"weights": conv + norms, "biases": biases, "mult_adds": conv * math.prod(self.spatial_dims)}


@keras.saving.register_keras_serializable(package="keras_stlstm")
class PredRNNPlusPlus(SpatialRNN):
    """PredRNN++ stack (Causal LSTM layers + Gradient Highway Unit) over (batch, time, H, W, Cin).

    All layers and the GHU run inside one recurrent cell, so the spatial memory M
    can zigzag through the stack (see `PredRNNPlusPlusCell`). The output is the
    top layer's hidden state.

    Args:
        filters: list of at least 2 equal ints, one per layer (equal: the layers
            share M), e.g. [64] * 4 with kernel 5 on 4x4 patches of Moving MNIST.
        kernel_size: int or (kh, kw).
        layer_norm, forget_bias, kernel_initializer, recurrent_initializer,
        bias_initializer: see `PredRNNPlusPlusCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: as in
            `keras.layers.RNN`.

    Call arguments:
        sequences: (batch, time, H, W, Cin).
        initial_state: optional list [h_0, c_0, ..., h_{L-1}, c_{L-1}, m, z], each
            (batch, H, W, F).
        training: bool.

    Returns:
        (batch, H, W, F), or (batch, time, H, W, F) with `return_sequences`;
        followed by the 2L + 2 states above with `return_state`.

    Example:

    >>> import numpy as np
    >>> layer = PredRNNPlusPlus([8, 8], kernel_size=3, return_sequences=True)
    >>> tuple(layer(np.zeros((2, 5, 16, 16, 3), "float32")).shape)
    (2, 5, 16, 16, 8)
    """

    cell_class = PredRNNPlusPlusCell
    cell_name = "predrnn_plus_plus_cell"
