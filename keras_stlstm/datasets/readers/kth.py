"""KTH human actions for video prediction (PredRNN / E3D protocol).

Files are named ``personNN_<action>_dN_uncomp.avi`` (25 people, 6 actions, 4
scenarios), found anywhere under `root` (the release keeps one folder per action).
Persons 1-16 train, 17-25 test. Frames are converted to grayscale and resized to
128x128. Each video is cut into sliding windows of context + future frames:
10 -> 10 (20 frames) for training, 10 -> 20 (30 frames) for testing; the E3D paper
also reports 10 -> 40.

Examples are (context, target) float32 in [0, 1]: (Tc, 128, 128, 1), (Tf, 128, 128, 1).
"""

import os
import re

import numpy as np

from keras_stlstm.datasets.readers.base import DatasetReader, check_choice
from keras_stlstm.datasets.sampling import normalize_size, sliding_windows
from keras_stlstm.datasets.video_io import read_video

KTH_ACTIONS = ("boxing", "handclapping", "handwaving", "jogging", "running", "walking")
KTH_TRAIN_PERSONS = tuple(range(1, 17))
KTH_TEST_PERSONS = tuple(range(17, 26))
_KTH_NAME = re.compile(r"^person(\d+)_([a-z]+)_d(\d+)_uncomp\.avi$")


def list_kth_videos(root, persons=None, actions=KTH_ACTIONS):
    """Sorted [(path, person, action), ...] of the KTH videos under `root`.

    Raises:
        FileNotFoundError: `root` is not a directory, or holds no matching video.
    """
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"KTH folder not found: {root}")
    persons = None if persons is None else set(persons)
    found = []
    for folder, _, files in os.walk(root):
        for name in files:
            match = _KTH_NAME.match(name)
            if not match:
                continue
            person, action = int(match.group(1)), match.group(2)
            if action in actions and (persons is None or person in persons):
                found.append((os.path.join(folder, name), person, action))
    if not found:
        raise FileNotFoundError(
            f"no KTH videos (personNN_action_dN_uncomp.avi) under {root} for persons "
            f"{sorted(persons) if persons else 'any'} and actions {list(actions)}"
        )
    return sorted(found)


class KTHReader(DatasetReader):
    """KTH windows as (context, target) for video prediction.

    Args:
        root: folder containing the KTH .avi files (searched recursively).
        split: "train" (persons 1-16) or "test" (persons 17-25).
        context_frames: Tc (10).
        future_frames: Tf; default 10 for "train", 20 for "test".
        stride: frames between window starts; default one window length
            (non-overlapping windows).
        size: frame size, int or (height, width) (128).
        persons, actions: override the split's persons / the action list.
        shuffle_buffer: example shuffle buffer when training (windows of one
            video are decoded together, so they need mixing).
        training: shuffle the videos, mix windows, and start each video's window
            grid at a random offset in [0, stride).
        on_error, seed: see `DatasetReader`.
    """

    def __init__(
        self,
        root,
        split="train",
        context_frames=10,
        future_frames=None,
        stride=None,
        size=128,
        persons=None,
        actions=KTH_ACTIONS,
        shuffle_buffer=256,
        training=None,
        on_error="raise",
        seed=None,
    ):
        check_choice(split, ("train", "test"), "split")
        training = split == "train" if training is None else training
        super().__init__(on_error=on_error, seed=seed, training=training)
        self.split = split
        self.context_frames = int(context_frames)
        self.future_frames = int(future_frames or (10 if split == "train" else 20))
        window = self.context_frames + self.future_frames
        self.stride = int(stride or window)
        if min(self.context_frames, self.future_frames, self.stride) < 1:
            raise ValueError("context_frames, future_frames and stride must be positive")
        self.size = normalize_size(size)
        if persons is None:
            persons = KTH_TRAIN_PERSONS if split == "train" else KTH_TEST_PERSONS
        self.videos = list_kth_videos(root, persons, actions)
        self.class_names = tuple(actions)
        self.shuffle_buffer = shuffle_buffer

    def __len__(self):
        return len(self.videos)

    def item_name(self, index):
        return self.videos[index][0]

    def element_spec_np(self):
        frame = self.size + (1,)
        return [("uint8", (self.context_frames,) + frame), ("uint8", (self.future_frames,) + frame)]

    def default_shuffle_buffer(self):
        return self.shuffle_buffer

    def windows(self, index, rng=None):
        """All (context, target) uint8 windows of video `index`: (k, Tc, H, W, 1), (k, Tf, H, W, 1)."""
        frames = read_video(self.videos[index][0], size=self.size, grayscale=True)
        offset = int(rng.integers(0, self.stride)) if self.training and rng is not None else 0
        window = self.context_frames + self.future_frames
        starts = offset + sliding_windows(max(len(frames) - offset, 0), window, self.stride)
        clips = frames[starts[:, None] + np.arange(window)]
        return clips[:, : self.context_frames], clips[:, self.context_frames :]

    def load_item(self, index, rng):
        return self.windows(index, rng)

    def postprocess(self, context, target):
        import tensorflow as tf  # only when building a dataset

        scale = tf.constant(1.0 / 255.0, tf.float32)
        return tf.cast(context, tf.float32) * scale, tf.cast(target, tf.float32) * scale


def kth_dataset(root, split="train", batch_size=None, **kwargs):
    """`KTHReader(root, split, **kwargs).dataset(batch_size)`."""
    return KTHReader(root, split, **kwargs).dataset(batch_size=batch_size)
