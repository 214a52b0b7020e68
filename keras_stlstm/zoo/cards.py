"""Model cards of the zoo's presets and the zoo table (zoo_cards/README.md).

A card is rendered from a small per-preset JSON of facts,
``keras_stlstm/zoo/cards/NAME.json`` (all keys optional)::

    {"title": "...", "summary": "...", "recipe": "recipes/NAME.toml",
     "run": "runs/NAME/metrics.json" or {"hardware": "...", "backend": "...", "steps": 3200,
                                         "wall_time": "40 min"},
     "hardware": "2-core CPU", "steps": 3200, "steps_per_epoch": 100,
     "intended_use": "...", "limitations": ["...", "..."],
     "training_data": "a paragraph after the standard one, e.g. the motion laws of the stages"}

plus the measured results of `keras-stlstm zoo-evaluate`. Relative paths are taken
from the working folder, else from the repository root. A run's metrics.json (as
`keras_stlstm.training.train` writes it) gives the backend, `epochs_run` and
`training_minutes`; the steps are `steps`, else epochs run × the recipe's
`steps_per_epoch`. The same text goes to ``weights/NAME/README.md`` (the preset's
Hub card) and ``zoo_cards/NAME.md``, with the pictures in an ``images/`` folder
beside each.

``zoo_cards/README.md`` is made of sections between ``<!-- zoo-section:KEY:start -->``
and ``<!-- zoo-section:KEY:end -->`` markers ("video" from `keras-stlstm
zoo-evaluate`, "gestures" from `keras-stlstm zoo-evaluate-gestures`); each command
rewrites its own section only (`update_zoo_readme`).
"""

import json
import pathlib
import re
import tomllib

from keras_stlstm.presets.files import write_text_atomic
from keras_stlstm.zoo.published import PUBLISHED_MOVING_MNIST
from keras_stlstm.zoo.test_sets import MNIST_CREDIT

FACTS_DIR = pathlib.Path(__file__).resolve().parent / "cards"
REPO_ROOT = FACTS_DIR.parents[2]
METRICS = ("mse", "mae", "ssim", "psnr")
TEST_SETS = {
    "video": "Moving MNIST 10 -> 10",
    "srivastava": "Moving MNIST 10 -> 10, Srivastava et al.'s motion law (3.6 px/frame, the standard file's)",
    "srivastava_2.5": "Robustness: Srivastava motion law, digits at 2.5 px/frame",
    "srivastava_5": "Robustness: Srivastava motion law, digits at 5 px/frame",
    "copy": "Copy test (Seq 2's future)",
}
# The test set that ranks the presets and that the zoo table leads with: the standard motion
# law when it was scored, else the repository's own test set.
RANKING_SETS = ("srivastava", "video")


def ranking_set(results):
    """The key of `RANKING_SETS` that every result in `results` has."""
    for key in RANKING_SETS:
        if all(key in res for res in results.values()):
            return key
    return "video"


def resolve_repo_path(path):
    """`path` as given if it exists from the working folder, else under the repository root."""
    path = pathlib.Path(path)
    return path if path.exists() or path.is_absolute() else REPO_ROOT / path


def _read_json_object(path):
    path = resolve_repo_path(path)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def load_card_facts(name, facts_dir=FACTS_DIR):
    """The facts JSON of preset `name` ({} when it has none).

    A "run" or "comparison_run" given as a path (a run's metrics.json) is read in;
    a missing file reads as {}.
    """
    path = pathlib.Path(facts_dir) / f"{name}.json"
    if not path.is_file():
        return {}
    try:
        facts = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: card facts must be a JSON object ({e}).") from e
    if not isinstance(facts, dict):
        raise ValueError(f"{path}: card facts must be a JSON object, got {type(facts).__name__}.")
    for key in ("run", "comparison_run"):
        if isinstance(facts.get(key), str):
            facts[key] = _read_json_object(facts[key])
    return facts


def recipe_steps_per_epoch(recipe):
    """[training] steps_per_epoch of a TOML or JSON recipe file (None when absent or unreadable)."""
    if not recipe:
        return None
    path = resolve_repo_path(recipe)
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    return (data.get("training") or {}).get("steps_per_epoch")


def training_summary(facts):
    """What a card says about the training run, from the preset's card facts.

    Returns:
        dict with "hardware", "backend", "epochs" (run, else planned), "steps"
        (`steps`, else epochs run × steps per epoch), "minutes" (training time),
        "clock" ("wall" or "cpu", what the minutes count), "wall_time" (text) and
        "seconds_per_step"; None where unknown.
    """
    run = dict(facts.get("run") or {})
    epochs = run.get("epochs_run") or run.get("epochs")
    # A warm-started run (keras_stlstm.training.warm_start) records the totals over its stages.
    steps = facts.get("steps") or run.get("total_steps") or run.get("steps")
    if steps is None and run.get("epochs_run"):
        per_epoch = facts.get("steps_per_epoch") or recipe_steps_per_epoch(facts.get("recipe"))
        steps = run["epochs_run"] * per_epoch if per_epoch else None
    minutes = run.get("total_training_minutes") or run.get("training_minutes")
    if minutes is None and run.get("seconds_this_process"):
        minutes = run["seconds_this_process"] / 60
    clock = run.get("training_clock")
    wall_time = facts.get("wall_time") or run.get("wall_time")
    if not wall_time and minutes:
        wall_time = f"{minutes:.0f} min" + (" (CPU time of the training process)" if clock == "cpu" else "")
    return {
        "hardware": facts.get("hardware") or run.get("hardware"),
        "backend": run.get("backend") or facts.get("backend"),
        "epochs": epochs if not run.get("earlier_stages") else None,  # this stage's only
        "steps": steps,
        "minutes": minutes,
        "clock": clock,
        "wall_time": wall_time,
        "seconds_per_step": minutes * 60 / steps if minutes and steps else None,
    }


def _fmt(value, metric):
    return f"{value:.4f}" if metric == "ssim" else f"{value:.2f}"


def metrics_table(results, sources):
    """Markdown: one row per (model, test set); averaged metrics and per-frame MSE.

    Args:
        results: {model label: {test set key: per_frame_curves dict}}.
        sources: {test set key: description of the sequences scored}.
    """
    lines = []
    for key, title in TEST_SETS.items():
        rows = [(label, res[key]) for label, res in results.items() if key in res]
        if not rows:
            continue
        lines += [f"**{title}** ({sources[key]})", "",
                  "| model | MSE | MAE | SSIM | PSNR | MSE per future frame |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for label, curves in rows:
            averaged = " | ".join(_fmt(curves[m + "_mean"], m) for m in METRICS)
            per_frame = " ".join(f"{v:.1f}" for v in curves["mse"])
            lines.append(f"| {label} | {averaged} | {per_frame} |")
        lines.append("")
    return "\n".join(lines)


VIDEO_TAGS = ("keras-stlstm", "video-prediction", "moving-mnist", "spatiotemporal-lstm")


def _front_matter(info, datasets=("mnist", "moving-mnist"), metrics=METRICS, tags=VIDEO_TAGS, pipeline_tag=None):
    """The Hugging Face card's YAML header (the video presets' values by default)."""
    lines = ["---", "library_name: keras", f"license: {info.license.lower()}"]
    if pipeline_tag:
        lines.append(f"pipeline_tag: {pipeline_tag}")
    for key, values in (("datasets", datasets), ("metrics", metrics), ("tags", tags)):
        if values:
            lines += [f"{key}:"] + [f"- {v}" for v in values]
    return "\n".join(lines + ["---"]) + "\n"


def card_heading(info, facts, **front_matter):
    """The start every card shares: YAML header, title and summary (from the facts, else the
    preset's name and description). `front_matter`: arguments of `_front_matter`."""
    return [
        _front_matter(info, **front_matter),
        f"# {facts.get('title', info.name)}\n",
        (facts.get("summary") or info.description) + "\n",
    ]


def recipe_section(facts):
    """Markdown: the recipe of the preset, or its stages in order when it was warm-started."""
    stages = facts.get("stages") or []
    if len(stages) < 2:
        recipe = facts.get("recipe")
        return f"Recipe: `{recipe}` (`keras-stlstm train {recipe}`).\n" if recipe else "Recipe: not recorded.\n"
    lines = [f"Trained in {len(stages)} stages: the first from scratch, each later one from the weights "
             "the stage before it saved (`[training] initial_weights`, `keras_stlstm.training.warm_start`):\n"]
    for number, stage in enumerate(stages, 1):
        minutes = stage.get("training_minutes")
        clock = " of CPU time" if stage.get("training_clock") == "cpu" else ""
        done = ", ".join(part for part in (
            f"{stage['steps']:,} steps" if stage.get("steps") else None,
            f"{minutes:.0f} min{clock}" if minutes else None,
            f"logs in `{stage['logs']}`" if stage.get("logs") else None) if part)
        lines.append(f"{number}. `{stage.get('recipe') or 'recipe not recorded'}`" + (f": {done}" if done else ""))
    commands = " && ".join(f"keras-stlstm train {stage['recipe']}" for stage in stages if stage.get("recipe"))
    return "\n".join(lines) + f"\n\nTo train it again: `{commands}`.\n"


def _run_section(facts):
    summary = training_summary(facts)
    rows = {
        "hardware": summary["hardware"],
        "backend": summary["backend"],
        "steps": summary["steps"],
        "epochs": summary["epochs"],
        "training time": summary["wall_time"],
        "time per step": f"{summary['seconds_per_step']:.2f} s" if summary["seconds_per_step"] else None,
        "stopped by": "its time budget" if (facts.get("run") or {}).get("stopped_by_time_budget") else None,
        "BatchNorm statistics": (f"re-estimated on {facts['batch_norm_recalibration_batches']} fresh training batches "
                                 "after training (`keras_stlstm.training.batch_norm`)"
                                 if facts.get("batch_norm_recalibration_batches") else None),
    }
    known = [f"- {k}: {v}" for k, v in rows.items() if v not in (None, "")]
    return "\n".join(known) if known else "- not recorded for this preset"


def render_card(info, model, results, sources, command, facts=None):
    """The Markdown model card of one preset.

    Args:
        info: its `PresetInfo`.
        model: the loaded model (class, parameter count, configuration).
        results: {model label: {test set key: per_frame_curves}}; the preset's own
            label is `info.name`, the baselines are shown beside it.
        sources: {test set key: what was scored}, e.g. "2,000 sequences, seed 2015".
        command: the command line that reproduces the numbers.
        facts: the preset's card facts (`load_card_facts`).

    Returns:
        The card text, YAML front matter first.
    """
    facts = facts or {}
    config = model.get_config()
    arch = ", ".join(f"{k}={config[k]}" for k in ("backbone", "filters", "kernel_size", "patch_size",
                                                  "context_frames", "future_frames", "image_size") if k in config)
    limitations = facts.get("limitations") or [
        "Trained and evaluated on generated 64x64 Moving MNIST only; other videos need fine-tuning.",
        "Numbers are on this repository's regenerated test set, not the standard 10,000-sequence file.",
    ]
    parts = card_heading(info, facts) + [
        "```python\nimport keras_stlstm\n\n"
        f'model = keras_stlstm.from_preset("{info.name}")\n'
        "future = model.predict_frames(context, horizon=10)  # context: (batch, 10, 64, 64, 1) in [0, 1]\n```\n",
        "## Architecture\n",
        f"`{type(model).__name__}` ({arch}); {model.count_params():,} parameters.\n",
        "## Training data\n",
        "Moving MNIST sequences generated on the fly from MNIST t10k digits 0-7999 "
        "(the test digits 8000-9999 are never seen in training). " + MNIST_CREDIT + ".\n",
        *([facts["training_data"] + "\n"] if facts.get("training_data") else []),
        "## Training\n",
        recipe_section(facts),
        _run_section(facts) + "\n",
        "## Evaluation\n",
        f"Measured with `{command}`:\n",
        metrics_table(results, sources),
        "MSE and MAE are per-frame sums over the 64x64 pixels (frames in [0, 1]), as in the E3D paper "
        "and OpenSTL; SSIM as scikit-image's, PSNR per frame, each averaged over sequences and future frames.\n",
        f"![context, truth and prediction](images/{info.name}_comparison.png)\n",
        f"![per-frame MSE](images/{info.name}_mse_curve.png)\n",
        "## Intended use\n",
        (facts.get("intended_use") or "Research and teaching: a reproducible baseline for "
         "spatiotemporal LSTM video prediction, and a starting point for fine-tuning.") + "\n",
        "## Limitations\n",
        "\n".join(f"- {item}" for item in limitations) + "\n",
    ]
    return "\n".join(parts)


def write_card_files(text, paths):
    """Writes the same card text to every path (each atomically); returns the paths."""
    for path in paths:
        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text)
    return paths


PAPERS_ORDER = ("e3d", "predrnn_pp", "predrnn", "convlstm")  # best (lowest MSE) first, as in the E3D paper's Table 1
BACKBONE_NAMES = {"e3d": "E3D-LSTM", "predrnn_pp": "PredRNN++", "predrnn": "PredRNN", "convlstm": "ConvLSTM"}


def budget_comparison(backbones, results, facts):
    """Markdown: the presets ranked by test MSE with their training budgets, and whether the
    papers' ordering (E3D-LSTM < PredRNN < ConvLSTM in MSE) holds among them.

    Args:
        backbones: {preset name: "e3d" | "predrnn_pp" | "predrnn" | "convlstm"}.
        results: {preset name: {"video": per_frame_curves dict, ...}}.
        facts: {preset name: card facts (see `load_card_facts`)}.
    """
    key = ranking_set({name: results[name] for name in backbones})
    ranked = sorted(backbones, key=lambda name: results[name][key]["mse_mean"])
    lines = [f"Ranked by MSE on the {TEST_SETS[key][0].lower() + TEST_SETS[key][1:]} test set.", "",
             "| rank | preset | backbone | parameters | training steps | training time | test MSE |",
             "| --- | --- | --- | ---: | ---: | --- | ---: |"]
    for rank, name in enumerate(ranked, 1):
        run = training_summary(facts.get(name, {}))
        params = (facts.get(name, {}).get("run") or {}).get("parameters")
        lines.append(f"| {rank} | {name} | {BACKBONE_NAMES.get(backbones[name], backbones[name])} | "
                     f"{f'{params:,}' if params else '-'} | {run['steps'] or '-'} | {run['wall_time'] or '-'} | "
                     f"{results[name][key]['mse_mean']:.2f} |")
    ours = [backbones[name] for name in ranked]
    papers = [b for b in PAPERS_ORDER if b in ours]
    # The papers' ordering among the backbones evaluated (all four: E3D-LSTM < PredRNN++ < PredRNN < ConvLSTM).
    order = " < ".join(BACKBONE_NAMES[b] for b in papers)
    if len(set(ours)) < 2:
        verdict = "Fewer than two backbones were evaluated, so there is no ordering to compare."
    elif ours == papers:
        verdict = (f"The papers' ordering ({order} in MSE) **holds** at this scale: "
                   + " < ".join(BACKBONE_NAMES[b] for b in ours) + ".")
    else:
        verdict = (f"The papers' ordering ({order} in MSE) **does not hold** at this scale: "
                   "we measure " + " < ".join(BACKBONE_NAMES.get(b, b) for b in ours) + ".")
    return "\n".join(lines) + "\n\n" + verdict + "\n"


def zoo_readme(results, sources, command, card_names=(), comparison=""):
    """The video section of zoo_cards/README.md: our measured table, then the published figures
    (labelled as theirs). Written with `update_zoo_readme(path, "video", ...)`."""
    published = ["| model | source | MSE | SSIM | notes |", "| --- | --- | --- | --- | --- |"]
    published += [f"| {m} | {s} | {mse} | {ssim} | {notes} |" for m, s, mse, ssim, notes in PUBLISHED_MOVING_MNIST]
    cards = "".join(f"- [{name}]({name}.md)\n" for name in card_names)
    return "\n".join([
        "## Video prediction\n",
        f"Measured here with `{command}` (our presets and the trivial baselines, same sequences):\n",
        metrics_table(results, sources),
        "![per-frame MSE of every model](images/zoo_mse_curve.png)\n",
        *(["### The three backbones under one training budget\n", comparison] if comparison else []),
        "### Model cards\n",
        cards or "No preset evaluated yet.\n",
        "### Published figures (not ours: their test sets, training budgets and model scale)\n",
        "Moving MNIST 10 -> 10 as reported by the E3D-LSTM paper (Wang et al., ICLR 2019, Table 1, the "
        "standard 10,000-sequence test file) and by OpenSTL (full-size models trained 200 or 2,000 epochs on "
        "GPUs). They are quoted for scale only: our presets are smaller, trained for less, and measured on "
        "this repository's regenerated test set.\n",
        "\n".join(published) + "\n",
    ])


ZOO_README_TITLE = "# keras-stlstm model zoo"
ZOO_README_SECTIONS = ("video", "gestures")  # their order in the file
_SECTION = re.compile(r"<!-- zoo-section:([\w-]+):start -->\n(.*?)<!-- zoo-section:\1:end -->", re.S)


def read_zoo_readme_sections(text):
    """{key: body} of the marked sections of a zoo README (a file without markers: {"video": text})."""
    sections = {key: body for key, body in _SECTION.findall(text)}
    if not sections and text.strip():
        # A README written before the sections existed held the video table only.
        sections["video"] = text
    return sections


def update_zoo_readme(path, key, body):
    """Replaces section `key` of the zoo README at `path` (creating the file), keeping the others.

    Args:
        path: zoo_cards/README.md.
        key: "video", "gestures" or another name (placed after the known ones).
        body: the section's Markdown.

    Returns:
        The path.

    Example:

    >>> update_zoo_readme("zoo_cards/README.md", "gestures", "## Gestures\\n...")  # doctest: +SKIP
    """
    path = pathlib.Path(path)
    sections = read_zoo_readme_sections(path.read_text(encoding="utf-8")) if path.is_file() else {}
    sections[key] = body.strip() + "\n"
    order = [k for k in ZOO_README_SECTIONS if k in sections] + [k for k in sections if k not in ZOO_README_SECTIONS]
    parts = [ZOO_README_TITLE + "\n"]
    parts += [f"<!-- zoo-section:{k}:start -->\n{sections[k]}<!-- zoo-section:{k}:end -->\n" for k in order]
    write_card_files("\n".join(parts), [path])
    return path
