"""Optimisers of the training recipes."""

import keras


def e3d_optimizer(learning_rate=1e-3):
    """The E3D-LSTM recipe's optimiser: Adam with learning rate 1e-3 (google/e3d_lstm).

    Args:
        learning_rate: float (or a Keras learning-rate schedule).

    Returns:
        A `keras.optimizers.Adam`.

    Example:

    >>> round(float(e3d_optimizer().learning_rate), 6)  # a float32 variable
    0.001
    """
    return keras.optimizers.Adam(learning_rate=learning_rate)


def adam_cosine(learning_rate=1e-3, decay_steps=None, warmup_steps=0, alpha=0.0):
    """Adam with a linear warm-up to `learning_rate`, then a cosine decay to `alpha` × it.

    The run supplies `decay_steps` (its epochs × steps per epoch). Meant for a run
    that ends on a step count rather than a time budget (a budget that stops it
    early leaves the rate part-way down), e.g. the continuation stage of a warm
    start (keras_stlstm.training.warm_start), where the warm-up spares the loaded
    weights the large first steps of a fresh Adam.

    Args:
        learning_rate: peak learning rate.
        decay_steps: steps of the run, warm-up included (supplied by the run).
        warmup_steps: steps of the linear warm-up from 0.
        alpha: final learning rate as a fraction of `learning_rate`.

    Returns:
        A `keras.optimizers.Adam`.

    Example:

    >>> optimizer = adam_cosine(1e-3, decay_steps=1000, warmup_steps=100)
    >>> round(float(optimizer.learning_rate), 6)  # at step 0 of the warm-up
    0.0
    """
    if not decay_steps or decay_steps <= warmup_steps:
        raise ValueError(f"adam_cosine needs decay_steps > warmup_steps; received decay_steps={decay_steps!r}, "
                         f"warmup_steps={warmup_steps!r}.")
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0 if warmup_steps else learning_rate,
        decay_steps=decay_steps - warmup_steps,
        alpha=alpha,
        warmup_target=learning_rate if warmup_steps else None,
        warmup_steps=warmup_steps,
    )
    return keras.optimizers.Adam(learning_rate=schedule)
