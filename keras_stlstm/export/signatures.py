"""The serving functions that every export format is traced from.

Two forms:

- whole clip: `frames` (batch, time, H, W, C) -> {"output": ...}, optionally with
  every recurrent layer unrolled over a static number of frames (what TFLite
  needs to convert with builtin ops only); a model whose outputs are a dict
  returns one output per key instead (e.g. {"label": ..., "frames": ...});
- streaming: the model's `streaming_model()`: `frames` (batch, frames_per_step, H,
  W, C) and the states "state_0", ... -> {"output", "new_state_0", ...}; no loop.
"""

import contextlib

import keras


def named_outputs(outputs, names):
    """{name: tensor} of a model call's result.

    A dict result keeps its own keys (a model with named outputs, e.g.
    {"label", "frames"}); a tensor or list is named by `names` in order.
    """
    if isinstance(outputs, dict):
        return dict(outputs)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return {name: tensor for name, tensor in zip(names, outputs)}


def output_names(model):
    """Names of the exported outputs, in the model's output order.

    - a model whose outputs are a dict: the dict's keys (e.g. ["label", "frames"]
      for `EarlyActivityRecognizer`), not the names of the layers producing them;
    - a single output: ["output"];
    - a list of outputs: Keras' output names.
    """
    structure = getattr(model, "output", None)
    if isinstance(structure, dict):
        return list(structure)
    names = list(getattr(model, "output_names", None) or [])
    if len(model.outputs) == 1 and (not names or names[0] != "output"):
        return ["output"]
    return names


def clip_shape(model, num_frames=None):
    """(time, H, W, C) of one clip: the model's own time length or `num_frames`.

    Raises:
        ExportError: neither gives a time length (needed for unrolled exports).
    """
    from keras_stlstm.export.errors import ExportError

    if len(model.inputs) != 1:
        raise ExportError(
            f"Whole-clip export expects a model with one input (frames); {model.name} "
            f"has {len(model.inputs)}."
        )
    shape = tuple(model.inputs[0].shape[1:])
    time = shape[0]
    if num_frames is not None:
        if time is not None and time != num_frames:
            raise ExportError(
                f"num_frames={num_frames} differs from the model's fixed clip length {time}."
            )
        time = int(num_frames)
    if time is None:
        raise ExportError(
            f"{model.name} takes clips of any length (input shape {(None,) + shape}); an "
            "unrolled export (TFLite whole-clip) needs a fixed number of frames: pass "
            "num_frames=N, or use streaming=True."
        )
    if any(d is None for d in shape[1:]):
        raise ExportError(f"Export needs static frame dimensions; the model input is {shape}.")
    return (time,) + shape[1:]


@contextlib.contextmanager
def unrolled(model):
    """Sets `unroll=True` on every recurrent layer of `model` while tracing."""
    layers = [l for l in model._flatten_layers(include_self=False) if isinstance(l, keras.layers.RNN)]
    saved = [l.unroll for l in layers]
    try:
        for layer in layers:
            layer.unroll = True
        yield layers
    finally:
        for layer, value in zip(layers, saved):
            layer.unroll = value


def clip_function(model, num_frames=None, unroll=False):
    """(tracked model, traced tf.function frames -> {name: output}) for whole clips.

    The output names are `output_names(model)`: "output" for a single output,
    the dict's keys for a model with dict outputs.

    With `unroll`, the time length must be known (model input or `num_frames`)
    and the recurrent loops are unrolled at trace time; the batch stays dynamic.
    """
    import tensorflow as tf

    if unroll:
        shape = clip_shape(model, num_frames)
    else:
        shape = tuple(model.inputs[0].shape[1:])
        if num_frames is not None:
            shape = (int(num_frames),) + shape[1:]
    names = output_names(model)
    spec = tf.TensorSpec((None,) + shape, model.inputs[0].dtype or tf.float32, name="frames")

    @tf.function(input_signature=[spec])
    def serve(frames):
        return named_outputs(model(frames, training=False), names)

    with unrolled(model) if unroll else contextlib.nullcontext():
        serve.get_concrete_function()  # trace now, while the loops are unrolled
    return model, serve


def streaming_function(model):
    """(step model, traced tf.function) of `model.streaming_model()`, inputs named
    "frames", "state_0", ... and outputs "output", "new_state_0", ...."""
    import tensorflow as tf

    from keras_stlstm.export.errors import ExportError

    if not hasattr(model, "streaming_model"):
        raise ExportError(
            f"{type(model).__name__} has no streaming_model(); streaming export needs a "
            "model class with the streaming interface (GestureRecognizer, VideoPredictor, ...)."
        )
    step = model.streaming_model()
    names_in = [t.name.split(":")[0] for t in step.inputs]
    names_out = output_names(step)
    specs = [
        tf.TensorSpec((None,) + tuple(t.shape[1:]), t.dtype or tf.float32, name=n)
        for t, n in zip(step.inputs, names_in)
    ]

    def serve(*args):
        return named_outputs(step(list(args), training=False), names_out)

    fn = tf.function(serve, input_signature=specs)
    fn.get_concrete_function()
    return step, fn
