"""Data-parallel training on the backends' own engines.

- JAX: `keras.distribution.DataParallel` over every device JAX sees, those of
  every process of a multi-process job included (set for the duration of the
  scope, then the previous distribution is restored).
- TensorFlow: `tf.distribute.MirroredStrategy` over the GPUs, or over the logical
  CPUs when there is no GPU but several CPUs are configured
  (`tf.config.set_logical_device_configuration`); in a multi-process job, the
  job's `tf.distribute.MultiWorkerMirroredStrategy` (from TF_CONFIG).
- torch: Keras has no distribution support for it: a one-line ValueError.

Models must be built, compiled and fitted inside the scope.
"""

import contextlib

import keras

from keras_stlstm.training import tf_multi_worker


def replica_count(distribution):
    """Number of devices a batch is split over (1 without distribution)."""
    if distribution is None:
        return 1
    if hasattr(distribution, "num_replicas_in_sync"):
        return int(distribution.num_replicas_in_sync)
    return len(distribution.device_mesh.devices.flatten())


@contextlib.contextmanager
def distribution_scope(name):
    """Context manager for recipe `distribution` = "none" or "data_parallel".

    Yields:
        None, the `keras.distribution.DataParallel` (JAX) or the
        `tf.distribute.MirroredStrategy` (TensorFlow).
    """
    if name == "none":
        yield None
        return
    if name != "data_parallel":
        raise ValueError(f"`distribution` must be 'none' or 'data_parallel'; received {name!r}.")
    backend = keras.backend.backend()
    if backend == "jax":
        previous = keras.distribution.distribution()
        # The global device list: in a multi-process job (keras_stlstm.training.multi_process)
        # it spans every process; each process feeds its own slice of the batch.
        keras.distribution.set_distribution(keras.distribution.DataParallel(
            devices=keras.distribution.list_devices(), auto_shard_dataset=False))
        try:
            yield keras.distribution.distribution()
        finally:
            keras.distribution.set_distribution(previous)
    elif backend == "tensorflow":
        import tensorflow as tf

        # In a multi-process job (keras_stlstm.training.multi_process), the job's
        # MultiWorkerMirroredStrategy; each process feeds its own slice of the batch.
        strategy = tf_multi_worker.strategy()
        if strategy is None:
            devices = [d.name for d in tf.config.list_logical_devices("GPU")]
            devices = devices or [d.name for d in tf.config.list_logical_devices("CPU")]
            strategy = tf.distribute.MirroredStrategy(devices)
        with strategy.scope():
            yield strategy
    else:
        # Keras 3 has a distribution library for JAX and TensorFlow only (none for torch).
        raise ValueError(
            f"distribution='data_parallel' needs the 'jax' or 'tensorflow' backend (Keras has no "
            f"data-parallel support for {backend!r}); set KERAS_BACKEND=jax or tensorflow, or "
            f"distribution='none'."
        )
