"""Hugging Face Hub transfers: download into the HF cache, upload a preset folder.

huggingface_hub reads HF_ENDPOINT, HF_HUB_OFFLINE and HF_HOME once, when it is
first imported, so it is imported inside the functions here (never at package
import): setting those variables any time before the first download works.
"""

import os
from pathlib import Path

from keras_stlstm.presets.errors import PresetError

LIBRARY_NAME = "keras-stlstm"


def parse_hf_handle(handle):
    """Splits 'hf://org/name[@revision]' into ("org/name", revision or None)."""
    body = handle[len("hf://") :]
    repo, _, revision = body.partition("@")
    parts = repo.split("/")
    if len(parts) != 2 or not all(parts):
        raise PresetError(
            f"Invalid Hub handle {handle!r}: expected 'hf://org/name' or "
            "'hf://org/name@revision'."
        )
    return repo, (revision or None)


def _library_version():
    from keras_stlstm import __version__

    return __version__


def _hub_error(e, what, repo_id, revision):
    """Turns a huggingface_hub exception into a PresetError that says what failed."""
    from huggingface_hub import constants, errors

    where = f"{repo_id}@{revision or 'main'} on {constants.ENDPOINT}"
    if isinstance(e, errors.RepositoryNotFoundError):
        msg = f"Hub repository {where} not found (or private: log in with `hf auth login`)."
    elif isinstance(e, errors.RevisionNotFoundError):
        msg = f"Revision {revision!r} not found in Hub repository {repo_id}."
    elif isinstance(e, errors.RemoteEntryNotFoundError):
        msg = f"{what} not found in Hub repository {where}."
    elif isinstance(e, errors.LocalEntryNotFoundError):
        offline = " (HF_HUB_OFFLINE is set)" if constants.HF_HUB_OFFLINE else ""
        msg = (
            f"{what} of {where} is not in the Hugging Face cache "
            f"({constants.HF_HUB_CACHE}) and could not be downloaded{offline}."
        )
    else:
        msg = f"Download of {what} from {where} failed: {type(e).__name__}: {e}"
    return PresetError(msg)


# Seconds to wait for a TCP connection to the Hub before calling it unreachable.
REACH_TIMEOUT = 3.0


def _check_reachable(what, repo_id, revision):
    """Raises a PresetError at once when the Hub endpoint takes no connection (offline, firewalled),
    instead of letting huggingface_hub retry for half a minute before failing."""
    import socket
    from urllib.parse import urlsplit

    from huggingface_hub import constants

    url = urlsplit(constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=REACH_TIMEOUT):
            return
    except OSError as e:
        raise PresetError(
            f"{what} of {repo_id}@{revision or 'main'} is not in the Hugging Face cache and "
            f"{constants.ENDPOINT} cannot be reached ({e.strerror or e})."
        ) from e


def download_file(repo_id, filename, revision=None):
    """Path of `filename` of a Hub repo in the HF cache, downloading it if needed.

    The cache is tried first without any request, so a preset that was downloaded
    once loads offline. A failed download leaves no partial file under its final
    name (huggingface_hub writes to a temporary name and renames).
    """
    import huggingface_hub

    kwargs = dict(
        repo_id=repo_id,
        filename=filename,
        revision=revision,
        library_name=LIBRARY_NAME,
        library_version=_library_version(),
    )
    try:
        return Path(huggingface_hub.hf_hub_download(local_files_only=True, **kwargs))
    except huggingface_hub.errors.LocalEntryNotFoundError as e:
        if huggingface_hub.constants.HF_HUB_OFFLINE:
            raise _hub_error(e, filename, repo_id, revision) from e
    _check_reachable(filename, repo_id, revision)
    try:
        return Path(huggingface_hub.hf_hub_download(**kwargs))
    except Exception as e:  # noqa: BLE001 - network errors come in many types
        raise _hub_error(e, filename, repo_id, revision) from e


def download_snapshot(repo_id, revision=None):
    """Folder of a whole Hub repo snapshot in the HF cache (cache first, then download)."""
    import huggingface_hub

    kwargs = dict(
        repo_id=repo_id,
        revision=revision,
        library_name=LIBRARY_NAME,
        library_version=_library_version(),
    )
    try:
        return Path(huggingface_hub.snapshot_download(local_files_only=True, **kwargs))
    except huggingface_hub.errors.LocalEntryNotFoundError as e:
        if huggingface_hub.constants.HF_HUB_OFFLINE:
            raise _hub_error(e, "The snapshot", repo_id, revision) from e
    _check_reachable("The snapshot", repo_id, revision)
    try:
        return Path(huggingface_hub.snapshot_download(**kwargs))
    except Exception as e:  # noqa: BLE001
        raise _hub_error(e, "The snapshot", repo_id, revision) from e


def delete_cached_file(path):
    """Removes a file from the HF cache: the snapshot entry and the blob it points to."""
    path = Path(path)
    blob = Path(os.path.realpath(path))
    path.unlink(missing_ok=True)
    if blob != path:
        blob.unlink(missing_ok=True)


def upload_folder(folder, handle, commit_message=None, private=False, token=None):
    """Uploads a preset folder to 'hf://org/name' (creating the repo if needed).

    Returns:
        huggingface_hub's CommitInfo (its `oid` is the commit to pin in the registry).
    """
    import huggingface_hub

    repo_id, revision = parse_hf_handle(handle)
    huggingface_hub.create_repo(repo_id, exist_ok=True, private=private, token=token)
    return huggingface_hub.upload_folder(
        repo_id=repo_id,
        folder_path=str(folder),
        revision=revision,
        commit_message=commit_message or "Upload keras-stlstm preset",
        token=token,
    )
