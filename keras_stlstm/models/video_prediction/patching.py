"""Patching of frames (space-to-depth and back), as in the official E3D and PredRNN code.

A frame H×W×C becomes (H/p)×(W/p)×(p·p·C): every p×p block of pixels is stacked
on the channel axis, in the official `reshape_patch` order (row inside the
block, then column, then channel). The recurrent stack then runs on a p times
smaller grid with p² times more channels, which is what makes 64×64 Moving MNIST
(p = 4 -> 16×16×16) affordable.
"""

from keras import ops


def check_patchable(height, width, patch_size):
    """Raises a ValueError unless `patch_size` divides both frame sides."""
    if height % patch_size or width % patch_size:
        raise ValueError(
            f"Argument `patch_size` ({patch_size}) must divide the frame height and "
            f"width; received frames of {height}x{width}. Pick a patch size that "
            "divides both (e.g. 4 for 64x64 frames)."
        )


def patch_frames(frames, patch_size):
    """Space-to-depth: (..., H, W, C) -> (..., H/p, W/p, p*p*C).

    Args:
        frames: tensor whose last three axes are H, W, C (static). Any number of
            leading axes (batch, time, ...); only the first may be unknown.
        patch_size: p, a positive int dividing H and W.

    Returns:
        The patched tensor with the same leading axes.

    Example:

    >>> import numpy as np
    >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> patch_frames(x, 2)[0, 0, 0].tolist()  # the top-left 2x2 block
    [0.0, 1.0, 4.0, 5.0]
    """
    p = int(patch_size)
    if p == 1:
        return frames
    shape = tuple(frames.shape)
    lead, (h, w, c) = shape[:-3], shape[-3:]
    check_patchable(h, w, p)
    x = ops.reshape(frames, (-1, h // p, p, w // p, p, c))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, _leading(lead) + (h // p, w // p, p * p * c))


def unpatch_frames(patches, patch_size):
    """Depth-to-space, the inverse of `patch_frames`: (..., h, w, p*p*C) -> (..., h*p, w*p, C).

    Args:
        patches: tensor whose last three axes are h, w, p*p*C (static).
        patch_size: p.

    Returns:
        The frames with the same leading axes.
    """
    p = int(patch_size)
    if p == 1:
        return patches
    shape = tuple(patches.shape)
    lead, (h, w, pc) = shape[:-3], shape[-3:]
    if pc % (p * p):
        raise ValueError(
            f"Cannot unpatch {pc} channels with `patch_size`={p}: the channel count "
            f"must be a multiple of p*p = {p * p}."
        )
    c = pc // (p * p)
    x = ops.reshape(patches, (-1, h, w, p, p, c))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, _leading(lead) + (h * p, w * p, c))


def _leading(lead):
    """Target leading shape for a reshape: the first axis may be unknown (-1)."""
    if not lead:
        return ()
    return (-1,) + tuple(int(d) for d in lead[1:])
