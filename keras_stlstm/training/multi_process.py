"""Training in several processes (one or more machines) on the backends' own engines.

A job of N processes runs the same command in every process; each process is
told its place by Keras' own environment variables:

- `KERAS_DISTRIBUTION_JOB_ADDRESSES`: "host:port" of process 0 (the coordinator),
  or the comma-separated addresses of all processes;
- `KERAS_DISTRIBUTION_NUM_PROCESSES`: N;
- `KERAS_DISTRIBUTION_PROCESS_ID`: 0 .. N-1.

JAX: `keras.distribution.initialize` (which calls `jax.distributed.initialize`)
joins the job, and the recipe's `distribution = "data_parallel"` then spans the
devices of every process (`keras.distribution.DataParallel` over the global
device list); gradients are reduced by XLA's collectives (gloo on CPU).

TensorFlow: the job is described by `TF_CONFIG` instead (TensorFlow's own
variable), and `tf.distribute.MultiWorkerMirroredStrategy` spans the devices of
every process; see `keras_stlstm.training.tf_multi_worker` for how Keras' `fit`
runs under it.

Within a job, every process reads only its slice of each global batch (see
`data_shard`), process 0 alone writes files (`is_chief`), and the others wait
for it at `barrier`s, which are collectives of the engine too.
"""

import os

import keras

from keras_stlstm.training import tf_multi_worker

ADDRESSES, NUM_PROCESSES, PROCESS_ID = (
    "KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES", "KERAS_DISTRIBUTION_PROCESS_ID")


def _env_int(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"Environment variable {name} must be an integer; received {value!r}.") from None


def unsupported_backend_error(backend):
    """Why `backend` cannot run a multi-process job, or None for JAX and TensorFlow."""
    if backend not in ("jax", "tensorflow"):
        return (f"Multi-process training runs on the JAX or TensorFlow backend (Keras has no multi-process "
                f"support for {backend!r}); set KERAS_BACKEND=jax or tensorflow.")
    return None


def requested_processes():
    """N of the job the environment describes (1 when it describes none)."""
    if keras.backend.backend() == "tensorflow":
        return max(1, tf_multi_worker.cluster_size(tf_multi_worker.tf_config()))
    return _env_int(NUM_PROCESSES, 1)


def initialize_from_environment():
    """Joins the job the environment describes; does nothing for one process or when already joined.

    Must run before the backend computes anything (JAX refuses to join
    afterwards; TensorFlow's strategy must configure the runtime first), so
    `train` calls it before reading the recipe.

    Raises:
        ValueError: a job on a backend other than JAX or TensorFlow, or an
            inconsistent environment (a process id outside 0 .. N-1, no
            coordinator address, a malformed TF_CONFIG, Keras' variables on
            TensorFlow).
    """
    backend = keras.backend.backend()
    if backend == "tensorflow" and _env_int(NUM_PROCESSES, 1) > 1 and not os.environ.get("TF_CONFIG"):
        raise ValueError(f"A TensorFlow job is described by TF_CONFIG, not by {NUM_PROCESSES}; set TF_CONFIG in "
                         "every process (see docs/distributed.md), or use KERAS_BACKEND=jax.")
    processes = requested_processes()
    if processes <= 1:
        return
    error = unsupported_backend_error(backend)
    if error:
        raise ValueError(error)
    if backend == "tensorflow":
        tf_multi_worker.join()
        return
    import jax

    if jax.distributed.is_initialized():
        return
    process_id = _env_int(PROCESS_ID, None)
    if process_id is None or not 0 <= process_id < processes:
        raise ValueError(f"{PROCESS_ID} must be set to this process's number, 0 .. {processes - 1}; "
                         f"received {os.environ.get(PROCESS_ID)!r}.")
    if not os.environ.get(ADDRESSES):
        raise ValueError(f"{ADDRESSES} must give the coordinator's host:port (process 0) for a job of "
                         f"{processes} processes.")
    keras.distribution.initialize(os.environ[ADDRESSES], processes, process_id)


def process_count():
    """Processes in the job (1 outside a job)."""
    if keras.backend.backend() == "jax":
        import jax

        return jax.process_count()
    if tf_multi_worker.strategy() is not None:
        return tf_multi_worker.cluster_size(tf_multi_worker.tf_config())
    return 1


def process_index():
    """This process's number in the job (0 outside a job)."""
    if keras.backend.backend() == "jax":
        import jax

        return jax.process_index()
    if tf_multi_worker.strategy() is not None:
        return tf_multi_worker.task_number(tf_multi_worker.tf_config())
    return 0


def is_chief():
    """True in the process that writes the run's files (process 0)."""
    return process_index() == 0


def barrier(name):
    """Waits until every process of the job reaches the barrier `name` (no-op for one process)."""
    if process_count() == 1:
        return
    if tf_multi_worker.strategy() is not None:
        tf_multi_worker.all_reduce_sum(0.0)  # returns once every process has given its number
        return
    from jax.experimental import multihost_utils

    multihost_utils.sync_global_devices(name)


def data_shard(batch_size):
    """(offset, count) of this process's slice of every global batch of `batch_size` examples.

    Process p of P reads examples p * B/P .. (p+1) * B/P - 1 of each global batch,
    so the P slices tile the batch one process would read: no example is read
    twice, and the global batch is the recipe's `batch_size`.
    """
    processes = process_count()
    if batch_size % processes:
        raise ValueError(f"[training] batch_size ({batch_size}) must be a multiple of the {processes} processes "
                         "of the job: it is the global batch, split evenly between them.")
    per_process = batch_size // processes
    return process_index() * per_process, per_process


def run_on_chief(function, *args, name, **kwargs):
    """Runs `function` in process 0 only, then lets every process past a barrier.

    Returns its result in process 0 and None elsewhere.
    """
    result = function(*args, **kwargs) if is_chief() else None
    barrier(name)
    return result


def chief_decides(flag):
    """Process 0's value of a bool, in every process (the engine's broadcast; `flag` itself for one process)."""
    if process_count() == 1:
        return bool(flag)
    if tf_multi_worker.strategy() is not None:  # the sum of the chief's flag and the others' zeros
        return bool(tf_multi_worker.all_reduce_sum(float(bool(flag)) if is_chief() else 0.0))
    import numpy as np
    from jax.experimental import multihost_utils

    return bool(multihost_utils.broadcast_one_to_all(np.int32(bool(flag))))


def _outside_distribution(function, *args):
    """Runs `function(*args)` outside the job's distribution, for what one process does
    alone: saving creates variables (Keras' saver builds a throwaway optimiser), and a
    variable created under a multi-process distribution waits for every process.

    JAX: the Keras distribution is lifted meanwhile. TensorFlow: the function runs
    in a thread of its own, where no strategy scope is entered (scopes are per
    thread), and the process waits for it.
    """
    if tf_multi_worker.strategy() is not None:
        return tf_multi_worker.in_own_thread(function, *args)
    previous = keras.distribution.distribution() if keras.backend.backend() == "jax" else None
    if previous is None:
        return function(*args)
    keras.distribution.set_distribution(None)
    try:
        return function(*args)
    finally:
        keras.distribution.set_distribution(previous)


class ChiefOnlyBackup(keras.callbacks.Callback):
    """Wraps a `keras.callbacks.BackupAndRestore`: every process restores from
    the backup, only process 0 writes or deletes it.

    At every epoch end the processes also adopt process 0's `stop_training`
    (set by a time budget, which each process measures on its own clock), so
    that they all stop after the same epoch. Place it after the callbacks that
    may stop training.
    """

    def __init__(self, backup):
        super().__init__()
        self.backup = backup

    def set_model(self, model):
        super().set_model(model)
        self.backup.set_model(model)

    def on_train_begin(self, logs=None):
        self.backup.on_train_begin(logs)

    def on_epoch_end(self, epoch, logs=None):
        if is_chief():
            _outside_distribution(self.backup.on_epoch_end, epoch, logs)
        # A collective: the next epoch starts once the backup of this one is whole.
        self.model.stop_training = chief_decides(self.model.stop_training)

    def on_train_end(self, logs=None):
        if is_chief():
            self.backup.on_train_end(logs)


def prepare_fit(model, datasets):
    """Readies a compiled model and its datasets (None stays None) for `fit` in this job; returns the datasets.

    Only a TensorFlow job changes anything (see `tf_multi_worker`): the model
    is adapted to the multi-worker strategy, and each dataset, already this
    process's slice of every global batch, is handed to the strategy as such.
    """
    if tf_multi_worker.strategy() is None:
        return datasets
    tf_multi_worker.adapt_model(model)
    return [None if dataset is None else tf_multi_worker.distribute_dataset(dataset) for dataset in datasets]


def check_recipe(training):
    """Raises for [training] settings a multi-process job cannot honour."""
    if process_count() == 1:
        return
    if training["distribution"] != "data_parallel":
        raise ValueError(f"A job of {process_count()} processes needs [training] distribution = \"data_parallel\"; "
                         f"received {training['distribution']!r}.")
    if training["batch_norm_recalibration_batches"]:
        raise ValueError("[training] batch_norm_recalibration_batches is not supported in a multi-process job; "
                         "set it to 0 and recalibrate the saved model in one process.")


def describe_batch(batch_size, replicas, learning_rate):
    """The log line that states the global batch and the learning rate of a run."""
    processes = process_count()
    where = (f"{batch_size // processes} per process x {processes} processes, {replicas} devices"
             if processes > 1 else f"{replicas} device{'s' if replicas > 1 else ''}")
    return (f"global batch {batch_size} ({where}); learning rate {learning_rate} "
            "(the recipe's, not scaled with the number of processes)")
