"""The gesture paper's training recipe (official training_res3d_*_mobilenet.py).

SGD with momentum 0.9, learning rate decayed polynomially from 1e-3 to 1e-6 with
power 0.9 over the whole run, weight decay 5e-5. Jester: 30 epochs, batch 16,
from scratch; IsoGD: fine-tuned from Jester, batch 8, 32 frames, 15 epochs.
"""

import keras

from keras_stlstm.layers.base import check_positive_int

# Variables the official code does not decay: it puts L2 regularisers on the
# convolution, recurrent and dense kernels only, not on biases or batch norm.
NOT_DECAYED = ("bias", "gamma", "beta")


def gesture_steps(num_clips, batch_size, epochs):
    """Optimizer steps of a run: ceil(num_clips / batch_size) · epochs.

    Example:

    >>> gesture_steps(148094, 16, 30)  # Jester
    277680
    """
    check_positive_int(num_clips, "num_clips")
    check_positive_int(batch_size, "batch_size")
    check_positive_int(epochs, "epochs")
    return -(-num_clips // batch_size) * epochs


def gesture_optimizer(
    steps,
    initial_lr=1e-3,
    end_lr=1e-6,
    power=0.9,
    momentum=0.9,
    weight_decay=5e-5,
    decay_all_variables=False,
):
    """SGD + polynomial learning-rate decay + weight decay, the gesture recipe.

    The learning rate at step i is (initial_lr - end_lr) · (1 - i / steps)^power
    + end_lr (`keras.optimizers.schedules.PolynomialDecay`), then end_lr.

    Weight decay is the optimizer's own (decoupled) one: every step does
    w ← w - lr · weight_decay · w. The official code instead adds the L2 penalty
    weight_decay · ‖w‖² to the loss, whose gradient 2 · weight_decay · w then
    goes through momentum; the two are close in effect but not identical. Like the
    official regularisers, biases and batch-norm parameters are not decayed unless
    `decay_all_variables`.

    Args:
        steps: number of optimizer steps of the whole run (see `gesture_steps`).
        initial_lr, end_lr, power: the polynomial decay.
        momentum: SGD momentum.
        weight_decay: decoupled weight decay (0 disables it).
        decay_all_variables: also decay biases and batch-norm gammas and betas.

    Returns:
        A `keras.optimizers.SGD`.

    Example:

    >>> optimizer = gesture_optimizer(gesture_steps(148094, 16, 30))
    >>> float(optimizer.learning_rate)
    0.001
    """
    check_positive_int(steps, "steps")
    for name, value in (("initial_lr", initial_lr), ("end_lr", end_lr), ("power", power)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"Argument `{name}` must be a positive number. Received: {name}={value!r}")
    if end_lr > initial_lr:
        raise ValueError(
            f"Argument `end_lr` ({end_lr}) must not exceed `initial_lr` ({initial_lr})."
        )
    if not 0 <= momentum < 1:
        raise ValueError(f"Argument `momentum` must be in [0, 1). Received: momentum={momentum}")
    if weight_decay < 0:
        raise ValueError(f"Argument `weight_decay` must be >= 0. Received: weight_decay={weight_decay}")
    schedule = keras.optimizers.schedules.PolynomialDecay(
        initial_learning_rate=initial_lr,
        decay_steps=steps,
        end_learning_rate=end_lr,
        power=power,
    )
    optimizer = keras.optimizers.SGD(
        learning_rate=schedule,
        momentum=momentum,
        weight_decay=weight_decay or None,
    )
    if weight_decay and not decay_all_variables:
        optimizer.exclude_from_weight_decay(var_names=list(NOT_DECAYED))
    return optimizer
