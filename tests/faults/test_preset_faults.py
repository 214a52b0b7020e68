"""Preset folders loaded by path: sha256 recorded by save_preset and checked on load."""

import json

import h5py
import numpy as np
import pytest

import keras

from keras_stlstm import cli
from keras_stlstm.presets import PresetError, from_preset, save_preset
from keras_stlstm.testing import TinyClipClassifier


@pytest.fixture
def preset(tmp_path):
    keras.utils.set_random_seed(0)
    return save_preset(TinyClipClassifier(name="hashed"), tmp_path / "preset")


def flip_exponent_bit(weights_file):
    """Flips the top exponent bit of the first float32 of the largest weight (as one bad sector would)."""
    with h5py.File(weights_file, "r") as f:
        datasets = []
        f.visititems(lambda name, obj: datasets.append(obj) if isinstance(obj, h5py.Dataset) else None)
        target = max(datasets, key=lambda d: d.size)
        offset, name, before = target.id.get_offset(), target.name, float(np.asarray(target).flat[0])
    with open(weights_file, "r+b") as f:
        f.seek(offset + 3)  # little-endian float32: byte 3 holds the sign and the top exponent bits
        byte = f.read(1)[0]
        f.seek(offset + 3)
        f.write(bytes([byte ^ 0x40]))
    return name, before


def test_metadata_records_every_loaded_file(preset):
    recorded = json.loads((preset / "metadata.json").read_text())["sha256"]
    assert sorted(recorded) == ["config.json", "model.weights.h5"]
    assert all(len(digest) == 64 for digest in recorded.values())


def test_one_flipped_bit_is_refused_naming_the_file(preset):
    name, before = flip_exponent_bit(preset / "model.weights.h5")
    with pytest.raises(PresetError, match=r"model\.weights\.h5 does not match the sha256 recorded") as error:
        from_preset(preset)
    assert "\n" not in str(error.value) and "verify_hashes=False" in str(error.value)
    # Opt-out for a folder edited on purpose: it loads, with the changed value.
    model = from_preset(preset, verify_hashes=False)
    with h5py.File(preset / "model.weights.h5", "r") as f:
        after = float(np.asarray(f[name]).flat[0])
    assert abs(after) > 1e30 > abs(before)
    assert any(np.any(np.abs(keras.ops.convert_to_numpy(w)) > 1e30) for w in model.weights)


def test_edited_config_and_missing_file_are_named(preset):
    config = preset / "config.json"
    config.write_text(config.read_text().replace('"filters": 4', '"filters": 4 '))
    with pytest.raises(PresetError, match=r"config\.json does not match"):
        from_preset(preset)
    config.unlink()
    with pytest.raises(PresetError, match="missing config.json"):
        from_preset(preset)


def test_folder_without_recorded_hashes_still_loads(preset):
    metadata = json.loads((preset / "metadata.json").read_text())
    del metadata["sha256"]  # as saved by earlier versions: nothing to check
    (preset / "metadata.json").write_text(json.dumps(metadata))
    assert isinstance(from_preset(preset), TinyClipClassifier)


def test_config_that_is_a_json_list_is_a_clear_error(preset):
    (preset / "config.json").write_text("[1, 2, 3]")
    with pytest.raises(PresetError, match=r"config\.json holds a JSON list, not the object"):
        from_preset(preset, verify_hashes=False)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="export traces with TensorFlow")
def test_cli_names_the_damaged_file_and_has_an_opt_out(preset, tmp_path, capsys):
    flip_exponent_bit(preset / "model.weights.h5")
    argv = ["export", str(preset), "--format", "saved_model", "--out", str(tmp_path / "out")]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "model.weights.h5 does not match the sha256" in err[0]
    assert not (tmp_path / "out").exists()
    assert cli.main(["--no-verify-hashes"] + argv) == 0
