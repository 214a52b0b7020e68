"""Export never deletes a path it did not create; a failed export leaves nothing half-written."""

import pytest

import keras

from keras_stlstm import cli
from keras_stlstm.export import ExportError, export_onnx, export_saved_model, export_tflite
from keras_stlstm.presets import save_preset
from keras_stlstm.testing import TinyClipClassifier

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="export traces with TensorFlow")


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return TinyClipClassifier(name="export_faults")


def user_folder(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.tex").write_text("three years of work")
    return folder


def test_saved_model_refuses_a_folder_of_other_files(tmp_path, model):
    folder = user_folder(tmp_path)
    with pytest.raises(ExportError, match=r"not an earlier saved_model export: exporting there would delete it"):
        export_saved_model(model, folder)
    assert (folder / "thesis.tex").read_text() == "three years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no temporary sibling left


def test_saved_model_replaces_its_own_earlier_export_and_an_empty_folder(tmp_path, model):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert (export_saved_model(model, empty) / "saved_model.pb").is_file()
    assert (export_saved_model(model, empty) / "saved_model.pb").is_file()  # again, over its own export
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_file_formats_refuse_other_files_and_replace_their_own(tmp_path, model):
    notes = tmp_path / "notes.tflite"
    notes.write_text("not a model")
    with pytest.raises(ExportError, match="not an earlier tflite export"):
        export_tflite(model, notes)
    assert notes.read_text() == "not a model"
    path = export_tflite(model, tmp_path / "clip.tflite")
    assert export_tflite(model, path) == path  # its own earlier export
    with pytest.raises(ExportError, match="not an earlier onnx export"):
        export_onnx(model, notes)
    assert notes.read_text() == "not a model"
    # With overwrite the user asked for it.
    assert export_tflite(model, notes, overwrite=True).read_bytes()[4:8] == b"TFL3"


def test_failed_export_keeps_the_earlier_one(tmp_path, model, monkeypatch):
    target = export_saved_model(model, tmp_path / "out")
    before = sorted(p.relative_to(target) for p in target.rglob("*"))

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    # ExportArchive() builds a backend subclass: patch the class actually used.
    monkeypatch.setattr(type(keras.export.ExportArchive()), "write_out", disk_full)
    with pytest.raises(OSError, match="No space left"):
        export_saved_model(model, target)
    assert sorted(p.relative_to(target) for p in target.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_cli_export_refuses_then_overwrites_only_when_asked(tmp_path, model, capsys):
    preset = save_preset(model, tmp_path / "preset")
    folder = user_folder(tmp_path)
    argv = ["export", str(preset), "--format", "saved_model", "--out", str(folder)]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "exporting there would delete it" in err[0] and "--overwrite" in err[0]
    assert (folder / "thesis.tex").exists()
    assert cli.main(argv + ["--overwrite"]) == 0
    assert (folder / "saved_model.pb").is_file() and not (folder / "thesis.tex").exists()
