"""Per-frame metrics: known values, SSIM against scikit-image, Keras metrics against NumPy."""

import cv2
import keras
import numpy as np
import pytest
from skimage.metrics import structural_similarity

from keras_stlstm.metrics import (
    FrameMAE,
    FrameMSE,
    FramePSNR,
    FrameSSIM,
    frame_mae,
    frame_mse,
    frame_psnr,
    frame_ssim,
    per_frame_curves,
)


def blob_frames(seed, t=4, size=32, channels=1):
    """Moving-digit-like frames: a few bright strokes and blobs on black, moving."""
    rng = np.random.default_rng(seed)
    frames = np.zeros((t, size, size, channels), np.float32)
    shapes = [(rng.integers(0, size - 8, 2), rng.integers(-3, 4, 2), rng.integers(3, 7)) for _ in range(3)]
    for i in range(t):
        canvas = np.zeros((size, size), np.float32)
        for (x, y), (dx, dy), r in shapes:
            cx, cy = int(x + i * dx) % size, int(y + i * dy) % size
            cv2.circle(canvas, (cx, cy), int(r), 1.0, -1)
            cv2.line(canvas, (cx, cy), ((cx + 9) % size, (cy + 5) % size), 0.7, 2)
        frames[i] = cv2.GaussianBlur(canvas, (5, 5), 1.0)[..., None]
    return np.clip(frames, 0, 1)


def test_known_values_identical_and_offset_frames():
    true = np.random.default_rng(0).random((2, 3, 8, 10, 1)) * 0.5
    assert frame_mse(true, true).shape == (2, 3)
    np.testing.assert_array_equal(frame_mse(true, true), 0.0)
    np.testing.assert_array_equal(frame_mae(true, true), 0.0)
    np.testing.assert_allclose(frame_ssim(true, true), 1.0, atol=1e-12)
    assert np.all(np.isinf(frame_psnr(true, true)))
    assert np.all(frame_psnr(true, true, cap=80.0) == 80.0)
    # a constant offset of 0.1 on 80 pixels: MSE = 80 · 0.01, MAE = 80 · 0.1, PSNR = 20 dB
    np.testing.assert_allclose(frame_mse(true, true + 0.1), 0.8)
    np.testing.assert_allclose(frame_mae(true, true + 0.1), 8.0)
    np.testing.assert_allclose(frame_psnr(true, true + 0.1), 20.0)


def test_uint8_frames_are_scaled_to_unit_range():
    a = np.zeros((1, 8, 8, 1), np.uint8)
    b = np.full((1, 8, 8, 1), 255, np.uint8)
    np.testing.assert_allclose(frame_mse(a, b), [64.0])


def test_metric_argument_errors():
    with pytest.raises(ValueError, match="same shape"):
        frame_mse(np.zeros((2, 4, 4, 1)), np.zeros((2, 4, 4, 3)))
    with pytest.raises(ValueError, match="at least 7x7"):
        frame_ssim(np.zeros((2, 6, 9, 1)), np.zeros((2, 6, 9, 1)))
    with pytest.raises(ValueError, match=r"\(\.\.\., H, W, C\)"):
        frame_mae(np.zeros((4, 4)), np.zeros((4, 4)))


@pytest.mark.parametrize("shape", [(16, 16, 1), (23, 17, 1), (20, 24, 3), (64, 64, 1)])
def test_ssim_matches_skimage_on_random_frames(shape):
    rng = np.random.default_rng(sum(shape))
    a = rng.random(shape)
    b = np.clip(a + 0.15 * rng.standard_normal(shape), 0, 1)
    expected = structural_similarity(a, b, data_range=1.0, channel_axis=-1)
    np.testing.assert_allclose(frame_ssim(a, b), expected, atol=1e-10)
    unrelated = rng.random(shape)
    expected = structural_similarity(a, unrelated, data_range=1.0, channel_axis=-1)
    np.testing.assert_allclose(frame_ssim(a, unrelated), expected, atol=1e-10)


def test_ssim_matches_skimage_on_moving_blob_frames():
    true = blob_frames(1, t=5)
    pred = np.clip(np.roll(true, 1, axis=2) * 0.9 + 0.02, 0, 1)
    ours = frame_ssim(true, pred)
    expected = [structural_similarity(t, p, data_range=1.0, channel_axis=-1) for t, p in zip(true, pred)]
    np.testing.assert_allclose(ours, expected, atol=1e-10)
    assert 0.2 < min(expected) < 0.999  # a meaningful, non-trivial case


def test_per_frame_curves():
    rng = np.random.default_rng(3)
    true = rng.random((4, 3, 8, 8, 1))
    pred = true.copy()
    pred[:, 1] += 0.1  # only the second future frame is wrong
    curves = per_frame_curves(true, pred, psnr_cap=60.0)
    np.testing.assert_allclose(curves["mse"], [0.0, 0.64, 0.0], atol=1e-12)
    np.testing.assert_allclose(curves["mae"], [0.0, 6.4, 0.0], atol=1e-12)
    np.testing.assert_allclose(curves["psnr"], [60.0, 20.0, 60.0])
    assert curves["ssim"][0] == pytest.approx(1.0) and curves["ssim"][1] < 1.0
    assert curves["mse_mean"] == pytest.approx(0.64 / 3)
    assert curves["psnr_mean"] == pytest.approx(140.0 / 3)
    assert np.isinf(per_frame_curves(true, true, psnr_cap=None)["psnr_mean"])


@pytest.mark.backends
@pytest.mark.parametrize(
    "metric_cls, reference",
    [
        (FrameMSE, frame_mse),
        (FrameMAE, frame_mae),
        (FrameSSIM, frame_ssim),
        (FramePSNR, lambda t, p: frame_psnr(t, p, cap=100.0)),
    ],
)
def test_keras_metrics_match_numpy(metric_cls, reference):
    true = np.concatenate([blob_frames(s, t=3)[None] for s in range(4)]).astype("float32")
    noise = np.random.default_rng(0).normal(0, 0.1, true.shape)
    pred = np.clip(true + noise, 0, 1).astype("float32")
    pred[0, 0] = true[0, 0]  # one perfect frame: PSNR capped, not inf
    metric = metric_cls(per_frame=True, num_frames=3)
    metric.update_state(true[:3], pred[:3])
    metric.update_state(true[3:], pred[3:])
    values = reference(true, pred)
    np.testing.assert_allclose(float(metric.result()), values.mean(), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(np.asarray(metric.frame_results()), values.mean(axis=0), rtol=1e-5, atol=1e-4)
    # sample weights: only the last sequence counts
    metric.reset_state()
    metric.update_state(true, pred, sample_weight=np.array([0, 0, 0, 1], "float32"))
    np.testing.assert_allclose(float(metric.result()), values[3].mean(), rtol=1e-5, atol=1e-4)
    metric.reset_state()
    assert float(metric.result()) == 0.0


@pytest.mark.backends
def test_keras_metrics_known_values():
    true = blob_frames(7, t=2)[None]
    ssim = FrameSSIM()
    ssim.update_state(true, true)
    assert float(ssim.result()) == pytest.approx(1.0, abs=1e-5)
    psnr = FramePSNR(cap=60.0)
    psnr.update_state(true, true)
    assert float(psnr.result()) == pytest.approx(60.0, abs=1e-3)
    mse = FrameMSE()
    mse.update_state(true, true + 0.25)
    assert float(mse.result()) == pytest.approx(32 * 32 * 0.0625, rel=1e-5)


@pytest.mark.backends
def test_keras_metrics_in_compiled_model_and_serialization():
    true = np.stack([blob_frames(s, t=2, size=16) for s in range(4)]).astype("float32")
    inputs = keras.Input((2, 16, 16, 1))
    outputs = keras.layers.Rescaling(0.5)(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(loss="mse", metrics=[FrameMSE(), FrameSSIM(), FramePSNR(cap=50.0), FrameMAE()])
    results = model.evaluate(true, true, batch_size=2, verbose=0, return_dict=True)
    pred = 0.5 * true
    assert results["frame_mse"] == pytest.approx(frame_mse(true, pred).mean(), rel=1e-4)
    assert results["frame_mae"] == pytest.approx(frame_mae(true, pred).mean(), rel=1e-4)
    assert results["frame_ssim"] == pytest.approx(frame_ssim(true, pred).mean(), abs=1e-4)
    assert results["frame_psnr"] == pytest.approx(frame_psnr(true, pred, cap=50.0).mean(), rel=1e-4)
    config = keras.saving.serialize_keras_object(FramePSNR(cap=42.0, per_frame=True, num_frames=5))
    assert config["registered_name"] == "keras_stlstm>FramePSNR"
    restored = keras.saving.deserialize_keras_object(config)
    assert (restored.cap, restored.per_frame, restored.num_frames) == (42.0, True, 5)


@pytest.mark.backends
def test_keras_metrics_score_only_the_last_frames():
    """last_frames=N scores frames T-N..T-1 of (batch, T, H, W, C), as the NumPy reference on that slice."""
    true = np.stack([blob_frames(s, t=5, size=16) for s in range(3)]).astype("float32")
    pred = np.clip(true + np.random.default_rng(1).normal(0, 0.2, true.shape), 0, 1).astype("float32")
    pred[:, :3] = 0.0  # large errors in the frames that must not count
    metric = FrameMSE(last_frames=2, per_frame=True, num_frames=2, name="future_frame_mse")
    metric.update_state(true, pred)
    values = frame_mse(true[:, 3:], pred[:, 3:])
    np.testing.assert_allclose(float(metric.result()), values.mean(), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(metric.frame_results()), values.mean(axis=0), rtol=1e-5)
    everything = FrameMSE()
    everything.update_state(true, pred)
    assert float(everything.result()) > 2 * float(metric.result())
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
    assert (restored.last_frames, restored.name) == (2, "future_frame_mse")


def test_keras_metric_argument_errors():
    with pytest.raises(ValueError, match="num_frames"):
        FrameMSE(per_frame=True)
    metric = FrameMSE(per_frame=True, num_frames=4)
    with pytest.raises(ValueError, match="per_frame expects 4 frames"):
        metric.update_state(np.zeros((1, 3, 8, 8, 1)), np.zeros((1, 3, 8, 8, 1)))
    with pytest.raises(ValueError, match="created with per_frame=False"):
        FrameMSE().frame_results()
    with pytest.raises(ValueError, match="last_frames must be a positive int"):
        FrameMSE(last_frames=0)
    with pytest.raises(ValueError, match=r"last_frames=4 expects \(batch, T, H, W, C\) frames with T >= 4"):
        FrameMSE(last_frames=4).update_state(np.zeros((1, 3, 8, 8, 1)), np.zeros((1, 3, 8, 8, 1)))
