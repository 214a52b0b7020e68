"""Res3D blocks 1-4 of the gesture network (official networks/res3d_*_mobilenet.py).

Block 1: Conv3D (3, 7, 7) stride (1, 2, 2), batch norm, ReLU. Blocks 2-4: two
residual units each; the first unit of every block has a 1×1×1 projection
shortcut (also in block 2, where the channels do not change, as in the official
code), and block 3's first unit strides (2, 2, 2). All convolutions have no bias
(batch norm follows) and use 'same' padding, or causal padding along time (see
`CausalConv3D`) for online models. Layer names follow the official code
(Conv3D_2a_1, BatchNorm_2a_1, ...) so its weights map one to one.

The builders here are plain Python objects that create their layers once and can
wire them twice: on whole clips for the model and, sharing the weights, on one
streaming step (see `keras_stlstm.models.streaming`).
"""

import keras

from keras_stlstm.models.building_blocks import CausalConv3D
from keras_stlstm.models.streaming import conv_step, inference

# Temporal stride of the whole Res3D part (block 3's first unit).
TEMPORAL_STRIDE = 2
# Spatial stride of the whole Res3D part (block 1 and block 3).
SPATIAL_STRIDE = 4


def make_conv3d(filters, kernel_size, strides, causal, name):
    """A bias-free 3D convolution, causal in time or 'same' everywhere."""
    common = dict(use_bias=False, kernel_initializer="he_normal", name=name)
    if causal:
        return CausalConv3D(filters, kernel_size, strides=strides, **common)
    return keras.layers.Conv3D(filters, kernel_size, strides=strides, padding="same", **common)


class ResidualUnit3D:
    """conv3×3×3-BN-ReLU-conv3×3×3-BN plus a (projected) shortcut, then ReLU.

    Args:
        filters: output channels.
        strides: stride of the first convolution and of the projection.
        project: whether the shortcut is a 1×1×1 convolution + batch norm.
        causal: causal temporal padding.
        tag: the official name stem, e.g. "2a".
    """

    def __init__(self, filters, strides, project, causal, tag):
        self.shortcut = None
        if project:
            self.shortcut = (
                make_conv3d(filters, (1, 1, 1), strides, causal, f"Conv3D_{tag}_1"),
                keras.layers.BatchNormalization(name=f"BatchNorm_{tag}_1"),
            )
        self.conv_a = make_conv3d(filters, (3, 3, 3), strides, causal, f"Conv3D_{tag}_a")
        self.bn_a = keras.layers.BatchNormalization(name=f"BatchNorm_{tag}_a")
        self.relu_a = keras.layers.ReLU(name=f"ReLU_{tag}_a")
        self.conv_b = make_conv3d(filters, (3, 3, 3), (1, 1, 1), causal, f"Conv3D_{tag}_b")
        self.bn_b = keras.layers.BatchNormalization(name=f"BatchNorm_{tag}_b")
        self.add = keras.layers.Add(name=f"Add_{tag}")
        self.relu = keras.layers.ReLU(name=f"ReLU_{tag}")

    def __call__(self, x, graph=None):
        """Whole clips, or one streaming step (batch norm frozen) with `graph`."""
        shortcut = x
        if self.shortcut is not None:
            conv, bn = self.shortcut
            shortcut = inference(bn, graph)(conv_step(conv, x, graph))
        y = self.relu_a(inference(self.bn_a, graph)(conv_step(self.conv_a, x, graph)))
        y = inference(self.bn_b, graph)(conv_step(self.conv_b, y, graph))
        return self.relu(self.add([shortcut, y]))


class Res3D:
    """Res3D blocks 1-4: (batch, L, H, W, C) -> (batch, L/2, H/4, W/4, filters[-1]).

    Args:
        filters: channels of blocks 1-2, 3 and 4; the paper's (64, 128, 256).
        stem_kernel_size: block 1's kernel, the paper's (3, 7, 7).
        causal: causal temporal padding everywhere (online models).

    Example:

    >>> import numpy as np
    >>> res3d = Res3D((4, 8, 8))
    >>> frames = keras.Input((4, 16, 16, 3))
    >>> tuple(res3d(frames).shape)
    (None, 2, 4, 4, 8)
    """

    def __init__(self, filters=(64, 128, 256), stem_kernel_size=(3, 7, 7), causal=False):
        if len(filters) != 3:
            raise ValueError(
                "Argument `res3d_filters` must hold 3 channel counts (blocks 1-2, 3, 4). "
                f"Received: {filters}"
            )
        f1, f2, f3 = filters
        self.stem = make_conv3d(f1, stem_kernel_size, (1, 2, 2), causal, "Conv3D_1")
        self.stem_bn = keras.layers.BatchNormalization(name="BatchNorm_1_0")
        self.stem_relu = keras.layers.ReLU(name="ReLU_1")
        self.units = [
            ResidualUnit3D(f1, (1, 1, 1), True, causal, "2a"),
            ResidualUnit3D(f1, (1, 1, 1), False, causal, "2b"),
            ResidualUnit3D(f2, (2, 2, 2), True, causal, "3a"),
            ResidualUnit3D(f2, (1, 1, 1), False, causal, "3b"),
            ResidualUnit3D(f3, (1, 1, 1), True, causal, "4a"),
            ResidualUnit3D(f3, (1, 1, 1), False, causal, "4b"),
        ]

    def __call__(self, x, graph=None):
        x = self.stem_relu(inference(self.stem_bn, graph)(conv_step(self.stem, x, graph)))
        for unit in self.units:
            x = unit(x, graph)
        return x
