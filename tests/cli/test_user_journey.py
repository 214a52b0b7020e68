"""A new user's whole path, end to end: their own OpenCV videos -> a recipe fine-tuning a preset NAME
with a new head -> save_to_preset -> `keras-stlstm classify` printing the class names -> `keras-stlstm
export --format tflite` -> the TFLite file run and compared with Keras.

The preset is a tiny GestureRecognizer registered for the test (the shipped ones take tens of seconds
for a first training step on a CPU); everything else is what a user runs."""

import cv2
import keras
import numpy as np
import pytest

from keras_stlstm.cli import main
from keras_stlstm.datasets.sampling import sample_indices
from keras_stlstm.datasets.video_io import read_frames
from keras_stlstm.models import GestureRecognizer
from keras_stlstm.presets import from_preset, remove_preset
from keras_stlstm.testing import register_temporary_preset
from keras_stlstm.training import train

CLASSES = ("down", "right", "still")


def write_own_videos(root, clips_per_class, size=24, frames=8):
    """root/<class>/clip_<i>.avi written with cv2.VideoWriter: a bright square moving down, right, or not."""
    for name in CLASSES:
        (root / name).mkdir(parents=True)
        for i in range(clips_per_class):
            writer = cv2.VideoWriter(str(root / name / f"clip_{i}.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10.0,
                                     (size, size))
            for t in range(frames):
                step = {"down": (2 * t, 0), "right": (0, 2 * t), "still": (0, 0)}[name]
                frame = np.full((size, size, 3), 20, np.uint8)
                y, x = 3 + i + step[0], 3 + step[1]
                frame[y:y + 6, x:x + 6] = 230
                writer.write(frame)
            writer.release()


@pytest.mark.slow
def test_own_videos_to_a_tflite_file_that_names_its_classes(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_STLSTM_WEIGHTS", str(tmp_path / "weights"))
    keras.utils.set_random_seed(0)
    register_temporary_preset(tmp_path / "weights", "journey_tiny_gesture",
                              GestureRecognizer("a", num_classes=27, config="tiny"))
    try:
        write_own_videos(tmp_path / "my_gestures" / "train", clips_per_class=2)
        write_own_videos(tmp_path / "my_gestures" / "validation", clips_per_class=1)
        result = train({
            "model": {"class": "GestureRecognizer", "preset": "journey_tiny_gesture", "num_classes": 3},
            "data": {"source": "folder", "root": str(tmp_path / "my_gestures" / "train"),
                     "validation_root": str(tmp_path / "my_gestures" / "validation")},
            "optimizer": {"name": "adam", "learning_rate": 1e-3},
            "training": {"batch_size": 3, "epochs": 1, "output_dir": str(tmp_path / "run"), "jit_compile": False,
                         "verbose": 0},
        })
    finally:
        remove_preset("journey_tiny_gesture")
    assert 0.0 <= result.metrics["final"]["val_accuracy"] <= 1.0  # validated on the whole folder

    model = from_preset(result.model_dir)
    preset = model.save_to_preset(tmp_path / "my_gesture_model")
    assert GestureRecognizer.from_preset(preset).class_names == list(CLASSES)

    video = tmp_path / "my_gestures" / "validation" / "right" / "clip_0.avi"
    capsys.readouterr()  # what training printed
    assert main(["classify", str(preset), "--input", str(video), "--top-k", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    frames, height, width, _ = model.inputs[0].shape[1:]
    clip = read_frames(video, select=lambda n: sample_indices(n, frames), size=(height, width))
    clip = clip[None].astype(np.float32) / 255.0
    probabilities = model.predict(clip, verbose=0)[0]
    assert lines[0] == f"1. {CLASSES[int(probabilities.argmax())]}  {probabilities.max():.3f}"
    assert sorted(line.split()[1] for line in lines) == list(CLASSES)

    tflite = tmp_path / "my_gestures.tflite"
    assert main(["export", str(preset), "--format", "tflite", "--out", str(tflite)]) == 0
    assert "wrote" in capsys.readouterr().out
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # as in the README: TensorFlow's own interpreter when LiteRT is not installed
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    runner = Interpreter(model_path=str(tflite)).get_signature_runner("serving_default")
    output = runner(frames=clip)["output"]
    np.testing.assert_allclose(output[0], probabilities, atol=1e-5)
