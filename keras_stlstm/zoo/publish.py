"""`keras-stlstm zoo-publish`: turn a finished training run into a registered preset.

A run folder written by `keras-stlstm train` (runs/NAME/: model/, training_log.csv,
metrics.json, recipe.json) becomes:

- ``weights/NAME/``: the preset folder (`save_preset`), registered in
  registry.json with the sha256 of every file (`register_preset`);
- ``zoo_cards/logs/NAME/``: the run's training log, metrics and validated
  recipe, kept in the repository so every card's training facts can be checked
  (runs/ itself is not versioned);
- ``keras_stlstm/zoo/cards/NAME.json``: the card facts (recipe file, run
  metrics, hardware) that `zoo-evaluate` / `zoo-evaluate-gestures` render into
  the model card. Keys already in that file (a hand-written summary,
  limitations) are kept.

Evaluate afterwards with `keras-stlstm zoo-evaluate --write-cards` (video) or
`keras-stlstm zoo-evaluate-gestures --write-cards`, which write the cards and
re-hash the preset's files.
"""

import json
import os
import pathlib
import platform

from keras_stlstm.presets.files import write_text_atomic
from keras_stlstm.zoo.cards import FACTS_DIR

RUN_FILES = ("training_log.csv", "metrics.json", "recipe.json")


def machine_description():
    """e.g. "2-core CPU (x86_64, Linux)": what the cards record as training hardware."""
    return f"{os.cpu_count()}-core CPU ({platform.machine()}, {platform.system()})"


def copy_run_logs(run_dir, logs_dir):
    """Copies the run's log, metrics and recipe into `logs_dir` (each written atomically)."""
    logs_dir = pathlib.Path(logs_dir)
    logs_dir.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in RUN_FILES:
        source = pathlib.Path(run_dir) / name
        if not source.is_file():
            raise FileNotFoundError(f"{run_dir} is not a finished training run: {name} is missing.")
        with open(source, encoding="utf-8", newline="") as f:  # keep the line endings as written
            write_text_atomic(logs_dir / name, f.read())
        copied.append(logs_dir / name)
    return copied


def stage_facts(run_metrics, recipes, logs_dir):
    """The card's "stages" of a warm-started run, copying each earlier run's logs into
    `logs_dir`/stage_K/ (when its folder is still there).

    Args:
        run_metrics: the run's metrics.json (its "earlier_stages", oldest first).
        recipes: the TOML recipe of every stage, oldest first, the run's own last.
        logs_dir: where the run's own logs went (zoo_cards/logs/NAME).

    Returns:
        list of {"recipe", "logs", "steps", "training_minutes", "training_clock"}, or []
        for a run that was not warm-started.

    Raises:
        ValueError: the number of recipes does not match the stages.
    """
    earlier = run_metrics.get("earlier_stages") or []
    if not earlier:
        return []
    if len(recipes) != len(earlier) + 1:
        raise ValueError(f"The run has {len(earlier) + 1} training stages (it was warm-started from "
                         f"{earlier[-1].get('run')}); give --recipe once per stage, oldest first "
                         f"(received {len(recipes)}).")
    stages = []
    for number, (stage, recipe) in enumerate(zip(earlier, recipes), 1):
        stage_logs = pathlib.Path(logs_dir) / f"stage_{number}"
        if stage.get("run") and (pathlib.Path(stage["run"]) / "metrics.json").is_file():
            copy_run_logs(stage["run"], stage_logs)
        stages.append({"recipe": str(recipe), "logs": str(stage_logs) if stage_logs.is_dir() else None,
                       **{k: stage.get(k) for k in ("steps", "training_minutes", "training_clock")}})
    stages.append({"recipe": str(recipes[-1]), "logs": str(logs_dir),
                   **{k: run_metrics.get(k) for k in ("steps", "training_minutes", "training_clock")}})
    return stages


def publish_run(run_dir, name, description, recipe=None, logs_root="zoo_cards/logs", hardware=None,
                facts_dir=FACTS_DIR, weights_dir=None, overwrite=False, extra_facts=None,
                recalibrate_batch_norm_batches=0):
    """Registers the model of a finished run as preset `name`.

    Args:
        run_dir: the run folder (holds model/ and the logs).
        name: the preset name.
        description: one line for the registry.
        recipe: the TOML recipe the run came from (recorded in the card facts); for a
            warm-started run, a list of the recipe of every stage, oldest first.
        logs_root: where the run's logs are copied (logs_root/NAME/).
        hardware: text for the card; default `machine_description()`.
        facts_dir: folder of the card facts JSON files.
        weights_dir: the weights root (default `keras_stlstm.presets.weights_root()`).
        overwrite: replace an existing preset folder and registry entry.
        extra_facts: more card facts to record (e.g. a comparison model).
        recalibrate_batch_norm_batches: re-estimate BatchNormalization statistics
            on this many fresh training batches of the run's recipe before saving
            (`keras_stlstm.training.batch_norm`), for runs that did not do it
            themselves; recorded in the card facts.

    Returns:
        The registered `PresetInfo`.
    """
    import keras

    import keras_stlstm.models  # noqa: F401  (registers the model classes load_model deserializes)
    from keras_stlstm.presets import register_preset, save_preset, weights_root

    run_dir = pathlib.Path(run_dir)
    model_dir = run_dir / "model"
    if not (model_dir / "config.json").is_file():
        raise FileNotFoundError(f"{run_dir} holds no finished model ({model_dir}/config.json is missing); "
                                "let `keras-stlstm train` finish first.")
    logs_dir = pathlib.Path(logs_root) / name
    recipes = [recipe] if isinstance(recipe, (str, os.PathLike)) else list(recipe or [])
    metrics_file = run_dir / "metrics.json"
    run_metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.is_file() else {}
    stages = stage_facts(run_metrics, recipes, logs_dir)  # checks the recipes before anything is written
    copy_run_logs(run_dir, logs_dir)
    model = keras.saving.load_model(model_dir, safe_mode=True, compile=False)
    run_recipe = json.loads((logs_dir / "recipe.json").read_text(encoding="utf-8"))
    if recalibrate_batch_norm_batches:
        from keras_stlstm.training.batch_norm import recalibrate_batch_norm
        from keras_stlstm.training.recipe import load_recipe
        from keras_stlstm.training.train import recalibration_batches

        batches = recalibration_batches(load_recipe(run_recipe), model, recalibrate_batch_norm_batches)
        recalibrate_batch_norm(model, batches, progress=True)
    folder = pathlib.Path(weights_dir or weights_root()) / name
    save_preset(model, folder, overwrite=overwrite)
    facts_path = pathlib.Path(facts_dir) / f"{name}.json"
    facts = json.loads(facts_path.read_text(encoding="utf-8")) if facts_path.is_file() else {}
    facts.update({"run": str(logs_dir / "metrics.json"), "hardware": hardware or machine_description()})
    facts.pop("stages", None)
    if stages:
        facts["stages"] = stages
    if recipes:
        facts["recipe"] = str(recipes[-1])
    recalibrated = recalibrate_batch_norm_batches or run_recipe["training"].get("batch_norm_recalibration_batches")
    if recalibrated:  # here or by the run itself
        facts["batch_norm_recalibration_batches"] = recalibrated
    facts.update(extra_facts or {})
    facts_path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(facts_path, json.dumps(facts, indent=2, sort_keys=True) + "\n")
    return register_preset(folder, name, description, overwrite=overwrite)


def add_parser(sub):
    p = sub.add_parser("zoo-publish", help="register a finished training run as a preset (weights/NAME)")
    p.add_argument("run_dir", help="the run folder written by `keras-stlstm train`")
    p.add_argument("name", help="preset name")
    p.add_argument("--description", required=True, help="one line for the registry")
    p.add_argument("--recipe", action="append", default=None,
                   help="the recipe TOML the run came from; once per stage, oldest first, for a warm-started run")
    p.add_argument("--hardware", default=None, help="training hardware for the card (default: this machine)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing preset of that name")
    p.add_argument("--recalibrate-bn", type=int, default=0, metavar="BATCHES",
                   help="re-estimate BatchNorm statistics on this many fresh training batches first")
    p.set_defaults(func=cmd_zoo_publish)
    return p


def cmd_zoo_publish(args):
    info = publish_run(args.run_dir, args.name, args.description, recipe=args.recipe, hardware=args.hardware,
                       overwrite=args.overwrite, recalibrate_batch_norm_batches=args.recalibrate_bn)
    print(f"Registered {info.name} ({info.builder}, {len(info.files)} files). Next: keras-stlstm zoo-evaluate "
          "--write-cards (video) or zoo-evaluate-gestures --write-cards (gesture) to write its card.")
    return 0
