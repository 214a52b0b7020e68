"""A registered preset that is neither on disk nor reachable (an installed package without weights/,
offline): the error comes at once, on one line, and says how to point at local weights."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # free once closed: a connection there is refused at once


@pytest.mark.parametrize("offline", [False, True], ids=["unreachable", "HF_HUB_OFFLINE"])
def test_missing_preset_fails_fast_and_names_keras_stlstm_weights(tmp_path, offline):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               KERAS_STLSTM_WEIGHTS=str(tmp_path / "no_weights"), HF_HOME=str(tmp_path / "hf"),
               HF_ENDPOINT=f"http://127.0.0.1:{closed_port()}", HF_HUB_OFFLINE="1" if offline else "0",
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "keras_stlstm", "info", "gesture_a_synthetic"], env=env,
                            capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - start
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    message = result.stderr
    assert "Preset 'gesture_a_synthetic' is not in" in message and "set KERAS_STLSTM_WEIGHTS" in message
    assert ("HF_HUB_OFFLINE is set" if offline else "cannot be reached") in message
    assert seconds < 15  # huggingface_hub's own retries took 33 s; this is well under 1 s when idle
