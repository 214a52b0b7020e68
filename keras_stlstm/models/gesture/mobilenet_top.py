"""MobileNet's top as the gesture network runs it on every time step.

Depthwise-separable 3×3 convolutions, each followed by batch norm and ReLU6
(official networks/res3d_*_mobilenet.py, `mobilenet()`): 256, 256 stride 2,
512 ×5, 1024 stride 2, 1024 stride 2, turning 28×28×256 into 4×4×1024. As in the
official code the separable convolutions keep Keras' default bias (redundant
before batch norm, but part of the official parameter count).
"""

import keras

# (filters, stride) of the official top.
PAPER_TOP = ((256, 1), (256, 2), (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 2))
# Official layer name suffixes, in order.
_TAGS = ("1a", "1b", "2a", "2b", "2c", "2d", "2e", "3a", "3b")


def _tags(count):
    return _TAGS if count == len(_TAGS) else tuple(str(i + 1) for i in range(count))


def mobilenet_top(filters, strides, input_shape, name="mobilenet_top"):
    """The per-frame MobileNet top as a `keras.Sequential`.

    Args:
        filters: output channels of each separable convolution.
        strides: stride of each (same length as `filters`).
        input_shape: per-frame input (H, W, C).
        name: model name.

    Returns:
        A built `keras.Sequential` mapping (batch, H, W, C) to
        (batch, H / prod(strides), W / prod(strides), filters[-1]) (rounded up).

    Example:

    >>> top = mobilenet_top((8, 16), (1, 2), (8, 8, 4))
    >>> top.output_shape
    (None, 4, 4, 16)
    """
    if len(filters) != len(strides) or not filters:
        raise ValueError(
            "Arguments `top_filters` and `top_strides` must be non-empty and of equal "
            f"length. Received: top_filters={filters}, top_strides={strides}"
        )
    layers = [keras.Input(tuple(input_shape))]
    for tag, f, s in zip(_tags(len(filters)), filters, strides):
        layers += [
            keras.layers.SeparableConv2D(
                f, 3, strides=s, padding="same", name=f"SeparableConv2D_{tag}"
            ),
            keras.layers.BatchNormalization(name=f"BatchNorm_Conv2d_{tag}"),
            keras.layers.ReLU(max_value=6.0, name=f"ReLU_Conv2d_{tag}"),
        ]
    return keras.Sequential(layers, name=name)
