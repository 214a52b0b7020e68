"""Registering a model as a preset for the current session only (tests, demos)."""

from pathlib import Path

from keras_stlstm import presets
from keras_stlstm.presets.files import preset_file_names, sha256_file
from keras_stlstm.presets.registry import PresetInfo


def register_temporary_preset(weights, name, model, metrics=None):
    """Saves `model` to `weights/name` and registers it for this Python session.

    Point the KERAS_STLSTM_WEIGHTS environment variable at `weights` so the name
    resolves to that folder; undo with `keras_stlstm.presets.remove_preset(name)`.
    Nothing is written to the package's registry.json.

    Args:
        weights: a folder standing in for the repository's weights/ (e.g. a
            pytest temporary folder).
        name: the preset name.
        model: a built keras_stlstm model.
        metrics: optional {metric: value} for the registry entry.

    Returns:
        The registered `PresetInfo`.

    Example:

    >>> info = register_temporary_preset(tmp, "tiny_clf", TinyClipClassifier())  # doctest: +SKIP
    """
    folder = presets.save_preset(model, Path(weights) / name)
    files = {rel: sha256_file(folder / rel) for rel in preset_file_names(folder)}
    info = PresetInfo(
        name=name, builder=type(model).__name__, description=f"{name} (temporary test preset)",
        hub_repo=f"keras-stlstm/{name}", files=files, metrics=dict(metrics or {}),
    )
    return presets.add_preset(info, overwrite=True)
