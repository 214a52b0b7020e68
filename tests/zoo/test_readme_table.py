"""The README's preset table is generated from the registry and the registered files."""

import dataclasses
import json

import keras
import pytest

from keras_stlstm.presets import PresetError, registry
from keras_stlstm.testing import TinyClipClassifier, TinyFramePredictor, register_temporary_preset
from keras_stlstm.zoo import readme

VIDEO_METRICS = {"mse": 45.2123, "mae": 120.5, "ssim": 0.81234, "psnr": 18.456, "copy_mse": 80.0, "copy_ssim": 0.5}
README_TEXT = "# Title\n\nintro\n\n{start}\nstale table\n{end}\n\n## After\n"


@pytest.fixture()
def zoo(tmp_path, monkeypatch):
    """Three presets (video, gesture, early) in a temporary weights/ and an isolated registry."""
    weights = tmp_path / "weights"
    monkeypatch.setattr(registry, "_PRESETS", {})
    monkeypatch.setenv("KERAS_STLSTM_WEIGHTS", str(weights))
    keras.utils.set_random_seed(0)
    video_model, clip_model = TinyFramePredictor(), TinyClipClassifier()
    # The table needs the class name and the files only: the tiny models stand in for the zoo's classes.
    infos = {
        "video": dataclasses.replace(register_temporary_preset(weights, "tiny_video", video_model, VIDEO_METRICS),
                                     builder="VideoPredictor"),
        "gesture": dataclasses.replace(
            register_temporary_preset(weights, "tiny_gesture", clip_model, {"top1": 0.8731, "top5": 0.99}),
            builder="GestureRecognizer"),
        "early": dataclasses.replace(
            register_temporary_preset(weights, "a_early", clip_model, {"top1_25": 0.5, "top1_50": 0.625}),
            builder="EarlyActivityRecognizer"),
    }
    for info in infos.values():
        registry.add_preset(info, overwrite=True)
    cards = tmp_path / "zoo_cards"
    cards.mkdir()
    (cards / "tiny_video.md").write_text("# card\n")
    return {"root": tmp_path, "weights": weights, "cards": cards, "infos": infos,
            "params": {"video": video_model.count_params(), "clip": clip_model.count_params()}}


def _size(weights, info):
    return readme.format_size(sum((weights / info.name / rel).stat().st_size for rel in info.files))


def test_empty_registry_says_no_preset_is_registered(tmp_path):
    assert readme.preset_table_markdown(presets=[], cards_dir=tmp_path) == (
        f"{readme.GENERATED_NOTE}\n{readme.EMPTY_TABLE}\n")
    assert "No presets are registered yet" in readme.EMPTY_TABLE


def test_table_lists_every_preset_by_task_with_facts_metrics_and_card_links(zoo):
    table = readme.preset_table_markdown(cards_dir=zoo["cards"], relative_to=zoo["root"])
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    video, gesture, early = zoo["infos"]["video"], zoo["infos"]["gesture"], zoo["infos"]["early"]
    # Ordered by task (video, gesture, early), not by name ("a_early" sorts first).
    assert rows == [
        f"| `tiny_video` | video prediction (`VideoPredictor`) | {zoo['params']['video']:,} | MSE 45.21, MAE 120.50, "
        f"SSIM 0.8123, PSNR 18.46, copy-test MSE 80.00, copy-test SSIM 0.5000 | {_size(zoo['weights'], video)} | "
        "[tiny_video.md](zoo_cards/tiny_video.md) |",
        f"| `tiny_gesture` | gesture recognition (`GestureRecognizer`) | {zoo['params']['clip']:,} | top-1 87.31%, "
        f"top-5 99.00% | {_size(zoo['weights'], gesture)} | not written yet |",
        f"| `a_early` | early activity recognition (`EarlyActivityRecognizer`) | {zoo['params']['clip']:,} | "
        f"top-1 at 25% 50.00%, top-1 at 50% 62.50% | {_size(zoo['weights'], early)} | not written yet |",
    ]
    assert table.startswith(readme.GENERATED_NOTE + "\n| preset | task (class) |")
    for builder, note in readme.TASK_NOTES.items():
        assert f"- {note}" in table, builder
    assert "zoo_cards/README.md" not in table  # no zoo README yet: no pointer to it

    (zoo["cards"] / "README.md").write_text("# zoo\n")
    table = readme.preset_table_markdown(cards_dir=zoo["cards"], relative_to=zoo["root"])
    assert table.endswith("[zoo_cards/README.md](zoo_cards/README.md).\n")


def test_metric_labels_and_formats():
    assert readme.metric_label("copy_ssim") == "copy-test SSIM"
    assert readme.metric_label("top5_75") == "top-5 at 75%"
    assert readme.metric_label("f1") == "f1"
    assert readme.format_metric("f1", 0.123456) == "f1 0.12"
    assert readme.format_metrics({}) == "not measured yet"
    assert readme.format_size(2**20 * 3.14159) == "3.14"
    assert readme.format_size(2**20 * 31.4159) == "31.4"


def test_a_changed_file_is_refused(zoo):
    weights_file = zoo["weights"] / "tiny_gesture" / "model.weights.h5"
    weights_file.write_bytes(weights_file.read_bytes() + b"\0")
    with pytest.raises(PresetError, match="tiny_gesture.*model.weights.h5.*integrity check"):
        readme.preset_table_markdown(cards_dir=zoo["cards"], relative_to=zoo["root"])


def test_a_preset_not_on_this_machine_is_an_error_naming_it(zoo):
    info = dataclasses.replace(zoo["infos"]["video"], name="elsewhere", hub_repo="keras-stlstm-tests/elsewhere")
    assert readme.local_preset_folder(info) is None
    with pytest.raises(PresetError, match="'elsewhere' is registered but its files are not on this machine"):
        readme.preset_table_markdown(presets=[info], cards_dir=zoo["cards"])


def test_parameter_count_falls_back_to_loading_the_model(zoo, tmp_path):
    original = registry.get_preset_info("tiny_gesture")
    folder = zoo["weights"] / "tiny_gesture"
    metadata = json.loads((folder / "metadata.json").read_text())
    del metadata["parameter_count"]
    (folder / "metadata.json").write_text(json.dumps(metadata))
    facts = readme.preset_facts(dataclasses.replace(original, builder="TinyClipClassifier"), folder)
    assert facts["parameters"] == zoo["params"]["clip"]


def test_write_then_check_round_trip(zoo, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(readme, "CARDS_DIR", zoo["cards"])
    path = tmp_path / "README.md"
    path.write_text(README_TEXT.format(start=readme.TABLE_START, end=readme.TABLE_END))

    assert readme.main(["--check", "--readme", str(path)]) == 1
    assert "-stale table" in capsys.readouterr().out
    assert readme.main(["--write", "--readme", str(path)]) == 0
    text = path.read_text()
    expected = readme.preset_table_markdown()
    assert text == f"# Title\n\nintro\n\n{readme.TABLE_START}\n{expected}{readme.TABLE_END}\n\n## After\n"
    assert "`tiny_video`" in expected and readme.current_table(text) == expected
    assert readme.main(["--check", "--readme", str(path)]) == 0
    assert readme.main(["--write", "--readme", str(path)]) == 0
    assert "already up to date" in capsys.readouterr().out
    assert not list(tmp_path.glob(".README.md.*"))  # the atomic write left no temporary file


@pytest.mark.parametrize("text", ["no markers", f"{readme.TABLE_END}\n{readme.TABLE_START}\n",
                                  f"{readme.TABLE_START}\n{readme.TABLE_START}\n{readme.TABLE_END}\n"])
def test_bad_markers_are_refused(text, tmp_path, capsys):
    with pytest.raises(ValueError, match="exactly one"):
        readme.replace_table(text, "table\n")
    path = tmp_path / "README.md"
    path.write_text(text)
    assert readme.main(["--write", "--readme", str(path)]) == 1
    assert "error: README must hold exactly one" in capsys.readouterr().err
    assert path.read_text() == text
