"""Load a preset with `keras_stlstm.from_preset` and run it on sample data.

A video predictor (VideoPredictor) continues Moving MNIST sequences made from the
held-out MNIST digits shipped with the package; the script writes an animated GIF
(truth | prediction side by side) and a PNG strip (context / true future / predicted
future) of the first one and prints the per-frame error. A classifier
(GestureRecognizer, EarlyActivityRecognizer) classifies rendered synthetic gesture
clips and prints its top classes; the first clip is written as a GIF.

The handle is anything `from_preset` takes: a registered name (see
`keras_stlstm.list_presets()`), 'hf://org/name[@revision]', or a preset folder
written by `keras_stlstm.presets.save_preset`.

    python examples/load_and_predict.py --preset NAME_OR_FOLDER
    python examples/load_and_predict.py --fast     # builds a tiny predictor, saves it as a
                                                   # preset folder, loads that folder (CI)
"""

import argparse
import os
import tempfile

import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default=None, help="registered name, hf://org/name[@revision] or preset folder")
    parser.add_argument("--num-clips", type=int, default=4, help="sequences or clips to run")
    parser.add_argument("--horizon", type=int, default=None,
                        help="frames to predict (default: the predictor's future_frames)")
    parser.add_argument("--top-k", type=int, default=3, help="classes printed per clip (classifiers)")
    parser.add_argument("--out-dir", default=os.path.join("outputs", "load_and_predict"),
                        help="GIF and PNG go here (default: ./outputs/load_and_predict)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fast", action="store_true",
                        help="no preset needed: build, save and reload a tiny untrained predictor (for CI)")
    args = parser.parse_args(argv)
    if args.preset is None and not args.fast:
        parser.error("--preset is required (or pass --fast)")
    if args.fast:
        args.num_clips = 2
    return args


def save_tiny_preset(folder):
    """Builds a tiny untrained VideoPredictor and saves it as a preset folder; returns (model, path)."""
    import keras

    from keras_stlstm.models import VideoPredictor
    from keras_stlstm.presets import save_preset

    keras.utils.set_random_seed(0)
    model = VideoPredictor("convlstm", context_frames=3, future_frames=3, image_size=32, patch_size=4,
                           filters=[8], kernel_size=3, name="tiny_predictor")
    path = save_preset(model, os.path.join(folder, "tiny_predictor"))
    print(f"saved an untrained tiny VideoPredictor as a preset folder: {path} ({sorted(os.listdir(path))})")
    return model, path


def predict_moving_mnist(model, args):
    """Rolls the predictor out on held-out Moving MNIST sequences; writes a GIF and a PNG."""
    from keras_stlstm.datasets import generate_moving_mnist, load_sample_digits
    from keras_stlstm.datasets.video_io import write_comparison_gif, write_comparison_strip

    height, width = model.image_size
    if height != width or model.channels != 1 or height < 28:
        raise SystemExit(f"Moving MNIST needs square 1-channel frames of at least 28x28; this predictor takes "
                         f"{height}x{width}x{model.channels}.")
    horizon = args.horizon or model.future_frames
    clips = generate_moving_mnist(load_sample_digits("test"), args.num_clips, args.seed,
                                  num_frames=model.context_frames + horizon, image_size=height)
    context, truth = clips[:, : model.context_frames], clips[:, model.context_frames :]
    prediction = model.predict_frames(context, horizon=horizon)
    per_frame = np.mean((prediction - truth) ** 2, axis=(0, 2, 3, 4))
    print(f"{args.num_clips} Moving MNIST sequences, {model.context_frames} context frames -> {horizon} predicted; "
          f"per-frame MSE: {' '.join(f'{v:.4f}' for v in per_frame)}")
    os.makedirs(args.out_dir, exist_ok=True)
    gif = os.path.join(args.out_dir, "moving_mnist_rollout.gif")
    png = os.path.join(args.out_dir, "moving_mnist_rollout.png")
    write_comparison_gif(gif, context[0], truth[0], prediction[0])
    write_comparison_strip(png, context[0], truth[0], prediction[0])
    return [gif, png]


def class_names(model, num_classes):
    """The model's class names, Jester's for a 27-class model, else "class i"."""
    from keras_stlstm.datasets import JESTER_CLASSES

    names = getattr(model, "class_names", None)
    if names:
        return list(names)
    return list(JESTER_CLASSES) if num_classes == len(JESTER_CLASSES) else [f"class {i}" for i in range(num_classes)]


def classify_gestures(model, args):
    """Classifies rendered synthetic gesture clips at the model's size; writes the first as a GIF."""
    from keras_stlstm.datasets import JESTER_CLASSES, synthetic_gestures
    from keras_stlstm.datasets.video_io import write_gif

    frames, height, width, channels = model.inputs[0].shape[1:]
    if height != width or channels != 3:
        raise SystemExit(f"the synthetic gestures are square RGB clips; this model takes {height}x{width}x{channels}.")
    clips, labels = synthetic_gestures(args.num_clips, args.seed, "test", num_frames=frames, image_size=height,
                                       dtype="float32")
    output = model.predict(clips, verbose=0)
    probs = np.asarray(output["label"] if isinstance(output, dict) else output)
    names = class_names(model, probs.shape[-1])
    for clip_index, (p, label) in enumerate(zip(probs, labels)):
        top = np.argsort(p)[::-1][: args.top_k]
        ranked = ", ".join(f"{names[i]} {p[i]:.2f}" for i in top)
        print(f"clip {clip_index} (rendered as {JESTER_CLASSES[label]!r}): {ranked}")
    gif = os.path.join(args.out_dir, "gesture_clip_0.gif")
    write_gif(gif, clips[0], fps=8.0)
    return [gif]


def main(argv=None):
    args = parse_args(argv)
    import keras_stlstm

    with tempfile.TemporaryDirectory() as tmp:
        handle, original = args.preset, None
        if args.fast:
            original, handle = save_tiny_preset(tmp)
        model = keras_stlstm.from_preset(handle)
        print(f"loaded {handle}: {type(model).__name__} {model.name!r}, {model.count_params():,} parameters")
        if original is not None:
            # The reloaded folder must hold exactly the saved weights.
            x = np.random.default_rng(0).random((1,) + tuple(model.inputs[0].shape[1:]), dtype=np.float32)
            difference = np.max(np.abs(np.asarray(model(x)) - np.asarray(original(x))))
            print(f"reloaded vs original on a random clip: max |difference| = {difference:.2g}")
        if hasattr(model, "predict_frames"):
            written = predict_moving_mnist(model, args)
        else:
            written = classify_gestures(model, args)
    for path in written:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
