"""The `keras-stlstm` command line (also `python -m keras_stlstm`).

    keras-stlstm demo [--out demo_output] [--skip-export]
    keras-stlstm list
    keras-stlstm info NAME
    keras-stlstm predict NAME --input clip.npy|mnist_test_seq.npy|video [--index I] --horizon 10 --out rollout.gif|png
    keras-stlstm classify NAME --input video|frame_folder [--top-k 5] | --camera 0
    keras-stlstm train RECIPE.toml [RECIPE.toml ...] [--skip-finished] [--processes N]
    keras-stlstm evaluate NAME --data SOURCE   (mnist_test_seq.npy, PredRNN .npz, MNIST IDX digits, class folders)
    keras-stlstm zoo-evaluate [--presets NAME ...] [--data PATH|keras|sample] [--write-cards]
    keras-stlstm zoo-evaluate-gestures [--presets NAME ...] [--num-clips N] [--write-cards]
    keras-stlstm zoo-publish RUN_DIR NAME --description TEXT [--recipe RECIPE.toml]
    keras-stlstm export NAME --format saved_model|tflite|onnx [--streaming] [--quantize Q] --out PATH
    keras-stlstm upload FOLDER hf://org/name
    keras-stlstm --version

NAME is any preset handle: a registered name, hf://org/name[@revision], a
preset folder or a .keras file. Errors print one line on stderr and exit with status 1 (2 for
usage errors); --debug shows the traceback.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from keras_stlstm.argument_types import positive_int


def _load(args):
    """The preset `args.name`, its files checked unless --no-verify-hashes."""
    from keras_stlstm.presets import from_preset

    return from_preset(args.name, verify_hashes=not args.no_verify_hashes)


def _clip_geometry(model):
    """(frames or None, height, width, channels) of the model's clip input."""
    _, frames, height, width, channels = tuple(model.inputs[0].shape)
    return frames, height, width, channels


# --------------------------------------------------------------------- list / info


def cmd_list(args):
    from keras_stlstm.presets import list_presets

    infos = list_presets(with_info=True)
    if not infos:
        print("No presets registered yet (see keras_stlstm/presets/registry.json).")
        return 0
    width = max(len(i.name) for i in infos)
    for info in infos:
        print(f"{info.name:<{width}}  {info.builder:<24} {info.description}")
    return 0


def cmd_info(args):
    from keras_stlstm.presets import resolve_preset
    from keras_stlstm.presets.describe import describe_keras_file
    from keras_stlstm.presets.loading import is_keras_file

    if is_keras_file(args.name):
        print(describe_keras_file(args.name))
        return 0
    resolved = resolve_preset(args.name)
    info = resolved.info
    print(f"preset: {info.name if info else args.name}")
    if info:
        print(f"model class: {info.builder}\nhub: {info.handle}\nlicense: {info.license}")
        if info.source:
            print(f"source: {info.source}")
    print(f"folder: {resolved.folder} ({resolved.origin})")
    print("files:")
    for path in sorted(p for p in resolved.folder.rglob("*") if p.is_file()):
        print(f"  {path.relative_to(resolved.folder).as_posix():<20} {_size(path.stat().st_size):>10}")
    metrics = dict(info.metrics) if info else {}
    if metrics:
        print("metrics:")
        for key, value in metrics.items():
            print(f"  {key}: {value}")
    card = resolved.folder / "README.md"
    if card.is_file():
        print("\n" + card.read_text(encoding="utf-8").strip())
    return 0


def _size(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


# --------------------------------------------------------------------- predict


def _is_moving_mnist_file(path, channels):
    """True for a standard Moving MNIST file: any .npz, or a .npy of shape (T, N, H, W)."""
    path = Path(path)
    if path.suffix.lower() == ".npz":
        return True
    if path.suffix.lower() != ".npy" or not path.is_file():
        return False
    try:
        shape = np.load(path, mmap_mode="r", allow_pickle=False).shape
    except (ValueError, OSError, EOFError):
        return False  # not an array at all: `_read_clip` reports it
    return len(shape) == 4 and shape[-1] != channels


def _read_clip(path, height, width, channels, index=None):
    """A float32 (T, H, W, C) clip in [0, 1] from a .npy clip, a standard Moving MNIST
    file (sequence `index`, default 0), a video or a frame folder.

    A .npy clip holds float frames in [0, 1] or uint8 0-255 (rescaled); NaN,
    inf, other dtypes and other values are refused (`check_frames`).
    """
    from keras_stlstm.datasets import load_moving_mnist_file
    from keras_stlstm.utils.inputs import check_frames

    path = Path(path)
    if _is_moving_mnist_file(path, channels):
        try:
            clip = load_moving_mnist_file(path, [index or 0])[0]
        except IndexError:
            raise ValueError(f"--index {index} is past the last sequence of {path}.") from None
        if tuple(clip.shape[1:]) != (height, width, channels):
            raise ValueError(f"{path}: frames of {clip.shape[1:]}; the model takes ({height}, {width}, {channels}).")
        return clip
    if index is not None:
        raise ValueError(
            f"--index applies to a Moving MNIST file (.npy (T, N, H, W) or PredRNN .npz); {path} is a single clip."
        )
    if path.suffix == ".npy":
        try:
            clip = np.load(path)  # allow_pickle=False: never runs code
        except (ValueError, OSError, EOFError) as e:
            raise ValueError(f"{path}: not a readable .npy array ({e}).") from None
        if clip.ndim == 5 and clip.shape[0] == 1:
            clip = clip[0]
        if clip.ndim == 3:
            clip = clip[..., None]
        if clip.ndim != 4 or tuple(clip.shape[1:]) != (height, width, channels):
            raise ValueError(
                f"{path}: expected frames of shape (T, {height}, {width}, {channels}); got {clip.shape}."
            )
        return check_frames(clip, path.name)
    from keras_stlstm.datasets.video_io import read_frames

    return check_frames(read_frames(path, size=(height, width), grayscale=channels == 1), path.name)


def cmd_predict(args):
    model = _load(args)
    if not hasattr(model, "predict_frames"):
        raise ValueError(f"{args.name} is a {type(model).__name__}, not a video predictor: use classify.")
    _, height, width, channels = _clip_geometry(model)
    clip = _read_clip(args.input, height, width, channels, args.index)
    context_len = min(len(clip), model.context_frames)
    context, truth = clip[:context_len], clip[context_len:context_len + args.horizon]
    prediction = model.predict_frames(context[None], horizon=args.horizon)[0]
    _write_rollout(Path(args.out), context, truth, prediction)
    print(f"wrote {args.out}: {context_len} context frames, {args.horizon} predicted"
          + (f", {len(truth)} true future frames shown" if len(truth) else ""))
    return 0


def _write_rollout(out, context, truth, prediction):
    from keras_stlstm.datasets import video_io
    from keras_stlstm.datasets.strip_labels import COMPARISON_ROW_LABELS

    if out.suffix.lower() not in (".gif", ".png"):
        raise ValueError(f"--out must end in .gif or .png; received {out}.")
    if len(truth) == len(prediction):  # true future known: compare side by side
        if out.suffix.lower() == ".gif":
            video_io.write_comparison_gif(out, context, truth, prediction)
        else:
            video_io.write_comparison_strip(out, context, truth, prediction, labels=COMPARISON_ROW_LABELS)
        return
    frames = np.concatenate([context, prediction])
    if out.suffix.lower() == ".gif":
        video_io.write_gif(out, frames, fps=4.0)
        return
    import cv2

    strip = np.concatenate(list(video_io.to_uint8_frames(frames)), axis=1)
    strip = cv2.cvtColor(strip, cv2.COLOR_GRAY2BGR if strip.shape[-1] == 1 else cv2.COLOR_RGB2BGR)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.tmp{out.suffix}")
    if not cv2.imwrite(str(tmp), strip):
        raise OSError(f"Cannot write {out}.")
    tmp.replace(out)


# --------------------------------------------------------------------- classify


def _class_names(model):
    names = getattr(model, "class_names", None)
    return list(names) if names else [f"class {i}" for i in range(model.outputs[0].shape[-1])]


def _print_top_k(probs, names, k, prefix=""):
    order = np.argsort(probs)[::-1][:k]
    for rank, index in enumerate(order, 1):
        print(f"{prefix}{rank}. {names[index]}  {probs[index]:.3f}")


def cmd_classify(args):
    from keras_stlstm.utils.inputs import check_frames

    model = _load(args)
    if hasattr(model, "predict_frames") or len(model.outputs[0].shape) != 2:
        raise ValueError(f"{args.name} is a {type(model).__name__}, not a classifier: use predict.")
    if args.camera is not None:
        return _classify_camera(model, args)
    if args.input is None:
        raise ValueError("classify needs --input VIDEO|FRAME_FOLDER or --camera INDEX.")
    from keras_stlstm.datasets.sampling import sample_indices
    from keras_stlstm.datasets.video_io import read_frames

    frames, height, width, channels = _clip_geometry(model)
    frames = frames or 16
    clip = read_frames(args.input, select=lambda n: sample_indices(n, frames),
                       size=(height, width), grayscale=channels == 1)
    clip = check_frames(clip, Path(args.input).name)  # uint8 pixels -> [0, 1]
    probs = np.asarray(model.predict(clip[None], verbose=0))[0]
    _print_top_k(probs, _class_names(model), args.top_k)
    return 0


def _classify_camera(model, args):
    """Online recognition: camera frames through the streaming model, one step at a time."""
    from keras_stlstm.datasets.video_io import iter_camera

    if not hasattr(model, "streaming_model"):
        raise ValueError(f"{type(model).__name__} has no streaming model for --camera.")
    _, height, width, channels = _clip_geometry(model)
    step, states = model.streaming_model(), model.streaming_initial_state(1)
    per_step, names, buffer = model.streaming_frames_per_step, _class_names(model), []
    camera = iter_camera(args.camera, size=(height, width), grayscale=channels == 1,
                         max_frames=args.max_frames)
    for count, frame in enumerate(camera, 1):
        buffer.append(frame.astype(np.float32) / 255.0)
        if len(buffer) < per_step:
            continue
        results = step.predict_on_batch([np.stack(buffer)[None], *states])
        buffer, states = [], [np.asarray(s) for s in results[1:]]
        probs = np.asarray(results[0])[0]
        print(f"frame {count}: {names[int(probs.argmax())]} ({probs.max():.2f})", flush=True)
    return 0


# --------------------------------------------------------------------- train / evaluate


def add_train_arguments(parser):
    """The arguments of `train` (also those of `python -m keras_stlstm.training.train`)."""
    parser.add_argument("recipes", nargs="+", metavar="RECIPE",
                        help="TOML recipe; several = the stages of a warm-start chain, trained in order")
    parser.add_argument("--overwrite", action="store_true", help="replace a finished run in output_dir")
    parser.add_argument("--skip-finished", action="store_true",
                        help="skip a recipe whose output_dir holds a finished run (to resume a chain)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=None,
                        help="Keras fit verbosity (0, 1 or 2; default: the recipe's, else a progress bar "
                             "on a terminal and one line per epoch when the output is redirected)")
    parser.add_argument("--processes", type=positive_int, default=1, metavar="N",
                        help="run a job of N local processes on 127.0.0.1 (JAX or TensorFlow; recipe distribution = "
                             "\"data_parallel\"); see docs/distributed.md")


def cmd_train(args):
    from keras_stlstm.training.train import train_from_arguments

    return train_from_arguments(args)


def cmd_evaluate(args):
    model = _load(args)
    if hasattr(model, "predict_frames"):
        return _evaluate_predictor(model, args)
    return _evaluate_classifier(model, args)


def _evaluate_predictor(model, args):
    """Moving MNIST -> per-frame MSE/MAE/SSIM/PSNR and the per-future-frame curve.

    `--data`: a standard file (Srivastava's .npy or the PredRNN/E3D .npz), MNIST
    IDX digits (a test set generated from the held-out ones) or "sample".
    """
    from keras_stlstm.zoo import evaluate_video_predictor

    _, height, width, channels = _clip_geometry(model)
    clips, source = _moving_mnist_sequences(args, model)
    if tuple(clips.shape[2:]) != (height, width, channels):
        raise ValueError(f"{args.data}: frames of {tuple(clips.shape[2:])}; the model takes ({height}, {width}, {channels}).")
    context = model.context_frames
    if clips.shape[1] <= context:
        raise ValueError(f"{args.data}: {clips.shape[1]} frames per sequence; the model needs more than {context}.")
    curves = evaluate_video_predictor(model, clips, batch_size=args.batch_size, progress=sys.stderr.isatty())
    print(f"Moving MNIST {context} -> {clips.shape[1] - context}, {len(clips)} sequences ({source}); "
          f"MSE and MAE per frame (sum over the {height}x{width} pixels), averaged:")
    for name in ("mse", "mae", "ssim", "psnr"):
        print(f"{name.upper()} {curves[name + '_mean']:.4f}")
    print("per future frame: frame MSE MAE SSIM PSNR")
    for t in range(len(curves["mse"])):
        values = " ".join(f"{curves[name][t]:.4f}" for name in ("mse", "mae", "ssim", "psnr"))
        print(f"  {context + t + 1} {values}")
    return 0


def _moving_mnist_sequences(args, model):
    """(sequences, description) of --data: a standard file, or generated from MNIST digits."""
    from keras_stlstm.datasets import load_moving_mnist_npz, moving_mnist_test_set, open_moving_mnist_npy
    from keras_stlstm.datasets.mnist import load_digits, load_sample_digits, split_digits

    _, height, width, channels = _clip_geometry(model)
    suffix = Path(args.data).suffix.lower()
    count = slice(None, args.num_sequences)
    if suffix == ".npy":  # read batch by batch from the memory-mapped file
        return open_moving_mnist_npy(args.data)[count], f"{args.data}, Srivastava layout"
    if suffix == ".npz":
        return load_moving_mnist_npz(args.data, count), f"{args.data}, PredRNN/E3D layout"
    if channels != 1 or height != width:
        raise ValueError(f"Moving MNIST evaluation needs a square 1-channel predictor; this one takes {height}x{width}x{channels}.")
    if args.data == "sample":
        digits = load_sample_digits("test")  # 64 held-out digits shipped with the package
    else:
        digits = split_digits(load_digits(args.data), "test")
    clips = moving_mnist_test_set(digits, num_sequences=args.num_sequences or 200,
                                  num_frames=model.context_frames + model.future_frames, image_size=height)
    return clips, f"generated from the {args.data} digits"


def _evaluate_classifier(model, args):
    """A folder-per-class clip tree -> top-1 and top-5 accuracy."""
    from tqdm import tqdm

    from keras_stlstm.datasets.readers.folder import VideoFolderReader

    frames, height, width, channels = _clip_geometry(model)
    reader = VideoFolderReader(args.data, num_frames=frames or 16, size=(height, width),
                               channels=channels)
    # Top-5 of 3 classes is always right: report top-k only for k below the class count.
    k = min(5, model.outputs[0].shape[-1] - 1)
    correct1 = correct_k = 0
    for index in tqdm(range(len(reader.items)), desc="evaluating", unit="clip", disable=not sys.stderr.isatty()):
        clip, label = reader.load(index)
        probs = np.asarray(model.predict_on_batch(np.asarray(clip, np.float32)[None]))[0]
        top = np.argsort(probs)[::-1]
        correct1 += int(top[0] == label)
        correct_k += int(label in top[:k])
    n = len(reader.items)
    print(f"{n} clips in {args.data}: top-1 {correct1 / n:.4f}" + (f", top-{k} {correct_k / n:.4f}" if k > 1 else ""))
    return 0


# --------------------------------------------------------------------- export / upload


def cmd_export(args):
    from tqdm import tqdm

    from keras_stlstm import export

    if args.format == "onnx" and (args.streaming or args.quantize):
        raise ValueError("ONNX export has the whole-clip float32 form only; drop --streaming/--quantize.")
    if args.format == "saved_model" and args.quantize:
        raise ValueError("--quantize applies to --format tflite only.")
    from keras_stlstm.export.destination import check_destination

    check_destination(args.out, args.format, args.overwrite)  # before the slow part
    model = _load(args)
    with tqdm(total=2, desc=f"{args.format}: converting", bar_format="{desc} [{n}/{total}, {elapsed}]",
              disable=not sys.stderr.isatty()) as bar:
        if args.format == "saved_model":
            path = export.export_saved_model(model, args.out, streaming=args.streaming, num_frames=args.num_frames,
                                             overwrite=args.overwrite)
        elif args.format == "tflite":
            path = export.export_tflite(model, args.out, streaming=args.streaming, quantize=args.quantize,
                                        num_frames=args.num_frames, representative_data=_calibration(model, args),
                                        overwrite=args.overwrite)
        else:
            path = export.export_onnx(model, args.out, overwrite=args.overwrite)
        bar.update(1)
        bar.set_description(f"{args.format}: verifying")
        error = export.verify_export(model, path, num_frames=args.num_frames, verbose=False)
        bar.update(1)
    print(f"wrote {path}; max |exported - Keras| on random clips: {error:.3g}")
    return 0


def _calibration(model, args):
    """Random calibration samples for --quantize int8 (real clips calibrate better)."""
    if args.quantize != "int8":
        return None
    rng = np.random.default_rng(0)
    if args.streaming:
        step = model.streaming_model()
        return [[rng.random((1,) + tuple(t.shape[1:]), dtype=np.float32) for t in step.inputs]
                for _ in range(8)]
    frames, height, width, channels = _clip_geometry(model)
    shape = (1, frames or args.num_frames, height, width, channels)
    return [rng.random(shape, dtype=np.float32) for _ in range(8)]


def cmd_upload(args):
    from keras_stlstm.presets import upload_preset

    commit = upload_preset(args.handle, args.folder)
    print(f"uploaded {args.folder} to {args.handle} (commit {getattr(commit, 'oid', commit)})")
    return 0


# --------------------------------------------------------------------- parser


# Commands whose modules import Keras (and TensorFlow) on import: (module, one-line help). Their
# parsers are built only when one of them runs, so `keras-stlstm --help` stays instant; the help
# here must match the module's own (tests/cli/test_cli_speed_and_flags.py checks it).
MODULE_COMMANDS = {
    "zoo-evaluate": ("keras_stlstm.zoo.command",
                     "score the video presets and baselines; write model cards"),
    "zoo-evaluate-gestures": ("keras_stlstm.zoo.gesture_command",
                              "score the gesture and early-recognition presets; write their model cards"),
    "zoo-publish": ("keras_stlstm.zoo.publish", "register a finished training run as a preset (weights/NAME)"),
}


def _add_module_commands(sub, argv):
    """The real parser of the command `argv` runs (all of them when `argv` is None); a stub with
    its help line for the others."""
    import importlib

    chosen = None if argv is None else next((a for a in argv if not a.startswith("-")), "")
    for name, (module, help_line) in MODULE_COMMANDS.items():
        if chosen is None or chosen == name:
            importlib.import_module(module).add_parser(sub)
        else:
            sub.add_parser(name, help=help_line)


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default in --help, unless it is None/False or the help already says it."""

    def _get_help_string(self, action):
        if action.default in (None, False, argparse.SUPPRESS) or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """Every (sub)parser shows the defaults in its help."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _DefaultsFormatter)
        super().__init__(*args, **kwargs)


def build_parser(argv=None):
    """The argument parser; with `argv`, only the chosen command's parser imports its module."""
    from keras_stlstm import __version__

    parser = _Parser(prog="keras-stlstm", description="Spatiotemporal LSTM model zoo.")
    parser.add_argument("--version", action="version", version=f"keras-stlstm {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--no-verify-hashes", action="store_true",
                        help="load preset folders edited on purpose without checking the sha256 in metadata.json")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("list", help="list the registered presets").set_defaults(func=cmd_list)

    from keras_stlstm import demo

    demo.add_parser(sub)

    p = sub.add_parser("info", help="model card, files and metrics of a preset")
    p.add_argument("name", help="preset name, hf://org/name or folder")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("predict", help="roll out future frames with a video predictor")
    p.add_argument("name")
    p.add_argument("--input", required=True,
                   help=".npy (T, H, W[, C]) clip, Moving MNIST file (.npy (T, N, H, W) or PredRNN .npz), "
                        "video file or frame folder")
    p.add_argument("--index", type=int, default=None,
                   help="the sequence to continue in a Moving MNIST file (default 0)")
    p.add_argument("--horizon", type=positive_int, default=10, help="frames to predict")
    p.add_argument("--out", required=True, help="output .gif (animation) or .png (strip)")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("classify", help="classify a clip (or a live camera) with a classifier")
    p.add_argument("name")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--input", help="video file or folder of frame images")
    source.add_argument("--camera", type=int, help="camera index for online recognition")
    p.add_argument("--top-k", type=positive_int, default=5, help="classes to print, most probable first")
    p.add_argument("--max-frames", type=positive_int, default=None, help="stop the camera after N frames")
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("train", help="train from a TOML recipe (several: the stages of a chain, in order)")
    add_train_arguments(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="evaluate a preset: Moving MNIST (predictors) or a clip folder (classifiers)")
    p.add_argument("name")
    p.add_argument("--data", default="sample",
                   help="predictors: a Moving MNIST file (Srivastava's mnist_test_seq.npy or the "
                        "PredRNN/E3D .npz), MNIST IDX folder/file or 'sample' (shipped digits; a test set "
                        "is generated from the held-out ones); classifiers: folder of class folders")
    p.add_argument("--num-sequences", type=positive_int, default=None,
                   help="predictors: sequences scored (default: all of a file, 200 generated)")
    p.add_argument("--batch-size", type=positive_int, default=8, help="clips per predict call (predictors)")
    p.set_defaults(func=cmd_evaluate)

    _add_module_commands(sub, argv)

    p = sub.add_parser("export", help="export to SavedModel, TFLite or ONNX and verify it")
    p.add_argument("name")
    p.add_argument("--format", required=True, choices=("saved_model", "tflite", "onnx"))
    p.add_argument("--streaming", action="store_true", help="single-step model with explicit states")
    p.add_argument("--quantize", choices=("float16", "dynamic_int8", "int8"), default=None)
    p.add_argument("--num-frames", type=positive_int, default=None, help="clip length when the model has none")
    p.add_argument("--out", required=True)
    p.add_argument("--overwrite", action="store_true",
                   help="replace what is at --out even when it is not an earlier export")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("upload", help="upload a preset folder to the Hugging Face Hub")
    p.add_argument("folder")
    p.add_argument("handle", help="hf://org/name")
    p.set_defaults(func=cmd_upload)
    return parser


def _export_errors():
    """(ExportError,) once keras_stlstm.export is imported (only then can one be raised); importing
    it up front would import TensorFlow for every command, --help included."""
    module = sys.modules.get("keras_stlstm.export.errors")
    return (module.ExportError,) if module else ()


def main(argv=None):
    """Runs the command line; returns the exit status."""
    from keras_stlstm.presets.errors import PresetError

    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    try:
        return args.func(args)
    except (PresetError, ValueError, FileNotFoundError, OSError) + _export_errors() as e:
        if args.debug:
            raise
        print(f"keras-stlstm {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
