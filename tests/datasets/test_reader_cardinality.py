"""A clip reader's dataset has a known length, so `model.fit` shows N/N steps and ends its epoch
without a "ran out of data" warning."""

import logging

import cv2
import numpy as np
import pytest

from keras_stlstm.datasets.readers import VideoFolderReader


@pytest.fixture
def folder(tmp_path):
    for label, name in enumerate(("left", "right")):
        for clip in range(5):
            frames = tmp_path / name / f"clip{clip}"
            frames.mkdir(parents=True)
            for t in range(4):
                cv2.imwrite(str(frames / f"{t:05d}.png"), np.full((8, 8, 3), 50 * label + 10 * clip, np.uint8))
    return tmp_path


def test_the_dataset_knows_its_length(folder):
    reader = VideoFolderReader(folder, num_frames=4, size=8, training=True, seed=0)
    assert int(reader.dataset().cardinality()) == 10
    assert int(reader.dataset(batch_size=4).cardinality()) == 3
    assert int(reader.dataset(batch_size=4, drop_remainder=True).cardinality()) == 2
    assert sum(len(labels) for _, labels in reader.dataset(batch_size=4)) == 10
    skipping = VideoFolderReader(folder, num_frames=4, size=8, on_error="skip")
    assert int(skipping.dataset(batch_size=4).cardinality()) < 0  # unknown: a bad clip would be dropped


def test_fit_on_a_reader_runs_whole_epochs_without_running_out_of_data(folder, caplog, capsys):
    from keras_stlstm.testing import TinyClipClassifier

    reader = VideoFolderReader(folder, num_frames=4, size=8, training=True, seed=0)
    model = TinyClipClassifier(frames=4, size=8, channels=3, num_classes=2)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", jit_compile=False)
    with caplog.at_level(logging.WARNING):
        history = model.fit(reader.dataset(batch_size=4), epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert len(history.history["loss"]) == 2 and "3/3" in out and "Unknown" not in out
    assert "ran out of data" not in (out + caplog.text)
