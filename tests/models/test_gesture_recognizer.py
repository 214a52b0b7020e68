"""GestureRecognizer: official parameter counts, every cell, causal streaming, fit, save/load, errors."""

import numpy as np
import pytest

import keras

from keras_stlstm.layers import get_conv_lstm_class
from keras_stlstm.models import GestureRecognizer
from keras_stlstm.models.building_blocks import CausalConv3D
from keras_stlstm.models.streaming import run_streaming
from keras_stlstm.training import gesture_optimizer

CELLS = ("convlstm", "a", "b", "c", "d")

# Parameter counts of the "paper" configuration with 27 classes (Keras'
# count_params, batch norm moving statistics included).
PAPER_TOTALS = {
    "convlstm": 20_681_563,
    "a": 12_302_171,
    "b": 12_440_411,
    "c": 12_374_619,
    "d": 12_374_619,
}
# The gesture paper's Table 1 (ConvLSTM component at 28x28x256 -> 256, 3x3), with
# biases (cells.md: official-code counts).
TABLE_1 = {"convlstm": 4_719_616, "a": 529_920, "b": 668_160, "c": 602_368, "d": 602_368}


def official_count(recurrent_1, recurrent_2, num_classes):
    """The official network's size (networks/res3d_*_mobilenet.py), counted by hand."""
    bn = lambda c: 4 * c  # gamma, beta, moving mean, moving variance
    conv = lambda k, cin, cout: k * cin * cout  # no bias
    res3d = conv(3 * 7 * 7, 3, 64) + bn(64)
    for cin, cout, project in ((64, 64, True), (64, 64, False), (64, 128, True),
                               (128, 128, False), (128, 256, True), (256, 256, False)):
        res3d += conv(27, cin, cout) + conv(27, cout, cout) + 2 * bn(cout)
        if project:
            res3d += conv(1, cin, cout) + bn(cout)
    top, cin = 0, 256
    for cout in (256, 256, 512, 512, 512, 512, 512, 1024, 1024):
        top += 9 * cin + cin * cout + cout + bn(cout)  # separable conv with bias
        cin = cout
    return res3d + recurrent_1 + recurrent_2 + top + 1024 * num_classes + num_classes


def run(model, clip):
    """Inference on one batch, compiled once (much cheaper than eager ops on JAX)."""
    return model.predict_on_batch(clip)


def spread_weights(model, seed=0):
    """Random batch-norm statistics and a larger head, so outputs are far from uniform."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        name = variable.path.split("/")[-1]
        if name == "moving_variance":
            variable.assign(rng.uniform(0.05, 0.2, variable.shape).astype("float32"))
        elif name in ("beta", "moving_mean"):
            variable.assign(rng.normal(0.0, 0.1, variable.shape).astype("float32"))
    kernel = model.get_layer("Classes").kernel
    kernel.assign(kernel * 6.0)


def test_table_1_formulas():
    k, cin, f = 3, 256, 256
    assert TABLE_1["convlstm"] == k * k * (cin + f) * f * 4 + 4 * f
    assert TABLE_1["a"] == (k * k + 4 * f) * (cin + f) + 4 * f


@pytest.mark.parametrize("cell", CELLS)
def test_paper_parameter_counts(cell):
    # Build only (symbolic shapes): nothing runs at 112x112.
    model = GestureRecognizer(cell, config="paper")
    first, second = model.recurrent_layers
    assert first.count_params() == TABLE_1[cell]
    assert second.count_params() == TABLE_1["convlstm" if cell == "convlstm" else "a"]
    # b, c, d: attention cell first, then variant (a), as in the official code.
    expected_second = "convlstm" if cell == "convlstm" else "a"
    assert type(second) is get_conv_lstm_class(expected_second)
    assert type(first) is get_conv_lstm_class(cell)
    assert model.count_params() == PAPER_TOTALS[cell]
    assert model.count_params() == official_count(first.count_params(), second.count_params(), 27)
    assert model.output_shape == (None, 27)
    assert model.mobilenet_top.output_shape == (None, 4, 4, 1024)


@pytest.mark.parametrize("cell, official", [("a", 12_529_721), ("convlstm", 20_909_113)])
def test_paper_counts_with_isogd_classes_match_official(cell, official):
    # The official ~12.5M / ~20.9M are for IsoGD's 249 classes.
    model = GestureRecognizer(cell, num_classes=249, config="paper")
    assert model.count_params() == official
    assert model.count_params() - PAPER_TOTALS[cell] == 222 * 1025


def test_configs_and_overrides():
    small = GestureRecognizer("a", config="small")
    assert small.spec["causal"] and small.clip_shape == (16, 64, 64, 3)
    assert small.recurrent_layers[0].cell.filters == 64
    paper = GestureRecognizer("a", config="paper", frames=32, num_classes=249, causal=True)
    assert paper.clip_shape == (32, 112, 112, 3) and paper.spec["causal"]
    assert not GestureRecognizer("a", config="tiny", causal=False).spec["causal"]


@pytest.mark.backends
@pytest.mark.parametrize("cell", CELLS)
def test_every_cell_streams_like_the_whole_clip(cell):
    keras.utils.set_random_seed(0)
    model = GestureRecognizer(cell, num_classes=5, config="tiny")
    spread_weights(model)
    rng = np.random.default_rng(1)
    # Batch 1, the online case (it once tripped a TensorFlow graph-optimizer bug).
    clip = rng.random((1, 4, 16, 16, 3)).astype("float32")
    whole = run(model, clip)
    np.testing.assert_allclose(whole.sum(-1), 1.0, atol=1e-5)
    assert whole.max() - whole.min() > 0.2  # far from uniform

    outputs, states = run_streaming(model, clip)
    assert len(outputs) == 2 and model.streaming_frames_per_step == 2
    np.testing.assert_allclose(outputs[-1], whole, atol=1e-5)
    # The second recurrent layer's hidden state after the last step is the whole
    # model's last time step (states: ..., h1, c1, h2, c2, pooled sum, count).
    hidden = keras.Model(model.inputs, model.get_layer("recurrent_2").output)
    last_hidden = run(hidden, clip)[:, -1]
    assert np.abs(last_hidden).max() > 0.05
    np.testing.assert_allclose(states[-4], last_hidden, atol=1e-5)
    np.testing.assert_allclose(states[-1], 2.0)
    # After the first step the output is the 2-frame model's (same weights): the
    # steps never look ahead.
    short = GestureRecognizer(cell, num_classes=5, config="tiny", frames=2)
    short.set_weights(model.get_weights())
    np.testing.assert_allclose(outputs[0], run(short, clip[:, :2]), atol=1e-5)


@pytest.mark.backends
def test_streaming_interface():
    model = GestureRecognizer("a", num_classes=3, config="tiny")
    step = model.streaming_model()
    states = model.streaming_initial_state(batch_size=2)
    names = [t.name for t in step.inputs]
    assert names == ["frames"] + [f"state_{i}" for i in range(len(states))]
    assert step.output_names == ["output"] + [f"new_state_{i}" for i in range(len(states))]
    assert tuple(step.inputs[0].shape) == (None, 2, 16, 16, 3)
    for array, tensor in zip(states, step.inputs[1:]):
        assert array.dtype == np.float32 and not array.any()
        assert array.shape == (2,) + tuple(tensor.shape[1:])
    # Causal convolutions at the frame rate keep 2 past frames (3x3x3 kernels),
    # block 3's strided convolution 1; then 2 x (h, c), then the pooling sum and count.
    buffers = [s.shape[1] for s in states[:-6]]
    assert buffers[0] == 2 and 1 in buffers
    assert states[-2].shape == (2, 8) and states[-1].shape == (2, 1)
    # Weights are shared, not copied.
    assert {id(v) for v in step.weights} <= {id(v) for v in model.weights}
    # Batch norm stays in inference mode even when the step is called with training=True.
    spread_weights(model)
    frames = np.random.default_rng(3).random((2, 2, 16, 16, 3)).astype("float32")
    inference = step([frames, *states], training=False)
    training = step([frames, *states], training=True)
    for a, b in zip(inference, training):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


def test_causal_conv3d_never_looks_ahead():
    rng = np.random.default_rng(0)
    for strides in ((1, 1, 1), (2, 2, 2)):
        conv = CausalConv3D(3, (3, 3, 3), strides=strides)
        clip = rng.random((1, 8, 6, 6, 2)).astype("float32")
        out = keras.ops.convert_to_numpy(conv(clip))
        assert out.shape == (1, 8 // strides[0], 6 // strides[1], 6 // strides[1], 3)
        changed = clip.copy()
        changed[:, 6:] = 5.0  # frames 6, 7
        out2 = keras.ops.convert_to_numpy(conv(changed))
        last_unchanged = 6 // strides[0] - 1  # output steps that end before frame 6
        np.testing.assert_allclose(out2[:, : last_unchanged + 1], out[:, : last_unchanged + 1], atol=1e-6)
        assert np.abs(out2[:, -1] - out[:, -1]).max() > 1e-3


def test_causal_conv3d_is_same_padding_in_space():
    # With a temporal kernel of 1 the causal layer is exactly Conv3D(padding="same").
    rng = np.random.default_rng(0)
    clip = rng.random((2, 3, 7, 8, 2)).astype("float32")
    causal = CausalConv3D(4, (1, 3, 5), strides=(1, 2, 2))
    reference = keras.layers.Conv3D(4, (1, 3, 5), strides=(1, 2, 2), padding="same")
    causal.build(clip.shape)
    reference.build(clip.shape)
    reference.set_weights(causal.get_weights())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(causal(clip)), keras.ops.convert_to_numpy(reference(clip)), atol=1e-5
    )


@pytest.mark.backends
def test_overfits_a_tiny_batch():
    keras.utils.set_random_seed(0)
    model = GestureRecognizer("a", num_classes=4, config="tiny")
    rng = np.random.default_rng(0)
    clips = rng.random((4, 4, 16, 16, 3)).astype("float32")
    labels = np.arange(4)
    # The gesture recipe's optimizer (SGD, momentum, polynomial decay, weight
    # decay) with a learning rate for a 30-step run.
    optimizer = gesture_optimizer(30, initial_lr=0.2, end_lr=1e-3)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    history = model.fit(clips, labels, epochs=30, batch_size=4, verbose=0)
    losses = history.history["loss"]
    assert losses[0] > 1.0
    assert losses[-1] < 0.25 * losses[0]


@pytest.mark.backends
def test_save_and_reload(tmp_path):
    model = GestureRecognizer("c", num_classes=3, config="tiny")
    spread_weights(model)
    clip = np.random.default_rng(2).random((2, 4, 16, 16, 3)).astype("float32")
    path = str(tmp_path / "gesture.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is GestureRecognizer
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(run(loaded, clip), run(model, clip))


def test_config_round_trip_is_explicit():
    model = GestureRecognizer("b", num_classes=7, config="tiny", image_size=(16, 24))
    config = model.get_config()
    assert config["config"] is None and config["image_size"] == [16, 24] and config["causal"] is True
    clone = GestureRecognizer.from_config(config)
    assert clone.count_params() == model.count_params()
    assert clone.clip_shape == (4, 16, 24, 3)


def test_bad_inputs():
    with pytest.raises(ValueError, match="convlstm"):
        GestureRecognizer("e", config="tiny")
    with pytest.raises(ValueError, match="cell"):
        GestureRecognizer(3, config="tiny")
    with pytest.raises(ValueError, match="tiny"):
        GestureRecognizer("a", config="huge")
    with pytest.raises(ValueError, match="frames"):
        GestureRecognizer("a", config="tiny", frames=5)
    with pytest.raises(ValueError, match="image_size"):
        GestureRecognizer("a", config="tiny", image_size=(16, 0))
    with pytest.raises(ValueError, match="num_classes"):
        GestureRecognizer("a", config="tiny", num_classes=0)
    with pytest.raises(ValueError, match="top_filters"):
        GestureRecognizer("a", config="tiny", top_filters=(8,), top_strides=(1, 2))
    with pytest.raises(ValueError, match="res3d_filters"):
        GestureRecognizer("a", config="tiny", res3d_filters=(4, 8))
    model = GestureRecognizer("a", config="tiny")
    for shape in ((1, 4, 16, 16, 1), (1, 4, 20, 16, 3), (1, 6, 16, 16, 3), (4, 16, 16, 3)):
        # Keras' own input check or the model's, both name the expected shape.
        with pytest.raises(ValueError, match=r"4, 16, 16, 3\)"):
            model(np.zeros(shape, "float32"))
    with pytest.raises(ValueError, match="causal"):
        GestureRecognizer("a", config="tiny", causal=False).streaming_model()
