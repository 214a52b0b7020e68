"""`keras-stlstm zoo-evaluate`: every video preset and the baselines on both test sets."""

import pathlib

import numpy as np

from keras_stlstm.zoo import cards, test_sets
from keras_stlstm.zoo.evaluation import BASELINES, evaluate_copy_test, evaluate_video_predictor
from keras_stlstm.zoo.preset_arguments import add_preset_arguments

STRIP_SEQUENCES = 3  # test sequences shown in each card's comparison picture
# The Srivastava-law test sets: the standard speed (step 0.1 of the 36 px travel) and two for robustness.
SRIVASTAVA_SPEEDS = {"srivastava": test_sets.STANDARD_SPEED, "srivastava_2.5": 2.5, "srivastava_5": 5.0}
ROBUSTNESS_TEST_SIZE = 2000  # sequences of each robustness set (fewer than the standard 10,000: CPU time)


def add_parser(sub):
    p = sub.add_parser("zoo-evaluate", help="score the video presets and baselines; write model cards")
    add_preset_arguments(p, "every VideoPredictor")
    # --data as in `evaluate --data`; --digits, the old name, stays an alias.
    p.add_argument("--data", "--digits", dest="digits", metavar="DIGITS", default="sample",
                   help="MNIST IDX folder/file (e.g. ../shared/data/mnist), 'keras', or 'sample' "
                        "(the shipped 32 + 16 test sequences)")
    p.add_argument("--num-sequences", type=int, default=None,
                   help="first N test sequences (default: 2,000 and 1,000 copy-test timelines)")
    p.add_argument("--standard-sequences", type=int, default=test_sets.SRIVASTAVA_TEST_SIZE,
                   help="sequences of the Srivastava-law test set (3.6 px/frame, the standard file's law); 0 skips "
                        "the Srivastava sets; scored only with MNIST digits (--data), not the sample")
    p.add_argument("--robustness-sequences", type=int, default=ROBUSTNESS_TEST_SIZE,
                   help="sequences of each robustness set (the same law, digits at 2.5 and 5 px/frame)")
    p.add_argument("--test-set-dir", default="runs/test_sets",
                   help="where the Srivastava-law test files are written once and reused")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--write-cards", action="store_true",
                   help="write weights/NAME/README.md, zoo_cards/NAME.md, zoo_cards/README.md and pictures")
    p.add_argument("--cards-dir", default="zoo_cards", help="where the zoo's cards go (zoo_cards)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    p.set_defaults(func=cmd_zoo_evaluate)
    return p


def _test_data(args):
    """(video, copy timelines, {key: description}) for --digits and --num-sequences."""
    if args.num_sequences is not None and args.num_sequences < 1:
        raise ValueError(f"--num-sequences must be a positive integer; got {args.num_sequences}.")
    if args.digits == "sample":
        video, copy = test_sets.load_test_sample()
        if args.num_sequences:
            video, copy = video[:args.num_sequences], copy[:args.num_sequences]
        print(f"Using the shipped sample: the first {len(video)} Moving MNIST test sequences and the first "
              f"{len(copy)} copy-test timelines (fast, not the full test set).")
        origin = "shipped sample of"
    else:
        video = test_sets.video_test_set(args.digits, args.num_sequences or test_sets.VIDEO_TEST_SIZE)
        copy = test_sets.copy_test_sequences(args.digits, args.num_sequences or test_sets.COPY_TEST_SIZE)
        origin = "first"
    sources = {
        "video": f"{origin} {len(video)} sequences of the 2,000-sequence test set, MNIST t10k digits "
                 "8000-9999, seed 2015",
        "copy": f"{origin} {len(copy)} timelines of the 1,000-example copy test, same digits, seed 2019",
    }
    return video, copy, sources


def _standard_test_sets(args):
    """({key: uint8 (N, 20, 64, 64, 1) memory-mapped sequences}, {key: description}) of the
    Srivastava-law test files at 3.6, 2.5 and 5 px/frame, written under --test-set-dir if absent."""
    for option in ("standard_sequences", "robustness_sequences"):  # checked whatever --data is
        if getattr(args, option) < 0:
            raise ValueError(f"--{option.replace('_', '-')} must be 0 or a positive integer; "
                             f"got {getattr(args, option)}.")
    if args.digits == "sample" or not args.standard_sequences:
        return {}, {}
    from keras_stlstm.datasets import open_moving_mnist_npy

    sets, sources = {}, {}
    for key, speed in SRIVASTAVA_SPEEDS.items():
        count = args.standard_sequences if key == "srivastava" else args.robustness_sequences
        if not count:
            continue
        path = pathlib.Path(args.test_set_dir) / f"srivastava_{speed}px_{count}.npy"
        if not path.is_file():
            print(f"Writing {path} ({count} sequences, digits at {speed} px/frame)...")
            test_sets.write_srivastava_test_set(path, args.digits, num_sequences=count, speed=speed)
        sets[key] = open_moving_mnist_npy(path)
        sources[key] = (f"{count:,} sequences drawn with Srivastava et al.'s motion law at {speed} px/frame from "
                        f"MNIST t10k digits 8000-9999, seed {test_sets.SRIVASTAVA_TEST_SEED}, written in the "
                        "standard mnist_test_seq.npy layout by keras_stlstm.zoo.test_sets.write_srivastava_test_set")
    return sets, sources


def _video_presets(names):
    from keras_stlstm.presets import list_presets

    if names:
        return list(names)
    found = list_presets(builder="VideoPredictor")
    if not found:
        print("No VideoPredictor preset is registered: scoring the baselines only.")
    return found


def _print_table(title, source, rows):
    print(f"\n{title} ({source})")
    frames = len(next(iter(rows.values()))["mse"])
    width = max(12, *(len(label) for label in rows))
    header = f"{'model':<{width}} {'MSE':>8} {'MAE':>8} {'SSIM':>7} {'PSNR':>7}  MSE per future frame 1..{frames}"
    print(header + "\n" + "-" * len(header))
    for label, c in rows.items():
        per_frame = " ".join(f"{v:6.1f}" for v in c["mse"])
        print(f"{label:<{width}} {c['mse_mean']:8.2f} {c['mae_mean']:8.2f} {c['ssim_mean']:7.4f} "
              f"{c['psnr_mean']:7.2f}  {per_frame}")


def _command_line(args):
    line = f"keras-stlstm zoo-evaluate --digits {args.digits}"
    if args.num_sequences:
        line += f" --num-sequences {args.num_sequences}"
    return line


def cmd_zoo_evaluate(args):
    from keras_stlstm.presets import from_preset

    video, copy, sources = _test_data(args)
    standard, standard_sources = _standard_test_sets(args)
    sources.update(standard_sources)
    progress = not args.no_progress
    results, models = {}, {}
    for name in _video_presets(args.presets):
        model = from_preset(name)
        if not hasattr(model, "predict_frames"):
            raise ValueError(f"{name} is a {type(model).__name__}, not a video predictor.")
        models[name] = model
        results[name] = _scores(model, video, copy, standard, args.batch_size, progress)
    for label, baseline in BASELINES.items():
        results[label] = _scores(baseline, video, copy, standard, None, False)
    for key, title in cards.TEST_SETS.items():
        if key not in sources:  # the Srivastava sets need real digits
            continue
        _print_table(title, sources[key], {label: res[key] for label, res in results.items()})
    if args.write_cards:
        written = write_zoo_cards(models, results, video, sources, _command_line(args), args.cards_dir,
                                  record_metrics=args.digits != "sample")
        print(f"\nWrote {len(written)} files: " + ", ".join(str(p) for p in written))
    return 0


def _scores(model, video, copy, standard, batch_size, progress):
    """{test set key: per-frame curves} of one model (a preset, or a baseline when batch_size is None)."""
    sized = {} if batch_size is None else {"batch_size": batch_size}
    scores = {"video": evaluate_video_predictor(model, video, progress=progress, **sized)}
    for key, sequences in standard.items():
        scores[key] = evaluate_video_predictor(model, sequences, progress=progress, **sized)
    scores["copy"] = evaluate_copy_test(model, copy, progress=progress, **sized)
    return scores


def _comparison_picture(path, model, video):
    """Context | truth | prediction rows of the first test sequences, stacked vertically."""
    import cv2

    from keras_stlstm.datasets.video_io import _atomic_output, comparison_strip

    context = model.context_frames
    clips = video[:STRIP_SEQUENCES].astype(np.float32) / 255.0
    future = clips.shape[1] - context
    prediction = model.predict_frames(clips[:, :context], horizon=future)
    gap = np.full((6,) + comparison_strip(clips[0, :context], clips[0, context:], prediction[0]).shape[1:],
                  255, np.uint8)
    rows = []
    for i in range(len(clips)):
        rows += [comparison_strip(clips[i, :context], clips[i, context:], prediction[i]), gap]
    picture = np.concatenate(rows[:-1])
    with _atomic_output(path) as tmp:
        if not cv2.imwrite(tmp, picture[..., 0] if picture.shape[-1] == 1 else picture[..., ::-1]):
            raise OSError(f"{path}: OpenCV could not write the image.")


def write_zoo_cards(models, results, video, sources, command, cards_dir, record_metrics=False):
    """Cards, pictures and the zoo table; re-hashes each preset's files in the registry.

    Returns:
        The paths written.
    """
    from keras_stlstm.presets import get_preset_info, refresh_preset_files, weights_root
    from keras_stlstm.zoo.plots import write_mse_curve

    cards_dir = pathlib.Path(cards_dir)
    baselines = {label: results[label] for label in BASELINES}
    written = []
    for name, model in models.items():
        folder = weights_root() / name
        if not (folder / "config.json").is_file():
            raise FileNotFoundError(f"--write-cards writes into {folder}, which does not hold preset {name!r}.")
        info = get_preset_info(name)
        text = cards.render_card(info, model, {name: results[name], **baselines}, sources, command,
                                 cards.load_card_facts(name))
        for root in (folder, cards_dir):
            _comparison_picture(root / "images" / f"{name}_comparison.png", model, video)
            write_mse_curve(root / "images" / f"{name}_mse_curve.png",
                            {label: res["video"]["mse"] for label, res in {name: results[name], **baselines}.items()},
                            title=f"{name}: per-frame MSE, Moving MNIST")
            written += [root / "images" / f"{name}_comparison.png", root / "images" / f"{name}_mse_curve.png"]
        written += cards.write_card_files(text, [folder / "README.md", cards_dir / f"{name}.md"])
        metrics = None
        if record_metrics:
            metrics = {m: round(results[name]["video"][m + "_mean"], 4) for m in cards.METRICS}
            metrics.update({f"copy_{m}": round(results[name]["copy"][m + "_mean"], 4) for m in ("mse", "ssim")})
            for key in SRIVASTAVA_SPEEDS:  # e.g. srivastava_mse, srivastava_2.5_mse
                if key in results[name]:
                    metrics.update({f"{key}_{m}": round(results[name][key][m + "_mean"], 4) for m in ("mse", "ssim")})
        refresh_preset_files(name, folder, metrics=metrics)
    curve = cards_dir / "images" / "zoo_mse_curve.png"
    write_mse_curve(curve, {label: res["video"]["mse"] for label, res in results.items()},
                    title="Per-frame MSE, Moving MNIST test set")
    readme = cards_dir / "README.md"
    backbones = {name: model.get_config().get("backbone") for name, model in models.items()}
    comparison = cards.budget_comparison(backbones, results, {name: cards.load_card_facts(name) for name in models})
    cards.update_zoo_readme(readme, "video", cards.zoo_readme(results, sources, command, list(models), comparison))
    return written + [curve, readme]
