"""The real download path (huggingface_hub) against a local stand-in for the Hub.

Loads run in subprocesses (hub_client.py) so HF_ENDPOINT, HF_HOME and
HF_HUB_OFFLINE are set before huggingface_hub is imported, as in real use.
"""

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fake_hub import FakeHub
from keras_stlstm.presets import PresetInfo, save_preset
from keras_stlstm.presets.files import preset_file_names, sha256_file
from keras_stlstm.testing import TinyClipClassifier

REPO_ROOT = Path(__file__).resolve().parents[2]
ORG = "keras-stlstm"


def _info(name, folder, **changes):
    files = {rel: sha256_file(folder / rel) for rel in preset_file_names(folder)}
    info = PresetInfo(
        name=name,
        builder="TinyClipClassifier",
        description="tiny test preset",
        hub_repo=f"{ORG}/{name}",
        files=files,
    )
    return dataclasses.replace(info, **changes)


def _run_client(tmp, name, env_changes, presets, actions):
    job, results = tmp / f"{name}_job.json", tmp / f"{name}_results.json"
    job.write_text(json.dumps({"presets": [dataclasses.asdict(p) for p in presets], "actions": actions}))
    env = dict(os.environ)
    env.pop("HF_TOKEN", None)
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")]),
            "HF_HOME": str(tmp / "hf_home"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
            "KERAS_STLSTM_WEIGHTS": str(tmp / "no_weights"),  # never the repo's weights/
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "NO_PROXY": "127.0.0.1,localhost",  # the stand-in is local even behind a proxy
            "no_proxy": "127.0.0.1,localhost",
            **env_changes,
        }
    )
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("hub_client.py")), str(job), str(results)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {a["label"]: r for a, r in zip(actions, json.loads(results.read_text()))}


@pytest.fixture(scope="module")
def hub_run(tmp_path_factory):
    """Builds the presets, serves them, and runs an online then an offline client."""
    tmp = tmp_path_factory.mktemp("hub")
    model = TinyClipClassifier(name="tiny")
    folder = save_preset(model, tmp / "tiny")
    clip = np.random.default_rng(0).random((2, 4, 8, 8, 2), dtype=np.float32)
    np.save(tmp / "clip.npy", clip)
    reference = np.asarray(model(clip))

    files = {rel: (folder / rel).read_bytes() for rel in preset_file_names(folder)}
    tampered = dict(files)
    weights = bytearray(files["model.weights.h5"])
    weights[-100] ^= 0xFF  # one flipped byte: still a full-size file, wrong digest
    tampered["model.weights.h5"] = bytes(weights)
    repos = {f"{ORG}/{n}": files for n in ("tiny_good", "tiny_missing_file", "tiny_drop", "tiny_plain")}
    repos[f"{ORG}/tiny_tampered"] = tampered
    presets = [
        _info("tiny_good", folder),
        _info("tiny_tampered", folder),
        _info("tiny_drop", folder),
        _info("tiny_no_repo", folder),
        _info("tiny_never_downloaded", folder),
        _info("tiny_missing_file", folder, files={**_info("x", folder).files, "extra.bin": "0" * 64}),
    ]
    clip_path = str(tmp / "clip.npy")

    def act(label, handle):
        return {"label": label, "handle": handle, "input": clip_path}

    with FakeHub(repos, drop={f"{ORG}/tiny_drop/model.weights.h5"}) as hub:
        online = _run_client(
            tmp,
            "online",
            {"HF_ENDPOINT": hub.endpoint, "HF_HUB_OFFLINE": "0"},
            presets,
            [
                act("first", "tiny_good"),
                act("second", "tiny_good"),
                act("tampered", "tiny_tampered"),
                act("no_repo", "tiny_no_repo"),
                act("no_file", "tiny_missing_file"),
                act("plain", f"hf://{ORG}/tiny_plain"),
                act("drop", "tiny_drop"),
            ],
        )
        online_log = list(hub.log)
        hub.log.clear()
        offline = _run_client(
            tmp,
            "offline",
            {"HF_ENDPOINT": hub.endpoint, "HF_HUB_OFFLINE": "1"},
            presets,
            [act("cached", "tiny_good"), act("uncached", "tiny_never_downloaded")],
        )
        yield {
            "hub": hub,
            "online": online,
            "offline": offline,
            "online_log": online_log,
            "reference": reference,
            "cache": tmp / "hf_home" / "hub",
            "tampered_sha": hashlib.sha256(tampered["model.weights.h5"]).hexdigest(),
            "expected_sha": presets[0].files["model.weights.h5"],
        }


def _between(log, start, end):
    labels = [p.rsplit("/", 1)[1] if p.startswith("/__mark__/") else None for _, p in log]
    i, j = labels.index(start), labels.index(end)
    return [r for r in log[i + 1 : j] if not r[1].startswith("/__mark__/")]


def test_first_load_downloads_and_matches(hub_run):
    result = hub_run["online"]["first"]
    assert result["ok"], result
    np.testing.assert_allclose(result["output"], hub_run["reference"], atol=1e-6)
    got = _between(hub_run["online_log"], "first", "second")
    downloaded = {p.rsplit("/", 1)[1] for m, p in got if m == "GET" and "/resolve/" in p}
    assert {"config.json", "model.weights.h5", "metadata.json", "README.md"} <= downloaded


def test_second_load_comes_from_the_cache_without_requests(hub_run):
    result = hub_run["online"]["second"]
    assert result["ok"], result
    np.testing.assert_allclose(result["output"], hub_run["reference"], atol=1e-6)
    assert _between(hub_run["online_log"], "second", "tampered") == []


def test_offline_load_makes_no_request(hub_run):
    result = hub_run["offline"]["cached"]
    assert result["ok"], result
    np.testing.assert_allclose(result["output"], hub_run["reference"], atol=1e-6)
    log = hub_run["hub"].log
    assert [r for r in log if not r[1].startswith("/__mark__/")] == []


def test_offline_uncached_preset_is_a_clear_error(hub_run):
    result = hub_run["offline"]["uncached"]
    assert not result["ok"] and result["error"] == "PresetError"
    assert "not in the Hugging Face cache" in result["message"]
    assert "HF_HUB_OFFLINE" in result["message"]


def test_tampered_file_is_refused_and_deleted(hub_run):
    result = hub_run["online"]["tampered"]
    assert not result["ok"] and result["error"] == "PresetError"
    assert "model.weights.h5" in result["message"]
    assert hub_run["tampered_sha"] in result["message"]
    assert hub_run["expected_sha"] in result["message"]
    repo = hub_run["cache"] / f"models--{ORG}--tiny_tampered"
    assert not list(repo.glob("snapshots/*/model.weights.h5"))
    assert not (repo / "blobs" / hub_run["tampered_sha"]).exists()
    assert list(repo.glob("snapshots/*/config.json"))  # the good file stays cached


def test_missing_repo_is_a_fast_clear_error(hub_run):
    result = hub_run["online"]["no_repo"]
    assert not result["ok"] and result["error"] == "PresetError"
    assert f"{ORG}/tiny_no_repo" in result["message"] and "not found" in result["message"]
    assert result["seconds"] < 5  # a 404 is not retried


def test_missing_file_is_a_fast_clear_error(hub_run):
    result = hub_run["online"]["no_file"]
    assert not result["ok"] and result["error"] == "PresetError"
    assert "extra.bin not found" in result["message"]
    assert result["seconds"] < 5


def test_unregistered_hub_handle_loads_the_snapshot(hub_run):
    result = hub_run["online"]["plain"]
    assert result["ok"], result
    np.testing.assert_allclose(result["output"], hub_run["reference"], atol=1e-6)
    got = _between(hub_run["online_log"], "plain", "drop")
    assert any("/api/models/" in p and "/tree/" in p for _, p in got)


def test_dropped_connection_leaves_no_partial_file(hub_run):
    result = hub_run["online"]["drop"]
    assert not result["ok"] and result["error"] == "PresetError"
    assert "model.weights.h5" in result["message"] and "failed" in result["message"]
    repo = hub_run["cache"] / f"models--{ORG}--tiny_drop"
    assert not list(repo.glob("snapshots/*/model.weights.h5"))
    blobs = {p.name for p in (repo / "blobs").iterdir()}
    assert hub_run["expected_sha"] not in blobs
    assert not [b for b in blobs if "incomplete" in b]
