"""Training machinery: losses, optimiser recipes, schedules, and the recipe-driven `train` entry point."""

import warnings

from keras_stlstm.training.aux_schedule import (
    AuxiliaryLossSchedule,
    WeightedLoss,
    auxiliary_loss_weight,
    early_activity_losses,
)
from keras_stlstm.training.gesture_recipe import gesture_optimizer, gesture_steps
from keras_stlstm.training.losses import FutureFrameMSE, future_frame_mse, l1_l2_loss
from keras_stlstm.training.optimizers import e3d_optimizer
from keras_stlstm.training.recipe import builtin_recipes, load_recipe
from keras_stlstm.training.schedules import ScheduledSampling, scheduled_sampling_probability
from keras_stlstm.training.train import TrainResult, train, train_stages

# `python -m keras_stlstm.training.train` imports this package, which has already
# imported that module for `train`; runpy then warns that the module is in
# sys.modules. Running it that way is intended, so silence exactly that warning.
warnings.filterwarnings(
    "ignore", message=r"'keras_stlstm\.training\.train' found in sys\.modules", category=RuntimeWarning
)
