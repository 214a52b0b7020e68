"""ONNX export (optional extra: pip install "keras-stlstm[onnx]").

TensorFlow backend: Keras' exporter through tf2onnx. PyTorch backend: Keras'
exporter through torch.onnx (TorchScript tracing, batch dynamic, the time
length fixed by the model's input). JAX: a one-line error.
"""

import contextlib
import shutil
import tempfile
import warnings
from pathlib import Path

from keras_stlstm.export.destination import check_destination
from keras_stlstm.export.errors import ExportError
from keras_stlstm.export.signatures import output_names

INPUT_NAME = "frames"


def _require_onnx(backend):
    try:
        import onnx  # noqa: F401

        if backend == "tensorflow":
            import tf2onnx  # noqa: F401
    except ImportError as e:
        raise ExportError(
            f"ONNX export needs the optional packages onnx and tf2onnx ({e}): "
            'pip install "keras-stlstm[onnx]"'
        ) from e


def export_onnx(model, path, opset=None, overwrite=False):
    """Exports `model` (whole clip) as an ONNX file with Keras' ONNX exporter.

    On TensorFlow the recurrent layers become an ONNX Loop, so batch and time
    stay dynamic; on PyTorch (torch.onnx tracing) the batch stays dynamic and
    the model must have a fixed number of frames.
    The input is named "frames" and the output "output" (several outputs keep
    the model's output names). A model with dict outputs gets one output per
    key, named by the key, except that ONNX names every value of a graph once:
    a key equal to the input's name becomes "<key>_output" (e.g.
    `EarlyActivityRecognizer`'s outputs are "label" and "frames_output");
    `verify_export` maps it back.

    Args:
        model: a Keras model (TensorFlow or PyTorch backend).
        path: the .onnx file (written to a temporary name, then renamed); an
            existing file there that is not an ONNX model is refused unless
            `overwrite`.
        opset: ONNX opset version (None: Keras' default).
        overwrite: replace whatever file is at `path`.

    Returns:
        The file's Path.

    Raises:
        ExportError: onnx/tf2onnx missing (install keras-stlstm[onnx]), the
            JAX backend, a variable clip length on PyTorch, an unwritable path,
            or a file at `path` that is not an earlier export.

    Example:

    >>> export_onnx(model, "predictor.onnx")  # doctest: +SKIP
    >>> verify_export(model, "predictor.onnx")  # doctest: +SKIP
    """
    import keras

    backend = keras.backend.backend()
    if backend not in ("tensorflow", "torch"):
        raise ExportError(
            f"ONNX export traces the model with TensorFlow or PyTorch: run with KERAS_BACKEND=tensorflow "
            f"or torch (current backend: {backend})."
        )
    if backend == "torch" and None in tuple(model.inputs[0].shape[1:]):
        raise ExportError(
            f"ONNX export on PyTorch traces one clip shape and needs a model with a fixed clip shape; "
            f"this one takes {tuple(model.inputs[0].shape)}: build it with a fixed number of frames or "
            "export with KERAS_BACKEND=tensorflow (its ONNX keeps the time axis dynamic)."
        )
    _require_onnx(backend)
    import onnx

    path = Path(path)
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give the .onnx file's path.")
    check_destination(path, "onnx", overwrite)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp_dir = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    except OSError as e:
        raise ExportError(f"Cannot write to {path.parent}: {e.strerror or e}") from e
    try:
        tmp = tmp_dir / path.name
        kwargs = {} if opset is None else {"opset_version": opset}
        exported, names = _with_onnx_output_names(model)
        with _torch_onnx_tracing() if backend == "torch" else contextlib.nullcontext():
            exported.export(str(tmp), format="onnx", input_signature=[_input_spec(model, backend)], verbose=False,
                            **kwargs)
        proto = onnx.load(str(tmp))
        if {out.name for out in proto.graph.output} != set(names):
            # torch.onnx returns dict outputs flattened as Keras' tree does: by sorted key.
            dict_outputs = isinstance(getattr(exported, "output", None), dict)
            _rename_outputs(proto, sorted(names) if backend == "torch" and dict_outputs else names)
        onnx.save(proto, str(tmp))
        tmp.replace(path)
        return path
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def _input_spec(model, backend):
    """The clip input named "frames", batch dynamic."""
    shape = (None,) + tuple(model.inputs[0].shape[1:])
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.TensorSpec(shape, tf.float32, name=INPUT_NAME)
    import keras

    return keras.InputSpec(shape=shape, dtype="float32", name=INPUT_NAME)


@contextlib.contextmanager
def _torch_onnx_tracing():
    """While torch.onnx traces a Keras model.

    Keras' torch convolutions ask for channels-last memory (`contiguous(memory_format=...)`),
    which torch.onnx's exporter refuses ("onnx memory_format support is not
    implemented"); the memory layout does not change any value, so the op exports
    as its input. The tracer's warnings about shape checks turned into
    constants (the traced clip has the model's fixed shape) and the exporter's
    notes on constant folding are silenced.
    """
    import torch

    def contiguous(g, tensor, memory_format):
        return tensor

    torch.onnx.register_custom_op_symbolic("aten::contiguous", contiguous, 9)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            warnings.filterwarnings("ignore", message="Constant folding", category=UserWarning)
            yield
    finally:
        torch.onnx.unregister_custom_op_symbolic("aten::contiguous", 9)


def _onnx_output_name(name, input_names=(INPUT_NAME,)):
    """The ONNX name of the output `name`: "<name>_output" when an input has that name."""
    return f"{name}_output" if name in input_names else name


def _with_onnx_output_names(model):
    """(model to export, its ONNX output names). A model with dict outputs is
    wrapped (same layers and weights) so that no key equals the input's name."""
    import keras

    names = output_names(model)
    if not isinstance(getattr(model, "output", None), dict):
        return model, names
    outputs = {_onnx_output_name(key): tensor for key, tensor in model.output.items()}
    wrapper = keras.Model(model.inputs, outputs, name=f"{model.name}_onnx")
    return wrapper, list(outputs)


def _rename_outputs(proto, names):
    """Gives the graph outputs readable names (tf2onnx calls them Identity:0, ...)."""
    renames = {out.name: new for out, new in zip(proto.graph.output, names)}
    for node in proto.graph.node:
        for i, name in enumerate(node.output):
            if name in renames:
                node.output[i] = renames[name]
        for i, name in enumerate(node.input):
            if name in renames:
                node.input[i] = renames[name]
    for out in proto.graph.output:
        out.name = renames.get(out.name, out.name)
