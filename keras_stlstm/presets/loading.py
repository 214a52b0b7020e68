"""Loading presets: `from_preset`, argument overrides and the model-class mixin."""

import inspect
import logging
import os
import warnings
from pathlib import Path

from keras_stlstm.presets import registry
from keras_stlstm.presets.errors import PresetError
from keras_stlstm.presets.files import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    check_preset_folder,
    check_recorded_hashes,
    read_json,
)
from keras_stlstm.presets.resolve import resolve_preset

logger = logging.getLogger(__name__)

# A handle ending in this is a single file written by model.save(), not a preset folder.
KERAS_FILE_SUFFIX = ".keras"


def is_keras_file(handle):
    """Whether `handle` names a single `.keras` file rather than a preset."""
    return os.fspath(handle).endswith(KERAS_FILE_SUFFIX)

# Keys every Keras model config carries besides the constructor's own arguments.
_BASE_KEYS = {"name", "trainable", "dtype"}


def from_preset(handle, load_weights=True, *, verify_hashes=True, **overrides):
    """Loads a pretrained preset.

    Args:
        handle: a registered name (see `list_presets()`), 'hf://org/name[@revision]',
            a local preset folder, or a `.keras` file written by `model.save()`.
        load_weights: False builds the preset's architecture with freshly
            initialised weights (keras_hub's `load_weights=False`); the files are
            still located and verified.
        verify_hashes: check the files against the sha256 that `save_preset`
            recorded in the folder's metadata.json (a folder without them has
            nothing to check). False loads a folder edited on purpose.
        **overrides: constructor arguments to change. The model is rebuilt from
            its config with them and every weight whose layer and shape still
            match is copied. `num_classes=N` on a classifier keeps the backbone
            and gives a new, freshly initialised head, ready for `fit`.

    Returns:
        The Keras model (not compiled).

    Raises:
        PresetError: unknown name, missing or corrupted file, failed download,
            unregistered class, or an argument the model does not take.

    Example:

    >>> import keras_stlstm
    >>> model = keras_stlstm.from_preset("gesture_jester_a")  # doctest: +SKIP
    """
    return load_preset(handle, expected_class=None, overrides=overrides, load_weights=load_weights,
                       verify_hashes=verify_hashes)


def load_preset(handle, expected_class=None, overrides=None, load_weights=True, verify_hashes=True):
    """`from_preset` with a class check: the preset must build `expected_class`."""
    _import_model_classes()
    name = os.fspath(handle)
    if expected_class is not None and registry.is_registered(name):
        _check_builder(name, registry.get_preset_info(name).builder, expected_class)
    if is_keras_file(name):
        model = load_keras_file(name, expected_class)
    else:
        resolved = resolve_preset(handle)
        model = load_preset_folder(resolved.folder, expected_class, resolved.info, verify_hashes)
    if not load_weights:
        return _fresh_copy(model, overrides or {})
    if overrides:
        model = rebuild_with(model, **overrides)
    return model


def _fresh_copy(model, overrides):
    """The same architecture (with `overrides`), freshly initialised: nothing copied."""
    config = model.get_config()
    if "layers" in config and "input_layers" in config and not overrides:
        return type(model).from_config(config)  # a plain functional model: its config is the architecture
    return _from_config_with(model, overrides)


def _import_model_classes():
    """Registers the package's model classes so their configs deserialize."""
    try:
        import keras_stlstm.models  # noqa: F401
    except ModuleNotFoundError as e:
        if e.name != "keras_stlstm.models":
            raise


def _check_builder(handle, builder, expected_class):
    if builder != expected_class.__name__ and not any(
        base.__name__ == builder for base in expected_class.__mro__
    ):
        raise PresetError(
            f"Preset {handle!r} is a {builder}, not a {expected_class.__name__}: load it "
            f"with {builder}.from_preset() or keras_stlstm.from_preset()."
        )


def model_class_of(config, folder):
    """The class a preset's config.json names, or None for Keras' own model classes.

    Raises:
        PresetError: the class is not registered, or the config carries
            arguments its constructor does not take.
    """
    import keras

    registered = config.get("registered_name")
    module = config.get("module") or ""
    if registered in (None, config.get("class_name")) and module.startswith("keras"):
        return None  # Functional / Sequential: Keras' own classes.
    cls = keras.saving.get_registered_object(registered) if registered else None
    if cls is None:
        known = sorted(
            key.split(">", 1)[1]
            for key, obj in keras.saving.get_custom_objects().items()
            if key.startswith("keras_stlstm>")
            and isinstance(obj, type)
            and issubclass(obj, keras.Model)
        )
        raise PresetError(
            f"{folder / CONFIG_FILE} names the model class {registered or config.get('class_name')!r}, "
            "which is not registered with Keras. Registered keras_stlstm model classes: "
            f"{', '.join(known) or 'none'} (import the module defining the class first)."
        )
    _check_arguments(cls, config.get("config") or {}, folder)
    return cls


def constructor_arguments(cls):
    """Names of the keyword arguments `cls(...)` accepts (None when it takes **kwargs only)."""
    params = inspect.signature(cls.__init__).parameters
    return {
        name
        for name, p in params.items()
        if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    }


def _check_arguments(cls, args, folder):
    if "layers" in args and "input_layers" in args:
        return  # A functional graph config: Keras checks it layer by layer.
    accepted = constructor_arguments(cls)
    unexpected = sorted(set(args) - accepted - _BASE_KEYS)
    if unexpected:
        raise PresetError(
            f"{folder / CONFIG_FILE} gives {cls.__name__} arguments it does not take: "
            f"{', '.join(unexpected)}. Accepted: {', '.join(sorted(accepted))}. The preset "
            "was probably saved by a different keras-stlstm version."
        )


def load_preset_folder(folder, expected_class=None, info=None, verify_hashes=True):
    """Loads a verified preset folder with keras.saving.load_model(safe_mode=True)."""
    import keras

    folder = check_preset_folder(folder)
    if verify_hashes:
        check_recorded_hashes(folder)
    config = read_json(folder / CONFIG_FILE)
    if not isinstance(config, dict):
        raise PresetError(
            f"{folder / CONFIG_FILE} holds a JSON {type(config).__name__}, not the object (a model "
            "config with class_name and config) that keras_stlstm.save_preset writes."
        )
    cls = model_class_of(config, folder)
    builder = cls.__name__ if cls is not None else config.get("class_name", "?")
    if info is not None and info.builder != builder:
        raise PresetError(
            f"Preset {info.name!r}: the registry says {info.builder} but {folder / CONFIG_FILE} "
            f"builds a {builder}."
        )
    if expected_class is not None:
        if cls is None or not issubclass(cls, expected_class):
            _check_builder(str(folder), builder, expected_class)
    _check_weights_readable(folder / WEIGHTS_FILE)
    try:
        model = keras.saving.load_model(folder, compile=False, safe_mode=True)
    except (ValueError, TypeError, KeyError) as e:
        raise PresetError(f"Could not load the preset in {folder}: {e}") from e
    if hasattr(model, "load_preprocessor"):
        model.load_preprocessor(folder)
    return model


def load_keras_file(path, expected_class=None):
    """Loads a single `.keras` file (what `model.save("x.keras")` writes), safe_mode on.

    Raises:
        PresetError: no such file, a file Keras cannot read, or a model of
            another class than `expected_class`.
    """
    import keras

    path = Path(path).expanduser()
    if not path.is_file():
        raise PresetError(f"Model file not found: {path} (expected a .keras file written by model.save()).")
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except (ValueError, TypeError, KeyError, OSError) as e:
        raise PresetError(f"Could not load the model file {path}: {e}") from e
    if expected_class is not None and not isinstance(model, expected_class):
        _check_builder(str(path), type(model).__name__, expected_class)
    return model


def _check_weights_readable(path):
    """Opens the HDF5 weights once, so a damaged file gets a clear error.

    (Keras 3.15 turns an unreadable weights file in a folder into an
    UnboundLocalError from its own clean-up code.)
    """
    import h5py

    try:
        with h5py.File(path, "r"):
            pass
    except OSError as e:
        raise PresetError(
            f"Could not read {path}: {e}. The file is truncated or corrupted: download "
            "or save the preset again."
        ) from e


def rebuild_with(model, **overrides):
    """Rebuilds `model` from its config with `overrides`, copying every matching weight.

    Layers are paired by position when both models have the same layer types in
    the same order (auto-generated layer names differ between instances), else
    by name; a layer whose weight shapes changed (e.g. the classifier head after
    `num_classes=`) keeps its fresh initialisation.

    Returns:
        The new model.
    """
    new = _from_config_with(model, overrides)
    skipped = transfer_weights(model, new)
    if skipped:
        logger.info("Layers left freshly initialised after overrides: %s", ", ".join(skipped))
    return new


def _from_config_with(model, overrides):
    """A new, freshly initialised instance of `model`'s class from its config with `overrides`.

    Raises:
        PresetError: a plain functional model (no constructor arguments to
            override), an argument the class does not take, or a config the
            class rejects.
    """
    cls = type(model)
    config = model.get_config()
    if "layers" in config and "input_layers" in config:
        raise PresetError(
            f"Overrides {sorted(overrides)} need a model class with constructor "
            f"arguments; this preset is a plain functional {cls.__name__}."
        )
    accepted = constructor_arguments(cls)
    unknown = sorted(set(overrides) - accepted)
    if unknown:
        raise PresetError(
            f"{cls.__name__} takes no argument {', '.join(unknown)}. "
            f"Accepted: {', '.join(sorted(accepted))}."
        )
    if "num_classes" in overrides and "class_names" in config and "class_names" not in overrides:
        config["class_names"] = None  # The old class names describe the old head.
    try:
        return cls.from_config({**config, **overrides})
    except (ValueError, TypeError) as e:
        raise PresetError(f"Cannot rebuild {cls.__name__} with {overrides}: {e}") from e


def transfer_weights(source, target):
    """Copies the weights of `source`'s layers into the matching layers of `target`.

    Returns:
        Names of `target`'s layers with weights that found no match of equal shapes.
    """
    pairs = _pair_layers(source, target)
    skipped = []
    for src, dst in pairs:
        if not dst.weights:
            continue
        if src is None or [tuple(w.shape) for w in src.weights] != [
            tuple(w.shape) for w in dst.weights
        ]:
            skipped.append(dst.name)
            continue
        dst.set_weights(src.get_weights())
    return skipped


def _pair_layers(source, target):
    src_layers, dst_layers = source.layers, target.layers
    same_structure = len(src_layers) == len(dst_layers) and all(
        type(a) is type(b) for a, b in zip(src_layers, dst_layers)
    )
    if same_structure:
        return list(zip(src_layers, dst_layers))
    by_name = {layer.name: layer for layer in src_layers}
    return [(by_name.get(layer.name), layer) for layer in dst_layers]


class _RegisteredPresets(dict):
    """{name: PresetInfo} of a class's registered presets (keras_hub's `Cls.presets` dict).

    Calling it, the old `Cls.presets()` form, still returns the list of names
    with a DeprecationWarning.
    """

    def __call__(self):
        warnings.warn("Cls.presets() is deprecated: Cls.presets is a dict {name: PresetInfo}; "
                      "use list(Cls.presets).", DeprecationWarning, stacklevel=2)
        return list(self)


class _PresetsOfClass:
    """Class attribute computed on access: the registry can change during a session."""

    def __get__(self, instance, owner):
        return _RegisteredPresets((info.name, info) for info in registry.list_presets(builder=owner, with_info=True))


class PresetMixin:
    """Adds `from_preset`, `presets` and `save_to_preset` to a model class.

    Example:

    >>> class MyModel(PresetMixin, keras.Model):  # doctest: +SKIP
    ...     ...
    >>> MyModel.from_preset("my_preset", num_classes=5)  # doctest: +SKIP
    """

    #: {name: PresetInfo} of the registered presets built by this class.
    presets = _PresetsOfClass()

    @classmethod
    def from_preset(cls, handle, load_weights=True, *, verify_hashes=True, **overrides):
        """Loads a preset of this class; see `keras_stlstm.from_preset`.

        Raises:
            PresetError: the preset builds another model class.
        """
        return load_preset(handle, expected_class=cls, overrides=overrides, load_weights=load_weights,
                           verify_hashes=verify_hashes)

    def save_to_preset(self, preset_dir, **kwargs):
        """Saves this model as a preset folder that `from_preset(preset_dir)` loads.

        keras_hub's name for `keras_stlstm.presets.save_preset(model, preset_dir,
        card_text=None, metrics=None, overwrite=False)`; returns the folder's Path.
        """
        from keras_stlstm.presets.saving import save_preset

        return save_preset(self, preset_dir, **kwargs)
