"""The zoo's test sets, baselines, `keras-stlstm zoo-evaluate` and the model cards it writes."""

import pathlib

import cv2
import keras
import numpy as np
import pytest

from keras_stlstm.cli import main
from keras_stlstm.presets import from_preset, get_preset_info, registry
from keras_stlstm.presets.files import sha256_file
from keras_stlstm.testing import register_temporary_preset
from keras_stlstm.zoo import (
    BASELINES,
    all_black,
    copy_test_sequences,
    evaluate_copy_test,
    evaluate_video_predictor,
    load_test_sample,
    repeat_last_frame,
    video_test_set,
)

SHARED_MNIST = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist"


def test_sample_is_uint8_and_has_the_credit():
    video, copy = load_test_sample()
    assert video.shape == (32, 20, 64, 64, 1) and video.dtype == np.uint8
    assert copy.shape == (16, 60, 64, 64, 1) and copy.dtype == np.uint8
    from keras_stlstm.zoo.test_sets import SAMPLE_PATH

    with np.load(SAMPLE_PATH) as sample:
        assert "CC BY-SA 3.0" in str(sample["credit"])


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="needs ../shared/data/mnist")
def test_sample_is_the_start_of_the_real_test_sets():
    video, copy = load_test_sample()
    np.testing.assert_array_equal(video, video_test_set(SHARED_MNIST, 32))
    np.testing.assert_array_equal(copy, copy_test_sequences(SHARED_MNIST, 16))


def test_baselines_on_the_sample_match_the_issue_figures():
    video, copy = load_test_sample()
    black = evaluate_video_predictor(all_black, video, progress=False)
    last = evaluate_video_predictor(repeat_last_frame, video, progress=False)
    # Issue: about 187 (all black) and 297 (repeat last) on the full test set; the sample gives 190.8 / 302.0.
    assert abs(black["mse_mean"] - 187) < 25 and abs(last["mse_mean"] - 297) < 25
    # All-black MSE is the sum of the squared true pixels: check it directly.
    truth = video[:, 10:].astype(np.float64) / 255
    np.testing.assert_allclose(black["mse"], (truth ** 2).sum(axis=(2, 3, 4)).mean(0))
    assert black["mae_mean"] > 0 and 0 < last["ssim_mean"] < 1 and last["psnr_mean"] > black["psnr_mean"] - 5
    copy_last = evaluate_copy_test(repeat_last_frame, copy, progress=False)
    # Repeat-last on the copy test repeats Seq 2's last given frame (timeline index 49).
    from keras_stlstm.metrics import per_frame_curves

    frames = copy.astype(np.float32) / 255
    expected = per_frame_curves(frames[:, 50:], np.repeat(frames[:, 49:50], 10, axis=1))
    assert copy_last["mse_mean"] == pytest.approx(expected["mse_mean"])
    assert set(BASELINES) == {"all-black", "repeat-last"}


@pytest.fixture()
def tiny_zoo(tmp_path, monkeypatch):
    from keras_stlstm.models import VideoPredictor

    weights = tmp_path / "weights"
    monkeypatch.setattr(registry, "_PRESETS", {})
    monkeypatch.setattr(registry, "REGISTRY_PATH", tmp_path / "registry.json")
    monkeypatch.setenv("KERAS_STLSTM_WEIGHTS", str(weights))
    keras.utils.set_random_seed(0)
    model = VideoPredictor(backbone="convlstm", image_size=64, patch_size=8, filters=[4], kernel_size=3,
                           context_frames=10, future_frames=10)
    register_temporary_preset(weights, "tiny_video", model)
    return {"weights": weights, "model": model, "cards": tmp_path / "zoo_cards"}


def test_zoo_evaluate_writes_cards_table_pictures_and_updates_hashes(tiny_zoo, capsys):
    status = main(["zoo-evaluate", "--presets", "tiny_video", "--digits", "sample", "--num-sequences", "8",
                   "--write-cards", "--cards-dir", str(tiny_zoo["cards"]), "--no-progress"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "Using the shipped sample" in out
    video, copy = load_test_sample()
    expected = evaluate_video_predictor(tiny_zoo["model"], video[:8], progress=False)
    row = next(line for line in out.splitlines() if line.startswith("tiny_video"))
    assert f"{expected['mse_mean']:.2f}" in row and f"{expected['ssim_mean']:.4f}" in row
    assert sum(line.startswith("all-black") for line in out.splitlines()) == 2  # video and copy tables

    folder, cards = tiny_zoo["weights"] / "tiny_video", tiny_zoo["cards"]
    card = (folder / "README.md").read_text()
    assert card == (cards / "tiny_video.md").read_text()
    assert card.startswith("---\nlibrary_name: keras\n") and "datasets:" in card and "metrics:" in card
    assert f"| tiny_video | {expected['mse_mean']:.2f} |" in card and "CC BY-SA 3.0" in card
    assert "keras-stlstm zoo-evaluate --digits sample --num-sequences 8" in card
    table = (cards / "README.md").read_text()
    assert "| tiny_video |" in table and "| E3D-LSTM | E3D paper Table 1 | 41.3 |" in table
    assert "not ours" in table
    for root in (folder, cards):
        strips = cv2.imread(str(root / "images" / "tiny_video_comparison.png"))
        assert strips.shape[0] == 3 * (3 * 64 + 4) + 2 * 6
        curve = cv2.imread(str(root / "images" / "tiny_video_mse_curve.png"))
        assert curve.shape == (400, 640, 3) and (curve < 250).any()
    assert (cards / "images" / "zoo_mse_curve.png").is_file()

    info = get_preset_info("tiny_video")
    assert info.files["README.md"] == sha256_file(folder / "README.md")
    assert info.files["images/tiny_video_comparison.png"] == sha256_file(folder / "images/tiny_video_comparison.png")
    reloaded = from_preset("tiny_video")
    clip = video[:1].astype(np.float32) / 255
    np.testing.assert_allclose(reloaded.predict_on_batch(clip), tiny_zoo["model"].predict_on_batch(clip), atol=1e-5)


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="needs ../shared/data/mnist")
def test_zoo_evaluate_scores_the_srivastava_sets_and_records_them(tiny_zoo, tmp_path, capsys):
    """With real digits, the cards also carry the Srivastava-law sets: 3.6 px/frame, then 2.5 and 5
    (robustness), written once under --test-set-dir in the standard layout and reused."""
    from keras_stlstm.datasets import load_moving_mnist_npy
    from keras_stlstm.zoo.test_sets import write_srivastava_test_set

    sets = tmp_path / "sets"
    arguments = ["zoo-evaluate", "--presets", "tiny_video", "--data", str(SHARED_MNIST), "--num-sequences", "2",
                 "--standard-sequences", "3", "--robustness-sequences", "3", "--test-set-dir", str(sets), "--write-cards", "--cards-dir",
                 str(tiny_zoo["cards"]), "--no-progress"]
    assert main(arguments) == 0
    out = capsys.readouterr().out
    files = sorted(p.name for p in sets.iterdir())
    assert files == ["srivastava_2.5px_3.npy", "srivastava_3.6px_3.npy", "srivastava_5.0px_3.npy"]
    write_srivastava_test_set(tmp_path / "direct.npy", SHARED_MNIST, num_sequences=3, speed=5.0)
    np.testing.assert_array_equal(np.load(sets / "srivastava_5.0px_3.npy"), np.load(tmp_path / "direct.npy"))
    standard = load_moving_mnist_npy(sets / "srivastava_3.6px_3.npy")
    expected = evaluate_video_predictor(tiny_zoo["model"], standard, progress=False)
    card = (tiny_zoo["weights"] / "tiny_video" / "README.md").read_text()
    assert "Srivastava et al.'s motion law (3.6 px/frame" in card and "digits at 2.5 px/frame" in card
    assert f"| tiny_video | {expected['mse_mean']:.2f} |" in card
    assert "Ranked by MSE on the moving MNIST 10 -> 10, Srivastava" in (tiny_zoo["cards"] / "README.md").read_text()
    assert "Robustness: Srivastava motion law, digits at 5 px/frame" in out
    metrics = get_preset_info("tiny_video").metrics
    assert metrics["srivastava_mse"] == pytest.approx(expected["mse_mean"], abs=1e-3)
    assert {"srivastava_2.5_mse", "srivastava_5_mse", "mse", "copy_mse"} <= set(metrics)
    stamp = (sets / "srivastava_3.6px_3.npy").stat().st_mtime_ns
    assert main(arguments[:-4] + ["--no-progress"]) == 0  # the files are reused, not rewritten
    assert (sets / "srivastava_3.6px_3.npy").stat().st_mtime_ns == stamp
    assert "Writing" not in capsys.readouterr().out


def test_zoo_evaluate_bad_arguments_are_one_line_errors(tiny_zoo, capsys):
    assert main(["zoo-evaluate", "--num-sequences", "0"]) == 1
    assert "--num-sequences must be a positive integer" in capsys.readouterr().err
    assert main(["zoo-evaluate", "--digits", str(tiny_zoo["cards"] / "missing"), "--presets", "tiny_video"]) == 1
    assert "error:" in capsys.readouterr().err


def test_budget_comparison_ranks_by_mse_and_says_whether_the_papers_order_holds():
    from keras_stlstm.zoo.cards import budget_comparison

    def res(mse):
        return {"video": {"mse_mean": mse}}

    facts = {"c": {"run": {"parameters": 1234, "epochs_run": 2, "training_minutes": 35.0, "training_clock": "cpu"},
                   "steps": 400}}
    backbones = {"c": "convlstm", "p": "predrnn", "e": "e3d"}
    text = budget_comparison(backbones, {"c": res(90.0), "p": res(80.0), "e": res(70.0)}, facts)
    assert "**holds**" in text and "E3D-LSTM < PredRNN < ConvLSTM." in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [row.split(" | ")[1] for row in rows] == ["e", "p", "c"]
    assert "| 1,234 | 400 | 35 min (CPU time of the training process) | 90.00 |" in rows[2]
    text = budget_comparison(backbones, {"c": res(60.0), "p": res(80.0), "e": res(70.0)}, {})
    assert "**does not hold**" in text and "we measure ConvLSTM < E3D-LSTM < PredRNN." in text
    assert "no ordering" in budget_comparison({"c": "convlstm"}, {"c": res(1.0)}, {})
