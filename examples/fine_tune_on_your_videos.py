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
every backbone weight), or, without `--preset`, a freshly built causal
GestureRecognizer. Without `--data`, the script first renders a small video set of
synthetic gestures (`keras_stlstm.datasets.synthetic_gestures`) and writes it as
.mp4 files with `keras_stlstm.datasets.video_io.write_video`, so it runs anywhere.

    python examples/fine_tune_on_your_videos.py --fast            # seconds (what CI runs)
    python examples/fine_tune_on_your_videos.py                   # synthetic videos, "small" model
    python examples/fine_tune_on_your_videos.py --data my_gestures/train --validation-data my_gestures/validation
    python examples/fine_tune_on_your_videos.py --data my_gestures/train --preset NAME_OR_FOLDER
"""

import argparse
import math
import os
import shutil

import numpy as np

# Rendered when no --data is given: motions that differ in more than direction.
DEFAULT_CLASSES = ("Swiping Left", "Pushing Hand Away", "Thumb Up", "Stop Sign")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="folder-per-class training videos (default: render some)")
    parser.add_argument("--validation-data", default=None,
                        help="folder-per-class validation videos (default: the rendered validation set, or none)")
    parser.add_argument("--preset", default=None, help="preset to fine-tune (name, hf://org/name or folder)")
    parser.add_argument("--cell", default="a", help='cell of a fresh model: "convlstm", "a", "b", "c" or "d"')
    parser.add_argument("--config", default="small", choices=("tiny", "small"), help="configuration of a fresh model")
    parser.add_argument("--clips-per-class", type=int, default=12, help="rendered training clips per class")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--out-dir", default=os.path.join("outputs", "fine_tune"),
                        help="rendered videos and the fine-tuned model go here (default: ./outputs/fine_tune)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fast", action="store_true", help="2 classes, 4 clips each, tiny model, 1 epoch (for CI)")
    args = parser.parse_args(argv)
    args.classes = DEFAULT_CLASSES
    if args.fast:
        args.config, args.clips_per_class, args.epochs, args.classes = "tiny", 4, 1, DEFAULT_CLASSES[:2]
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


def build_model(args, num_classes):
    import keras

    from keras_stlstm.models import GestureRecognizer

    if args.preset:
        # A new head of `num_classes` outputs; every other weight comes from the preset.
        model = GestureRecognizer.from_preset(args.preset, num_classes=num_classes)
        print(f"loaded {args.preset} with a new {num_classes}-class head: {model.count_params():,} parameters")
    else:
        keras.utils.set_random_seed(args.seed)
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

    train_root, validation_root = args.data, args.validation_data
    if train_root is not None:
        class_names = list_video_folder(train_root)[1]
    else:
        class_names = sorted(folder_name(name) for name in args.classes)
    model = build_model(args, len(class_names))  # GestureRecognizer.from_preset refuses other model classes

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

    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  # XLA compilation takes longer than the few steps of --fast save.
                  jit_compile=False if args.fast else "auto")
    history = model.fit(train_ds, epochs=args.epochs, steps_per_epoch=steps, shuffle=False, verbose=2)
    print(f"training accuracy in epoch {args.epochs}: {history.history['accuracy'][-1]:.3f}")
    if validation_root is not None:
        validation = reader(validation_root, model, training=False, seed=args.seed)
        if validation.class_names != train_reader.class_names:
            raise SystemExit(f"{validation_root} has classes {validation.class_names}, "
                             f"{train_root} has {train_reader.class_names}: they must be the same.")
        print(f"validation accuracy on {len(validation)} clips: {accuracy(model, validation, args.batch_size):.3f} "
              f"(chance: {1 / len(class_names):.3f})")

    path = os.path.join(args.out_dir, "fine_tuned.keras")
    model.save(path)
    print(f"wrote {path}")

if __name__ == "__main__":
    main()
