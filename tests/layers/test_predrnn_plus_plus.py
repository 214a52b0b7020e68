"""PredRNNPlusPlus: values against a NumPy reference of the paper's equations, the zigzag memory and
the gradient highway, Keras RNN features, saving."""

import keras
import numpy as np
import pytest
from stlstm_numpy_reference import (  # noqa: F401  (float64_backend is a fixture)
    CHEAP_INIT,
    float64_backend,
    glorot_weights,
    numpy_ghu_weights,
    numpy_weights,
    predrnn_pp_reference,
    randomize_weights,
)

from keras_stlstm.layers import PredRNNPlusPlus, PredRNNPlusPlusCell

pytestmark = pytest.mark.backends

B, T, H, W, CIN, F = 2, 4, 5, 5, 2, 3
# float64 layer vs float64 reference: 1e-5 relative, with an absolute floor of
# 3e-6: on JAX keras.ops.tanh returns float32 for a float64 input (~1e-7 each),
# and a Causal LSTM step chains six tanh (measured worst case 1.2e-6).
TOL = {"rtol": 1e-5, "atol": 3e-6}


def np_(x):
    return keras.ops.convert_to_numpy(x)


def _inputs(seed=0, steps=T):
    return np.random.default_rng(seed).normal(size=(B, steps, H, W, CIN))


def _layer(seed=1, **kwargs):
    kwargs.setdefault("kernel_size", 3)
    layer = PredRNNPlusPlus(kwargs.pop("filters", [F, F, F]), **CHEAP_INIT, **kwargs)
    layer.build((B, None, H, W, CIN))
    randomize_weights(layer, seed)
    return layer


@pytest.mark.parametrize("layer_norm", [False, True])
def test_matches_numpy_reference(float64_backend, layer_norm):
    x = _inputs()
    layer = _layer(layer_norm=layer_norm, forget_bias=0.7, return_sequences=True, return_state=True, dtype="float64")
    out, *states = layer(x)
    ref, ref_states, z_steps = predrnn_pp_reference(
        x, numpy_weights(layer.cell), numpy_ghu_weights(layer.cell), layer_norm, forget_bias=0.7
    )
    np.testing.assert_allclose(np_(out), ref, **TOL)
    assert len(states) == 2 * 3 + 2
    for got, want in zip(states, ref_states):
        np.testing.assert_allclose(np_(got), want, **TOL)
    # The highway state is alive: non-zero and changing from step to step.
    assert np.abs(z_steps[0]).mean() > 1e-2
    assert np.abs(z_steps[1] - z_steps[0]).mean() > 1e-3


def test_memory_zigzags_and_the_highway_feeds_layer_two(float64_backend):
    """Layer 0 at step t+1 reads the top layer's M of step t; layer 1 reads Z, which carries Z_{t-1}."""
    cell = PredRNNPlusPlusCell([F, F], 3, dtype="float64", **CHEAP_INIT)
    cell.build((B, H, W, CIN))
    randomize_weights(cell, 3)
    x = _inputs()
    _, states = cell(x[:, 0], cell.get_initial_state(B))
    out, _ = cell(x[:, 1], states)
    ref, _, _ = predrnn_pp_reference(x[:, :2], numpy_weights(cell), numpy_ghu_weights(cell), False)
    np.testing.assert_allclose(np_(out), ref[:, 1], **TOL)
    for index in (-2, -1):  # zeroing M, then Z, changes the output: both enter the next step
        changed = list(states)
        changed[index] = keras.ops.zeros_like(states[index])
        assert np.abs(np_(cell(x[:, 1], changed)[0]) - np_(out)).max() > 1e-4


def test_config_round_trip_and_saving(tmp_path):
    x = _inputs().astype("float32")
    inputs = keras.Input((T, H, W, CIN))
    model = keras.Model(inputs, _layer(layer_norm=True)(inputs))
    randomize_weights(model, 2)
    config = model.layers[-1].get_config()
    assert PredRNNPlusPlus.from_config(config).get_config() == config
    assert config["filters"] == [F, F, F] and config["layer_norm"] is True
    path = tmp_path / "predrnn_pp.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)


def test_initial_state_stateful_unroll_go_backwards():
    x = _inputs(steps=6).astype("float32")
    layer = _layer(return_sequences=True, return_state=True)
    full, *_ = layer(x)
    _, *states = layer(x[:, :3])
    second, *_ = layer(x[:, 3:], initial_state=states)
    np.testing.assert_allclose(np_(second), np_(full)[:, 3:], atol=1e-5)
    stateful = _layer(return_sequences=True, stateful=True)
    stateful.set_weights(layer.get_weights())
    got = np.concatenate([np_(stateful(x[:, :3])), np_(stateful(x[:, 3:]))], axis=1)
    np.testing.assert_allclose(got, np_(full), atol=1e-5)
    unrolled, backwards = _layer(unroll=True), _layer(go_backwards=True)
    for other in (unrolled, backwards):
        other.set_weights(layer.get_weights())
    np.testing.assert_allclose(np_(unrolled(x)), np_(full)[:, -1], atol=1e-5)
    reversed_full, *_ = layer(x[:, ::-1])
    np.testing.assert_allclose(np_(backwards(x)), np_(reversed_full)[:, -1], atol=1e-5)


def test_fit_lowers_loss_and_gradients_are_finite():
    rng = np.random.default_rng(0)
    frames = np.zeros((8, 5, 6, 6, 1), "float32")
    for k in range(8):  # a dot moving one pixel right per frame
        r, c = rng.integers(6, size=2)
        for t in range(5):
            frames[k, t, r, (c + t) % 6, 0] = 1.0
    inputs = keras.Input((4, 6, 6, 1))
    h = PredRNNPlusPlus([4, 4], 3, return_sequences=True, **CHEAP_INIT)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, kernel_initializer="zeros")(h))
    glorot_weights(model, 0)
    model.compile(keras.optimizers.Adam(0.02), "mse")
    history = model.fit(frames[:, :-1], frames[:, 1:], batch_size=8, epochs=15, verbose=0).history["loss"]
    assert np.all(np.isfinite(history)) and history[-1] < 0.6 * history[0]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"filters": [4]}, "at least 2 layers"),
        ({"filters": 4}, "at least 2 layers"),
        ({"filters": [4, 8]}, "filters"),
        ({"filters": [4, 4], "kernel_size": (3, 3, 3)}, "kernel_size"),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PredRNNPlusPlus(**kwargs)


def test_complexity_counts():
    from keras_stlstm.utils import complexity

    layer = PredRNNPlusPlus([4, 4], 3, layer_norm=True, **CHEAP_INIT)
    layer.build((None, 2, 5, 5, 2))
    counts = complexity(layer)
    assert counts.parameters == layer.count_params()
    # Per layer, 3x3 kernels: X->7F, H->3F, C->3F, C'->4F, M->4F, M'->F; 1x1 [C', M']->F. GHU: 2 x (F->2F).
    per_layer = lambda cin: 9 * (cin * 28 + 4 * 12 + 4 * 12 + 4 * 16 + 4 * 16 + 4 * 4) + 8 * 4  # noqa: E731
    conv = per_layer(2) + per_layer(4) + 2 * 9 * 4 * 8
    assert counts.mult_adds == conv * 25
    # Biases: 7F gates per layer and 2F for the GHU; norm shifts 22F per layer and 4F for the GHU.
    assert counts.parameters - counts.parameters_without_biases == 2 * (7 * 4 + 22 * 4) + 2 * 4 + 4 * 4
