"""Export a causal GestureRecognizer to TFLite (whole clip and streaming) and run it frame by frame.

Two files are written with `keras_stlstm.export.export_tflite`:

- `<name>_clip.tflite`: the whole clip in, class probabilities out (the recurrent
  loops unrolled over the model's fixed number of frames);
- `<name>_stream.tflite`: one streaming step: the next 2 frames (Res3D's temporal
  stride, `model.streaming_frames_per_step`) and the recurrent states in, the
  probabilities given every frame so far and the new states out. No loop, builtin
  TFLite ops only: what a phone app runs on a live camera.

The streaming file is then run step by step with the LiteRT interpreter
(`ai_edge_litert`, else TensorFlow's `tf.lite.Interpreter`), starting from zero
states and feeding every `new_state_i` back as `state_i`; its final output is
compared with the Keras model on the whole clip, and the time per step is printed.

    python examples/export_tflite.py --fast                   # tiny model (what CI runs)
    python examples/export_tflite.py                          # the "small" configuration
    python examples/export_tflite.py --quantize float16       # half-size streaming file
    python examples/export_tflite.py --preset NAME_OR_FOLDER  # a trained (causal) preset
"""

import argparse
import os
import time

import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default=None,
                        help="registered preset name, hf://org/name or preset folder (default: build a fresh model)")
    parser.add_argument("--cell", default="a", help='cell of a fresh model: "convlstm", "a", "b", "c" or "d"')
    parser.add_argument("--config", default="small", choices=("tiny", "small"),
                        help="configuration of a fresh model (both are causal)")
    parser.add_argument("--num-classes", type=int, default=27, help="classes of a fresh model (Jester: 27)")
    parser.add_argument("--quantize", default=None, choices=("float16", "dynamic_int8"),
                        help="weight quantisation of the streaming file (default: float32)")
    parser.add_argument("--repeats", type=int, default=3, help="clip passes timed on the streaming file")
    parser.add_argument("--out-dir", default=os.path.join("outputs", "export_tflite"),
                        help="where the .tflite files go (default: ./outputs/export_tflite)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fast", action="store_true", help='the "tiny" configuration, one timed pass (for CI)')
    args = parser.parse_args(argv)
    if args.fast:
        args.config, args.num_classes, args.repeats = "tiny", 5, 1
    return args


def load_or_build(args):
    import keras

    import keras_stlstm
    from keras_stlstm.models import GestureRecognizer

    if args.preset:
        model = keras_stlstm.from_preset(args.preset)
        print(f"loaded {args.preset}: {type(model).__name__}, {model.count_params():,} parameters")
    else:
        keras.utils.set_random_seed(args.seed)
        model = GestureRecognizer(args.cell, num_classes=args.num_classes, config=args.config)
        print(f"built GestureRecognizer(cell={args.cell!r}, config={args.config!r}): "
              f"{model.count_params():,} parameters (random weights)")
    if not isinstance(model, GestureRecognizer):
        raise SystemExit(f"{args.preset} builds {type(model).__name__}, not GestureRecognizer; for other models "
                         "use: keras-stlstm export NAME --format tflite --streaming")
    return model


def sample_clip(model, seed):
    """One clip the model takes: a rendered synthetic gesture when the frames are square RGB."""
    frames, height, width, channels = model.inputs[0].shape[1:]
    if height == width and channels == 3 and height >= 16:
        from keras_stlstm.datasets import synthetic_gestures

        clips, _ = synthetic_gestures(1, seed, "test", num_frames=frames, image_size=height, dtype="float32")
        return clips
    return np.random.default_rng(seed).random((1, frames, height, width, channels), dtype=np.float32)


def interpreter(path):
    """The LiteRT interpreter of a .tflite file (ai_edge_litert, else TensorFlow's copy)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    return Interpreter(model_path=str(path), num_threads=1)


def stream(path, clip, per_step, keras_step=None):
    """Runs the streaming file over `clip` step by step from zero states.

    Returns (last output, seconds per step, max |TFLite - Keras| over every new
    state of every step, or None without `keras_step`). With `keras_step` (the
    model's `streaming_model()`), the Keras step runs alongside on the same inputs.
    """
    runner = interpreter(path).get_signature_runner("serving_default")
    details = runner.get_input_details()
    states = {name: np.zeros([1] + list(d["shape"][1:]), np.float32) for name, d in details.items() if name != "frames"}
    output, seconds, state_error = None, [], None
    for start in range(0, clip.shape[1], per_step):
        frames = clip[:, start : start + per_step]
        tick = time.perf_counter()
        result = runner(frames=frames, **states)
        seconds.append(time.perf_counter() - tick)
        if keras_step is not None:
            # The step model's inputs are [frames, state_0, state_1, ...], its outputs
            # [output, new_state_0, ...]: the same names as the exported signature.
            names = [t.name.split(":")[0] for t in keras_step.inputs[1:]]
            expected = keras_step.predict_on_batch([frames] + [states[n] for n in names])[1:]
            error = max(float(np.max(np.abs(result["new_" + n] - np.asarray(e)))) for n, e in zip(names, expected))
            state_error = error if state_error is None else max(state_error, error)
        output = result["output"]
        states = {name: result["new_" + name] for name in states}
    return output, seconds, state_error


def main(argv=None):
    args = parse_args(argv)
    from keras_stlstm.export import export_tflite

    model = load_or_build(args)
    try:
        model.streaming_model()
    except ValueError as error:  # e.g. a non-causal "paper" model
        raise SystemExit(f"cannot stream this model: {error}")
    os.makedirs(args.out_dir, exist_ok=True)
    name = model.name
    clip_path = export_tflite(model, os.path.join(args.out_dir, f"{name}_clip.tflite"))
    stream_path = export_tflite(model, os.path.join(args.out_dir, f"{name}_stream.tflite"), streaming=True,
                                quantize=args.quantize)
    for path in (clip_path, stream_path):
        print(f"wrote {path} ({os.path.getsize(path) / 1024:,.0f} KB)")

    clip = sample_clip(model, args.seed)
    keras_probs = np.asarray(model.predict(clip, verbose=0))[0]
    runner = interpreter(clip_path).get_signature_runner("serving_default")
    clip_probs = runner(frames=clip)["output"][0]
    per_step = model.streaming_frames_per_step
    stream_probs, timings, state_error = stream(stream_path, clip, per_step, model.streaming_model())
    for _ in range(args.repeats - 1):
        timings += stream(stream_path, clip, per_step)[1]
    stream_probs = stream_probs[0]

    print(f"clip of {clip.shape[1]} frames = {clip.shape[1] // per_step} streaming steps of {per_step} frame(s)")
    clip_error = np.max(np.abs(clip_probs - keras_probs))
    print(f"whole-clip TFLite vs Keras, probabilities: max |difference| = {clip_error:.2g}")
    print(f"streaming TFLite ({args.quantize or 'float32'}) after the last step vs Keras on the whole clip, "
          f"probabilities: max |difference| = {np.max(np.abs(stream_probs - keras_probs)):.2g}; "
          f"top-1 class {int(stream_probs.argmax())} vs {int(keras_probs.argmax())}")
    print(f"streaming TFLite vs the Keras streaming_model(), every state of every step: "
          f"max |difference| = {state_error:.2g}")
    if np.ptp(keras_probs) < 1e-3:
        print("note: these weights (untrained?) give almost uniform probabilities, so the state comparison above is "
              "the informative one")
    median = float(np.median(timings)) * 1000
    print(f"streaming step latency (1 thread, median of {len(timings)} steps): {median:.2f} ms "
          f"= {median / per_step:.2f} ms per frame")

if __name__ == "__main__":
    main()
