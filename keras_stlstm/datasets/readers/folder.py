"""Users' own clips in a folder-per-class layout::

    root/
      class_a/clip1.mp4, clip2.avi, ...
      class_b/clip3.webm, some_frames/00001.jpg ...

Class names are the sorted sub-folder names (label = position). A clip is a video
file with one of `extensions`, or a sub-folder of numbered image frames.
"""

import os

from keras_stlstm.datasets.readers.base import ClipReader

VIDEO_EXTENSIONS = (".mp4", ".avi", ".webm", ".mkv", ".mov", ".m4v", ".mpg", ".mpeg")


def list_video_folder(root, extensions=VIDEO_EXTENSIONS):
    """(items [(path, label)], class_names) of a folder-per-class tree.

    Raises:
        FileNotFoundError: `root` is not a directory.
        ValueError: no class folders, or no clips at all.
    """
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"video folder not found: {root}")
    class_names = sorted(
        n for n in os.listdir(root) if os.path.isdir(os.path.join(root, n)) and not n.startswith(".")
    )
    if not class_names:
        raise ValueError(f"{root}: no class sub-folders (expected root/<class name>/<clips>)")
    items = []
    for label, name in enumerate(class_names):
        folder = os.path.join(root, name)
        for entry in sorted(os.listdir(folder)):
            path = os.path.join(folder, entry)
            if entry.startswith("."):
                continue
            if os.path.isdir(path) or entry.lower().endswith(tuple(extensions)):
                items.append((path, label))
    if not items:
        raise ValueError(f"{root}: no clips ({'/'.join(extensions)} files or frame folders) in the class folders")
    return items, tuple(class_names)


class VideoFolderReader(ClipReader):
    """Clips of a folder-per-class tree as (clip, label).

    Args:
        root: the folder of class folders.
        extensions: video file extensions to pick up.
        num_frames, size, resize, channels, fraction, short, dtype, training,
        on_error, seed: see `ClipReader`.

    Example:

    >>> reader = VideoFolderReader("my_gestures", num_frames=16, training=True)  # doctest: +SKIP
    >>> reader.class_names  # doctest: +SKIP
    ('swipe_left', 'swipe_right')
    """

    def __init__(self, root, extensions=VIDEO_EXTENSIONS, num_frames=16, size=112, **kwargs):
        items, class_names = list_video_folder(root, extensions)
        super().__init__(items, class_names, num_frames=num_frames, size=size, **kwargs)


def video_folder_dataset(root, batch_size=None, **kwargs):
    """`VideoFolderReader(root, **kwargs).dataset(batch_size)`."""
    return VideoFolderReader(root, **kwargs).dataset(batch_size=batch_size)
