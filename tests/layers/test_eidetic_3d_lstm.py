"""Eidetic3DLSTM: values against a NumPy reference, the recall buffer, Keras RNN features, saving."""

import keras
import numpy as np
import pytest
from stlstm_numpy_reference import (  # noqa: F401  (float64_backend is a fixture)
    attention,
    e3d_reference,
    CHEAP_INIT,
    float64_backend,
    glorot_weights,
    numpy_weights,
    randomize_weights,
)

from keras_stlstm.layers import Eidetic3DLSTM, Eidetic3DLSTMCell
from keras_stlstm.layers.eidetic_3d_lstm import recall, recall_rematerialized
from keras_stlstm.testing.gradients import argument_gradients

pytestmark = pytest.mark.backends

B, H, W, CIN, F, D = 2, 4, 4, 2, 3, 2
KERNEL = (2, 3, 3)
# float64 layer vs float64 reference: 1e-5 relative, with an absolute floor of
# 1e-6 because XLA's float64 tanh (JAX on CPU) is only accurate to ~1e-7.
TOL = {"rtol": 1e-5, "atol": 1e-6}


def np_(x):
    return keras.ops.convert_to_numpy(x)


def _frames(steps, seed=0):
    return np.random.default_rng(seed).normal(size=(B, steps, H, W, CIN))


def _layer(steps, seed=1, **kwargs):
    layer = Eidetic3DLSTM(kwargs.pop("filters", [F, F]), KERNEL, depth=D, **CHEAP_INIT, **kwargs)
    layer.build((B, steps, H, W, CIN))
    randomize_weights(layer, seed)
    return layer


def test_recall_attends_to_valid_slots_only(float64_backend):
    rng = np.random.default_rng(0)
    query = rng.normal(size=(B, D, H, W, F))
    memories = rng.normal(size=(B, 4, D, H, W, F))
    valid = np.array([[0, 1, 1, 1], [0, 0, 0, 1]], "float64")
    got = np_(recall(query, memories, valid))
    for b in range(B):
        kept = [memories[b : b + 1, s] for s in range(4) if valid[b, s]]
        np.testing.assert_allclose(got[b : b + 1], attention(query[b : b + 1], kept), **TOL)
    # Whatever sits in an empty slot is ignored.
    garbage = memories.copy()
    garbage[:, 0] = 1e3
    np.testing.assert_allclose(np_(recall(query, garbage, valid)), got, **TOL)
    # No valid slot (the paper's first step): nothing is recalled.
    assert np.all(np_(recall(query, garbage, np.zeros_like(valid))) == 0.0)


def _gradients(fn, *args):
    """Gradients of sum(fn(*args) * weights) with respect to the first two args."""
    weights = np.random.default_rng(9).normal(size=(B, D, H, W, F))
    return argument_gradients(lambda *a: keras.ops.sum(keras.ops.multiply(fn(*a), weights)), args, argnums=(0, 1))


def test_rematerialized_recall_has_the_same_gradients(float64_backend):
    rng = np.random.default_rng(1)
    args = (rng.normal(size=(B, D, H, W, F)), rng.normal(size=(B, 3, D, H, W, F)), np.array([[0.0, 1, 1]] * B))
    plain = [np_(g) for g in _gradients(recall, *args)]
    remat = [np_(g) for g in _gradients(recall_rematerialized, *args)]
    for p, r in zip(plain, remat):
        assert np.all(np.isfinite(p)) and np.abs(p).max() > 1e-3
        np.testing.assert_allclose(r, p, rtol=1e-10, atol=1e-12)
    # Empty slots get no gradient.
    assert np.all(plain[1][:, 0] == 0.0)


@pytest.mark.parametrize("layer_norm, recall_initial_memory", [(True, False), (False, False), (True, True)])
def test_cell_steps_match_reference_and_buffer(float64_backend, layer_norm, recall_initial_memory):
    """Step by step: outputs, states, memory buffer contents and validity mask."""
    tau, steps = 3, 5
    cell = Eidetic3DLSTMCell(
        [F, F],
        KERNEL,
        depth=D,
        recall_window=tau,
        layer_norm=layer_norm,
        recall_initial_memory=recall_initial_memory,
        dtype="float64",
        **CHEAP_INIT,
    )
    cell.build((B, H, W, CIN))
    randomize_weights(cell, 4)
    x = _frames(steps)
    ref, snaps = e3d_reference(
        x, numpy_weights(cell), D, tau, layer_norm, recall_initial_memory=recall_initial_memory
    )
    states = cell.get_initial_state(B)
    assert len(states) == 2 * 2 + 1 + 2 + 1 + 1
    m_seen = []
    for t in range(steps):
        out, states = cell(x[:, t], states)
        states = [np_(s) for s in states]
        np.testing.assert_allclose(np_(out), ref[:, t], **TOL)
        h0, c0, h1, c1, m, hist0, hist1, valid, frames = states
        snap = snaps[t]
        want = [snap["h"][0], snap["c"][0], snap["h"][1], snap["c"][1], snap["m"]]
        for got, ref_state in zip([h0, c0, h1, c1, m], want):
            np.testing.assert_allclose(got, ref_state, **TOL)
        # Stored after step t: C_0..C_t (official: the memories just attended) or
        # C_1..C_{t+1} (paper: those the next step attends), the last τ of them.
        n_valid = min(t + 1, tau)
        np.testing.assert_array_equal(valid, np.tile([0.0] * (tau - n_valid) + [1.0] * n_valid, (B, 1)))
        first = 0 if recall_initial_memory else 1
        for hist, memories in zip([hist0, hist1], snap["memories"]):
            want = memories[first : first + t + 1][-tau:]
            assert len(want) == n_valid
            np.testing.assert_allclose(hist[:, tau - n_valid :], np.stack(want, axis=1), **TOL)
        if t == 0:
            assert np.all(hist0[:, -1] == 0.0) == recall_initial_memory
        np.testing.assert_allclose(frames[:, 0], x[:, t], **TOL)
        m_seen.append(m)
    # The memory M is alive (the official code's bug would leave it at zero).
    assert np.abs(m_seen[0]).mean() > 1e-2
    assert all(np.abs(m_seen[t + 1] - m_seen[t]).mean() > 1e-3 for t in range(steps - 1))


def test_paper_history_excludes_the_initial_memory(float64_backend):
    """Eq. 1's C_{1:t-1}: RECALL is 0 at step 1; the official reading (C_0 too) differs from step 2."""
    steps = 4
    x = _frames(steps, seed=3)
    paper = _layer(steps, return_sequences=True, dtype="float64")
    official = _layer(steps, recall_initial_memory=True, return_sequences=True, dtype="float64")
    official.set_weights(paper.get_weights())
    assert not paper.cell.recall_initial_memory and official.get_config()["recall_initial_memory"]
    weights = numpy_weights(paper.cell)
    want_paper, snaps = e3d_reference(x, weights, D, steps, True, recall_initial_memory=False)
    want_official, _ = e3d_reference(x, weights, D, steps, True, recall_initial_memory=True)
    got_paper, got_official = np_(paper(x)), np_(official(x))
    np.testing.assert_allclose(got_paper, want_paper, **TOL)
    np.testing.assert_allclose(got_official, want_official, **TOL)
    assert all(np.all(r == 0.0) for r in snaps[0]["recall"])
    assert all(np.abs(r).max() > 1e-2 for r in snaps[1]["recall"])
    # Attending the zero C_0 alone recalls 0 too, so step 1 agrees; C_0 dilutes the softmax later.
    np.testing.assert_allclose(got_paper[:, 0], got_official[:, 0], **TOL)
    for t in range(1, steps):
        assert np.abs(got_paper[:, t] - got_official[:, t]).max() > 1e-4


@pytest.mark.parametrize("recall_initial_memory", [False, True])
def test_full_history_and_window_of_five(float64_backend, recall_initial_memory):
    steps = 8
    x = _frames(steps, seed=2)
    kwargs = {"recall_initial_memory": recall_initial_memory, "return_sequences": True, "dtype": "float64"}
    full = _layer(steps, **kwargs)
    window = _layer(steps, recall_window=5, **kwargs)
    window.set_weights(full.get_weights())
    assert full.cell.recall_capacity == steps and window.cell.recall_capacity == 5
    out_full, out_window = np_(full(x)), np_(window(x))
    weights = numpy_weights(full.cell)
    for out, tau in ((out_full, steps), (out_window, 5)):
        want, _ = e3d_reference(x, weights, D, tau, True, recall_initial_memory=recall_initial_memory)
        np.testing.assert_allclose(out, want, **TOL)
    # Histories of at most 5 memories fit both: steps 0-4 with C_0 (official), 0-5 without.
    fits = 5 if recall_initial_memory else 6
    np.testing.assert_allclose(out_window[:, :fits], out_full[:, :fits], **TOL)
    for t in range(fits, steps):
        assert np.abs(out_window[:, t] - out_full[:, t]).max() > 1e-6


def test_config_round_trip_and_saving(tmp_path):
    steps = 3
    x = _frames(steps).astype("float32")
    inputs = keras.Input((steps, H, W, CIN))
    model = keras.Model(inputs, Eidetic3DLSTM([F, F], KERNEL, depth=D, **CHEAP_INIT)(inputs))
    randomize_weights(model, 2)
    layer = model.layers[-1]
    config = layer.get_config()
    assert "history_length" not in config and config["recall_window"] is None
    assert config["recall_initial_memory"] is False
    clone = Eidetic3DLSTM.from_config(config)
    assert clone.get_config() == config
    path = tmp_path / "e3d.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.layers[-1].cell.recall_capacity == steps
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_initial_state_stateful_unroll_go_backwards():
    x = _frames(6).astype("float32")
    # Full history (capacity 6): two halves chained through initial_state.
    layer = _layer(6, return_sequences=True, return_state=True)
    full, *_ = layer(x)
    _, *states = layer(x[:, :3])
    second, *_ = layer(x[:, 3:], initial_state=states)
    np.testing.assert_allclose(np_(second), np_(full)[:, 3:], atol=1e-5)

    # A window of 2 slots: stateful halves equal one long call.
    plain = _layer(6, recall_window=2, return_sequences=True)
    stateful = _layer(3, recall_window=2, return_sequences=True, stateful=True)
    stateful.set_weights(plain.get_weights())
    want = np_(plain(x))
    got = np.concatenate([np_(stateful(x[:, :3])), np_(stateful(x[:, 3:]))], axis=1)
    np.testing.assert_allclose(got, want, atol=1e-5)

    # `full` above is the loop's output with these weights.
    unrolled = _layer(6, unroll=True, return_sequences=True)
    backwards = _layer(6, go_backwards=True)
    for other in (unrolled, backwards):
        other.set_weights(layer.get_weights())
    np.testing.assert_allclose(np_(unrolled(x)), np_(full), atol=1e-5)
    reversed_full, *_ = layer(x[:, ::-1])
    np.testing.assert_allclose(np_(backwards(x)), np_(reversed_full)[:, -1], atol=1e-5)


def _moving_dot(n, steps, size=5, seed=0):
    """A bright dot moving one pixel right per frame (wrapping), random start."""
    rng = np.random.default_rng(seed)
    frames = np.zeros((n, steps + 1, size, size, 1), "float32")
    for k in range(n):
        r, c = rng.integers(size, size=2)
        for t in range(steps + 1):
            frames[k, t, r, (c + t) % size, 0] = 1.0
    return frames[:, :-1], frames[:, 1:]


def test_fit_lowers_loss_and_gradients_are_finite():
    steps, size = 4, 5
    x, y = _moving_dot(8, steps, size)
    inputs = keras.Input((steps, size, size, 1))
    h = Eidetic3DLSTM([4], KERNEL, depth=D, return_sequences=True, **CHEAP_INIT)(inputs)
    # The official decoder: a Conv3D of kernel and stride (D, 1, 1) collapses the depth.
    decoder = keras.layers.Conv3D(1, (D, 1, 1), strides=(D, 1, 1), kernel_initializer="zeros")
    frames = keras.layers.TimeDistributed(decoder)(h)
    model = keras.Model(inputs, keras.layers.Reshape((steps, size, size, 1))(frames))
    glorot_weights(model, 0)
    model.compile(keras.optimizers.Adam(0.02), "mse")
    history = model.fit(x, y, batch_size=8, epochs=15, verbose=0).history["loss"]
    assert np.all(np.isfinite(history))
    assert history[-1] < 0.6 * history[0]
    for w in model.trainable_weights:
        assert np.all(np.isfinite(np_(w)))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"filters": [4, 8]}, "filters"),
        ({"filters": [-1]}, "filters"),
        ({"filters": [4], "kernel_size": (3, 3)}, "kernel_size"),
        ({"filters": [4], "kernel_size": (2, 0, 3)}, "kernel_size"),
        ({"filters": [4], "depth": 0}, "depth"),
        ({"filters": [4], "recall_window": 0}, "recall_window"),
        ({"filters": [4], "recall_window": 2.5}, "recall_window"),
        ({"filters": [4], "recall_initial_memory": 1}, "recall_initial_memory"),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Eidetic3DLSTM(**kwargs)


def test_input_errors():
    with pytest.raises(ValueError, match="recall_window"):
        Eidetic3DLSTM([4])(keras.Input((None, 5, 5, 2)))
    with pytest.raises(ValueError, match="recall_window"):
        Eidetic3DLSTMCell([4]).build((2, 5, 5, 2))
    layer = Eidetic3DLSTM([4], (1, 3, 3), **CHEAP_INIT)
    with pytest.raises(ValueError, match="rank 5"):
        layer(np.zeros((2, 3, 5, 5), "float32"))
    layer.build((2, 3, 5, 5, 2))
    with pytest.raises(ValueError, match="built for inputs"):
        layer(np.zeros((2, 3, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match="recall_window"):
        layer(np.zeros((2, 4, 5, 5, 2), "float32"))


def test_depth_one_has_no_frame_buffer():
    layer = Eidetic3DLSTM([4], (1, 3, 3), depth=1, recall_window=2, return_state=True, **CHEAP_INIT)
    out, *states = layer(np.ones((1, 3, 5, 5, 2), "float32"))
    assert tuple(out.shape) == (1, 1, 5, 5, 4)
    assert [tuple(s.shape) for s in states] == [(1, 1, 5, 5, 4)] * 3 + [(1, 2, 1, 5, 5, 4), (1, 2)]


def test_complexity_counts():
    from keras_stlstm.utils import complexity

    layer = Eidetic3DLSTM([4], (2, 3, 3), depth=2, recall_window=3, layer_norm=False, **CHEAP_INIT)
    layer.build((None, 5, 5, 5, 2))
    counts = complexity(layer)
    assert counts.parameters == layer.count_params()
    positions = 2 * 5 * 5
    conv = 18 * (2 * 28 + 4 * 16 + 4 * 12 + 8 * 4) + 8 * 4
    # RECALL: (DHW x F) by (F x τ·DHW), then (DHW x τ·DHW) by (τ·DHW x F).
    assert counts.mult_adds == conv * positions + 2 * 3 * positions**2 * 4
    # The paper's convention counts every one of the D·H·W positions of a state.
    assert counts.paper_mult_adds == counts.parameters_without_biases * positions
