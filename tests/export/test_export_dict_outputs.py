"""Models with dict (named) outputs through every export format (TensorFlow only).

`EarlyActivityRecognizer` returns {"label", "frames"}: each key becomes a named
output of the serving signature, and `verify_export` compares every output. The
exported files are made once per module and shared.
"""

import json

import keras
import numpy as np
import pytest

from keras_stlstm.export import export_onnx, export_saved_model, export_tflite, verify_export

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="export traces models with TensorFlow"
)


@pytest.fixture(scope="module")
def early(tmp_path_factory):
    """A tiny EarlyActivityRecognizer (8 frames of 16×16×3) exported in the three TF forms."""
    from keras_stlstm.models import EarlyActivityRecognizer

    keras.utils.set_random_seed(0)
    model = EarlyActivityRecognizer(num_classes=3, config="tiny")
    out = tmp_path_factory.mktemp("dict_outputs")
    return {
        "model": model,
        "saved_model": export_saved_model(model, out / "saved_model"),
        "tflite": export_tflite(model, out / "clip.tflite"),
        "stream": export_tflite(model, out / "stream.tflite", streaming=True),
    }


def _clip(seed=5, batch=2):
    return np.random.default_rng(seed).random((batch, 8, 16, 16, 3), dtype=np.float32)


@pytest.mark.parametrize("form", ["saved_model", "tflite"])
def test_whole_clip_exports_compare_every_output(early, form):
    errors = verify_export(early["model"], early[form], verbose=False, per_output=True)
    assert set(errors) == {"label", "frames"}
    assert max(errors.values()) < 1e-5
    # Without per_output: the max over the outputs, as for a single-output model.
    assert verify_export(early["model"], early[form], verbose=False) == max(errors.values())


def test_saved_model_signature_names_outputs_by_key(early):
    import tensorflow as tf

    model, folder = early["model"], early["saved_model"]
    fn = tf.saved_model.load(str(folder)).signatures["serving_default"]
    assert list(fn.structured_input_signature[1]) == ["frames"]
    clip = _clip()
    got = fn(frames=tf.constant(clip))
    assert set(got) == {"label", "frames"}
    expected = model(clip)
    np.testing.assert_allclose(got["label"].numpy(), expected["label"], atol=1e-5)
    np.testing.assert_allclose(got["frames"].numpy(), expected["frames"], atol=1e-5)
    description = json.loads((folder / "assets.extra" / "signature.json").read_text())
    assert description["outputs"]["label"]["shape"] == [None, 3]
    assert description["outputs"]["frames"]["shape"] == [None, 7, 16, 16, 3]
    assert "`label`" in description["usage"] and "`frames`" in description["usage"]


def test_tflite_whole_clip_signature_names_outputs_by_key(early):
    from ai_edge_litert.interpreter import Interpreter

    model = early["model"]
    runner = Interpreter(model_path=str(early["tflite"])).get_signature_runner("serving_default")
    assert list(runner.get_input_details()) == ["frames"]
    assert set(runner.get_output_details()) == {"label", "frames"}
    clip = _clip(seed=6, batch=1)
    got, expected = runner(frames=clip), model(clip)
    np.testing.assert_allclose(got["label"], expected["label"], atol=1e-5)
    np.testing.assert_allclose(got["frames"], expected["frames"], atol=1e-5)
    np.testing.assert_allclose(got["label"].sum(), 1.0, atol=1e-5)


def test_streaming_tflite_output_is_the_label(early, capsys):
    from ai_edge_litert.interpreter import Interpreter

    model = early["model"]
    runner = Interpreter(model_path=str(early["stream"])).get_signature_runner("serving_default")
    n_states = len(model.streaming_initial_state())
    # streaming_model() (include_frames=False): the class probabilities and the states.
    assert set(runner.get_output_details()) == {"output"} | {f"new_state_{i}" for i in range(n_states)}
    errors = verify_export(model, early["stream"], per_output=True)
    # Fed frame by frame, the last step's "output" is the whole clip's "label".
    assert list(errors) == ["label"] and errors["label"] < 1e-5
    assert "streaming, step by step" in capsys.readouterr().out


def test_verify_prints_the_error_of_each_output(early, capsys):
    error = verify_export(early["model"], early["saved_model"])
    line = capsys.readouterr().out
    assert "label " in line and "frames " in line and f"{error:.3g}" in line


@pytest.mark.slow
def test_onnx_dict_outputs(early, tmp_path):
    pytest.importorskip("tf2onnx", reason="optional extra keras-stlstm[onnx] not installed")
    onnxruntime = pytest.importorskip("onnxruntime", reason="optional extra keras-stlstm[onnx] not installed")
    path = export_onnx(early["model"], tmp_path / "early.onnx")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    # ONNX names each value once: the "frames" output cannot share the input's name.
    assert sorted(o.name for o in session.get_outputs()) == ["frames_output", "label"]
    errors = verify_export(early["model"], path, verbose=False, per_output=True)
    assert set(errors) == {"label", "frames"} and max(errors.values()) < 1e-5
