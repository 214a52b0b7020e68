"""Writing a model as a preset folder (config.json, metadata.json, model.weights.h5, README.md)."""

import datetime
import json
import shutil
from pathlib import Path

from keras_stlstm.presets.errors import PresetError
from keras_stlstm.presets.files import (
    CARD_FILE,
    HASHES_KEY,
    METADATA_FILE,
    file_hashes,
    make_temp_sibling,
    move_into_place,
    read_json,
)


def save_preset(model, folder, card_text=None, metrics=None, overwrite=False):
    """Saves `model` as a preset folder that `from_preset(folder)` loads.

    The folder is written under a temporary name next to `folder` and renamed
    into place only when complete, so an interrupted save never leaves a
    half-written preset. metadata.json records the sha256 of every other file
    but README.md; loading checks them.

    Args:
        model: a built Keras model (a registered keras_stlstm model class, so
            the folder loads with safe_mode=True).
        folder: destination folder (e.g. "weights/gesture_jester_a").
        card_text: Markdown body of the model card (README.md); a short card
            naming the class and parameter count is written when omitted. The
            Hub metadata header (library_name: keras) is always added.
        metrics: optional {metric: value} recorded in metadata.json and the card.
        overwrite: replace an existing folder.

    Returns:
        The folder's Path.

    Example:

    >>> import keras, tempfile
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> path = save_preset(model, tempfile.mkdtemp() + "/tiny")
    >>> sorted(p.name for p in path.iterdir())
    ['README.md', 'config.json', 'metadata.json', 'model.weights.h5']
    """
    import keras

    folder = Path(folder)
    if folder.exists() and not overwrite:
        raise PresetError(f"{folder} already exists; pass overwrite=True to replace it.")
    if not model.built:
        raise PresetError("The model has no weights yet: build it (call it once) before saving.")
    tmp = make_temp_sibling(folder)
    try:
        keras.saving.save_model(model, tmp, zipped=False)
        # Keras leaves an empty assets/ folder; the Hub drops empty folders, so drop it
        # here too and the local and downloaded copies hold the same files.
        assets = tmp / "assets"
        if assets.is_dir() and not any(assets.iterdir()):
            assets.rmdir()
        preprocessor = getattr(model, "preprocessor", None)
        if preprocessor is not None:  # a clip model's: saved beside the weights, read back by from_preset
            preprocessor.save(tmp)
        metadata = _metadata(model, read_json(tmp / METADATA_FILE), metrics)
        # Checked when the folder is loaded (from_preset): a damaged file fails loudly.
        metadata[HASHES_KEY] = file_hashes(tmp)
        (tmp / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
        (tmp / CARD_FILE).write_text(model_card(model, card_text, metrics), encoding="utf-8")
        return move_into_place(tmp, folder, overwrite=overwrite)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _metadata(model, keras_metadata, metrics):
    from keras_stlstm import __version__

    metadata = dict(keras_metadata)
    metadata.update(
        {
            "keras_stlstm_version": __version__,
            "class_name": type(model).__name__,
            "parameter_count": int(model.count_params()),
            "date_saved": keras_metadata.get("date_saved")
            or datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        }
    )
    if metrics:
        metadata["metrics"] = dict(metrics)
    return metadata


def model_card(model, card_text=None, metrics=None):
    """README.md text: Hub metadata header plus `card_text` (or a generated card)."""
    header = "---\nlibrary_name: keras\nlicense: apache-2.0\ntags:\n- keras-stlstm\n- video\n---\n"
    if card_text is not None and card_text.lstrip().startswith("---"):
        return card_text  # The caller wrote its own header.
    if card_text is None:
        name = type(model).__name__
        card_text = (
            f"# {model.name}\n\nA keras-stlstm `{name}` with "
            f"{model.count_params():,} parameters.\n\n"
            "```python\nimport keras_stlstm\n\n"
            'model = keras_stlstm.from_preset("<this folder or hf://org/name>")\n```\n'
        )
    if metrics:
        rows = "".join(f"| {k} | {v} |\n" for k, v in metrics.items())
        card_text += f"\n## Metrics\n\n| metric | value |\n| --- | --- |\n{rows}"
    return header + card_text
