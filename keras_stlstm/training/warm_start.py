"""Warm starts: a run that begins from the weights of an earlier one.

`[training] initial_weights = "runs/NAME/model"` loads the weights of a saved
model folder (a finished run's `model/`, or a preset folder in weights/) into
the freshly built model before training. The optimiser starts afresh (its
moments are not in a preset), and so do the run's step counter and schedules:
a continuation recipe sets its scheduled sampling and learning rate for the
stage it starts.

Why: a finished run cannot be resumed (its backup is deleted), and training
longer should not mean paying again for the steps already done. When the
folder is a run's `model/`, the run's own facts (its recipe, steps and training
minutes, and its own earlier stages) are recorded in the new run's metrics.json
under "earlier_stages", so a model card can state the whole history.
"""

import os

from keras_stlstm.presets.files import read_json

WEIGHTS_FILE = "model.weights.h5"


def weights_file(path):
    """The .weights.h5 file behind `path` (a model folder, or the file itself).

    Raises:
        FileNotFoundError: naming the path and the expected forms.
    """
    path = os.fspath(path)
    candidate = os.path.join(path, WEIGHTS_FILE) if os.path.isdir(path) else path
    if not candidate.endswith(".weights.h5") or not os.path.isfile(candidate):
        raise FileNotFoundError(
            f"[training] initial_weights {path!r}: expected a saved model folder holding {WEIGHTS_FILE} "
            "(a finished run's model/ or a preset folder in weights/) or a .weights.h5 file."
        )
    return candidate


def load_initial_weights(model, path):
    """Loads the weights at `path` into `model` (same architecture).

    Raises:
        FileNotFoundError: `path` holds no weights.
        ValueError: the weights do not fit the model, naming both.
    """
    file = weights_file(path)
    try:
        model.load_weights(file)
    except ValueError as error:
        # Keras' message can go on for pages (whole weight tensors): keep its first two lines, shortened.
        lines = [line.strip() for line in str(error).splitlines() if line.strip()][:2]
        reason = " ".join(lines).split(" Target variable")[0].split("Received: value=")[0][:400].rstrip(" .,:")
        raise ValueError(
            f"[training] initial_weights {path!r} does not fit the recipe's model "
            f"({type(model).__name__}, {model.count_params():,} parameters): {reason}. The weights must "
            "come from the same architecture with the same sizes (e.g. num_classes)."
        ) from error
    return file


def _read_json(path):
    """The JSON file at `path`, or None when there is none."""
    return read_json(path) if os.path.isfile(path) else None


def earlier_stages(path):
    """The training history behind the weights at `path`, oldest first.

    Returns:
        list of dicts (run folder, steps, epochs run, training minutes and their
        clock, backend, output_dir of its recipe), one per earlier run; [] when
        `path` is not the model/ folder of a run with a metrics.json.
    """
    run_dir = os.path.dirname(os.path.abspath(weights_file(path)))
    run_dir = os.path.dirname(run_dir) if os.path.basename(run_dir) == "model" else run_dir
    metrics = _read_json(os.path.join(run_dir, "metrics.json"))
    if not metrics:
        return []
    recipe = _read_json(os.path.join(run_dir, "recipe.json")) or {}
    stage = {
        "run": os.path.relpath(run_dir),
        "steps": metrics.get("steps"),
        "epochs_run": metrics.get("epochs_run"),
        "training_minutes": metrics.get("training_minutes"),
        "training_clock": metrics.get("training_clock"),
        "backend": metrics.get("backend"),
        "seed": (recipe.get("training") or {}).get("seed"),
    }
    if stage["steps"] is None and stage["epochs_run"]:
        per_epoch = (recipe.get("training") or {}).get("steps_per_epoch")
        stage["steps"] = stage["epochs_run"] * per_epoch if per_epoch else None
    return list(metrics.get("earlier_stages") or []) + [stage]


def totals(stages, steps, minutes):
    """(total steps, total minutes) over the earlier `stages` and this run; None where unknown."""
    all_steps = [s.get("steps") for s in stages] + [steps]
    all_minutes = [s.get("training_minutes") for s in stages] + [minutes]
    total_steps = sum(all_steps) if None not in all_steps else None
    total_minutes = round(sum(all_minutes), 3) if None not in all_minutes else None
    return total_steps, total_minutes
