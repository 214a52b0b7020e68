"""Data sources of the training entry point: indexed, deterministic streams."""

import cv2
import numpy as np
import pytest

from keras_stlstm.datasets.mnist import load_sample_digits
from keras_stlstm.datasets.moving_mnist import MOVING_MNIST_TEST_SEED, generate_moving_mnist
from keras_stlstm.datasets.synthetic_gestures import synthetic_gestures
from keras_stlstm.training import data_sources
from keras_stlstm.training.recipe import load_recipe
from keras_stlstm.training.train import make_targets, resolve_loss


def data_options(source, **options):
    return {**data_sources.COMMON_KEYS, **data_sources.SOURCES[source].options, "source": source, **options}


def test_moving_mnist_stream_is_the_generator_indexed_by_position():
    options = data_options("moving_mnist", digits="sample")
    stream = data_sources.build_stream(options, "train", 5, (6, 32, 32, 1))
    (batch,) = stream.load_batch(4, 2)
    expected = generate_moving_mnist(load_sample_digits("train"), 2, 5, start=4, num_frames=6, image_size=32)
    np.testing.assert_array_equal(batch, expected)
    assert stream.kind == "sequences" and stream.num_examples is None
    # The test split uses the held-out digits and the fixed test seed.
    (test,) = data_sources.build_stream(options, "test", 5, (6, 32, 32, 1)).load_batch(0, 1)
    expected = generate_moving_mnist(load_sample_digits("test"), 1, MOVING_MNIST_TEST_SEED, num_frames=6,
                                     image_size=32)
    np.testing.assert_array_equal(test, expected)
    with pytest.raises(ValueError, match="channels=1"):
        data_sources.build_stream(options, "train", 5, (6, 32, 32, 3))
    with pytest.raises(ValueError, match="splits"):
        data_sources.build_stream(options, "validation", 5, (6, 32, 32, 1))


def test_moving_mnist_trajectory_option():
    """Srivastava's law by default; the shipped presets' recipes pin "reflect"."""
    assert data_sources.SOURCES["moving_mnist"].options["trajectory"] == "srivastava"
    options = data_options("moving_mnist", digits="sample", trajectory="reflect")
    (batch,) = data_sources.build_stream(options, "train", 5, (6, 32, 32, 1)).load_batch(0, 2)
    expected = generate_moving_mnist(load_sample_digits("train"), 2, 5, num_frames=6, image_size=32,
                                     trajectory="reflect")
    np.testing.assert_array_equal(batch, expected)
    with pytest.raises(ValueError, match="trajectory"):
        data_sources.build_stream({**options, "trajectory": "bounce"}, "train", 5, (6, 32, 32, 1))


def test_dataset_from_a_resume_point_equals_the_tail_of_the_full_dataset():
    stream = data_sources.build_stream(data_options("moving_mnist", digits="sample"), "train", 0, (4, 32, 32, 1))
    full = [x for x, _ in data_sources.stream_dataset(stream, 2, num_batches=5,
                                                      target_fn=make_targets("next_frames")).as_numpy_iterator()]
    tail = data_sources.stream_dataset(stream, 2, start_batch=3, num_batches=2, target_fn=make_targets("next_frames"))
    tail = list(tail.as_numpy_iterator())
    assert len(full) == 5 and len(tail) == 2
    for (x, y), expected in zip(tail, full[3:]):
        np.testing.assert_array_equal(x, expected)
        np.testing.assert_array_equal(y, expected[:, 1:])


def test_without_tensorflow_the_batches_come_through_a_py_dataset(monkeypatch):
    """A JAX or PyTorch machine without TensorFlow (a GPU lease) trains on the same batches,
    resume point and process shard included."""
    stream = data_sources.build_stream(data_options("moving_mnist", digits="sample"), "train", 0, (4, 32, 32, 1))
    targets = make_targets("next_frames")
    arguments = dict(start_batch=1, num_batches=3, target_fn=targets, shard=(1, 1))
    expected = list(data_sources.stream_dataset(stream, 2, **arguments).as_numpy_iterator())
    real_find_spec = data_sources.importlib.util.find_spec
    monkeypatch.setattr(data_sources.importlib.util, "find_spec",
                        lambda name, *a: None if name == "tensorflow" else real_find_spec(name, *a))
    batches = data_sources.stream_dataset(stream, 2, **arguments)
    assert isinstance(batches, data_sources.StreamBatches) and len(batches) == 3
    for (x, y), (x_tf, y_tf) in zip(batches.as_numpy_iterator(), expected, strict=True):
        assert x.shape == (1, 4, 32, 32, 1) and x.dtype == np.float32
        np.testing.assert_array_equal(x, x_tf)
        np.testing.assert_array_equal(y, y_tf)
    with pytest.raises(IndexError, match="outside 0..2"):
        batches[3]
    with pytest.raises(ValueError, match="num_batches"):
        data_sources.stream_dataset(stream, 2)


def test_synthetic_gestures_stream():
    options = data_options("synthetic_gestures", classes=[0, 1, 2])
    stream = data_sources.build_stream(options, "validation", 3, (4, 32, 32, 3))
    clips, labels = stream.load_batch(3, 2)
    expected_clips, expected_labels = synthetic_gestures(2, 3, "validation", start=3, classes=[0, 1, 2], num_frames=4,
                                                         image_size=32, dtype="float32")
    np.testing.assert_array_equal(clips, expected_clips)
    np.testing.assert_array_equal(labels, expected_labels)
    with pytest.raises(ValueError, match="RGB"):
        data_sources.build_stream(options, "train", 3, (4, 32, 32, 1))
    with pytest.raises(ValueError, match="num_frames"):
        data_sources.build_stream(options, "train", 3, (None, 32, 32, 3))


def test_synthetic_gestures_stream_front_fraction_for_early_recognition():
    options = data_options("synthetic_gestures", classes=[0, 1, 2], render_frames=8, fraction=0.5)
    clips, labels = data_sources.build_stream(options, "train", 3, (2, 16, 16, 3)).load_batch(0, 2)
    whole, expected_labels = synthetic_gestures(2, 3, "train", classes=[0, 1, 2], num_frames=8, image_size=16,
                                                dtype="float32")
    # The front half (frames 0-3) resampled to the model's 2 frames: evenly spaced frames of it.
    assert clips.shape == (2, 2, 16, 16, 3)
    for t, frame in enumerate(clips[0]):
        assert any(np.array_equal(frame, whole[0, k]) for k in range(4)), t
    assert not any(np.array_equal(clips[0, -1], whole[0, k]) for k in range(4, 8))
    np.testing.assert_array_equal(labels, expected_labels)


@pytest.fixture
def class_folders(tmp_path):
    """root/<class>/<clip>/<frame>.png: 2 classes x 3 clips of 4 frames; pixel value = clip id."""
    root = tmp_path / "clips"
    for label, name in enumerate(("left", "right")):
        for clip in range(3):
            folder = root / name / f"clip{clip}"
            folder.mkdir(parents=True)
            value = 40 * (3 * label + clip) + 10
            for frame in range(4):
                cv2.imwrite(str(folder / f"{frame:05d}.png"), np.full((8, 8, 3), value, np.uint8))
    return root


def test_folder_stream_walks_through_per_epoch_permutations(class_folders):
    options = data_options("folder", root=str(class_folders), validation_root=str(class_folders))
    stream = data_sources.build_stream(options, "train", 0, (4, 8, 8, 3))
    assert stream.num_examples == 6 and stream.class_names == ("left", "right")
    assert data_sources.default_steps_per_epoch(stream, 4) == 2
    clips, labels = stream.load_batch(0, 12)  # two passes over the six clips
    ids = np.rint((clips[:, 0, 0, 0, 0] * 255 - 10) / 40).astype(int)
    assert sorted(ids[:6]) == list(range(6)) and sorted(ids[6:]) == list(range(6))
    assert list(ids[:6]) != list(ids[6:])  # a new permutation every pass
    np.testing.assert_array_equal(labels, ids // 3)
    # Deterministic: the same positions give the same examples.
    again_clips, again_labels = stream.load_batch(6, 6)
    np.testing.assert_array_equal(again_clips, clips[6:])
    np.testing.assert_array_equal(again_labels, labels[6:])
    # Validation reads in order, without shuffling.
    _, val_labels = data_sources.build_stream(options, "validation", 0, (4, 8, 8, 3)).load_batch(0, 6)
    assert list(val_labels) == [0, 0, 0, 1, 1, 1]
    with pytest.raises(ValueError, match="validation_root"):
        data_sources.build_stream(data_options("folder", root=str(class_folders)), "validation", 0, (4, 8, 8, 3))


def test_folder_recipe_gets_a_validation_split_from_validation_root(tmp_path, class_folders):
    recipe = {
        "model": {"class": "GestureRecognizer", "num_classes": 2},
        "data": {"source": "folder", "root": str(class_folders), "validation_root": str(class_folders),
                 "validation_steps": 1},
        "training": {"batch_size": 2, "epochs": 1, "output_dir": str(tmp_path / "run")},
    }
    loaded = load_recipe(recipe)
    assert loaded["data"]["validation_split"] == "validation"
    assert loaded["optimizer"] == {"recipe": "gesture"}
    recipe["data"]["roo"] = "x"
    with pytest.raises(ValueError, match="Did you mean 'root'"):
        load_recipe(recipe)


def test_early_activity_targets_and_losses():
    import keras

    from keras_stlstm.models.early_activity import EarlyActivityRecognizer, early_activity_targets

    clips = np.random.default_rng(0).random((2, 8, 16, 16, 3)).astype("float32")
    labels = np.array([1, 0], "int32")
    x, y = make_targets("labels_and_next_frames")(clips, labels)
    expected = early_activity_targets(clips, labels)
    assert x is clips and set(y) == set(expected)
    for key in y:
        np.testing.assert_array_equal(y[key], expected[key])
    model = EarlyActivityRecognizer(num_classes=2, config="tiny")
    losses = resolve_loss("keras_stlstm.training.aux_schedule:early_activity_losses", model)
    assert set(losses) == {"label", "frames"}
    assert resolve_loss("mse", model) == "mse"
    assert isinstance(losses["label"], keras.losses.SparseCategoricalCrossentropy)
