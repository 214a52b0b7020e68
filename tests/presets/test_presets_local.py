"""Presets without the network: saving, local folders, weights/, overrides, bad input, upload."""

import dataclasses
import json

import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

import keras_stlstm
from keras_stlstm import presets
from keras_stlstm.presets import PresetError, PresetInfo
from keras_stlstm.presets.files import preset_file_names, sha256_file
from keras_stlstm.testing import TinyClipClassifier, TinyFramePredictor

CLIP = np.random.default_rng(1).random((2, 4, 8, 8, 2), dtype=np.float32)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A saved tiny classifier preset and the model it came from."""
    model = TinyClipClassifier(class_names=["x", "y", "z"], name="tiny")
    folder = presets.save_preset(model, tmp_path_factory.mktemp("presets") / "tiny")
    return model, folder


@pytest.fixture
def registered(tiny, tmp_path, monkeypatch):
    """Registers the tiny preset as "tiny_clip" in a temporary weights/ folder."""
    _, folder = tiny
    weights = tmp_path / "weights"
    (weights / "tiny_clip").mkdir(parents=True)
    for rel in preset_file_names(folder):
        (weights / "tiny_clip" / rel).write_bytes((folder / rel).read_bytes())
    monkeypatch.setenv("KERAS_STLSTM_WEIGHTS", str(weights))
    info = PresetInfo(
        name="tiny_clip",
        builder="TinyClipClassifier",
        description="tiny",
        hub_repo="keras-stlstm/tiny_clip",
        files={rel: sha256_file(folder / rel) for rel in preset_file_names(folder)},
        metrics={"top1": 0.5},
    )
    presets.add_preset(info, overwrite=True)
    yield info, weights / "tiny_clip"
    presets.remove_preset("tiny_clip")


def _copy(folder, dest):
    dest.mkdir()
    for rel in preset_file_names(folder):
        (dest / rel).write_bytes((folder / rel).read_bytes())
    return dest


def test_save_preset_writes_a_complete_folder_atomically(tiny):
    model, folder = tiny
    assert preset_file_names(folder) == ["README.md", "config.json", "metadata.json", "model.weights.h5"]
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temp left
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["class_name"] == "TinyClipClassifier"
    assert metadata["parameter_count"] == model.count_params()
    assert (folder / "README.md").read_text().startswith("---\nlibrary_name: keras")
    with pytest.raises(PresetError, match="already exists"):
        presets.save_preset(model, folder)


@pytest.mark.backends
def test_local_folder_handle_round_trips(tiny):
    model, folder = tiny
    loaded = keras_stlstm.presets.from_preset(str(folder))
    assert isinstance(loaded, TinyClipClassifier) and loaded.class_names == ["x", "y", "z"]
    expected = to_numpy(model(CLIP))
    np.testing.assert_allclose(to_numpy(loaded(CLIP)), expected, atol=1e-6)
    np.testing.assert_allclose(to_numpy(TinyClipClassifier.from_preset(folder)(CLIP)), expected, atol=1e-6)


def test_class_method_refuses_another_builder(tiny, registered):
    _, folder = tiny
    with pytest.raises(PresetError, match="is a TinyClipClassifier, not a TinyFramePredictor"):
        TinyFramePredictor.from_preset(folder)
    with pytest.raises(PresetError, match="is a TinyClipClassifier, not a TinyFramePredictor"):
        TinyFramePredictor.from_preset("tiny_clip")


def test_registered_name_loads_from_the_weights_folder(tiny, registered):
    model, _ = tiny
    assert "tiny_clip" in presets.list_presets()
    assert presets.list_presets(builder=TinyClipClassifier) == ["tiny_clip"]
    assert list(TinyClipClassifier.presets) == ["tiny_clip"]
    assert presets.resolve_preset("tiny_clip").origin == "weights"
    np.testing.assert_allclose(presets.from_preset("tiny_clip")(CLIP), model(CLIP), atol=1e-6)


def test_bad_file_in_weights_folder_is_refused_but_kept(registered):
    info, folder = registered
    weights = folder / "model.weights.h5"
    data = bytearray(weights.read_bytes())
    data[-50] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(PresetError) as e:
        presets.from_preset("tiny_clip")
    message = str(e.value)
    assert "model.weights.h5" in message and info.files["model.weights.h5"] in message
    assert sha256_file(weights) in message and "left in place" in message
    assert weights.exists()


def test_unknown_name_suggests_close_names(registered):
    with pytest.raises(PresetError, match="Did you mean 'tiny_clip'"):
        presets.from_preset("tiny_clp")
    with pytest.raises(PresetError, match="Preset folder not found"):
        presets.from_preset("./no/such/folder")


@pytest.mark.backends
def test_num_classes_override_keeps_backbone_and_trains(tiny):
    model, folder = tiny
    new = TinyClipClassifier.from_preset(folder, num_classes=5)
    assert new.num_classes == 5 and new.class_names is None
    assert new(CLIP).shape == (2, 5)
    for old_w, new_w in zip(model.get_layer("rnn").weights, new.get_layer("rnn").weights):
        np.testing.assert_array_equal(old_w.numpy(), new_w.numpy())
    assert new.get_layer("head").kernel.shape == (4, 5)
    new.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = new.get_layer("head").kernel.numpy().copy()
    new.fit(CLIP, np.array([0, 4]), epochs=1, verbose=0)
    assert not np.allclose(before, new.get_layer("head").kernel.numpy())


def test_override_of_other_argument_copies_all_weights(tiny):
    model, folder = tiny
    # A different clip length changes no weight shape: every weight carries over.
    new = TinyClipClassifier.from_preset(folder, frames=6)
    assert new.frames == 6
    for old_w, new_w in zip(model.get_weights(), new.get_weights()):
        np.testing.assert_array_equal(old_w, new_w)
    clip6 = np.concatenate([CLIP, CLIP[:, :2]], axis=1)
    assert np.asarray(new(clip6)).shape == (2, 3)


def test_unknown_override_lists_accepted_arguments(tiny):
    _, folder = tiny
    with pytest.raises(PresetError, match="takes no argument colour.*Accepted: cell, channels"):
        presets.from_preset(folder, colour="red")


def test_truncated_weights_file(tiny, tmp_path):
    folder = _copy(tiny[1], tmp_path / "p")
    weights = folder / "model.weights.h5"
    weights.write_bytes(weights.read_bytes()[:1000])
    # The sha256 recorded by save_preset catches it first ...
    with pytest.raises(PresetError, match=r"model\.weights\.h5 does not match the sha256"):
        presets.from_preset(folder)
    # ... and without that check, opening the HDF5 file does.
    with pytest.raises(PresetError, match="truncated or corrupted"):
        presets.from_preset(folder, verify_hashes=False)


def test_config_naming_an_unregistered_class(tiny, tmp_path):
    folder = _copy(tiny[1], tmp_path / "p")
    config = json.loads((folder / "config.json").read_text())
    config["registered_name"] = "keras_stlstm>NoSuchModel"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(PresetError, match="'keras_stlstm>NoSuchModel', which is not registered"):
        presets.from_preset(folder, verify_hashes=False)  # edited on purpose


def test_config_with_unexpected_arguments(tiny, tmp_path):
    folder = _copy(tiny[1], tmp_path / "p")
    config = json.loads((folder / "config.json").read_text())
    config["config"]["attention_heads"] = 4
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(PresetError, match="arguments it does not take: attention_heads"):
        presets.from_preset(folder, verify_hashes=False)  # edited on purpose


def test_folder_missing_a_file(tiny, tmp_path):
    folder = _copy(tiny[1], tmp_path / "p")
    (folder / "model.weights.h5").unlink()
    with pytest.raises(PresetError, match="missing model.weights.h5"):
        presets.from_preset(folder)


def test_register_preset_hashes_every_file(tiny, tmp_path):
    _, folder = tiny
    registry_file = tmp_path / "registry.json"
    try:
        info = presets.register_preset(
            folder, "tiny_registered", "A tiny test preset.", metrics={"top1": 0.25},
            registry_path=registry_file,
        )
        data = json.loads(registry_file.read_text())["presets"]["tiny_registered"]
        assert data["builder"] == "TinyClipClassifier"
        assert data["hub_repo"] == "keras-stlstm/tiny_registered"
        assert data["files"] == {rel: sha256_file(folder / rel) for rel in preset_file_names(folder)}
        assert presets.get_preset_info("tiny_registered") == info
        with pytest.raises(PresetError, match="already in"):
            presets.register_preset(folder, "tiny_registered", "again", registry_path=registry_file)
    finally:
        presets.remove_preset("tiny_registered")


def test_upload_preset_creates_repo_and_uploads_the_folder(tiny, monkeypatch):
    import huggingface_hub

    model, folder = tiny
    calls = []

    def fake_create_repo(repo_id, **kwargs):
        calls.append(("create", repo_id, kwargs))

    def fake_upload_folder(repo_id, folder_path, **kwargs):
        calls.append(("upload", repo_id, preset_file_names(folder_path), kwargs))
        return "commit-info"

    monkeypatch.setattr(huggingface_hub, "create_repo", fake_create_repo)
    monkeypatch.setattr(huggingface_hub, "upload_folder", fake_upload_folder)
    assert keras_stlstm.upload_preset("hf://me/tiny", model) == "commit-info"
    assert keras_stlstm.upload_preset("hf://me/tiny@dev", str(folder)) == "commit-info"
    files = ["README.md", "config.json", "metadata.json", "model.weights.h5"]
    assert calls[0][:2] == ("create", "me/tiny") and calls[0][2]["exist_ok"]
    assert calls[1][:3] == ("upload", "me/tiny", files)
    assert calls[3][:3] == ("upload", "me/tiny", files) and calls[3][3]["revision"] == "dev"
    with pytest.raises(PresetError, match="Invalid Hub handle"):
        keras_stlstm.upload_preset("hf://only-a-name", model)


def test_info_round_trips_through_json():
    info = PresetInfo(name="n", builder="B", description="d", hub_repo="o/n", files={"a": "0" * 64})
    assert PresetInfo.from_json(dataclasses.asdict(info)) == info
    with pytest.raises(PresetError, match="unknown keys"):
        PresetInfo.from_json({**dataclasses.asdict(info), "colour": 1})
