"""Small models for tests of the preset, export and command-line machinery."""

from keras_stlstm.testing.tiny_models import TinyClipClassifier, TinyFramePredictor  # noqa: F401
