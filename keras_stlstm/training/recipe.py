"""Training recipes: TOML files (or dicts) describing a whole training run, validated.

A recipe has four sections::

    [model]                      # the model class and its constructor arguments
    class = "VideoPredictor"
    backbone = "e3d"
    context_frames = 10
    future_frames = 10

    [data]                       # a source of keras_stlstm.training.data_sources
    source = "moving_mnist"
    digits = "../shared/data/mnist"
    split = "train"
    validation_steps = 10

    [optimizer]                  # a named recipe ("e3d", "gesture") or a Keras optimiser
    recipe = "e3d"               # or: name = "adam", learning_rate = 1e-3

    [training]
    batch_size = 4
    epochs = 100
    steps_per_epoch = 500
    seed = 0
    output_dir = "runs/e3d_mmnist"
    distribution = "none"        # or "data_parallel"

    [training.callbacks.scheduled_sampling]   # optional, options = the callback's arguments
    rate = 2e-5

Every key is checked: a missing required key or an unknown one raises a
ValueError naming it (with close matches for a misspelling). Model classes,
optimiser recipes and callbacks are registered by name as "module:attribute" and
imported only when used, so a recipe for one task never imports another task's
code.
"""

import copy
import difflib
import importlib
import inspect
import os

# Model classes by recipe name, and the task each belongs to (see TASKS).
MODEL_CLASSES = {
    "VideoPredictor": ("keras_stlstm.models.video_prediction:VideoPredictor", "video_prediction"),
    "GestureRecognizer": ("keras_stlstm.models.gesture:GestureRecognizer", "classification"),
    "EarlyActivityRecognizer": ("keras_stlstm.models.early_activity:EarlyActivityRecognizer", "early_activity"),
}

# What each task trains on and with. `targets`: how a batch of the source
# becomes (inputs, targets) for `fit` (see train.make_targets). `loss`: a loss
# name, or "module:function" building the losses from the model; `metrics`
# likewise (Keras metric names, or a "module:function" builder).
TASKS = {
    "video_prediction": {
        "data_kind": "sequences",
        "targets": "next_frames",
        "loss": "l1_l2_loss",
        "metrics": "keras_stlstm.metrics.keras_metrics:video_prediction_metrics",
        "optimizer": "e3d",
    },
    "classification": {
        "data_kind": "labelled_clips",
        "targets": "labels",
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"],
        "optimizer": "gesture",
    },
    "early_activity": {
        "data_kind": "labelled_clips",
        "targets": "labels_and_next_frames",
        "loss": "keras_stlstm.training.aux_schedule:early_activity_losses",
        "metrics": {"label": ["accuracy"]},
        "optimizer": "e3d",
    },
}

# Named optimiser recipes: functions returning a Keras optimiser.
OPTIMIZER_RECIPES = {
    "e3d": "keras_stlstm.training.optimizers:e3d_optimizer",
    "adam_cosine": "keras_stlstm.training.optimizers:adam_cosine",
    "gesture": "keras_stlstm.training.gesture_recipe:gesture_optimizer",
}

# Callbacks a recipe can switch on under [training.callbacks.<name>].
CALLBACKS = {
    "scheduled_sampling": "keras_stlstm.training.schedules:ScheduledSampling",
    "auxiliary_loss": "keras_stlstm.training.aux_schedule:AuxiliaryLossSchedule",
}

# Optimiser-recipe arguments the run supplies itself (its number of steps).
RUN_LENGTH_ARGUMENTS = ("steps", "total_steps", "decay_steps")

DISTRIBUTIONS = ("none", "data_parallel")

TRAINING_KEYS = {
    # key: (default, required)
    "batch_size": (None, True),
    "epochs": (None, True),
    # End the run after this many epochs although its schedules (learning rate
    # decay) still span `epochs`: reproduces, at equal steps, a run that a time
    # budget cut short part-way down its schedule.
    "stop_after_epochs": (None, False),
    "steps_per_epoch": (None, False),
    "seed": (0, False),
    "output_dir": (None, True),
    "distribution": ("none", False),
    "loss": (None, False),
    "metrics": (None, False),
    "callbacks": ({}, False),
    "verbose": ("auto", False),
    # Keras' `compile(jit_compile=...)`: "auto" (XLA where supported), true or false.
    # On a TensorFlow CPU, XLA compiles the unrolled video models slowly; false
    # can start much sooner.
    "jit_compile": ("auto", False),
    # Wall-clock training budget in minutes (across resumes): the run stops at the
    # end of the first epoch past it, so `epochs` becomes an upper bound.
    "time_budget_minutes": (None, False),
    # What the budget counts: "wall" clock, or this process's "cpu" time (fair
    # when several runs share a machine).
    "time_budget_clock": ("wall", False),
    # After training, re-estimate BatchNormalization statistics of the final
    # weights on this many fresh training batches (0: keep the moving averages);
    # see keras_stlstm.training.batch_norm.
    "batch_norm_recalibration_batches": (0, False),
    # Start from the weights of this saved model folder (an earlier run's
    # model/, or a preset folder) instead of a random initialisation; see
    # keras_stlstm.training.warm_start.
    "initial_weights": (None, False),
}


def import_object(spec):
    """Imports "package.module:attribute"."""
    module_name, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def unknown_key_error(key, valid, where):
    """ValueError for an unknown `key` in `where`, suggesting close matches."""
    valid = sorted(valid)
    close = difflib.get_close_matches(str(key), valid, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(f"Unknown key {key!r} in {where}.{hint} Valid keys: {valid}.")


def unknown_name_error(what, name, valid):
    """ValueError for an unknown registered `name`, listing the valid names."""
    valid = sorted(valid)
    close = difflib.get_close_matches(str(name), valid, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(f"Unknown {what} {name!r}.{hint} Valid names: {valid}.")


def check_keys(section, allowed, required, where):
    """Raises for keys of `section` not in `allowed`, or `required` keys missing."""
    for key in section:
        if key not in allowed:
            raise unknown_key_error(key, allowed, where)
    for key in required:
        if key not in section:
            raise ValueError(f"Missing required key {key!r} in {where}.")


def parameters_of(function):
    """(names of the keyword parameters, names of the required ones) of `function`."""
    names, required = [], []
    for p in inspect.signature(function).parameters.values():
        if p.name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        names.append(p.name)
        if p.default is p.empty:
            required.append(p.name)
    return names, required


def check_arguments(function, arguments, where, extra=(), supplied=()):
    """Checks `arguments` against the parameters of `function` (+ `extra` names).

    Parameters named in `supplied` are filled in by the caller, so they are
    neither required nor accepted from the recipe.
    """
    names, required = parameters_of(function)
    for key in supplied:
        if key in arguments and key in names:
            raise ValueError(f"Key {key!r} in {where} is set by the run (epochs x steps_per_epoch); remove it.")
    required = [name for name in required if name not in supplied]
    check_keys(arguments, set(names) | set(extra), required, where)


def resolve_model_class(name):
    """The model class registered as `name` (imported on first use)."""
    if name not in MODEL_CLASSES:
        raise unknown_name_error("model class", name, MODEL_CLASSES)
    return import_object(MODEL_CLASSES[name][0])


def model_task(name):
    return TASKS[MODEL_CLASSES[name][1]]


def load_toml(path):
    """Parses a TOML file with tomllib (Python 3.11+) or tomli."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    with open(path, "rb") as f:
        try:
            return tomllib.load(f)
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path}: not a valid TOML file: {error}") from error


def _positive_int(section, key, where, optional=False):
    value = section.get(key)
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{where} key {key!r} must be a positive integer; received {value!r}.")


def validate_model(section):
    where = "[model]"
    if "class" not in section:
        raise ValueError(f"Missing required key 'class' in {where} (one of {sorted(MODEL_CLASSES)}).")
    cls = resolve_model_class(section["class"])
    preset = section.get("preset")
    if preset is not None and (not isinstance(preset, str) or not preset):
        raise ValueError(f"{where} key 'preset' must be a preset name, hf:// handle or folder; received {preset!r}.")
    arguments = {k: v for k, v in section.items() if k not in ("class", "preset")}
    check_arguments(cls.__init__, arguments, f"{where} (arguments of {section['class']})")
    return section


def validate_data(section, model_name):
    from keras_stlstm.training import data_sources

    where = "[data]"
    if "source" not in section:
        raise ValueError(f"Missing required key 'source' in {where} (one of {data_sources.source_names()}).")
    source = section["source"]
    if source not in data_sources.SOURCES:
        raise unknown_name_error("data source", source, data_sources.SOURCES)
    info = data_sources.SOURCES[source]
    kind = model_task(model_name)["data_kind"]
    if info.kind != kind:
        raise ValueError(
            f"source={source!r} gives {info.kind}, but model class {model_name!r} trains on {kind}; "
            f"pick a source that gives {kind}."
        )
    check_keys(section, set(data_sources.COMMON_KEYS) | set(info.options), ["source"], where)
    filled = {**data_sources.COMMON_KEYS, **info.options, **section}
    if filled["validation_split"] is None:
        filled["validation_split"] = info.validation_split
        if source == "folder" and filled.get("validation_root") is not None:
            filled["validation_split"] = "validation"
    if source == "folder" and filled.get("validation_root") is not None and "validation_steps" not in section:
        filled["validation_steps"] = None  # one pass over the whole validation folder, every epoch
    elif isinstance(filled["validation_steps"], bool) or not isinstance(filled["validation_steps"], int) \
            or filled["validation_steps"] < 0:
        raise ValueError(f"{where} key 'validation_steps' must be an integer >= 0; "
                         f"received {filled['validation_steps']!r}.")
    if filled["validation_steps"] and filled["validation_split"] is None:
        raise ValueError(f"{where}: validation_steps > 0 needs 'validation_split' for source {source!r}.")
    return filled


def validate_optimizer(section, model_name):
    where = "[optimizer]"
    section = dict(section) if section else {"recipe": model_task(model_name)["optimizer"]}
    if ("recipe" in section) == ("name" in section):
        raise ValueError(
            f"{where} needs exactly one of 'recipe' (a named recipe: {sorted(OPTIMIZER_RECIPES)}) or "
            "'name' (a Keras optimiser, e.g. 'adam'), plus its arguments."
        )
    arguments = {k: v for k, v in section.items() if k not in ("recipe", "name")}
    if "recipe" in section:
        if section["recipe"] not in OPTIMIZER_RECIPES:
            raise unknown_name_error("optimizer recipe", section["recipe"], OPTIMIZER_RECIPES)
        function = import_object(OPTIMIZER_RECIPES[section["recipe"]])
        check_arguments(function, arguments, f"{where} (arguments of recipe {section['recipe']!r})",
                        supplied=RUN_LENGTH_ARGUMENTS)
    else:
        import keras

        try:
            optimizer_class = type(keras.optimizers.get(section["name"]))
        except ValueError as error:
            raise ValueError(f"{where}: unknown optimizer name {section['name']!r} ({error}).") from error
        check_arguments(optimizer_class.__init__, arguments, f"{where} (arguments of {optimizer_class.__name__})")
    return section


def validate_training(section):
    where = "[training]"
    check_keys(section, TRAINING_KEYS, [k for k, (_, req) in TRAINING_KEYS.items() if req], where)
    filled = {k: copy.deepcopy(d) for k, (d, _) in TRAINING_KEYS.items()}
    filled.update(section)
    _positive_int(filled, "batch_size", where)
    _positive_int(filled, "epochs", where)
    _positive_int(filled, "stop_after_epochs", where, optional=True)
    if filled["stop_after_epochs"] is not None and filled["stop_after_epochs"] > filled["epochs"]:
        raise ValueError(f"{where} key 'stop_after_epochs' ({filled['stop_after_epochs']}) must not exceed "
                         f"'epochs' ({filled['epochs']}), the length its schedules span.")
    _positive_int(filled, "steps_per_epoch", where, optional=True)
    if isinstance(filled["seed"], bool) or not isinstance(filled["seed"], int) or filled["seed"] < 0:
        raise ValueError(f"{where} key 'seed' must be an integer >= 0; received {filled['seed']!r}.")
    if not isinstance(filled["output_dir"], (str, os.PathLike)) or not str(filled["output_dir"]):
        raise ValueError(f"{where} key 'output_dir' must be a folder path; received {filled['output_dir']!r}.")
    if filled["distribution"] not in DISTRIBUTIONS:
        raise ValueError(
            f"{where} key 'distribution' must be one of {list(DISTRIBUTIONS)}; "
            f"received {filled['distribution']!r}."
        )
    if filled["jit_compile"] not in ("auto", True, False):
        raise ValueError(f"{where} key 'jit_compile' must be \"auto\", true or false; "
                         f"received {filled['jit_compile']!r}.")
    if filled["verbose"] not in ("auto", 0, 1, 2):
        raise ValueError(f"{where} key 'verbose' must be \"auto\", 0, 1 or 2; received {filled['verbose']!r}.")
    budget = filled["time_budget_minutes"]
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float)) or budget <= 0):
        raise ValueError(f"{where} key 'time_budget_minutes' must be a positive number of minutes; "
                         f"received {budget!r}.")
    recal = filled["batch_norm_recalibration_batches"]
    if isinstance(recal, bool) or not isinstance(recal, int) or recal < 0:
        raise ValueError(f"{where} key 'batch_norm_recalibration_batches' must be an integer >= 0; "
                         f"received {recal!r}.")
    if filled["time_budget_clock"] not in ("wall", "cpu"):
        raise ValueError(f"{where} key 'time_budget_clock' must be \"wall\" or \"cpu\"; "
                         f"received {filled['time_budget_clock']!r}.")
    initial = filled["initial_weights"]
    if initial is not None and (not isinstance(initial, (str, os.PathLike)) or not str(initial)):
        raise ValueError(f"{where} key 'initial_weights' must be the path of a saved model folder or a "
                         f".weights.h5 file; received {initial!r}.")
    if not isinstance(filled["callbacks"], dict):
        raise ValueError(f"{where} key 'callbacks' must be a table of callback name -> options; "
                         f"received {filled['callbacks']!r}.")
    for name, options in filled["callbacks"].items():
        if name not in CALLBACKS:
            raise unknown_name_error("callback", name, CALLBACKS)
        if not isinstance(options, dict):
            raise ValueError(f"[training.callbacks.{name}] must be a table of options; received {options!r}.")
        check_arguments(import_object(CALLBACKS[name]).__init__, options, f"[training.callbacks.{name}]")
    return filled


BUILTIN_RECIPES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "recipes")


def builtin_recipes():
    """Names of the recipes shipped with the package (keras_stlstm/training/recipes/*.toml)."""
    return sorted(f[:-5] for f in os.listdir(BUILTIN_RECIPES_DIR) if f.endswith(".toml"))


def recipe_path(recipe):
    """The TOML file of `recipe`: an existing path, or the name of a built-in recipe."""
    path = os.fspath(recipe)
    if os.path.exists(path):
        return path
    if path in builtin_recipes():
        return os.path.join(BUILTIN_RECIPES_DIR, path + ".toml")
    raise FileNotFoundError(f"No recipe file {path!r}, and no built-in recipe of that name "
                            f"(built-in recipes: {builtin_recipes()}).")


def load_recipe(recipe):
    """Loads and validates a recipe.

    Args:
        recipe: path of a TOML file, the name of a built-in recipe (see
            `builtin_recipes()`, e.g. "e3d_moving_mnist"), or a dict with the
            same structure.

    Returns:
        dict with sections "model", "data", "optimizer", "training", defaults filled in.

    Raises:
        ValueError: naming the missing, unknown or invalid key, class or name.
    """
    if isinstance(recipe, (str, os.PathLike)):
        recipe = load_toml(recipe_path(recipe))
    if not isinstance(recipe, dict):
        raise ValueError(f"A recipe is a TOML file path or a dict; received {type(recipe).__name__}.")
    check_keys(recipe, ("model", "data", "optimizer", "training"), ("model", "data", "training"), "the recipe")
    for key, section in recipe.items():
        if not isinstance(section, dict):
            raise ValueError(f"[{key}] must be a table; received {section!r}.")
    model = validate_model(dict(recipe["model"]))
    return {
        "model": model,
        "data": validate_data(dict(recipe["data"]), model["class"]),
        "optimizer": validate_optimizer(recipe.get("optimizer"), model["class"]),
        "training": validate_training(dict(recipe["training"])),
    }
