"""Video-prediction metrics: NumPy references and matching Keras metrics."""

from keras_stlstm.metrics.frame_metrics import (  # noqa: F401
    frame_mae,
    frame_mse,
    frame_psnr,
    frame_ssim,
    per_frame_curves,
    psnr_from_mse,
)
from keras_stlstm.metrics.keras_metrics import (  # noqa: F401
    FrameMAE,
    FrameMSE,
    FramePSNR,
    FrameSSIM,
    ssim_per_frame,
)
