"""Spatiotemporal LSTM stack (PredRNN, Wang et al. 2017; E3D paper appendix eq. 6).

A stack of ST-LSTM layers is one recurrent cell, not a `StackedRNNCells` of
independent cells: the spatiotemporal memory M flows in a zigzag, upwards
through the layers within a step and from the top layer back to the bottom
layer at the next step, so every layer shares it (and its channel count F).
"""

import math

import keras
from keras import ops

from keras_stlstm.layers._stack import ZigzagStackCell, normalize_stack_filters  # noqa: F401 (re-exported)
from keras_stlstm.layers.base import SpatialRNN


@keras.saving.register_keras_serializable(package="keras_stlstm")
class SpatioTemporalLSTMCell(ZigzagStackCell):
    """One time step of a whole ST-LSTM stack with zigzag memory.

    Per layer (X = the stack input for layer 0, else the new H of the layer below):

        i  = σ(Wxi*X + Whi*H + bi)      g  = tanh(Wxg*X + Whg*H + bg)
        f  = σ(Wxf*X + Whf*H + bf + forget_bias)
        i' = σ(W'xi*X + Wmi*M + b'i)    g' = tanh(W'xg*X + Wmg*M + b'g)
        f' = σ(W'xf*X + Wmf*M + b'f + forget_bias)
        C' = i∘g + f∘C                  M' = i'∘g' + f'∘M
        o  = σ(Wxo*X + Who*H + Wo*[C', M'] + bo)
        H' = o∘tanh(W1x1*[C', M'])

    M' of layer k is the M of layer k+1 at the same step; the top layer's M'
    is the bottom layer's M at the next step.

    Convolutions follow the official PredRNN code: conv_x (X -> 7F, gate order
    i, f, g, i', f', g', o), conv_h (H -> 4F: i, f, g, o), conv_m (M -> 3F:
    i', f', g'), conv_o ([C', M'] -> F, kernel K; equals Wco*C' + Wmo*M'),
    conv_last (1x1, [C', M'] -> F). Only the 7F bias of the X path carries the
    gate biases. With `layer_norm`, each of conv_x, conv_h, conv_m and conv_o
    is followed by a per-sample layer normalisation (as in the official code).

    State layout (each (batch, H, W, F)):
        [h_0, c_0, h_1, c_1, ..., h_{L-1}, c_{L-1}, m]

    Args:
        filters: int or list of equal ints, F of each layer (L = its length).
        kernel_size: int or (kh, kw), the kernel of every convolution but conv_last.
        layer_norm: normalise the output of every gate convolution.
        forget_bias: constant added to both forget gates' pre-activations.
        kernel_initializer: initialiser of conv_x, conv_o and conv_last.
        recurrent_initializer: initialiser of conv_h and conv_m.
        bias_initializer: initialiser of the gate biases.

    Call arguments:
        inputs: one step's input, (batch, H, W, Cin).
        states: the list above.

    Returns:
        (h_top', new_states): the top layer's new hidden state and the new states.
    """

    def __init__(
        self,
        filters,
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

    def layer_norms(self):
        if not self.layer_norm:
            return []
        return [(key, width * self.units, key) for key, width in (("x", 7), ("h", 4), ("m", 3), ("o", 1))]

    def state_shapes(self):
        shape = self.spatial_dims + (self.units,)
        return [shape] * (2 * self.num_layers + 1)

    def output_shape_per_sample(self):
        return self.spatial_dims + (self.units,)

    def _layer_step(self, w, x, h, c, m):
        zx = self._conv(x, w, "x") + w["bias"]
        i_x, f_x, g_x, ip_x, fp_x, gp_x, o_x = ops.split(zx, 7, axis=-1)
        i_h, f_h, g_h, o_h = ops.split(self._conv(h, w, "h"), 4, axis=-1)
        ip_m, fp_m, gp_m = ops.split(self._conv(m, w, "m"), 3, axis=-1)

        i = ops.sigmoid(i_x + i_h)
        f = ops.sigmoid(f_x + f_h + self.forget_bias)
        c_new = f * c + i * ops.tanh(g_x + g_h)

        ip = ops.sigmoid(ip_x + ip_m)
        fp = ops.sigmoid(fp_x + fp_m + self.forget_bias)
        m_new = fp * m + ip * ops.tanh(gp_x + gp_m)

        # One convolution of the concatenation [C', M'] is Wco*C' + Wmo*M'.
        mem = ops.concatenate([c_new, m_new], axis=-1)
        o = ops.sigmoid(o_x + o_h + self._conv(mem, w, "o"))
        h_new = o * ops.tanh(ops.conv(mem, w["last"], padding="same"))
        return h_new, c_new, m_new

    def call(self, inputs, states, training=False):
        m = states[-1]
        x = inputs
        new_states = []
        for n, w in enumerate(self.layer_weights):
            h, c, m = self._layer_step(w, x, states[2 * n], states[2 * n + 1], m)
            new_states += [h, c]
            x = h
        new_states.append(m)
        return x, new_states

    def complexity(self):
        """Counts of the built stack, per sample and time step.

        Returns:
            dict with `weights` (convolution kernels and layer-norm gains),
            `biases` (gate biases and layer-norm shifts) and `mult_adds` (every
            kernel weight once per position; elementwise ops not counted).
        """
        conv, weights, biases = self.stack_counts()
        return {"weights": weights, "biases": biases, "mult_adds": conv * math.prod(self.spatial_dims)}


@keras.saving.register_keras_serializable(package="keras_stlstm")
class SpatioTemporalLSTM(SpatialRNN):
    """ST-LSTM stack (PredRNN) over (batch, time, H, W, Cin) sequences.

    All layers run inside one recurrent cell so the spatiotemporal memory M can
    zigzag through the stack (see `SpatioTemporalLSTMCell`). The output is the top
    layer's hidden state.

    Args:
        filters: int or list of equal ints, one per layer (e.g. [128] * 4, the
            official Moving MNIST setting with kernel 5 and 4x4 patches).
        kernel_size: int or (kh, kw).
        layer_norm, forget_bias, kernel_initializer, recurrent_initializer,
        bias_initializer: see `SpatioTemporalLSTMCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: as in
            `keras.layers.RNN`.

    Call arguments:
        sequences: (batch, time, H, W, Cin).
        initial_state: optional list [h_0, c_0, ..., h_{L-1}, c_{L-1}, m], each
            (batch, H, W, F).
        training: bool.

    Returns:
        (batch, H, W, F), or (batch, time, H, W, F) with `return_sequences`;
        followed by the 2L + 1 states above with `return_state`.

    Example:

    >>> import numpy as np
    >>> layer = SpatioTemporalLSTM([8, 8], kernel_size=3, return_sequences=True)
    >>> tuple(layer(np.zeros((2, 5, 16, 16, 3), "float32")).shape)
    (2, 5, 16, 16, 8)
    """

    cell_class = SpatioTemporalLSTMCell
    cell_name = "spatiotemporal_lstm_cell"
