"""Published Moving MNIST 10 -> 10 figures (their test sets, training and scale, not ours).

From the E3D-LSTM paper (Wang et al., ICLR 2019, Table 1: 10,000-sequence standard
test file) and OpenSTL (Tan et al., NeurIPS 2023 Datasets and Benchmarks, Moving
MNIST 200 / 2000 epochs). Per-frame MSE is the sum over a 64x64 frame's pixels.
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
