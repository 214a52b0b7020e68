"""Scoring gesture classifiers and early recognizers on the fixed gesture test set.

A classifier is anything with `predict_on_batch(clips)` returning (batch, classes)
probabilities (a `GestureRecognizer`) or a dict whose "label" entry holds them (an
`EarlyActivityRecognizer`). Scores: top-1 and top-5 accuracy, per-class top-1
accuracy, the confusion matrix (rows: true class, columns: predicted class) and the
measured inference time per clip. Early recognizers are scored at observation
ratios: the model sees only the front of each 16-frame test clip, resampled to its
own frame count (`keras_stlstm.models.early_activity.clips.early_fraction_clip`).
"""

import time

import numpy as np

from keras_stlstm.datasets.jester_labels import JESTER_CLASSES
from keras_stlstm.models.early_activity.clips import early_fraction_clip
from keras_stlstm.zoo.evaluation import _batches, _check_sequences, _unit_float

EARLY_FRACTIONS = (0.25, 0.5)


def model_clip_shape(model):
    """Per-sample input shape (frames, H, W, C) of a clip model (None where free)."""
    shape = getattr(model, "clip_shape", None)
    if shape is None:
        shape = tuple(model.inputs[0].shape[1:])
    return tuple(shape)


def class_names(num_classes):
    """Jester's 27 names for a 27-class model, else "class 0", "class 1", ..."""
    if num_classes == len(JESTER_CLASSES):
        return tuple(JESTER_CLASSES)
    return tuple(f"class {i}" for i in range(num_classes))


def _check_labels(labels, count):
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != count or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"`labels` must be {count} integer class ids, shape ({count},); got {labels.dtype} array of shape "
            f"{labels.shape}."
        )
    return labels.astype(np.int64)


def classification_scores(probabilities, labels, names=None):
    """Top-1/top-5, per-class accuracy and confusion matrix of predicted probabilities.

    Args:
        probabilities: (N, K) class scores (any monotone scores work; the largest
            wins, the first one on ties).
        labels: (N,) true class ids in [0, K).
        names: K class names (default: `class_names(K)`).

    Returns:
        dict: "top1", "top5" (floats in [0, 1]; top-5 is top-K when K < 5),
        "per_class" ((K,) top-1 accuracy of each true class, NaN for a class
        without clips), "class_counts" ((K,) clips per class), "confusion"
        ((K, K) int64 counts, row = true class, column = predicted class),
        "class_names", "num_clips".

    Raises:
        ValueError: shapes that do not match, or labels outside [0, K).

    Example:

    >>> scores = classification_scores([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], [1, 1, 0])
    >>> scores["top1"], scores["per_class"].tolist(), scores["confusion"].tolist()
    (0.3333333333333333, [0.0, 0.5], [[0, 1], [1, 1]])
    """
    probabilities = np.asarray(probabilities, np.float64)
    if probabilities.ndim != 2:
        raise ValueError(f"`probabilities` must be (N, classes); got shape {probabilities.shape}.")
    count, num_classes = probabilities.shape
    labels = _check_labels(labels, count)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"`labels` must lie in [0, {num_classes}); got values from {labels.min()} to {labels.max()}.")
    # Stable sort of the negated scores: ties go to the lower class id, as argmax does.
    ranked = np.argsort(-probabilities, axis=1, kind="stable")
    predicted = ranked[:, 0]
    in_top5 = (ranked[:, :5] == labels[:, None]).any(axis=1)
    confusion = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    counts = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(counts > 0, np.diag(confusion) / np.maximum(counts, 1), np.nan)
    return {
        "top1": float(np.mean(predicted == labels)),
        "top5": float(np.mean(in_top5)),
        "per_class": per_class,
        "class_counts": counts,
        "confusion": confusion,
        "class_names": tuple(names) if names is not None else class_names(num_classes),
        "num_clips": int(count),
    }


def _class_probabilities(output):
    """(batch, K) probabilities of a model output: the array, or a dict's "label"."""
    if isinstance(output, dict):
        output = output["label"]
    return np.asarray(output)


def predict_probabilities(model, clips, batch_size=16, progress=True, desc="gesture test"):
    """Class probabilities of every clip and the measured inference time per clip.

    Every call gets a full batch (the last one is padded with black clips whose
    outputs are dropped), so the graph is traced once and every timed batch does
    the same work. One untimed warm-up call on the first batch comes first (graph
    tracing, memory allocation); the time per clip is the mean over the timed
    batches of (batch time / batch size).

    Args:
        model: see the module docstring.
        clips: (N, T, H, W, C), uint8 (0-255) or float in [0, 1].
        batch_size: clips per call (fewer if N is smaller).
        progress: show a tqdm bar.
        desc: the bar's label.

    Returns:
        (probabilities (N, K) float32, seconds per clip, batch size used).
    """
    _check_sequences(clips, name="clips")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer; got {batch_size!r}.")
    expected = model_clip_shape(model)
    given = tuple(np.shape(clips)[1:])
    if len(expected) != 4 or any(e is not None and e != g for e, g in zip(expected, given)):
        raise ValueError(f"The model takes clips of shape {expected} per sample; the test clips are {given}.")
    count = len(clips)
    batch = min(int(batch_size), count)

    def padded(start):
        x = _unit_float(clips[start:start + batch])
        if len(x) < batch:
            x = np.concatenate([x, np.zeros((batch - len(x),) + x.shape[1:], np.float32)])
        return x

    _class_probabilities(model.predict_on_batch(padded(0)))  # warm-up, not timed
    outputs, seconds = [], []
    for start in _batches(count, batch, progress, desc):
        x = padded(start)
        began = time.perf_counter()
        # np.asarray waits for the result, so the time covers the whole computation.
        probabilities = _class_probabilities(model.predict_on_batch(x))
        seconds.append((time.perf_counter() - began) / batch)
        outputs.append(probabilities[:min(batch, count - start)])
    return np.concatenate(outputs).astype(np.float32), float(np.mean(seconds)), batch


def evaluate_gesture_recognizer(model, clips, labels, batch_size=16, progress=True):
    """Accuracy, per-class accuracy, confusion matrix and speed of a gesture classifier.

    Args:
        model: a `GestureRecognizer` (or any model of the module docstring).
        clips: (N, T, H, W, C) at the model's input size, uint8 or float in [0, 1],
            e.g. `keras_stlstm.zoo.gesture_test_set(num_frames=8, image_size=32)`.
        labels: (N,) true class ids.
        batch_size, progress: as in `predict_probabilities`.

    Returns:
        `classification_scores` dict plus "seconds_per_clip" (mean inference
        time per clip after a warm-up batch), "batch_size" (of the timed calls)
        and "probabilities" (N, K).

    Example:

    >>> from keras_stlstm.models import GestureRecognizer
    >>> from keras_stlstm.zoo import gesture_test_set
    >>> clips, labels = gesture_test_set(27, num_frames=4, image_size=16)
    >>> model = GestureRecognizer("a", num_classes=27, config="tiny")
    >>> result = evaluate_gesture_recognizer(model, clips, labels, progress=False)
    >>> result["confusion"].shape, len(result["per_class"]), result["class_names"][0]
    ((27, 27), 27, 'Swiping Left')
    """
    labels = _check_labels(labels, len(clips))
    probabilities, seconds, batch = predict_probabilities(model, clips, batch_size, progress)
    scores = classification_scores(probabilities, labels)
    scores.update(seconds_per_clip=seconds, batch_size=batch, probabilities=probabilities)
    return scores


def _check_fractions(fractions):
    fractions = tuple(fractions)
    if not fractions or len(set(fractions)) != len(fractions):
        raise ValueError(f"`fractions` must be distinct observation ratios such as (0.25, 0.5); got {fractions!r}.")
    return fractions


def evaluate_early_recognizer(model, clips, labels, fractions=EARLY_FRACTIONS, batch_size=16, progress=True):
    """Early recognition accuracy: the model sees only the front `r` of each clip.

    The input for ratio r is ``early_fraction_clip(clip, r, frames=F)``: the first
    round(r · T) frames of the T-frame test clip, resampled uniformly to the
    model's F frames (so with T = 16, F = 8 and r = 0.25 the 4 front frames are
    each shown twice).

    Args:
        model: an `EarlyActivityRecognizer` (its "label" output is scored).
        clips: (N, T, H, W, C) whole test clips at the model's frame size, e.g.
            `gesture_test_set(num_frames=EARLY_TEST_FRAMES, image_size=32)`.
        labels: (N,) true class ids.
        fractions: observation ratios in (0, 1].
        batch_size, progress: as in `evaluate_gesture_recognizer`.

    Returns:
        {ratio: `evaluate_gesture_recognizer` dict} for each ratio, in order.

    Raises:
        ValueError: clips that are not (N, T, H, W, C), a bad ratio, or clips whose
            frame size differs from the model's.

    Example:

    >>> results = evaluate_early_recognizer(model, clips16, labels)  # doctest: +SKIP
    >>> results[0.25]["top1"], results[0.5]["top5"]  # doctest: +SKIP
    """
    _check_sequences(clips, name="clips")
    labels = _check_labels(labels, len(clips))
    frames = model_clip_shape(model)[0]
    results = {}
    for fraction in _check_fractions(fractions):
        early = early_fraction_clip(clips, fraction, frames=frames)
        results[fraction] = evaluate_gesture_recognizer(model, early, labels, batch_size, progress)
    return results


def fraction_key(fraction):
    """The percent suffix of a ratio in metric names: 0.25 -> "25"."""
    return f"{fraction * 100:g}".replace(".", "_")


def early_metrics(results, names=("top1",)):
    """Flat metrics of `evaluate_early_recognizer` results, e.g. {"top1_25": ..., "top1_50": ...}.

    Args:
        results: {ratio: scores}.
        names: which scores ("top1", "top5").

    Returns:
        {f"{name}_{percent}": value rounded to 4 decimals}.
    """
    return {f"{name}_{fraction_key(f)}": round(float(scores[name]), 4)
            for f, scores in results.items() for name in names}
