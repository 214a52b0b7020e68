"""ONNX export (optional extra: pip install "keras-stlstm[onnx]")."""

import shutil
import tempfile
from pathlib import Path

from keras_stlstm.export.destination import check_destination
from keras_stlstm.export.errors import ExportError
from keras_stlstm.export.signatures import output_names

INPUT_NAME = "frames"


def _require_onnx():
    try:
        import onnx  # noqa: F401
        import tf2onnx  # noqa: F401
    except ImportError as e:
        raise ExportError(
            f"ONNX export needs the optional packages onnx and tf2onnx ({e}): "
            'pip install "keras-stlstm[onnx]"'
        ) from e


def export_onnx(model, path, opset=None, overwrite=False):
    """Exports `model` (whole clip) as an ONNX file with Keras' ONNX exporter.

    The recurrent layers become an ONNX Loop, so batch and time stay dynamic.
    The input is named "frames" and the output "output" (several outputs keep
    the model's output names). A model with dict outputs gets one output per
    key, named by the key, except that ONNX names every value of a graph once:
    a key equal to the input's name becomes "<key>_output" (e.g.
    `EarlyActivityRecognizer`'s outputs are "label" and "frames_output");
    `verify_export` maps it back.

    Args:
        model: a Keras model (TensorFlow backend).
        path: the .onnx file (written to a temporary name, then renamed); an
            existing file there that is not an ONNX model is refused unless
            `overwrite`.
        opset: ONNX opset version (None: Keras' default).
        overwrite: replace whatever file is at `path`.

    Returns:
        The file's Path.

    Raises:
        ExportError: onnx/tf2onnx missing (install keras-stlstm[onnx]), an
            unwritable path, or a file at `path` that is not an earlier export.

    Example:

    >>> export_onnx(model, "predictor.onnx")  # doctest: +SKIP
    >>> verify_export(model, "predictor.onnx")  # doctest: +SKIP
    """
    import tensorflow as tf

    _require_onnx()
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
        spec = tf.TensorSpec((None,) + tuple(model.inputs[0].shape[1:]), tf.float32, name=INPUT_NAME)
        tmp = tmp_dir / path.name
        kwargs = {} if opset is None else {"opset_version": opset}
        exported, names = _with_onnx_output_names(model)
        exported.export(str(tmp), format="onnx", input_signature=[spec], verbose=False, **kwargs)
        proto = onnx.load(str(tmp))
        if {out.name for out in proto.graph.output} != set(names):
            _rename_outputs(proto, names)
        onnx.save(proto, str(tmp))
        tmp.replace(path)
        return path
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


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
