"""Task models built on the recurrent layers (Keras functional models, keras_hub style)."""

from keras_stlstm.models.early_activity import (
    EarlyActivityRecognizer,
    early_activity_targets,
    early_fraction_clip,
)
from keras_stlstm.models.gesture import GestureRecognizer
from keras_stlstm.models.video_prediction import VideoPredictor
