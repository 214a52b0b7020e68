"""Train a VideoPredictor on Moving MNIST from a recipe, then draw one of its predictions.

A recipe (TOML) names the model and its arguments, the data, the optimiser and the
run; `keras_stlstm.training.train` validates it, trains, and writes the run folder
(training_log.csv, metrics.json, recipe.json, model/). This script loads the
recipe (a built-in name such as "e3d_moving_mnist", "predrnn_moving_mnist",
"convlstm_moving_mnist", or a path to your own TOML file), applies the overrides
given on the command line, trains, then rolls the trained model out on a held-out
sequence and writes a PNG strip: context | true future | predicted future.

    python examples/train_moving_mnist.py --fast                        # seconds (what CI runs)
    python examples/train_moving_mnist.py --fast --epochs 10 --steps 100   # the tiny model, trained longer
    python examples/train_moving_mnist.py --recipe predrnn_moving_mnist    # the official recipe
    python examples/train_moving_mnist.py --recipe my_recipe.toml --digits path/to/mnist

The official recipes train full-size models for 80,000 iterations: run them on a
GPU. `--digits sample` uses the 64 MNIST digits shipped with the package (no
download); the recipes' default "keras" downloads MNIST once. Overrides given
with --fast apply after it.
"""

import argparse
import copy
import os

import numpy as np

# --fast: a model that trains in seconds on a CPU. Moving MNIST digits are 28x28,
# so frames must be at least 28 pixels wide: 32x32 patched 4x4 gives 8x8x16.
FAST_MODEL = {"context_frames": 3, "future_frames": 3, "image_size": 32, "patch_size": 4, "filters": [8]}
FAST_KERNELS = {"e3d": [2, 3, 3], "predrnn": 3, "convlstm": 3}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", default="e3d_moving_mnist",
                        help="built-in recipe name or path of a TOML recipe (default: e3d_moving_mnist)")
    parser.add_argument("--digits", default=None,
                        help='MNIST digits: "sample" (shipped, 64 per split), "keras" (download) or an IDX '
                             "file/folder; default: the recipe's")
    parser.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    parser.add_argument("--steps", type=int, default=None, help="override the recipe's steps_per_epoch")
    parser.add_argument("--batch-size", type=int, default=None, help="override the recipe's batch_size")
    parser.add_argument("--out-dir", default=os.path.join("outputs", "train_moving_mnist"),
                        help="run folder and PNG go here (default: ./outputs/train_moving_mnist)")
    parser.add_argument("--overwrite", action="store_true", help="discard a finished run in the run folder")
    parser.add_argument("--fast", action="store_true",
                        help="tiny model, 2 steps, shipped sample digits, no validation (for CI)")
    return parser.parse_args(argv)


def load_raw_recipe(recipe):
    """The recipe as the nested dict of its TOML file (`train` validates it again)."""
    from keras_stlstm.training.recipe import load_toml, recipe_path

    return load_toml(recipe_path(recipe))


def apply_overrides(recipe, args, run_dir):
    """A copy of `recipe` with the command line's overrides (and --fast's) applied."""
    recipe = copy.deepcopy(recipe)
    model, data, training = recipe["model"], recipe["data"], recipe["training"]
    training["output_dir"] = run_dir
    if args.fast:
        backbone = model.get("backbone", "e3d")
        model.update(FAST_MODEL, kernel_size=FAST_KERNELS[backbone])
        data.update(digits="sample", validation_steps=0)
        # XLA compilation of the unrolled rollout takes longer than these two steps.
        training.update(batch_size=2, epochs=1, steps_per_epoch=2, jit_compile=False, verbose=0)
    for key, value in (("epochs", args.epochs), ("steps_per_epoch", args.steps), ("batch_size", args.batch_size)):
        if value is not None:
            training[key] = value
    if args.digits is not None:
        data["digits"] = args.digits
    return recipe


def held_out_sequence(model, seed=0):
    """One Moving MNIST test sequence from the shipped held-out digits, at the model's size."""
    from keras_stlstm.datasets import generate_moving_mnist, load_sample_digits

    frames = model.context_frames + model.future_frames
    return generate_moving_mnist(load_sample_digits("test"), 1, seed, num_frames=frames,
                                 image_size=model.image_size[0])


def main(argv=None):
    args = parse_args(argv)
    from keras_stlstm.datasets.video_io import write_comparison_strip
    from keras_stlstm.training import train

    name = os.path.splitext(os.path.basename(args.recipe))[0]
    run_dir = os.path.join(args.out_dir, name)
    recipe = apply_overrides(load_raw_recipe(args.recipe), args, run_dir)
    print(f"recipe {args.recipe}: {recipe['model']['class']}({recipe['model'].get('backbone')}), "
          f"{recipe['training']['epochs']} epoch(s) x {recipe['training'].get('steps_per_epoch')} steps, "
          f"digits {recipe['data']['digits']!r}")
    result = train(recipe, overwrite=args.overwrite or args.fast)
    model = result.model
    final = result.metrics["final"]
    print(f"trained {model.count_params():,} parameters; last epoch: "
          + ", ".join(f"{k} {v:.4g}" for k, v in final.items() if isinstance(v, float)))

    clip = held_out_sequence(model)
    context, truth = clip[:, : model.context_frames], clip[:, model.context_frames :]
    prediction = model.predict_frames(context, horizon=model.future_frames)
    mse = float(np.mean((prediction - truth) ** 2))
    png = os.path.join(args.out_dir, f"{name}_prediction.png")
    write_comparison_strip(png, context[0], truth[0], prediction[0])
    print(f"held-out sequence: per-pixel MSE of the {model.future_frames} predicted frames = {mse:.4f}")
    for path in ("training_log.csv", "metrics.json", "recipe.json", "model"):
        print(f"wrote {os.path.join(result.output_dir, path)}")
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
