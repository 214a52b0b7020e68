"""Scoring video predictors and the trivial baselines on the zoo's test sets.

A predictor is either a keras_stlstm `VideoPredictor` (anything with
`context_frames`, `future_frames` and the streaming interface) or a baseline
function ``baseline(context, horizon) -> future`` such as `all_black` or
`repeat_last_frame`. Scores are `keras_stlstm.metrics.per_frame_curves` of the
future frames: per-frame MSE/MAE (sums over the pixels), SSIM and PSNR.
"""

import numpy as np

from keras_stlstm.datasets.copy_test import CopyTestLayout
from keras_stlstm.metrics.frame_metrics import per_frame_curves


def all_black(context, horizon):
    """Baseline: every future frame black (zeros), (B, horizon, H, W, C)."""
    context = np.asarray(context)
    return np.zeros((context.shape[0], horizon) + context.shape[2:], np.float32)


def repeat_last_frame(context, horizon):
    """Baseline: the last context frame repeated `horizon` times."""
    last = np.asarray(context, np.float32)[:, -1:]
    return np.repeat(last, horizon, axis=1)


BASELINES = {"all-black": all_black, "repeat-last": repeat_last_frame}


def _unit_float(frames):
    frames = np.asarray(frames)
    if frames.dtype == np.uint8:
        return frames.astype(np.float32) / np.float32(255.0)
    return frames.astype(np.float32)


def _check_sequences(sequences, length=None, name="sequences"):
    if np.ndim(sequences) != 5:
        raise ValueError(f"`{name}` must have shape (N, T, H, W, C); got shape {np.shape(sequences)}.")
    if length is not None and np.shape(sequences)[1] != length:
        raise ValueError(f"`{name}` must have {length} frames per sequence; got shape {np.shape(sequences)}.")


def _batches(count, batch_size, progress, desc):
    starts = range(0, count, batch_size)
    if not progress:
        return starts
    from tqdm import tqdm

    return tqdm(starts, desc=desc, unit="batch", leave=False)


def _predict_video(model, context, horizon):
    """Future frames of a model or baseline for one batch of contexts."""
    if callable(model) and not hasattr(model, "context_frames"):
        return np.asarray(model(context, horizon))
    if context.shape[1] != model.context_frames:
        raise ValueError(
            f"The model takes {model.context_frames} context frames; the test sequences give "
            f"{context.shape[1]}."
        )
    if horizon == model.future_frames:  # whole-clip graph: one call per batch
        clip = np.concatenate([context, np.zeros((len(context), horizon) + context.shape[2:], np.float32)], 1)
        return np.asarray(model.predict_on_batch(clip))[:, model.context_frames - 1:]
    return model.predict_frames(context, horizon=horizon)


def evaluate_video_predictor(model, sequences, context_frames=10, batch_size=8, progress=True):
    """Per-frame metrics of the future frames of Moving MNIST sequences.

    Args:
        model: a VideoPredictor or a baseline function (see the module docstring).
        sequences: (N, T, H, W, 1), uint8 or float in [0, 1] (e.g. `video_test_set`,
            or the lazy view of a standard file, `open_moving_mnist_npy`); read
            one batch at a time.
        context_frames: frames given; the other T - context_frames are scored.
            A model's own `context_frames` is used when it has one.
        batch_size: sequences per prediction call.
        progress: show a tqdm progress bar.

    Returns:
        `per_frame_curves` dict: "mse", "mae", "ssim", "psnr" -> (T - context,)
        arrays and "mse_mean", ... -> floats.

    Example:

    >>> from keras_stlstm.zoo import load_test_sample
    >>> video, _ = load_test_sample()
    >>> round(evaluate_video_predictor(all_black, video, progress=False)["mse_mean"], 1)
    190.8
    """
    _check_sequences(sequences)
    context_frames = getattr(model, "context_frames", context_frames)
    horizon = np.shape(sequences)[1] - context_frames
    if horizon < 1:
        raise ValueError(f"`sequences` need more than {context_frames} frames; got shape {np.shape(sequences)}.")
    # Every metric is a mean over sequences, so the batches' curves, weighted by
    # their sizes, add up to the whole set's: memory stays one batch (a lazily
    # read 10,000-sequence file never sits in memory as float32).
    sums, total = {}, 0
    for start in _batches(len(sequences), batch_size, progress, "video test"):
        batch = _unit_float(sequences[start:start + batch_size])
        curves = per_frame_curves(batch[:, context_frames:], _predict_video(model, batch[:, :context_frames], horizon))
        for key, value in curves.items():
            sums[key] = sums.get(key, 0.0) + np.asarray(value, np.float64) * len(batch)
        total += len(batch)
    return {key: (float(value) / total if np.ndim(value) == 0 else value / total) for key, value in sums.items()}


def _copy_test_model_rollout(model, timeline, layout):
    """Runs a model's streaming step along copy-test timelines (B, 3T, H, W, C).

    The model reads the true frame where the timeline gives one and its own
    previous prediction where the frame is to be predicted (the target positions).

    Returns:
        (B, len(target_indices), H, W, C): the predicted target frames in timeline order.
    """
    step = model.streaming_model()
    states = model.streaming_initial_state(len(timeline))
    mask, frame, outputs = layout.target_mask, None, {}
    for t in range(layout.length - 1):
        x = frame if mask[t] else timeline[:, t]
        result = step.predict_on_batch([x] + states)
        frame, states = np.asarray(result[0]), [np.asarray(s) for s in result[1:]]
        if mask[t + 1]:
            outputs[t + 1] = frame
    return np.stack([outputs[t] for t in layout.target_indices], axis=1)


def predict_copy_test(model, timeline, layout=None):
    """Predictions of Seq 2's future frames for copy-test timelines (B, 3T, H, W, C) in [0, 1]."""
    layout = layout or CopyTestLayout()
    if callable(model) and not hasattr(model, "streaming_model"):
        return np.asarray(model(timeline[:, :layout.seq2_input.stop], layout.num_frames - layout.context))
    return _copy_test_model_rollout(model, timeline, layout)[:, layout.eval_targets]


def evaluate_copy_test(model, timelines, layout=None, batch_size=8, progress=True):
    """Per-frame metrics on the copy test's scored frames (Seq 2's future).

    Args:
        model: a VideoPredictor with the streaming interface, or a baseline
            function (it gets the timeline up to Seq 2's last given frame).
        timelines: (N, 3T, H, W, 1) from `copy_test_sequences`, uint8 or float.
        layout: the `CopyTestLayout` (default 20 frames, 10 given).
        batch_size, progress: as in `evaluate_video_predictor`.

    Returns:
        `per_frame_curves` dict over the T - context scored frames.
    """
    layout = layout or CopyTestLayout()
    _check_sequences(timelines, layout.length, "timelines")
    predictions = []
    for start in _batches(len(timelines), batch_size, progress, "copy test"):
        timeline = _unit_float(timelines[start:start + batch_size])
        predictions.append(predict_copy_test(model, timeline, layout))
    truth = _unit_float(timelines[:, layout.seq2_target])
    return per_frame_curves(truth, np.concatenate(predictions))
