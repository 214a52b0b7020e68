"""keras-stlstm: Keras 3 spatiotemporal LSTMs (ConvLSTM variants, ST-LSTM, E3D-LSTM) with pretrained weights."""

__version__ = "0.1.0"

from keras_stlstm import layers  # noqa: E402,F401  (registers the layers)
from keras_stlstm import metrics  # noqa: E402,F401  (registers the Keras metrics)
from keras_stlstm import models  # noqa: E402,F401  (registers the task models)
from keras_stlstm.presets import from_preset, list_presets, upload_preset  # noqa: E402,F401  (cheap: Hub/TF imported lazily)
