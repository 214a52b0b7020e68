"""Named configurations of `EarlyActivityRecognizer`.

- "paper": the E3D paper's network (section 4.4): 2 Conv3D encoder layers of 64
  filters (2×5×5), 4 E3D-LSTM layers of 64, classifier on the last 16 steps (two
  Conv3D of 128, dense 512). The paper does not give the frame size; here 112×112
  frames with the encoder striding 2 twice (E3D at 28×28), and 32 frames (the early
  part of a clip resampled to 32).
- "small": 32×32 frames, 16 frames, 16-filter encoder and two E3D layers of 16 at
  16×16, classifier on the last 8 steps: trainable on a CPU.
- "tiny": for tests: 16×16 frames, 8 frames, E3D at 4×4.

Explicit arguments to `EarlyActivityRecognizer` override the configuration. For the
paper's online setting, pass recall_window=5, classifier_steps=5.
"""

from keras_stlstm.models.common import resolve_named_config

EARLY_ACTIVITY_CONFIGS = {
    "paper": dict(
        frames=32,
        image_size=(112, 112),
        encoder_filters=64,
        encoder_strides=(2, 2),
        lstm_filters=(64, 64, 64, 64),
        kernel_size=(2, 5, 5),
        depth=2,
        classifier_steps=16,
        classifier_filters=128,
        dense_units=512,
    ),
    "small": dict(
        frames=16,
        image_size=(32, 32),
        encoder_filters=16,
        encoder_strides=(2, 1),
        lstm_filters=(16, 16),
        kernel_size=(2, 3, 3),
        depth=2,
        classifier_steps=8,
        classifier_filters=32,
        dense_units=64,
    ),
    "tiny": dict(
        frames=8,
        image_size=(16, 16),
        encoder_filters=4,
        encoder_strides=(2, 2),
        lstm_filters=(4, 4),
        kernel_size=(2, 3, 3),
        depth=2,
        classifier_steps=4,
        classifier_filters=8,
        dense_units=16,
    ),
}


def resolve_config(config, **overrides):
    """The named configuration with every non-None override applied (ValueError if unknown)."""
    return resolve_named_config(EARLY_ACTIVITY_CONFIGS, config, "early-activity", overrides)
