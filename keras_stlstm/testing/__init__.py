"""Small models for tests of the preset, export and command-line machinery."""

from keras_stlstm.testing.tiny_models import TinyClipClassifier, TinyFramePredictor  # noqa: F401
from keras_stlstm.testing.presets import register_temporary_preset  # noqa: F401
