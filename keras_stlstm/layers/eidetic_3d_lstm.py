"""Eidetic 3D LSTM (Wang et al., ICLR 2019, eqs. 1-2) as one recurrent stack.

Each step consumes ONE frame: the cell keeps the previous depth-1 frames as a
state and builds the D-frame window (zero frames before the first) itself, so
the same single step serves whole-sequence training and frame-by-frame
streaming. The stored cell memories that RECALL attends to live in a
fixed-capacity buffer of τ slots with a validity mask: an ordinary recurrent
state of static shape, so the layer runs in `keras.layers.RNN` loops, saves and
exports like any other. `recall_window=None` (the paper's video prediction
setting: attend to every earlier memory) is τ = sequence length.
"""

import math

import keras
from keras import ops

from keras_stlstm.layers._stack import ZigzagStackCell
from keras_stlstm.layers.base import SpatialRNN, check_positive_int
from keras_stlstm.layers.depth_tap_conv import depth_tap_conv
from keras_stlstm.layers.normalization import sample_layer_norm


def _check_optional_positive_int(value, name):
    """None passes; anything else must be a positive int (ValueError naming `name`)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"Argument `{name}` must be None or an integer >= 1. Received: {name}={value!r}"
        )
    return value


def push(buffer, item):
    """Drops the oldest entry (axis 1) of `buffer` and appends `item` (length 1 on axis 1)."""
    return ops.concatenate([buffer[:, 1:], item], axis=1)


def recall(query, memories, valid):
    """RECALL(R, C_hist) = softmax(R · C_histᵀ) · C_hist over the valid stored memories.

    Args:
        query: R, (batch, D, H, W, F).
        memories: the stored cell memories, (batch, τ, D, H, W, F).
        valid: (batch, τ), 1 where a slot holds a memory, 0 where it is empty.

    Returns:
        (batch, D, H, W, F). The softmax runs over all τ·D·H·W rows of every valid
        slot, with no 1/sqrt(F) scale (the official code's attention), as scaled
        dot-product attention with one head and scale 1. A sample with no valid
        slot (an empty history: the paper's first step) recalls zeros.
    """
    block = tuple(query.shape[1:])  # (D, H, W, F), static
    rows, channels = block[0] * block[1] * block[2], block[3]
    slots = memories.shape[1]
    q = ops.reshape(query, (-1, rows, 1, channels))
    kv = ops.reshape(memories, (-1, slots * rows, 1, channels))
    # Slot-major rows, as in the reshape of `memories`: slot s covers rows
    # [s * rows, (s + 1) * rows).
    mask = ops.repeat(ops.greater(valid, 0.5), rows, axis=1)
    mask = ops.reshape(mask, (-1, 1, 1, slots * rows))
    out = ops.dot_product_attention(q, kv, kv, mask=mask, scale=1.0)
    # With every slot masked the softmax is uniform over the (empty) slots;
    # an empty history recalls nothing.
    any_valid = ops.cast(ops.any(ops.greater(valid, 0.5), axis=1), out.dtype)
    out = out * ops.reshape(any_valid, (-1, 1, 1, 1))
    return ops.reshape(out, (-1,) + block)


# Kept for the backward pass, RECALL's attention weights (τ·(D·H·W)² per sample,
# layer and step) dominate training memory: ~3x the rest at the paper's shape.
# Recomputing them in the backward pass (keras.remat: tf.recompute_grad or
# jax.checkpoint) keeps only the inputs, for ~5-15% more training time.
recall_rematerialized = keras.remat(recall)


def recall_for_training():
    """The RECALL the cell runs: rematerialised where attention would keep its weights.

    On PyTorch, ops.dot_product_attention runs scaled_dot_product_attention's
    fused kernels (flash or memory-efficient), which keep only a log-sum-exp
    per query for the backward pass, never the weights: recomputing there only
    repeats the forward attention (~10% of a training step at the paper's
    shape, for no memory saved). TensorFlow and JAX (XLA) materialise the
    weights, so they rematerialise.
    """
    return recall if keras.backend.backend() == "torch" else recall_rematerialized


@keras.saving.register_keras_serializable(package="keras_stlstm")
class Eidetic3DLSTMCell(ZigzagStackCell):
    """One step (one input frame) of a whole E3D-LSTM stack.

    The input window X of layer 0 is the last D frames (depth axis first, the
    newest last); layer k > 0 takes the new H of layer k-1. Every state and
    gate is a D×H×W×F block and `*` a 3D 'same' convolution:

        R  = σ(Wxr*X + Whr*H + br)    I  = σ(Wxi*X + Whi*H + bi)
        G  = tanh(Wxg*X + Whg*H + bg)
        C' = I∘G + LayerNorm(C + RECALL(R, C_hist))
        I' = σ(W'xi*X + Wmi*M + b'i)  G' = tanh(W'xg*X + Wmg*M + b'g)
        F' = σ(W'xf*X + Wmf*M + b'f + forget_bias)
        M' = I'∘G' + F'∘M
        O  = σ(Wxo*X + Who*H + Wo*[C', M'] + bo)
        H' = O∘tanh(W1x1x1*[C', M'])

    M zigzags: layer k's M' is layer k+1's M at the same step, and the top
    layer's M' is the bottom layer's M at the next step. (The official code
    returns the old M, so its M stays zero; this cell follows the equations.)

    History (1-based steps, C_{t-1} the layer's memory entering step t, C_0 the
    initial one): by default the paper's eq. 1, C_hist = C_{1:t-1}, the last τ
    of the memories produced by earlier steps; the initial memory C_0 is never
    attended, and RECALL is zero at step 1 (empty history). The buffer state
    holds the memories attended at the next step: each step attends the buffer,
    then drops its oldest slot and appends C'. With `recall_initial_memory=True`,
    the official code's reading (google/e3d_lstm): C_hist = the last τ of
    C_{0:t-1}, the initial memory included; the buffer then holds the slots
    attended at the previous step, and each step first appends C_{t-1}.

    Convolutions: conv_x (X -> 7F, gates i, g, r, o, i', g', f'), conv_h
    (H -> 4F: i, g, r, o), conv_m (M -> 3F: i', g', f'), conv_o
    ([C', M'] -> F, kernel K; equals Wco*C' + Wmo*M'), conv_last
    (1x1x1, [C', M'] -> F). The 7F bias of the X path carries the gate biases.
    Each 3D convolution runs as one 2D convolution per depth tap
    (`depth_tap_conv`): the values of a 'same' Conv3D without its products
    with the depth padding; the kernels keep the Conv3D layout. On TensorFlow,
    whose Conv3D is as fast and keeps less memory, a Conv3D.
    With `layer_norm`, conv_x, conv_h and conv_m are each followed by a
    per-sample layer normalisation (as in the official code); the
    LayerNorm(C + RECALL) of the equations is always applied. Layer norms
    normalise each sample over (D, H, W, F), gain and bias per channel.
    RECALL's attention weights are recomputed in the backward pass rather than
    stored for every step (they would be most of the training memory), except on
    PyTorch, whose fused attention never stores them (`recall_for_training`).

    State layout (L layers, τ = recall capacity, all per sample):
        [h_0, c_0, ..., h_{L-1}, c_{L-1}]   each (D, H, W, F)
        m                                   (D, H, W, F)
        hist_0, ..., hist_{L-1}             each (τ, D, H, W, F), oldest slot first
        valid                               (τ,), 1.0 for a filled slot (shared
                                            by all layers, which fill in step)
        frames                              (D-1, H, W, Cin), the previous frames,
                                            oldest first; only when depth > 1

    The all-zero initial state is the paper's: zero memories, an empty history,
    zero frames (with `recall_initial_memory=True` the initial C becomes the
    first stored memory at the first step).

    Args:
        filters: int or list of equal ints, F of each layer (L = its length).
        kernel_size: int or (kd, kh, kw) of every convolution but conv_last.
        depth: D, the number of frames in each input window (and the depth of
            every state block).
        recall_window: τ, the number of stored memories RECALL attends to; None
            means the whole sequence (the layer sets `history_length` from the
            sequence length at build).
        history_length: the capacity used when `recall_window` is None; needed
            to build the cell standalone with `recall_window=None`.
        recall_initial_memory: False (default): RECALL attends C_{1:t-1}, the
            paper's eq. 1. True: it also attends the initial memory C_0, as the
            official code does (the shipped E3D presets were trained so).
        layer_norm: normalise the outputs of conv_x, conv_h and conv_m.
        forget_bias: constant added to the pre-activation of F'.
        kernel_initializer: initialiser of conv_x, conv_o and conv_last.
        recurrent_initializer: initialiser of conv_h and conv_m.
        bias_initializer: initialiser of the gate biases.

    Call arguments:
        inputs: one frame, (batch, H, W, Cin).
        states: the list above.

    Returns:
        (h_top', new_states): the top layer's new hidden block (batch, D, H, W, F)
        and the new states.
    """

    kernel_rank = 3  # convolutions over (D, H, W) blocks of 2D frames

    def __init__(
        self,
        filters=(64, 64, 64, 64),
        kernel_size=(2, 5, 5),
        depth=2,
        recall_window=None,
        history_length=None,
        recall_initial_memory=False,
        layer_norm=True,
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
        self.depth = check_positive_int(depth, "depth")
        self.recall_window = _check_optional_positive_int(recall_window, "recall_window")
        self.history_length = _check_optional_positive_int(history_length, "history_length")
        if not isinstance(recall_initial_memory, bool):
            raise ValueError(
                "Argument `recall_initial_memory` must be True (the official code's "
                "history, C_0 included) or False (the paper's, C_1..C_{t-1}). "
                f"Received: recall_initial_memory={recall_initial_memory!r}"
            )
        self.recall_initial_memory = recall_initial_memory

    @property
    def recall_capacity(self):
        """τ, the number of memory slots; None until known."""
        if self.recall_window is not None:
            return self.recall_window
        return self.history_length

    def build_weights(self, input_channels):
        if self.recall_capacity is None:
            raise ValueError(
                "Eidetic3DLSTMCell with recall_window=None attends to the whole "
                "sequence and needs its length: pass history_length=<steps> to the "
                "cell, use the Eidetic3DLSTM layer with a known time axis, or set "
                "recall_window=<int> (e.g. 5) for a fixed window."
            )
        super().build_weights(input_channels)

    def layer_norms(self):
        f = self.units
        # LayerNorm(C + RECALL) is part of the equations; the others are optional.
        optional = [(key, width * f, key) for key, width in (("x", 7), ("h", 4), ("m", 3))]
        return [("c", f, "recall")] + (optional if self.layer_norm else [])

    def block_shape(self):
        """(D, H, W, F), the per-sample shape of every H, C and M."""
        return (self.depth,) + self.spatial_dims + (self.units,)

    def state_shapes(self):
        block = self.block_shape()
        tau = self.recall_capacity
        shapes = [block] * (2 * self.num_layers + 1)
        shapes += [(tau,) + block] * self.num_layers
        shapes.append((tau,))
        if self.depth > 1:
            shapes.append((self.depth - 1,) + self.spatial_dims + (self.input_channels,))
        return shapes

    def output_shape_per_sample(self):
        return self.block_shape()

    def _same_conv(self, x, kernel):
        # One 2D convolution per depth tap: the same values as a 'same' Conv3D,
        # without its products with the depth padding (see depth_tap_conv).
        # TensorFlow pads a Conv3D asymmetrically itself and runs it as fast as
        # the taps, which there keep ~20% more training memory: it keeps Conv3D.
        if keras.backend.backend() == "tensorflow":
            return ops.conv(x, kernel, padding="same")
        return depth_tap_conv(x, kernel)

    def _layer_step(self, w, x, h, c, m, history, valid):
        zx = self._conv(x, w, "x") + w["bias"]
        i_x, g_x, r_x, o_x, ip_x, gp_x, fp_x = ops.split(zx, 7, axis=-1)
        i_h, g_h, r_h, o_h = ops.split(self._conv(h, w, "h"), 4, axis=-1)
        ip_m, gp_m, fp_m = ops.split(self._conv(m, w, "m"), 3, axis=-1)

        i = ops.sigmoid(i_x + i_h)
        g = ops.tanh(g_x + g_h)
        r = ops.sigmoid(r_x + r_h)
        recalled = recall_for_training()(r, history, valid)
        c_new = i * g + sample_layer_norm(c + recalled, *w["norm_c"])

        ip = ops.sigmoid(ip_x + ip_m)
        gp = ops.tanh(gp_x + gp_m)
        fp = ops.sigmoid(fp_x + fp_m + self.forget_bias)
        m_new = ip * gp + fp * m

        # One convolution of the concatenation [C', M'] is Wco*C' + Wmo*M'.
        mem = ops.concatenate([c_new, m_new], axis=-1)
        o = ops.sigmoid(o_x + o_h + self._same_conv(mem, w["o"]))
        h_new = o * ops.tanh(self._same_conv(mem, w["last"]))
        return h_new, c_new, m_new

    def call(self, inputs, states, training=False):
        n_layers = self.num_layers
        m = states[2 * n_layers]
        histories = states[2 * n_layers + 1 : 3 * n_layers + 1]
        valid = states[3 * n_layers + 1]

        frame = ops.expand_dims(inputs, 1)
        # The window is the previous D-1 frames plus this one, oldest first.
        x = ops.concatenate([states[3 * n_layers + 2], frame], axis=1) if self.depth > 1 else frame
        new_frames = x[:, 1:]
        # Every layer stores one memory per step, so one mask serves them all.
        filled = push(valid, ops.ones_like(valid[:, :1]))
        # Official reading: store C_{t-1} (C_0 at the first step), then attend.
        # Paper's: attend the memories of earlier steps, then store C'.
        attend_valid = filled if self.recall_initial_memory else valid

        hidden_cells, new_histories = [], []
        for n, w in enumerate(self.layer_weights):
            h, c = states[2 * n], states[2 * n + 1]
            history = histories[n]
            if self.recall_initial_memory:
                history = push(history, ops.expand_dims(c, 1))
            h, c, m = self._layer_step(w, x, h, c, m, history, attend_valid)
            if not self.recall_initial_memory:
                history = push(history, ops.expand_dims(c, 1))
            hidden_cells += [h, c]
            new_histories.append(history)
            x = h

        new_states = hidden_cells + [m] + new_histories + [filled]
        if self.depth > 1:
            new_states.append(new_frames)
        return x, new_states

    def complexity(self):
        """Counts of the built stack, per sample and time step.

        Returns:
            dict with `weights` (convolution kernels and layer-norm gains),
            `biases` (gate biases and layer-norm shifts), `mult_adds` (every
            kernel weight once per position of the D×H×W block, plus RECALL's
            two products over all τ slots, 2·τ·(D·H·W)²·F per layer, which run
            at full capacity whatever the number of valid slots; elementwise ops
            not counted) and `positions` (D·H·W).
        """
        positions = self.depth * math.prod(self.spatial_dims)
        conv, weights, biases = self.stack_counts()
        attention = 2 * self.recall_capacity * positions**2 * self.units * self.num_layers
        return {
            "weights": weights,
            "biases": biases,
            "mult_adds": conv * positions + attention,
            "positions": positions,
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "depth": self.depth,
                "recall_window": self.recall_window,
                "history_length": self.history_length,
                "recall_initial_memory": self.recall_initial_memory,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_stlstm")
class Eidetic3DLSTM(SpatialRNN):
    """E3D-LSTM stack over (batch, time, H, W, Cin) frame sequences.

    Each step takes one frame; the cell forms the window of the last `depth`
    frames itself (zero frames before the first). See `Eidetic3DLSTMCell` for
    the equations and the state layout. For video prediction, collapse the depth
    of the output with a Conv3D of kernel and stride (depth, 1, 1), as the
    official decoder does.

    Args:
        filters: int or list of equal ints, one per layer (paper: [64] * 4).
        kernel_size: int or (kd, kh, kw) (paper: (2, 5, 5)).
        depth: frames per input window (paper: 2).
        recall_window: number of stored memories RECALL attends to; None (the
            paper's video prediction setting) means every earlier memory, i.e.
            a buffer as long as the sequence, which must then have a known
            length at build (later calls may be shorter, not longer; with
            `stateful=True` each call continues with the last that-many
            memories); an int (the paper uses 5 for online recognition) is a
            fixed window, for streaming and sequences of any length.
        recall_initial_memory: False (default, the paper's eq. 1): RECALL
            attends the memories of earlier steps, C_{1:t-1}, and is zero at the
            first step; True: also the initial memory C_0 (the official code).
        layer_norm, forget_bias, kernel_initializer, recurrent_initializer,
        bias_initializer: see `Eidetic3DLSTMCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: as in
            `keras.layers.RNN`.

    Call arguments:
        sequences: (batch, time, H, W, Cin).
        initial_state: optional list of states in the cell's layout.
        training: bool.

    Returns:
        (batch, depth, H, W, F), or (batch, time, depth, H, W, F) with
        `return_sequences`; followed by the states with `return_state`.

    Example:

    >>> import numpy as np
    >>> layer = Eidetic3DLSTM([8, 8], kernel_size=(2, 3, 3), return_sequences=True)
    >>> tuple(layer(np.zeros((2, 5, 16, 16, 3), "float32")).shape)
    (2, 5, 2, 16, 16, 8)
    """

    cell_class = Eidetic3DLSTMCell
    cell_name = "eidetic_3d_lstm_cell"
    # Set from the sequence length at build, not an argument of the layer.
    derived_cell_arguments = ("history_length",)

    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        if len(sequences_shape) == self.cell.input_ndim + 1 and self.cell.recall_window is None:
            steps = sequences_shape[1]
            if steps is None:
                raise ValueError(
                    "Eidetic3DLSTM with recall_window=None attends to every earlier "
                    "memory, so it needs a known sequence length (the time axis); "
                    f"received input shape {sequences_shape}. Give the Input a fixed "
                    "number of frames or set recall_window=<int> (e.g. 5)."
                )
            self.cell.history_length = int(steps)
        super().build(sequences_shape, initial_state_shape)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        steps = sequences.shape[1] if len(sequences.shape) > 1 else None
        capacity = self.cell.recall_capacity
        if self.cell.recall_window is None and self.cell.built and steps is not None and steps > capacity:
            raise ValueError(
                f"This Eidetic3DLSTM (recall_window=None) was built for sequences of "
                f"{capacity} steps and keeps that many memories; received {steps} "
                "steps. Build a new layer for the longer sequences or set "
                "recall_window=<int>."
            )
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def get_config(self):
        config = super().get_config()
        # Derived from the input at build, not an argument of the layer.
        config.pop("history_length", None)
        return config
