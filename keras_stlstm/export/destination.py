"""Where an export may be written: never over something the exporter did not make."""

from pathlib import Path

from keras_stlstm.export.errors import ExportError

# How an earlier export of each format is recognised.
_SAVED_MODEL_MARKERS = ("saved_model.pb", "assets.extra/signature.json")  # as export_saved_model writes
_TFLITE_MAGIC = b"TFL3"  # the flatbuffer's file identifier, bytes 4-8


def _is_earlier_export(path, kind):
    if kind == "saved_model":
        return path.is_dir() and all((path / marker).is_file() for marker in _SAVED_MODEL_MARKERS)
    if not path.is_file():
        return False
    if kind == "tflite":
        with open(path, "rb") as f:
            return f.read(8)[4:8] == _TFLITE_MAGIC
    try:
        import onnx

        return len(onnx.load(str(path), load_external_data=False).graph.node) > 0
    except Exception:  # noqa: BLE001 - any parse failure means "not an ONNX model"
        return False


def check_destination(path, kind, overwrite=False):
    """Raises ExportError unless `path` may be (re)written by an export of `kind`.

    Free to write: a path that does not exist, an empty folder or file, an
    earlier export of the same format (a SavedModel folder with this package's
    signature description, a .tflite flatbuffer, an ONNX model). Anything else
    (a folder of other files, another file) is refused unless `overwrite`.

    Args:
        path: the export's destination.
        kind: "saved_model", "tflite" or "onnx".
        overwrite: replace whatever is there.
    """
    path = Path(path)
    if overwrite or not (path.exists() or path.is_symlink()):
        return
    if path.is_dir() and not path.is_symlink():
        if not any(path.iterdir()) or _is_earlier_export(path, kind):
            return
        what = f"a folder of {sum(1 for _ in path.iterdir())} entries that is not an earlier {kind} export"
    elif path.is_file() and (path.stat().st_size == 0 or _is_earlier_export(path, kind)):
        return
    else:
        what = f"a file that is not an earlier {kind} export"
    raise ExportError(
        f"{path} exists and is {what}: exporting there would delete it. Choose another output path, "
        "or pass overwrite=True (--overwrite) to replace it."
    )
