"""The E3D paper's self-supervised auxiliary loss for early activity recognition.

loss = λ · ‖X - X̂‖² + cross-entropy, with λ(i) = max(η, λ(0) - ε·i) at training
iteration i: λ(0) = 10, ε = 2e-5, η = 0.1 (E3D paper section 4.4). The next-frame
term first dominates (the network learns the dynamics), then the classification
takes over.

λ lives in the model (`EarlyActivityRecognizer.auxiliary_loss_weight`, a
non-trainable `keras.Variable`); `early_activity_losses(model)` builds the losses
that read it and `AuxiliaryLossSchedule` moves it along the schedule before every
training batch.

The L2 term here is the mean squared error over the predicted pixels (not the
per-frame sum): with the sum, λ = 10 would scale with the frame size.
"""

import keras
from keras import ops

from keras_stlstm.training.schedules import linear_decay


def auxiliary_loss_weight(iteration, start=10.0, rate=2e-5, floor=0.1):
    """λ(i) = max(floor, start - rate · i).

    Example:

    >>> auxiliary_loss_weight(0), auxiliary_loss_weight(100000), auxiliary_loss_weight(10 ** 6)
    (10.0, 8.0, 0.1)
    """
    return linear_decay(iteration, start, rate, floor)


@keras.saving.register_keras_serializable(package="keras_stlstm")
class WeightedLoss(keras.losses.Loss):
    """A loss multiplied by a weight that may be a `keras.Variable`.

    Keras' `compile(loss_weights=...)` fixes the weights when the train step is
    traced; a variable read inside the loss keeps up with a schedule. For JAX the
    variable must belong to the model (JAX's train step maps only the model's
    variables to their current values).

    Args:
        loss: a loss name or function giving per-element values (default
            "mean_squared_error": the mean over the last axis).
        weight: float or a scalar `keras.Variable`.
        name, reduction: as in `keras.losses.Loss`.

    Example:

    >>> import numpy as np
    >>> loss = WeightedLoss("mean_squared_error", weight=keras.Variable(2.0))
    >>> float(loss(np.zeros((1, 4)), np.ones((1, 4))))
    2.0
    """

    def __init__(self, loss="mean_squared_error", weight=1.0, name="weighted_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.loss = loss
        self.loss_fn = keras.losses.get(loss)
        self.weight = weight

    def call(self, y_true, y_pred):
        values = self.loss_fn(y_true, y_pred)
        return ops.cast(self.weight, values.dtype) * values

    def get_config(self):
        config = super().get_config()
        weight = self.weight
        if isinstance(weight, keras.Variable):
            weight = float(ops.convert_to_numpy(weight.value))
        loss = self.loss if isinstance(self.loss, str) else keras.losses.serialize(self.loss)
        config.update({"loss": loss, "weight": weight})
        return config


def early_activity_losses(model):
    """The losses for `model.compile(loss=...)` of an `EarlyActivityRecognizer`.

    Returns:
        {"label": sparse categorical cross-entropy (integer labels),
         "frames": λ · mean squared error with λ = `model.auxiliary_loss_weight`}.

    Raises:
        ValueError: the model has no `auxiliary_loss_weight` variable.

    Example:

    >>> model.compile(optimizer="adam", loss=early_activity_losses(model))  # doctest: +SKIP
    >>> model.fit(clips, early_activity_targets(clips, labels),
    ...           callbacks=[AuxiliaryLossSchedule()])  # doctest: +SKIP
    """
    weight = _weight_variable(model, "auxiliary_loss_weight")
    return {
        "label": keras.losses.SparseCategoricalCrossentropy(name="label_loss"),
        "frames": WeightedLoss("mean_squared_error", weight=weight, name="frames_loss"),
    }


def _weight_variable(model, attribute):
    variable = getattr(model, attribute, None)
    if not isinstance(variable, keras.Variable):
        raise ValueError(
            f"The auxiliary loss schedule needs a model with a `{attribute}` keras.Variable "
            f"(e.g. EarlyActivityRecognizer); {type(model).__name__} has none."
        )
    return variable


class AuxiliaryLossSchedule(keras.callbacks.Callback):
    """Sets the model's auxiliary loss weight λ before every training batch.

    λ = `auxiliary_loss_weight(iterations, start, rate, floor)` with `iterations`
    = `model.optimizer.iterations`, so a resumed run continues the schedule. The
    value is written to the epoch logs as "auxiliary_loss_weight".

    Args:
        start: λ(0) (10).
        rate: ε, the decrease per iteration (2e-5).
        floor: η, the smallest λ (0.1).
        attribute: the model attribute holding the variable.

    Example:

    >>> model.fit(clips, targets, epochs=5, callbacks=[AuxiliaryLossSchedule()])  # doctest: +SKIP
    """

    def __init__(self, start=10.0, rate=2e-5, floor=0.1, attribute="auxiliary_loss_weight"):
        super().__init__()
        for name, value in (("start", start), ("rate", rate), ("floor", floor)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(
                    f"Argument `{name}` must be a non-negative number. Received: {name}={value!r}"
                )
        if floor > start:
            raise ValueError(f"Argument `floor` ({floor}) must not exceed `start` ({start}).")
        self.start, self.rate, self.floor = float(start), float(rate), float(floor)
        self.attribute = attribute
        self.value = self.start

    def value_at(self, iteration):
        return auxiliary_loss_weight(iteration, self.start, self.rate, self.floor)

    def on_train_begin(self, logs=None):
        _weight_variable(self.model, self.attribute)  # fail before the first step

    def on_train_batch_begin(self, batch, logs=None):
        # On JAX, fit keeps the variables' values outside the model between
        # steps; syncing first makes the next step read the value set here.
        if getattr(self.model, "_jax_state", None) is not None:
            self.model.jax_state_sync()
        iteration = int(ops.convert_to_numpy(self.model.optimizer.iterations))
        self.value = self.value_at(iteration)
        _weight_variable(self.model, self.attribute).assign(self.value)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["auxiliary_loss_weight"] = self.value

    def get_config(self):
        return {"start": self.start, "rate": self.rate, "floor": self.floor, "attribute": self.attribute}
