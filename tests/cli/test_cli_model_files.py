"""The CLI takes a `.keras` file (what fine-tuning writes) wherever it takes NAME, prints the class
names a model stores, and reports top-k accuracy only for k below the class count."""

import cv2
import keras
import numpy as np
import pytest

from keras_stlstm.cli import main
from keras_stlstm.models import GestureRecognizer
from keras_stlstm.presets import PresetError, from_preset

NAMES = ["down", "right", "still"]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    keras.utils.set_random_seed(0)
    model = GestureRecognizer("a", num_classes=3, config="tiny", class_names=NAMES)
    path = tmp_path_factory.mktemp("models") / "my_gestures.keras"
    model.save(path)
    return model, path


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def write_clip(path, seed, frames=6, size=16):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (size, size))
    for frame in np.random.default_rng(seed).integers(0, 255, (frames, size, size, 3), dtype=np.uint8):
        writer.write(frame)
    writer.release()


def test_class_names_are_checked_and_round_trip():
    model = GestureRecognizer("a", num_classes=3, config="tiny", class_names=NAMES)
    assert GestureRecognizer.from_config(model.get_config()).class_names == NAMES
    with pytest.raises(ValueError, match="must hold num_classes=3 names, one per class; received 2"):
        GestureRecognizer("a", num_classes=3, config="tiny", class_names=["a", "b"])
    with pytest.raises(ValueError, match="must be a list of strings"):
        GestureRecognizer("a", num_classes=3, config="tiny", class_names="abc")


def test_shipped_gesture_presets_name_their_classes():
    model = from_preset("gesture_a_synthetic")
    assert len(model.class_names) == 27 and model.class_names[25] == "No gesture"
    # A new head for other classes drops the old names (they describe the old head).
    assert GestureRecognizer.from_preset("gesture_a_synthetic", num_classes=3).class_names is None


def test_from_preset_loads_a_keras_file(model_file):
    model, path = model_file
    loaded = from_preset(path)
    assert type(loaded) is GestureRecognizer and loaded.class_names == NAMES
    clip = np.random.default_rng(0).random((1, 4, 16, 16, 3), dtype=np.float32)
    np.testing.assert_allclose(loaded.predict(clip, verbose=0), model.predict(clip, verbose=0), atol=1e-6)
    with pytest.raises(PresetError, match=r"Model file not found: .*missing\.keras \(expected a \.keras file"):
        from_preset(path.parent / "missing.keras")


def test_classify_a_keras_file_prints_class_names(model_file, tmp_path, capsys):
    model, path = model_file
    write_clip(tmp_path / "clip.avi", seed=1)
    status, out, err = run(capsys, "classify", str(path), "--input", str(tmp_path / "clip.avi"), "--top-k", "3")
    assert status == 0, err
    lines = out.strip().splitlines()
    assert sorted(line.split()[1] for line in lines) == NAMES


def test_info_describes_a_keras_file(model_file, capsys):
    model, path = model_file
    status, out, err = run(capsys, "info", str(path))
    assert status == 0, err
    assert "model class: GestureRecognizer" in out and f"parameters: {model.count_params():,}" in out
    assert "classes (3): down, right, still" in out


def test_evaluate_reports_top_k_below_the_class_count(model_file, tmp_path, capsys):
    _, path = model_file
    for i, name in enumerate(NAMES):
        (tmp_path / "test" / name).mkdir(parents=True)
        write_clip(tmp_path / "test" / name / "a.avi", seed=10 + i)
    status, out, err = run(capsys, "evaluate", str(path), "--data", str(tmp_path / "test"))
    assert status == 0, err
    assert "3 clips in" in out and "top-1 " in out and "top-2 " in out and "top-5" not in out
