"""File helpers for preset folders: hashing, checks and atomic writes."""

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from keras_stlstm.presets.errors import PresetError

CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
WEIGHTS_FILE = "model.weights.h5"
CARD_FILE = "README.md"
# What keras.saving.load_model needs; README.md and metadata.json are documentation.
REQUIRED_FILES = (CONFIG_FILE, WEIGHTS_FILE)
PRESET_FILES = (CONFIG_FILE, METADATA_FILE, WEIGHTS_FILE, CARD_FILE)


def sha256_file(path, chunk_size=1 << 20):
    """Hex SHA-256 of a file, read in chunks so large weights need little memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def preset_file_names(folder):
    """Relative paths (POSIX form) of the regular files in a preset folder, sorted.

    Hidden files and empty folders are skipped: neither survives an upload to the Hub.
    """
    folder = Path(folder)
    names = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            names.append(rel.as_posix())
    return names


def check_preset_folder(folder):
    """Raises PresetError unless `folder` is a directory with the files Keras loads."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PresetError(f"Preset folder not found: {folder}")
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise PresetError(
            f"Preset folder {folder} is missing {', '.join(missing)}; a preset folder "
            f"holds {', '.join(PRESET_FILES)} (as written by keras_stlstm.save_preset)."
        )
    return folder


# Files whose sha256 save_preset records in metadata.json: all but the two that
# describe the preset (metadata.json cannot hold its own hash; the card is prose
# people edit, e.g. on the Hub).
UNHASHED_FILES = (METADATA_FILE, CARD_FILE)
HASHES_KEY = "sha256"


def file_hashes(folder):
    """{relative path: sha256} of the preset folder's files that metadata.json records."""
    folder = Path(folder)
    return {rel: sha256_file(folder / rel) for rel in preset_file_names(folder) if rel not in UNHASHED_FILES}


def check_recorded_hashes(folder):
    """Checks the files of a preset folder against the sha256 recorded in its metadata.json.

    A folder whose metadata.json records none (saved by an earlier version, or
    not by `save_preset`) has nothing to check.

    Raises:
        PresetError: a recorded file is missing or its sha256 differs, naming it.
    """
    folder = Path(folder)
    metadata_path = folder / METADATA_FILE
    if not metadata_path.is_file():
        return
    metadata = read_json(metadata_path)
    recorded = metadata.get(HASHES_KEY) if isinstance(metadata, dict) else None
    if not isinstance(recorded, dict):
        return
    for rel, expected in sorted(recorded.items()):
        path = folder / rel
        problem = ("is missing" if not path.is_file()
                   else None if sha256_file(path) == expected else "does not match the sha256 recorded")
        if problem:
            raise PresetError(
                f"{path} {problem} in {METADATA_FILE} when the preset was saved: the folder is damaged or was "
                "edited. Save or download the preset again; to load a folder edited on purpose, pass "
                "verify_hashes=False (--no-verify-hashes)."
            )


def read_json(path):
    """Parses a JSON file, raising PresetError that names the file when it is not JSON."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise PresetError(f"{path} is not valid JSON: {e}") from e


def write_text_atomic(path, text):
    """Writes `text` to `path` through a temporary file in the same folder, then renames."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_temp_sibling(path, error=PresetError):
    """Creates an empty temporary folder next to `path` (same file system, so rename works).

    Raises `error` (PresetError by default) when the parent folder cannot be
    created or written.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    except OSError as e:
        raise error(f"Cannot write to {path.parent}: {e.strerror or e}") from e


def move_into_place(tmp, path, overwrite=False):
    """Renames the finished temporary file or folder `tmp` to `path`.

    An existing `path` is refused unless `overwrite`; then it is moved aside first and
    deleted only once the new one is in place, so a failure never leaves neither.
    """
    tmp, path = Path(tmp), Path(path)
    if path.exists() and not overwrite:
        _remove(tmp)
        raise PresetError(f"{path} already exists; pass overwrite=True to replace it.")
    old = None
    if path.exists():
        old = path.with_name(f".{path.name}.old-{os.getpid()}")
        _remove(old)
        os.replace(path, old)
    try:
        os.replace(tmp, path)
    except OSError:
        if old is not None:
            os.replace(old, path)
        _remove(tmp)
        raise
    if old is not None:
        _remove(old)
    return path


def _remove(path):
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)
