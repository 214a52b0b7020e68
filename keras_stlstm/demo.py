"""`keras-stlstm demo`: the shipped pretrained models at work, offline, in about a minute.

    keras-stlstm demo [--out demo_output] [--num-sequences 4] [--num-clips 4]
                      [--video-preset NAME|FOLDER] [--gesture-preset NAME|FOLDER]
                      [--skip-export]

1. Video prediction: the registered `VideoPredictor` with the lowest "mse" in the
   registry (else the first) continues Moving MNIST test sequences made from the
   held-out MNIST digits shipped with the package (fixed test seed). It writes a
   PNG strip and a GIF (context | truth | prediction) per sequence and prints the
   per-frame MSE and SSIM averaged over the sequences.
2. Gesture recognition: a registered `GestureRecognizer` (--gesture-preset, else
   the first whose name contains "_a_", else the first) classifies synthetic
   test-split gesture clips; prints the top 3 classes beside the true one.
3. Streaming TFLite: the gesture model is exported as a single-step TFLite model,
   run frame by frame with the LiteRT interpreter (1 thread) on one clip, and
   compared with the Keras model on the whole clip; prints the per-step latency.

Presets come from the repository's weights/ folder (KERAS_STLSTM_WEIGHTS
overrides it) or the Hugging Face cache; nothing is downloaded. A preset that is
needed but not on disk is a one-line error saying how to get it.
"""

import statistics
import sys
import time
from pathlib import Path

import numpy as np

from keras_stlstm.argument_types import positive_int
from keras_stlstm.presets import PresetError

VIDEO_BUILDER = "VideoPredictor"
GESTURE_BUILDER = "GestureRecognizer"
DEFAULT_OUT = "demo_output"
# Synthetic gesture clips: seed 0 of the "test" split, as the gesture recipes evaluate.
GESTURE_TEST_SEED = 0
# Moving MNIST's standard canvas; 28-pixel digits are shrunk in this ratio when a
# model's frames are too small to hold them.
STANDARD_CANVAS = 64
TOP_K = 3
LATENCY_PASSES = 3  # streaming passes over the clip timed for the median latency


# --------------------------------------------------------------------- command line


def add_parser(subparsers):
    """Adds the `demo` subcommand to the CLI's subparsers."""
    p = subparsers.add_parser(
        "demo", help="offline tour: video prediction, gesture recognition, streaming TFLite"
    )
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default ./{DEFAULT_OUT})")
    p.add_argument("--num-sequences", type=positive_int, default=4, help="Moving MNIST sequences")
    p.add_argument("--num-clips", type=positive_int, default=4, help="synthetic gesture clips")
    p.add_argument("--video-preset", help="registered VideoPredictor name or preset folder")
    p.add_argument("--gesture-preset", help="registered GestureRecognizer name or preset folder")
    p.add_argument("--skip-export", action="store_true", help="skip the streaming TFLite step")
    p.set_defaults(func=run_demo)
    return p


# --------------------------------------------------------------------- choosing presets


def _in_hf_cache(info):
    """True when every file of a registered preset is in the Hugging Face cache (no request)."""
    import huggingface_hub

    return all(
        isinstance(huggingface_hub.try_to_load_from_cache(info.hub_repo, rel, revision=info.revision), str)
        for rel in info.files
    )


def is_available_offline(info):
    """True when `from_preset(info.name)` loads without any download."""
    from keras_stlstm.presets import weights_root

    return (weights_root() / info.name).is_dir() or (bool(info.files) and _in_hf_cache(info))


def _missing(info):
    from keras_stlstm.presets import weights_root

    return PresetError(
        f"The demo needs preset {info.name!r} ({info.builder}), which is not on this machine "
        f"(neither {weights_root() / info.name} nor the Hugging Face cache holds it): download it "
        f"once with `keras-stlstm info {info.name}` ({info.handle}) or copy its folder there."
    )


def _requested(handle, builder):
    """(handle, label) of a preset given on the command line, checked to be on disk."""
    from keras_stlstm.presets import get_preset_info
    from keras_stlstm.presets.registry import is_registered

    if is_registered(handle):
        info = get_preset_info(handle)
        if not is_available_offline(info):
            raise _missing(info)
        return handle, handle
    if Path(handle).expanduser().is_dir():
        return handle, Path(handle).expanduser().resolve().name
    if handle.startswith("hf://"):
        raise PresetError(
            f"The demo runs offline: give a registered {builder} name or a preset folder, "
            f"not {handle!r} (download it first with `keras-stlstm info {handle}`)."
        )
    get_preset_info(handle)  # Unknown name: raises with close-name suggestions.
    raise PresetError(f"Preset folder not found: {handle}")


def _video_rank(info):
    mse = info.metrics.get("mse")
    return (0, float(mse)) if isinstance(mse, (int, float)) else (1, 0.0)


def _gesture_rank(info):
    return 0 if "_a_" in info.name else 1


def choose_preset(builder, requested=None):
    """The preset the demo uses for `builder` ("VideoPredictor" or "GestureRecognizer").

    Registered presets are ranked (video: lowest registry "mse" first; gesture:
    names containing "_a_" first; then by name) and the best one on disk is used.

    Returns:
        (handle, label, note): a handle for `from_preset`, a short name, and a
        line about better-ranked presets that are not on disk (or None). None
        when no preset of `builder` is registered and none was requested.

    Raises:
        PresetError: the requested preset, or every registered one, is not on disk.
    """
    from keras_stlstm.presets import list_presets

    if requested:
        handle, label = _requested(requested, builder)
        return handle, label, None
    rank = _video_rank if builder == VIDEO_BUILDER else _gesture_rank
    ranked = sorted(list_presets(builder=builder, with_info=True), key=rank)
    if not ranked:
        return None
    for position, info in enumerate(ranked):
        if is_available_offline(info):
            skipped = [i.name for i in ranked[:position]]
            note = f"better-ranked but not on disk: {', '.join(skipped)}" if skipped else None
            return info.name, info.name, note
    raise _missing(ranked[0])


def _no_presets_error():
    from keras_stlstm.presets import list_presets

    registered = list_presets()
    found = f"registered presets: {', '.join(registered)}" if registered else "none is registered"
    return PresetError(
        f"No {VIDEO_BUILDER} or {GESTURE_BUILDER} preset is available ({found}); train one with "
        "`keras-stlstm train recipes/<recipe>.toml`, register it, or pass --video-preset/"
        "--gesture-preset FOLDER."
    )


# --------------------------------------------------------------------- 1. video prediction


def _count(n, noun):
    return f"{n} {noun}{'' if n == 1 else 's'}"


def moving_mnist_digits(image_size):
    """The shipped held-out test digits, shrunk only when 28 pixels do not fit `image_size`."""
    from keras_stlstm.datasets.mnist import DIGIT_SIZE, load_sample_digits
    from keras_stlstm.datasets.sampling import resize_frame

    digits = load_sample_digits("test")
    if image_size >= DIGIT_SIZE:
        return digits  # As the Moving MNIST recipes train and `evaluate` measures.
    side = max(1, round(DIGIT_SIZE * image_size / STANDARD_CANVAS))
    return np.stack([resize_frame(d, side) for d in digits])


def moving_mnist_clips(model, num_sequences):
    """Fixed-seed Moving MNIST test sequences of the predictor's length and frame size."""
    from keras_stlstm.datasets import moving_mnist_test_set

    height, width = model.image_size
    if model.channels != 1 or height != width:
        raise ValueError(
            f"The Moving MNIST demo needs a square 1-channel predictor; {model.name} takes "
            f"{height}x{width}x{model.channels} frames."
        )
    return moving_mnist_test_set(
        moving_mnist_digits(height), num_sequences=num_sequences,
        num_frames=model.context_frames + model.future_frames, image_size=height,
    )


def predict_future(model, clips):
    """The predictor's future frames for `clips` (batch, context + future, H, W, 1)."""
    outputs = np.asarray(model.predict_on_batch(clips))  # frames 2 .. T
    return outputs[:, model.context_frames - 1:]


def write_video_results(out, clips, prediction, context_frames):
    """A comparison PNG strip and GIF per sequence; returns the paths."""
    from keras_stlstm.datasets.strip_labels import COMPARISON_ROW_LABELS
    from keras_stlstm.datasets.video_io import write_comparison_gif, write_comparison_strip

    paths = []
    for i, (clip, predicted) in enumerate(zip(clips, prediction), 1):
        context, truth = clip[:context_frames], clip[context_frames:]
        png, gif = out / f"moving_mnist_{i}.png", out / f"moving_mnist_{i}.gif"
        write_comparison_strip(png, context, truth, predicted, labels=COMPARISON_ROW_LABELS)
        write_comparison_gif(gif, context, truth, predicted)
        paths += [png, gif]
    return paths


def video_report(label, model, curves, num_sequences, registry_mse=None):
    """Lines of the video step: per-future-frame MSE and SSIM, and their means."""
    context, future = model.context_frames, model.future_frames
    frames = "".join(f"{t:>8d}" for t in range(context + 1, context + future + 1))
    lines = [
        f"Video prediction with {label} ({VIDEO_BUILDER}, {model.backbone_name}): "
        f"{_count(num_sequences, 'Moving MNIST test sequence')}, {context} frames given, "
        f"{future} predicted",
        f"  frame            {frames}",
        "  MSE per frame    " + "".join(f"{v:8.2f}" for v in curves["mse"])
        + f"   mean {curves['mse_mean']:.4f}",
        "  SSIM per frame   " + "".join(f"{v:8.4f}" for v in curves["ssim"])
        + f"   mean {curves['ssim_mean']:.4f}",
        "  (MSE: squared error summed over a frame's pixels, values in [0, 1])",
    ]
    if registry_mse is not None:
        lines.append(f"  registry mse (its model card says on which test set): {registry_mse}")
    return lines


# --------------------------------------------------------------------- 2. gesture recognition


def gesture_classes(model):
    """(class names, Jester ids for synthetic_gestures) of a gesture classifier."""
    from keras_stlstm.datasets.jester_labels import JESTER_CLASSES

    num_classes = model.outputs[0].shape[-1]
    names = list(getattr(model, "class_names", None) or [])
    if not names and num_classes == len(JESTER_CLASSES):
        names = list(JESTER_CLASSES)
    if len(names) != num_classes or not set(names) <= set(JESTER_CLASSES):
        raise ValueError(
            f"The gesture demo renders synthetic Jester gestures; {model.name} has {num_classes} "
            "classes that are not Jester's (expected num_classes=27 or Jester class_names)."
        )
    return names, [JESTER_CLASSES.index(n) for n in names]


def gesture_clips(model, num_clips):
    """(clips float32 (N, T, H, W, 3), labels) from the synthetic gestures' test split."""
    from keras_stlstm.datasets import synthetic_gestures

    frames, height, width, channels = tuple(model.inputs[0].shape[1:])
    if height != width or channels != 3:
        raise ValueError(
            f"The gesture demo renders square RGB clips; {model.name} takes "
            f"{height}x{width}x{channels} frames."
        )
    _, classes = gesture_classes(model)
    return synthetic_gestures(
        num_clips, GESTURE_TEST_SEED, "test", classes=classes,
        num_frames=frames or 16, image_size=height, dtype="float32",
    )


def top_classes(probs, k):
    """Indices of the `k` largest probabilities; ties go to the lower index, as argmax."""
    return np.argsort(-np.asarray(probs), kind="stable")[:k]


def gesture_report(label, model, probs, labels):
    """Lines of the gesture step: the top-3 classes of every clip beside the true one."""
    names, _ = gesture_classes(model)
    frames, height, width, _ = tuple(model.inputs[0].shape[1:])
    lines = [
        f"Gesture recognition with {label} ({type(model).__name__}): "
        f"{_count(len(labels), 'synthetic test clip')} of {frames} frames at {height}x{width}"
    ]
    for i, (p, label_id) in enumerate(zip(probs, labels), 1):
        lines.append(f"  clip {i}, true: {names[label_id]}")
        for rank, index in enumerate(top_classes(p, TOP_K), 1):
            lines.append(f"    {rank}. {names[index]}  {p[index]:.3f}")
    return lines


# --------------------------------------------------------------------- 3. streaming TFLite


def export_skip_reason(model):
    """Why the streaming export cannot run for `model`, or None when it can."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return f"needs KERAS_BACKEND=tensorflow (current backend: {keras.backend.backend()})"
    if not hasattr(model, "streaming_model"):
        return f"{type(model).__name__} has no streaming_model()"
    try:
        model.streaming_model()
    except ValueError as e:  # e.g. a non-causal gesture model
        return str(e).split(". ")[0]
    return None


class _TimedRunner:
    """Wraps an exported-model runner; records the wall time of every call."""

    def __init__(self, runner):
        self._runner = runner
        self.times = []

    def __getattr__(self, name):
        return getattr(self._runner, name)

    def run(self, inputs):
        start = time.perf_counter()
        result = self._runner.run(inputs)
        self.times.append(time.perf_counter() - start)
        return result


def stream_tflite(path, model, clip):
    """Runs one clip step by step through a streaming .tflite file (1 thread).

    Returns:
        (final probabilities (num_classes,), per-step latencies in seconds,
        the interpreter's module name).
    """
    # The export package's runner (LiteRT, else tf.lite) and step loop, timed.
    from keras_stlstm.export.verify import _stream, _TFLiteRunner

    runner = _TimedRunner(_TFLiteRunner(path))
    outputs = None
    for _ in range(LATENCY_PASSES):
        outputs = _stream(runner, clip[None], model.streaming_frames_per_step)
    return np.asarray(outputs[-1])[0], runner.times, type(runner.interpreter).__module__


def streaming_report(path, model, names, keras_probs, tflite_probs, times, interpreter):
    """Lines of the streaming step: agreement with Keras and per-step latency."""
    per_step = model.streaming_frames_per_step
    steps = len(times) // LATENCY_PASSES
    diff = float(np.max(np.abs(tflite_probs - keras_probs)))
    top_tflite, top_keras = int(np.argmax(tflite_probs)), int(np.argmax(keras_probs))
    agrees = "agrees" if top_tflite == top_keras else "DIFFERS"
    size_kb = Path(path).stat().st_size / 1024
    return [
        f"Streaming TFLite: {Path(path).name} ({size_kb:.0f} KB), clip 1 fed {per_step} frame(s) "
        f"per step, {steps} steps, through {interpreter}",
        f"  max |TFLite streaming - Keras whole clip| probability difference: {diff:.3g}",
        f"  top-1 {agrees}: TFLite {names[top_tflite]}, Keras {names[top_keras]}",
        f"  latency per step: median {1000 * statistics.median(times):.2f} ms (1 thread, "
        f"{len(times)} steps timed)",
    ]


# --------------------------------------------------------------------- driver


class _Progress:
    """A tqdm bar over the demo's stages, on a terminal only; result lines are written above it
    (and alone when the output goes to a file, which a bar would fill with carriage returns)."""

    def __init__(self, total):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc="demo", bar_format="{desc} [{n}/{total}, {elapsed}]",
                        disable=not sys.stderr.isatty())

    def stage(self, description):
        self.bar.set_description(description)

    def done(self, lines=()):
        self.bar.update(1)
        for line in lines:
            self.bar.write(line)

    def close(self):
        self.bar.set_description("demo: done")
        self.bar.close()


def _load(handle):
    from keras_stlstm.presets import from_preset

    return from_preset(handle)


def _run_video(choice, args, out, progress, files):
    handle, label, note = choice
    progress.stage(f"video: loading {label}")
    model = _load(handle)
    if not hasattr(model, "predict_frames"):
        raise ValueError(f"{label} is a {type(model).__name__}, not a {VIDEO_BUILDER}.")
    progress.done([f"({note})"] if note else [])
    progress.stage("video: predicting")
    clips = moving_mnist_clips(model, args.num_sequences)
    prediction = predict_future(model, clips)
    from keras_stlstm.metrics import per_frame_curves

    curves = per_frame_curves(clips[:, model.context_frames:], prediction)
    progress.done()
    progress.stage("video: writing strips and GIFs")
    files += write_video_results(out, clips, prediction, model.context_frames)
    progress.done(video_report(label, model, curves, len(clips), _registry_mse(handle)) + [""])


def _registry_mse(handle):
    from keras_stlstm.presets import get_preset_info
    from keras_stlstm.presets.registry import is_registered

    return get_preset_info(handle).metrics.get("mse") if is_registered(handle) else None


def _run_gesture(choice, args, out, progress, files):
    handle, label, note = choice
    progress.stage(f"gesture: loading {label}")
    model = _load(handle)
    if hasattr(model, "predict_frames") or len(model.outputs[0].shape) != 2:
        raise ValueError(f"{label} is a {type(model).__name__}, not a clip classifier.")
    progress.done([f"({note})"] if note else [])
    progress.stage("gesture: classifying")
    clips, labels = gesture_clips(model, args.num_clips)
    probs = np.asarray(model.predict_on_batch(clips))
    progress.done(gesture_report(label, model, probs, labels) + [""])
    if not args.skip_export:
        _run_export(model, label, clips[0], probs[0], out, progress, files)


def _run_export(model, label, clip, keras_probs, out, progress, files):
    """Streaming TFLite export of the gesture model, run step by step on one clip."""
    reason = export_skip_reason(model)
    if reason:
        progress.done([f"Streaming TFLite skipped: {reason}.", ""])
        progress.done()
        return
    from keras_stlstm.export import export_tflite

    progress.stage("export: converting to streaming TFLite")
    path = export_tflite(model, out / f"{label}_streaming.tflite", streaming=True)
    files.append(path)
    progress.done()
    progress.stage("export: streaming the TFLite file")
    tflite_probs, times, interpreter = stream_tflite(path, model, clip)
    names, _ = gesture_classes(model)
    progress.done(streaming_report(path, model, names, keras_probs, tflite_probs, times, interpreter) + [""])


def run_demo(args):
    """The `demo` subcommand; returns the exit status (errors raise PresetError/ValueError)."""
    video = choose_preset(VIDEO_BUILDER, args.video_preset)
    gesture = choose_preset(GESTURE_BUILDER, args.gesture_preset)
    if video is None and gesture is None:
        raise _no_presets_error()
    out = Path(args.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    stages = (3 if video else 0) + (0 if not gesture else 2 if args.skip_export else 4)
    progress, files = _Progress(stages), []
    try:
        if video is None:
            progress.bar.write(f"(no {VIDEO_BUILDER} preset registered: video prediction skipped)")
        else:
            _run_video(video, args, out, progress, files)
        if gesture is None:
            progress.bar.write(f"(no {GESTURE_BUILDER} preset registered: gesture recognition skipped)")
        else:
            _run_gesture(gesture, args, out, progress, files)
    finally:
        progress.close()
    print(f"Wrote {len(files)} files to {out.resolve()}:")
    for path in files:
        print(f"  {Path(path).name}")
    return 0
