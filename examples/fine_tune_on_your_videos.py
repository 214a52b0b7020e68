"""Fine-tune a GestureRecognizer on your own videos, stored one folder per class.

Your videos go in a folder-per-class tree (any of .mp4, .avi, .webm, .mkv, .mov,
or a sub-folder of numbered frames per clip):

    my_gestures/
      train/wave/clip1.mp4, clip2.mp4, ...
      train/clap/...
      validation/wave/..., validation/clap/...    (optional)

`keras_stlstm.datasets.readers.VideoFolderReader` reads it (class names = the
sorted folder names, label = position), samples `frames` frames per clip and
resizes them to the model's size. The model is a registered preset with a new
head for your classes (`GestureRecognizer.from_preset(NAME, num_classes=N)` keeps
every backbone weight). The default preset is `gesture_a_synthetic` when it is
registered; without it (or with `--fresh`) the model is a freshly built causal
GestureRecognizer (`--cell`, `--config`). Without `--data`, the script first
renders a small video set of synthetic gestures
(`keras_stlstm.datasets.synthetic_gestures`: 4 classes, 12 training and 6
validation clips per class, at the model's frame count and size) and writes it as
.mp4 files with `keras_stlstm.datasets.video_io.write_video`, so it runs anywhere.
A preset's BatchNormalization layers stay in inference mode (its statistics come
from thousands of clips, a batch of 4 would only add noise); a fresh model's are
trained and then recalibrated on the training clips
(`keras_stlstm.training.batch_norm.recalibrate_batch_norm`).

Measured (docs/experiments/fine_tune_gesture_a.log, one CPU thread, under a CPU-minute a run):
`from_preset('gesture_a_synthetic', num_classes=4)` reaches 92% validation accuracy
(22 of 24 rendered validation clips; 48 training clips) after 10 epochs: 88% after
the first epoch already, between 67% and 96% in the later ones. The same run from a
freshly built "cpu" model (`--fresh`) reaches 33% (chance: 25%; 67% on its
training clips). The four classes are among the 27 the preset was trained on (the
same renderer), so this measures a new head on motions the backbone knows, not
transfer to new kinds of gestures.

    python examples/fine_tune_on_your_videos.py --fast            # seconds (what CI runs)
    python examples/fine_tune_on_your_videos.py                   # rendered videos, preset gesture_a_synthetic
    python examples/fine_tune_on_your_videos.py --fresh           # the same run from a fresh "cpu" model
    python examples/fine_tune_on_your_videos.py --data my_gestures/train --validation-data my_gestures/validation
    python examples/fine_tune_on_your_videos.py --data my_gestures/train --preset NAME_OR_FOLDER
"""

import argparse
import math
import os
import shutil
import time

import numpy as np

# Rendered when no --data is given: motions that differ in more than direction.
DEFAULT_CLASSES = ("Swiping Left", "Pushing Hand Away", "Thumb Up", "Stop Sign")
# Fine-tuned by default when registered (GestureRecognizer, cell "a", config "cpu").
DEFAULT_PRESET = "gesture_a_synthetic"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="folder-per-class training videos (default: render some)")
    parser.add_argument("--validation-data", default=None,
                        help="folder-per-class validation videos (default: the rendered validation set, or none)")
    parser.add_argument("--preset", default=None,
                        help=f"preset to fine-tune (name, hf://org/name or folder; default: {DEFAULT_PRESET} "
                             "when registered, else a fresh model)")
    parser.add_argument("--fresh", action="store_true",
                        help="train a freshly built model (--cell, --config) instead of a preset")
    parser.add_argument("--cell", default="a", help='cell of a fresh model: "convlstm", "a", "b", "c" or "d"')
    parser.add_argument("--config", default="cpu", choices=("tiny", "cpu", "small"),
                        help='configuration of a fresh model (default "cpu", the size of the default preset)')
    parser.add_argument("--clips-per-class", type=int, default=12,
                        help="rendered training clips per class (half as many validation clips)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--out-dir", default=os.path.join("outputs", "fine_tune"),
                        help="rendered videos and the fine-tuned model go here (default: ./outputs/fine_tune)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fast", action="store_true",
                        help="2 classes, 4 clips each, fresh tiny model, 1 epoch (for CI)")
    args = parser.parse_args(argv)
    if args.fresh and args.preset:
        parser.error("--fresh and --preset exclude each other")
    args.classes = DEFAULT_CLASSES
    if args.fast:
        args.config, args.clips_per_class, args.epochs, args.classes = "tiny", 4, 1, DEFAULT_CLASSES[:2]
        args.fresh = args.fresh or args.preset is None  # CI stays fast: no preset unless asked for
    return args


def folder_name(class_name):
    return class_name.lower().replace(" ", "_")


def render_video_folder(root, classes, clips_per_class, split, num_frames, image_size, seed):
    """Writes root/<class>/<split>_<i>.mp4 for each Jester class name; returns the paths."""
    from keras_stlstm.datasets import JESTER_CLASSES, synthetic_gestures
    from keras_stlstm.datasets.video_io import write_video

    ids = [JESTER_CLASSES.index(name) for name in classes]
    clips, labels = synthetic_gestures(clips_per_class * len(ids), seed, split, classes=ids,
                                       num_frames=num_frames, image_size=image_size)
    paths, counts = [], {}
    for clip, label in zip(clips, labels):
        name = folder_name(classes[label])
        counts[name] = counts.get(name, 0) + 1
        path = os.path.join(root, name, f"{split}_{counts[name]:03d}.mp4")
        write_video(path, clip, fps=12.0)
        paths.append(path)
    return paths


def load_preset(preset, num_classes):
    """`GestureRecognizer.from_preset(preset, num_classes=...)`: the preset's backbone, a new head.

    Its BatchNormalization layers are frozen (trainable=False keeps a Keras BN
    layer in inference mode): the preset's statistics were estimated on thousands
    of clips, the batch statistics of a few clips would only add noise to them.
    """
    from keras_stlstm.models import GestureRecognizer
    from keras_stlstm.training.batch_norm import batch_norm_layers

    model = GestureRecognizer.from_preset(preset, num_classes=num_classes)
    frozen = batch_norm_layers(model)
    for layer in frozen:
        layer.trainable = False
    print(f"loaded {preset} with a new {num_classes}-class head: {model.count_params():,} parameters "
          f"({len(frozen)} BatchNormalization layers kept in inference mode)")
    return model


def build_model(args, num_classes):
    import keras

    from keras_stlstm.models import GestureRecognizer
    from keras_stlstm.presets import PresetError, list_presets

    # The same seed for the new head (and a fresh model) whichever way the model is made.
    keras.utils.set_random_seed(args.seed)
    if args.preset:
        return load_preset(args.preset, num_classes)
    if not args.fresh:
        if DEFAULT_PRESET in list_presets():
            try:
                return load_preset(DEFAULT_PRESET, num_classes)
            except PresetError as e:  # e.g. registered, but neither on disk nor downloadable here
                print(f"note: cannot load the default preset {DEFAULT_PRESET} ({e}); training a fresh model instead")
        else:
            print(f"note: the preset {DEFAULT_PRESET} is not registered; training a fresh model instead "
                  "(--preset NAME_OR_FOLDER picks another)")
    model = GestureRecognizer(args.cell, num_classes=num_classes, config=args.config)
    print(f"built GestureRecognizer(cell={args.cell!r}, config={args.config!r}, num_classes={num_classes}): "
          f"{model.count_params():,} parameters")
    return model


def reader(root, model, training, seed):
    from keras_stlstm.datasets.readers import VideoFolderReader

    frames, height, width, channels = model.inputs[0].shape[1:]
    return VideoFolderReader(root, num_frames=frames, size=(height, width), channels=channels,
                             training=training, seed=seed)


def accuracy(model, folder_reader, batch_size):
    """Top-1 accuracy over every clip of a reader (in its fixed order)."""
    correct = 0
    for clips, labels in folder_reader.dataset(batch_size=batch_size, shuffle=False):
        predicted = np.argmax(np.asarray(model.predict_on_batch(clips)), axis=-1)
        correct += int(np.sum(predicted == labels.numpy()))
    return correct / len(folder_reader)


def main(argv=None):
    args = parse_args(argv)
    import keras

    from keras_stlstm.datasets.readers.folder import list_video_folder
    from keras_stlstm.training.batch_norm import batch_norm_layers, recalibrate_batch_norm

    train_root, validation_root = args.data, args.validation_data
    if train_root is not None:
        class_names = list_video_folder(train_root)[1]
    else:
        class_names = sorted(folder_name(name) for name in args.classes)
    model = build_model(args, len(class_names))  # GestureRecognizer.from_preset refuses other model classes
    # Saved with the model: `keras-stlstm classify outputs/fine_tune/fine_tuned.keras` prints these names.
    model.class_names = list(class_names)
    trains_batch_norm = any(layer.trainable for layer in batch_norm_layers(model))

    if train_root is None:
        # Rendered at the model's clip size, so the reader does not need to resize.
        frames, size = model.inputs[0].shape[1], model.inputs[0].shape[2]
        videos = os.path.join(args.out_dir, "videos")
        # A previous run's videos (other classes, other sizes) would mix with the new ones.
        shutil.rmtree(videos, ignore_errors=True)
        train_root, validation_root = os.path.join(videos, "train"), os.path.join(videos, "validation")
        written = render_video_folder(train_root, args.classes, args.clips_per_class, "train", frames, size, args.seed)
        written += render_video_folder(validation_root, args.classes, max(1, args.clips_per_class // 2),
                                       "validation", frames, size, args.seed)
        print(f"rendered {len(written)} synthetic gesture videos ({len(args.classes)} classes, "
              f"{frames} frames of {size}x{size})")
        for folder in (train_root, validation_root):
            print(f"wrote {folder}")

    train_reader = reader(train_root, model, training=True, seed=args.seed)
    print(f"{len(train_reader)} training clips in {train_root}, classes {list(train_reader.class_names)}")
    # The reader shuffles and augments (training=True); repeat() + steps_per_epoch gives
    # fit a known epoch length.
    steps = math.ceil(len(train_reader) / args.batch_size)
    train_ds = train_reader.dataset(batch_size=args.batch_size).repeat()
    validation = validation_ds = None
    if validation_root is not None:
        validation = reader(validation_root, model, training=False, seed=args.seed)
        if validation.class_names != train_reader.class_names:
            raise SystemExit(f"{validation_root} has classes {validation.class_names}, "
                             f"{train_root} has {train_reader.class_names}: they must be the same.")
        # Scored after every epoch (val_accuracy), so the log shows how fast it gets there. The
        # reader's dataset has no known length: repeat() + validation_steps (one pass of the
        # clips per epoch) spares Keras guessing it from a "ran out of data" stop.
        validation_ds = validation.dataset(batch_size=args.batch_size, shuffle=False).repeat()

    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  # As in the CPU recipes: an XLA compile costs more than a few minutes of steps save.
                  jit_compile=False)
    wall, cpu = time.perf_counter(), time.process_time()
    history = model.fit(train_ds, epochs=args.epochs, steps_per_epoch=steps, validation_data=validation_ds,
                        validation_steps=None if validation is None else math.ceil(len(validation) / args.batch_size),
                        shuffle=False, verbose=2)
    if trains_batch_norm:
        # A fresh model's BN moving averages (momentum 0.99) still lag its weights after a
        # short run; re-estimate them on one pass of the training clips, as the recipes do.
        recalibrate_batch_norm(model, train_reader.dataset(batch_size=args.batch_size, shuffle=False))
        print(f"recalibrated the BatchNormalization statistics on the {len(train_reader)} training clips "
              "(val_accuracy above used the moving averages)")
    print(f"fit: {args.epochs} epochs of {steps} steps in {time.perf_counter() - wall:.0f} s "
          f"({(time.process_time() - cpu) / 60:.1f} CPU-minutes)")
    print(f"training accuracy in epoch {args.epochs}: {history.history['accuracy'][-1]:.3f}")
    if validation is not None:
        print(f"validation accuracy on {len(validation)} clips: {accuracy(model, validation, args.batch_size):.3f} "
              f"(chance: {1 / len(class_names):.3f})")

    # With --data nothing has written into --out-dir yet: make it, so the training is not lost at the
    # last line. Saved under a temporary name, then renamed: an interrupted save leaves no half file.
    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, "fine_tuned.keras")
    partial = os.path.join(args.out_dir, ".fine_tuned.partial.keras")
    model.save(partial)
    os.replace(partial, path)
    print(f"wrote {path} (classes: {', '.join(model.class_names)})")


if __name__ == "__main__":
    main()
