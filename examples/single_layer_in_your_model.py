"""Use one of the gesture paper's ConvLSTM variants as a layer inside your own Keras model.

The model below is an ordinary functional model: a `PooledGateConvLSTM` (the
paper's variant (a), or any cell picked by its letter with `--cell`) reads a clip
of frames and a 1x1x1 Conv3D turns its hidden state into the next frame. It is
trained for a few steps with `model.fit` on a toy task (a square moving in a
straight line: predict where it is in the next frame), saved as a `.keras` file
and loaded back with `safe_mode=True`, which works because every layer of
keras_stlstm is registered with Keras.

    python examples/single_layer_in_your_model.py            # about 30 s on a 2-core CPU
    python examples/single_layer_in_your_model.py --fast     # what CI runs
    python examples/single_layer_in_your_model.py --cell b   # variant (b), input attention
"""

import argparse
import os
import time

import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cell", default="a", help='"convlstm", "a", "b", "c" or "d" (default: a)')
    parser.add_argument("--filters", type=int, default=16, help="channels of the recurrent layer")
    parser.add_argument("--frames", type=int, default=8, help="frames per training clip")
    parser.add_argument("--size", type=int, default=24, help="height and width of the frames")
    parser.add_argument("--clips", type=int, default=256, help="number of training clips")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out-dir", default=os.path.join("outputs", "single_layer"),
                        help="where the .keras file is written (default: ./outputs/single_layer)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fast", action="store_true", help="tiny sizes, one short epoch (for CI)")
    args = parser.parse_args(argv)
    if args.fast:
        args.filters, args.frames, args.size, args.clips, args.epochs = 4, 4, 12, 16, 1
    return args


def moving_squares(num_clips, frames, size, seed):
    """(clips, frames, size, size, 1) float32: a 3x3 square moving one pixel per frame.

    Each clip has its own start and direction; the square bounces off the edges,
    so the next frame follows from the last two.
    """
    rng = np.random.default_rng(seed)
    clips = np.zeros((num_clips, frames, size, size, 1), np.float32)
    for n in range(num_clips):
        pos = rng.integers(0, size - 3, size=2)
        step = rng.choice([-1, 1], size=2)
        for t in range(frames):
            clips[n, t, pos[0] : pos[0] + 3, pos[1] : pos[1] + 3] = 1.0
            for axis in range(2):
                if not 0 <= pos[axis] + step[axis] <= size - 3:
                    step[axis] = -step[axis]
            pos = pos + step
    return clips


def build_model(cell, filters, frames, size):
    """Frames (batch, frames, size, size, 1) -> predicted next frames, same shape."""
    import keras

    from keras_stlstm.layers import get_conv_lstm_class

    layer_class = get_conv_lstm_class(cell)  # "a" -> PooledGateConvLSTM, "b" -> InputAttentionConvLSTM, ...
    inputs = keras.Input((frames, size, size, 1), name="frames")
    hidden = layer_class(filters, 3, return_sequences=True, name="recurrent")(inputs)
    outputs = keras.layers.Conv3D(1, 1, activation="sigmoid", name="next_frame")(hidden)
    return keras.Model(inputs, outputs, name=f"next_frame_{cell}")


def main(argv=None):
    args = parse_args(argv)
    import keras

    import keras_stlstm.layers  # noqa: F401  (registers the layers, so safe_mode loading finds them)

    keras.utils.set_random_seed(args.seed)
    clips = moving_squares(args.clips, args.frames + 1, args.size, args.seed)
    inputs, targets = clips[:, :-1], clips[:, 1:]

    model = build_model(args.cell, args.filters, args.frames, args.size)
    recurrent = model.get_layer("recurrent")
    print(f"cell {args.cell!r} -> {type(recurrent).__name__}, {model.count_params():,} parameters")
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["mse"])
    _, before = model.evaluate(inputs, targets, batch_size=16, verbose=0)
    started = time.time()
    model.fit(inputs, targets, batch_size=16, epochs=args.epochs, verbose=0)
    _, after = model.evaluate(inputs, targets, batch_size=16, verbose=0)
    copy_last = float(np.mean((inputs - targets) ** 2))  # the "nothing moves" baseline
    print(f"trained {args.epochs} epoch(s) on {args.clips} clips in {time.time() - started:.1f} s: "
          f"next-frame MSE {before:.4f} -> {after:.4f} (copying the last frame: {copy_last:.4f})")

    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, f"next_frame_{args.cell}.keras")
    model.save(path)
    restored = keras.saving.load_model(path, safe_mode=True)
    sample = inputs[:4]
    difference = np.max(np.abs(np.asarray(restored.predict(sample, verbose=0))
                               - np.asarray(model.predict(sample, verbose=0))))
    print(f"reloaded with safe_mode=True: max |reloaded - original| = {difference:.2g}")
    if difference > 1e-5:
        raise SystemExit("the reloaded model does not reproduce the original's predictions")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
