"""OpenSTL's own E3D-LSTM (benchmarks/openstl_vendor), built for benchmarks/bench_e3d_vs_openstl.py.

The reference of the benchmark is OpenSTL's code itself, vendored unchanged
but for one import (see benchmarks/openstl_vendor/README.md): its
Eidetic3DLSTMCell and E3DLSTM_Model, with the model's `configs` namespace
filled as OpenSTL's Moving MNIST E3D-LSTM config does (layer_norm 0, stride 1,
scheduled rather than reverse scheduled sampling).

Two forms:
- "openstl", as OpenSTL runs it: its 3D convolutions pad the depth axis by 0,
  so a 2-deep kernel over a 2-deep window computes 1 output slice, which
  `tf_Conv3d` repeats back to 2 by nearest interpolation (half the work);
- "same": every Conv3d inside the cells swapped for one with 'same' padding
  (0 before, 1 after on the depth axis, as TensorFlow and keras_stlstm pad)
  holding the same weights, so it computes every output position: the same
  work as keras_stlstm's Eidetic3DLSTM. Nothing else changes.

Not part of the package (which does not depend on PyTorch).
"""

import types

DEPTH_PADDINGS = ("openstl", "same")


def build_openstl_e3d(num_hidden, image, patch, channels, context, future, depth_padding="openstl"):
    """OpenSTL's E3DLSTM_Model for (B, T, image, image, channels) clips patched `patch`x`patch`.

    Args:
        num_hidden: list of filters per layer.
        image, patch, channels: frame side, patch side, frame channels.
        context, future: OpenSTL's pre_seq_length and aft_seq_length.
        depth_padding: "openstl" (as OpenSTL runs) or "same" (equal work).

    Returns:
        The torch.nn.Module; call it as `model(patched_frames, mask_true)` -> (frames, loss).
    """
    from benchmarks.openstl_vendor.e3dlstm_model import E3DLSTM_Model

    if depth_padding not in DEPTH_PADDINGS:
        raise ValueError(f"depth_padding must be one of {DEPTH_PADDINGS}; received {depth_padding!r}.")
    configs = types.SimpleNamespace(
        in_shape=(context + future, channels, image, image), patch_size=patch, stride=1, layer_norm=0,
        pre_seq_length=context, aft_seq_length=future, reverse_scheduled_sampling=0)
    model = E3DLSTM_Model(len(num_hidden), list(num_hidden), configs)
    if depth_padding == "same":
        for cell in model.cell_list:
            _same_padding(cell)
    return model


def _same_padding(cell):
    """Swaps every Conv3d of `cell` for a 'same'-padded one with the same weights."""
    import torch

    for parent in list(cell.modules()):
        for name, child in list(parent.named_children()):
            if not isinstance(child, torch.nn.Conv3d):
                continue
            same = torch.nn.Conv3d(child.in_channels, child.out_channels, child.kernel_size, stride=1,
                                   padding="same", bias=child.bias is not None)
            with torch.no_grad():
                same.weight.copy_(child.weight)
            setattr(parent, name, same)
