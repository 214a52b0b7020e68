"""The keras-stlstm command line, on tiny presets in a temporary weights/ folder."""

import subprocess
import sys
from pathlib import Path

import cv2
import keras
import numpy as np
import pytest

from keras_stlstm import presets
from keras_stlstm.cli import main
from keras_stlstm.presets import PresetInfo
from keras_stlstm.presets.files import preset_file_names, sha256_file
from keras_stlstm.testing import TinyClipClassifier

REPO_ROOT = Path(__file__).resolve().parents[2]


def _register(weights, name, model, metrics=None):
    folder = presets.save_preset(model, weights / name)
    files = {rel: sha256_file(folder / rel) for rel in preset_file_names(folder)}
    presets.add_preset(
        PresetInfo(name=name, builder=type(model).__name__, description=f"{name} for CLI tests",
                   hub_repo=f"keras-stlstm/{name}", files=files, metrics=metrics or {}),
        overwrite=True,
    )
    return model


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """A classifier and a video predictor registered in a temporary weights/ folder."""
    from keras_stlstm.models import VideoPredictor

    weights = tmp_path_factory.mktemp("weights")
    keras.utils.set_random_seed(0)
    classifier = _register(
        weights, "cli_classifier",
        TinyClipClassifier(channels=3, class_names=["wave", "swipe", "stop"], name="cli_classifier"),
        metrics={"top1": 0.75},
    )
    predictor = _register(
        weights, "cli_predictor",
        VideoPredictor("convlstm", context_frames=3, future_frames=2, image_size=32, patch_size=4,
                       filters=[8], kernel_size=3, name="cli_predictor"),
    )
    yield {"weights": weights, "classifier": classifier, "predictor": predictor}
    presets.remove_preset("cli_classifier")
    presets.remove_preset("cli_predictor")


@pytest.fixture
def run(zoo, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_STLSTM_WEIGHTS", str(zoo["weights"]))

    def _run(*argv):
        status = main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return _run


def test_list_and_info(run):
    status, out, _ = run("list")
    assert status == 0
    assert "cli_classifier" in out and "TinyClipClassifier" in out and "cli_predictor" in out
    status, out, _ = run("info", "cli_classifier")
    assert status == 0
    assert "model.weights.h5" in out and "KB" in out
    assert "top1: 0.75" in out and "library_name: keras" in out  # metrics and card


def _write_frames(folder, frames):
    folder.mkdir()
    for i, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:05d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))


def test_classify_frame_folder_prints_top_k(run, zoo, tmp_path):
    frames = np.random.default_rng(0).integers(0, 255, (6, 8, 8, 3), dtype=np.uint8)
    _write_frames(tmp_path / "clip", frames)
    status, out, _ = run("classify", "cli_classifier", "--input", str(tmp_path / "clip"), "--top-k", "2")
    assert status == 0
    from keras_stlstm.datasets.sampling import sample_indices

    clip = frames[sample_indices(6, 4)].astype(np.float32) / 255.0
    probs = np.asarray(zoo["classifier"](clip[None]))[0]
    best = int(np.argmax(probs))
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0] == f"1. {['wave', 'swipe', 'stop'][best]}  {probs[best]:.3f}"


def test_classify_video_file(run, tmp_path):
    from keras_stlstm.datasets.video_io import write_video

    frames = np.random.default_rng(1).integers(0, 255, (8, 8, 8, 3), dtype=np.uint8)
    write_video(tmp_path / "clip.avi", frames)
    status, out, _ = run("classify", "cli_classifier", "--input", str(tmp_path / "clip.avi"))
    assert status == 0
    probs = [float(line.rsplit(" ", 1)[1]) for line in out.strip().splitlines()]
    assert len(probs) == 3 and abs(sum(probs) - 1.0) < 2e-3 and probs == sorted(probs, reverse=True)


def test_predict_writes_a_comparison_strip_and_gif(run, zoo, tmp_path):
    clip = np.random.default_rng(2).random((5, 32, 32, 1), dtype=np.float32)
    np.save(tmp_path / "clip.npy", clip)
    status, out, _ = run("predict", "cli_predictor", "--input", str(tmp_path / "clip.npy"),
                         "--horizon", "2", "--out", str(tmp_path / "rollout.png"))
    assert status == 0 and "3 context frames, 2 predicted" in out
    strip = cv2.imread(str(tmp_path / "rollout.png"))
    assert strip.shape[0] == 3 * 32 + 2 * 2  # context / truth / prediction rows
    expected = zoo["predictor"].predict_frames(clip[None, :3], horizon=2)[0]
    label = strip.shape[1] - (3 * (32 + 2) - 2)  # labelled rows: the frames start after the labels
    row = strip[2 * (32 + 2):, label:label + 32, 0]  # first predicted frame
    np.testing.assert_allclose(row, np.round(expected[0, ..., 0] * 255), atol=1)
    status, _, _ = run("predict", "cli_predictor", "--input", str(tmp_path / "clip.npy"),
                       "--horizon", "4", "--out", str(tmp_path / "rollout.gif"))
    assert status == 0 and (tmp_path / "rollout.gif").stat().st_size > 0


def test_evaluate_predictor_on_moving_mnist(run, zoo):
    status, out, _ = run("evaluate", "cli_predictor", "--num-sequences", "4", "--batch-size", "2")
    assert status == 0
    from keras_stlstm.datasets import moving_mnist_test_set
    from keras_stlstm.datasets.mnist import load_sample_digits
    from keras_stlstm.metrics.frame_metrics import per_frame_curves

    clips = moving_mnist_test_set(load_sample_digits("test"), num_sequences=4, num_frames=5, image_size=32)
    prediction = np.asarray(zoo["predictor"](clips))[:, 2:]
    mse = per_frame_curves(clips[:, 3:], prediction)["mse_mean"]
    assert f"\nMSE {mse:.4f}\n" in out


def _scores(out):
    """{metric: mean} and the per-future-frame rows printed by evaluate."""
    means = {line.split()[0]: float(line.split()[1]) for line in out.splitlines()
             if line.split() and line.split()[0] in ("MSE", "MAE", "SSIM", "PSNR")}
    rows = [line.split() for line in out.splitlines() if line.startswith("  ")]
    return means, rows


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_evaluate_on_a_standard_moving_mnist_file(run, zoo, tmp_path, suffix):
    from keras_stlstm.datasets import write_moving_mnist_npy
    from keras_stlstm.metrics.frame_metrics import per_frame_curves

    video = np.random.default_rng(3).integers(0, 256, (3, 5, 32, 32), dtype=np.uint8)
    path = write_moving_mnist_npy(tmp_path / "mnist_test_seq.npy", video)
    if suffix == ".npz":  # the PredRNN layout: clip i = frames [5i, 5i + 3) then [5i + 3, 5i + 5)
        starts = np.arange(3) * 5
        clips = np.stack([np.stack([starts, np.full(3, 3)], 1), np.stack([starts + 3, np.full(3, 2)], 1)])
        path = tmp_path / "moving-mnist-test.npz"
        np.savez(path, clips=clips, dims=np.array([[1, 32, 32]]),
                 input_raw_data=video.reshape(15, 1, 32, 32).astype(np.float32) / 255.0)
    status, out, err = run("evaluate", "cli_predictor", "--data", str(path), "--batch-size", "2")
    assert status == 0, err
    clips = video[..., None].astype(np.float32) / 255.0
    want = per_frame_curves(clips[:, 3:], np.asarray(zoo["predictor"](clips))[:, 2:])
    means, rows = _scores(out)
    assert "3 sequences" in out and sorted(means) == ["MAE", "MSE", "PSNR", "SSIM"]
    for name in ("mse", "mae", "ssim", "psnr"):
        np.testing.assert_allclose(means[name.upper()], want[name + "_mean"], rtol=1e-4, atol=1e-4)
    assert [row[0] for row in rows] == ["4", "5"]  # the two future frames
    np.testing.assert_allclose([float(row[1]) for row in rows], want["mse"], rtol=1e-4)
    status, out, _ = run("evaluate", "cli_predictor", "--data", str(path), "--num-sequences", "1")
    assert status == 0 and "1 sequences" in out


def test_predict_continues_a_sequence_of_a_standard_file(run, zoo, tmp_path):
    from keras_stlstm.datasets import write_moving_mnist_npy

    video = np.random.default_rng(4).integers(0, 256, (3, 5, 32, 32), dtype=np.uint8)
    path = write_moving_mnist_npy(tmp_path / "mnist_test_seq.npy", video)
    status, out, err = run("predict", "cli_predictor", "--input", str(path), "--index", "2",
                           "--horizon", "2", "--out", str(tmp_path / "rollout.png"))
    assert status == 0 and "3 context frames, 2 predicted" in out, err
    strip = cv2.imread(str(tmp_path / "rollout.png"))
    label = strip.shape[1] - (3 * (32 + 2) - 2)  # labelled rows: the frames start after the labels
    np.testing.assert_array_equal(strip[:32, label:label + 32, 0], video[2, 0])  # the context row: sequence 2
    status, _, err = run("predict", "cli_predictor", "--input", str(path), "--index", "3",
                         "--out", str(tmp_path / "x.png"))
    assert status == 1 and "--index 3 is past the last sequence" in err


def test_export_tflite_streaming_prints_the_verification(run, tmp_path):
    out_file = tmp_path / "classifier.tflite"
    status, out, _ = run("export", "cli_classifier", "--format", "tflite", "--streaming", "--out", str(out_file))
    assert status == 0 and out_file.exists()
    error = float(out.strip().rsplit(" ", 1)[1])
    assert error < 1e-5


@pytest.mark.parametrize(
    "argv, message",
    [
        (["info", "cli_clasifier"], "Did you mean 'cli_classifier'"),
        (["classify", "cli_predictor", "--input", "x.avi"], "not a classifier"),
        (["predict", "cli_classifier", "--input", "x.npy", "--out", "y.gif"], "not a video predictor"),
        (["classify", "cli_classifier", "--input", "/no/such/clip.avi"], "not found"),
        (["export", "cli_classifier", "--format", "onnx", "--streaming", "--out", "x.onnx"], "whole-clip float32 form only"),
        (["evaluate", "cli_predictor", "--data", "/no/such/mnist_test_seq.npy"], "not found"),
    ],
)
def test_errors_are_one_line_without_traceback(run, argv, message):
    status, out, err = run(*argv)
    assert status == 1
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_debug_shows_the_traceback(run):
    with pytest.raises(presets.PresetError):
        main(["--debug", "info", "no_such_preset"])


def test_python_dash_m_runs_the_cli():
    proc = subprocess.run([sys.executable, "-m", "keras_stlstm", "info", "no_such_preset"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Unknown preset 'no_such_preset'" in proc.stderr and "Traceback" not in proc.stderr


def test_camera_that_cannot_open_is_a_clear_error(run):
    status, _, err = run("classify", "cli_classifier", "--camera", "97", "--max-frames", "1")
    assert status == 1 and "camera 97" in err and "cannot be opened" in err


def test_upload_calls_the_hub(run, zoo, monkeypatch):
    import huggingface_hub

    calls = []
    monkeypatch.setattr(huggingface_hub, "create_repo", lambda repo_id, **kw: calls.append(repo_id))
    monkeypatch.setattr(huggingface_hub, "upload_folder",
                        lambda repo_id, folder_path, **kw: type("Commit", (), {"oid": "abc123"})())
    status, out, _ = run("upload", str(zoo["weights"] / "cli_classifier"), "hf://me/cli_classifier")
    assert status == 0 and calls == ["me/cli_classifier"] and "commit abc123" in out
