"""Runs preset loads in a fresh process, where HF_ENDPOINT/HF_HUB_OFFLINE/HF_HOME take effect.

huggingface_hub reads those variables once, at import, so the Hub tests set them
in the environment of this script instead of patching them in the test process.

Usage: python hub_client.py JOB.json RESULTS.json
JOB.json: {"presets": [PresetInfo as JSON, ...], "actions": [{"label", "handle", "input"}]}.
RESULTS.json gets one entry per action: {"ok": true, "output": [...], "seconds"} or
{"ok": false, "error": class name, "message": str, "seconds"}.
"""

import json
import os
import sys
import time
import urllib.request

import numpy as np

import keras_stlstm.testing  # noqa: F401  (registers the tiny test models)
from keras_stlstm import presets
from keras_stlstm.presets import PresetError, PresetInfo


def main(job_path, results_path):
    with open(job_path) as f:
        job = json.load(f)
    for entry in job["presets"]:
        presets.add_preset(PresetInfo(**entry), overwrite=True)
    endpoint = os.environ["HF_ENDPOINT"]
    results = []
    for action in job["actions"]:
        urllib.request.urlopen(f"{endpoint}/__mark__/{action['label']}").read()
        start = time.perf_counter()
        try:
            model = presets.from_preset(action["handle"])
            output = np.asarray(model(np.load(action["input"])))
            result = {"ok": True, "output": output.tolist()}
        except PresetError as e:
            result = {"ok": False, "error": type(e).__name__, "message": str(e)}
        result["seconds"] = time.perf_counter() - start
        results.append(result)
    urllib.request.urlopen(f"{endpoint}/__mark__/end").read()
    with open(results_path, "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
