"""The E3D paper's early activity recognition network."""

from keras_stlstm.models.early_activity.clips import early_activity_targets, early_fraction_clip
from keras_stlstm.models.early_activity.configs import EARLY_ACTIVITY_CONFIGS
from keras_stlstm.models.early_activity.early_activity_recognizer import EarlyActivityRecognizer
