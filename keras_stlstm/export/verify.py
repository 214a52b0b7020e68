"""Runs an exported file on random clips and compares it with the Keras model."""

from pathlib import Path

import keras
import numpy as np

from keras_stlstm.export.errors import ExportError


def detect_format(path):
    """"saved_model", "tflite" or "onnx", from the path."""
    path = Path(path)
    if path.is_dir() and (path / "saved_model.pb").exists():
        return "saved_model"
    if path.suffix == ".tflite":
        return "tflite"
    if path.suffix == ".onnx":
        return "onnx"
    raise ExportError(
        f"Cannot tell the format of {path}: expected a SavedModel folder, a .tflite or an .onnx file."
    )


def verify_export(model, path, num_frames=None, batch_size=2, seed=0, verbose=True, per_output=False):
    """Max absolute difference between an exported file and the Keras model.

    Random uniform [0, 1) clips go through both. A streaming export (inputs
    "frames", "state_0", ...) is fed the clip step by step from zero states and
    compared with the Keras model on the whole clip: the per-step outputs are
    concatenated (or stacked) along time when the model outputs a sequence, else
    the last step's output is compared. A model with a `context_frames`
    attribute (a video predictor) is fed its own previous output after the
    context, as its whole-clip inference does, and its T - 1 step outputs are
    compared with the T - 1 predicted frames.

    Every output is compared: a model with dict outputs (e.g.
    `EarlyActivityRecognizer`'s {"label", "frames"}) against the exported
    outputs of the same names. In a streaming file, `output` stands for the
    model's first output (e.g. "label") and any other step output (not a new
    state) for the model output of the same name; step outputs without one are
    not compared (the printed line says which).

    Args:
        model: the Keras model that was exported.
        path: a SavedModel folder, .tflite or .onnx file.
        num_frames: clip length when neither the file nor the model fixes one
            (default 4 steps).
        batch_size: clips per check (1 for streaming files with a fixed batch).
        seed: random seed.
        verbose: print the result (one error per output when there are several).
        per_output: return {output name: max error} instead of the overall max.

    Returns:
        The max absolute error over every compared output (float), or the dict
        of errors per output with `per_output=True`.

    Example:

    >>> export_tflite(model, "stream.tflite", streaming=True)  # doctest: +SKIP
    >>> verify_export(model, "stream.tflite") < 1e-5  # doctest: +SKIP
    True
    """
    fmt = detect_format(path)
    runner = {"saved_model": _SavedModelRunner, "tflite": _TFLiteRunner, "onnx": _OnnxRunner}[fmt](path)
    per_step = getattr(model, "streaming_frames_per_step", 1)
    time = runner.time or model.inputs[0].shape[1] or num_frames or 4 * per_step
    streaming = "state_0" in runner.input_names
    if streaming:
        time = model.inputs[0].shape[1] or num_frames or 4 * per_step
    rng = np.random.default_rng(seed)
    frame_shape = tuple(model.inputs[0].shape[2:])
    clip = rng.random((batch_size, time) + frame_shape, dtype=np.float32)
    references = keras_outputs(model, clip)
    if streaming:
        got, skipped = _streamed_outputs(runner, clip, per_step, model, references)
        # A step model may leave some of the model's outputs out (e.g. predicted frames).
        references = {name: value for name, value in references.items() if name in got}
    else:
        got, skipped = runner.run({"frames": clip}), []
    errors = _errors(got, references, fmt)
    if verbose:
        _report(path, fmt, streaming, errors, skipped, batch_size, time)
    return errors if per_output else max(errors.values())


def keras_outputs(model, clip):
    """{exported output name: NumPy array} of the Keras model on `clip`
    (the names of `keras_stlstm.export.signatures.output_names`)."""
    from keras_stlstm.export.signatures import named_outputs, output_names

    outputs = named_outputs(model(clip, training=False), output_names(model))
    return {name: keras.ops.convert_to_numpy(value) for name, value in outputs.items()}


def _streamed_outputs(runner, clip, per_step, model, references):
    """{reference name: streamed output matched to its shape}, and the step outputs not compared."""
    steps = _stream_all(runner, clip, per_step, getattr(model, "context_frames", None))
    first = "output" if "output" in references else next(iter(references))
    got, skipped = {}, []
    for name, outputs in steps.items():
        target = first if name == "output" else name
        if target in references:
            got[target] = _match_reference(outputs, references[target])
        else:
            skipped.append(name)
    return got, skipped


def _errors(got, references, fmt):
    missing = [name for name in references if name not in got]
    if missing:
        raise ExportError(
            f"The {fmt} export has no output named {missing} (it has {sorted(got)}); "
            "was it exported from this model?"
        )
    return {name: float(np.max(np.abs(np.asarray(got[name]) - reference)))
            for name, reference in references.items()}


def _report(path, fmt, streaming, errors, skipped, batch_size, time):
    form = "streaming, step by step" if streaming else "whole clip"
    if len(errors) == 1:
        detail = f"{next(iter(errors.values())):.3g}"
    else:
        detail = ", ".join(f"{name} {error:.3g}" for name, error in errors.items())
        detail = f"{max(errors.values()):.3g} ({detail})"
    note = f"; step outputs not compared: {', '.join(skipped)}" if skipped else ""
    print(f"{path} ({fmt}, {form}): max |exported - Keras| = {detail} on {batch_size} "
          f"random clip(s) of {time} frames{note}")


def _stream(runner, clip, per_step, context_frames=None):
    """The "output" of each step of a streaming export fed `clip` from zero states."""
    return _stream_all(runner, clip, per_step, context_frames)["output"]


def _stream_all(runner, clip, per_step, context_frames=None):
    """{step output name: [output of each step]} of a streaming export fed `clip`
    from zero states (the new states left out).

    With `context_frames`, later steps get the previous step's "output" instead
    of the clip's frame (autoregressive rollout).
    """
    if clip.shape[1] % per_step:
        raise ExportError(f"The clip length {clip.shape[1]} is not a multiple of {per_step} frames per step.")
    states = {n: np.zeros((clip.shape[0],) + tuple(runner.shapes[n][1:]), np.float32)
              for n in runner.input_names if n != "frames"}
    has_time_axis = len(runner.shapes["frames"]) == clip.ndim
    outputs = {}
    for start in range(0, clip.shape[1], per_step):
        frames = clip[:, start:start + per_step] if has_time_axis else clip[:, start]
        if context_frames is not None and start >= context_frames:
            frames = outputs["output"][-1].reshape(frames.shape)
        result = runner.run({"frames": frames, **states})
        for name, value in result.items():
            if not name.startswith("new_state_"):
                outputs.setdefault(name, []).append(np.asarray(value))
        states = {n: np.asarray(result["new_" + n]) for n in states}
    return outputs


def _match_reference(outputs, reference):
    for candidate in (np.concatenate(outputs, axis=1) if outputs[0].ndim > 1 else None,
                      np.stack(outputs, axis=1), np.stack(outputs[:-1], axis=1), outputs[-1]):
        if candidate is not None and candidate.shape == reference.shape:
            return candidate
    raise ExportError(
        f"Cannot compare streaming outputs of shape {outputs[0].shape} per step with the "
        f"model's output {reference.shape}."
    )


class _SavedModelRunner:
    def __init__(self, path):
        import tensorflow as tf

        self.fn = tf.saved_model.load(str(path)).signatures["serving_default"]
        specs = self.fn.structured_input_signature[1]
        self.input_names = list(specs)
        self.shapes = {n: tuple(s.shape) for n, s in specs.items()}
        self.time = self.shapes["frames"][1] if len(self.shapes["frames"]) > 1 else None

    def run(self, inputs):
        import tensorflow as tf

        return {k: v.numpy() for k, v in self.fn(**{k: tf.constant(v) for k, v in inputs.items()}).items()}


class _TFLiteRunner:
    def __init__(self, path):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:  # the TF-bundled interpreter works the same
            import tensorflow as tf

            Interpreter = tf.lite.Interpreter
        self.interpreter = Interpreter(model_path=str(path), num_threads=1)
        self.runner = self.interpreter.get_signature_runner("serving_default")
        details = self.runner.get_input_details()
        self.input_names = list(details)
        self.shapes = {n: tuple(int(d) for d in v["shape_signature"]) for n, v in details.items()}
        time = self.shapes["frames"][1]
        self.time = None if time < 0 else time

    def run(self, inputs):
        return self.runner(**inputs)


class _OnnxRunner:
    def __init__(self, path):
        try:
            import onnxruntime
        except ImportError as e:
            raise ExportError('Verifying ONNX files needs onnxruntime: pip install "keras-stlstm[onnx]"') from e
        self.session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.shapes = {i.name: tuple(i.shape) for i in self.session.get_inputs()}
        time = self.shapes["frames"][1]
        self.time = time if isinstance(time, int) else None

    def run(self, inputs):
        names = [o.name for o in self.session.get_outputs()]
        return dict(zip(map(self._model_name, names), self.session.run(names, inputs)))

    def _model_name(self, name):
        """The model's name of an ONNX output: export_onnx renames an output that
        shares an input's name to "<name>_output"."""
        stem = name[: -len("_output")]
        return stem if name.endswith("_output") and stem in self.input_names else name
