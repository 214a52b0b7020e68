"""Named configurations of `GestureRecognizer`.

- "paper": the official architecture (112×112 frames, L = 16 as for Jester,
  Res3D 64/128/256, two 256-filter recurrent layers at 28×28, the full MobileNet
  top). Centred ('same') temporal padding, as in the official code.
- "small": the same layout at a size a CPU can train: 64×64 frames, 16 frames,
  every channel count divided by 4, 64-filter recurrent layers (at 16×16). Causal.
- "cpu": what the shipped synthetic-gesture presets use, trainable on a 2-core
  CPU in minutes: 32×32 frames, 8 frames, the "small" Res3D, 32-filter recurrent
  layers (at 8×8), MobileNet channels / 8. Causal.
- "tiny": for tests and smoke runs: 16×16 frames, 4 frames, 8 channels throughout,
  a two-layer top. Causal.

Any argument given explicitly to `GestureRecognizer` overrides the configuration.
"""

from keras_stlstm.models.common import resolve_named_config
from keras_stlstm.models.gesture.mobilenet_top import PAPER_TOP

GESTURE_CONFIGS = {
    "paper": dict(
        frames=16,
        image_size=(112, 112),
        res3d_filters=(64, 128, 256),
        recurrent_filters=256,
        recurrent_kernel_size=3,
        top_filters=tuple(f for f, _ in PAPER_TOP),
        top_strides=tuple(s for _, s in PAPER_TOP),
        causal=False,
    ),
    "small": dict(
        frames=16,
        image_size=(64, 64),
        res3d_filters=(16, 32, 64),
        recurrent_filters=64,
        recurrent_kernel_size=3,
        top_filters=tuple(f // 4 for f, _ in PAPER_TOP),
        top_strides=tuple(s for _, s in PAPER_TOP),
        causal=True,
    ),
    "cpu": dict(
        frames=8,
        image_size=(32, 32),
        res3d_filters=(16, 32, 64),
        recurrent_filters=32,
        recurrent_kernel_size=3,
        top_filters=tuple(f // 8 for f, _ in PAPER_TOP),
        top_strides=tuple(s for _, s in PAPER_TOP),
        causal=True,
    ),
    "tiny": dict(
        frames=4,
        image_size=(16, 16),
        # Few distinct weight shapes: on JAX every new shape costs an XLA compile.
        res3d_filters=(8, 8, 8),
        recurrent_filters=8,
        recurrent_kernel_size=3,
        top_filters=(8, 8),
        top_strides=(1, 2),
        causal=True,
    ),
}


def resolve_config(config, **overrides):
    """The named configuration with every non-None override applied (ValueError if unknown)."""
    return resolve_named_config(GESTURE_CONFIGS, config, "gesture", overrides)
