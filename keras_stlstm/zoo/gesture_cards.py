"""Model cards of the gesture presets, the cell comparison page and the zoo README's gesture section.

Rendered like the video cards (`keras_stlstm.zoo.cards`): the same YAML header,
per-preset facts (``keras_stlstm/zoo/cards/NAME.json``, see `load_card_facts`) and
training summary, plus the measured results of `keras-stlstm zoo-evaluate-gestures`.
An early recognizer's facts may also name a comparison model trained without the
auxiliary loss::

    {"comparison_model": "runs/NAME_noaux/model", "comparison_label": "without the auxiliary loss"}

Its training facts come from "comparison_run" (a metrics.json) and
"comparison_recipe" when given, else from the metrics.json and recipe.json that
`keras_stlstm.training.train` writes beside the model folder.

The gesture presets are trained on synthetic renders, never on Jester: every card
says so and shows how to fine-tune on real data.
"""

import functools

import numpy as np

from keras_stlstm.zoo.cards import (
    _read_json_object, card_heading, _run_section, recipe_section, resolve_repo_path, training_summary,
)
from keras_stlstm.zoo.gesture_evaluation import fraction_key
from keras_stlstm.zoo.published import PUBLISHED_GESTURE_TABLE_1

CELLS = ("convlstm", "a", "b", "c", "d")
CELL_DESCRIPTIONS = {
    "convlstm": "ConvLSTM (convolutional gates)",
    "a": "(a) gates from globally pooled features",
    "b": "(b) (a) + spatial attention on the input",
    "c": "(c) (a) + attention as the input gate",
    "d": "(d) (a) + attention as the output gate",
}
GESTURE_TAGS = ("keras-stlstm", "gesture-recognition", "video-classification", "convlstm", "synthetic-data")
EARLY_TAGS = ("keras-stlstm", "early-action-recognition", "video-classification", "e3d-lstm", "synthetic-data")
DEFAULT_COMPARISON_LABEL = "without the auxiliary loss"
# The gesture paper's Table 1 unit: one recurrent layer, F = 256, 3x3, on 28x28x256.
PAPER_LAYER = {"filters": 256, "kernel_size": 3, "input_shape": (8, 28, 28, 256)}
SYNTHETIC_DATA = (
    "Trained on synthetic renders (`keras_stlstm.datasets.synthetic_gestures`: a cartoon hand performing "
    "the 27 Jester gestures over random backgrounds, split \"train\"), **NOT on Jester**. The test clips "
    "come from the \"test\" split, whose render seeds are disjoint from the training ones. Accuracy on "
    "real videos is unknown and will be low until the model is fine-tuned on real data."
)


def percent(value):
    """A fraction as a percentage with two decimals ("-" for NaN or None)."""
    return "-" if value is None or np.isnan(value) else f"{100 * value:.2f}"


def _ms(seconds):
    return "-" if seconds is None else f"{1000 * seconds:.1f}"


def _millions(count, digits=3):
    return f"{count / 1e6:.{digits}f}M"


def accuracy_table(results):
    """Markdown: one row per model with top-1, top-5 (%) and inference time per clip.

    Args:
        results: {label: `evaluate_gesture_recognizer` dict}.
    """
    lines = ["| model | top-1 (%) | top-5 (%) | inference (ms per clip) |", "| --- | --- | --- | --- |"]
    for label, scores in results.items():
        lines.append(f"| {label} | {percent(scores['top1'])} | {percent(scores['top5'])} | "
                     f"{_ms(scores.get('seconds_per_clip'))} (batch {scores.get('batch_size', '-')}) |")
    return "\n".join(lines) + "\n"


def early_table(results):
    """Markdown: one row per model, top-1 and top-5 (%) at each observation ratio.

    Args:
        results: {label: {ratio: scores}} (`evaluate_early_recognizer` per model).
    """
    fractions = list(next(iter(results.values())))
    header = "| model | " + " | ".join(f"top-1 {fraction_key(f)}% (%) | top-5 {fraction_key(f)}% (%)"
                                      for f in fractions) + " |"
    lines = [header, "| --- |" + " --- | --- |" * len(fractions)]
    for label, by_fraction in results.items():
        cells = " | ".join(f"{percent(by_fraction[f]['top1'])} | {percent(by_fraction[f]['top5'])}" for f in fractions)
        lines.append(f"| {label} | {cells} |")
    return "\n".join(lines) + "\n"


def per_class_table(columns):
    """Markdown: per-class top-1 accuracy (%), one row per class, one column per result.

    Args:
        columns: {column label: scores} with "per_class", "class_counts" and
            "class_names" (all scored on the same clips).
    """
    first = next(iter(columns.values()))
    lines = ["| # | class | test clips | " + " | ".join(columns) + " |",
             "| --- | --- | --- |" + " --- |" * len(columns)]
    for i, name in enumerate(first["class_names"]):
        accuracies = " | ".join(percent(scores["per_class"][i]) for scores in columns.values())
        lines.append(f"| {i} | {name} | {int(first['class_counts'][i])} | {accuracies} |")
    return "\n".join(lines) + "\n"


def recurrent_complexity(model):
    """`keras_stlstm.utils.complexity` of a model's recurrent layers, or None if it has none."""
    from keras_stlstm.utils import complexity

    try:
        return complexity(model)
    except (ValueError, NotImplementedError):
        return None


@functools.lru_cache(maxsize=None)
def paper_scale_complexity(cell):
    """Counts of one recurrent layer of `cell` at the paper's size (Table 1's unit).

    256 filters, 3x3, on 28x28x256 inputs: parameters and multiply-adds per time
    step, in the paper's convention and the true one (`Complexity`).
    """
    from keras_stlstm.layers import get_conv_lstm_class
    from keras_stlstm.utils import complexity

    layer = get_conv_lstm_class(cell)(PAPER_LAYER["filters"], PAPER_LAYER["kernel_size"])
    return complexity(layer, PAPER_LAYER["input_shape"])


def describe_model(model):
    """One Markdown paragraph: class, configuration, parameter counts."""
    config = model.get_config()
    name = type(model).__name__
    keys = ("cell", "frames", "image_size", "res3d_filters", "recurrent_filters", "encoder_filters",
            "lstm_filters", "depth", "recall_window", "classifier_steps", "num_classes", "causal")
    arch = ", ".join(f"{k}={config[k]}" for k in keys if k in config)
    text = f"`{name}` ({arch}); {model.count_params():,} parameters"
    recurrent = recurrent_complexity(model)
    if recurrent is not None:
        text += (f", of which {recurrent.parameters:,} in the recurrent layers "
                 f"({recurrent.mult_adds:,} multiply-adds per time step and clip)")
    layers = getattr(model, "recurrent_layers", None)
    if layers:
        text += ". Recurrent layers: " + ", then ".join(f"`{type(layer).__name__}`" for layer in layers)
        if config.get("cell") in ("b", "c", "d"):
            text += " (only the first layer has the attention, as in the official code)"
    return text + ".\n"


def _fine_tune_section(info, model):
    frames, height, width, channels = model.inputs[0].shape[1:]
    if type(model).__name__ == "EarlyActivityRecognizer":
        new_head = (f'model = EarlyActivityRecognizer.from_preset("{info.name}", num_classes=N)  '
                    "# new classifier, same encoder and E3D-LSTM")
        loader = "from keras_stlstm.models import EarlyActivityRecognizer"
        command = ""
    else:
        new_head = f'model = GestureRecognizer.from_preset("{info.name}", num_classes=N)  # new head, same backbone'
        loader = "from keras_stlstm.models import GestureRecognizer"
        command = ("Your own videos, one folder per class (see the script's docstring):\n\n"
                   f"```bash\npython examples/fine_tune_on_your_videos.py --data my_gestures/train "
                   f"--preset {info.name}\n```\n")
    return "\n".join(part for part in [
        "## Fine-tuning on real data\n",
        "Use the preset as a starting point, with a new head for your classes. Real gesture data sets have "
        "readers: `keras_stlstm.datasets.readers.jester_dataset` / `JesterReader` (20BN-Jester's CSV label "
        "files and JPG frame folders) and `isogd_dataset` / `IsoGDReader` (ChaLearn IsoGD list files), "
        f"both resampling each clip to the model's {frames} frames of {height}x{width}x{channels}.\n",
        f"```python\n{loader}\n\n{new_head}\n```\n",
        command,
    ] if part)


def _training_section(facts):
    return "\n".join([
        "## Training\n",
        SYNTHETIC_DATA + "\n",
        recipe_section(facts),
        _run_section(facts) + "\n",
    ])


def _closing_sections(facts, limitations, intended_use):
    return "\n".join([
        "## Intended use\n",
        (facts.get("intended_use") or intended_use) + "\n",
        "## Limitations\n",
        "\n".join(f"- {item}" for item in (facts.get("limitations") or limitations)) + "\n",
    ])


GESTURE_LIMITATIONS = (
    "Trained on synthetic cartoon-hand clips only, not on Jester or any real video: do not expect useful "
    "predictions on camera footage before fine-tuning on real data.",
    "A small CPU configuration (32x32 frames, 8 frames), far below the paper's 112x112x16 network: its "
    "accuracies are not comparable with the paper's Jester or IsoGD figures.",
    "Inference times are measured on a shared CPU with the Keras backend named above; they vary with the "
    "machine and its load.",
)


def render_gesture_card(info, model, result, source, command, facts=None, environment=""):
    """The Markdown model card of a gesture classification preset.

    Args:
        info: its `PresetInfo`.
        model: the loaded model.
        result: `evaluate_gesture_recognizer` dict on the gesture test set.
        source: what was scored, e.g. "the 2,000 held-out synthetic test clips ...".
        command: the command line that reproduces the numbers.
        facts: the preset's card facts (`load_card_facts`).
        environment: where the inference time was measured (backend, CPU).

    Returns:
        The card text, YAML front matter first.
    """
    facts = facts or {}
    frames, height, width, channels = model.inputs[0].shape[1:]
    parts = card_heading(info, facts, datasets=(), metrics=("accuracy",), tags=GESTURE_TAGS,
                         pipeline_tag="video-classification") + [
        "```python\nimport keras_stlstm\n\n"
        f'model = keras_stlstm.from_preset("{info.name}")\n'
        f"probabilities = model.predict(clips)  # clips: (batch, {frames}, {height}, {width}, {channels}) "
        "in [0, 1]\n```\n",
        "## What it is\n",
        "The gesture paper's Res3D + convolutional LSTM + MobileNet network (Zhang et al., \"Attention in "
        f"Convolutional LSTM for Gesture Recognition\", NeurIPS 2018) at a CPU size: " + describe_model(model),
        _training_section(facts),
        _fine_tune_section(info, model),
        "## Evaluation\n",
        f"Measured with `{command}` on {source}:\n",
        accuracy_table({info.name: result}),
        f"Inference time: mean over batches after one warm-up batch{', ' + environment if environment else ''}.\n",
        f"![confusion matrix]({confusion_image_path(info.name)})\n",
        "Per-class top-1 accuracy (%):\n",
        per_class_table({info.name: result}),
        _closing_sections(facts, GESTURE_LIMITATIONS,
                          "A starting point for fine-tuning a small online gesture recognizer on real clips, "
                          "and a reproducible comparison of the gesture paper's recurrent cells at a size a "
                          "CPU can train. Not for use on people without fine-tuning and validation on real data."),
    ]
    return "\n".join(parts)


def confusion_image_path(name, fraction=None):
    """The card-relative path of a preset's confusion picture ("images/NAME_confusion[_25].png")."""
    suffix = f"_{fraction_key(fraction)}" if fraction is not None else ""
    return f"images/{name}_confusion{suffix}.png"


EARLY_LIMITATIONS = (
    "Trained on synthetic cartoon-hand clips only (not on Something-Something or any real video).",
    "A small CPU configuration; the E3D paper's figures (Something-Something, 41 classes) are not "
    "comparable with these.",
    "The 25% input shows only 4 of 16 frames (resampled to the model's frame count), so many gestures "
    "are not yet distinguishable there.",
)


def _comparison_facts(facts):
    """Card facts of the comparison model: given, else its run folder's metrics.json and recipe.json."""
    run_dir = resolve_repo_path(facts.get("comparison_model", ".")).parent
    run = facts.get("comparison_run") or _read_json_object(run_dir / "metrics.json")
    return {"run": run, "recipe": facts.get("comparison_recipe") or run_dir / "recipe.json"}


def render_early_card(info, model, results, source, command, facts=None, comparison_label=None,
                      comparison_note=None, environment=""):
    """The Markdown model card of an early recognition preset.

    Args:
        info, model, source, command, facts, environment: as in `render_gesture_card`.
        results: {label: {ratio: scores}}: the preset (label `info.name`) and,
            when it was evaluated, the comparison model (label `comparison_label`).
        comparison_label: label of the no-auxiliary-loss comparison in `results`.
        comparison_note: shown instead of its numbers when it could not be evaluated.

    Returns:
        The card text.
    """
    facts = facts or {}
    own = results[info.name]
    frames, height, width, channels = model.inputs[0].shape[1:]
    comparison = []
    if comparison_label and comparison_label in results:
        summary = training_summary(_comparison_facts(facts))
        trained = f" ({summary['wall_time']}, {summary['steps']} steps)" if summary["wall_time"] and summary["steps"] \
            else ""
        comparison.append(f"The comparison model `{facts.get('comparison_model', '?')}` has the same architecture "
                          f"and data, trained {comparison_label}{trained}.\n")
    else:
        comparison.append(comparison_note or "No comparison model without the auxiliary loss was evaluated.\n")
    columns = {f"{info.name} {fraction_key(f)}%": scores for f, scores in own.items()}
    parts = card_heading(info, facts, datasets=(), metrics=("accuracy",), tags=EARLY_TAGS,
                         pipeline_tag="video-classification") + [
        "```python\nimport keras_stlstm\nfrom keras_stlstm.models.early_activity.clips import early_fraction_clip\n\n"
        f'model = keras_stlstm.from_preset("{info.name}")\n'
        f"front = early_fraction_clip(clips, 0.5, frames={frames})  # clips: (batch, 16, {height}, {width}, "
        f"{channels}) in [0, 1]\nprobabilities = model.predict(front)[\"label\"]\n```\n",
        "## What it is\n",
        "The E3D-LSTM paper's early activity recognition network (Wang et al., ICLR 2019, section 4.4)"
        + (" in its online form (RECALL over the last steps only)" if model.get_config().get("recall_window") else "")
        + ", with an auxiliary next-frame prediction during training: " + describe_model(model),
        _training_section(facts),
        _fine_tune_section(info, model),
        "## Evaluation\n",
        f"Measured with `{command}` on {source}. The model sees only the front 25% or 50% of each 16-frame "
        f"test clip, resampled to its {frames} frames (`early_fraction_clip`), and names the whole gesture:\n",
        early_table(results),
        "\n".join(comparison),
        "Inference time per clip (ms, mean over batches after one warm-up batch"
        f"{', ' + environment if environment else ''}): "
        + ", ".join(f"{fraction_key(f)}%: {_ms(s['seconds_per_clip'])}" for f, s in own.items()) + ".\n",
        "\n".join(f"![confusion matrix at {fraction_key(f)}%]({confusion_image_path(info.name, f)})" for f in own)
        + "\n",
        "Per-class top-1 accuracy (%):\n",
        per_class_table(columns),
        _closing_sections(facts, EARLY_LIMITATIONS,
                          "Research and teaching: early (online) recognition from the first frames of a gesture, "
                          "and the effect of the E3D paper's self-supervised auxiliary loss, at a CPU size."),
    ]
    return "\n".join(parts)


def gesture_variants_page(trained, source, command, preset_config="cpu"):
    """zoo_cards/gesture_variants.md: the gesture paper's Table 1 beside ours, at both scales.

    Args:
        trained: {cell: {"name", "model", "result", "facts"}} for the cells whose
            preset was evaluated; a cell missing here is listed as not trained.
        source: what the test accuracy was measured on.
        command: the command line that produced the numbers.
        preset_config: the presets' GestureRecognizer configuration (for the text).

    Returns:
        The page's Markdown.
    """
    theirs = ["| cell | params | Mult-Adds | IsoGD top-1 (%) | Jester top-1 (%) |", "| --- | --- | --- | --- | --- |"]
    paper = ["| cell | params (no biases) | params (with biases) | Mult-Adds per step, paper convention | "
             "Mult-Adds per step, true |", "| --- | --- | --- | --- | --- |"]
    ours = ["| cell | preset | recurrent params | model params | recurrent Mult-Adds per step (true) | "
            "training time per step | inference (ms per clip) | test top-1 (%) | test top-5 (%) |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for cell in CELLS:
        label, params, mult_adds, isogd, jester = PUBLISHED_GESTURE_TABLE_1[cell]
        theirs.append(f"| {label} | {params:.3f}M | {mult_adds}M | {isogd:.2f} | {jester:.2f} |")
        counts = paper_scale_complexity(cell)
        paper.append(f"| {label} | {_millions(counts.parameters_without_biases)} | {_millions(counts.parameters)} | "
                     f"{counts.paper_mult_adds / 1e6:.1f}M | {counts.mult_adds / 1e6:.1f}M |")
        entry = trained.get(cell)
        if entry is None:
            ours.append(f"| {label} | not trained | - | - | - | - | - | - | - |")
            continue
        model, result = entry["model"], entry["result"]
        recurrent = recurrent_complexity(model)
        per_step = training_summary(entry.get("facts") or {})["seconds_per_step"]
        ours.append(
            f"| {label} | [{entry['name']}]({entry['name']}.md) | "
            f"{f'{recurrent.parameters:,}' if recurrent else '-'} | {model.count_params():,} | "
            f"{f'{recurrent.mult_adds:,}' if recurrent else '-'} | "
            f"{f'{per_step:.2f} s' if per_step else '-'} | {_ms(result['seconds_per_clip'])} | "
            f"{percent(result['top1'])} | {percent(result['top5'])} |")
    return "\n".join([
        "# The gesture paper's recurrent cells, at the paper's size and at ours\n",
        "ConvLSTM and the gesture paper's variants (a)-(d) (Zhang et al., NeurIPS 2018). In the networks, "
        "both recurrent layers use the cell for ConvLSTM and (a); for (b), (c) and (d) only the first layer "
        "has the attention and the second is (a), as in the official code.\n",
        "## The paper's Table 1 (theirs, not measured here)\n",
        "One recurrent layer of 256 filters, 3x3, on a 28x28x256 input, per time step; accuracies of the "
        "whole 112x112 Res3D + recurrent + MobileNet network trained on the real data sets (IsoGD "
        "validation, RGB; Jester validation).\n",
        "\n".join(theirs) + "\n",
        "## At the paper's size (computed here)\n",
        "The same layer (256 filters, 3x3, 28x28x256 input) counted by `keras_stlstm.utils.complexity`. The "
        "paper's Mult-Adds convention is (weights without biases) x 28 x 28, right for ConvLSTM but an "
        "over-count for (a)-(d), whose pooled gates run once per step, not once per position; the true "
        "column counts what is computed.\n",
        "\n".join(paper) + "\n",
        "## At our trained size (measured here, synthetic gestures)\n",
        f"`GestureRecognizer(config=\"{preset_config}\")`: {_geometry(trained, preset_config)}; both recurrent layers "
        "counted. Trained on synthetic renders, NOT on Jester: the accuracies say how the cells compare on this "
        f"synthetic task, not how they do on real gestures. Test accuracy on {source}, measured with "
        f"`{command}`; training time per step from each preset's training run (training minutes x 60 / "
        "steps); inference time per clip is the mean over batches after a warm-up batch on this machine.\n",
        "\n".join(ours) + "\n",
    ])


def _geometry(trained, preset_config):
    """"8 frames of 32x32, 27 classes" for the evaluated models (else the named configuration)."""
    from keras_stlstm.models.gesture.configs import GESTURE_CONFIGS

    shapes = {(tuple(e["model"].inputs[0].shape[1:3]), e["model"].outputs[0].shape[-1]) for e in trained.values()}
    if len(shapes) == 1:
        (frames, size), classes = shapes.pop()
        return f"{frames} frames of {size}x{size}, {classes} classes"
    spec = GESTURE_CONFIGS[preset_config]
    return f"{spec['frames']} frames of {spec['image_size'][0]}x{spec['image_size'][1]}, 27 classes"


def gesture_zoo_section(gesture_results, early_results, source, command, card_names=()):
    """The "gestures" section of zoo_cards/README.md (see `keras_stlstm.zoo.cards.update_zoo_readme`).

    Args:
        gesture_results: {preset: `evaluate_gesture_recognizer` dict}.
        early_results: {label: {ratio: scores}} (presets and comparison models).
        source: what was scored.
        command: the command line.
        card_names: presets with a card (zoo_cards/NAME.md).
    """
    parts = [
        "## Gesture recognition\n",
        SYNTHETIC_DATA + "\n",
        f"Measured with `{command}` on {source}:\n",
        accuracy_table(gesture_results) if gesture_results else "No gesture classification preset evaluated.\n",
    ]
    if early_results:
        parts += ["Early recognition (the front 25% / 50% of each 16-frame test clip):\n", early_table(early_results)]
    parts += [
        "The cells side by side with the gesture paper's Table 1: [gesture_variants.md](gesture_variants.md).\n",
        "### Gesture model cards\n",
        "".join(f"- [{name}]({name}.md)\n" for name in card_names) or "No preset evaluated yet.\n",
    ]
    return "\n".join(parts)
