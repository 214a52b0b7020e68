"""Dataset readers on tiny fixture datasets written in tmp_path (real avi/mp4/webm/jpg/h5)."""

import json
import os

import cv2
import h5py
import numpy as np
import pytest

from keras_stlstm.datasets.jester_labels import JESTER_CLASSES
from keras_stlstm.datasets.readers import (
    IsoGDReader,
    JesterReader,
    KTHReader,
    SomethingSomethingReader,
    TaxiBJReader,
    VideoFolderReader,
    jester_dataset,
)
from keras_stlstm.datasets.sampling import sample_indices
from keras_stlstm.datasets.video_io import write_video

H, W = 24, 32
# Frame i of every fixture clip is a constant image of value STEP·i (at most 32
# frames). Lossy codecs shift such values by up to 4 levels, so mp4/webm fixtures
# use a coarser step (at most 21 frames).
STEP = 8
COARSE_STEP = 12


def ramp(n, step=STEP):
    assert step * (n - 1) <= 255
    return np.stack([np.full((H, W, 3), step * i, np.uint8) for i in range(n)])


def frame_ids(clip, step=STEP):
    """Recover the fixture frame index of every frame of a [0, 1] float clip."""
    return np.round(np.asarray(clip)[:, 0, 0, 0] * 255.0 / step).astype(int)


def write_frame_folder(folder, n, step=STEP):
    folder.mkdir(parents=True)
    for i, frame in enumerate(ramp(n, step)):
        cv2.imwrite(str(folder / f"{i + 1:05d}.jpg"), frame)


def write_zero_frame_avi(path):
    cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5, (W, H)).release()


def collect(ds):
    out = [tuple(np.asarray(t) for t in element) for element in ds]
    return [np.stack(parts) for parts in zip(*out)] if out else []


def webm_or_mp4(tmp_path):
    """.webm when this OpenCV build can write VP8 (it can with the PyPI wheels), else .mp4."""
    probe = tmp_path / "probe.webm"
    writer = cv2.VideoWriter(str(probe), cv2.VideoWriter_fourcc(*"VP80"), 5, (W, H))
    ok = writer.isOpened()
    writer.release()
    if probe.exists():
        probe.unlink()
    return ".webm" if ok else ".mp4"


# ----------------------------------------------------------------------------- Jester


@pytest.fixture
def jester(tmp_path):
    frames_dir = tmp_path / "20bn-jester-v1"
    lengths = {"101": 20, "102": 5, "103": 32}
    for clip_id, n in lengths.items():
        write_frame_folder(frames_dir / clip_id, n)
    csv = tmp_path / "jester-v1-train.csv"
    csv.write_text("101;Swiping Left\n102;doing other things\n\n103;Thumb  Up\n")
    return csv, frames_dir, lengths


def test_jester_reader_eval_sampling_and_labels(jester):
    csv, frames_dir, lengths = jester
    reader = JesterReader(csv, frames_dir, num_frames=8, size=16)
    assert reader.class_names == JESTER_CLASSES
    assert reader.labels == [0, 26, 20]
    clips, labels = collect(reader.dataset())
    assert clips.shape == (3, 8, 16, 16, 3) and clips.dtype == np.float32
    assert labels.tolist() == [0, 26, 20]
    for clip, n in zip(clips, lengths.values()):
        assert frame_ids(clip).tolist() == sample_indices(n, 8).tolist()
    batched = jester_dataset(csv, frames_dir, batch_size=2, num_frames=8, size=16)
    assert [b[0].shape[0] for b in batched] == [2, 1]
    assert batched.class_names == JESTER_CLASSES and batched.stats.skipped == 0


def test_jester_reader_training_jitter_and_crop(jester):
    csv, frames_dir, lengths = jester
    reader = JesterReader(csv, frames_dir, num_frames=8, size=16, resize=20, training=True, seed=3)
    ds = reader.dataset(batch_size=None)
    epochs = [collect(ds) for _ in range(2)]
    for clips, labels in epochs:
        assert clips.shape == (3, 8, 16, 16, 3)
        for clip, label in zip(clips, labels):
            n = lengths[["101", "103", "102"][[0, 20, 26].index(label)]]
            ids = frame_ids(clip)
            assert ids.min() >= 0 and ids.max() < n and np.all(np.diff(ids) >= 0)
    # a fixed seed replays the same epochs; epochs differ from each other
    again = [collect(reader.dataset()) for _ in range(1)][0]
    np.testing.assert_array_equal(again[0], epochs[0][0])
    assert not np.array_equal(epochs[0][0], epochs[1][0])


def test_jester_unknown_label_names_file_line_and_label(tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("1;Swiping Left\n2;Waving Wildly\n")
    with pytest.raises(ValueError, match=r"bad.csv, line 2: unknown label 'Waving Wildly'"):
        JesterReader(csv, tmp_path)
    with pytest.raises(FileNotFoundError, match="Jester CSV file not found: .*nope.csv"):
        JesterReader(tmp_path / "nope.csv", tmp_path)


def test_jester_missing_clip_raises_or_is_skipped(jester, caplog):
    csv, frames_dir, _ = jester
    with open(csv, "a") as f:
        f.write("999;Stop Sign\n")
    reader = JesterReader(csv, frames_dir, num_frames=4, size=8)
    with pytest.raises(Exception, match="clip not found .*999"):
        collect(reader.dataset())
    with pytest.raises(FileNotFoundError, match="999"):
        reader.load(3)
    skipping = JesterReader(csv, frames_dir, num_frames=4, size=8, on_error="skip")
    with caplog.at_level("WARNING", logger="keras_stlstm.datasets"):
        clips, labels = collect(skipping.dataset())
        collect(skipping.dataset())  # a second epoch: counted once
    assert labels.ravel().tolist() == [0, 26, 20]
    assert skipping.stats.skipped == 1 and skipping.stats.skip_events == 2
    assert list(skipping.stats.bad_files) == [str(frames_dir / "999")]
    assert sum("999" in r.getMessage() for r in caplog.records) == 1


# ----------------------------------------------------------------------------- IsoGD


@pytest.fixture
def isogd(tmp_path):
    root = tmp_path / "IsoGD_phase_1"
    (root / "train" / "001").mkdir(parents=True)
    write_video(root / "train/001/M_00001.avi", ramp(12))
    write_video(root / "train/001/K_00001.avi", 255 - ramp(12))
    write_video(root / "train/001/M_00002.avi", ramp(32))
    write_video(root / "train/001/K_00002.avi", 255 - ramp(32))
    lst = tmp_path / "train_list.txt"
    lst.write_text(
        "train/001/M_00001.avi train/001/K_00001.avi 1\ntrain/001/M_00002.avi train/001/K_00002.avi 249\n"
    )
    return lst, root


def test_isogd_reader_rgb_and_depth_with_zero_based_labels(isogd):
    lst, root = isogd
    rgb = IsoGDReader(lst, root, num_frames=6, size=12)
    assert rgb.labels == [0, 248] and rgb.class_names[248] == "249" and len(rgb.class_names) == 249
    clips, labels = collect(rgb.dataset())
    assert clips.shape == (2, 6, 12, 12, 3) and labels.tolist() == [0, 248]
    assert frame_ids(clips[1]).tolist() == sample_indices(32, 6).tolist()
    depth = IsoGDReader(lst, root, modality="depth", num_frames=6, size=12, channels=1)
    dclips, _ = collect(depth.dataset())
    assert dclips.shape == (2, 6, 12, 12, 1)
    np.testing.assert_allclose(dclips[0, 0, 0, 0, 0], 1.0, atol=0.05)  # 255 - 0


def test_isogd_list_errors(tmp_path):
    lst = tmp_path / "valid_list.txt"
    lst.write_text("a.avi b.avi 3\na.avi b.avi 250\n")
    with pytest.raises(ValueError, match=r"valid_list.txt, line 2: unknown label '250'"):
        IsoGDReader(lst, tmp_path)
    lst.write_text("a.avi b.avi three\n")
    with pytest.raises(ValueError, match=r"line 1: unknown label 'three'"):
        IsoGDReader(lst, tmp_path)
    lst.write_text("a.avi\n")
    with pytest.raises(ValueError, match=r"line 1: expected 'path label'"):
        IsoGDReader(lst, tmp_path)


def test_bad_videos_raise_naming_the_file_or_are_skipped(isogd, tmp_path):
    lst, root = isogd
    data = (root / "train/001/M_00002.avi").read_bytes()
    (root / "cut.avi").write_bytes(data[: len(data) // 3])  # truncated
    (root / "junk.avi").write_bytes(b"\x00junk" * 100)  # unreadable
    write_zero_frame_avi(root / "empty.avi")  # zero frames
    bad = {"missing.avi": "clip not found", "cut.avi": "truncated", "junk.avi": "cannot be opened",
           "empty.avi": "no decodable frames"}
    lines = lst.read_text() + "".join(f"{name} 5\n" for name in bad)
    lst.write_text(lines)
    reader = IsoGDReader(lst, root, num_frames=4, size=8)
    for index, (name, problem) in enumerate(bad.items(), start=2):
        with pytest.raises((OSError, ValueError), match=f"{name}.*{problem}|{problem}.*{name}"):
            reader.load(index)
    with pytest.raises(Exception, match="missing.avi"):
        collect(reader.dataset())
    skipping = IsoGDReader(lst, root, num_frames=4, size=8, on_error="skip")
    clips, labels = collect(skipping.dataset())
    assert labels.tolist() == [0, 248]
    assert skipping.stats.skipped == 4
    assert {os.path.basename(p) for p in skipping.stats.bad_files} == set(bad)


# ----------------------------------------------------------------------------- KTH


def test_kth_reader_windows_and_split(tmp_path):
    root = tmp_path / "kth"
    (root / "boxing").mkdir(parents=True)
    (root / "walking").mkdir()
    write_video(root / "boxing/person01_boxing_d1_uncomp.avi", ramp(25))
    write_video(root / "walking/person17_walking_d2_uncomp.avi", ramp(31))
    write_video(root / "walking/README.avi", ramp(3))  # not a KTH name: ignored
    train = KTHReader(root, "train", stride=5, size=16, training=False)
    assert [os.path.basename(v[0]) for v in train.videos] == ["person01_boxing_d1_uncomp.avi"]
    context, target = collect(train.dataset())
    assert context.shape == (2, 10, 16, 16, 1) and target.shape == (2, 10, 16, 16, 1)
    assert context.dtype == np.float32 and context.max() <= 1.0
    ids = np.round(context[:, :, 0, 0, 0] * 255 / STEP).astype(int)
    tids = np.round(target[:, :, 0, 0, 0] * 255 / STEP).astype(int)
    assert ids.tolist() == [list(range(0, 10)), list(range(5, 15))]
    assert tids.tolist() == [list(range(10, 20)), list(range(15, 25))]
    test = KTHReader(root, "test", size=16)  # persons 17-25, 10 -> 20, stride 30
    context, target = collect(test.dataset(batch_size=4))  # one batch of one window
    assert context.shape == (1, 1, 10, 16, 16, 1) and target.shape == (1, 1, 20, 16, 16, 1)
    shuffled = KTHReader(root, "train", stride=5, size=16, seed=0)  # training: random grid offset
    c, t = collect(shuffled.dataset())
    starts = np.round(c[:, 0, 0, 0, 0] * 255 / STEP).astype(int)
    assert len(starts) >= 1 and np.all((starts >= 0) & (starts <= 5))
    with pytest.raises(FileNotFoundError, match="no KTH videos"):
        KTHReader(root, "train", persons=[5])


# ----------------------------------------------------------------------------- TaxiBJ


def write_taxibj(path, days=3, skip=(), size=8, dates=True):
    slots = [(d, s) for d in range(1, days + 1) for s in range(1, 49) if (d, s) not in skip]
    data = np.stack([np.full((2, size, size), 10 * i, np.float32) for i in range(len(slots))])
    data[:, 1] += 1  # outflow channel differs from inflow
    with h5py.File(path, "w") as f:
        f["data"] = data
        if dates:
            f["date"] = np.array([f"201501{d:02d}{s:02d}".encode() for d, s in slots])
    return data


def test_taxibj_reader_windows_normalisation_and_split(tmp_path):
    path = tmp_path / "BJ15_M32x32_T30_InOut.h5"
    raw = write_taxibj(path, days=3, skip={(1, 20)})
    train = TaxiBJReader(path, "train", test_days=1)
    n_train_frames = 2 * 48 - 1
    assert train.data_min == 0.0 and train.data_max == 10 * (n_train_frames - 1) + 1
    # windows of 8 consecutive slots ending before day 3; the gap at slot 20 of day 1
    # removes the 8 windows that would contain both slot 19 and slot 21
    assert len(train) == (n_train_frames - 8 + 1) - 7
    context, target = collect(train.dataset(shuffle=False))
    assert context.shape == (len(train), 4, 8, 8, 2) and target.shape == (len(train), 4, 8, 8, 2)
    first = raw[:8].transpose(0, 2, 3, 1)
    np.testing.assert_allclose(train.denormalize(np.concatenate([context[0], target[0]])), first, atol=1e-3)
    np.testing.assert_allclose(context[0, :, 0, 0, 0], (10 * np.arange(4)) / train.data_max, rtol=1e-6)
    test = TaxiBJReader(path, "test", test_days=1, data_min=train.data_min, data_max=train.data_max)
    assert len(test) == 48 - 8 + 1
    c, _ = collect(test.dataset())
    assert c.max() > 1.0  # test values beyond the training maximum are not clipped


def test_taxibj_missing_dataset_names_file_and_dataset(tmp_path):
    path = tmp_path / "BJ13.h5"
    write_taxibj(path, days=1, dates=False)
    with pytest.raises(ValueError, match=r"BJ13.h5: missing dataset 'date'"):
        TaxiBJReader(path)
    reader = TaxiBJReader(path, date_key=None, test_days=0, data_min=0, data_max=1)
    assert len(reader) == 48 - 8 + 1
    not_h5 = tmp_path / "x.h5"
    not_h5.write_bytes(b"nope")
    with pytest.raises(ValueError, match="x.h5: not a readable HDF5 file"):
        TaxiBJReader(not_h5)


# ----------------------------------------------------------------------------- Something-Something


@pytest.fixture
def ssv2(tmp_path):
    ext = webm_or_mp4(tmp_path)
    videos = tmp_path / "20bn-something-something-v2"
    videos.mkdir()
    for vid, n in (("11", 20), ("12", 10), ("13", 16)):
        write_video(videos / f"{vid}{ext}", ramp(n, COARSE_STEP))
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"Pushing something": "1", "Holding something next to something": "0",
                                  "Dropping something": "2"}))
    train = tmp_path / "train.json"
    train.write_text(json.dumps([
        {"id": "11", "label": "holding a cup next to a pen", "template": "Holding [something] next to [something]"},
        {"id": "12", "label": "pushing a box", "template": "Pushing [something]"},
        {"id": "13", "label": "dropping keys", "template": "Dropping [something]"},
    ]))
    return train, videos, labels, ext


def test_something_something_labels_and_early_fraction(ssv2):
    train, videos, labels, ext = ssv2
    full = SomethingSomethingReader(train, videos, labels, num_frames=4, size=8, video_extension=ext)
    assert full.class_names == ("Holding something next to something", "Pushing something", "Dropping something")
    assert full.labels == [0, 1, 2]
    half = SomethingSomethingReader(train, videos, labels, fraction=0.5, num_frames=4, size=8,
                                    video_extension=ext, training=True, seed=1)
    clips, lab = collect(half.dataset(shuffle=False))
    assert clips.shape == (3, 4, 8, 8, 3) and lab.tolist() == [0, 1, 2]
    for clip, n in zip(clips, (20, 10, 16)):
        ids = frame_ids(clip, COARSE_STEP)
        assert ids.max() < n // 2 and np.all(np.diff(ids) >= 0)  # only the first half
    quarter = SomethingSomethingReader(train, videos, labels, fraction=0.25, num_frames=4, size=8,
                                       video_extension=ext)
    clips, _ = collect(quarter.dataset())
    assert frame_ids(clips[0], COARSE_STEP).tolist() == sample_indices(5, 4).tolist()  # first 5 of 20 frames
    subset = SomethingSomethingReader(train, videos, labels, classes=["Dropping something", 1],
                                      num_frames=4, size=8, video_extension=ext)
    assert subset.class_names == ("Dropping something", "Pushing something")
    assert subset.labels == [1, 0]


def test_something_something_unknown_template(ssv2, tmp_path):
    train, videos, labels, ext = ssv2
    bad = tmp_path / "validation.json"
    bad.write_text(json.dumps([{"id": "12", "template": "Pushing [something]"},
                               {"id": "13", "template": "Juggling [something]"}]))
    with pytest.raises(ValueError, match=r"validation.json, line 2: unknown label 'Juggling something'"):
        SomethingSomethingReader(bad, videos, labels)
    test = tmp_path / "test.json"
    test.write_text(json.dumps([{"id": "12"}]))
    assert SomethingSomethingReader(test, videos, labels).labels == [-1]


# ----------------------------------------------------------------------------- folder per class


def test_video_folder_reader(tmp_path):
    root = tmp_path / "gestures"
    (root / "wave").mkdir(parents=True)
    (root / "clap").mkdir()
    write_video(root / "wave/a.avi", ramp(6, COARSE_STEP))
    write_video(root / "clap/b.mp4", ramp(9, COARSE_STEP))
    write_frame_folder(root / "clap" / "c_frames", 5, COARSE_STEP)
    (root / "clap" / "notes.txt").write_text("not a clip")
    reader = VideoFolderReader(root, num_frames=3, size=(8, 10), channels=1, dtype="uint8")
    assert reader.class_names == ("clap", "wave")
    assert [os.path.basename(p) for p, _ in reader.items] == ["b.mp4", "c_frames", "a.avi"]
    clips, labels = collect(reader.dataset())
    assert clips.shape == (3, 3, 8, 10, 1) and clips.dtype == np.uint8
    assert labels.tolist() == [0, 0, 1]
    ids = np.round(clips[:, :, 0, 0, 0] / COARSE_STEP).astype(int)
    assert ids.tolist() == [sample_indices(n, 3).tolist() for n in (9, 5, 6)]
    with pytest.raises(ValueError, match="no class sub-folders"):
        VideoFolderReader(root / "wave")
