"""EarlyActivityRecognizer: outputs, early clips, streaming, auxiliary-loss training, save/load, errors."""

import zlib

import numpy as np
import pytest

import keras

from keras_stlstm.models import EarlyActivityRecognizer, early_activity_targets, early_fraction_clip
from keras_stlstm.models.building_blocks import MaxPooling3D2
from keras_stlstm.models.streaming import zero_states
from keras_stlstm.training import AuxiliaryLossSchedule, early_activity_losses


def run(model, clip):
    """Inference on one batch, compiled once (much cheaper than eager ops on JAX)."""
    return model.predict_on_batch(clip)


def same_weights_on_every_backend(model, seed):
    """Redraws every kernel from NumPy, seeded by its path: orthogonal for the
    recurrent kernels (as their initializer), else Glorot uniform.

    Keras' initializers draw from backend-specific random streams, so the same
    seed gives TensorFlow, JAX and torch different starting weights (from
    identical weights, a forward pass agrees to 1e-7 across them). Tests whose
    assertions depend on the starting point (how far from uniform the labels
    are, how quickly a tiny batch is fitted) start from these instead. Biases
    and layer-norm gains (constant initializers) stay as they are.
    """
    for v in model.trainable_weights:
        if len(v.shape) < 2:
            continue
        rng = np.random.default_rng([seed, zlib.crc32(v.path.encode())])
        if v.path.endswith(("kernel_h", "kernel_m")):
            rows = int(np.prod(v.shape[:-1]))
            q, _ = np.linalg.qr(rng.normal(size=(max(rows, v.shape[-1]), min(rows, v.shape[-1]))))
            values = (q if rows >= v.shape[-1] else q.T).reshape(v.shape)
        else:
            receptive = int(np.prod(v.shape[:-2]))
            limit = np.sqrt(6.0 / (receptive * (v.shape[-2] + v.shape[-1])))
            values = rng.uniform(-limit, limit, v.shape)
        v.assign(values.astype("float32"))


def random_clips(batch, frames, seed=0, size=16):
    return np.random.default_rng(seed).random((batch, frames, size, size, 3)).astype("float32")


def test_paper_parameter_count():
    # Build only. E3D stack: per layer conv_x 2·5·5·Cin·448, conv_h 2·5·5·64·256,
    # conv_m 2·5·5·64·192, conv_o 2·5·5·128·64, conv_last 128·64, bias 448, layer
    # norms 2·(64 + 448 + 256 + 192).
    model = EarlyActivityRecognizer(config="paper")
    per_layer = 50 * 64 * 448 + 50 * 64 * 256 + 50 * 64 * 192 + 50 * 128 * 64 + 128 * 64 + 448
    per_layer += 2 * (64 + 448 + 256 + 192)
    assert model.get_layer("e3d_lstm").count_params() == 4 * per_layer == 13_149_440
    assert model.get_layer("encoder_1").count_params() == 50 * 3 * 64 + 64
    assert model.get_layer("encoder_2").count_params() == 50 * 64 * 64 + 64
    # Classifier on 16 steps × D = 2 slices of 28×28×64: two stride-2 convs and a
    # 2×2×2 pooling leave 4×4×4×128 = 8192 features for the dense 512.
    assert model.get_layer("classifier_dense").count_params() == 8192 * 512 + 512
    assert model.get_layer("classifier_logits").count_params() == 512 * 41 + 41
    assert model.count_params() == 18_233_498
    assert {key: tuple(t.shape) for key, t in model.output.items()} == {
        "label": (None, 41),
        "frames": (None, 31, 112, 112, 3),
    }
    assert sorted(model.output_names) == ["label", "next_frames"]


@pytest.mark.backends
@pytest.mark.parametrize("recall_window", [None, 3])
def test_streaming_equals_whole_clip(recall_window):
    model = EarlyActivityRecognizer(num_classes=3, config="tiny", recall_window=recall_window)
    same_weights_on_every_backend(model, seed=0)
    kernel = model.get_layer("classifier_logits").kernel
    kernel.assign(kernel * 8.0)  # outputs far from uniform
    clip = random_clips(2, 8, seed=1)
    whole = run(model, clip)
    assert whole["label"].max() - whole["label"].min() > 0.1
    np.testing.assert_allclose(whole["label"].sum(-1), 1.0, atol=1e-5)

    step = model.streaming_model(include_frames=True)
    assert [t.name for t in step.inputs][:2] == ["frames", "state_0"]
    assert step.output_names[:3] == ["output", "next_frame", "new_state_0"]
    states = zero_states(step, batch_size=2)
    next_frames = []
    for t in range(8):
        results = step.predict_on_batch([clip[:, t : t + 1], *states])
        label, next_frame, states = results[0], results[1], results[2:]
        next_frames.append(next_frame)
    np.testing.assert_allclose(label, whole["label"], atol=1e-5)
    np.testing.assert_allclose(np.stack(next_frames[:-1], axis=1), whole["frames"], atol=1e-5)
    assert model.streaming_frames_per_step == 1
    assert len(model.streaming_initial_state()) == len(step.inputs) - 1


@pytest.mark.backends
def test_accepts_25_and_50_percent_clips():
    clip = random_clips(2, 32, seed=3)
    quarter = early_fraction_clip(clip, 0.25)  # 8 frames
    half = early_fraction_clip(clip, 0.5)  # 16 frames
    np.testing.assert_array_equal(quarter, clip[:, :8])
    np.testing.assert_array_equal(half, clip[:, :16])
    model = EarlyActivityRecognizer(num_classes=4, config="tiny", frames=8)
    # The weights do not depend on the clip length: a 16-frame model shares them.
    longer = EarlyActivityRecognizer(num_classes=4, config="tiny", frames=16)
    longer.set_weights(model.get_weights())
    out_quarter, out_half = run(model, quarter), run(longer, half)
    assert out_quarter["label"].shape == out_half["label"].shape == (2, 4)
    assert out_half["frames"].shape == (2, 15, 16, 16, 3)
    # Causal: the first 8 frames' next-frame predictions do not depend on what follows.
    np.testing.assert_allclose(out_half["frames"][:, :7], out_quarter["frames"], atol=1e-5)
    # Resampled to the model's length instead.
    resampled = early_fraction_clip(clip, 0.5, frames=8)
    np.testing.assert_array_equal(resampled, clip[:, 1:16:2])
    assert run(model, resampled)["label"].shape == (2, 4)


@pytest.mark.backends
def test_overfits_a_tiny_batch_with_the_auxiliary_loss():
    model = EarlyActivityRecognizer(num_classes=3, config="tiny")
    same_weights_on_every_backend(model, seed=0)
    clips = random_clips(3, 8, seed=4)
    targets = early_activity_targets(clips, [0, 1, 2])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=early_activity_losses(model))
    history = model.fit(
        clips, targets, epochs=20, batch_size=3, verbose=0,
        callbacks=[AuxiliaryLossSchedule(start=10.0, rate=0.5, floor=0.1)],
    ).history
    assert history["label_loss"][-1] < 0.5 * history["label_loss"][0]
    assert history["loss"][-1] < 0.2 * history["loss"][0]
    assert history["auxiliary_loss_weight"][-1] == pytest.approx(0.5)  # 10 - 0.5 · 19


@pytest.mark.backends
def test_save_and_reload(tmp_path):
    model = EarlyActivityRecognizer(num_classes=3, config="tiny", recall_window=2)
    model.auxiliary_loss_weight.assign(2.5)
    clip = random_clips(1, 8, seed=5)
    path = str(tmp_path / "early.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is EarlyActivityRecognizer
    assert loaded.get_config() == model.get_config()
    before, after = run(model, clip), run(loaded, clip)
    for key in ("label", "frames"):
        np.testing.assert_array_equal(before[key], after[key])
    # λ is part of the training state and comes back with the weights.
    assert float(keras.ops.convert_to_numpy(loaded.auxiliary_loss_weight)) == 2.5


def test_early_fraction_clip_and_targets():
    clip = np.arange(40).reshape(40, 1, 1, 1)
    assert early_fraction_clip(clip, 0.25).shape == (10, 1, 1, 1)
    assert early_fraction_clip(clip, 0.01).shape == (1, 1, 1, 1)  # at least one frame
    assert early_fraction_clip(clip, 0.5, frames=5)[:, 0, 0, 0].tolist() == [2, 6, 10, 14, 18]
    for bad in (0, 1.5, -0.25, "half", True):
        with pytest.raises(ValueError, match="fraction"):
            early_fraction_clip(clip, bad)
    with pytest.raises(ValueError, match="clip"):
        early_fraction_clip(np.zeros((4, 4)), 0.5)
    targets = early_activity_targets(np.arange(2 * 5).reshape(2, 5, 1, 1, 1), [1, 0])
    assert targets["frames"][:, :, 0, 0, 0].tolist() == [[1, 2, 3, 4], [6, 7, 8, 9]]
    with pytest.raises(ValueError, match="labels"):
        early_activity_targets(np.zeros((2, 5, 1, 1, 1)), [1, 0, 1])


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="classifier_steps"):
        EarlyActivityRecognizer(config="tiny", frames=3)
    with pytest.raises(ValueError, match="image_size"):
        EarlyActivityRecognizer(config="tiny", image_size=18)
    with pytest.raises(ValueError, match="encoder_strides"):
        EarlyActivityRecognizer(config="tiny", encoder_strides=(2, 2, 2))
    with pytest.raises(ValueError, match="tiny"):
        EarlyActivityRecognizer(config="large")
    with pytest.raises(ValueError, match="recall_window"):
        EarlyActivityRecognizer(config="tiny", recall_window=0)
    model = EarlyActivityRecognizer(num_classes=3, config="tiny")
    for shape in ((1, 8, 16, 16, 1), (1, 6, 16, 16, 3), (1, 8, 32, 32, 3)):
        with pytest.raises(ValueError, match=r"8, 16, 16, 3\)"):
            model(np.zeros(shape, "float32"))


@pytest.mark.backends
def test_tflite_friendly_pooling_equals_max_pooling_3d():
    rng = np.random.default_rng(6)
    for shape in ((2, 6, 4, 4, 3), (1, 5, 3, 5, 2)):
        x = rng.normal(size=shape).astype("float32")
        expected = keras.layers.MaxPooling3D(2, padding="same")(x)
        got = MaxPooling3D2()(x)
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(got), keras.ops.convert_to_numpy(expected))
