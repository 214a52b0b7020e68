"""SavedModel, TFLite (whole clip and streaming, quantised) and ONNX exports match Keras.

TensorFlow only. Each exported file is made once per module (TFLite conversion
takes about a second) and shared by the tests that check it.
"""

import json
import os

import keras
import numpy as np
import pytest

from keras_stlstm.export import (
    ExportError,
    export_onnx,
    export_saved_model,
    export_tflite,
    verify_export,
)
from keras_stlstm.testing import TinyClipClassifier, TinyFramePredictor

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="export traces models with TensorFlow"
)

# Every cell type, alternating the two output forms (one result per clip, one per frame).
CELLS = {
    "convlstm": TinyClipClassifier,
    "a": TinyFramePredictor,
    "b": TinyClipClassifier,
    "c": TinyFramePredictor,
    "d": TinyClipClassifier,
    "stlstm": TinyFramePredictor,
    "e3d": TinyClipClassifier,
}


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("export")


@pytest.fixture(scope="module", params=sorted(CELLS))
def exported(request, out_dir):
    """One tiny model per cell type, exported in the three TF forms."""
    cell = request.param
    keras.utils.set_random_seed(0)
    model = CELLS[cell](cell=cell, name=f"tiny_{cell}")
    base = out_dir / cell
    return {
        "model": model,
        "saved_model": export_saved_model(model, base / "saved_model"),
        "tflite": export_tflite(model, base / "clip.tflite"),
        "stream": export_tflite(model, base / "stream.tflite", streaming=True),
    }


@pytest.mark.parametrize("form", ["saved_model", "tflite", "stream"])
def test_float32_exports_match_keras(exported, form):
    error = verify_export(exported["model"], exported[form], verbose=False)
    assert error < 1e-5


def test_tflite_whole_clip_keeps_a_dynamic_batch(exported):
    from ai_edge_litert.interpreter import Interpreter

    model = exported["model"]
    runner = Interpreter(model_path=str(exported["tflite"])).get_signature_runner("serving_default")
    assert list(runner.get_input_details()) == ["frames"]
    assert list(runner.get_input_details()["frames"]["shape_signature"]) == [-1, 4, 8, 8, model.channels]
    clip = np.random.default_rng(3).random((3, 4, 8, 8, model.channels), dtype=np.float32)
    np.testing.assert_allclose(runner(frames=clip)["output"], model(clip), atol=1e-5)


def test_streaming_signature_names_states(exported):
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_path=str(exported["stream"])).get_signature_runner("serving_default")
    step = exported["model"].streaming_model()
    n_states = len(step.inputs) - 1
    assert set(runner.get_input_details()) == {"frames"} | {f"state_{i}" for i in range(n_states)}
    assert set(runner.get_output_details()) == {"output"} | {f"new_state_{i}" for i in range(n_states)}


def test_saved_model_signature_is_named_and_documented(exported):
    import tensorflow as tf

    folder = exported["saved_model"]
    fn = tf.saved_model.load(str(folder)).signatures["serving_default"]
    assert list(fn.structured_input_signature[1]) == ["frames"]
    assert list(fn.structured_outputs) == ["output"]
    description = json.loads((folder / "assets.extra" / "signature.json").read_text())
    assert description["form"] == "clip" and "frames" in description["usage"]
    assert description["outputs"]["output"]["shape"][0] is None


@pytest.fixture(scope="module")
def quantized(out_dir):
    """A classifier large enough for weight quantisation (>1024 weights per kernel)."""
    keras.utils.set_random_seed(1)
    model = TinyClipClassifier(filters=16, name="tiny_quant")
    rng = np.random.default_rng(0)
    samples = [rng.random((1, 4, 8, 8, 2), dtype=np.float32) for _ in range(8)]
    files = {q: export_tflite(model, out_dir / f"q_{q}.tflite", quantize=q,
                              representative_data=samples if q == "int8" else None)
             for q in (None, "float16", "dynamic_int8", "int8")}
    return model, files


def test_quantized_sizes_and_errors(quantized):
    model, files = quantized
    size = {q: os.path.getsize(f) for q, f in files.items()}
    assert size["float16"] < 0.75 * size[None]  # graph and small tensors stay float32
    assert size["dynamic_int8"] < 0.7 * size[None]
    assert size["int8"] < 0.8 * size[None]  # plus per-tensor scales of the unrolled graph
    errors = {q: verify_export(model, f, verbose=False) for q, f in files.items()}
    assert errors[None] < 1e-5
    assert errors["float16"] < 1e-2  # probabilities: float16 weights, float32 math
    assert errors["dynamic_int8"] < 5e-2
    assert errors["int8"] < 0.1


def test_streaming_quantized_export(quantized, out_dir):
    model, _ = quantized
    path = export_tflite(model, out_dir / "stream_f16.tflite", streaming=True, quantize="float16")
    assert verify_export(model, path, verbose=False) < 1e-2


def test_onnx_export_matches_keras(out_dir):
    pytest.importorskip("tf2onnx", reason="optional extra keras-stlstm[onnx] not installed")
    pytest.importorskip("onnxruntime", reason="optional extra keras-stlstm[onnx] not installed")
    model = TinyFramePredictor(cell="convlstm", frames=None, name="tiny_onnx")
    path = export_onnx(model, out_dir / "model.onnx")
    assert verify_export(model, path, num_frames=5, verbose=False) < 1e-5


def test_onnx_missing_extra_is_a_clear_error(monkeypatch, out_dir):
    import sys

    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # import fails as if not installed
    with pytest.raises(ExportError, match=r"pip install \"keras-stlstm\[onnx\]\""):
        export_onnx(TinyClipClassifier(name="no_onnx"), out_dir / "x.onnx")


def test_unknown_clip_length_needs_num_frames(out_dir):
    model = TinyClipClassifier(frames=None, name="any_length")
    with pytest.raises(ExportError, match="fixed number of frames: pass num_frames=N"):
        export_tflite(model, out_dir / "any.tflite")
    path = export_tflite(model, out_dir / "any.tflite", num_frames=3)
    assert verify_export(model, path, verbose=False) < 1e-5


def test_bad_arguments_and_paths(out_dir, tmp_path):
    model = TinyClipClassifier(name="bad_args")
    with pytest.raises(ExportError, match="quantize must be one of"):
        export_tflite(model, out_dir / "x.tflite", quantize="int4")
    with pytest.raises(ExportError, match="needs? .*representative_data|pass representative_data"):
        export_tflite(model, out_dir / "x.tflite", quantize="int8")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ExportError, match="Cannot write to"):
        export_tflite(model, blocker / "sub" / "x.tflite")
    with pytest.raises(ExportError, match="Cannot write to"):
        export_saved_model(model, blocker / "sub" / "saved")
    with pytest.raises(ExportError, match="no streaming_model"):
        plain = keras.Model(model.inputs, model.outputs)
        export_tflite(plain, out_dir / "plain.tflite", streaming=True)
    assert not [p for p in out_dir.iterdir() if p.name.startswith(".")]  # no temp files left
