"""`keras-stlstm zoo-evaluate-gestures`: every gesture and early-recognition preset on the gesture test set.

Scores each `GestureRecognizer` preset (top-1, top-5, per-class accuracy,
confusion matrix, inference time per clip) and each `EarlyActivityRecognizer`
preset at 25% and 50% observation, on the fixed gesture test set
(`keras_stlstm.zoo.gesture_test_set`: 2,000 held-out synthetic clips). With
``--write-cards`` it writes each preset's card (weights/NAME/README.md and
zoo_cards/NAME.md) with its confusion matrices, zoo_cards/gesture_variants.md,
and the "gestures" section of zoo_cards/README.md (the video section written by
`keras-stlstm zoo-evaluate` is kept). Registry metrics are updated only when the
full 2,000-clip set was scored.
"""

import os
import pathlib
import platform

from keras_stlstm.zoo import cards, gesture_cards
from keras_stlstm.zoo.gesture_evaluation import (
    EARLY_FRACTIONS,
    early_metrics,
    evaluate_early_recognizer,
    evaluate_gesture_recognizer,
    fraction_key,
    model_clip_shape,
)
from keras_stlstm.zoo.plots import write_confusion_matrix
from keras_stlstm.zoo.preset_arguments import add_preset_arguments
from keras_stlstm.zoo.test_sets import EARLY_TEST_FRAMES, GESTURE_TEST_SEED, GESTURE_TEST_SIZE, gesture_test_set

DEFAULT_BATCH_SIZE = 16


def add_parser(sub):
    p = sub.add_parser("zoo-evaluate-gestures",
                       help="score the gesture and early-recognition presets; write their model cards")
    add_preset_arguments(p, "every GestureRecognizer and EarlyActivityRecognizer")
    p.add_argument("--num-clips", type=int, default=None,
                   help=f"first N test clips (default: all {GESTURE_TEST_SIZE:,}; registry metrics are only "
                        "updated for the full set)")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    p.add_argument("--write-cards", action="store_true",
                   help="write weights/NAME/README.md, zoo_cards/NAME.md, confusion matrices, "
                        "zoo_cards/gesture_variants.md and the gesture section of zoo_cards/README.md")
    p.add_argument("--cards-dir", default="zoo_cards", help="where the zoo's cards go (zoo_cards)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    p.set_defaults(func=cmd_zoo_evaluate_gestures)
    return p


def _gesture_presets(names):
    from keras_stlstm.presets import list_presets

    if names:
        return list(names)
    found = list_presets(builder="GestureRecognizer") + list_presets(builder="EarlyActivityRecognizer")
    if not found:
        print("No GestureRecognizer or EarlyActivityRecognizer preset is registered: nothing to score.")
    return found


def _is_early(model):
    from keras_stlstm.models import EarlyActivityRecognizer

    return isinstance(model, EarlyActivityRecognizer)


class _TestClips:
    """The gesture test set at each (frames, size) asked for, rendered once."""

    def __init__(self, num_clips):
        self.num_clips = num_clips
        self._cache = {}

    def get(self, frames, height, width):
        if height != width:
            raise ValueError(f"The gesture test set has square frames; the model takes {height}x{width} frames.")
        key = (frames, height)
        if key not in self._cache:
            self._cache[key] = gesture_test_set(self.num_clips, num_frames=frames, image_size=height)
        return self._cache[key]


def _source(num_clips):
    share = "the" if num_clips == GESTURE_TEST_SIZE else f"the first {num_clips:,} of the"
    return (f"{share} {GESTURE_TEST_SIZE:,} held-out synthetic gesture test clips "
            f"(`synthetic_gestures(seed={GESTURE_TEST_SEED}, split=\"test\")`, rendered at each model's size; "
            "test render seeds are disjoint from training)")


def _environment():
    """Where the inference times were measured: Keras backend, CPU count, machine."""
    import keras

    return f"Keras {keras.backend.backend()} backend, {os.cpu_count()} CPU cores ({platform.machine()})"


def _command_line(args, presets=None):
    line = "keras-stlstm zoo-evaluate-gestures"
    if presets:
        line += " --presets " + " ".join(presets)
    if args.num_clips:
        line += f" --num-clips {args.num_clips}"
    if args.batch_size != DEFAULT_BATCH_SIZE:
        line += f" --batch-size {args.batch_size}"
    return line


def _comparison(name, facts, clips, labels, args):
    """(label, results) of an early preset's no-auxiliary-loss comparison model, or (None, note)."""
    path = facts.get("comparison_model")
    if not path:
        return None, None
    folder = cards.resolve_repo_path(path)
    if not folder.exists():
        note = (f"The comparison model without the auxiliary loss (`{path}`) was not found when the card was "
                "written, so it is not shown.\n")
        print(f"{name}: comparison model {path} not found; skipped.")
        return None, note
    import keras

    # Only predicted with: a run's model/ carries its training compile config, whose
    # losses need not be importable here.
    model = keras.saving.load_model(folder, compile=False, safe_mode=True)
    label = facts.get("comparison_label") or gesture_cards.DEFAULT_COMPARISON_LABEL
    return label, evaluate_early_recognizer(model, clips, labels, batch_size=args.batch_size,
                                            progress=not args.no_progress)


def _print_tables(source, gesture, early):
    print(f"\nGesture test set: {source}")
    if gesture:
        width = max(12, *(len(label) for label in gesture))
        header = f"{'model':<{width}} {'top-1 %':>8} {'top-5 %':>8} {'ms/clip':>8}"
        print(header + "\n" + "-" * len(header))
        for label, s in gesture.items():
            print(f"{label:<{width}} {100 * s['top1']:8.2f} {100 * s['top5']:8.2f} {1000 * s['seconds_per_clip']:8.1f}")
    if early:
        fractions = list(next(iter(early.values())))
        width = max(12, *(len(label) for label in early))
        header = f"{'early model':<{width}} " + " ".join(
            f"{'top-1@' + fraction_key(f) + '%':>11} {'top-5@' + fraction_key(f) + '%':>11}" for f in fractions)
        print("\n" + header + "\n" + "-" * len(header))
        for label, by_fraction in early.items():
            cells = " ".join(f"{100 * by_fraction[f]['top1']:11.2f} {100 * by_fraction[f]['top5']:11.2f}"
                             for f in fractions)
            print(f"{label:<{width}} {cells}")
    columns = dict(gesture)
    for label, by_fraction in early.items():
        columns.update({f"{label}@{fraction_key(f)}%": s for f, s in by_fraction.items()})
    if not columns:
        return
    first = next(iter(columns.values()))
    print("\nPer-class top-1 accuracy (%), columns:")
    for k, label in enumerate(columns):
        print(f"  [{k}] {label}")
    print(f"{'#':>2} {'class':<30} {'clips':>5} " + " ".join(f"{f'[{k}]':>7}" for k in range(len(columns))))
    for i, name in enumerate(first["class_names"]):
        values = " ".join(f"{gesture_cards.percent(s['per_class'][i]):>7}" for s in columns.values())
        print(f"{i:>2} {name[:30]:<30} {int(first['class_counts'][i]):>5} {values}")


def cmd_zoo_evaluate_gestures(args):
    from keras_stlstm.presets import from_preset

    if args.num_clips is not None and not 1 <= args.num_clips <= GESTURE_TEST_SIZE:
        raise ValueError(f"--num-clips must be an integer from 1 to {GESTURE_TEST_SIZE}; got {args.num_clips}.")
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be a positive integer; got {args.batch_size}.")
    num_clips = args.num_clips or GESTURE_TEST_SIZE
    clips = _TestClips(num_clips)
    progress = not args.no_progress
    models, gesture, early, comparisons = {}, {}, {}, {}
    for name in _gesture_presets(args.presets):
        model = from_preset(name)
        if hasattr(model, "predict_frames"):
            raise ValueError(f"{name} is a {type(model).__name__}, not a gesture classifier "
                             "(use keras-stlstm zoo-evaluate).")
        models[name] = model
        _, height, width, _ = model_clip_shape(model)
        if _is_early(model):
            test_clips, labels = clips.get(EARLY_TEST_FRAMES, height, width)
            early[name] = evaluate_early_recognizer(model, test_clips, labels, EARLY_FRACTIONS, args.batch_size,
                                                    progress)
            label, outcome = _comparison(name, cards.load_card_facts(name), test_clips, labels, args)
            comparisons[name] = (label, outcome)
            if label:
                early[f"{name} ({label})"] = outcome
        else:
            test_clips, labels = clips.get(model_clip_shape(model)[0], height, width)
            gesture[name] = evaluate_gesture_recognizer(model, test_clips, labels, args.batch_size, progress)
    source = _source(num_clips)
    _print_tables(source, gesture, early)
    if args.write_cards:
        written = write_gesture_cards(models, gesture, early, comparisons, source, args,
                                      record_metrics=num_clips == GESTURE_TEST_SIZE)
        print(f"\nWrote {len(written)} files: " + ", ".join(str(p) for p in written))
    return 0


def _preset_folder(name):
    from keras_stlstm.presets import weights_root

    folder = weights_root() / name
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"--write-cards writes into {folder}, which does not hold preset {name!r}.")
    return folder


def _write_confusions(name, scores, folder, cards_dir, fraction=None):
    """The confusion picture into both images/ folders; returns the paths."""
    relative = gesture_cards.confusion_image_path(name, fraction)
    share = f" at {fraction_key(fraction)}%" if fraction is not None else ""
    title = f"{name}: confusion{share}, {scores['num_clips']:,} test clips"
    paths = [root / relative for root in (folder, cards_dir)]
    for path in paths:
        write_confusion_matrix(path, scores["confusion"], title, scores["class_names"])
    return paths


def write_gesture_cards(models, gesture, early, comparisons, source, args, record_metrics=False):
    """Cards, confusion matrices, gesture_variants.md and the README section; re-hashes the presets.

    Args:
        models: {preset: loaded model}.
        gesture: {preset: `evaluate_gesture_recognizer` dict}.
        early: {label: {ratio: scores}} (presets, and their comparison models).
        comparisons: {early preset: (comparison label or None, results or a note)}.
        source: what was scored.
        args: the parsed command line (for the reproducing command).
        record_metrics: also store top-1/top-5 (or top1_25/top1_50) in the registry.

    Returns:
        The paths written.
    """
    from keras_stlstm.presets import get_preset_info, refresh_preset_files

    cards_dir = pathlib.Path(args.cards_dir)
    environment = _environment()
    written, trained_cells = [], {}
    for name, model in models.items():
        folder = _preset_folder(name)
        info, facts = get_preset_info(name), cards.load_card_facts(name)
        command = _command_line(args, [name])
        if name in gesture:
            text = gesture_cards.render_gesture_card(info, model, gesture[name], source, command, facts, environment)
            written += _write_confusions(name, gesture[name], folder, cards_dir)
            metrics = {"top1": round(gesture[name]["top1"], 4), "top5": round(gesture[name]["top5"], 4)}
            cell = model.get_config().get("cell")
            # The canonical preset of a cell wins the variants table; else the first one evaluated.
            if cell in gesture_cards.CELLS and (cell not in trained_cells or name == f"gesture_{cell}_synthetic"):
                trained_cells[cell] = {"name": name, "model": model, "result": gesture[name], "facts": facts}
        else:
            label, outcome = comparisons.get(name, (None, None))
            results = {name: early[name]}
            if label:
                results[label] = outcome
            text = gesture_cards.render_early_card(info, model, results, source, command, facts, label,
                                                   None if label else outcome, environment)
            for fraction, scores in early[name].items():
                written += _write_confusions(name, scores, folder, cards_dir, fraction)
            metrics = early_metrics(early[name])
        written += cards.write_card_files(text, [folder / "README.md", cards_dir / f"{name}.md"])
        refresh_preset_files(name, folder, metrics=metrics if record_metrics else None)
    command = _command_line(args, args.presets)
    variants = cards.write_card_files(gesture_cards.gesture_variants_page(trained_cells, source, command),
                                      [cards_dir / "gesture_variants.md"])
    readme = cards.update_zoo_readme(
        cards_dir / "README.md", "gestures",
        gesture_cards.gesture_zoo_section(gesture, early, source, command, list(models)))
    return written + variants + [readme]
