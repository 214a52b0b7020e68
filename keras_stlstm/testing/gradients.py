"""Gradients on whichever Keras backend is running (TensorFlow, JAX or PyTorch).

Keras 3 has no backend-agnostic gradient call, so tests that check a backward
pass go through one of these two functions instead of each writing its own
GradientTape / jax.grad / torch.autograd branch. Both return NumPy arrays.
"""

import keras
import numpy as np


def _backend():
    backend = keras.backend.backend()
    if backend not in ("tensorflow", "jax", "torch"):
        raise ValueError(f"Gradients need the tensorflow, jax or torch backend; the current backend is {backend!r}.")
    return backend


def argument_gradients(fn, args, argnums):
    """Gradients of the scalar `fn(*args)` with respect to `args[i]` for i in `argnums`.

    Args:
        fn: function of `len(args)` tensors returning a scalar (keras.ops inside).
        args: NumPy arrays.
        argnums: tuple of argument positions to differentiate.

    Returns:
        list of NumPy arrays, one per position in `argnums`.
    """
    backend = _backend()
    if backend == "jax":
        import jax

        return [np.asarray(g) for g in jax.grad(fn, argnums=tuple(argnums))(*args)]
    if backend == "torch":
        import torch

        tensors = [torch.tensor(a, requires_grad=i in argnums) for i, a in enumerate(args)]
        grads = torch.autograd.grad(fn(*tensors), [tensors[i] for i in argnums])
        return [g.detach().cpu().numpy() for g in grads]
    import tensorflow as tf

    tensors = [tf.constant(a) for a in args]
    with tf.GradientTape() as tape:
        tape.watch([tensors[i] for i in argnums])
        loss = fn(*tensors)
    return [np.asarray(g) for g in tape.gradient(loss, [tensors[i] for i in argnums])]


def layer_gradients(layer, loss_of_output, *inputs):
    """Gradients of `loss_of_output(layer(*inputs))` with respect to `layer.trainable_variables`.

    Returns:
        list of NumPy arrays in the order of `layer.trainable_variables`
        (None for a variable the loss does not reach).
    """
    backend = _backend()
    variables = layer.trainable_variables
    if backend == "jax":
        import jax

        fixed = [v.value for v in layer.non_trainable_variables]

        def loss(values):
            out, _ = layer.stateless_call(values, fixed, *inputs)
            return loss_of_output(out)

        return [np.asarray(g) for g in jax.grad(loss)([v.value for v in variables])]
    if backend == "torch":
        import torch

        loss = loss_of_output(layer(*inputs))
        grads = torch.autograd.grad(loss, [v.value for v in variables], allow_unused=True)
        return [None if g is None else g.detach().cpu().numpy() for g in grads]
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = loss_of_output(layer(*inputs))
    return [None if g is None else np.asarray(g) for g in tape.gradient(loss, variables)]
