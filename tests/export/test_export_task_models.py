"""The task models through the streaming TFLite path (TensorFlow only)."""

import keras
import numpy as np
import pytest

from keras_stlstm.export import export_tflite, verify_export

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="export traces models with TensorFlow"
)


def test_video_predictor_streaming_tflite_reproduces_the_rollout(tmp_path):
    from keras_stlstm.models import VideoPredictor

    keras.utils.set_random_seed(0)
    model = VideoPredictor("convlstm", context_frames=3, future_frames=2, image_size=16,
                           patch_size=4, filters=[8], kernel_size=3)
    path = export_tflite(model, tmp_path / "predictor_stream.tflite", streaming=True)
    # Context frames fed one by one, then the model's own predictions, vs model(clip).
    assert verify_export(model, path, verbose=False) < 1e-5


@pytest.mark.slow
def test_causal_gesture_recognizer_streaming_tflite(tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    from keras_stlstm.models import GestureRecognizer

    keras.utils.set_random_seed(0)
    model = GestureRecognizer("a", num_classes=5, config="tiny")
    path = export_tflite(model, tmp_path / "gesture_stream.tflite", streaming=True)
    assert verify_export(model, path, verbose=False) < 1e-5
    # One step consumes two frames (Res3D's temporal stride); outputs are class probabilities.
    runner = Interpreter(model_path=str(path)).get_signature_runner("serving_default")
    assert list(runner.get_input_details()["frames"]["shape_signature"]) == [-1, 2, 16, 16, 3]
    states = {n: np.zeros([1] + list(d["shape"][1:]), np.float32)
              for n, d in runner.get_input_details().items() if n != "frames"}
    frames = np.random.default_rng(0).random((1, 2, 16, 16, 3), dtype=np.float32)
    probs = runner(frames=frames, **states)["output"]
    np.testing.assert_allclose(probs.sum(), 1.0, atol=1e-5)
