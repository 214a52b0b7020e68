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

TensorFlow: `tf.distribute.MultiWorkerMirroredStrategy` (from `TF_CONFIG`) does
not train with Keras 3's TensorFlow trainer, so a multi-process job on that
backend stops with a one-line error (see `TENSORFLOW_MULTI_WORKER_ERROR`).

Within a job, every process reads only its slice of each global batch (see
`data_shard`), process 0 alone writes files (`is_chief`), and the others wait
for it at `barrier`s, which are collectives of the engine too.
"""

import contextlib
import json
import os

import keras

ADDRESSES, NUM_PROCESSES, PROCESS_ID = (
    "KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES", "KERAS_DISTRIBUTION_PROCESS_ID")

# Keras 3.15's TensorFlow trainer under MultiWorkerMirroredStrategy (checked
# with 2 workers on 127.0.0.1): `fit` first averages a batch with
# `strategy.reduce` to build the model, and the collective strategy, unlike
# MirroredStrategy, does not map `reduce` over an (inputs, targets) tuple
# (ValueError: "Attempt to convert a value (PerReplica ...)"); past that, the
# step's logs are reduced with `strategy.reduce("MEAN", v, axis=0)`, which fails
# on scalar metrics ("Invalid reduction dimension 0 for input with 0
# dimensions"). Both are in keras/src/backend/tensorflow/trainer.py; see
# keras-team/keras#20585.
TENSORFLOW_MULTI_WORKER_ERROR = (
    "Multi-process training needs KERAS_BACKEND=jax: Keras {version}'s TensorFlow trainer does not run under "
    "tf.distribute.MultiWorkerMirroredStrategy (keras-team/keras#20585); one process with "
    "distribution='data_parallel' (MirroredStrategy) still works on TensorFlow."
)


def _env_int(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"Environment variable {name} must be an integer; received {value!r}.") from None


def _tf_config_workers():
    """Number of workers in TF_CONFIG (0 when it is not set)."""
    config = os.environ.get("TF_CONFIG")
    if not config:
        return 0
    try:
        cluster = json.loads(config).get("cluster", {})
    except (json.JSONDecodeError, AttributeError):
        raise ValueError(f"TF_CONFIG must be JSON with a 'cluster' table; received {config!r}.") from None
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))


def unsupported_backend_error(backend):
    """Why `backend` cannot run a multi-process job, or None for JAX."""
    if backend == "tensorflow":
        return TENSORFLOW_MULTI_WORKER_ERROR.format(version=keras.__version__)
    if backend != "jax":
        return f"Multi-process training runs on the JAX backend; the current backend is {backend!r}."
    return None


def requested_processes():
    """N of the job the environment describes (1 when it describes none)."""
    return max(_env_int(NUM_PROCESSES, 1), _tf_config_workers() if keras.backend.backend() == "tensorflow"
               else 1)


def initialize_from_environment():
    """Joins the job the environment describes; does nothing for one process or when already joined.

    Must run before the backend computes anything (JAX refuses to join
    afterwards), so `train` calls it before reading the recipe.

    Raises:
        ValueError: a job on a backend other than JAX, or an inconsistent
            environment (a process id outside 0 .. N-1, no coordinator address).
    """
    processes = requested_processes()
    if processes <= 1:
        return
    error = unsupported_backend_error(keras.backend.backend())
    if error:
        raise ValueError(error)
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
    return 1


def process_index():
    """This process's number in the job (0 outside a job)."""
    if keras.backend.backend() == "jax":
        import jax

        return jax.process_index()
    return 0


def is_chief():
    """True in the process that writes the run's files (process 0)."""
    return process_index() == 0


def barrier(name):
    """Waits until every process of the job reaches the barrier `name` (no-op for one process)."""
    if process_count() > 1:
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
    import numpy as np
    from jax.experimental import multihost_utils

    return bool(multihost_utils.broadcast_one_to_all(np.int32(bool(flag))))


@contextlib.contextmanager
def _outside_distribution():
    """Lifts the Keras distribution for what one process does alone: saving creates
    variables (Keras' saver builds a throwaway optimiser), and a variable created
    under a multi-process distribution waits for every process."""
    previous = keras.distribution.distribution() if keras.backend.backend() == "jax" else None
    if previous is None:
        yield
        return
    keras.distribution.set_distribution(None)
    try:
        yield
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
            with _outside_distribution():
                self.backup.on_epoch_end(epoch, logs)
        # A collective: the next epoch starts once the backup of this one is whole.
        self.model.stop_training = chief_decides(self.model.stop_training)

    def on_train_end(self, logs=None):
        if is_chief():
            self.backup.on_train_end(logs)


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
