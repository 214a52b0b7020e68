"""The one registry of pretrained presets.

Each preset is a `PresetInfo`: where its files live on the Hugging Face Hub, the
SHA-256 of every file (checked before anything is loaded), the model class that
builds it, and the numbers it reaches. The entries are stored in
`registry.json` next to this module; maintainers add one with `register_preset`
after training a checkpoint into `weights/NAME/`.
"""

import dataclasses
import difflib
import json
from pathlib import Path

from keras_stlstm.presets.errors import PresetError
from keras_stlstm.presets.files import (
    CONFIG_FILE,
    check_preset_folder,
    preset_file_names,
    read_json,
    sha256_file,
    write_text_atomic,
)

REGISTRY_PATH = Path(__file__).with_name("registry.json")
DEFAULT_ORG = "keras-stlstm"


@dataclasses.dataclass(frozen=True)
class PresetInfo:
    """Everything the package knows about one pretrained preset.

    Args:
        name: the registered name, e.g. "gesture_jester_a".
        builder: the model class name that `config.json` must name, e.g.
            "GestureRecognizer".
        description: one line.
        hub_repo: Hugging Face repo id, e.g. "keras-stlstm/gesture_jester_a".
        revision: branch, tag or 40-hex commit of the Hub repo to download.
        files: {relative file name: SHA-256 hex digest}, every file of the preset.
        metrics: {metric name: value} measured on the evaluation set named in
            the model card.
        license: SPDX identifier of the weights' license.
        source: how the weights were obtained (training recipe, data set).
    """

    name: str
    builder: str
    description: str
    hub_repo: str
    revision: str = "main"
    files: dict = dataclasses.field(default_factory=dict)
    metrics: dict = dataclasses.field(default_factory=dict)
    license: str = "Apache-2.0"
    source: str = ""

    @property
    def handle(self):
        """The `hf://org/name@revision` handle of the preset's Hub copy."""
        return f"hf://{self.hub_repo}@{self.revision}"

    def to_json(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data):
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - fields)
        if unknown:
            raise PresetError(
                f"Registry entry {data.get('name')!r} has unknown keys {unknown}; "
                f"expected keys among {sorted(fields)}."
            )
        return cls(**data)


_PRESETS = None  # name -> PresetInfo, read from registry.json on first use.


def _registry():
    global _PRESETS
    if _PRESETS is None:
        _PRESETS = _read_registry(REGISTRY_PATH)
    return _PRESETS


def _read_registry(path):
    data = read_json(path) if Path(path).exists() else {"presets": {}}
    return {name: PresetInfo.from_json(entry) for name, entry in data["presets"].items()}


def list_presets(builder=None, with_info=False):
    """Names of the registered presets, sorted.

    Args:
        builder: keep only presets built by this model class (a class or its name).
        with_info: return the `PresetInfo` objects instead of the names.

    Returns:
        A list of names (or of `PresetInfo`).

    Example:

    >>> import keras_stlstm
    >>> isinstance(keras_stlstm.list_presets(), list)
    True
    """
    if builder is not None and not isinstance(builder, str):
        builder = builder.__name__
    infos = [
        info
        for _, info in sorted(_registry().items())
        if builder is None or info.builder == builder
    ]
    return infos if with_info else [info.name for info in infos]


def get_preset_info(name):
    """The `PresetInfo` of a registered preset.

    Raises:
        PresetError: the name is not registered; the message suggests close names.
    """
    presets = _registry()
    if name in presets:
        return presets[name]
    close = difflib.get_close_matches(name, list(presets), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    known = ", ".join(sorted(presets)) or "none yet"
    raise PresetError(
        f"Unknown preset {name!r}.{hint} Registered presets: {known}. A handle may also "
        "be a local preset folder or 'hf://org/name[@revision]'."
    )


def is_registered(name):
    return name in _registry()


def add_preset(info, overwrite=False):
    """Registers `info` for this Python session (not written to registry.json).

    Useful for private presets and tests; `register_preset` writes the entry to disk.
    """
    if not isinstance(info, PresetInfo):
        raise TypeError(f"`info` must be a PresetInfo; received {type(info).__name__}.")
    presets = _registry()
    if info.name in presets and not overwrite:
        raise PresetError(f"Preset {info.name!r} is already registered; pass overwrite=True.")
    presets[info.name] = info
    return info


def remove_preset(name):
    """Unregisters `name` for this Python session; returns its `PresetInfo`."""
    get_preset_info(name)
    return _registry().pop(name)


def register_preset(
    folder,
    name,
    description,
    *,
    hub_repo=None,
    revision="main",
    metrics=None,
    license="Apache-2.0",
    source="",
    registry_path=None,
    overwrite=False,
):
    """Maintainer helper: adds the preset saved in `folder` to registry.json.

    Hashes every file of the folder and reads the model class from its
    config.json. Upload the same folder with `upload_preset` (then set
    `revision` to the commit it created, so users get exactly these files).

    Args:
        folder: a preset folder written by `save_preset` (e.g. weights/NAME).
        name: the registered name.
        description: one line.
        hub_repo: Hub repo id; defaults to "keras-stlstm/NAME".
        revision: Hub branch, tag or commit.
        metrics: {metric: value}.
        license, source: see `PresetInfo`.
        registry_path: the JSON file to update (default: the package's registry.json).
        overwrite: replace an existing entry of that name.

    Returns:
        The new `PresetInfo` (also registered in this session).

    Example:

    >>> save_preset(model, "weights/gesture_jester_a")  # doctest: +SKIP
    >>> register_preset("weights/gesture_jester_a", "gesture_jester_a",
    ...                 "GestureRecognizer (a) trained on Jester", metrics={"top1": 0.9})  # doctest: +SKIP
    """
    folder = check_preset_folder(folder)
    config = read_json(folder / CONFIG_FILE)
    info = PresetInfo(
        name=name,
        builder=config.get("class_name", ""),
        description=description,
        hub_repo=hub_repo or f"{DEFAULT_ORG}/{name}",
        revision=revision,
        files={rel: sha256_file(folder / rel) for rel in preset_file_names(folder)},
        metrics=dict(metrics or {}),
        license=license,
        source=source,
    )
    path = Path(registry_path or REGISTRY_PATH)
    data = read_json(path) if path.exists() else {"presets": {}}
    if name in data["presets"] and not overwrite:
        raise PresetError(f"Preset {name!r} is already in {path}; pass overwrite=True.")
    data["presets"][name] = info.to_json()
    data["presets"] = dict(sorted(data["presets"].items()))
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False) + "\n")
    add_preset(info, overwrite=True)
    return info


def refresh_preset_files(name, folder, metrics=None, registry_path=None):
    """Re-hashes the files of preset `name` after its folder changed (e.g. a new model card).

    Updates the entry in registry.json when it is there and the session's entry
    always, so the SHA-256 checks made before loading keep passing.

    Args:
        name: a registered preset.
        folder: its folder (weights/NAME).
        metrics: optional {metric: value} merged into the entry's metrics.
        registry_path: the JSON file (default: the package's registry.json).

    Returns:
        The updated `PresetInfo`.
    """
    folder = check_preset_folder(folder)
    files = {rel: sha256_file(folder / rel) for rel in preset_file_names(folder)}
    info = get_preset_info(name)
    info = dataclasses.replace(info, files=files, metrics={**info.metrics, **(metrics or {})})
    path = Path(registry_path or REGISTRY_PATH)
    data = read_json(path) if path.exists() else {"presets": {}}
    if name in data["presets"]:
        data["presets"][name] = info.to_json()
        write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False) + "\n")
    return add_preset(info, overwrite=True)
