"""TFLite export with builtin operators only (no Flex delegate needed to run it).

Recurrent loops become TensorList ops that need SELECT_TF_OPS, which no
interpreter on PyPI can run; so the whole-clip form is traced with every loop
unrolled over a fixed number of frames, and the streaming form has no loop at
all (one step, states in and out). Conversion goes through a SavedModel:
converting concrete functions directly leaves variable reads inside the graph.
"""

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from keras_stlstm.export.destination import check_destination
from keras_stlstm.export.errors import ExportError
from keras_stlstm.export.saved_model import SIGNATURE, export_saved_model

QUANTIZATIONS = (None, "float16", "dynamic_int8", "int8")


def export_tflite(
    model, path, streaming=False, quantize=None, representative_data=None, num_frames=None,
    overwrite=False,
):
    """Exports `model` as a .tflite file that runs with builtin TFLite ops only.

    Args:
        model: a Keras model (TensorFlow backend).
        path: the .tflite file to write (written to a temporary name, then
            renamed); an existing file there that is not a .tflite model is
            refused unless `overwrite`.
        streaming: export `model.streaming_model()` (frames of one step plus the
            states in; output plus new states out) instead of the whole clip.
        quantize: None (float32), "float16" (float16 weights, half the size),
            "dynamic_int8" (int8 weights, float activations) or "int8" (int8
            weights and activations; needs `representative_data`).
        representative_data: for "int8": an iterable of sample inputs, each an
            array (whole clip) or a list of arrays in the signature's input order
            / a dict by input name (streaming).
        num_frames: clip length of the whole-clip form when the model's input
            has none.
        overwrite: replace whatever file is at `path`.

    Returns:
        The file's Path. The signature "serving_default" has the inputs and
        outputs described in `export_saved_model`: a model with dict outputs
        gets one signature output per key (e.g. "label" and "frames").

    Raises:
        ExportError: unknown quantisation, missing representative data, unknown
            clip length for the whole-clip form, conversion failure, unwritable
            path, or a file at `path` that is not an earlier export.

    Example:

    >>> export_tflite(model, "gesture_stream.tflite", streaming=True)  # doctest: +SKIP
    """
    if quantize not in QUANTIZATIONS:
        raise ExportError(f"quantize must be one of {QUANTIZATIONS}; received {quantize!r}.")
    if quantize == "int8" and representative_data is None:
        raise ExportError(
            'quantize="int8" calibrates activation ranges: pass representative_data (a few '
            "real input samples)."
        )
    path = Path(path)
    _check_writable(path)
    check_destination(path, "tflite", overwrite)
    with tempfile.TemporaryDirectory() as tmp:
        saved = export_saved_model(
            model, Path(tmp) / "saved_model", streaming=streaming, num_frames=num_frames,
            unroll=not streaming,
        )
        flatbuffer = _convert(saved, quantize, representative_data)
    _write_atomic(path, flatbuffer)
    return path


def _convert(saved_model, quantize, representative_data):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model), signature_keys=[SIGNATURE])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if quantize == "int8":
        names = _signature_input_names(saved_model)
        converter.representative_dataset = lambda: _representative(representative_data, names)
    try:
        return converter.convert()
    except Exception as e:  # noqa: BLE001 - the converter raises assorted internal types
        first = str(e).strip().splitlines()[:3]
        raise ExportError(
            "TFLite conversion with builtin ops failed: " + " | ".join(first)
        ) from e


def _signature_input_names(saved_model):
    """Input names in signature order, from the description export_saved_model wrote."""
    description = json.loads((Path(saved_model) / "assets.extra" / "signature.json").read_text())
    return list(description["inputs"])


def _representative(data, names):
    for sample in data:
        if isinstance(sample, dict):
            yield {k: np.asarray(v, np.float32) for k, v in sample.items()}
        elif isinstance(sample, (list, tuple)):
            yield {n: np.asarray(v, np.float32) for n, v in zip(names, sample)}
        else:
            yield {names[0]: np.asarray(sample, np.float32)}


def _check_writable(path):
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give the .tflite file's path.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(f"Cannot write to {path.parent}: {e.strerror or e}") from e
    if not os.access(path.parent, os.W_OK):
        raise ExportError(f"Cannot write to {path.parent}: permission denied.")


def _write_atomic(path, data):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
