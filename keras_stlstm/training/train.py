"""The training entry point: `train(recipe)` and `python -m keras_stlstm.training.train RECIPE.toml ...`.

`train_stages(recipes)` (the command line with several recipes) trains the
stages of a warm-start chain in order; with `skip_finished=True` the same
command, run again after an interruption, skips the finished stages and
resumes the interrupted one.

A run writes into the recipe's `output_dir`:

- `backup/`: checkpoints (weights, optimiser and sampling state, epoch; see
  `keras_stlstm.training.backup`), written at every epoch end to a temporary
  name and renamed. A run started again on the same `output_dir` after a
  crash, a kill or a full disk restores the newest sound one and continues
  from the last completed epoch (it says "resuming from epoch N"; a damaged
  backup is skipped for the one before it); the data stream is indexed, so
  the resumed run sees the same batches an uninterrupted one would. A run
  killed after its last epoch resumes at batch-norm recalibration and the
  final save. The folder is deleted once `model/` and `metrics.json` are
  written.
- `training_log.csv`: one row per epoch (`keras.callbacks.CSVLogger`, appended
  on resume).
- `model/`: the final model as a folder `keras.saving.load_model` reads
  (config.json, metadata.json, model.weights.h5), written to a temporary folder
  and moved into place.
- `metrics.json`: the last epoch's losses and metrics, plus run facts.
- `recipe.json`: the validated recipe with its defaults filled in.
"""

import argparse
import csv
import dataclasses
import json
import logging
import math
import os
import shutil
import sys
import time

import keras

from keras_stlstm.presets.files import move_into_place
from keras_stlstm.training import backup, data_sources
from keras_stlstm.training.batch_norm import recalibrate_batch_norm
from keras_stlstm.training.losses import LOSSES
from keras_stlstm.training.time_budget import TimeBudget
from keras_stlstm.training import multi_process, warm_start
from keras_stlstm.training.distribution import distribution_scope, replica_count
from keras_stlstm.training.recipe import (
    CALLBACKS,
    OPTIMIZER_RECIPES,
    RUN_LENGTH_ARGUMENTS,
    import_object,
    load_recipe,
    model_task,
    parameters_of,
)
from keras_stlstm.training.recipe_model import build_recipe_model

logger = logging.getLogger("keras_stlstm.training")

BACKUP_DIR, LOG_FILE, MODEL_DIR = "backup", "training_log.csv", "model"
METRICS_FILE, RECIPE_FILE = "metrics.json", "recipe.json"


@dataclasses.dataclass
class TrainResult:
    """What `train` returns.

    Attributes:
        model: the trained model.
        history: the `keras.callbacks.History` of this process's epochs.
        output_dir: the run folder.
        model_dir: the saved model folder.
        metrics: the dict written to metrics.json.
        resumed_from_epoch: completed epochs restored from a backup, or None.
    """

    model: object
    history: object
    output_dir: str
    model_dir: str
    metrics: dict
    resumed_from_epoch: object = None


def backed_up_epoch(backup_dir):
    """Completed epochs of the newest sound backup in `backup_dir`, or None."""
    good, _ = backup.latest_good_backup(backup_dir)
    return None if good is None else good[0]


def make_targets(kind):
    """Maps a batch of the stream to (inputs, targets) for `fit` (tf.data tensors)."""
    if kind == "next_frames":
        # Every frame after the first is predicted (E3D paper eq. 3).
        return lambda frames: (frames, frames[:, 1:])
    if kind == "labels_and_next_frames":
        # As keras_stlstm.models.early_activity.early_activity_targets (NumPy only).
        return lambda clips, labels: (clips, {"label": labels, "frames": clips[:, 1:]})
    return lambda clips, labels: (clips, labels)


def build_optimizer(section, total_steps):
    """The optimiser of a validated [optimizer] section."""
    arguments = {k: v for k, v in section.items() if k not in ("recipe", "name")}
    if "name" in section:
        return keras.optimizers.get({"class_name": section["name"], "config": arguments})
    function = import_object(OPTIMIZER_RECIPES[section["recipe"]])
    names, _ = parameters_of(function)
    # Recipes with a decaying learning rate need the run's length.
    for key in RUN_LENGTH_ARGUMENTS:
        if key in names:
            arguments[key] = total_steps
    return function(**arguments)


def _built_with_model(spec, model, otherwise):
    """Calls a "module:function" builder with the model (how recipes and tasks name
    losses and metrics that depend on it); any other spec gives `otherwise`."""
    if isinstance(spec, str) and ":" in spec:
        return import_object(spec)(model)
    return otherwise


def resolve_loss(name, model):
    """This package's losses by plain name, "module:function" builders called with
    the model; anything else goes to Keras."""
    return _built_with_model(name, model, LOSSES.get(name, name) if isinstance(name, str) else name)


def resolve_metrics(spec, model):
    """Metrics for `compile`: a "module:function" builder called with the model,
    or Keras metric names (a list, or a dict by output) as they are."""
    return _built_with_model(spec, model, spec)


def _learning_rate(optimizer):
    """The optimiser's learning rate for the log: a number, or the schedule's class and its first value."""
    value = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    schedule = optimizer.get_config()["learning_rate"]
    return f"{schedule['class_name']} starting at {value:g}" if isinstance(schedule, dict) else f"{value:g}"


def build_callbacks(options_by_name):
    return [import_object(CALLBACKS[name])(**options) for name, options in options_by_name.items()]


def write_json(path, payload):
    """Writes JSON to a temporary file and moves it into place."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w") as f:
            json.dump(payload, f, indent=2, sort_keys=True, default=str)
        os.replace(tmp, path)
    except OSError as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise OSError(f"Could not write {path} ({e}); free some space and run the same command again.") from e


def save_model_folder(model, folder):
    """Saves `model` as an unzipped Keras folder, via a temporary folder."""
    tmp = f"{folder}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        keras.saving.save_model(model, tmp, zipped=False)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OSError(f"Could not save the model to {folder} ({e}); the training backup is kept: "
                      "free some space and run the same command again to finish.") from e
    # An earlier model/ is moved aside, not deleted, until the new one is in place.
    move_into_place(tmp, folder, overwrite=True)


def truncate_log(log_path, start_epoch):
    """Drops the CSV rows of epochs >= `start_epoch` (run again after a resume)."""
    if not os.path.exists(log_path):
        return
    with open(log_path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return
    # A row cut short by a kill (wrong column count, no epoch number) goes too.
    kept = [rows[0]] + [row for row in rows[1:]
                        if len(row) == len(rows[0]) and row[0].isdigit() and int(row[0]) < start_epoch]
    tmp = f"{log_path}.tmp-{os.getpid()}"
    with open(tmp, "w", newline="") as f:
        csv.writer(f).writerows(kept)
    os.replace(tmp, log_path)


def last_logged_epoch(log_path):
    """The last row of the CSV log as floats (covers epochs run before a resume)."""
    if not os.path.exists(log_path):
        return {}
    with open(log_path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}
    out = {}
    for key, value in rows[-1].items():
        try:
            out[key] = int(value) if key == "epoch" else float(value)
        except (TypeError, ValueError):
            out[key] = value
    return out


def _datasets(recipe, model, distribution, start_epoch):
    data, training = recipe["data"], recipe["training"]
    task = model_task(recipe["model"]["class"])
    batch_size, seed = training["batch_size"], training["seed"]
    replicas = replica_count(distribution)
    if batch_size % replicas:
        raise ValueError(
            f"[training] batch_size ({batch_size}) must be a multiple of the {replicas} devices "
            "of distribution='data_parallel'."
        )
    input_shape = tuple(model.inputs[0].shape[1:])
    stream = data_sources.build_stream(data, data["split"], seed, input_shape)
    steps = training["steps_per_epoch"] or data_sources.default_steps_per_epoch(stream, batch_size)
    if steps is None:
        raise ValueError(
            f"[training] needs 'steps_per_epoch': source {data['source']!r} is an endless stream."
        )
    targets = make_targets(task["targets"])
    shard = multi_process.data_shard(batch_size)  # this process's slice of every global batch
    train_ds = data_sources.stream_dataset(
        stream, batch_size, start_batch=start_epoch * steps, num_batches=(training["epochs"] - start_epoch) * steps,
        parallel=data["parallel"], target_fn=targets, shard=shard,
    )
    val_ds = val_steps = None
    if data["validation_steps"] is None or data["validation_steps"]:
        val_stream = data_sources.build_stream(data, data["validation_split"], seed, input_shape)
        # None: every clip of the validation folder once (a finite stream).
        val_steps = data["validation_steps"] or data_sources.default_steps_per_epoch(val_stream, batch_size)
        val_ds = data_sources.stream_dataset(
            val_stream, batch_size, num_batches=val_steps, parallel=data["parallel"], target_fn=targets,
            shard=shard,
        )
    return train_ds, val_ds, steps, val_steps


def recalibration_batches(recipe, model, num_batches):
    """`num_batches` fresh training batches (after the run's last one) for BN recalibration."""
    data, training = recipe["data"], recipe["training"]
    stream = data_sources.build_stream(data, data["split"], training["seed"], tuple(model.inputs[0].shape[1:]))
    steps = training["steps_per_epoch"] or data_sources.default_steps_per_epoch(stream, training["batch_size"]) or 0
    first = training["epochs"] * steps
    if stream.num_examples is not None:  # a finite folder: wrap around to its start
        first = 0
    dataset = data_sources.stream_dataset(stream, training["batch_size"], start_batch=first,
                                          num_batches=num_batches, parallel=data["parallel"])
    return dataset.as_numpy_iterator()


def fit_verbosity(verbose):
    """Keras' fit verbosity for a recipe's `verbose`: "auto" is a progress bar (1) on a terminal
    and one line per epoch (2) when the output goes to a file or a pipe, which a bar would fill
    with carriage returns and colour codes."""
    if verbose != "auto":
        return verbose
    return 1 if sys.stdout.isatty() else 2


def _run(recipe, output_dir, resume, verbose, extra_callbacks, on_ready):
    """Builds, trains (from `resume`, a `Resume`) and recalibrates the model.

    `on_ready()` runs once the model and data are built, before `fit` writes
    anything: a recipe whose data does not fit its model leaves no files."""
    training = recipe["training"]
    task = model_task(recipe["model"]["class"])
    start_epoch = resume.epoch
    with distribution_scope(training["distribution"]) as distribution:
        model = build_recipe_model(recipe["model"], recipe["data"])
        if training["initial_weights"] and not start_epoch:  # a resumed run restores its own backup
            warm_start.load_initial_weights(model, training["initial_weights"])
        train_ds, val_ds, steps, val_steps = _datasets(recipe, model, distribution, start_epoch)
        model.compile(
            optimizer=build_optimizer(recipe["optimizer"], training["epochs"] * steps),
            loss=resolve_loss(training["loss"] or task["loss"], model),
            metrics=resolve_metrics(training["metrics"] if training["metrics"] is not None else task["metrics"],
                                    model),
            jit_compile=training["jit_compile"],
        )
        train_ds, val_ds = multi_process.prepare_fit(model, [train_ds, val_ds])
        # The CSV row of an epoch is written before its backup, so that every
        # backed-up epoch is logged (rows of epochs lost to a kill are dropped on
        # resume); the logger comes after the callbacks that add to the logs.
        log_path = os.path.join(output_dir, LOG_FILE)
        budget = TimeBudget(
            training["time_budget_minutes"],
            already_elapsed=last_logged_epoch(log_path).get("elapsed_minutes", 0.0) if start_epoch else 0.0,
            clock=training["time_budget_clock"],
        )
        callbacks = build_callbacks(training["callbacks"]) + [budget] + list(extra_callbacks)
        if multi_process.is_chief():
            callbacks.append(keras.callbacks.CSVLogger(log_path, append=start_epoch > 0))
        backup_dir = os.path.join(output_dir, BACKUP_DIR)
        callbacks.append(multi_process.ChiefOnlyBackup(backup.EpochBackup(backup_dir, restore_from=resume.folder)))
        if multi_process.is_chief():
            print(multi_process.describe_batch(training["batch_size"], replica_count(distribution),
                                               _learning_rate(model.optimizer)), flush=True)
        # A run killed after fit finished runs no epoch again: fit restores the
        # backup (weights, optimiser) and stops at once.
        epochs = start_epoch if resume.done else training["stop_after_epochs"] or training["epochs"]
        on_ready()
        history = model.fit(
            train_ds,
            epochs=epochs,
            steps_per_epoch=steps,
            validation_data=val_ds,
            validation_steps=val_steps,
            callbacks=callbacks,
            shuffle=False,  # the stream is already in its (seeded) order
            verbose=fit_verbosity(verbose),
        )
        if resume.done:
            budget.stopped_by_budget = resume.done.get("stopped_by_time_budget", False)
        elif multi_process.is_chief():
            backup.mark_training_done(backup_dir, {"epoch": start_epoch + len(history.epoch),
                                                   "stopped_by_time_budget": budget.stopped_by_budget})
        if training["batch_norm_recalibration_batches"]:
            batches = recalibration_batches(recipe, model, training["batch_norm_recalibration_batches"])
            recalibrate_batch_norm(model, batches, progress=fit_verbosity(verbose) == 1)
    return model, history, replica_count(distribution), budget, steps


# [training] keys an interrupted run may change when it resumes: they decide how
# long it goes on or how it reports, not what each step computes.
RESUMABLE_CHANGES = ("verbose", "time_budget_minutes", "stop_after_epochs", "batch_norm_recalibration_batches")


def _recipe_changes(old, new):
    """Keys whose values differ between two validated recipes (RESUMABLE_CHANGES aside)."""
    changed = []
    for section in sorted(set(old) | set(new)):
        a, b = old.get(section, {}), new.get(section, {})
        for key in sorted(set(a) | set(b)):
            if key not in RESUMABLE_CHANGES and a.get(key) != b.get(key):
                changed.append(f"[{section}] {key}: {a.get(key)!r} -> {b.get(key)!r}")
    return changed


@dataclasses.dataclass
class Resume:
    """Where a run starts: `epoch` completed epochs restored from the backup `folder`
    (0 and None: afresh); `done`: fit had finished (the `training_done.json` payload)."""

    epoch: int = 0
    folder: object = None
    done: object = None


# Files a killed process may leave under a temporary name (write_json,
# save_model_folder and the earlier model/ it moves aside, truncate_log,
# backup.remove_backup).
_TEMPORARY_NAMES = tuple(f"{name}.{kind}-" for name in (MODEL_DIR, METRICS_FILE, RECIPE_FILE, LOG_FILE, BACKUP_DIR)
                         for kind in ("tmp", "removed")) + (f".{MODEL_DIR}.old-",)


def remove_stale_temporaries(output_dir):
    """Deletes what a killed process left half-written in `output_dir`."""
    if not os.path.isdir(output_dir):
        return
    for name in os.listdir(output_dir):
        if name.startswith(_TEMPORARY_NAMES):
            path = os.path.join(output_dir, name)
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
    backup.remove_stale_temporaries(os.path.join(output_dir, BACKUP_DIR))


def _resumable_backup(output_dir, overwrite):
    """The newest sound backup's (epoch, folder), or None; reports and deletes damaged newer ones."""
    backup_dir = os.path.join(output_dir, BACKUP_DIR)
    good, damaged = backup.latest_good_backup(backup_dir)
    if overwrite or not damaged:
        return good
    for folder, why in damaged:
        message = f"skipping the damaged backup {folder}: {why}"
        print(message, flush=True)
        logger.warning(message)
    if good is None:
        raise ValueError(
            f"No backup in {backup_dir} can be resumed (the newest: {damaged[0][1]}). Pass "
            "overwrite=True (--overwrite) to discard the interrupted run and start afresh."
        )
    for folder, _ in damaged:
        backup.delete_backup(backup_dir, folder)
    return good


def _resume_at(backup_dir, good):
    """The `Resume` of the sound backup `good`, an (epoch, folder) of `backup_dir`."""
    done = backup.training_done(backup_dir)
    return Resume(good[0], good[1], done if done and done.get("epoch") == good[0] else None)


def _resume_from(backup_dir):
    """The `Resume` process 0 chose for a job: the newest sound backup (it deleted damaged ones), or None."""
    good, _ = backup.latest_good_backup(backup_dir)
    return None if good is None else _resume_at(backup_dir, good)


def _prepare_output_dir(recipe, output_dir, overwrite):
    """Decides between resuming, refusing and starting afresh; returns a `Resume` or None."""
    backup_dir = os.path.join(output_dir, BACKUP_DIR)
    model_dir = os.path.join(output_dir, MODEL_DIR)
    remove_stale_temporaries(output_dir)
    good = _resumable_backup(output_dir, overwrite)
    if good is not None and not overwrite:
        recipe_file = os.path.join(output_dir, RECIPE_FILE)
        if os.path.exists(recipe_file):
            with open(recipe_file) as f:
                # JSON round trip: tuples become lists in both.
                changes = _recipe_changes(json.load(f), json.loads(json.dumps(recipe, default=str)))
            if changes:
                raise ValueError(
                    f"{output_dir} holds an interrupted run of a different recipe ("
                    + "; ".join(changes) + "). Restore the recipe to resume it, or pass "
                    "overwrite=True (--overwrite) to discard it and start afresh."
                )
        return _resume_at(backup_dir, good)
    if good is None and os.path.exists(model_dir) and not overwrite:
        raise ValueError(
            f"{output_dir} already holds a finished run ({MODEL_DIR}/). Choose another "
            "[training] output_dir, or pass overwrite=True (--overwrite) to train again."
        )
    for stale in (backup_dir, model_dir):
        shutil.rmtree(stale, ignore_errors=True)
    os.makedirs(output_dir, exist_ok=True)
    if os.path.exists(os.path.join(output_dir, LOG_FILE)):
        os.remove(os.path.join(output_dir, LOG_FILE))  # the log of a discarded run
    return None


def _start_run_folder(recipe, output_dir, overwrite):
    """`_prepare_output_dir`, then the log cut back to the resume epoch; returns a `Resume` or None."""
    resume = _prepare_output_dir(recipe, output_dir, overwrite)
    if resume is not None:
        truncate_log(os.path.join(output_dir, LOG_FILE), resume.epoch)
    return resume


def _finish_run_folder(output_dir, metrics):
    """Writes metrics.json, then drops the backup: only now is all it held saved elsewhere."""
    write_json(os.path.join(output_dir, METRICS_FILE), metrics)
    backup.remove_backup(os.path.join(output_dir, BACKUP_DIR))


def train(recipe, overwrite=False, verbose=None, callbacks=()):
    """Trains a model from a recipe; resumes an interrupted run of the same `output_dir`.

    Args:
        recipe: path of a TOML recipe or a dict (see `keras_stlstm.training.recipe`).
        overwrite: discard a finished or interrupted run found in `output_dir`
            and start afresh. Otherwise a finished run there raises (nothing is
            silently retrained), and an interrupted one is resumed if its
            recipe is the same (else raises, naming the changed keys).
        verbose: Keras `fit` verbosity; None = the recipe's (default "auto": a
            progress bar on a terminal, one line per epoch otherwise).
        callbacks: extra Keras callbacks, run after the recipe's.

    Returns:
        `TrainResult`.

    Raises:
        ValueError: invalid recipe (naming the key), a finished run in the way,
            or an interrupted run of a different recipe.

    Example:

    >>> result = train("recipes/e3d_moving_mnist.toml")  # doctest: +SKIP
    >>> keras.saving.load_model(result.model_dir)  # doctest: +SKIP
    """
    multi_process.initialize_from_environment()  # before the backend computes anything
    recipe = load_recipe(recipe)
    training = recipe["training"]
    output_dir = os.fspath(training["output_dir"])
    multi_process.check_recipe(training)
    # Process 0 decides and tidies the folder; the others then read the same backup.
    resume = multi_process.run_on_chief(_start_run_folder, recipe, output_dir, overwrite, name="prepare")
    if not multi_process.is_chief():
        resume = _resume_from(os.path.join(output_dir, BACKUP_DIR))
    start_epoch = None if resume is None else resume.epoch
    if resume is not None:
        message = f"resuming from epoch {start_epoch} (backup in {resume.folder})"
        if resume.done:
            message += ": its epochs had all run; finishing the run (recalibration, final save)"
        print(message, flush=True)
        logger.info(message)

    keras.utils.set_random_seed(training["seed"])
    started = time.time()
    verbose = training["verbose"] if verbose is None else verbose
    model, history, replicas, budget, steps_per_epoch = _run(
        recipe, output_dir, resume or Resume(), verbose, callbacks,
        on_ready=lambda: multi_process.is_chief() and write_json(os.path.join(output_dir, RECIPE_FILE), recipe))
    model_dir = os.path.join(output_dir, MODEL_DIR)
    if multi_process.is_chief():
        save_model_folder(model, model_dir)
    epochs_run = len(history.epoch) + (start_epoch or 0)
    steps = epochs_run * steps_per_epoch
    metrics = {
        "final": last_logged_epoch(os.path.join(output_dir, LOG_FILE)),
        "epochs": training["epochs"],
        "epochs_run": epochs_run,
        "steps": steps,
        "training_minutes": round(budget.elapsed(), 3),
        "training_clock": budget.clock,
        "stopped_by_time_budget": budget.stopped_by_budget,
        "resumed_from_epoch": start_epoch,
        "backend": keras.backend.backend(),
        "distribution": training["distribution"],
        "replicas": replicas,
        "processes": multi_process.process_count(),
        "global_batch_size": training["batch_size"],
        "parameters": int(model.count_params()),
        "seconds_this_process": round(time.time() - started, 3),
    }
    if training["initial_weights"]:
        stages = warm_start.earlier_stages(training["initial_weights"])
        metrics.update(initial_weights=str(training["initial_weights"]), earlier_stages=stages)
        metrics["total_steps"], metrics["total_training_minutes"] = warm_start.totals(
            stages, steps, metrics["training_minutes"])
    metrics["final"] = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                        for k, v in metrics["final"].items()}
    multi_process.run_on_chief(_finish_run_folder, output_dir, metrics, name="saved")
    return TrainResult(model, history, output_dir, model_dir, metrics, start_epoch)


def finished_run(recipe):
    """The model folder of a finished run of `recipe` (path or dict) in its output_dir, or None.

    Finished means trained to the end and recorded: `model/` and `metrics.json`
    written, no backup of an interrupted run left.
    """
    output_dir = os.fspath(load_recipe(recipe)["training"]["output_dir"])
    model_dir = os.path.join(output_dir, MODEL_DIR)
    done = os.path.isdir(model_dir) and os.path.isfile(os.path.join(output_dir, METRICS_FILE))
    return model_dir if done and backed_up_epoch(os.path.join(output_dir, BACKUP_DIR)) is None else None


def train_stages(recipes, overwrite=False, skip_finished=False, verbose=None, report=print):
    """Trains `recipes` one after the other: the stages of a warm-start chain.

    Every recipe is validated before the first one trains, so that a mistake in
    a late stage does not surface hours in.

    Args:
        recipes: TOML paths (or dicts), in training order.
        overwrite: train every stage afresh (see `train`).
        skip_finished: skip a stage whose output_dir holds a finished run
            instead of raising; with it, the command that trains a chain also
            resumes it after an interruption.
        verbose: Keras `fit` verbosity, None = each recipe's.
        report: called with one line per stage.

    Returns:
        The model folders, one per stage, in order.
    """
    if overwrite and skip_finished:
        raise ValueError("Pass either overwrite=True (--overwrite) or skip_finished=True (--skip-finished), not both.")
    recipes = list(recipes)
    multi_process.initialize_from_environment()  # before the recipes are read (see `train`)
    if not recipes:
        raise ValueError("Expected at least one recipe (a TOML file).")
    loaded = [load_recipe(recipe) for recipe in recipes]  # read and checked once, all before training
    model_dirs = []
    for number, (recipe, checked) in enumerate(zip(recipes, loaded), 1):
        name = recipe if isinstance(recipe, (str, os.PathLike)) else "recipe"
        done = finished_run(checked) if skip_finished else None
        if done is None:
            done = train(checked, overwrite=overwrite, verbose=verbose).model_dir
            report(f"[{number}/{len(recipes)}] {name}: saved {done}")
        else:
            report(f"[{number}/{len(recipes)}] {name}: skipped, already finished in {done}")
        model_dirs.append(done)
    return model_dirs


def train_from_arguments(args):
    """Runs parsed `add_train_arguments` arguments: in this process, or as a local job of
    `--processes` N (see `keras_stlstm.training.local_launch`); returns the exit status."""
    if args.processes != 1:
        from keras_stlstm.training.local_launch import train_in_processes

        return train_in_processes(args)
    train_stages(args.recipes, overwrite=args.overwrite, skip_finished=args.skip_finished, verbose=args.verbose)
    return 0


def main(argv=None):
    """Command line (the same arguments as `keras-stlstm train`): `python -m keras_stlstm.training.train RECIPE.toml [RECIPE.toml ...] [--skip-finished]`."""
    from keras_stlstm.cli import add_train_arguments

    parser = argparse.ArgumentParser(prog="python -m keras_stlstm.training.train", description=__doc__.split("\n")[0])
    add_train_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        return train_from_arguments(args)
    except (ValueError, OSError) as error:  # OSError: a full disk (FileNotFoundError is one)
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
