"""ONNX export off TensorFlow: through torch.onnx on PyTorch, a one-line error on JAX;
TFLite and SavedModel stay one-line errors off TensorFlow."""

import pytest

import keras

from keras_stlstm.export import ExportError, export_onnx, export_tflite, verify_export
from keras_stlstm.models import EarlyActivityRecognizer, VideoPredictor
from keras_stlstm.testing import TinyFramePredictor

pytestmark = [
    pytest.mark.backends,
    pytest.mark.skipif(keras.backend.backend() == "tensorflow", reason="test_export_formats.py covers TensorFlow"),
]
TORCH = keras.backend.backend() == "torch"


def one_line(error):
    return "\n" not in str(error.value)


@pytest.mark.skipif(not TORCH, reason="torch.onnx export")
def test_torch_onnx_export_of_3d_convolutions_matches_keras(tmp_path):
    pytest.importorskip("onnxruntime", reason="optional extra keras-stlstm[onnx] not installed")
    keras.utils.set_random_seed(0)
    # E3D: 3D convolutions, whose channels-last memory layout torch.onnx alone refuses.
    model = VideoPredictor("e3d", context_frames=3, future_frames=2, image_size=16, patch_size=4,
                           filters=[4], kernel_size=(2, 3, 3))
    path = export_onnx(model, tmp_path / "e3d.onnx")
    assert path.exists() and not list(tmp_path.glob(".e3d.onnx.*"))
    # Batch 3, not the traced batch: the batch axis stays dynamic.
    assert verify_export(model, path, batch_size=3, verbose=False) < 1e-5


@pytest.mark.skipif(not TORCH, reason="torch.onnx export")
def test_torch_onnx_export_names_dict_outputs_by_key(tmp_path):
    pytest.importorskip("onnxruntime", reason="optional extra keras-stlstm[onnx] not installed")
    import onnx

    keras.utils.set_random_seed(0)
    model = EarlyActivityRecognizer(num_classes=3, config="tiny")
    path = export_onnx(model, tmp_path / "early.onnx")
    assert sorted(out.name for out in onnx.load(str(path)).graph.output) == ["frames_output", "label"]
    errors = verify_export(model, path, verbose=False, per_output=True)
    assert set(errors) == {"label", "frames"} and max(errors.values()) < 1e-5


@pytest.mark.skipif(not TORCH, reason="torch.onnx export")
def test_torch_onnx_export_needs_a_fixed_clip_length(tmp_path):
    with pytest.raises(ExportError, match="fixed number of frames or export with KERAS_BACKEND=tensorflow") as e:
        export_onnx(TinyFramePredictor(frames=None), tmp_path / "x.onnx")
    assert one_line(e) and not (tmp_path / "x.onnx").exists()


@pytest.mark.skipif(TORCH, reason="JAX's refusal")
def test_onnx_export_on_jax_is_a_one_line_error(tmp_path):
    with pytest.raises(ExportError, match="KERAS_BACKEND=tensorflow or torch") as e:
        export_onnx(TinyFramePredictor(), tmp_path / "x.onnx")
    assert one_line(e)


def test_tflite_export_off_tensorflow_is_a_one_line_error(tmp_path):
    with pytest.raises(ExportError, match="KERAS_BACKEND=tensorflow") as e:
        export_tflite(TinyFramePredictor(), tmp_path / "x.tflite")
    assert one_line(e) and not (tmp_path / "x.tflite").exists()
