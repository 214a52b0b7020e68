"""The gesture paper's Res3D + ConvLSTM-variant + MobileNet network."""

from keras_stlstm.models.gesture.configs import GESTURE_CONFIGS
from keras_stlstm.models.gesture.gesture_recognizer import GestureRecognizer, recurrent_layer_classes
