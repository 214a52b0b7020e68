"""VideoPredictor: patching, backbones, scheduled sampling, streaming, long rollouts, saving.

Tiny shapes throughout: 16x16 frames, 4x4 patches (a 4x4x16 grid), 2 layers of 16
filters (16 = p*p*C, so both layers share weight shapes: on JAX every new shape
costs a compilation), 2 context + 2 future frames.
"""

import numpy as np
import pytest

import keras

import keras_stlstm  # noqa: F401  (registers the classes for loading)
from keras_stlstm.models.video_prediction import FramePredictionCell, VideoPredictor, patch_frames, unpatch_frames
from keras_stlstm.training import l1_l2_loss

# Detached NumPy copies on every backend (np.asarray fails on torch tensors that require grad).
to_numpy = keras.ops.convert_to_numpy

BACKBONES = ("convlstm", "predrnn", "predrnn_pp", "e3d")
# XLA compilation of the unrolled loop costs TensorFlow on CPU more than it saves
# here; JAX always compiles.
JIT = "auto" if keras.backend.backend() == "jax" else False


def tiny(backbone, **overrides):
    args = dict(
        context_frames=2,
        future_frames=2,
        image_size=16,
        channels=1,
        patch_size=4,
        filters=[16, 16],
        kernel_size=(2, 3, 3) if backbone == "e3d" else 3,
        sampling_seed=3,
    )
    args.update(overrides)
    return VideoPredictor(backbone, **args)


def moving_squares(batch=2, frames=4, size=16):
    """A bright 4x4 square moving diagonally, a different path per sample."""
    x = np.zeros((batch, frames, size, size, 1), "float32")
    for i in range(batch):
        for t in range(frames):
            r, c = 2 + 2 * t + i, 5 + 3 * t - 2 * i
            x[i, t, r : r + 4, c : c + 4] = 1.0
    return x


def manual_rollout(model, frames, feed_truth):
    """Steps the streaming model; after the context feeds the truth or its own prediction."""
    step = model.streaming_model()
    states = model.streaming_initial_state(frames.shape[0])
    outputs, previous = [], None
    for t in range(frames.shape[1] - 1):
        x = frames[:, t] if t < model.context_frames or feed_truth else previous
        result = step([x] + states, training=False)
        previous = to_numpy(result[0])
        states = [to_numpy(s) for s in result[1:]]
        outputs.append(previous)
    return np.stack(outputs, axis=1)


# Each backbone, plus ConvLSTM with the decoder on every layer's hidden state (Shi et al. 2015).
TRAINED = [(b, {}) for b in BACKBONES] + [("convlstm", {"decoder_input": "all_layers"})]


@pytest.fixture(scope="module", params=TRAINED, ids=lambda p: "-".join([p[0]] + list(p[1].values())))
def trained(request):
    """(backbone, model, frames, losses): each backbone overfitted on one tiny batch."""
    backbone, overrides = request.param
    keras.utils.set_random_seed(0)
    model = tiny(backbone, **overrides)
    frames = moving_squares()
    model.compile(keras.optimizers.Adam(1e-2), l1_l2_loss, jit_compile=JIT)
    history = model.fit(frames, frames[:, 1:], epochs=30, batch_size=2, verbose=0)
    return backbone, model, frames, history.history["loss"]


@pytest.mark.backends
def test_patching_matches_the_official_reshape():
    x = np.random.default_rng(0).random((2, 3, 8, 12, 3)).astype("float32")
    # google/e3d_lstm src/utils/preprocess.py reshape_patch, in NumPy.
    official = x.reshape(2, 3, 2, 4, 3, 4, 3).transpose(0, 1, 2, 4, 3, 5, 6).reshape(2, 3, 2, 3, 48)
    patched = keras.ops.convert_to_numpy(patch_frames(x, 4))
    np.testing.assert_array_equal(patched, official)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(unpatch_frames(patched, 4)), x)
    with pytest.raises(ValueError, match="patch_size"):
        patch_frames(np.zeros((1, 10, 10, 1), "float32"), 4)


@pytest.mark.backends
def test_each_backbone_overfits_a_tiny_batch(trained):
    backbone, model, frames, losses = trained
    assert losses[-1] < 0.35 * losses[0], (backbone, losses[0], losses[-1])
    predictions = keras.ops.convert_to_numpy(model(frames, training=False))
    assert predictions.shape == (2, 3, 16, 16, 1)
    assert predictions.min() >= 0.0 and predictions.max() <= 1.0


@pytest.mark.backends
@pytest.mark.parametrize("backbone", BACKBONES)
def test_scheduled_sampling_feeds_truth_at_eta_1_and_predictions_at_eta_0(backbone):
    model = tiny(backbone)
    frames = np.random.default_rng(1).random((2, 4, 16, 16, 1)).astype("float32")
    teacher = manual_rollout(model, frames, feed_truth=True)
    closed_loop = manual_rollout(model, frames, feed_truth=False)
    assert np.abs(teacher - closed_loop).max() > 1e-3  # the two regimes differ
    try:
        model.sampling_probability.assign(1.0)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(model(frames, training=True)), teacher, atol=2e-5)
        model.sampling_probability.assign(0.0)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(model(frames, training=True)), closed_loop, atol=2e-5)
        # Inference never reads the future frames, whatever η is.
        model.sampling_probability.assign(1.0)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(model(frames, training=False)), closed_loop, atol=2e-5)
    finally:
        model.sampling_probability.assign(0.0)


@pytest.mark.backends
def test_sampling_masks_are_drawn_per_sample_and_frame_with_probability_eta():
    model = tiny("convlstm", future_frames=4)
    rollout = model.rollout
    rollout.sampling_probability.assign(0.3)
    masks = keras.ops.convert_to_numpy(rollout.sampling_masks(4000, "float32", training=True))
    assert masks.shape == (4000, 3)
    assert set(np.unique(masks)) == {0.0, 1.0}
    assert abs(masks.mean() - 0.3) < 0.03
    assert abs(masks[:, 0].mean() - masks[:, 2].mean()) < 0.05  # every frame drawn alike
    assert rollout.sampling_masks(4000, "float32", training=False) is None


@pytest.mark.backends
def test_streaming_model_reproduces_the_whole_model(trained):
    backbone, model, frames, _ = trained
    whole = keras.ops.convert_to_numpy(model(frames, training=False))
    np.testing.assert_allclose(manual_rollout(model, frames, feed_truth=False), whole, atol=2e-5)
    step = model.streaming_model()
    assert step is model.streaming_model()  # cached
    assert [t.name for t in step.inputs][0] == "frames"
    assert step.output_names[0] == "output" and step.output_names[1] == "new_state_0"
    assert model.streaming_frames_per_step == 1
    states = model.streaming_initial_state(3)
    assert all(s.dtype == np.float32 and s.shape[0] == 3 and not s.any() for s in states)
    assert len(states) == len(step.inputs) - 1
    # The streaming model shares the weights: no variables of its own.
    model_ids = {id(v) for v in model.weights}
    assert all(id(v) in model_ids for v in step.weights)


@pytest.mark.backends
def test_saved_and_reloaded_model_gives_the_same_outputs(trained, tmp_path):
    backbone, model, frames, _ = trained
    folder = tmp_path / "folder"
    keras.saving.save_model(model, folder, zipped=False)
    model.save(tmp_path / "model.keras")
    for path in (folder, tmp_path / "model.keras"):
        loaded = keras.saving.load_model(path, safe_mode=True)
        assert isinstance(loaded, VideoPredictor) and loaded.get_config() == model.get_config()
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(loaded(frames, training=False)),
            keras.ops.convert_to_numpy(model(frames, training=False)),
            atol=1e-6,
        )
    # η and the sampling seed state are saved too: the same random draws follow.
    model.sampling_probability.assign(0.5)
    keras.saving.save_model(model, tmp_path / "eta", zipped=False)
    loaded = keras.saving.load_model(tmp_path / "eta", safe_mode=True)
    assert float(keras.ops.convert_to_numpy(loaded.sampling_probability)) == 0.5
    mine = keras.ops.convert_to_numpy(model.rollout.sampling_masks(64, "float32", training=True))
    theirs = keras.ops.convert_to_numpy(loaded.rollout.sampling_masks(64, "float32", training=True))
    np.testing.assert_array_equal(mine, theirs)
    model.sampling_probability.assign(0.0)


@pytest.mark.backends
def test_predict_frames_rolls_out_beyond_the_trained_horizon():
    keras.utils.set_random_seed(1)
    model = tiny("convlstm", context_frames=10, future_frames=10)
    frames = moving_squares(frames=20)
    whole = keras.ops.convert_to_numpy(model(frames, training=False))
    rollout = model.predict_frames(frames[:, :10], horizon=40)
    assert rollout.shape == (2, 40, 16, 16, 1)
    np.testing.assert_allclose(rollout[:, :10], whole[:, 9:], atol=2e-5)
    assert np.isfinite(rollout).all() and rollout.min() >= 0 and rollout.max() <= 1
    # A shorter context is a warm-up with fewer frames; a longer one is refused.
    assert model.predict_frames(frames[:, 5:10], horizon=2).shape == (2, 2, 16, 16, 1)
    with pytest.raises(ValueError, match="context_frames=10"):
        model.predict_frames(frames[:, :12], horizon=2)


def test_e3d_rollout_past_its_memory_window():
    # recall_window=None keeps the T - 1 = 5 memories of a training sequence; a
    # longer rollout attends to the most recent 5 (a sliding window).
    model = tiny("e3d", context_frames=3, future_frames=3)
    frames = np.random.default_rng(0).random((1, 6, 16, 16, 1)).astype("float32")
    whole = keras.ops.convert_to_numpy(model(frames, training=False))
    rollout = model.predict_frames(frames[:, :3], horizon=12)
    np.testing.assert_allclose(rollout[:, :3], whole[:, 2:], atol=2e-5)
    assert np.isfinite(rollout).all()


def test_convlstm_stack_with_different_layer_widths():
    model = tiny("convlstm", filters=[8, 12])
    out = keras.ops.convert_to_numpy(model(moving_squares(), training=False))
    assert out.shape == (2, 3, 16, 16, 1)
    assert [s[-1] for s in model.prediction_cell.state_shapes()] == [8, 8, 12, 12]


def test_backbone_defaults_follow_the_papers():
    # Resolved by the (unbuilt) step cell; building full-size stacks is slow.
    e3d = FramePredictionCell("e3d")
    assert e3d.filters == (64,) * 4 and e3d.kernel_size == (2, 5, 5) and e3d.depth == 2 and e3d.layer_norm
    predrnn = FramePredictionCell("predrnn")
    assert predrnn.filters == (128,) * 4 and predrnn.kernel_size == 5 and not predrnn.layer_norm
    predrnn_pp = FramePredictionCell("predrnn_pp")
    assert predrnn_pp.filters == (64,) * 4 and predrnn_pp.kernel_size == 5 and predrnn_pp.layer_norm
    convlstm = FramePredictionCell("convlstm")
    assert convlstm.filters == (128,) * 4 and convlstm.kernel_size == 5
    assert VideoPredictor.__init__.__defaults__[:5] == ("e3d", 10, 10, 64, 1)
    # Patched Moving MNIST: 64x64x1 with p = 4 -> a 16x16x16 grid.
    model = VideoPredictor("predrnn", context_frames=1, future_frames=1, filters=[4], kernel_size=3)
    assert model.prediction_cell.stack.spatial_dims == (16, 16)
    assert model.prediction_cell.stack.input_channels == 16
    assert model.output_shape == (None, 1, 64, 64, 1)


def test_config_round_trip():
    model = tiny("e3d", recall_window=3, output_activation="clip", layer_norm=False)
    clone = VideoPredictor.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert model.get_config()["recall_initial_memory"] is False  # the paper's history by default
    official = VideoPredictor.from_config({**model.get_config(), "recall_initial_memory": True})
    assert official.prediction_cell.stack.recall_initial_memory
    assert clone.count_params() == model.count_params()
    assert model.get_config()["decoder_input"] == "top"


def test_convlstm_decoder_on_all_layers():
    top = tiny("convlstm", filters=[8, 12])
    both = tiny("convlstm", filters=[8, 12], decoder_input="all_layers")
    # The 1x1 decoder reads 8 + 12 channels instead of 12: 8 x 16 more kernel weights.
    assert both.prediction_cell.decoder.kernel.shape == (1, 1, 20, 16)
    assert both.count_params() - top.count_params() == 8 * 16
    clone = VideoPredictor.from_config(both.get_config())
    assert clone.get_config() == both.get_config() and clone.decoder_input == "all_layers"
    out = keras.ops.convert_to_numpy(both(moving_squares(), training=False))
    assert out.shape == (2, 3, 16, 16, 1) and np.isfinite(out).all()


def test_clear_errors():
    with pytest.raises(ValueError, match="backbone"):
        VideoPredictor("e4d")
    with pytest.raises(ValueError, match="recall_window"):
        tiny("predrnn", recall_window=5)
    with pytest.raises(ValueError, match="recall_initial_memory"):
        tiny("convlstm", recall_initial_memory=True)
    with pytest.raises(ValueError, match="patch_size"):
        tiny("convlstm", image_size=18)
    with pytest.raises(ValueError, match="output_activation"):
        tiny("convlstm", output_activation="relu")
    with pytest.raises(ValueError, match="layer_norm"):
        tiny("convlstm", layer_norm=True)
    with pytest.raises(ValueError, match=r"decoder_input.*'top', 'all_layers'"):
        tiny("convlstm", decoder_input="concat")
    with pytest.raises(ValueError, match="only applies to backbone='convlstm'"):
        tiny("predrnn", decoder_input="all_layers")
    model = tiny("convlstm")
    with pytest.raises(ValueError, match=r"4, 16, 16, 1\)"):
        model(np.zeros((1, 4, 32, 32, 1), "float32"))
    with pytest.raises(ValueError, match=r"4, 16, 16, 1\)"):
        model(np.zeros((1, 4, 16, 16, 3), "float32"))
    with pytest.raises(ValueError, match=r"expects frames of shape \(batch, 4, 16, 16, 1\)"):
        model.rollout(np.zeros((1, 5, 16, 16, 1), "float32"))
    with pytest.raises(ValueError, match="context"):
        model.predict_frames(np.zeros((1, 2, 16, 16, 3), "float32"))
    with pytest.raises(ValueError, match="horizon"):
        model.predict_frames(np.zeros((1, 2, 16, 16, 1), "float32"), horizon=0)
