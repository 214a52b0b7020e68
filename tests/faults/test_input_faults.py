"""Bad values where frames enter (readers, predict_frames, classifiers, the CLI), and CLI
arguments that used to crash or be silently accepted: one-line errors, nothing written."""

import json

import h5py
import numpy as np
import pytest

import keras

from keras_stlstm import cli
from keras_stlstm.datasets.readers import TaxiBJReader
from keras_stlstm.models import GestureRecognizer, VideoPredictor
from keras_stlstm.presets import save_preset
from keras_stlstm.training import train
from keras_stlstm.training.warm_start import load_initial_weights
from keras_stlstm.utils.inputs import check_frames


# --------------------------------------------------------------------------- check_frames


def test_uint8_is_rescaled_explicitly():
    pixels = np.array([0, 51, 255], np.uint8)
    out = check_frames(pixels, "clip")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.array([0, 51, 255], np.float32) / np.float32(255))


@pytest.mark.parametrize(
    "value, message",
    [
        (np.array([0.1, np.nan, 0.2], np.float32), r"`clip` holds 1 non-finite value \(NaN or inf\), the first at index \(1,\)"),
        (np.array([[0.1, np.inf], [-np.inf, 0]]), r"holds 2 non-finite values .* index \(0, 1\)"),
        (np.array([0.0, 12.0, 255.0]), r"values in \[0, 255\]; expected frames .*Divide 0-255 values by 255"),
        (np.array([-0.5, 0.5]), r"values in \[-0.5, 0.5\]"),
        (np.array([1, 2], np.int32), r"dtype int32; expected frames \(float32 in \[0, 1\], or uint8 0-255\)"),
        (np.array([True]), "dtype bool"),
        (np.array(["a"]), "dtype <U1"),
        (np.zeros((0, 8, 8, 1), np.float32), r"`clip` is empty \(shape \(0, 8, 8, 1\)\)"),
    ],
)
def test_bad_frames_are_one_line_errors(value, message):
    with pytest.raises(ValueError, match=message) as error:
        check_frames(value, "clip")
    assert "\n" not in str(error.value)


def test_data_in_its_own_units_only_needs_to_be_finite():
    assert check_frames(np.array([0, 900], np.int64), "flows", value_range=None).tolist() == [0.0, 900.0]
    with pytest.raises(ValueError, match="non-finite"):
        check_frames(np.array([1.0, np.nan]), "flows", value_range=None)


# --------------------------------------------------------------------------- readers


def test_one_nan_in_a_taxibj_file_is_refused_naming_file_and_index(tmp_path):
    path = tmp_path / "BJ16.h5"
    data = np.arange(48 * 2 * 4 * 4, dtype=np.float64).reshape(48, 2, 4, 4)
    data[7, 1, 2, 3] = np.nan
    with h5py.File(path, "w") as f:
        f["data"] = data
    with pytest.raises(ValueError, match=r"BJ16.h5 dataset 'data'` holds 1 non-finite value .* index \(7, 1, 2, 3\)"):
        TaxiBJReader(path, date_key=None, test_days=0, data_min=0, data_max=1)


# --------------------------------------------------------------------------- models


@pytest.fixture(scope="module")
def predictor():
    keras.utils.set_random_seed(0)
    return VideoPredictor("convlstm", context_frames=2, future_frames=2, image_size=16, channels=1, patch_size=4,
                          filters=[4], kernel_size=3)


def test_predict_frames_rescales_uint8_and_refuses_nan_and_0_255_floats(predictor):
    pixels = np.random.default_rng(0).integers(0, 256, (1, 2, 16, 16, 1), dtype=np.uint8)
    np.testing.assert_array_equal(predictor.predict_frames(pixels, horizon=1),
                                  predictor.predict_frames(pixels.astype(np.float32) / 255, horizon=1))
    with pytest.raises(ValueError, match="`context` holds [0-9]+ non-finite values? "):
        predictor.predict_frames(np.where(pixels == pixels.max(), np.nan, 0.5), horizon=1)
    with pytest.raises(ValueError, match=r"`context` has values in \[0, 255\]"):
        predictor.predict_frames(pixels.astype(np.float32), horizon=1)


def test_classifier_predict_rescales_uint8_and_refuses_nan():
    keras.utils.set_random_seed(0)
    model = GestureRecognizer("convlstm", config="tiny", num_classes=3)
    pixels = np.random.default_rng(1).integers(0, 256, (1,) + model.clip_shape, dtype=np.uint8)
    np.testing.assert_allclose(model.predict_on_batch(pixels), model.predict_on_batch(pixels / np.float32(255)),
                               atol=1e-6)
    np.testing.assert_allclose(model.predict(pixels, verbose=0), model.predict_on_batch(pixels), atol=1e-6)
    bad = pixels / np.float32(255)
    bad[0, 1, 2, 3, 0] = np.nan
    with pytest.raises(ValueError, match=r"`x` holds 1 non-finite value .* index \(0, 1, 2, 3, 0\)"):
        model.predict(bad, verbose=0)


# --------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def predictor_preset(predictor, tmp_path_factory):
    return save_preset(predictor, tmp_path_factory.mktemp("preset") / "predictor")


def run_cli(capsys, *argv):
    capsys.readouterr()
    try:
        status = cli.main([str(a) for a in argv])
    except SystemExit as exit_:  # argparse usage errors
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err.strip().splitlines()


def test_cli_predict_refuses_nan_and_empty_clips_and_writes_nothing(tmp_path, predictor_preset, capsys):
    clip = np.full((3, 16, 16, 1), 0.5, np.float32)
    clip[1, 4, 4, 0] = np.nan
    for name, array, message in [
        ("nan.npy", clip, "`nan.npy` holds 1 non-finite value"),
        ("empty.npy", np.zeros((0, 16, 16, 1), np.float32), "`empty.npy` is empty"),
        ("wide.npy", np.full_like(clip, 200.0), "`wide.npy` has values in [200, 200]"),
    ]:
        np.save(tmp_path / name, array)
        status, _, err = run_cli(capsys, "predict", predictor_preset, "--input", tmp_path / name, "--horizon", 2,
                                 "--out", tmp_path / "out.png")
        assert status == 1 and len(err) == 1 and message in err[0], err
    (tmp_path / "broken.npy").write_bytes(b"\x93NUMPY garbage")
    status, _, err = run_cli(capsys, "predict", predictor_preset, "--input", tmp_path / "broken.npy",
                             "--out", tmp_path / "out.png")
    assert status == 1 and len(err) == 1 and "not a readable .npy array" in err[0]
    assert not (tmp_path / "out.png").exists()


def test_cli_predict_takes_uint8_clips(tmp_path, predictor_preset, predictor, capsys):
    pixels = np.random.default_rng(3).integers(0, 256, (2, 16, 16, 1), dtype=np.uint8)
    np.save(tmp_path / "clip.npy", pixels)
    status, out, _ = run_cli(capsys, "predict", predictor_preset, "--input", tmp_path / "clip.npy", "--horizon", 1,
                             "--out", tmp_path / "out.gif")
    assert status == 0 and (tmp_path / "out.gif").is_file()


@pytest.mark.parametrize(
    "argv",
    [
        ["classify", "x", "--input", "v.avi", "--top-k", "-3"],
        ["evaluate", "x", "--num-sequences", "0"],
        ["evaluate", "x", "--batch-size", "0"],
        ["predict", "x", "--input", "c.npy", "--out", "o.png", "--horizon", "0"],
        ["export", "x", "--format", "tflite", "--out", "o.tflite", "--num-frames", "-1"],
    ],
)
def test_cli_counts_must_be_positive(capsys, argv):
    status, _, err = run_cli(capsys, *argv)
    assert status == 2 and "expected a positive integer" in err[-1]


# --------------------------------------------------------------------------- training


def test_recipe_with_frames_smaller_than_a_digit_fails_before_writing(tmp_path, capsys):
    recipe = {
        "model": {"class": "VideoPredictor", "backbone": "convlstm", "context_frames": 2, "future_frames": 2,
                  "image_size": 16, "patch_size": 4, "filters": [4], "kernel_size": 3},
        "data": {"source": "moving_mnist", "digits": "sample", "split": "train", "validation_steps": 0},
        "training": {"batch_size": 2, "epochs": 1, "steps_per_epoch": 1, "output_dir": str(tmp_path / "run"),
                     "verbose": 0},
    }
    with pytest.raises(ValueError, match=r"`image_size` \(16\) must be at least the digit size \(28x28\)"):
        train(recipe)
    assert not [p.name for p in (tmp_path / "run").iterdir()]  # no recipe.json, no empty log
    (tmp_path / "r.toml").write_text(
        "[model]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in recipe["model"].items())
        + '[data]\nsource = "moving_mnist"\ndigits = "sample"\nvalidation_steps = 0\n'
        + f'[training]\nbatch_size = 2\nepochs = 1\nsteps_per_epoch = 1\noutput_dir = "{tmp_path / "run"}"\n')
    status, _, err = run_cli(capsys, "train", tmp_path / "r.toml")
    assert status == 1 and len(err) == 1 and "must be at least the digit size" in err[0]


def test_warm_start_with_another_num_classes_is_one_short_line(tmp_path):
    source = GestureRecognizer("convlstm", config="tiny", num_classes=5)
    keras.saving.save_model(source, tmp_path / "model", zipped=False)
    with pytest.raises(ValueError) as error:
        load_initial_weights(GestureRecognizer("convlstm", config="tiny", num_classes=3), tmp_path / "model")
    message = str(error.value)
    assert "\n" not in message and len(message) < 800 and "same sizes (e.g. num_classes)" in message
