"""Per-iteration schedules of the training recipes, as Keras callbacks.

`ScheduledSampling` moves a model's non-trainable scheduled-sampling probability
η (`VideoPredictor.sampling_probability`) along the E3D recipe's linear decay.
The iteration is read from `model.optimizer.iterations`, so a run restored by
the training backup (`keras_stlstm.training.backup`) continues the schedule where it stopped.
"""

import keras


def linear_decay(iteration, start, rate, end, stop_iteration=None):
    """max(end, start - rate * iteration), and `end` from `stop_iteration` on.

    Args:
        iteration: number of training iterations done (0 for the first step).
        start: value at iteration 0.
        rate: decrease per iteration.
        end: floor of the value.
        stop_iteration: iteration from which the value is `end` (None: never forced).

    Returns:
        float.
    """
    if iteration < 0:
        raise ValueError(f"`iteration` must be >= 0; received {iteration}.")
    if stop_iteration is not None and iteration >= stop_iteration:
        return float(end)
    return float(max(end, start - rate * iteration))


def scheduled_sampling_probability(iteration, start=1.0, rate=2e-5, stop_iteration=50000, end=0.0):
    """The E3D recipe's η: 1.0 at iteration 0, minus 2e-5 per iteration, 0 from 50,000 on.

    (google/e3d_lstm decrements η before its first step, so its step number
    `i` (1-based) uses the value this function gives for `iteration = i`; here
    the first step, iteration 0, trains with η = start exactly.)

    Example:

    >>> scheduled_sampling_probability(25000)
    0.5
    """
    return linear_decay(iteration, start, rate, end, stop_iteration)


class ScheduledSampling(keras.callbacks.Callback):
    """Sets the model's scheduled-sampling probability η before every training batch.

    η = `scheduled_sampling_probability(iterations, start, rate, stop_iteration,
    end)`, with `iterations` = `model.optimizer.iterations`. The value is also
    written to the epoch logs as "sampling_probability" (so `CSVLogger` records
    it when it comes after this callback).

    Args:
        start: η at iteration 0 (1.0: only true frames).
        rate: decrease per iteration (2e-5).
        stop_iteration: iteration from which η = end (50,000).
        end: final η (0.0: only the model's own predictions).
        attribute: name of the model attribute holding the `keras.Variable`.

    Example:

    >>> callback = ScheduledSampling(rate=1e-3, stop_iteration=1000)
    >>> model.fit(dataset, epochs=10, callbacks=[callback])  # doctest: +SKIP
    """

    def __init__(self, start=1.0, rate=2e-5, stop_iteration=50000, end=0.0, attribute="sampling_probability"):
        super().__init__()
        for name, value in (("start", start), ("rate", rate), ("end", end)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"Argument `{name}` must be a number; received {name}={value!r}.")
        if not 0.0 <= end <= 1.0 or not 0.0 <= start <= 1.0:
            raise ValueError(f"`start` and `end` are probabilities in [0, 1]; received start={start}, end={end}.")
        if rate < 0:
            raise ValueError(f"Argument `rate` must be >= 0; received rate={rate}.")
        if stop_iteration is not None and (isinstance(stop_iteration, bool) or not isinstance(stop_iteration, int)):
            raise ValueError(f"Argument `stop_iteration` must be an int or None; received {stop_iteration!r}.")
        self.start, self.rate, self.stop_iteration, self.end = float(start), float(rate), stop_iteration, float(end)
        self.attribute = attribute
        self.value = float(start)

    def _variable(self):
        variable = getattr(self.model, self.attribute, None)
        if variable is None or not hasattr(variable, "assign"):
            raise ValueError(
                f"ScheduledSampling needs a model with a `{self.attribute}` variable (e.g. "
                f"VideoPredictor); {type(self.model).__name__} has none."
            )
        return variable

    def value_at(self, iteration):
        return scheduled_sampling_probability(iteration, self.start, self.rate, self.stop_iteration, self.end)

    def on_train_begin(self, logs=None):
        self._variable()  # fail before the first step, not inside it

    def on_train_batch_begin(self, batch, logs=None):
        # On JAX, fit holds the variables' values outside the model between
        # steps; writing the model's variables to them first makes the next step
        # pick up the new value.
        if getattr(self.model, "_jax_state", None) is not None:
            self.model.jax_state_sync()
        iteration = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        self.value = self.value_at(iteration)
        self._variable().assign(self.value)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["sampling_probability"] = self.value

    def get_config(self):
        return {
            "start": self.start,
            "rate": self.rate,
            "stop_iteration": self.stop_iteration,
            "end": self.end,
            "attribute": self.attribute,
        }
