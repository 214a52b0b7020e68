"""SpatioTemporalLSTM: values against a NumPy reference, zigzag memory, Keras RNN features, saving."""

import keras
import numpy as np
import pytest
from stlstm_numpy_reference import (  # noqa: F401  (float64_backend is a fixture)
    CHEAP_INIT,
    float64_backend,
    glorot_weights,
    numpy_weights,
    randomize_weights,
    st_lstm_reference,
)

from keras_stlstm.layers import SpatioTemporalLSTM, SpatioTemporalLSTMCell

pytestmark = pytest.mark.backends

B, T, H, W, CIN, F = 2, 4, 5, 5, 2, 3
# float64 layer vs float64 reference: 1e-5 relative, with an absolute floor of
# 1e-6 because XLA's float64 tanh (JAX on CPU) is only accurate to ~1e-7.
TOL = {"rtol": 1e-5, "atol": 1e-6}


def _inputs(seed=0, steps=T):
    return np.random.default_rng(seed).normal(size=(B, steps, H, W, CIN))


def _layer(seed=1, **kwargs):
    kwargs.setdefault("kernel_size", 3)
    layer = SpatioTemporalLSTM(kwargs.pop("filters", [F, F]), **CHEAP_INIT, **kwargs)
    layer.build((B, None, H, W, CIN))
    randomize_weights(layer, seed)
    return layer


@pytest.mark.parametrize("layer_norm", [False, True])
def test_matches_numpy_reference(float64_backend, layer_norm):
    x = _inputs()
    layer = _layer(layer_norm=layer_norm, forget_bias=0.7, return_sequences=True, return_state=True, dtype="float64")
    out, *states = layer(x)
    ref, ref_states, m_steps = st_lstm_reference(x, numpy_weights(layer.cell), layer_norm, forget_bias=0.7)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), ref, **TOL)
    assert len(states) == 2 * 2 + 1
    for got, want in zip(states, ref_states):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(got), want, **TOL)
    # The zigzag memory is alive: non-zero and changing from step to step.
    assert np.abs(m_steps[0]).mean() > 1e-2
    assert np.abs(m_steps[1] - m_steps[0]).mean() > 1e-3


def test_memory_zigzags_across_layers_and_steps(float64_backend):
    """Layer 0 at step t+1 reads the TOP layer's M of step t (not its own)."""
    cell = SpatioTemporalLSTMCell([F, F], 3, dtype="float64", **CHEAP_INIT)
    cell.build((B, H, W, CIN))
    randomize_weights(cell, 3)
    x = _inputs()
    states = cell.get_initial_state(B)
    _, states = cell(x[:, 0], states)
    # Feeding layer 0's C/H but the top M must give the cell's own result; a
    # different M (zero) must change it, so M really enters at the bottom.
    out_a, _ = cell(x[:, 1], states)
    zeroed = list(states[:-1]) + [keras.ops.zeros_like(states[-1])]
    out_b, _ = cell(x[:, 1], zeroed)
    ref, _, _ = st_lstm_reference(x[:, :2], numpy_weights(cell), False)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out_a), ref[:, 1], **TOL)
    assert np.abs(keras.ops.convert_to_numpy(out_a) - keras.ops.convert_to_numpy(out_b)).max() > 1e-4


def test_config_round_trip_and_saving(tmp_path):
    x = _inputs().astype("float32")
    inputs = keras.Input((T, H, W, CIN))
    model = keras.Model(inputs, _layer(layer_norm=True)(inputs))
    randomize_weights(model, 2)
    layer = model.layers[-1]
    config = layer.get_config()
    clone = SpatioTemporalLSTM.from_config(config)
    assert clone.get_config() == config
    assert config["filters"] == [F, F] and config["layer_norm"] is True
    path = tmp_path / "st.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)


def test_initial_state_continues_a_sequence():
    x = _inputs(steps=6).astype("float32")
    layer = _layer(return_sequences=True, return_state=True)
    full, *_ = layer(x)
    first, *states = layer(x[:, :3])
    second, *_ = layer(x[:, 3:], initial_state=states)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(second), keras.ops.convert_to_numpy(full)[:, 3:], atol=1e-5)


def test_stateful_two_calls_equal_one_long_call():
    x = _inputs(steps=6).astype("float32")
    plain = _layer(return_sequences=True)
    stateful = _layer(return_sequences=True, stateful=True)
    stateful.set_weights(plain.get_weights())
    full = keras.ops.convert_to_numpy(plain(x))
    a = keras.ops.convert_to_numpy(stateful(x[:, :3]))
    b = keras.ops.convert_to_numpy(stateful(x[:, 3:]))
    np.testing.assert_allclose(np.concatenate([a, b], axis=1), full, atol=1e-5)
    stateful.reset_state()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(stateful(x[:, :3])), a, atol=1e-6)


def test_unroll_and_go_backwards():
    x = _inputs().astype("float32")
    loop = _layer()
    unrolled = _layer(unroll=True)
    backwards = _layer(go_backwards=True)
    for other in (unrolled, backwards):
        other.set_weights(loop.get_weights())
    want = keras.ops.convert_to_numpy(loop(x))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(unrolled(x)), want, atol=1e-5)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(backwards(x)), keras.ops.convert_to_numpy(loop(x[:, ::-1])), atol=1e-5
    )


def _moving_dot(n, steps, size=6, seed=0):
    """A bright dot moving one pixel right per frame (wrapping), random start."""
    rng = np.random.default_rng(seed)
    frames = np.zeros((n, steps + 1, size, size, 1), "float32")
    for k in range(n):
        r, c = rng.integers(size, size=2)
        for t in range(steps + 1):
            frames[k, t, r, (c + t) % size, 0] = 1.0
    return frames[:, :-1], frames[:, 1:]


def test_fit_lowers_loss_and_gradients_are_finite():
    x, y = _moving_dot(8, 4)
    inputs = keras.Input((4, 6, 6, 1))
    h = SpatioTemporalLSTM([4, 4], 3, return_sequences=True, **CHEAP_INIT)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, kernel_initializer="zeros")(h))
    glorot_weights(model, 0)
    model.compile(keras.optimizers.Adam(0.02), "mse")
    history = model.fit(x, y, batch_size=8, epochs=15, verbose=0).history["loss"]
    assert np.all(np.isfinite(history))
    assert history[-1] < 0.6 * history[0]
    for w in model.trainable_weights:
        assert np.all(np.isfinite(keras.ops.convert_to_numpy(w)))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"filters": [4, 8]}, "filters"),
        ({"filters": [0]}, "filters"),
        ({"filters": []}, "filters"),
        ({"filters": "4"}, "filters"),
        ({"filters": 4, "kernel_size": 0}, "kernel_size"),
        ({"filters": 4, "kernel_size": (3, 3, 3)}, "kernel_size"),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SpatioTemporalLSTM(**kwargs)


def test_input_errors():
    layer = SpatioTemporalLSTM(4, 3, **CHEAP_INIT)
    with pytest.raises(ValueError, match="rank 5"):
        layer(np.zeros((2, 3, 5, 5), "float32"))
    layer.build((2, 3, 5, 5, 2))
    with pytest.raises(ValueError, match="built for inputs"):
        layer(np.zeros((2, 3, 5, 5, 3), "float32"))


def test_int_filters_is_one_layer():
    layer = SpatioTemporalLSTM(4, 3, return_state=True, **CHEAP_INIT)
    out, *states = layer(np.zeros((1, 2, 5, 5, 2), "float32"))
    assert layer.cell.filters == (4,) and len(states) == 3
    assert tuple(out.shape) == (1, 5, 5, 4)


def test_complexity_counts():
    from keras_stlstm.utils import complexity

    layer = SpatioTemporalLSTM([4, 4], 3, layer_norm=True, **CHEAP_INIT)
    layer.build((None, 2, 5, 5, 2))
    counts = complexity(layer)
    assert counts.parameters == layer.count_params()
    # Per layer: 3x3 kernels X->7F, H->4F, M->3F, [C',M']->F, and 1x1 [C',M']->F.
    conv = 9 * (2 * 28 + 4 * 16 + 4 * 12 + 8 * 4) + 8 * 4 + 9 * (4 * 28 + 4 * 16 + 4 * 12 + 8 * 4) + 8 * 4
    assert counts.mult_adds == conv * 25
    assert counts.parameters - counts.parameters_without_biases == 2 * (7 * 4 + 15 * 4)
