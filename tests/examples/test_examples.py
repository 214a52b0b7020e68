"""Every script in examples/ runs with --fast, as a user would run it, and writes what it says.

Each script runs in a subprocess on the TensorFlow backend from a fresh temporary
working directory (so its default ./outputs/ lands there), with the repository
root on PYTHONPATH. The scripts print every file they write as a "wrote PATH"
line; the tests check those files and the numbers the scripts report.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def run_example(name, cwd, *extra):
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--fast", *extra],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    written = [Path(cwd) / line[len("wrote "):].split(" (")[0]
               for line in result.stdout.splitlines() if line.startswith("wrote ")]
    assert written, f"{name} reported no written file:\n{result.stdout}"
    for path in written:
        assert path.exists(), f"{name} says it wrote {path}, which does not exist"
    return result.stdout, written


def number_after(text, label):
    """The float printed right after `label` in `text`."""
    match = re.search(re.escape(label) + r"\s*([-+0-9.eE]+)", text)
    assert match, f"{label!r} not in:\n{text}"
    return float(match.group(1))


def test_every_example_is_tested_and_listed_in_the_readme():
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py"))
    tested = {name[len("test_"):] + ".py" for name in globals() if name.startswith("test_")}
    assert set(scripts) <= tested, f"untested examples: {set(scripts) - tested}"
    readme = (EXAMPLES / "README.md").read_text()
    for script in scripts:
        assert f"python examples/{script} --fast" in readme


@pytest.mark.slow
def test_single_layer_in_your_model(tmp_path):
    out, written = run_example("single_layer_in_your_model.py", tmp_path)
    assert "PooledGateConvLSTM" in out
    assert number_after(out, "max |reloaded - original| =") <= 1e-5
    assert [p.suffix for p in written] == [".keras"] and written[0].stat().st_size > 0


@pytest.mark.slow
def test_train_moving_mnist(tmp_path):
    out, written = run_example("train_moving_mnist.py", tmp_path)
    names = {p.name for p in written}
    assert names == {"training_log.csv", "metrics.json", "recipe.json", "model", "e3d_moving_mnist_prediction.png"}
    run = tmp_path / "outputs" / "train_moving_mnist" / "e3d_moving_mnist"
    metrics = json.loads((run / "metrics.json").read_text())
    assert np.isfinite(metrics["final"]["loss"])
    recipe = json.loads((run / "recipe.json").read_text())
    assert recipe["model"]["filters"] == [8] and recipe["data"]["digits"] == "sample"
    assert (run / "model" / "config.json").exists()
    # context / truth / prediction rows of 3 frames of 32x32, 2-pixel gaps.
    strip = cv2.imread(str(tmp_path / "outputs" / "train_moving_mnist" / "e3d_moving_mnist_prediction.png"))
    assert strip.shape == (3 * 32 + 2 * 2, 3 * 32 + 2 * 2, 3)
    assert 0.0 <= number_after(out, "predicted frames =") <= 1.0


@pytest.mark.slow
def test_export_tflite(tmp_path):
    out, written = run_example("export_tflite.py", tmp_path)
    assert sorted(p.name for p in written) == ["gesture_recognizer_clip.tflite", "gesture_recognizer_stream.tflite"]
    for path in written:
        assert path.read_bytes()[4:8] == b"TFL3"  # the TFLite flatbuffer identifier
    assert number_after(out, "whole-clip TFLite vs Keras, probabilities: max |difference| =") < 1e-5
    assert number_after(out, "every state of every step: max |difference| =") < 1e-5
    top1 = re.search(r"top-1 class (\d+) vs (\d+)", out)
    assert top1 and top1.group(1) == top1.group(2)
    assert number_after(out, "steps):") > 0


@pytest.mark.slow
def test_fine_tune_on_your_videos(tmp_path):
    out, written = run_example("fine_tune_on_your_videos.py", tmp_path)
    videos = tmp_path / "outputs" / "fine_tune" / "videos"
    assert sorted(p.relative_to(videos).as_posix() for p in videos.rglob("*.mp4")) == [
        f"{split}/{cls}/{split}_{i:03d}.mp4"
        for split, n in (("train", 4), ("validation", 2))
        for cls in ("pushing_hand_away", "swiping_left")
        for i in range(1, n + 1)
    ]
    assert "8 training clips" in out
    assert 0.0 <= number_after(out, "validation accuracy on 4 clips:") <= 1.0
    assert written[-1].name == "fine_tuned.keras"


def write_own_videos(root, clips_per_class=3, frames=8, size=24):
    """root/<class>/clip_<i>.avi written with OpenCV itself, as a user's own recordings would be:
    a bright square moving right ("right") or down ("down") over a dark background."""
    for name in ("down", "right"):
        for i in range(clips_per_class):
            (root / name).mkdir(parents=True, exist_ok=True)
            writer = cv2.VideoWriter(str(root / name / f"clip_{i}.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10.0,
                                     (size, size))
            assert writer.isOpened()
            for t in range(frames):
                frame = np.full((size, size, 3), 20, np.uint8)
                offset = i + 2 * t
                y, x = (offset, 4) if name == "down" else (4, offset)
                frame[y:y + 6, x:x + 6] = 230
                writer.write(frame)
            writer.release()


@pytest.mark.slow
def test_fine_tune_on_your_videos_with_data(tmp_path):
    # The documented `--data DIR` path: nothing else writes into --out-dir before the save, so the
    # script must make it (it used to train and then crash with FileNotFoundError at the save).
    write_own_videos(tmp_path / "my_videos" / "train")
    out, written = run_example("fine_tune_on_your_videos.py", tmp_path, "--data", "my_videos/train",
                               "--out-dir", "results/fine_tune")
    assert "6 training clips in my_videos/train, classes ['down', 'right']" in out
    assert "rendered" not in out and not (tmp_path / "outputs").exists()
    assert [p.relative_to(tmp_path).as_posix() for p in written] == ["results/fine_tune/fine_tuned.keras"]
    assert [p.name for p in (tmp_path / "results" / "fine_tune").iterdir()] == ["fine_tuned.keras"]
    assert "(classes: down, right)" in out
    from keras_stlstm.presets import from_preset

    assert from_preset(written[0]).class_names == ["down", "right"]  # kept in the saved model


def test_load_and_predict(tmp_path):
    out, written = run_example("load_and_predict.py", tmp_path)
    assert number_after(out, "reloaded vs original on a random clip: max |difference| =") == 0.0
    assert sorted(p.name for p in written) == ["moving_mnist_rollout.gif", "moving_mnist_rollout.png"]
    mse = [float(v) for v in re.search(r"per-frame MSE: ([0-9. ]+)", out).group(1).split()]
    assert len(mse) == 3 and all(0.0 < v < 1.0 for v in mse)


def test_load_and_predict_requires_a_preset_without_fast(tmp_path):
    result = subprocess.run([sys.executable, str(EXAMPLES / "load_and_predict.py")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--preset is required" in result.stderr
