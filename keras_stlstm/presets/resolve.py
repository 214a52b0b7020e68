"""Turns a preset handle into a verified local folder.

A handle is one of:

- a registered name ("gesture_jester_a"): the repository's `weights/NAME/` folder
  when it exists (override the `weights/` location with the KERAS_STLSTM_WEIGHTS
  environment variable), else the Hugging Face cache, else a download from the
  Hub. Every file is checked against the SHA-256 in the registry first.
- 'hf://org/name[@revision]': a Hub repo (checked against the registry too when
  it is a registered preset's repo and revision).
- a local folder holding config.json and model.weights.h5 (loaded as is).
"""

import dataclasses
import os
from pathlib import Path
from typing import Optional

from keras_stlstm.presets import hub, registry
from keras_stlstm.presets.errors import PresetError
from keras_stlstm.presets.files import REQUIRED_FILES, check_preset_folder, sha256_file

WEIGHTS_ENV = "KERAS_STLSTM_WEIGHTS"


@dataclasses.dataclass
class ResolvedPreset:
    """A preset located on disk.

    Attributes:
        folder: the folder keras.saving.load_model reads.
        info: the registry entry, or None for an unregistered folder or Hub repo.
        origin: "folder", "weights" (the repository's weights/), "hub" (HF cache).
    """

    folder: Path
    info: Optional[registry.PresetInfo]
    origin: str


def weights_root():
    """The folder holding trained presets as weights/NAME/ (KERAS_STLSTM_WEIGHTS overrides)."""
    env = os.environ.get(WEIGHTS_ENV)
    if env:
        return Path(env).expanduser()
    # keras_stlstm/presets/resolve.py -> repository root / weights
    return Path(__file__).resolve().parents[2] / "weights"


def _looks_like_path(handle):
    return handle.startswith((".", "~", "/")) or os.sep in handle or "/" in handle


def resolve_preset(handle):
    """Locates (downloading if needed) and verifies the preset `handle`.

    Returns:
        A `ResolvedPreset`.

    Raises:
        PresetError: unknown name (with suggestions), missing folder or file,
            failed download, or a file whose SHA-256 differs from the registry's.
    """
    handle = os.fspath(handle)
    if handle.startswith("hf://"):
        return _resolve_hub_handle(handle)
    if Path(handle).expanduser().is_dir():
        return ResolvedPreset(check_preset_folder(Path(handle).expanduser()), None, "folder")
    if _looks_like_path(handle):
        hint = f" (for a Hub repo write hf://{handle})" if handle.count("/") == 1 else ""
        raise PresetError(f"Preset folder not found: {handle}{hint}")
    info = registry.get_preset_info(handle)
    local = weights_root() / info.name
    if local.is_dir():
        verify_files(local, info, delete_bad=False)
        return ResolvedPreset(local, info, "weights")
    return ResolvedPreset(_download_registered(info), info, "hub")


def _resolve_hub_handle(handle):
    repo_id, revision = hub.parse_hf_handle(handle)
    for info in registry.list_presets(with_info=True):
        if info.hub_repo == repo_id and revision in (None, info.revision):
            return ResolvedPreset(_download_registered(info), info, "hub")
    folder = hub.download_snapshot(repo_id, revision)
    return ResolvedPreset(check_preset_folder(folder), None, "hub")


def _download_registered(info):
    """Downloads (or finds in the cache) every file of `info` and verifies each."""
    missing = [name for name in REQUIRED_FILES if name not in info.files]
    if missing:
        raise PresetError(
            f"Registry entry {info.name!r} lists no {', '.join(missing)}; "
            "re-register the preset with register_preset()."
        )
    folder = None
    for rel in info.files:
        try:
            path = hub.download_file(info.hub_repo, rel, info.revision)
        except PresetError as e:
            # Say where a local copy would have been found: an installed (non-editable) package
            # has no weights/ folder beside it.
            raise PresetError(
                f"Preset {info.name!r} is not in {weights_root() / info.name} (set {WEIGHTS_ENV} to a folder "
                f"holding {info.name}/, such as a clone's weights/) and could not be downloaded: {e}"
            ) from e
        _check_hash(path, rel, info, delete_bad=True)
        # Files land in snapshots/<commit>/<rel>: the folder is <rel>'s root.
        folder = Path(path).parents[len(Path(rel).parts) - 1]
    return folder


def verify_files(folder, info, delete_bad=False):
    """Checks every file `info` lists under `folder` against its SHA-256.

    Args:
        folder: the preset folder.
        info: the `PresetInfo` with the expected digests.
        delete_bad: delete a mismatching file (for cache copies only, never for
            the repository's own weights/ folder).

    Raises:
        PresetError: a file is missing or its digest differs; names the file and
            both digests.
    """
    folder = Path(folder)
    for rel in info.files:
        path = folder / rel
        if not path.is_file():
            raise PresetError(
                f"Preset {info.name!r}: {path} is missing (the registry lists "
                f"{', '.join(info.files)})."
            )
        _check_hash(path, rel, info, delete_bad)


def _check_hash(path, rel, info, delete_bad):
    expected = info.files[rel]
    actual = sha256_file(path)
    if actual == expected:
        return
    if delete_bad:
        hub.delete_cached_file(path)
        action = "The bad copy was deleted from the cache; loading again downloads it anew."
    else:
        action = "The file was left in place: replace it or re-register the preset."
    raise PresetError(
        f"Preset {info.name!r}: {rel} ({path}) failed its integrity check: SHA-256 "
        f"{actual}, expected {expected}. {action}"
    )
