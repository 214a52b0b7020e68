"""The gesture side of the zoo: test set, scores against hand computations, pictures, cards and the CLI."""

import functools
import json
import time

import cv2
import keras
import numpy as np
import pytest

from keras_stlstm.cli import main
from keras_stlstm.datasets.jester_labels import JESTER_CLASSES
from keras_stlstm.datasets.synthetic_gestures import SPLIT_SEED_RANGES, clip_specs, synthetic_gestures
from keras_stlstm.models.early_activity.clips import early_fraction_clip
from keras_stlstm.presets import get_preset_info, registry
from keras_stlstm.presets.files import sha256_file
from keras_stlstm.testing import register_temporary_preset
from keras_stlstm.zoo import (
    cards,
    classification_scores,
    evaluate_early_recognizer,
    evaluate_gesture_recognizer,
    gesture_command,
    gesture_test_set,
)
from keras_stlstm.zoo.gesture_cards import paper_scale_complexity
from keras_stlstm.zoo.gesture_evaluation import early_metrics
from keras_stlstm.zoo.plots import CONFUSION_LEFT, CONFUSION_TOP, confusion_color, write_confusion_matrix


def test_gesture_test_set_is_the_start_of_the_held_out_split():
    clips, labels = gesture_test_set(5, num_frames=4, image_size=16)
    full, full_labels = synthetic_gestures(27, seed=0, split="test", num_frames=4, image_size=16)
    assert clips.shape == (5, 4, 16, 16, 3) and clips.dtype == np.uint8
    np.testing.assert_array_equal(clips, full[:5])
    np.testing.assert_array_equal(labels, full_labels[:5])
    _, seeds = clip_specs(2000, seed=0, split="test")
    low, high = SPLIT_SEED_RANGES["test"]
    assert seeds.min() >= low and seeds.max() < high and low >= SPLIT_SEED_RANGES["validation"][1]
    for bad in (0, 2001, 2.5):
        with pytest.raises(ValueError, match="num_clips"):
            gesture_test_set(bad)


def test_classification_scores_match_a_hand_computation():
    # 7 classes, 5 clips; the scores rank the classes as written in the comments.
    probabilities = np.array([
        [0.40, 0.30, 0.10, 0.05, 0.05, 0.05, 0.05],  # label 0: top-1 right
        [0.10, 0.50, 0.20, 0.05, 0.05, 0.05, 0.05],  # label 2: second, top-5 right
        [0.02, 0.05, 0.05, 0.05, 0.10, 0.20, 0.50],  # label 0: ranked last, wrong at top-5
        [0.20, 0.20, 0.10, 0.10, 0.10, 0.10, 0.20],  # label 1: three-way tie, argmax takes class 0
        [0.00, 0.00, 1.00, 0.00, 0.00, 0.00, 0.00],  # label 2: right
    ])
    labels = np.array([0, 2, 0, 1, 2])
    scores = classification_scores(probabilities, labels)
    assert scores["top1"] == pytest.approx(2 / 5) and scores["top5"] == pytest.approx(4 / 5)
    expected = np.zeros((7, 7), int)
    for true, predicted in ((0, 0), (2, 1), (0, 6), (1, 0), (2, 2)):
        expected[true, predicted] += 1
    np.testing.assert_array_equal(scores["confusion"], expected)
    np.testing.assert_array_equal(scores["per_class"][:3], [0.5, 0.0, 0.5])
    assert np.isnan(scores["per_class"][3:]).all() and scores["class_counts"].tolist() == [2, 1, 2, 0, 0, 0, 0]
    assert scores["class_names"][0] == "class 0" and scores["num_clips"] == 5
    jester = classification_scores(np.eye(27), np.arange(27))
    assert jester["class_names"] == tuple(JESTER_CLASSES) and jester["top1"] == 1.0
    with pytest.raises(ValueError, match="labels"):
        classification_scores(probabilities, [0, 1, 7, 0, 0])


class _FakeClassifier:
    """Scores class (10 · mean pixel) mod K highest and the next class second; records its inputs."""

    def __init__(self, clip_shape, num_classes, early=False):
        self.clip_shape, self.num_classes, self.early, self.inputs = clip_shape, num_classes, early, []

    def predict_on_batch(self, x):
        self.inputs.append(np.array(x))
        time.sleep(0.002)
        first = np.round(10 * x.reshape(len(x), -1).max(axis=1)).astype(int) % self.num_classes
        scores = np.zeros((len(x), self.num_classes), np.float32)
        scores[np.arange(len(x)), first] = 1.0
        scores[np.arange(len(x)), (first + 1) % self.num_classes] = 0.5
        return {"label": scores, "frames": x[:, 1:]} if self.early else scores


def test_evaluate_gesture_recognizer_with_a_fake_model():
    values = np.array([0, 51, 102, 153, 204])  # 10 · value / 255 = 0, 2, 4, 6, 8: the predicted classes
    clips = np.broadcast_to(values[:, None, None, None, None], (5, 2, 4, 4, 3)).astype(np.uint8)
    labels = np.array([0, 3, 4, 6, 5])  # right, second (top-5), right, right, wrong (top-5: 8, 0, 1, 2, 3)
    model = _FakeClassifier((2, 4, 4, 3), num_classes=9)
    result = evaluate_gesture_recognizer(model, clips, labels, batch_size=2, progress=False)
    assert result["top1"] == pytest.approx(3 / 5) and result["top5"] == pytest.approx(4 / 5)
    assert result["confusion"][3, 2] == 1 and result["confusion"][5, 8] == 1 and np.trace(result["confusion"]) == 3
    # A warm-up call, then three calls of two clips (the last padded with a black clip).
    assert [len(x) for x in model.inputs] == [2, 2, 2, 2]
    np.testing.assert_allclose(model.inputs[1][:, 0, 0, 0, 0], values[:2] / 255, rtol=1e-6)
    assert not model.inputs[-1][1].any() and result["batch_size"] == 2
    assert 0.002 / 2 <= result["seconds_per_clip"] < 0.5
    with pytest.raises(ValueError, match=r"takes clips of shape \(2, 4, 4, 3\)"):
        evaluate_gesture_recognizer(model, clips[:, :1], labels, progress=False)


def test_evaluate_early_recognizer_feeds_the_front_of_the_clip():
    # Frame t of every 16-frame clip is t / 10: the fake predicts class 10 · (last frame seen).
    frames = (np.arange(16) * 25.5).round().astype(np.uint8)  # t / 10 in uint8 is t · 25.5
    clips = np.broadcast_to(frames[None, :, None, None, None], (3, 16, 2, 2, 1)).copy()
    labels = np.array([7, 7, 3])
    model = _FakeClassifier((4, 2, 2, 1), num_classes=10, early=True)
    results = evaluate_early_recognizer(model, clips, labels, batch_size=3, progress=False)
    # 25%: frames 0-3 resampled to 4 -> last seen 3; 50%: frames 0-7 sampled at 1, 3, 5, 7 -> last 7.
    np.testing.assert_allclose(model.inputs[0][0, :, 0, 0, 0], [0.0, 0.1, 0.2, 0.3], atol=0.003)
    np.testing.assert_allclose(model.inputs[2][0, :, 0, 0, 0], [0.1, 0.3, 0.5, 0.7], atol=0.003)
    np.testing.assert_allclose(model.inputs[2], early_fraction_clip(clips, 0.5, frames=4) / np.float32(255))
    assert list(results) == [0.25, 0.5]
    assert results[0.25]["top1"] == pytest.approx(1 / 3) and results[0.5]["top1"] == pytest.approx(2 / 3)
    # Top-5 holds the predicted class and the next one: 3 and 4 at 25%, 7 and 8 at 50%.
    assert results[0.25]["top5"] == pytest.approx(1 / 3) and results[0.5]["top5"] == pytest.approx(2 / 3)
    assert early_metrics(results) == {"top1_25": 0.3333, "top1_50": 0.6667}


def test_confusion_matrix_picture_is_row_normalised(tmp_path):
    confusion = np.array([[2, 0, 0], [1, 1, 0], [0, 0, 0]])
    path = write_confusion_matrix(tmp_path / "images" / "c.png", confusion, "tiny", ["x", "y", "z"], cell=20)
    image = cv2.imread(str(path))

    def cell(i, j):
        return tuple(int(v) for v in image[CONFUSION_TOP + 20 * i + 10, CONFUSION_LEFT + 20 * j + 10])

    assert cell(0, 0) == confusion_color(1.0) and cell(1, 0) == cell(1, 1) == confusion_color(0.5)
    assert cell(0, 1) == (255, 255, 255) and cell(2, 2) == (225, 225, 225)  # no clips of class 2: grey
    assert confusion_color(1.0) < confusion_color(0.5) < confusion_color(0.0) == (255, 255, 255)
    assert image.shape[1] > CONFUSION_LEFT + 60 + 60 + 200  # matrix, colour bar and the class-name key


@pytest.fixture()
def gesture_zoo(tmp_path, monkeypatch):
    from keras_stlstm.models import EarlyActivityRecognizer, GestureRecognizer

    weights = tmp_path / "weights"
    monkeypatch.setattr(registry, "_PRESETS", {})
    monkeypatch.setattr(registry, "REGISTRY_PATH", tmp_path / "registry.json")
    monkeypatch.setenv("KERAS_STLSTM_WEIGHTS", str(weights))
    facts_dir = tmp_path / "facts"
    facts_dir.mkdir()
    monkeypatch.setattr(cards, "load_card_facts", functools.partial(cards.load_card_facts, facts_dir=facts_dir))
    keras.utils.set_random_seed(0)
    gesture = GestureRecognizer("a", num_classes=27, config="tiny")
    early = EarlyActivityRecognizer(num_classes=27, config="tiny", recall_window=5, classifier_steps=4)
    register_temporary_preset(weights, "gesture_a_synthetic", gesture)
    register_temporary_preset(weights, "early_gesture_e3d_synthetic", early)
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.json").write_text(json.dumps({"training_minutes": 2.0, "epochs_run": 3, "backend": "tensorflow",
                                                  "parameters": gesture.count_params()}))
    (run / "recipe.toml").write_text("[training]\nbatch_size = 2\nepochs = 5\nsteps_per_epoch = 10\n")
    (facts_dir / "gesture_a_synthetic.json").write_text(json.dumps(
        {"run": str(run / "metrics.json"), "recipe": str(run / "recipe.toml"), "hardware": "2-core CPU"}))
    (facts_dir / "early_gesture_e3d_synthetic.json").write_text(json.dumps(
        {"comparison_model": str(tmp_path / "noaux" / "model"), "hardware": "2-core CPU"}))
    return {"weights": weights, "gesture": gesture, "early": early, "cards": tmp_path / "zoo_cards",
            "noaux": tmp_path / "noaux" / "model"}


def test_zoo_evaluate_gestures_scores_and_writes_cards(gesture_zoo, capsys, monkeypatch):
    zoo, cards_dir = gesture_zoo, gesture_zoo["cards"]
    cards.update_zoo_readme(cards_dir / "README.md", "video", "## Video prediction\n\n| tiny_video | 1.00 |\n")
    args = ["zoo-evaluate-gestures", "--presets", "gesture_a_synthetic", "early_gesture_e3d_synthetic",
            "--batch-size", "4", "--write-cards", "--cards-dir", str(cards_dir), "--no-progress"]
    assert main(args + ["--num-clips", "6"]) == 0
    out = capsys.readouterr().out
    clips, labels = gesture_test_set(6, num_frames=4, image_size=16)
    expected = evaluate_gesture_recognizer(zoo["gesture"], clips, labels, progress=False)
    row = next(line for line in out.splitlines() if line.startswith("gesture_a_synthetic "))
    assert row.split()[1:3] == [f"{100 * expected['top1']:.2f}", f"{100 * expected['top5']:.2f}"]
    clips16, _ = gesture_test_set(6, num_frames=16, image_size=16)
    early = evaluate_early_recognizer(zoo["early"], clips16, labels, progress=False)
    row = next(line for line in out.splitlines() if line.startswith("early_gesture_e3d_synthetic "))
    assert row.split()[1:] == [f"{100 * early[f][k]:.2f}" for f in (0.25, 0.5) for k in ("top1", "top5")]
    assert "Swiping Left" in out and "comparison model" in out and "not found" in out

    folder = zoo["weights"] / "gesture_a_synthetic"
    card = (folder / "README.md").read_text()
    assert card == (cards_dir / "gesture_a_synthetic.md").read_text()
    assert card.startswith("---\nlibrary_name: keras\n") and "- accuracy" in card and "moving-mnist" not in card
    assert "NOT on Jester" in card and "keras_stlstm.datasets.synthetic_gestures" in card
    assert "python examples/fine_tune_on_your_videos.py --data my_gestures/train --preset gesture_a_synthetic" in card
    assert "jester_dataset" in card and "isogd_dataset" in card
    assert "keras-stlstm zoo-evaluate-gestures --presets gesture_a_synthetic --num-clips 6 --batch-size 4" in card
    assert f"| gesture_a_synthetic | {100 * expected['top1']:.2f} | {100 * expected['top5']:.2f} |" in card
    assert "- steps: 30" in card and "- time per step: 4.00 s" in card and "- hardware: 2-core CPU" in card
    assert f"{zoo['gesture'].count_params():,} parameters" in card and "PooledGateConvLSTM" in card
    first = labels[0]
    assert f"| {first} | {JESTER_CLASSES[first]} | 1 |" in card
    for root in (folder, cards_dir):
        picture = cv2.imread(str(root / "images" / "gesture_a_synthetic_confusion.png"))
        assert picture.shape[0] > 27 * 16 and (picture < 200).any()
    for root in (zoo["weights"] / "early_gesture_e3d_synthetic", cards_dir):
        for share in ("25", "50"):
            assert (root / "images" / f"early_gesture_e3d_synthetic_confusion_{share}.png").is_file()
    early_card = (zoo["weights"] / "early_gesture_e3d_synthetic" / "README.md").read_text()
    assert "was not found when the card was written" in early_card and "| top-1 25% (%) |" in early_card

    variants = (cards_dir / "gesture_variants.md").read_text()
    assert "| (a) | 0.529M | 415M | 55.98 | 95.12 |" in variants  # the paper's Table 1, labelled as theirs
    assert "theirs, not measured here" in variants
    counts = paper_scale_complexity("a")
    assert counts.parameters_without_biases == 528_896
    assert (f"| (a) | 0.529M | 0.530M | {counts.paper_mult_adds / 1e6:.1f}M | {counts.mult_adds / 1e6:.1f}M |"
            in variants)
    ours = next(line for line in variants.splitlines() if line.startswith("| (a) | [gesture_a_synthetic]"))
    assert "| 4.00 s |" in ours and ours.endswith(f"| {100 * expected['top1']:.2f} | {100 * expected['top5']:.2f} |")
    assert "| ConvLSTM | not trained |" in variants and "| (d) | not trained |" in variants

    readme = (cards_dir / "README.md").read_text()
    assert "| tiny_video | 1.00 |" in readme and "## Gesture recognition" in readme  # video section kept
    assert readme.index("## Video prediction") < readme.index("## Gesture recognition")
    cards.update_zoo_readme(cards_dir / "README.md", "video", "## Video prediction\n\n| tiny_video | 2.00 |\n")
    readme = (cards_dir / "README.md").read_text()
    assert "| tiny_video | 2.00 |" in readme and "| tiny_video | 1.00 |" not in readme
    assert "## Gesture recognition" in readme

    info = get_preset_info("gesture_a_synthetic")
    assert info.files["README.md"] == sha256_file(folder / "README.md") and "top1" not in info.metrics

    # The comparison model appears; scoring the whole (here: 6-clip) test set records the metrics.
    keras.utils.set_random_seed(1)
    from keras_stlstm.models import EarlyActivityRecognizer

    noaux = EarlyActivityRecognizer(num_classes=27, config="tiny", recall_window=5, classifier_steps=4)
    keras.saving.save_model(noaux, zoo["noaux"], zipped=False)  # a run's model/ folder, metrics and recipe beside
    # A run's model/ keeps its training compile config, whose losses need not be importable where it is scored.
    config = json.loads((zoo["noaux"] / "config.json").read_text())
    config["compile_config"] = {"optimizer": "adam", "loss": {
        "module": "not_a_module", "class_name": "MissingLoss", "config": {}, "registered_name": "x>MissingLoss"}}
    (zoo["noaux"] / "config.json").write_text(json.dumps(config))
    (zoo["noaux"].parent / "metrics.json").write_text(json.dumps({"training_minutes": 1.5, "epochs_run": 2}))
    (zoo["noaux"].parent / "recipe.json").write_text(json.dumps({"training": {"steps_per_epoch": 10}}))
    monkeypatch.setattr(gesture_command, "GESTURE_TEST_SIZE", 6)
    assert main(args) == 0
    capsys.readouterr()
    assert get_preset_info("gesture_a_synthetic").metrics == {"top1": round(expected["top1"], 4),
                                                               "top5": round(expected["top5"], 4)}
    comparison = evaluate_early_recognizer(noaux, clips16, labels, progress=False)
    assert get_preset_info("early_gesture_e3d_synthetic").metrics == {
        "top1_25": round(early[0.25]["top1"], 4), "top1_50": round(early[0.5]["top1"], 4)}
    early_card = (zoo["weights"] / "early_gesture_e3d_synthetic" / "README.md").read_text()
    assert (f"| without the auxiliary loss | {100 * comparison[0.25]['top1']:.2f} | "
            f"{100 * comparison[0.25]['top5']:.2f} |") in early_card
    assert "trained without the auxiliary loss (2 min, 20 steps)" in early_card


def test_zoo_evaluate_gestures_bad_arguments_are_one_line_errors(tmp_path, capsys):
    assert main(["zoo-evaluate-gestures", "--num-clips", "0"]) == 1
    assert "--num-clips must be an integer from 1 to 2000" in capsys.readouterr().err
    assert main(["zoo-evaluate-gestures", "--batch-size", "0", "--presets", "x"]) == 1
    assert "--batch-size must be a positive integer" in capsys.readouterr().err
