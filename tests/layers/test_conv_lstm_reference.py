"""ConvLSTM and the gesture paper's variants (a)-(d) against float64 NumPy references.

The references below are written from the equations in shared/spec/cells.md
(sections 1-2) with their own 'same' convolution, depthwise convolution and
softmax; they only read the layers' weights, by name.
"""

import numpy as np
import pytest

import keras

from keras_stlstm.layers import (
    ConvLSTM,
    InputAttentionConvLSTM,
    InputGateAttentionConvLSTM,
    OutputGateAttentionConvLSTM,
    PooledGateConvLSTM,
)

# Detached NumPy copies on every backend (np.asarray fails on torch tensors that require grad).
to_numpy = keras.ops.convert_to_numpy

BATCH, STEPS, HEIGHT, WIDTH, CIN, FILTERS = 2, 4, 7, 6, 3, 5


# ---------------------------------------------------------------- NumPy maths
def pad_same(x, kh, kw):
    # 'same' padding as in TensorFlow / XLA: the extra row/column goes after.
    return np.pad(x, ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)))


def conv2d_same(x, w):
    """x (N, H, W, C), w (kh, kw, C, O) -> (N, H, W, O), cross-correlation."""
    kh, kw = w.shape[:2]
    xp, (n, h, wd, _) = pad_same(x, kh, kw), x.shape
    out = np.zeros((n, h, wd, w.shape[-1]))
    for i in range(kh):
        for j in range(kw):
            out += xp[:, i : i + h, j : j + wd, :] @ w[i, j]
    return out


def depthwise_same(x, w):
    """x (N, H, W, C), w (kh, kw, C, 1) -> (N, H, W, C)."""
    kh, kw = w.shape[:2]
    xp, (_, h, wd, _) = pad_same(x, kh, kw), x.shape
    out = np.zeros(x.shape)
    for i in range(kh):
        for j in range(kw):
            out += xp[:, i : i + h, j : j + wd, :] * w[i, j, :, 0]
    return out


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def spatial_softmax(z):
    """Softmax over all positions of each sample; z (N, H, W, 1)."""
    flat = z.reshape(z.shape[0], -1)
    e = np.exp(flat - flat.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).reshape(z.shape)


# ---------------------------------------------------------------- references
def convlstm_step(w, x, h, c):
    z = conv2d_same(x, w["kernel"]) + conv2d_same(h, w["recurrent_kernel"]) + w["bias"]
    zi, zf, zg, zo = np.split(z, 4, axis=-1)
    c = sigmoid(zf) * c + sigmoid(zi) * np.tanh(zg)
    return sigmoid(zo) * np.tanh(c), c


def separable(w, prefix, x, h):
    """Depthwise K×K on X and on H, pointwise projection of the concatenation."""
    dx = depthwise_same(x, w[f"{prefix}_depthwise_kernel"])
    dh = depthwise_same(h, w[f"{prefix}_recurrent_depthwise_kernel"])
    pointwise = np.concatenate(
        [w[f"{prefix}_pointwise_kernel"], w[f"{prefix}_recurrent_pointwise_kernel"]], axis=0
    )
    return np.concatenate([dx, dh], axis=-1) @ pointwise + w[f"{prefix}_bias"]


def pooled_gates(w, x, h, names):
    xbar, hbar = x.mean(axis=(1, 2)), h.mean(axis=(1, 2))
    z = sigmoid(xbar @ w["gate_kernel"] + hbar @ w["gate_recurrent_kernel"] + w["gate_bias"])
    return {n: g[:, None, None, :] for n, g in zip(names, np.split(z, len(names), axis=-1))}


def lstm_update(gates, candidate, c):
    c = gates["f"] * c + gates["i"] * np.tanh(candidate)
    return gates["o"] * np.tanh(c), c


def variant_a_step(w, x, h, c):
    gates = pooled_gates(w, x, h, "ifo")
    return lstm_update(gates, separable(w, "candidate", x, h), c)


def input_attention(w, x, h):
    z = conv2d_same(np.tanh(separable(w, "attention", x, h)), w["attention_score_kernel"])
    return spatial_softmax(z)


def variant_b_step(w, x, h, c):
    return variant_a_step(w, input_attention(w, x, h) * x, h, c)


def channel_attention(w, x, h):
    s = np.tanh(separable(w, "attention", x, h))
    z = depthwise_same(s, w["attention_score_depthwise_kernel"]) @ w[
        "attention_score_pointwise_kernel"
    ]
    # exp(Z) / max over positions of exp(Z), per sample and channel.
    e = np.exp(z)
    return e / e.max(axis=(1, 2), keepdims=True)


def gate_attention_step(gate, w, x, h, c):
    gates = pooled_gates(w, x, h, [g for g in "ifo" if g != gate])
    gates[gate] = channel_attention(w, x, h)
    return lstm_update(gates, separable(w, "candidate", x, h), c)


REFERENCES = {
    ConvLSTM: convlstm_step,
    PooledGateConvLSTM: variant_a_step,
    InputAttentionConvLSTM: variant_b_step,
    InputGateAttentionConvLSTM: lambda *a: gate_attention_step("i", *a),
    OutputGateAttentionConvLSTM: lambda *a: gate_attention_step("o", *a),
}


def run_reference(step, weights, x, h, c):
    outputs = []
    for t in range(x.shape[1]):
        h, c = step(weights, x[:, t], h, c)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


def randomize(layer, seed, scale=0.5):
    """Random weights (biases too) so every term of the equations matters."""
    rng = np.random.default_rng(seed)
    for v in layer.weights:
        v.assign(rng.normal(0.0, scale, v.shape).astype("float32"))


def weights_by_name(layer):
    weights = {v.name: np.asarray(v, dtype="float64") for v in layer.cell.weights}
    assert len(weights) == len(layer.cell.weights), "weight names must be unique"
    return weights


def assert_close(actual, expected, rtol=1e-5):
    # Relative to the tensor's scale: float32 layer against a float64 reference.
    scale = np.abs(expected).max()
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


@pytest.mark.backends
@pytest.mark.parametrize("cls", list(REFERENCES), ids=lambda c: c.__name__)
def test_matches_numpy_reference(cls):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(BATCH, STEPS, HEIGHT, WIDTH, CIN)).astype("float32")
    h0 = rng.normal(size=(BATCH, HEIGHT, WIDTH, FILTERS)).astype("float32")
    c0 = rng.normal(size=(BATCH, HEIGHT, WIDTH, FILTERS)).astype("float32")
    layer = cls(FILTERS, 3, return_sequences=True, return_state=True)
    layer.build(x.shape)
    randomize(layer, seed=2)
    seq, h, c = (to_numpy(t) for t in layer(x, initial_state=[h0, c0]))

    ref_seq, ref_h, ref_c = run_reference(
        REFERENCES[cls], weights_by_name(layer), x.astype("float64"), h0.astype("float64"), c0.astype("float64")
    )
    assert seq.shape == (BATCH, STEPS, HEIGHT, WIDTH, FILTERS)
    assert_close(seq, ref_seq)
    assert_close(h, ref_h)
    assert_close(c, ref_c)
    # The hidden state varies over positions (the gates alone would not).
    assert ref_seq.std(axis=(2, 3)).min() > 1e-3


@pytest.mark.backends
def test_non_square_kernel_matches_reference():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 3, 5, 6, 2)).astype("float32")
    # (c) has every kind of convolution of the variants (depthwise, pointwise);
    # an even kernel side checks where 'same' puts the extra padding.
    layer = InputGateAttentionConvLSTM(4, (3, 2), return_sequences=True)
    layer.build(x.shape)
    randomize(layer, seed=4)
    zeros = np.zeros((1, 5, 6, 4))
    ref, _, _ = run_reference(
        REFERENCES[InputGateAttentionConvLSTM], weights_by_name(layer), x.astype("float64"), zeros, zeros
    )
    assert_close(to_numpy(layer(x)), ref)


@pytest.mark.backends
def test_conv_lstm_equals_keras_conv_lstm2d():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(BATCH, STEPS, HEIGHT, WIDTH, CIN)).astype("float32")
    ours = ConvLSTM(FILTERS, 3, return_sequences=True)
    theirs = keras.layers.ConvLSTM2D(FILTERS, 3, padding="same", return_sequences=True)
    ours.build(x.shape)
    theirs.build(x.shape)
    randomize(ours, seed=6)
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(to_numpy(ours(x)), to_numpy(theirs(x)), rtol=1e-5, atol=1e-6)


@pytest.mark.backends
@pytest.mark.parametrize("concat_outputs", [False, True], ids=["top", "all_layers"])
def test_video_prediction_convlstm_stack_matches_reference(concat_outputs):
    # The VideoPredictor's ConvLSTM stack: layer k's h feeds layer k+1; its step output is
    # the top h, or (Shi et al. 2015's forecaster) every layer's h concatenated, bottom first.
    from keras_stlstm.models.video_prediction import ConvLSTMStackCell

    rng = np.random.default_rng(7)
    filters = (5, 4)
    x = rng.normal(size=(BATCH, STEPS, HEIGHT, WIDTH, CIN)).astype("float32")
    stack = ConvLSTMStackCell(list(filters), 3, concat_outputs=concat_outputs)
    stack.build(x[:, 0].shape)
    randomize(stack, seed=8)
    per_layer = [{v.name: np.asarray(v, dtype="float64") for v in cell.weights} for cell in stack.cells]

    states = stack.get_initial_state(BATCH)
    h = [np.zeros((BATCH, HEIGHT, WIDTH, f)) for f in filters]
    c = [np.zeros((BATCH, HEIGHT, WIDTH, f)) for f in filters]
    for t in range(STEPS):
        out, states = stack(x[:, t], states)
        below = x[:, t].astype("float64")
        for k, w in enumerate(per_layer):
            h[k], c[k] = convlstm_step(w, below, h[k], c[k])
            below = h[k]
        expected = np.concatenate(h, axis=-1) if concat_outputs else h[-1]
        assert_close(keras.ops.convert_to_numpy(out), expected)
    assert out.shape[-1] == (sum(filters) if concat_outputs else filters[-1])
    assert tuple(stack.output_shape_per_sample()) == (HEIGHT, WIDTH, out.shape[-1])
    for k in range(len(filters)):
        assert_close(keras.ops.convert_to_numpy(states[2 * k]), h[k])
        assert_close(keras.ops.convert_to_numpy(states[2 * k + 1]), c[k])
