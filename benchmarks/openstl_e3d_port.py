"""OpenSTL's E3D-LSTM (cell and model) in plain PyTorch, for benchmarks/bench_e3d_vs_openstl.py.

A port of `openstl/modules/e3dlstm_modules.py` (tf_Conv3d, Eidetic3DLSTMCell) and
`openstl/models/e3dlstm_model.py` (E3DLSTM_Model) of OpenSTL
(https://github.com/chengtan9907/OpenSTL, Apache License 2.0, Copyright its
authors), read at the repository's newest snapshot. Only what a training step
needs is kept: the cell, the model's forward pass with (non-reversed) scheduled
sampling, its MSE + L1 loss. The computation is OpenSTL's, line for line,
including its quirks: the cell returns the *old* global memory (so M stays
zero), the memory history is concatenated on the channel axis, and the
convolutions pad the depth axis by 0 (a 2-deep kernel on a 2-deep window gives
1 output slice, which `tf_Conv3d` repeats back to 2 by nearest interpolation).
The one addition is `depth_padding="same"`, which pads the depth axis as a
'same' convolution does (0 before, 1 after for a 2-deep kernel, as
TensorFlow and this library do), so the port computes every output position:
the same work as keras_stlstm's Eidetic3DLSTM.

Written for the benchmark; not part of the package (which has no torch dependency).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class TfConv3d(nn.Module):
    """OpenSTL's tf_Conv3d: a Conv3d whose output is resized (nearest) to the input's D, H, W."""

    def __init__(self, in_channels, out_channels, *args, **kwargs):
        super().__init__()
        self.conv3d = nn.Conv3d(in_channels, out_channels, *args, **kwargs)

    def forward(self, x):
        return F.interpolate(self.conv3d(x), size=x.shape[-3:], mode="nearest")


class Eidetic3DLSTMCell(nn.Module):
    """OpenSTL's Eidetic3DLSTMCell with layer_norm=False (its Moving MNIST setting).

    depth_padding: "openstl" (0, OpenSTL's) or "same" (the full 'same' convolution).
    """

    def __init__(self, in_channel, num_hidden, window_length, height, width, filter_size, stride,
                 depth_padding="openstl"):
        super().__init__()
        self._norm_c_t = nn.LayerNorm([num_hidden, window_length, height, width])
        self.num_hidden = num_hidden
        if depth_padding == "same":
            padding = "same"
        elif depth_padding == "openstl":
            padding = (0, filter_size[1] // 2, filter_size[2] // 2)
        else:
            raise ValueError(f"depth_padding must be 'openstl' or 'same'; received {depth_padding!r}.")
        self._forget_bias = 1.0

        def conv(cin, cout):
            return nn.Sequential(TfConv3d(cin, cout, kernel_size=filter_size, stride=stride, padding=padding,
                                          bias=False))

        self.conv_x = conv(in_channel, num_hidden * 7)
        self.conv_h = conv(num_hidden, num_hidden * 4)
        self.conv_gm = conv(num_hidden, num_hidden * 4)
        self.conv_new_cell = conv(num_hidden, num_hidden)
        self.conv_new_gm = conv(num_hidden, num_hidden)
        self.conv_last = TfConv3d(num_hidden * 2, num_hidden, kernel_size=1, stride=1, padding=0, bias=False)

    def _attn(self, in_query, in_keys, in_values):
        batch, num_channels, _, width, height = in_query.shape
        query = in_query.reshape(batch, -1, num_channels)
        keys = in_keys.reshape(batch, -1, num_channels)
        values = in_values.reshape(batch, -1, num_channels)
        attn = torch.einsum("bxc,byc->bxy", query, keys)
        attn = torch.softmax(attn, dim=2)
        attn = torch.einsum("bxy,byc->bxc", attn, values)
        return attn.reshape(batch, num_channels, -1, width, height)

    def forward(self, x_t, h_t, c_t, global_memory, eidetic_cell):
        h_concat = self.conv_h(h_t)
        i_h, g_h, r_h, o_h = torch.split(h_concat, self.num_hidden, dim=1)
        x_concat = self.conv_x(x_t)
        i_x, g_x, r_x, o_x, temp_i_x, temp_g_x, temp_f_x = torch.split(x_concat, self.num_hidden, dim=1)

        i_t = torch.sigmoid(i_x + i_h)
        r_t = torch.sigmoid(r_x + r_h)
        g_t = torch.tanh(g_x + g_h)

        new_cell = c_t + self._attn(r_t, eidetic_cell, eidetic_cell)
        new_cell = self._norm_c_t(new_cell) + i_t * g_t

        new_global_memory = self.conv_gm(global_memory)
        i_m, f_m, g_m, m_m = torch.split(new_global_memory, self.num_hidden, dim=1)

        temp_i_t = torch.sigmoid(temp_i_x + i_m)
        temp_f_t = torch.sigmoid(temp_f_x + f_m + self._forget_bias)
        temp_g_t = torch.tanh(temp_g_x + g_m)
        new_global_memory = temp_f_t * torch.tanh(m_m) + temp_i_t * temp_g_t

        o_c = self.conv_new_cell(new_cell)
        o_m = self.conv_new_gm(new_global_memory)
        output_gate = torch.tanh(o_x + o_h + o_c + o_m)

        memory = torch.cat((new_cell, new_global_memory), 1)
        memory = self.conv_last(memory)
        output = torch.tanh(memory) * torch.sigmoid(output_gate)
        return output, new_cell, global_memory  # sic: OpenSTL returns the old global memory


class E3DLSTMModel(nn.Module):
    """OpenSTL's E3DLSTM_Model (window length 2, stride 1, filter (2, 5, 5) unless given).

    Args:
        num_hidden: list of filters per layer.
        frame_channel: channels of a patched frame (patch_size² · C).
        height, width: patched frame size.
        pre_seq_length, aft_seq_length: context and future frames.
        filter_size: kernel (OpenSTL hard-codes (2, 5, 5)).
        depth_padding: "openstl" or "same" (see the module docstring).
    """

    def __init__(self, num_hidden, frame_channel, height, width, pre_seq_length, aft_seq_length,
                 filter_size=(2, 5, 5), depth_padding="openstl"):
        super().__init__()
        self.frame_channel = frame_channel
        self.num_layers = len(num_hidden)
        self.num_hidden = list(num_hidden)
        self.pre_seq_length, self.aft_seq_length = pre_seq_length, aft_seq_length
        self.window_length = 2
        self.window_stride = 1
        self.MSE_criterion = nn.MSELoss()
        self.L1_criterion = nn.L1Loss()
        cells = []
        for i in range(self.num_layers):
            in_channel = frame_channel if i == 0 else num_hidden[i - 1]
            cells.append(Eidetic3DLSTMCell(in_channel, num_hidden[i], self.window_length, height, width,
                                           filter_size, 1, depth_padding))
        self.cell_list = nn.ModuleList(cells)
        self.conv_last = nn.Conv3d(num_hidden[-1], frame_channel, kernel_size=(self.window_length, 1, 1),
                                   stride=(self.window_length, 1, 1), padding=0, bias=False)

    def forward(self, frames_tensor, mask_true):
        """frames_tensor: (batch, T, H, W, C) patched; mask_true: (batch, aft - 1, H, W, C).

        Returns (next_frames (batch, T - 1, H, W, C), MSE + L1 loss against frames[:, 1:]).
        """
        device = frames_tensor.device
        frames = frames_tensor.permute(0, 1, 4, 2, 3).contiguous()
        mask_true = mask_true.permute(0, 1, 4, 2, 3).contiguous()
        batch, height, width = frames.shape[0], frames.shape[3], frames.shape[4]

        next_frames, h_t, c_t, c_history, input_list = [], [], [], [], []
        for _ in range(self.window_length - 1):
            input_list.append(torch.zeros_like(frames[:, 0]))
        for i in range(self.num_layers):
            zeros = torch.zeros([batch, self.num_hidden[i], self.window_length, height, width], device=device)
            h_t.append(zeros)
            c_t.append(zeros)
            c_history.append(zeros)
        memory = torch.zeros([batch, self.num_hidden[0], self.window_length, height, width], device=device)

        for t in range(self.pre_seq_length + self.aft_seq_length - 1):
            if t < self.pre_seq_length:
                net = frames[:, t]
            else:
                mask = mask_true[:, t - self.pre_seq_length]
                net = mask * frames[:, t] + (1 - mask) * x_gen
            input_list.append(net)
            if t % (self.window_length - self.window_stride) == 0:
                net = torch.stack(input_list[t:], dim=0)
                net = net.permute(1, 2, 0, 3, 4).contiguous()
            for i in range(self.num_layers):
                if t == 0:
                    c_history[i] = c_t[i]
                else:
                    c_history[i] = torch.cat((c_history[i], c_t[i]), 1)
                below = net if i == 0 else h_t[i - 1]
                h_t[i], c_t[i], memory = self.cell_list[i](below, h_t[i], c_t[i], memory, c_history[i])
            x_gen = self.conv_last(h_t[self.num_layers - 1]).squeeze(2)
            next_frames.append(x_gen)

        next_frames = torch.stack(next_frames, dim=0).permute(1, 0, 3, 4, 2).contiguous()
        loss = self.MSE_criterion(next_frames, frames_tensor[:, 1:]) + self.L1_criterion(
            next_frames, frames_tensor[:, 1:])
        return next_frames, loss
