"""Raw clips -> a model's input: frame sampling, resizing and rescaling (keras_hub's preprocessor)."""

import json
import os

import numpy as np

# The file a preset folder keeps the preprocessor's configuration in.
PREPROCESSOR_FILE = "preprocessor.json"


class ClipPreprocessor:
    """Turns clips as they come (any length and size, uint8 0-255) into what a clip model takes.

    Frames are sampled uniformly to `frames` (segment centres, as the readers do for
    evaluation; a shorter clip has frames repeated), resized to `image_size`, and integer
    clips are multiplied by `scale` (1/255: uint8 0-255 -> [0, 1]). Float clips must already
    be in [0, 1]: one with values above 1 is refused rather than silently misread.

    Args:
        frames: frames per clip the model takes (None: keep every frame, as a
            `VideoPredictor`'s preprocessor does: it takes consecutive frames).
        image_size: (height, width) of the model's frames.
        channels: channels of the model's frames; a clip with others is refused.
        scale: factor applied to integer clips.

    Call arguments:
        clips: (T, H, W, C) or (batch, T, H, W, C) array, uint8 or float.

    Returns:
        float32 (batch, frames, height, width, channels).

    Example:

    >>> model = GestureRecognizer("a", num_classes=3, config="tiny")  # doctest: +SKIP
    >>> model.predict(model.preprocessor(uint8_video_frames))  # doctest: +SKIP
    """

    def __init__(self, frames, image_size, channels, scale=1.0 / 255.0):
        self.frames = None if frames is None else int(frames)
        self.image_size = tuple(int(v) for v in image_size)
        self.channels = int(channels)
        self.scale = float(scale)

    @classmethod
    def for_model(cls, model):
        """The preprocessor matching `model`'s clip input (batch, frames, H, W, C)."""
        frames, height, width, channels = tuple(model.inputs[0].shape[1:])
        return cls(frames, (height, width), channels)

    def __call__(self, clips):
        from keras_stlstm.datasets.sampling import resize_frames, sample_indices

        clips = np.asarray(clips)
        if clips.ndim == 4:
            clips = clips[None]
        if clips.ndim != 5 or clips.shape[-1] != self.channels:
            raise ValueError(f"Expected clips of shape (T, H, W, {self.channels}) or (batch, T, H, W, {self.channels}); "
                             f"received shape {clips.shape}.")
        if np.issubdtype(clips.dtype, np.integer):
            clips = clips.astype(np.float32) * self.scale
        elif clips.size and float(np.max(clips)) > 1.0:
            raise ValueError(f"Float clips must be in [0, 1]; these reach {float(np.max(clips)):.4g}. Pass uint8 "
                             "clips (0-255) as they are, or divide float ones by 255.")
        out = []
        for clip in clips.astype(np.float32):
            if self.frames is not None and len(clip) != self.frames:
                clip = clip[sample_indices(len(clip), self.frames)]
            out.append(resize_frames(clip, self.image_size))
        return np.stack(out).astype(np.float32)

    def get_config(self):
        return {"frames": self.frames, "image_size": list(self.image_size), "channels": self.channels,
                "scale": self.scale}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def save(self, folder):
        """Writes `preprocessor.json` into a preset folder (atomically)."""
        from keras_stlstm.presets.files import write_text_atomic

        write_text_atomic(f"{folder}/{PREPROCESSOR_FILE}", json.dumps(self.get_config(), indent=2) + "\n")


class PreprocessorMixin:
    """`model.preprocessor`: the one saved with the preset, else `default_preprocessor()`.

    Mixed in before `keras.Model` by the models that take frames. `save_to_preset`
    writes the preprocessor as `preprocessor.json`; `from_preset` reads it back
    through `load_preprocessor`. Assigning None goes back to the default.
    """

    def default_preprocessor(self):
        """The `ClipPreprocessor` matching the model's input."""
        raise NotImplementedError

    @property
    def preprocessor(self):
        """The `ClipPreprocessor` for raw clips (uint8 0-255, any size): the one saved with the
        preset when there is one, else `default_preprocessor()`."""
        # Kept out of Keras' attribute tracking: it is not a layer.
        return self.__dict__.get("_clip_preprocessor") or self.default_preprocessor()

    @preprocessor.setter
    def preprocessor(self, value):
        self.__dict__["_clip_preprocessor"] = value

    def load_preprocessor(self, folder):
        """Uses the preprocessor a preset folder saved (`preprocessor.json`), if it has one."""
        from keras_stlstm.presets.files import read_json

        path = os.path.join(folder, PREPROCESSOR_FILE)
        if os.path.isfile(path):
            self.preprocessor = ClipPreprocessor.from_config(read_json(path))
