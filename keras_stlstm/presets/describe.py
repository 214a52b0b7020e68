"""A short description of a model saved as a single `.keras` file (for `keras-stlstm info`)."""

import os

from keras_stlstm.presets.loading import load_keras_file


def describe_keras_file(path):
    """Model class, parameters, clip shape and class names of the model in `path`, as text.

    Raises:
        PresetError: the file is missing or unreadable.
    """
    model = load_keras_file(path)
    lines = [
        f"model file: {path} ({os.path.getsize(path) / 1024:.1f} KB)",
        f"model class: {type(model).__name__}",
        f"parameters: {model.count_params():,}",
        f"input: {tuple(model.inputs[0].shape[1:])}",
    ]
    names = getattr(model, "class_names", None)
    if names:
        lines.append(f"classes ({len(names)}): {', '.join(names)}")
    return "\n".join(lines)
