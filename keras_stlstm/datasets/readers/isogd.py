"""ChaLearn LAP IsoGD (isolated gestures, 249 classes, RGB-D videos).

The official list files (train_list.txt, valid_list.txt, test_list.txt with labels)
have one clip per line::

    train/001/M_00001.avi train/001/K_00001.avi 10

RGB video (M_), depth video (K_), label. Labels in the official lists are 1-based
(1..249); this reader returns 0-based labels (official label - 1) and names the
classes "1".."249" so `class_names[label]` gives back the official id.

Also accepted: "path label" lines (one modality per list), and the frame-folder
lists of the gesture paper's code, "path framecount label" with 0-based labels
(pass `label_base=0`).
"""

import os

from keras_stlstm.datasets.readers.base import ClipReader, check_choice, check_file

ISOGD_NUM_CLASSES = 249
MODALITIES = ("rgb", "depth")


def _parse_line(tokens, modality):
    """Tokens of one list line -> (path, label token) or None if malformed."""
    if len(tokens) == 2:
        return tokens[0], tokens[1]
    if len(tokens) == 3:
        if tokens[1].isdigit():  # "path framecount label"
            return tokens[0], tokens[2]
        return tokens[0 if modality == "rgb" else 1], tokens[2]
    return None


def read_isogd_list(list_path, modality="rgb", label_base=1, num_classes=ISOGD_NUM_CLASSES):
    """Parse an IsoGD list into [(relative path, 0-based label), ...].

    Args:
        list_path: list file.
        modality: "rgb" or "depth": which path of "rgb depth label" lines to use.
        label_base: the label of the first class in the file (1 for the official lists).
        num_classes: labels must lie in [label_base, label_base + num_classes).

    Raises:
        FileNotFoundError: no such file. ValueError: a malformed line or a label
        that is not an integer or out of range (naming the file, line and label).
    """
    check_file(list_path, "IsoGD list file")
    check_choice(modality, MODALITIES, "modality")
    entries = []
    with open(list_path, encoding="utf-8") as f:
        for line_number, line in enumerate(f, start=1):
            tokens = line.split()
            if not tokens:
                continue
            parsed = _parse_line(tokens, modality)
            if parsed is None:
                raise ValueError(
                    f"{list_path}, line {line_number}: expected 'path label' or "
                    f"'rgb_path depth_path label', got {line.strip()!r}"
                )
            path, label = parsed
            try:
                index = int(label) - label_base
            except ValueError:
                index = None
            if index is None or not 0 <= index < num_classes:
                raise ValueError(
                    f"{list_path}, line {line_number}: unknown label {label!r} (expected an "
                    f"integer in [{label_base}, {label_base + num_classes - 1}])"
                )
            entries.append((path, index))
    return entries


class IsoGDReader(ClipReader):
    """IsoGD clips as (clip, label): clip (L, h, w, 3) float32 in [0, 1], label 0-based int32.

    Depth videos are read as 3-channel frames (as stored); pass `channels=1` for one.

    Args:
        list_path: official list file (or one of the formats in the module docstring).
        root: folder the list's relative paths start from (IsoGD_phase_1/...).
        modality: "rgb" or "depth".
        num_frames: L (32 in the gesture paper).
        label_base: 1 for the official lists, 0 for 0-based lists.
        num_classes: 249.
        size, resize, channels, fraction, short, dtype, training, on_error, seed:
            see `ClipReader`.
    """

    def __init__(
        self,
        list_path,
        root,
        modality="rgb",
        num_frames=32,
        size=112,
        label_base=1,
        num_classes=ISOGD_NUM_CLASSES,
        **kwargs,
    ):
        entries = read_isogd_list(list_path, modality, label_base, num_classes)
        items = [(os.path.join(root, path), label) for path, label in entries]
        class_names = [str(label_base + i) for i in range(num_classes)]
        self.modality = modality
        super().__init__(items, class_names, num_frames=num_frames, size=size, **kwargs)


def isogd_dataset(list_path, root, batch_size=None, **kwargs):
    """`IsoGDReader(list_path, root, **kwargs).dataset(batch_size)`."""
    return IsoGDReader(list_path, root, **kwargs).dataset(batch_size=batch_size)
