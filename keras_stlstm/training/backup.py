"""Epoch-end training backups that a kill or a full disk at any moment cannot spoil.

A run's `backup/` folder holds one subfolder per backed-up epoch,
`epoch-0003/` (weights with the optimiser state in `latest.weights.h5`, and
`training_metadata.json`: the epoch and the weights' sha256). Each is written
under a temporary name (`.epoch-0003.tmp-PID`), its files flushed to disk, then
renamed into place, so a backup folder is either complete or absent; the
newest two are kept, and one whose sha256 no longer matches (a damaged disk, a
hand edit) is skipped for the one before it with a message.

`training_done.json` in `backup/` records that `fit` finished: a run killed
after it (during batch-norm recalibration or the final save) resumes at that
step instead of training again. The training entry point deletes `backup/`
only once `model/` and `metrics.json` are in place.
"""

import io
import json
import os
import re
import shutil

import keras

from keras_stlstm.presets.files import sha256_file

WEIGHTS_FILE = "latest.weights.h5"
METADATA_FILE = "training_metadata.json"
DONE_FILE = "training_done.json"
KEEP = 2  # the newest backup and the one before it, the fallback if the newest is damaged
_FOLDER = re.compile(r"epoch-(\d+)$")


class BackupError(OSError):
    """A backup could not be written, or none of the backups found can be resumed."""


def folder_name(epoch):
    return f"epoch-{epoch:04d}"


def backup_folders(backup_dir):
    """(epoch, folder) of the backup folders in `backup_dir`, newest first.

    A backup in Keras' own layout (the files directly in `backup_dir`, as
    written by earlier versions) counts as one more.
    """
    found = []
    if os.path.isdir(backup_dir):
        for name in os.listdir(backup_dir):
            match = _FOLDER.match(name)
            if match and os.path.isdir(os.path.join(backup_dir, name)):
                found.append((int(match.group(1)), os.path.join(backup_dir, name)))
        legacy = _read_metadata(backup_dir)
        if legacy is not None:
            found.append((legacy["epoch"], backup_dir))
    return sorted(found, key=lambda item: item[0], reverse=True)


def _read_metadata(folder):
    """The folder's metadata dict when it has both files and parses, else None."""
    path = os.path.join(folder, METADATA_FILE)
    if not (os.path.isfile(path) and os.path.isfile(os.path.join(folder, WEIGHTS_FILE))):
        return None
    try:
        with open(path) as f:
            metadata = json.load(f)
        metadata["epoch"] = int(metadata["epoch"])
        return metadata
    except (ValueError, KeyError, TypeError):
        return None


def damage(folder):
    """Why the backup in `folder` cannot be resumed, or None when it is sound."""
    metadata = _read_metadata(folder)
    if metadata is None:
        return f"{METADATA_FILE} or {WEIGHTS_FILE} is missing or unreadable"
    expected = (metadata.get("sha256") or {}).get(WEIGHTS_FILE)
    if expected is None:  # Keras' layout carries no hash: at least open the HDF5 file
        import h5py

        try:
            with h5py.File(os.path.join(folder, WEIGHTS_FILE), "r"):
                return None
        except OSError as e:
            return f"{WEIGHTS_FILE} is not a readable HDF5 file ({e})"
    if sha256_file(os.path.join(folder, WEIGHTS_FILE)) != expected:
        return f"the sha256 of {WEIGHTS_FILE} does not match the one recorded when it was written"
    return None


def latest_good_backup(backup_dir):
    """The newest sound backup: ((epoch, folder) or None, [(folder, why) of newer damaged ones])."""
    damaged = []
    for epoch, folder in backup_folders(backup_dir):
        why = damage(folder)
        if why is None:
            return (epoch, folder), damaged
        damaged.append((folder, why))
    return None, damaged


def training_done(backup_dir):
    """The contents of `training_done.json` (fit finished), or None."""
    path = os.path.join(backup_dir, DONE_FILE)
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def _write_json_durably(path, payload):
    """Writes JSON to a temporary file, flushes it to disk, then renames it into place."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(payload, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def mark_training_done(backup_dir, payload):
    """Records that fit finished (see the module docstring)."""
    _write_json_durably(os.path.join(backup_dir, DONE_FILE), payload)


def _weights_bytes(model):
    """The model's `.weights.h5` file (weights and optimiser state) as bytes, or None.

    HDF5 writing straight to a file that hits a full disk fails inside h5py's
    clean-up and can crash the process; built in memory, the file reaches the
    disk through one plain write that raises a clean OSError. (Keras' in-memory
    weights store is internal: without it, None, and the weights are saved to
    the file directly.)
    """
    try:
        from keras.src.saving import saving_lib

        buffer = io.BytesIO()
        store = saving_lib.H5IOStore(buffer, mode="w")
        saving_lib._save_state(model, weights_store=store, assets_store=None, inner_path="",
                               visited_saveables=set())
        store.close()
    except (ImportError, AttributeError, TypeError):
        return None
    return buffer.getvalue()


def _save_weights(model, path):
    data = _weights_bytes(model)
    if data is None:
        model.save_weights(path, overwrite=True)
    else:
        with open(path, "wb") as f:
            f.write(data)
    with open(path, "rb") as f:  # reach the disk before the folder is renamed
        os.fsync(f.fileno())


def write_backup(model, backup_dir, epoch):
    """Backs up `model` (weights and optimiser state) after `epoch` completed epochs.

    Raises:
        BackupError: the backup could not be written (e.g. the disk is full);
            the earlier backups are left as they were.
    """
    final = os.path.join(backup_dir, folder_name(epoch))
    tmp = os.path.join(backup_dir, f".{folder_name(epoch)}.tmp-{os.getpid()}")
    try:
        os.makedirs(tmp, exist_ok=True)
        weights = os.path.join(tmp, WEIGHTS_FILE)
        _save_weights(model, weights)
        _write_json_durably(os.path.join(tmp, METADATA_FILE),
                            {"epoch": epoch, "batch": 0, "sha256": {WEIGHTS_FILE: sha256_file(weights)}})
        if os.path.exists(final):  # a damaged backup of this epoch, left by an earlier process
            shutil.rmtree(final)
        os.replace(tmp, final)
    except (OSError, RuntimeError) as e:
        shutil.rmtree(tmp, ignore_errors=True)
        previous = backup_folders(backup_dir)
        kept = f"the backup of epoch {previous[0][0]} is intact" if previous else "no earlier backup exists"
        raise BackupError(f"Could not write the backup of epoch {epoch} in {backup_dir} ({e}); {kept}: "
                          "free some space and run the same command again to resume.") from e
    _prune(backup_dir)


def delete_backup(backup_dir, folder):
    """Deletes one backup of `backup_dir` (for Keras' layout, its two files only)."""
    if os.path.abspath(folder) == os.path.abspath(backup_dir):
        for name in (WEIGHTS_FILE, METADATA_FILE):
            if os.path.exists(os.path.join(backup_dir, name)):
                os.remove(os.path.join(backup_dir, name))
    else:
        shutil.rmtree(folder, ignore_errors=True)


def _prune(backup_dir):
    """Deletes all but the KEEP newest backups."""
    for _, folder in backup_folders(backup_dir)[KEEP:]:
        delete_backup(backup_dir, folder)


def remove_stale_temporaries(backup_dir):
    """Deletes backups a killed process left half-written (`.epoch-N.tmp-PID`)."""
    if os.path.isdir(backup_dir):
        for name in os.listdir(backup_dir):
            if name.startswith(".epoch-") or ".tmp-" in name:
                path = os.path.join(backup_dir, name)
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


def remove_backup(backup_dir):
    """Deletes `backup_dir`: renamed first, so a kill mid-way leaves no partial backup."""
    if not os.path.exists(backup_dir):
        return
    doomed = f"{backup_dir}.removed-{os.getpid()}"
    os.replace(backup_dir, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


class EpochBackup(keras.callbacks.Callback):
    """Writes a backup at every epoch end and restores one when training starts.

    Args:
        backup_dir: the run's backup folder.
        restore_from: a backup folder to restore before the first epoch
            (from `latest_good_backup`), or None to start afresh.
    """

    def __init__(self, backup_dir, restore_from=None):
        super().__init__()
        self.backup_dir = backup_dir
        self.restore_from = restore_from

    def on_train_begin(self, logs=None):
        if self.restore_from is None:
            return
        metadata = _read_metadata(self.restore_from)
        if self.model.optimizer is not None and not self.model.optimizer.built:
            # The optimiser's variables must exist for its state to be loaded.
            self.model.optimizer.build(self.model.trainable_variables)
        self.model.load_weights(os.path.join(self.restore_from, WEIGHTS_FILE))
        # What keras.callbacks.BackupAndRestore sets: fit starts at this epoch.
        self.model._initial_epoch = metadata["epoch"]

    def on_epoch_end(self, epoch, logs=None):
        write_backup(self.model, self.backup_dir, epoch + 1)
