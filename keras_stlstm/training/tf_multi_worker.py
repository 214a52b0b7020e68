"""A TensorFlow job: `tf.distribute.MultiWorkerMirroredStrategy` from `TF_CONFIG`, and Keras `fit` under it.

Every process of the job gets its place from `TF_CONFIG` (as TensorFlow
documents it: a `cluster` table of `worker` addresses, optionally a `chief`,
and this process's `task`); `join()` creates the job's one strategy, which
starts the process's collective server. Process 0 is the chief, or worker 0
when the cluster has no chief.

Keras 3.15's TensorFlow trainer fails under this strategy in two places
(keras/src/backend/tensorflow/trainer.py, keras-team/keras#20585), both in how
it *reduces* values, not in the training step itself:

1. `fit` builds the model from its first batch averaged with
   `strategy.reduce("MEAN", (inputs, targets), axis=None)`, which the
   collective strategy does not map over a tuple ("Attempt to convert a value
   (PerReplica ...)"); `adapt_model` builds it from this process's own slice of
   that batch instead (only shapes and dtypes matter to the build).
2. Each step's logs go through `strategy.reduce("MEAN", value, axis=0)`, which
   fails on a scalar ("Invalid reduction dimension 0 for input with 0
   dimensions"); `adapt_model` makes the step return each log value with a
   leading axis of length 1, so that the same reduction is the mean over the
   workers and gives back the scalar.

Gradients, metrics and these reductions all go through the strategy's own
collectives (ring all-reduce over gRPC); nothing here communicates by itself.
"""

import json
import os
import threading

_strategy = None  # the job's strategy, made once per process (it starts a server)
_sum_over_processes = None  # all_reduce_sum's tf.function


def tf_config():
    """The parsed `TF_CONFIG` ({} when unset).

    Raises:
        ValueError: it is not JSON with a `cluster` table, or its `task` is not
            one of the cluster's tasks.
    """
    text = os.environ.get("TF_CONFIG")
    if not text:
        return {}
    expected = ('expected e.g. {"cluster": {"worker": ["host0:port", "host1:port"]}, '
                '"task": {"type": "worker", "index": 0}}')
    try:
        config = json.loads(text)
        cluster = config["cluster"]
        workers = list(cluster.get("chief", [])) + list(cluster.get("worker", []))
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
        raise ValueError(f"TF_CONFIG must be JSON with a 'cluster' table ({expected}); received {text!r}.") from None
    if len(workers) > 1:
        task = config.get("task") if isinstance(config.get("task"), dict) else {}
        kind, index = task.get("type"), task.get("index")
        if kind not in ("chief", "worker") or not isinstance(index, int) or not 0 <= index < len(cluster.get(kind, [])):
            raise ValueError(f"TF_CONFIG's 'task' must name this process's place in its cluster ({expected}); "
                             f"received {task!r}.")
    return config


def cluster_size(config):
    """Processes that train in the job `TF_CONFIG` describes (chief and workers)."""
    cluster = config.get("cluster", {})
    return len(cluster.get("chief", [])) + len(cluster.get("worker", []))


def task_number(config):
    """This process's number in the job: the chief first, then the workers in order."""
    task, cluster = config["task"], config["cluster"]
    return task["index"] + (len(cluster.get("chief", [])) if task["type"] == "worker" else 0)


def join():
    """Creates the job's strategy from `TF_CONFIG` (once per process; later calls do nothing)."""
    global _strategy
    if _strategy is None:
        import tensorflow as tf

        tf_config()  # a clear error for a malformed TF_CONFIG before TensorFlow reads it
        _strategy = tf.distribute.MultiWorkerMirroredStrategy()
    return _strategy


def strategy():
    """The job's strategy, or None outside a TensorFlow job."""
    return _strategy


def all_reduce_sum(value):
    """The sum over the job's processes of a number each one gives (the strategy's all-reduce)."""
    import tensorflow as tf

    global _sum_over_processes
    if _sum_over_processes is None:  # traced once: the strategy is slow to run eagerly
        @tf.function
        def _sum_over_processes(number):
            per_process = _strategy.run(tf.identity, args=(number,))
            return _strategy.reduce(tf.distribute.ReduceOp.SUM, per_process, axis=None)

    return float(_sum_over_processes(tf.constant(value, tf.float32)))


def in_own_thread(function, *args):
    """`function(*args)`, run in a new thread: outside every strategy scope (scopes are per
    thread), so that the variables it creates are this process's alone."""
    outcome = {}

    def run():
        try:
            outcome["result"] = function(*args)
        except BaseException as error:  # re-raised in the calling thread
            outcome["error"] = error

    thread = threading.Thread(target=run, name="outside-strategy")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")


def distribute_dataset(dataset):
    """`dataset`, already this process's slice of every global batch, as the job's input.

    `distribute_datasets_from_function` leaves each process's dataset as it
    is: no auto-sharding, no re-batching of the slice as if it were the global
    batch (what `experimental_distribute_dataset`, used by `fit` for a plain
    dataset, would do).
    """
    return _strategy.distribute_datasets_from_function(lambda input_context: dataset)


def _with_leading_axis(step):
    import tensorflow as tf

    def step_with_leading_axis(data):
        return tf.nest.map_structure(lambda value: tf.expand_dims(value, 0), step(data))

    return step_with_leading_axis


def _build_from_local_batch(model):
    import tensorflow as tf

    def maybe_symbolic_build(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(
                    lambda value: _strategy.experimental_local_results(value)[0], next(batches))
                break
        with _strategy.scope():
            model._symbolic_build(data_batch=data_batch)

    return maybe_symbolic_build


def adapt_model(model):
    """Lets a compiled model `fit` and `evaluate` under the job's strategy (see the module docstring).

    The changes are attributes of this model object only: its class, its
    config and what is saved are those of the model.
    """
    model.train_step = _with_leading_axis(model.train_step)
    model.test_step = _with_leading_axis(model.test_step)
    model._maybe_symbolic_build = _build_from_local_batch(model)
    return model
