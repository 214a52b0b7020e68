"""Model cards of the zoo's presets and the zoo table (zoo_cards/README.md).

A card is rendered from a small per-preset JSON of facts,
``keras_stlstm/zoo/cards/NAME.json`` (all keys optional)::

    {"title": "...", "summary": "...", "recipe": "recipes/NAME.toml",
     "run": "runs/NAME/metrics.json" or {"hardware": "...", "backend": "...", "steps": 3200,
                                         "wall_time": "40 min"},
     "hardware": "2-core CPU", "steps": 3200,
     "intended_use": "...", "limitations": ["...", "..."]}

plus the measured results of `keras-stlstm zoo-evaluate`. The same text goes to
``weights/NAME/README.md`` (the preset's Hub card) and ``zoo_cards/NAME.md``, with
the pictures in an ``images/`` folder beside each.
"""

import json
import pathlib

from keras_stlstm.presets.files import write_text_atomic
from keras_stlstm.zoo.published import PUBLISHED_MOVING_MNIST
from keras_stlstm.zoo.test_sets import MNIST_CREDIT

FACTS_DIR = pathlib.Path(__file__).resolve().parent / "cards"
METRICS = ("mse", "mae", "ssim", "psnr")
TEST_SETS = {"video": "Moving MNIST 10 -> 10", "copy": "Copy test (Seq 2's future)"}


def load_card_facts(name, facts_dir=FACTS_DIR):
    """The facts JSON of preset `name` ({} when it has none); a "run" path is read in."""
    path = pathlib.Path(facts_dir) / f"{name}.json"
    if not path.is_file():
        return {}
    try:
        facts = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: card facts must be a JSON object ({e}).") from e
    if not isinstance(facts, dict):
        raise ValueError(f"{path}: card facts must be a JSON object, got {type(facts).__name__}.")
    run = facts.get("run")
    if isinstance(run, str):
        run_path = pathlib.Path(run)
        facts["run"] = json.loads(run_path.read_text(encoding="utf-8")) if run_path.is_file() else {}
    return facts


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


def _front_matter(info):
    lines = ["---", "library_name: keras", f"license: {info.license.lower()}", "datasets:", "- mnist",
             "- moving-mnist", "metrics:", "- mse", "- mae", "- ssim", "- psnr", "tags:", "- keras-stlstm",
             "- video-prediction", "- moving-mnist", "- spatiotemporal-lstm", "---"]
    return "\n".join(lines) + "\n"


def _run_section(facts):
    run = dict(facts.get("run") or {})
    rows = {
        "hardware": facts.get("hardware") or run.get("hardware"),
        "backend": run.get("backend") or facts.get("backend"),
        "steps": facts.get("steps") or run.get("steps"),
        "epochs": run.get("epochs"),
        "wall time": facts.get("wall_time") or run.get("wall_time")
        or (f"{run['seconds_this_process'] / 60:.0f} min" if run.get("seconds_this_process") else None),
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
    recipe = facts.get("recipe")
    parts = [
        _front_matter(info),
        f"# {facts.get('title', info.name)}\n",
        (facts.get("summary") or info.description) + "\n",
        "```python\nimport keras_stlstm\n\n"
        f'model = keras_stlstm.from_preset("{info.name}")\n'
        "future = model.predict_frames(context, horizon=10)  # context: (batch, 10, 64, 64, 1) in [0, 1]\n```\n",
        "## Architecture\n",
        f"`{type(model).__name__}` ({arch}); {model.count_params():,} parameters.\n",
        "## Training data\n",
        "Moving MNIST sequences generated on the fly from MNIST t10k digits 0-7999 "
        "(the test digits 8000-9999 are never seen in training). " + MNIST_CREDIT + ".\n",
        "## Training\n",
        (f"Recipe: `{recipe}` (`keras-stlstm train {recipe}`).\n" if recipe else "Recipe: not recorded.\n"),
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


def zoo_readme(results, sources, command, card_names=()):
    """zoo_cards/README.md: our measured table, then the published figures (labelled as theirs)."""
    published = ["| model | source | MSE | SSIM | notes |", "| --- | --- | --- | --- | --- |"]
    published += [f"| {m} | {s} | {mse} | {ssim} | {notes} |" for m, s, mse, ssim, notes in PUBLISHED_MOVING_MNIST]
    cards = "".join(f"- [{name}]({name}.md)\n" for name in card_names)
    return "\n".join([
        "# keras-stlstm video prediction zoo\n",
        f"Measured here with `{command}` (our presets and the trivial baselines, same sequences):\n",
        metrics_table(results, sources),
        "![per-frame MSE of every model](images/zoo_mse_curve.png)\n",
        "## Model cards\n",
        cards or "No preset evaluated yet.\n",
        "## Published figures (not ours: their test sets, training budgets and model scale)\n",
        "Moving MNIST 10 -> 10 as reported by the E3D-LSTM paper (Wang et al., ICLR 2019, Table 1, the "
        "standard 10,000-sequence test file) and by OpenSTL (full-size models trained 200 or 2,000 epochs on "
        "GPUs). They are quoted for scale only: our presets are smaller, trained for less, and measured on "
        "this repository's regenerated test set.\n",
        "\n".join(published) + "\n",
    ])
