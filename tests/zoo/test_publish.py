"""zoo-publish: a finished run becomes a registered preset with its logs and card facts."""

import json

import numpy as np
import pytest

from keras_stlstm.cli import main as cli_main
from keras_stlstm.models.gesture import GestureRecognizer
from keras_stlstm.presets import from_preset
from keras_stlstm.presets.files import sha256_file
from keras_stlstm.zoo.publish import publish_run


def fake_run(run_dir):
    """A run folder as `keras-stlstm train` leaves it, with a tiny model."""
    import keras

    model = GestureRecognizer("a", num_classes=3, config="tiny")
    keras.saving.save_model(model, run_dir / "model", zipped=False)
    (run_dir / "training_log.csv").write_text("epoch,loss\n0,1.5\n")
    (run_dir / "metrics.json").write_text(json.dumps({"training_minutes": 2.0, "epochs_run": 1}))
    (run_dir / "recipe.json").write_text(json.dumps({"training": {"steps_per_epoch": 4}}))
    return model


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """An empty registry.json in tmp_path, and a session registry read from it, both
    restored afterwards (so later tests see the package's registry again)."""
    path = tmp_path / "registry.json"
    path.write_text('{"presets": {}}')
    monkeypatch.setattr("keras_stlstm.presets.registry.REGISTRY_PATH", path)
    monkeypatch.setattr("keras_stlstm.presets.registry._PRESETS", None)
    return path


def test_publish_registers_the_preset_and_keeps_logs_and_facts(tmp_path, monkeypatch, registry):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run").mkdir()
    model = fake_run(tmp_path / "run")
    facts_dir = tmp_path / "facts"
    facts_dir.mkdir()
    (facts_dir / "tiny_a.json").write_text('{"summary": "hand-written"}')
    info = publish_run(tmp_path / "run", "tiny_a", "a tiny test preset", recipe="recipes/x.toml",
                       hardware="test box", facts_dir=facts_dir, weights_dir=tmp_path / "weights")
    assert info.builder == "GestureRecognizer"
    folder = tmp_path / "weights" / "tiny_a"
    assert info.files["model.weights.h5"] == sha256_file(folder / "model.weights.h5")
    assert json.loads(registry.read_text())["presets"]["tiny_a"]["files"] == info.files
    logs = tmp_path / "zoo_cards" / "logs" / "tiny_a"
    assert (logs / "training_log.csv").read_text() == "epoch,loss\n0,1.5\n"
    facts = json.loads((facts_dir / "tiny_a.json").read_text())
    assert facts == {"summary": "hand-written", "run": "zoo_cards/logs/tiny_a/metrics.json",
                     "hardware": "test box", "recipe": "recipes/x.toml"}
    clip = np.random.default_rng(0).random((1, 4, 16, 16, 3)).astype("float32")
    np.testing.assert_allclose(from_preset(folder).predict(clip, verbose=0), model.predict(clip, verbose=0),
                               atol=1e-6)


def test_unfinished_run_is_refused(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    with pytest.raises(FileNotFoundError, match="no finished model"):
        publish_run(tmp_path / "run", "x", "y")
    assert cli_main(["zoo-publish", str(tmp_path / "run"), "x", "--description", "y"]) != 0
    assert "no finished model" in capsys.readouterr().err


def test_warm_started_run_records_its_stages_and_their_logs(tmp_path, monkeypatch, registry):
    from keras_stlstm.zoo.cards import recipe_section, training_summary

    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "s1").mkdir(parents=True)
    fake_run(tmp_path / "runs" / "s1")
    (tmp_path / "runs" / "s2").mkdir()
    fake_run(tmp_path / "runs" / "s2")
    earlier = {"run": "runs/s1", "steps": 4, "training_minutes": 2.0, "training_clock": "cpu"}
    (tmp_path / "runs" / "s2" / "metrics.json").write_text(json.dumps({
        "training_minutes": 3.0, "training_clock": "cpu", "steps": 8, "epochs_run": 2,
        "earlier_stages": [earlier], "total_steps": 12, "total_training_minutes": 5.0}))
    facts_dir = tmp_path / "facts"
    with pytest.raises(ValueError, match="2 training stages.*once per stage, oldest first \\(received 1\\)"):
        publish_run("runs/s2", "tiny_b", "d", recipe="recipes/s2.toml", facts_dir=facts_dir,
                    weights_dir=tmp_path / "weights")
    assert not (tmp_path / "zoo_cards").exists()  # refused before anything was written
    publish_run("runs/s2", "tiny_b", "d", recipe=["recipes/s1.toml", "recipes/s2.toml"],
                facts_dir=facts_dir, weights_dir=tmp_path / "weights")
    logs = tmp_path / "zoo_cards" / "logs" / "tiny_b"
    assert (logs / "stage_1" / "metrics.json").read_text() == (tmp_path / "runs/s1/metrics.json").read_text()
    facts = json.loads((facts_dir / "tiny_b.json").read_text())
    assert facts["recipe"] == "recipes/s2.toml"
    assert facts["stages"] == [
        {"recipe": "recipes/s1.toml", "logs": "zoo_cards/logs/tiny_b/stage_1", "steps": 4,
         "training_minutes": 2.0, "training_clock": "cpu"},
        {"recipe": "recipes/s2.toml", "logs": "zoo_cards/logs/tiny_b", "steps": 8,
         "training_minutes": 3.0, "training_clock": "cpu"}]
    facts["run"] = json.loads((logs / "metrics.json").read_text())
    summary = training_summary(facts)
    assert summary["steps"] == 12 and summary["minutes"] == 5.0
    text = recipe_section(facts)
    assert "Trained in 2 stages" in text
    assert "1. `recipes/s1.toml`: 4 steps, 2 min of CPU time, logs in `zoo_cards/logs/tiny_b/stage_1`" in text
    assert "`keras-stlstm train recipes/s1.toml && keras-stlstm train recipes/s2.toml`" in text
