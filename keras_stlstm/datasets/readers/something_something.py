"""Something-Something V2: webm videos and JSON labels.

Layout of the official release::

    something-something-v2-labels.json       {"Approaching something with your camera": "0", ...}
    something-something-v2-train.json         [{"id": "78687", "label": "holding potato next to
                                                vicks vaporub bottle", "template": "Holding
                                                [something] next to [something]",
                                                "placeholders": [...]}, ...]
    something-something-v2-validation.json    same
    something-something-v2-test.json          [{"id": "1420"}, ...]   (no labels)
    20bn-something-something-v2/<id>.webm

The class of an entry is its "template" with the brackets removed, looked up in
the labels file. For early activity recognition (E3D paper 4.4) pass
`fraction=0.25` or `0.5`: only the first 25% / 50% of each video's frames are kept
before sampling L frames. `classes` restricts the reader to a subset (e.g. the
41-class subset) and renumbers those classes 0..K-1 in the given order.
(Something-Something V1 uses Jester's CSV + frame-folder layout: use `JesterReader`.)
"""

import json
import os

from keras_stlstm.datasets.readers.base import (
    ClipReader,
    check_file,
    label_lookup,
    unknown_label_error,
)


def _load_json(path, what):
    check_file(path, what)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None


def read_ssv2_labels(labels_json):
    """Class names ordered by index from a {template: "index"} labels JSON."""
    mapping = _load_json(labels_json, "Something-Something labels file")
    if not isinstance(mapping, dict) or not mapping:
        raise ValueError(f"{labels_json}: expected a JSON object mapping class name -> index")
    names = [None] * len(mapping)
    for name, index in mapping.items():
        try:
            index = int(index)
            if names[index] is not None:
                raise IndexError
        except (ValueError, IndexError, TypeError):
            raise ValueError(
                f"{labels_json}: class {name!r} has index {index!r}; expected distinct "
                f"integers 0..{len(mapping) - 1}"
            ) from None
        names[index] = name
    return tuple(names)


def _template_name(entry):
    return entry.get("template", "").replace("[", "").replace("]", "")


def read_ssv2_split(split_json, class_names):
    """[(video id, label index), ...] from a train/validation/test JSON list.

    Entries without a "template" (the test list) get label -1.

    Raises:
        ValueError: not a JSON list of objects with "id", or an unknown template
            (naming the file, the entry number as "line", and the label).
    """
    entries = _load_json(split_json, "Something-Something split file")
    if not isinstance(entries, list):
        raise ValueError(f"{split_json}: expected a JSON list of {{'id': ..., 'template': ...}} objects")
    lookup = label_lookup(class_names)
    items = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or "id" not in entry:
            raise ValueError(f"{split_json}, line {number}: entry without an 'id': {entry!r}")
        if "template" not in entry:
            items.append((str(entry["id"]), -1))
            continue
        template = _template_name(entry)
        index = lookup.get(" ".join(template.split()).casefold())
        if index is None:
            raise unknown_label_error(split_json, number, template, class_names)
        items.append((str(entry["id"]), index))
    return items


def _subset(items, class_names, classes, source):
    """Keep the items of `classes` (names or indices), renumbered in that order."""
    lookup = label_lookup(class_names)
    old_to_new = {}
    for new, cls in enumerate(classes):
        old = cls if isinstance(cls, int) else lookup.get(" ".join(str(cls).split()).casefold())
        if old is None or not 0 <= old < len(class_names):
            raise ValueError(f"classes: {cls!r} is not a class of {source}")
        old_to_new[old] = new
    kept = [(vid, old_to_new[label]) for vid, label in items if label in old_to_new]
    return kept, tuple(class_names[old] for old in old_to_new)


class SomethingSomethingReader(ClipReader):
    """Something-Something V2 clips as (clip, label).

    Args:
        split_json: something-something-v2-{train,validation,test}.json.
        videos_dir: folder of <id>.webm videos.
        labels_json: something-something-v2-labels.json.
        classes: optional subset (names or original indices), renumbered 0..K-1.
        fraction: keep the first fraction of frames (0.25 / 0.5 for early recognition).
        video_extension: ".webm" (official); ".mp4" for re-encoded copies.
        num_frames, size, resize, channels, short, dtype, training, on_error, seed:
            see `ClipReader`.
    """

    def __init__(
        self,
        split_json,
        videos_dir,
        labels_json,
        classes=None,
        fraction=1.0,
        num_frames=16,
        size=112,
        video_extension=".webm",
        **kwargs,
    ):
        class_names = read_ssv2_labels(labels_json)
        entries = read_ssv2_split(split_json, class_names)
        if classes is not None:
            entries, class_names = _subset(entries, class_names, classes, labels_json)
        items = [(os.path.join(videos_dir, vid + video_extension), label) for vid, label in entries]
        super().__init__(
            items, class_names, num_frames=num_frames, size=size, fraction=fraction, **kwargs
        )


def something_something_dataset(split_json, videos_dir, labels_json, batch_size=None, **kwargs):
    """`SomethingSomethingReader(split_json, videos_dir, labels_json, **kwargs).dataset(batch_size)`."""
    reader = SomethingSomethingReader(split_json, videos_dir, labels_json, **kwargs)
    return reader.dataset(batch_size=batch_size)
