"""`upload_preset(uri, preset)`: a preset folder (or a model) to the Hugging Face Hub."""

import os
import tempfile
import warnings
from pathlib import Path

from keras_stlstm.presets import hub
from keras_stlstm.presets.files import check_preset_folder
from keras_stlstm.presets.saving import save_preset


def _is_hub_uri(value):
    return isinstance(value, (str, os.PathLike)) and os.fspath(value).startswith("hf://")


def upload_preset(uri, preset, commit_message=None, private=False, token=None):
    """Uploads a preset to the Hugging Face Hub (maintainers), in keras_hub's argument order.

    Args:
        uri: 'hf://org/name' (optionally '@branch').
        preset: a preset folder, or a Keras model (saved with `save_preset` into
            a temporary folder first). The old order `upload_preset(preset, uri)`
            still works and warns (DeprecationWarning).
        commit_message, private, token: passed to huggingface_hub.

    Returns:
        huggingface_hub's CommitInfo; pin its `oid` as the registry revision.

    Example:

    >>> commit = upload_preset("hf://keras-stlstm/gesture_jester_a", "weights/gesture_jester_a")  # doctest: +SKIP
    """
    if not _is_hub_uri(uri) and _is_hub_uri(preset):
        warnings.warn("upload_preset(preset, uri) is deprecated: write upload_preset(uri, preset), "
                      "keras_hub's order.", DeprecationWarning, stacklevel=2)
        uri, preset = preset, uri
    hub.parse_hf_handle(os.fspath(uri))  # Fail on a bad handle before saving anything.
    if isinstance(preset, (str, os.PathLike)):
        return hub.upload_folder(check_preset_folder(preset), uri, commit_message, private, token)
    with tempfile.TemporaryDirectory() as tmp:
        folder = save_preset(preset, Path(tmp) / "preset")
        return hub.upload_folder(folder, uri, commit_message, private, token)
