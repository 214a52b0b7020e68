"""Published figures (their test sets, training and scale, not ours).

Moving MNIST 10 -> 10 from the E3D-LSTM paper (Wang et al., ICLR 2019, Table 1: 10,000-sequence standard
test file) and OpenSTL (Tan et al., NeurIPS 2023 Datasets and Benchmarks, Moving
MNIST 200 / 2000 epochs). Per-frame MSE is the sum over a 64x64 frame's pixels.
The gesture paper's Table 1 as quoted in the project spec (spec/cells.md).
"""

PUBLISHED_MOVING_MNIST = (
    # (model, source, MSE, SSIM, notes)
    ("ConvLSTM", "E3D paper Table 1", 96.5, 0.713, ""),
    ("PredRNN", "E3D paper Table 1", 56.5, 0.869, ""),
    ("PredRNN++", "E3D paper Table 1", 46.3, 0.885, ""),
    ("E3D-LSTM", "E3D paper Table 1", 41.3, 0.910, "copy test: MSE 56.8, SSIM 0.852"),
    ("ConvLSTM-S (15.0M params)", "OpenSTL, 200 epochs", 29.80, 0.9288, "PSNR 22.10"),
    ("PredRNN (23.8M params)", "OpenSTL, 200 epochs", 23.97, 0.9462, ""),
    ("E3D-LSTM (51.0M params)", "OpenSTL, 200 epochs", 35.97, 0.9320, "18 FPS on a V100"),
    ("PredRNN++", "OpenSTL, 2000 epochs", 14.07, 0.9698, ""),
)

# The gesture paper's Table 1 (Zhang, Zhu, Shen, Song, Shah, Bennamoun, "Attention in Convolutional
# LSTM for Gesture Recognition", NeurIPS 2018): one recurrent layer of F = 256 filters, 3x3, on a
# 28x28x256 input, per time step; accuracies of the whole Res3D + recurrent + MobileNet network
# (IsoGD validation, RGB; Jester validation). Their Mult-Adds column counts (weights without biases)
# x 28 x 28, an over-count for (a)-(d) (see keras_stlstm.utils.complexity).
PUBLISHED_GESTURE_TABLE_1 = {
    # cell: (label, parameters in millions, Mult-Adds in millions, IsoGD top-1 %, Jester top-1 %)
    "convlstm": ("ConvLSTM", 4.719, 3700, 52.01, 95.11),
    "a": ("(a)", 0.529, 415, 55.98, 95.12),
    "b": ("(b)", 0.667, 522, 43.93, 94.18),
    "c": ("(c)", 0.601, 472, 53.27, 95.13),
    "d": ("(d)", 0.601, 472, 54.11, 95.10),
}
