"""20BN-Jester V1: CSV label files and folders of numbered JPG frames.

Layout of the official release::

    jester-v1-labels.csv        one class name per line (the official order)
    jester-v1-train.csv         "<clip id>;<class name>" per line
    jester-v1-validation.csv    same
    jester-v1-test.csv          "<clip id>" per line (no labels)
    20bn-jester-v1/<clip id>/00001.jpg, 00002.jpg, ...

Something-Something V1 uses the same layout (with its own labels file), so this
reader also reads it: pass `class_names="something-something-v1-labels.csv"`.
"""

import os

from keras_stlstm.datasets.jester_labels import JESTER_CLASSES
from keras_stlstm.datasets.readers.base import (
    ClipReader,
    check_file,
    label_lookup,
    read_class_names,
    unknown_label_error,
)


def read_jester_csv(csv_path, class_names=JESTER_CLASSES, delimiter=";"):
    """Parse a Jester-style CSV into [(clip_id, label_index), ...].

    Lines are "id;label" (label matched to `class_names` ignoring case and repeated
    spaces) or just "id" for unlabelled test clips (label -1). Blank lines are skipped.

    Raises:
        FileNotFoundError: no such file.
        ValueError: an unknown label, naming the file, line and label.
    """
    check_file(csv_path, "Jester CSV file")
    lookup = label_lookup(class_names)
    entries = []
    with open(csv_path, encoding="utf-8") as f:
        for line_number, line in enumerate(f, start=1):
            line = line.strip()
            if not line:
                continue
            clip_id, _, label = (part.strip() for part in line.partition(delimiter))
            if not label:
                entries.append((clip_id, -1))
                continue
            index = lookup.get(" ".join(label.split()).casefold())
            if index is None:
                raise unknown_label_error(csv_path, line_number, label, class_names)
            entries.append((clip_id, index))
    return entries


class JesterReader(ClipReader):
    """Jester clips as (clip, label): clip (L, h, w, 3) float32 in [0, 1], label int32.

    Args:
        csv_path: jester-v1-{train,validation,test}.csv.
        frames_dir: the 20bn-jester-v1 folder of per-clip frame folders.
        class_names: sequence of names, or a path to a one-name-per-line labels
            file; default: `JESTER_CLASSES` (the official order).
        num_frames: L (16 in the gesture paper).
        size, resize, channels, fraction, short, dtype, training, on_error, seed:
            see `ClipReader`.

    Example:

    >>> reader = JesterReader("jester-v1-train.csv", "20bn-jester-v1",
    ...                       training=True, seed=0)  # doctest: +SKIP
    >>> ds = reader.dataset(batch_size=16)  # doctest: +SKIP
    """

    def __init__(self, csv_path, frames_dir, class_names=JESTER_CLASSES, num_frames=16, size=112, **kwargs):
        if isinstance(class_names, (str, os.PathLike)):
            class_names = read_class_names(class_names)
        entries = read_jester_csv(csv_path, class_names)
        items = [(os.path.join(frames_dir, clip_id), label) for clip_id, label in entries]
        super().__init__(items, class_names, num_frames=num_frames, size=size, **kwargs)


def jester_dataset(csv_path, frames_dir, batch_size=None, **kwargs):
    """`JesterReader(csv_path, frames_dir, **kwargs).dataset(batch_size)`."""
    return JesterReader(csv_path, frames_dir, **kwargs).dataset(batch_size=batch_size)
