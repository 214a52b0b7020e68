"""`keras-stlstm demo` on tiny presets registered in a temporary weights/ folder."""

import re

import cv2
import keras
import numpy as np
import pytest

from keras_stlstm.cli import main
from keras_stlstm.presets import PresetInfo, add_preset, registry
from keras_stlstm.testing import register_temporary_preset

CONTEXT, FUTURE, SIZE = 4, 4, 16


def _tiny_gesture_model():
    from keras_stlstm.models import GestureRecognizer

    model = GestureRecognizer(config="tiny", num_classes=27)
    # A fresh tiny model's pooled features are ~1e-4, so every class gets 1/27:
    # a larger head spreads the probabilities and makes the top-3 and top-1 checks real.
    head = model.get_layer("Classes")
    kernel, bias = head.get_weights()
    head.set_weights([kernel * 1e4, bias])
    return model


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """Only the demo's presets are registered (whatever registry.json holds is hidden)."""
    from keras_stlstm.models import VideoPredictor

    weights = tmp_path_factory.mktemp("weights")
    keras.utils.set_random_seed(0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(registry, "_PRESETS", {})
        mp.setenv("KERAS_STLSTM_WEIGHTS", str(weights))
        video = VideoPredictor(backbone="convlstm", image_size=SIZE, patch_size=4, filters=[8],
                               kernel_size=3, context_frames=CONTEXT, future_frames=FUTURE)
        register_temporary_preset(weights, "demo_video", video, metrics={"mse": 50.0})
        gesture = _tiny_gesture_model()
        register_temporary_preset(weights, "demo_gesture", gesture)
        # Ranked first (lowest mse) but not on disk: the demo must skip it, offline.
        add_preset(PresetInfo(name="demo_video_hub_only", builder="VideoPredictor", description="",
                              hub_repo="keras-stlstm-tests/not-there", files={"config.json": "0" * 64},
                              metrics={"mse": 1.0}))
        yield {"weights": weights, "video": video, "gesture": gesture}


def _expected_clips():
    """Moving MNIST test sequences at 16x16: the shipped test digits shrunk to 7x7 (28 * 16 / 64)."""
    from keras_stlstm.datasets.mnist import load_sample_digits
    from keras_stlstm.datasets.moving_mnist import MOVING_MNIST_TEST_SEED, generate_moving_mnist

    digits = np.stack([cv2.resize(d, (7, 7), interpolation=cv2.INTER_AREA)
                       for d in load_sample_digits("test")])
    return generate_moving_mnist(digits, 4, MOVING_MNIST_TEST_SEED, num_frames=CONTEXT + FUTURE,
                                 image_size=SIZE, trajectory="reflect")


@pytest.mark.slow
def test_demo_prints_metrics_writes_files_and_streams(zoo, tmp_path, capsys):
    from keras_stlstm.metrics import per_frame_curves

    folder = tmp_path / "demo_output"
    status = main(["demo", "--out", str(folder)])
    out = capsys.readouterr().out
    assert status == 0
    assert "demo_video_hub_only" in out and "not on disk" in out

    # 1. Video: the printed MSE / SSIM are per_frame_curves' on the same sequences.
    clips = _expected_clips()
    prediction = np.asarray(zoo["video"](clips, training=False))[:, CONTEXT - 1:]
    curves = per_frame_curves(clips[:, CONTEXT:], prediction)
    mse_line = next(line for line in out.splitlines() if "MSE per frame" in line)
    assert mse_line.endswith(f"mean {curves['mse_mean']:.4f}")
    assert [float(v) for v in mse_line.split()[3:3 + FUTURE]] == [round(v, 2) for v in curves["mse"]]
    assert f"mean {curves['ssim_mean']:.4f}" in out
    for i in range(4):
        strip = cv2.imread(str(folder / f"moving_mnist_{i + 1}.png"))
        label = strip.shape[1] - (CONTEXT * (SIZE + 2) - 2)  # the row labels' column, then the frames
        assert strip.shape[0] == 3 * SIZE + 2 * 2 and label > 0
        for r in range(3):  # "context", "truth", "prediction" written in dark ink beside each row
            assert strip[r * (SIZE + 2):r * (SIZE + 2) + SIZE, :label].min() < 128
        row = strip[2 * (SIZE + 2):, label:label + SIZE, 0]  # first predicted frame
        np.testing.assert_allclose(row, np.round(prediction[i, 0, ..., 0] * 255), atol=1)
        from PIL import Image

        with Image.open(folder / f"moving_mnist_{i + 1}.gif") as gif:
            assert gif.size == (2 * SIZE + 2, SIZE) and gif.n_frames > 1

    # 2. Gestures: top-3 lines with the model's probabilities, true label beside.
    from keras_stlstm.datasets import JESTER_CLASSES, synthetic_gestures

    gesture_clips, labels = synthetic_gestures(4, 0, "test", num_frames=4, image_size=SIZE, dtype="float32")
    probs = np.asarray(zoo["gesture"](gesture_clips, training=False))
    for i, (p, label) in enumerate(zip(probs, labels), 1):
        lines = [f"  clip {i}, true: {JESTER_CLASSES[label]}"]
        lines += [f"    {r}. {JESTER_CLASSES[k]}  {p[k]:.3f}"
                  for r, k in enumerate(np.argsort(-p, kind="stable")[:3], 1)]
        assert "\n".join(lines) + "\n" in out
    assert probs.max() > 2 / 27  # the scaled head gives non-uniform probabilities

    # 3. Streaming TFLite: a valid file that agrees with Keras (TensorFlow backend only).
    if keras.backend.backend() != "tensorflow":
        assert "Streaming TFLite skipped: needs KERAS_BACKEND=tensorflow" in out
        assert f"Wrote 8 files to {folder.resolve()}" in out
        return
    from ai_edge_litert.interpreter import Interpreter

    tflite = folder / "demo_gesture_streaming.tflite"
    inputs = Interpreter(model_path=str(tflite)).get_signature_runner("serving_default").get_input_details()
    assert "frames" in inputs and "state_0" in inputs
    diff = float(re.search(r"probability difference: (\S+)", out).group(1))
    assert diff < 1e-4 and "top-1 agrees" in out
    assert re.search(r"latency per step: median \d+\.\d+ ms \(1 thread", out)

    # Where the files went; nothing temporary left behind.
    assert f"Wrote 9 files to {folder.resolve()}" in out
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_skip_export_and_counts(zoo, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KERAS_STLSTM_WEIGHTS", str(zoo["weights"]))
    status = main(["demo", "--out", str(tmp_path), "--num-sequences", "1", "--num-clips", "2",
                   "--video-preset", "demo_video", "--skip-export"])
    out = capsys.readouterr().out
    assert status == 0 and "not on disk" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["moving_mnist_1.gif", "moving_mnist_1.png"]
    assert "1 Moving MNIST test sequence," in out and "clip 2, true:" in out and "clip 3" not in out
    assert "Streaming TFLite" not in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--video-preset", "demo_video_hub_only"],
         "needs preset 'demo_video_hub_only' (VideoPredictor), which is not on this machine"),
        (["--gesture-preset", "demo_gestur"], "Did you mean 'demo_gesture'"),
        (["--gesture-preset", "hf://org/model"], "The demo runs offline"),
    ],
)
def test_missing_preset_is_a_one_line_error(zoo, monkeypatch, capsys, tmp_path, argv, message):
    monkeypatch.setenv("KERAS_STLSTM_WEIGHTS", str(zoo["weights"]))
    status = main(["demo", "--out", str(tmp_path / "out"), *argv])
    err = capsys.readouterr().err
    assert status == 1 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_every_preset_missing_names_the_best_and_how_to_get_it(zoo, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("KERAS_STLSTM_WEIGHTS", str(tmp_path / "empty"))
    status = main(["demo", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 1 and len(err.strip().splitlines()) == 1
    assert "preset 'demo_video_hub_only'" in err and "keras-stlstm info demo_video_hub_only" in err


def test_no_preset_registered_is_a_one_line_error(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(registry, "_PRESETS", {})
    status = main(["demo", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 1 and len(err.strip().splitlines()) == 1
    assert "No VideoPredictor or GestureRecognizer preset is available (none is registered)" in err
