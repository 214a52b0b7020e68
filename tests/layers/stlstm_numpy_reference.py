"""Plain NumPy (float64) references of the ST-LSTM, PredRNN++ and E3D-LSTM stacks, from the equations.

Written from the equations (shared/spec/cells.md sections 3-4; PredRNN++ eqs. 1-2), independently
of the package's code: own 'same' convolution, layer norm and softmax attention.
Only the weight layout (gate order of each fused convolution, documented in the
cells' docstrings) is shared with the layers, so the references can be fed the
layers' own weights.
"""

import itertools

import keras
import numpy as np
import pytest

LN_EPS = 1e-5


@pytest.fixture
def float64_backend():
    """Lets float64 layers really compute in float64 on JAX (x64 is off by default)."""
    if keras.backend.backend() != "jax":
        yield
        return
    import jax

    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", old)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def conv_same(x, w):
    """N-D cross-correlation with TensorFlow 'same' padding (extra pad at the end).

    x: (B, *spatial, Cin); w: (*kernel, Cin, Cout).
    """
    kernel = w.shape[:-2]
    pads = [(0, 0)] + [((k - 1) // 2, k - 1 - (k - 1) // 2) for k in kernel] + [(0, 0)]
    xp = np.pad(x, pads)
    spatial = x.shape[1:-1]
    out = np.zeros(x.shape[:-1] + (w.shape[-1],))
    for offset in itertools.product(*[range(k) for k in kernel]):
        window = (slice(None),) + tuple(slice(o, o + s) for o, s in zip(offset, spatial))
        out += xp[window] @ w[offset]
    return out


def layer_norm(x, gamma, beta):
    """Per sample over all non-batch axes, gain and bias per channel."""
    axes = tuple(range(1, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + LN_EPS) * gamma + beta


def attention(query, memories):
    """softmax(R · C_histᵀ) · C_hist over all rows of every memory in the list."""
    batch, channels = query.shape[0], query.shape[-1]
    q = query.reshape(batch, -1, channels)
    k = np.concatenate([m.reshape(batch, -1, channels) for m in memories], axis=1)
    s = q @ k.transpose(0, 2, 1)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    return (p @ k).reshape(query.shape)


def _numpy_dict(w):
    d = {}
    for key, value in w.items():
        if isinstance(value, (tuple, list)):
            d[key] = tuple(np.asarray(keras.ops.convert_to_numpy(v), np.float64) for v in value)
        else:
            d[key] = np.asarray(keras.ops.convert_to_numpy(value), np.float64)
    return d


def numpy_weights(cell):
    """The cell's per-layer weights as float64 NumPy (dict per layer)."""
    return [_numpy_dict(w) for w in cell.layer_weights]


def numpy_ghu_weights(cell):
    """The PredRNN++ cell's Gradient Highway Unit weights as float64 NumPy (dict)."""
    return _numpy_dict(cell.ghu_weights)


# Layers in the tests are built with these and then given NumPy weights: Keras'
# random initialisers compile one XLA kernel per weight shape on JAX, which
# costs seconds per layer on a busy CPU.
CHEAP_INIT = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros"}


def randomize_weights(layer, seed, scale=0.4):
    """Every weight drawn from N(0, scale²): exercises every term, gains and biases included."""
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(0.0, scale, w.shape) for w in layer.get_weights()])


def glorot_weights(layer, seed):
    """A trainable starting point set from NumPy: Glorot-uniform kernels, zero
    biases and norm shifts, unit norm gains."""
    rng = np.random.default_rng(seed)
    values = []
    for w in layer.weights:
        name, shape = w.path.rsplit("/", 1)[-1], tuple(w.shape)
        if name.endswith("gamma"):
            values.append(np.ones(shape))
        elif name.endswith("beta") or name.endswith("bias") or len(shape) == 1:
            values.append(np.zeros(shape))
        else:
            fan_in, fan_out = np.prod(shape[:-1]), np.prod(shape[:-2]) * shape[-1]
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            values.append(rng.uniform(-limit, limit, shape))
    layer.set_weights(values)


def _maybe_norm(z, w, key, enabled):
    return layer_norm(z, *w[f"norm_{key}"]) if enabled else z


def st_lstm_reference(x, weights, layer_norm_on, forget_bias=1.0):
    """ST-LSTM stack (cells.md section 3) over x (B, T, H, W, Cin).

    Returns (outputs (B, T, H, W, F), [h_0, c_0, ..., m] final states, list of M per step).
    """
    batch, steps = x.shape[:2]
    f = weights[0]["h"].shape[-2]
    zero = np.zeros(x.shape[:1] + x.shape[2:-1] + (f,))
    h = [zero] * len(weights)
    c = [zero] * len(weights)
    m = zero
    outputs, m_steps = [], []
    for t in range(steps):
        inp = x[:, t]
        for n, w in enumerate(weights):
            zx = _maybe_norm(conv_same(inp, w["x"]), w, "x", layer_norm_on) + w["bias"]
            i_x, f_x, g_x, ip_x, fp_x, gp_x, o_x = np.split(zx, 7, axis=-1)
            i_h, f_h, g_h, o_h = np.split(_maybe_norm(conv_same(h[n], w["h"]), w, "h", layer_norm_on), 4, axis=-1)
            ip_m, fp_m, gp_m = np.split(_maybe_norm(conv_same(m, w["m"]), w, "m", layer_norm_on), 3, axis=-1)
            i = sigmoid(i_x + i_h)
            g = np.tanh(g_x + g_h)
            fg = sigmoid(f_x + f_h + forget_bias)
            c_new = i * g + fg * c[n]
            ip = sigmoid(ip_x + ip_m)
            gp = np.tanh(gp_x + gp_m)
            fp = sigmoid(fp_x + fp_m + forget_bias)
            m = ip * gp + fp * m
            mem = np.concatenate([c_new, m], axis=-1)
            wo_c, wo_m = w["o"][..., :f, :], w["o"][..., f:, :]
            # Wco*C' + Wmo*M' as two separate convolutions (the paper's form).
            zo = _maybe_norm(conv_same(c_new, wo_c) + conv_same(m, wo_m), w, "o", layer_norm_on)
            o = sigmoid(o_x + o_h + zo)
            h[n] = o * np.tanh(conv_same(mem, w["last"]))
            c[n] = c_new
            inp = h[n]
        outputs.append(inp)
        m_steps.append(m)
    states = [s for pair in zip(h, c) for s in pair] + [m]
    return np.stack(outputs, axis=1), states, m_steps


def e3d_reference(frames, weights, depth, tau, layer_norm_on, forget_bias=1.0, recall_initial_memory=False):
    """E3D-LSTM stack (cells.md section 4) over frames (B, T, H, W, Cin).

    Every memory of a layer is kept in a Python list, [C_0 = 0, C_1, ...]. At step
    t (1-based) RECALL attends the last `tau` of C_{0:t-1} with
    `recall_initial_memory` (the official code), else of C_{1:t-1} (the paper's
    eq. 1); an empty history recalls 0.

    Returns (outputs (B, T, D, H, W, F), snapshots): snapshots[t] is a dict with
    the states after step t: "h", "c" (lists per layer), "m", "hist" (list per
    layer of the attended memories), "memories" (list per layer of every memory
    C_0..C_{t+1}), "recall" (list per layer).
    """
    batch, steps, height, width, _ = frames.shape
    f = weights[0]["h"].shape[-2]
    zero = np.zeros((batch, depth, height, width, f))
    h = [zero] * len(weights)
    c = [zero] * len(weights)
    m = zero
    hist = [[zero] for _ in weights]  # C_0, C_1, ... of each layer
    first = 0 if recall_initial_memory else 1
    past = [np.zeros_like(frames[:, 0])] * (depth - 1)
    outputs, snapshots = [], []
    for t in range(steps):
        window = past + [frames[:, t]]
        past = window[1:]
        inp = np.stack(window, axis=1)
        recalls = []
        for n, w in enumerate(weights):
            memories = hist[n][first:][-tau:]
            zx = _maybe_norm(conv_same(inp, w["x"]), w, "x", layer_norm_on) + w["bias"]
            i_x, g_x, r_x, o_x, ip_x, gp_x, fp_x = np.split(zx, 7, axis=-1)
            i_h, g_h, r_h, o_h = np.split(_maybe_norm(conv_same(h[n], w["h"]), w, "h", layer_norm_on), 4, axis=-1)
            ip_m, gp_m, fp_m = np.split(_maybe_norm(conv_same(m, w["m"]), w, "m", layer_norm_on), 3, axis=-1)
            i = sigmoid(i_x + i_h)
            g = np.tanh(g_x + g_h)
            r = sigmoid(r_x + r_h)
            rec = attention(r, memories) if memories else np.zeros_like(r)
            recalls.append(rec)
            c_new = i * g + layer_norm(c[n] + rec, *w["norm_c"])
            ip = sigmoid(ip_x + ip_m)
            gp = np.tanh(gp_x + gp_m)
            fp = sigmoid(fp_x + fp_m + forget_bias)
            m = ip * gp + fp * m
            wo_c, wo_m = w["o"][..., :f, :], w["o"][..., f:, :]
            o = sigmoid(o_x + o_h + conv_same(c_new, wo_c) + conv_same(m, wo_m))
            h[n] = o * np.tanh(conv_same(np.concatenate([c_new, m], axis=-1), w["last"]))
            c[n] = c_new
            hist[n].append(c_new)
            inp = h[n]
        outputs.append(inp)
        snapshots.append(
            {
                "h": list(h),
                "c": list(c),
                "m": m,
                "hist": [x[first:-1][-tau:] for x in hist],
                "memories": [list(x) for x in hist],
                "recall": recalls,
            }
        )
    return np.stack(outputs, axis=1), snapshots


def predrnn_pp_reference(x, weights, ghu, layer_norm_on, forget_bias=1.0):
    """PredRNN++ stack (Causal LSTMs + Gradient Highway Unit, Wang et al. 2018 eqs. 1-2) over x (B, T, H, W, Cin).

    Each W * [A, B, ...] is written as the sum of one convolution per source (the
    layer's kernels split by source, gate order documented in its docstring).
    `ghu`: dict "x", "z", "bias" (and "norm_x", "norm_z").

    Returns (outputs (B, T, H, W, F), [h_0, c_0, ..., m, z] final states, list of Z per step).
    """
    steps = x.shape[1]
    f = weights[0]["h"].shape[-2]
    zero = np.zeros(x.shape[:1] + x.shape[2:-1] + (f,))
    h, c = [zero] * len(weights), [zero] * len(weights)
    m, z = zero, zero
    outputs, z_steps = [], []
    for t in range(steps):
        inp = x[:, t]
        for n, w in enumerate(weights):
            g_x, i_x, f_x, gp_x, ip_x, fp_x, o_x = np.split(
                _maybe_norm(conv_same(inp, w["x"]), w, "x", layer_norm_on) + w["bias"], 7, axis=-1)
            g_h, i_h, f_h = np.split(_maybe_norm(conv_same(h[n], w["h"]), w, "h", layer_norm_on), 3, axis=-1)
            g_c, i_c, f_c = np.split(_maybe_norm(conv_same(c[n], w["c"]), w, "c", layer_norm_on), 3, axis=-1)
            # (g, i, f) = (tanh, σ, σ)(W1 * [X, H_{t-1}, C_{t-1}]);  C_t = f∘C_{t-1} + i∘g
            c_new = sigmoid(f_x + f_h + f_c + forget_bias) * c[n] + sigmoid(i_x + i_h + i_c) * np.tanh(g_x + g_h + g_c)
            # (g', i', f') = (tanh, σ, σ)(W2 * [X, C_t, M^{k-1}]);  M^k = f'∘tanh(W3 * M^{k-1}) + i'∘g'
            gp_c, ip_c, fp_c, o_c = np.split(_maybe_norm(conv_same(c_new, w["cn"]), w, "cn", layer_norm_on), 4, -1)
            gp_m, ip_m, fp_m, w3m = np.split(_maybe_norm(conv_same(m, w["m"]), w, "m", layer_norm_on), 4, -1)
            m = sigmoid(fp_x + fp_c + fp_m + forget_bias) * np.tanh(w3m) + sigmoid(ip_x + ip_c + ip_m) * np.tanh(
                gp_x + gp_c + gp_m)
            # o = tanh(W4 * [X, C_t, M^k]);  H = o∘tanh(W5 * [C_t, M^k])
            o = np.tanh(o_x + o_c + _maybe_norm(conv_same(m, w["mo"]), w, "mo", layer_norm_on))
            h[n] = o * np.tanh(conv_same(np.concatenate([c_new, m], axis=-1), w["last"]))
            c[n] = c_new
            inp = h[n]
            if n == 0:
                # P = tanh(Wpx*H¹ + Wpz*Z), S = σ(Wsx*H¹ + Wsz*Z), Z = S∘P + (1 - S)∘Z
                p_x, s_x = np.split(_maybe_norm(conv_same(inp, ghu["x"]), ghu, "x", layer_norm_on) + ghu["bias"], 2, -1)
                p_z, s_z = np.split(_maybe_norm(conv_same(z, ghu["z"]), ghu, "z", layer_norm_on), 2, -1)
                s = sigmoid(s_x + s_z)
                z = s * np.tanh(p_x + p_z) + (1.0 - s) * z
                inp = z
        outputs.append(inp)
        z_steps.append(z)
    states = [s for pair in zip(h, c) for s in pair] + [m, z]
    return np.stack(outputs, axis=1), states, z_steps
