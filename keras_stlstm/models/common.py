"""Shared pieces of the task models: named configurations, config values, clip-shape checks, the clip-model base."""

import keras
import numpy as np

from keras_stlstm.models.clip_preprocessor import ClipPreprocessor, PreprocessorMixin
from keras_stlstm.models.streaming import zero_states
from keras_stlstm.utils.inputs import check_frames


def resolve_named_config(table, config, kind, overrides):
    """`table[config]` (default "paper") with every non-None override applied.

    Args:
        table: dict of configuration name -> dict of arguments.
        config: a name of `table`, or None for "paper".
        kind: what the table configures, for the error message.
        overrides: dict of explicit arguments; None values are ignored.

    Returns:
        A new dict.

    Raises:
        ValueError: unknown configuration name (the message lists the valid ones).
    """
    name = "paper" if config is None else config
    if not isinstance(name, str) or name not in table:
        raise ValueError(
            f"Unknown {kind} configuration {config!r}; expected one of "
            f"{sorted(table)} or None (= 'paper')."
        )
    resolved = dict(table[name])
    resolved.update({k: v for k, v in overrides.items() if v is not None})
    return resolved


def jsonable(value):
    """Tuples become lists (what a config round-trip through JSON gives)."""
    return list(value) if isinstance(value, tuple) else value


def check_clip_shape(model_name, shape, expected, hint):
    """Raises a ValueError unless `shape` is (batch,) + `expected` (None matches anything).

    Args:
        model_name: the model class name, for the message.
        shape: the received input shape, batch axis included.
        expected: per-sample (frames, height, width, channels).
        hint: how to fix it, appended to the message.
    """
    shape = tuple(shape)
    if len(shape) != len(expected) + 1 or any(
        got is not None and got != want for got, want in zip(shape[1:], expected)
    ):
        raise ValueError(
            f"{model_name} expects clips of shape (batch, frames, height, width, channels) "
            f"= (batch, {', '.join(map(str, expected))}); received shape {shape}. {hint}"
        )


class CheckedPredict:
    """`predict` and `predict_on_batch` check NumPy clips first (`check_frames`).

    Mixed in before `keras.Model`: NaN or inf frames, wrong dtypes and float
    values outside [0, 1] raise a one-line ValueError instead of giving NaN or
    meaningless outputs, and uint8 clips (0-255) are rescaled to [0, 1].
    Tensors and datasets go through as they are.
    """

    def predict(self, x, *args, **kwargs):
        return super().predict(self._checked_input(x), *args, **kwargs)

    def predict_on_batch(self, x):
        return super().predict_on_batch(self._checked_input(x))

    def _checked_input(self, x):
        """NumPy clips through `check_frames` (uint8 rescaled); other inputs as they are."""
        return check_frames(x, "x") if isinstance(x, np.ndarray) else x


def check_class_names(class_names, num_classes):
    """`class_names` as a list of `num_classes` strings, or None.

    Raises:
        ValueError: not a list of `num_classes` strings.
    """
    if class_names is None:
        return None
    if isinstance(class_names, str) or not all(isinstance(n, str) for n in class_names):
        raise ValueError(f"`class_names` must be a list of strings, one per class; received {class_names!r}.")
    names = list(class_names)
    if len(names) != num_classes:
        raise ValueError(
            f"`class_names` must hold num_classes={num_classes} names, one per class; received {len(names)}."
        )
    return names


class ClipModel(PreprocessorMixin, CheckedPredict):
    """Plumbing shared by the functional clip models (GestureRecognizer, EarlyActivityRecognizer).

    Mixed in before `keras.Model`. A subclass stores `spec` (with "frames" and
    "image_size"), `num_classes` and `input_channels`, builds its graph on
    `clip_input(spec, input_channels)`, keeps `class_names` (saved in its config, so
    a preset tells which label is which; see `check_class_names`), names the last layer of its backbone in
    `backbone_output_layer`, and defines `clip_shape_hint()` (how to fix a wrongly shaped clip) and
    `streaming_model()`.
    """

    @staticmethod
    def clip_input(spec, input_channels):
        """The model's "frames" input: (frames, H, W, C) per sample."""
        return keras.Input((spec["frames"],) + spec["image_size"] + (input_channels,), name="frames")

    def default_preprocessor(self):
        """Samples, resizes and rescales raw clips to the clip input (batch, frames, H, W, C)."""
        return ClipPreprocessor.for_model(self)

    @property
    def backbone(self):
        """The network before the task heads (keras_hub's `backbone`): a functional view from the clip
        input to the output of the layer named `backbone_output_layer`, sharing this model's layers (a new
        view on every access). `model.backbone.trainable = False` freezes exactly those layers (a frozen
        BatchNormalization runs in inference mode), so fine-tuning trains the heads alone."""
        output = self.get_layer(self.backbone_output_layer).output
        return keras.Model(self.inputs, output, name=f"{self.name}_backbone")

    @property
    def clip_shape(self):
        """Per-sample input shape (frames, H, W, C)."""
        return (self.spec["frames"],) + self.spec["image_size"] + (self.input_channels,)

    def clip_shape_hint(self):
        raise NotImplementedError

    def call(self, inputs, training=None, mask=None):
        check_clip_shape(type(self).__name__, inputs.shape, self.clip_shape, self.clip_shape_hint())
        self._refuse_integer_clips(inputs)
        return super().call(inputs, training=training, mask=mask)

    def _refuse_integer_clips(self, clips):
        """Keras would cast 0-255 integers to float as they are: a different, wrong prediction."""
        dtype = getattr(clips, "dtype", None)
        if dtype is not None and "int" in keras.backend.standardize_dtype(dtype):
            raise ValueError(
                f"{type(self).__name__} takes float clips in [0, 1]; received {keras.backend.standardize_dtype(dtype)} "
                "clips. Pass them through model.preprocessor first (it rescales 0-255 integers), or divide by 255 "
                "(predict and predict_on_batch rescale uint8 NumPy clips themselves)."
            )

    # Checked before Keras' compiled functions run too: an error raised while JAX traces one leaves
    # the model's variables unusable. (`predict` first rescales uint8 NumPy clips, see CheckedPredict.)
    def _checked_input(self, x):
        x = super()._checked_input(x)
        self._refuse_integer_clips(x)
        return x

    def fit(self, x=None, *args, **kwargs):
        self._refuse_integer_clips(x)
        return super().fit(x, *args, **kwargs)

    def evaluate(self, x=None, *args, **kwargs):
        self._refuse_integer_clips(x)
        return super().evaluate(x, *args, **kwargs)

    def streaming_initial_state(self, batch_size=1):
        """Zero NumPy float32 states for `streaming_model()`'s state inputs."""
        return zero_states(self.streaming_model(), batch_size)

    def clip_config(self, spec):
        """The constructor arguments every clip model shares, plus the resolved `spec`."""
        return {
            "name": self.name,
            "trainable": self.trainable,
            "num_classes": self.num_classes,
            "class_names": self.class_names,
            "input_channels": self.input_channels,
            "config": None,
            **{key: jsonable(value) for key, value in spec.items()},
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
