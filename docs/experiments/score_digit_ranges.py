"""Scores the shipped video presets on test-protocol sequences built from other digit ranges.

Question: is the gap between a preset's training loss and its test MSE overfitting to the
training digits (MNIST t10k 0-7999), or are the held-out test digits (8000-9999) harder?
The first 5,000 t10k digits "are cleaner and easier than the last 5,000" (LeCun et al.'s MNIST
page), so the test digits all come from the harder half.

Each range gets 1,000 sequences from the zoo's test generator (seed 2015, as
`keras_stlstm.zoo.test_sets.video_test_set`), scored on the 10 future frames.
Ranges 0-1999, 3000-4999 and 5000-6999 were seen in training; 8000-9999 is the test set.

Run (about 15 minutes on 2 CPU cores):
    KERAS_BACKEND=tensorflow python docs/experiments/score_digit_ranges.py ../shared/data/mnist
Output: docs/experiments/score_digit_ranges.log (written by this command).
"""

import sys

from keras_stlstm.datasets import load_digits
from keras_stlstm.datasets.moving_mnist import moving_mnist_test_set
from keras_stlstm.presets.loading import load_preset
from keras_stlstm.zoo.evaluation import all_black, evaluate_video_predictor

RANGES = {"0-1999": (0, 2000), "3000-4999": (3000, 5000), "5000-6999": (5000, 7000), "8000-9999": (8000, 10000)}
PRESETS = ("convlstm_moving_mnist", "predrnn_moving_mnist", "e3d_lstm_moving_mnist")
NUM_SEQUENCES = 1000


def main(digits_source):
    digits = load_digits(digits_source, "t10k")
    videos = {name: moving_mnist_test_set(digits[a:b], num_sequences=NUM_SEQUENCES) for name, (a, b) in RANGES.items()}
    print(f"{'model':24s}" + "".join(f"{name:>12s}" for name in RANGES))
    models = [("all-black", all_black)] + [(name, load_preset(name)) for name in PRESETS]
    for name, model in models:
        scores = [evaluate_video_predictor(model, videos[r], batch_size=32, progress=False)["mse_mean"] for r in RANGES]
        print(f"{name:24s}" + "".join(f"{s:12.2f}" for s in scores), flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/mnist")
