"""A 'same' 3D convolution of shallow blocks computed as one 2D convolution per depth tap.

E3D-LSTM convolves D-deep blocks (D = 2 in the paper) with kd-deep kernels
(kd = 2). Output slice o of a 'same' convolution is

    out[o] = sum over taps k of conv2d(x[o + k - before], kernel[k]),
    before = (kd - 1) // 2 (TensorFlow's 'same': the extra padding goes after),

where slices outside [0, D) are the zero padding. Computing each tap as a 2D
'same' convolution of exactly the input slices it reaches gives the same
result as `ops.conv` on the 5D block, but

- skips the products with the zero padding (for D = kd = 2: 3 slice products
  instead of 4),
- needs no asymmetric padding: PyTorch has no asymmetric padding in its
  convolutions, so Keras' torch backend copies a padded input for every
  even-kernel 'same' convolution and computes the input gradient over it;
- runs 2D convolutions, which PyTorch and JAX optimise better than 3D ones
  (on CPU, one gate convolution's forward + backward: ~1.5x faster on
  PyTorch, ~2.7x on JAX; as fast on TensorFlow, where it keeps more memory, so
  the E3D cell keeps Conv3D there; see docs/benchmarks.md).

Only keras.ops, so every backend runs it; the kernel keeps the
(kd, kh, kw, Cin, Cout) layout of a Conv3D kernel.
"""

from keras import ops


def depth_tap_conv(x, kernel):
    """'same' 3D convolution, stride 1, of `x` by `kernel`, one 2D convolution per depth tap.

    Args:
        x: (batch, D, H, W, Cin), D, H, W and Cin static.
        kernel: (kd, kh, kw, Cin, Cout).

    Returns:
        (batch, D, H, W, Cout), what `ops.conv(x, kernel, padding="same")` gives.

    Example:

    >>> import numpy as np
    >>> x = np.ones((1, 2, 4, 4, 3), "float32")
    >>> tuple(depth_tap_conv(x, np.ones((2, 3, 3, 3, 5), "float32")).shape)
    (1, 2, 4, 4, 5)
    """
    depth, height, width, channels = tuple(x.shape[1:])
    taps, out_channels = kernel.shape[0], kernel.shape[-1]
    before = (taps - 1) // 2
    out = None
    for k in range(taps):
        shift = k - before  # input slice i feeds output slice i - shift
        first, last = max(0, shift), min(depth, depth + shift)  # the input slices tap k reaches
        if first >= last:
            continue  # a tap that only ever sees padding
        slices = ops.reshape(x[:, first:last], (-1, height, width, channels))
        y = ops.conv(slices, kernel[k], padding="same")
        y = ops.reshape(y, (-1, last - first, height, width, out_channels))
        # Zero output slices where this tap would read the padding.
        pad_before, pad_after = first - shift, depth - (last - shift)
        if pad_before or pad_after:
            y = ops.pad(y, ((0, 0), (pad_before, pad_after), (0, 0), (0, 0), (0, 0)))
        out = y if out is None else out + y
    return out
