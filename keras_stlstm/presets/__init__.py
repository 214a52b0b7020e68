"""Pretrained presets: the registry, loading (`from_preset`), saving and Hub upload.

Importing this package is cheap: Keras is imported when a model is loaded or
saved, huggingface_hub only when something is downloaded or uploaded.
"""

from keras_stlstm.presets.errors import PresetError
from keras_stlstm.presets.loading import PresetMixin, from_preset, rebuild_with, transfer_weights
from keras_stlstm.presets.registry import (
    PresetInfo,
    add_preset,
    get_preset_info,
    list_presets,
    refresh_preset_files,
    register_preset,
    remove_preset,
)
from keras_stlstm.presets.resolve import resolve_preset, weights_root
from keras_stlstm.presets.saving import save_preset


def upload_preset(model_or_folder, handle, commit_message=None, private=False, token=None):
    """Uploads a preset to the Hugging Face Hub (maintainers).

    Args:
        model_or_folder: a Keras model (saved with `save_preset` into a temporary
            folder first) or a preset folder.
        handle: 'hf://org/name' (optionally '@branch').
        commit_message, private, token: passed to huggingface_hub.

    Returns:
        huggingface_hub's CommitInfo; pin its `oid` as the registry revision.

    Example:

    >>> commit = upload_preset("weights/gesture_jester_a", "hf://keras-stlstm/gesture_jester_a")  # doctest: +SKIP
    """
    import tempfile
    from pathlib import Path

    from keras_stlstm.presets import hub
    from keras_stlstm.presets.files import check_preset_folder

    hub.parse_hf_handle(handle)  # Fail on a bad handle before saving anything.
    if isinstance(model_or_folder, (str, Path)):
        folder = check_preset_folder(model_or_folder)
        return hub.upload_folder(folder, handle, commit_message, private, token)
    with tempfile.TemporaryDirectory() as tmp:
        folder = save_preset(model_or_folder, Path(tmp) / "preset")
        return hub.upload_folder(folder, handle, commit_message, private, token)


__all__ = [
    "PresetError",
    "PresetInfo",
    "PresetMixin",
    "add_preset",
    "from_preset",
    "get_preset_info",
    "list_presets",
    "rebuild_with",
    "refresh_preset_files",
    "register_preset",
    "remove_preset",
    "resolve_preset",
    "save_preset",
    "transfer_weights",
    "upload_preset",
    "weights_root",
]
