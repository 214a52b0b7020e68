"""TensorFlow SavedModel export with a named, documented serving signature."""

import json
import shutil
from pathlib import Path

from keras_stlstm.export.destination import check_destination
from keras_stlstm.export.errors import ExportError
from keras_stlstm.export.signatures import clip_function, streaming_function
from keras_stlstm.presets.files import make_temp_sibling, move_into_place

SIGNATURE = "serving_default"


def export_saved_model(model, path, streaming=False, num_frames=None, unroll=False, overwrite=False):
    """Exports `model` as a TensorFlow SavedModel folder.

    The "serving_default" signature takes named inputs and returns a dict:

    - whole clip: `frames` float32 (batch, time, H, W, C) -> `output` (the
      model's output, e.g. (batch, classes) probabilities or (batch, time, H, W,
      C) predicted frames);
    - `streaming=True`: `frames` (batch, frames_per_step, H, W, C) plus the
      recurrent states `state_0`, ... (zeros at the start of a clip) ->
      `output` and `new_state_0`, ... to feed back at the next step.

    A model whose outputs are a dict (named outputs, e.g.
    `EarlyActivityRecognizer`'s {"label", "frames"}) gets one signature output
    per key, named by the key, instead of `output`: its whole-clip signature
    returns `label` and `frames` (input and output names are separate, so an
    output may share the input's name). Its streaming signature has the
    streaming model's outputs (for `EarlyActivityRecognizer`: `output`, the
    class probabilities, and the states).

    A description of the signature (names, shapes, meaning) is written to
    `assets.extra/signature.json` inside the folder.

    Args:
        model: a Keras model (TensorFlow backend).
        path: destination folder (written under a temporary name next to it,
            then renamed). An existing earlier SavedModel export or empty folder
            there is replaced; anything else is refused unless `overwrite`.
        streaming: export the single-step model instead of the whole clip.
        num_frames: fix the clip length (None keeps the model's, possibly dynamic).
        unroll: unroll the recurrent loops (needs a known clip length).
        overwrite: replace whatever is at `path`.

    Returns:
        The folder's Path.

    Raises:
        ExportError: `path` holds something that is not an earlier export, an
            unwritable path, or a backend other than TensorFlow.

    Example:

    >>> export_saved_model(model, "exported/gesture")  # doctest: +SKIP
    """
    _check_backend()
    check_destination(path, "saved_model", overwrite)
    if streaming:
        tracked, fn = streaming_function(model)
    else:
        tracked, fn = clip_function(model, num_frames=num_frames, unroll=unroll)
    return write_saved_model(tracked, fn, path, describe(fn, streaming, model))


def _check_backend():
    import keras

    if keras.backend.backend() != "tensorflow":
        raise ExportError(
            "SavedModel and TFLite export trace the model with TensorFlow: run with "
            f"KERAS_BACKEND=tensorflow (current backend: {keras.backend.backend()})."
        )


def write_saved_model(tracked, fn, path, description=None):
    """Writes `fn` (a traced tf.function over `tracked`'s weights) as the serving signature."""
    import keras

    path = Path(path)
    tmp = make_temp_sibling(path, error=ExportError)
    try:
        archive = keras.export.ExportArchive()
        archive.track(tracked)
        archive.add_endpoint(SIGNATURE, fn)
        target = tmp / "saved_model"
        archive.write_out(str(target), verbose=False)
        if description is not None:
            extra = target / "assets.extra"
            extra.mkdir(exist_ok=True)
            (extra / "signature.json").write_text(json.dumps(description, indent=2) + "\n")
        move_into_place(target, path, overwrite=True)
        return path
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def describe(fn, streaming, model):
    """JSON-able description of a serving signature: names, shapes and meaning."""
    concrete = fn.get_concrete_function()
    inputs = {
        spec.name: {"shape": _shape(spec.shape), "dtype": spec.dtype.name}
        for spec in concrete.structured_input_signature[0]
    }
    outputs = {
        name: {"shape": _shape(spec.shape), "dtype": spec.dtype.name}
        for name, spec in concrete.structured_outputs.items()
    }
    if streaming:
        per_step = getattr(model, "streaming_frames_per_step", 1)
        usage = (
            f"One streaming step: `frames` holds the next {per_step} frame(s); start a clip "
            "with every state_i zero and feed new_state_i back as state_i at the next step. "
            "`output` (and any other output not named new_state_i) is the model's output given "
            "every frame so far."
        )
    else:
        names = ", ".join(f"`{name}`" for name in outputs)
        usage = f"Whole clip: `frames` (batch, time, H, W, C) float32 -> the model's {names}."
    return {"model": type(model).__name__, "form": "streaming" if streaming else "clip",
            "usage": usage, "inputs": inputs, "outputs": outputs}


def _shape(shape):
    return [None if d is None else int(d) for d in shape]
