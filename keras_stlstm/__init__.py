"""keras-stlstm: Keras 3 spatiotemporal LSTMs (ConvLSTM variants, ST-LSTM, E3D-LSTM) with pretrained weights.

Importing the package is cheap (no Keras, no TensorFlow): `keras-stlstm --help` answers at once.
`keras_stlstm.layers`, `.models` and `.metrics` are imported on first use (`from keras_stlstm
import layers`, or an attribute access such as `keras_stlstm.models.GestureRecognizer`), which
registers their classes with Keras; `from_preset` imports the model classes itself. To load a
`.keras` file with `keras.saving.load_model` directly, import `keras_stlstm.models` first (or use
`keras_stlstm.from_preset("file.keras")`).
"""

import importlib

from keras_stlstm.presets import from_preset, list_presets, upload_preset  # noqa: F401  (cheap: Keras imported lazily)

__version__ = "0.1.0"

# Submodules that import Keras (and its backend): imported on first attribute access.
_LAZY_SUBMODULES = ("layers", "metrics", "models")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"keras_stlstm.{name}")
    raise AttributeError(f"module 'keras_stlstm' has no attribute {name!r}")
