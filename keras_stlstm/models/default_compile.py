"""`compile()` with a task's defaults, as keras_hub tasks have: `model.compile()` then `model.fit(...)`."""

import keras

# The optimiser "auto" gives: Adam at a fine-tuning learning rate (the README's fine-tuning example).
DEFAULT_LEARNING_RATE = 1e-4


class DefaultCompileMixin:
    """Mixed in before `keras.Model`: "auto" arguments of `compile` take the task's defaults.

    The loss and metrics are those of the model's training recipe task
    (`keras_stlstm.training.recipe.TASKS`): sparse categorical cross-entropy and
    accuracy for `GestureRecognizer`; the label and weighted next-frame losses
    for `EarlyActivityRecognizer`; the L1 + L2 loss and per-frame metrics for
    `VideoPredictor`. Anything passed explicitly is used as it is.

    Example:

    >>> model = GestureRecognizer("a", num_classes=3, config="tiny")  # doctest: +SKIP
    >>> model.compile()  # Adam(1e-4), sparse_categorical_crossentropy, ["accuracy"]  # doctest: +SKIP
    """

    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs):
        from keras_stlstm.training.recipe import MODEL_CLASSES, TASKS
        from keras_stlstm.training.train import resolve_loss, resolve_metrics

        task = TASKS[_task_name(type(self), MODEL_CLASSES)]
        if _is_auto(optimizer):
            optimizer = keras.optimizers.Adam(DEFAULT_LEARNING_RATE)
        if _is_auto(loss):
            loss = resolve_loss(task["loss"], self)
        if _is_auto(metrics):
            metrics = resolve_metrics(task["metrics"], self)
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def compile_from_config(self, config):
        """Recompiles a loaded model as Keras would (which skips, with a warning, any model
        whose compile() is overridden); the saved config names every argument explicitly."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        if getattr(self, "optimizer", None) is not None and self.built:
            self.optimizer.build(self.trainable_variables)


def _is_auto(value):
    return isinstance(value, str) and value == "auto"


def _task_name(cls, model_classes):
    """The task of the first class in `cls`'s MRO that recipes know (subclasses inherit it)."""
    for base in cls.__mro__:
        if base.__name__ in model_classes:
            return model_classes[base.__name__][1]
    raise ValueError(f"{cls.__name__} has no default task; pass loss= and metrics= to compile().")
