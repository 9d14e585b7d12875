"""Archived-trace model for the shape op family: reorders, views, size-1 axes, joins, splits, indexing.

Reorders (``transpose``, ``permute``, ``movedim``, ``contiguous``), views built from ``x.shape``
that merge and split the batch, time and channel axes (``view``, ``reshape``, ``flatten``,
``unflatten``, frame stacking), ``squeeze`` / ``unsqueeze`` / ``expand``, ``cat`` / ``stack`` over
channels and over time, ``chunk`` / ``split`` / ``unbind``, and indexing (static and time slices,
steps, ints, ``None`` / ``...``, ``select`` / ``narrow``), inside user modules with a few
``Conv1d`` in between. Most of it works on the dynamic time axis, with sizes taken from the
input's shape, so the exported net stays dynamic.

Input: (batch 2, 6 channels, time 12), batch-major, sequence lengths [12, 7].
Regenerate with ``scripts/record-traces`` (see traces/README.md).
"""

import typing

import numpy as np

INPUT_SPEC = {"shape": [6, None], "batch_dim_axis": 0, "time_dim_axis": 2, "feature_dim_axis": 1,
              "dtype": "float32", "seq_lens": [12, 7]}

#: The module name the user modules below are recorded under (their type in the trace). A spec
#: loaded from a file path gets a module name made from its absolute path (pt2r/spec.py), which
#: would tie the trace to the checkout it was recorded in: replay elsewhere fails with a name
#: mismatch. Naming the classes after the repo-relative file keeps the trace replayable anywhere.
MODULE_NAME = "traces.specs.shape"


def example_inputs():
    return np.random.RandomState(3).randn(2, 6, 12).astype("float32")


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    nn = torch.nn

    class Views(nn.Module):
        """Merging and splitting axes, keeping time dynamic."""
        __module__ = MODULE_NAME

        def forward(self, x):
            b, c, t = x.shape
            frames = x.transpose(1, 2).reshape(b * t, c) * 0.5  # batch merged with time
            h = frames.view(b, t, c).transpose(1, 2)
            flat = x.view(b, -1) * 0.5  # time merged with channels
            h = h + flat.view(b, c, -1) + x.flatten(1).view(b, c, t)
            split = h.view(b, 2, 3, t) * 0.5
            h = split.reshape(b, c, t) + split.flatten(1, 2) + torch.unflatten(h, 1, (3, 2)).flatten(1, 2)
            stacked = h.transpose(1, 2).reshape(b, t // 2, 2 * c)  # frame stacking (T even)
            pairs = h.unflatten(2, (-1, 2)).transpose(2, 3).flatten(1, 2)  # the same, channels first
            return h, stacked.transpose(1, 2).contiguous() + pairs

    class Joins(nn.Module):
        """Splitting and joining over channels and over time."""
        __module__ = MODULE_NAME

        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(6, 6, 3, padding=1)

        def forward(self, x):
            b, c, t = x.shape
            low, high = x.chunk(2, dim=1)
            first, second, third = torch.chunk(x, 3, 1)
            h = torch.cat([high, low * 0.5, third, first, second], dim=1)[:, 3:9]
            d, e = torch.split(h, [1, 5], dim=1)
            h = torch.cat([e, d], dim=1) + torch.stack([x, h], dim=-1).sum(-1)
            head, tail = self.conv(h).split([3, t - 3], dim=2)
            h = torch.cat([tail * 0.5, head], dim=2) + torch.concat([h[:, :, 2:], h[:, :, :2]], 2)
            a, b2, c2, d2, e2, f2 = h.unbind(1)
            mixed = torch.stack([a * b2, c2 - d2, e2 * f2], dim=1)  # (B, 3, T)
            return torch.cat([h, x[:, :, :3] * 0.5], dim=2), mixed

    class Net(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self):
            super().__init__()
            self.views = Views()
            self.joins = Joins()
            self.conv = nn.Conv1d(12, 6, 1)
            self.scale = nn.Parameter(torch.randn(6))

        def forward(self, x):
            b, c, t = x.shape
            h, stacked = self.views(x)
            longer, mixed = self.joins(h)  # longer: (B, 6, T + 3)
            h = longer[..., 1:] * 0.5 + longer[:, :, :-1] + longer[:, :, -3:].mean(2, keepdim=True)
            h = torch.cat([h[:, :, ::3] * 0.5, h[:, :, 2:-1:2], h[:, :, 1:7]], dim=2)
            steps = x[:, :, t - 3:] * 0.5 + x[:, :, t - 1][:, :, None] + x.narrow(2, 1, t - 1)[:, :, -3:]
            picked = (x.select(1, 2) * 0.5 + torch.select(x, 1, -1))[:, None]
            picked = picked + x[:, 0:1, :] * x[:, 2, 3][:, None, None]
            grid = torch.cat([(x[:, None] * 0.5).permute(0, 2, 3, 1), x[..., None]], dim=3)  # (B, C, T, 2)
            grid = grid.movedim(3, 1).flatten(1, 2)  # (B, 2C, T)
            h2 = self.conv(grid) + picked
            scale = self.scale.view(1, -1, 1)
            bias = self.scale[None, :, None].expand(b, -1, t)
            h2 = h2 * scale + bias + x[:, :1].expand(-1, 6, -1) + x[:, :, :1].expand_as(x)
            h2 = h2.unsqueeze(1).unsqueeze(-1).squeeze(-1).squeeze(1) + torch.squeeze(torch.unsqueeze(x, 0), 0)
            summary = h.mean(2) + steps.mean(2) + stacked.amax(2)[:, :6] + mixed.sum((1, 2))[:, None] * 0.01
            return h2.permute(2, 0, 1).permute(1, 2, 0) + summary[:, :, None]

    return Net().eval()(inputs)
