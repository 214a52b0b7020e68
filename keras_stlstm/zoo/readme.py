"""The README's table of pretrained presets, generated from the registry so it cannot drift.

README.md holds the table between two markers, `TABLE_START` and `TABLE_END`.
Everything between them is written by this module from
``keras_stlstm/presets/registry.json`` (name, class, measured metrics) and from
the registered files themselves (parameter count from ``metadata.json``, size of
the files a download fetches), with a link to ``zoo_cards/NAME.md`` when that
card exists::

    python -m keras_stlstm.zoo.readme --write   # after register_preset or zoo-evaluate --write-cards
    python -m keras_stlstm.zoo.readme --check   # exit status 1 when README.md is out of date

``tests/test_readme.py`` makes the same comparison as ``--check``, so CI fails
when a preset was registered (or re-evaluated) and the README was not regenerated.

The files are looked up offline only (``weights/NAME``, else the Hugging Face
cache) and checked against the registry's SHA-256 first, so the table describes
exactly the registered files.
"""

import argparse
import difflib
import json
import os
import sys
from pathlib import Path

from keras_stlstm.presets.errors import PresetError
from keras_stlstm.presets.files import METADATA_FILE, write_text_atomic
from keras_stlstm.zoo.cards import REPO_ROOT

README_PATH = REPO_ROOT / "README.md"
CARDS_DIR = REPO_ROOT / "zoo_cards"
TABLE_START = "<!-- preset-table:start -->"
TABLE_END = "<!-- preset-table:end -->"
GENERATED_NOTE = (
    "<!-- Generated from keras_stlstm/presets/registry.json by "
    "`python -m keras_stlstm.zoo.readme --write`; do not edit by hand. -->"
)
EMPTY_TABLE = (
    "No presets are registered yet: `keras_stlstm.list_presets()` is empty. Once one is, "
    "`python -m keras_stlstm.zoo.readme --write` fills this table in from the registry."
)

# Task of each model class, in the order the table lists them; other classes come last.
TASKS = {
    "VideoPredictor": "video prediction",
    "GestureRecognizer": "gesture recognition",
    "EarlyActivityRecognizer": "early activity recognition",
}
# How the metrics of each task are measured, printed under the table when a preset of
# that task is listed. The cards (zoo_cards/NAME.md) give the command and the test set.
TASK_NOTES = {
    "VideoPredictor": (
        "Video prediction (`keras-stlstm zoo-evaluate`): Moving MNIST 10 -> 10 on held-out MNIST digits; "
        "MSE and MAE are per-frame sums over the 64x64 pixels (lower is better), SSIM and PSNR per frame "
        "(higher is better), averaged over the 10 predicted frames; \"copy test\" scores the second "
        "sequence of the copy test."
    ),
    "GestureRecognizer": (
        "Gesture recognition (`keras-stlstm zoo-evaluate-gestures`): top-1 / top-5 accuracy on the fixed "
        "2,000-clip synthetic gesture test set (27 Jester classes, rendered; not Jester itself)."
    ),
    "EarlyActivityRecognizer": (
        "Early activity recognition (`keras-stlstm zoo-evaluate-gestures`): top-1 accuracy after seeing "
        "the first 25% / 50% of each synthetic test clip."
    ),
}
METRIC_LABELS = {
    "mse": "MSE",
    "mae": "MAE",
    "ssim": "SSIM",
    "psnr": "PSNR",
    "copy_mse": "copy-test MSE",
    "copy_ssim": "copy-test SSIM",
    "srivastava_mse": "Srivastava-law MSE",
    "srivastava_ssim": "Srivastava-law SSIM",
    "srivastava_2.5_mse": "MSE at 2.5 px/frame",
    "srivastava_2.5_ssim": "SSIM at 2.5 px/frame",
    "srivastava_5_mse": "MSE at 5 px/frame",
    "srivastava_5_ssim": "SSIM at 5 px/frame",
    "top1": "top-1",
    "top5": "top-5",
}
PERCENT_PREFIXES = ("top1", "top5")  # accuracies stored as fractions, shown as percentages


# --------------------------------------------------------------------- facts of one preset


def local_preset_folder(info):
    """The folder holding every registered file of `info` on this machine, or None.

    Looks in ``weights/NAME`` (``$KERAS_STLSTM_WEIGHTS/NAME``), then in the Hugging
    Face cache; never downloads. The files found are checked against the registry.

    Args:
        info: a `keras_stlstm.presets.PresetInfo`.

    Returns:
        A Path, or None when the preset's files are not on this machine.

    Raises:
        PresetError: a file is missing from ``weights/NAME`` or differs from the
            registry's SHA-256 (the message names the file and both digests).

    Example:

    >>> from keras_stlstm.presets import get_preset_info
    >>> local_preset_folder(get_preset_info("gesture_a_synthetic"))  # doctest: +SKIP
    PosixPath('.../weights/gesture_a_synthetic')
    """
    from keras_stlstm.presets import weights_root
    from keras_stlstm.presets.resolve import verify_files

    folder = weights_root() / info.name
    if not folder.is_dir():
        folder = _hf_cache_folder(info)
    if folder is None:
        return None
    verify_files(folder, info)
    return folder


def _hf_cache_folder(info):
    """The HF cache snapshot folder holding every file of `info`, or None (no request is made)."""
    if not info.files:
        return None
    import huggingface_hub

    folder = None
    for rel in info.files:
        path = huggingface_hub.try_to_load_from_cache(info.hub_repo, rel, revision=info.revision)
        if not isinstance(path, str):
            return None
        # A cached file lies at snapshots/<commit>/<rel>: the preset folder is <rel>'s root.
        folder = Path(path).parents[len(Path(rel).parts) - 1]
    return folder


def preset_facts(info, folder):
    """Parameter count and download size of a registered preset, from its files.

    Args:
        info: its `PresetInfo`.
        folder: the verified folder holding its files (`local_preset_folder`).

    Returns:
        {"parameters": int, "size_bytes": int}: the parameter count recorded by
        `save_preset` in metadata.json (the model is loaded to count them when
        metadata.json has none) and the total size of the registered files.
    """
    folder = Path(folder)
    metadata_path = folder / METADATA_FILE
    metadata = json.loads(metadata_path.read_text(encoding="utf-8")) if metadata_path.is_file() else {}
    parameters = metadata.get("parameter_count")
    if not isinstance(parameters, int):
        from keras_stlstm.presets.loading import load_preset_folder

        parameters = int(load_preset_folder(folder, info=info).count_params())
    size = sum((folder / rel).stat().st_size for rel in info.files)
    return {"parameters": parameters, "size_bytes": size}


def metric_label(key):
    """The table's name of a registry metric key: "copy_mse" -> "copy-test MSE", "top1_25" -> "top-1 at 25%"."""
    if key in METRIC_LABELS:
        return METRIC_LABELS[key]
    base, _, share = key.rpartition("_")
    if base in METRIC_LABELS and share.isdigit():
        return f"{METRIC_LABELS[base]} at {share}%"  # early recognizers: top1_25, top1_50
    return key


def format_metric(key, value):
    """One metric as the table shows it: accuracies in percent, SSIM with 4 decimals, others 2."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return f"{metric_label(key)} {value}"
    if key.startswith(PERCENT_PREFIXES):
        return f"{metric_label(key)} {100 * value:.2f}%"
    digits = 4 if key.endswith("ssim") else 2
    return f"{metric_label(key)} {value:.{digits}f}"


def format_metrics(metrics):
    """The metrics cell: every registry metric in its stored order ("not measured yet" when none)."""
    return ", ".join(format_metric(k, v) for k, v in metrics.items()) or "not measured yet"


def format_size(size_bytes):
    """Size in MB (2**20 bytes, as `keras-stlstm info` counts): 2 decimals below 10 MB, else 1."""
    megabytes = size_bytes / 2**20
    return f"{megabytes:.2f}" if megabytes < 10 else f"{megabytes:.1f}"


# --------------------------------------------------------------------- the table


def _task_order(info):
    order = list(TASKS)
    return (order.index(info.builder) if info.builder in order else len(order), info.name)


def preset_table_markdown(presets=None, cards_dir=None, relative_to=None):
    """The Markdown block that README.md holds between `TABLE_START` and `TABLE_END`.

    Args:
        presets: `PresetInfo`s to list (default: every registered preset).
        cards_dir: where the model cards are (default: the repository's zoo_cards/);
            a preset links to ``cards_dir/NAME.md`` when that file exists, and the
            block ends with a link to ``cards_dir/README.md`` when it exists.
        relative_to: the folder the links are relative to (default: the
            repository root, where README.md is).

    Returns:
        The block's text (without the markers), ending with a newline.

    Raises:
        PresetError: a registered preset's files are not on this machine, or
            differ from the registry's SHA-256.

    Example:

    >>> print(preset_table_markdown(presets=[]))  # doctest: +ELLIPSIS
    <!-- Generated from ... -->
    No presets are registered yet: ...
    """
    from keras_stlstm.presets import list_presets, weights_root

    infos = list_presets(with_info=True) if presets is None else list(presets)
    cards_dir = Path(cards_dir) if cards_dir is not None else CARDS_DIR
    relative_to = Path(relative_to) if relative_to is not None else REPO_ROOT
    zoo_readme = cards_dir / "README.md"
    pointer = (
        [f"All results beside the trivial baselines, with per-frame curves and confusion matrices: "
         f"[{_relative(zoo_readme, relative_to)}]({_relative(zoo_readme, relative_to)})."]
        if zoo_readme.is_file() else []
    )
    if not infos:
        return "\n".join([GENERATED_NOTE, EMPTY_TABLE] + pointer) + "\n"
    lines = [
        GENERATED_NOTE,
        "| preset | task (class) | parameters | measured metrics | size (MB) | card |",
        "| --- | --- | ---: | --- | ---: | --- |",
    ]
    for info in sorted(infos, key=_task_order):
        folder = local_preset_folder(info)
        if folder is None:
            raise PresetError(
                f"Preset {info.name!r} is registered but its files are not on this machine (neither "
                f"{weights_root() / info.name} nor the Hugging Face cache holds them); the table reads its "
                f"parameter count and size from them. Fetch it once with `keras-stlstm info {info.name}`."
            )
        facts = preset_facts(info, folder)
        task = TASKS.get(info.builder)
        kind = f"{task} (`{info.builder}`)" if task else f"`{info.builder}`"
        card = cards_dir / f"{info.name}.md"
        link = f"[{info.name}.md]({_relative(card, relative_to)})" if card.is_file() else "not written yet"
        lines.append(
            f"| `{info.name}` | {kind} | {facts['parameters']:,} | {format_metrics(info.metrics)} | "
            f"{format_size(facts['size_bytes'])} | {link} |"
        )
    notes = [TASK_NOTES[builder] for builder in TASKS if any(i.builder == builder for i in infos)]
    if notes:
        lines += [""] + [f"- {note}" for note in notes]
    if pointer:
        lines += [""] + pointer
    return "\n".join(lines) + "\n"


def _relative(path, start):
    return Path(os.path.relpath(path, start)).as_posix()


# --------------------------------------------------------------------- README.md


def replace_table(text, table):
    """`text` with the block between the markers replaced by `table`.

    Raises:
        ValueError: the markers are missing, repeated or out of order.
    """
    starts, ends = text.count(TABLE_START), text.count(TABLE_END)
    if starts != 1 or ends != 1 or text.index(TABLE_START) > text.index(TABLE_END):
        raise ValueError(
            f"README must hold exactly one {TABLE_START!r} line followed by one {TABLE_END!r} line "
            f"around the preset table; found {starts} start and {ends} end markers."
        )
    head, rest = text.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    return f"{head}{TABLE_START}\n{table}{TABLE_END}{tail}"


def current_table(text):
    """The block between the markers of a README's text (what `replace_table` replaces)."""
    replace_table(text, "")  # validates the markers
    return text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0].removeprefix("\n")


def write_readme(path=README_PATH, table=None):
    """Rewrites the preset table of the README at `path` (atomically) when it changed.

    Args:
        path: README.md.
        table: the block to write (default: `preset_table_markdown()`).

    Returns:
        True when the file was rewritten, False when it was already up to date.

    Example:

    >>> write_readme()  # doctest: +SKIP
    True
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    updated = replace_table(text, preset_table_markdown() if table is None else table)
    if updated == text:
        return False
    write_text_atomic(path, updated)
    return True


def check_readme(path=README_PATH, table=None):
    """The differences between the README's preset table and the generated one.

    Args:
        path: README.md.
        table: the expected block (default: `preset_table_markdown()`).

    Returns:
        A unified diff (a list of lines); empty when the README is up to date.
    """
    path = Path(path)
    expected = preset_table_markdown() if table is None else table
    actual = current_table(path.read_text(encoding="utf-8"))
    return list(difflib.unified_diff(actual.splitlines(), expected.splitlines(),
                                     f"{path.name} (now)", f"{path.name} (from the registry)", lineterm=""))


def build_parser():
    """The argument parser of `python -m keras_stlstm.zoo.readme`."""
    parser = argparse.ArgumentParser(
        prog="python -m keras_stlstm.zoo.readme",
        description="Regenerate (--write) or validate (--check) README.md's preset table from the registry.",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="rewrite the table in place")
    action.add_argument("--check", action="store_true", help="exit with status 1 when the table is out of date")
    parser.add_argument("--readme", default=str(README_PATH), help="the README to update (default: the repository's)")
    return parser


def main(argv=None):
    """`python -m keras_stlstm.zoo.readme --write | --check [--readme PATH]`; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.write:
            changed = write_readme(args.readme)
            print(f"{args.readme}: preset table {'rewritten' if changed else 'already up to date'}")
            return 0
        diff = check_readme(args.readme)
    except (PresetError, ValueError, OSError) as e:
        print(f"keras_stlstm.zoo.readme: error: {e}", file=sys.stderr)
        return 1
    if diff:
        print("\n".join(diff))
        print(f"{args.readme}: the preset table is out of date; run python -m keras_stlstm.zoo.readme --write",
              file=sys.stderr)
        return 1
    print(f"{args.readme}: preset table up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
