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
from keras_stlstm.presets.upload import upload_preset


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
