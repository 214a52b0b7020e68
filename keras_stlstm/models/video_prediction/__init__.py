"""Video prediction: `VideoPredictor` (E3D-LSTM, PredRNN, ConvLSTM backbones) and its parts."""

from keras_stlstm.models.video_prediction.backbones import BACKBONES, ConvLSTMStackCell
from keras_stlstm.models.video_prediction.patching import patch_frames, unpatch_frames
from keras_stlstm.models.video_prediction.prediction_cell import FramePredictionCell
from keras_stlstm.models.video_prediction.rollout import ScheduledSamplingRollout
from keras_stlstm.models.video_prediction.video_predictor import VideoPredictor
