"""Archived-trace model for the rearrange op family: repeat, flip, roll, gathers, topk, sort.

A small block on (batch, 6 channels, time): ``repeat`` / ``tile`` / ``repeat_interleave`` (also along
time: the dim ``time * 2``), ``flip`` and ``roll`` along channels and time (padding frames move into
the sequences, as torch computes on the padded batch), ``topk`` over channels with ``gather`` of the
chosen channels, ``index_select`` with indices from ``argmax``, ``sort`` / ``argsort`` over time
with ``take_along_dim``.

Input: (batch 2, 6 channels, time 10), batch-major, sequence lengths [10, 6].
Regenerate with ``scripts/record-traces ops_rearrange`` (see traces/README.md).
"""

import typing

import numpy as np

INPUT_SPEC = {"shape": [6, None], "batch_dim_axis": 0, "time_dim_axis": 2, "feature_dim_axis": 1,
              "dtype": "float32", "seq_lens": [10, 6]}
MODULE_NAME = "traces.specs.rearrange"  # see traces/specs/reduce.py


def example_inputs():
    return np.random.RandomState(12).randn(2, 6, 10).astype("float32")


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    nn = torch.nn

    class Rearrange(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self):
            super().__init__()
            self.mix = nn.Conv1d(6, 6, 1)

        def forward(self, x):
            h = self.mix(x)
            wide = h.repeat(1, 2, 1)[:, 3:9] + torch.tile(h[:, :3], (1, 2, 1)) + h.flip(1)
            shifted = torch.roll(wide, 2, dims=2) + wide.flip(-1) * 0.5
            values, indices = shifted.topk(3, dim=1)
            picked = torch.gather(shifted, 1, indices) - values
            best = torch.index_select(h, 1, h.mean((0, 2)).argmax().reshape(1))
            ordered, order = shifted.sort(dim=2, descending=True)
            again = torch.take_along_dim(shifted, shifted.argsort(dim=2), dim=2)
            slow = h.repeat_interleave(2, dim=2)
            return picked.sum(1, keepdim=True) + best + ordered + again + order * 0.01, slow

    return Rearrange().eval()(inputs)
