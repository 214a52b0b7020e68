"""Export to TensorFlow SavedModel, TFLite (builtin ops only) and ONNX, with verification.

This package imports TensorFlow when an export runs; `import keras_stlstm` does
not import it.
"""

from keras_stlstm.export.errors import ExportError
from keras_stlstm.export.onnx import export_onnx
from keras_stlstm.export.saved_model import export_saved_model
from keras_stlstm.export.tflite import QUANTIZATIONS, export_tflite
from keras_stlstm.export.verify import verify_export

__all__ = [
    "ExportError",
    "QUANTIZATIONS",
    "export_onnx",
    "export_saved_model",
    "export_tflite",
    "verify_export",
]
