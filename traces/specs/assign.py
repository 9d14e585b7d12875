"""Archived-trace model for the assign op family: assignment into net tensors, clone, detach, copy_.

A masking block on (batch, time, 5 features): ``x[index] = number`` with ints, slices (also with a
step and bounds from the time axis' own length) and ``...``, ``x[mask] = number`` with a bool mask
from the data over all axes and over the leading ones, ``clone`` (in-place ops on the clone leave
the original), ``detach`` and ``copy_`` with broadcasting.

Input: (batch 2, time 9, 5 features), batch-major, sequence lengths [9, 5].
Regenerate with ``scripts/record-traces ops_assign`` (see traces/README.md).
"""

import typing

import numpy as np

INPUT_SPEC = {"shape": [None, 5], "batch_dim_axis": 0, "time_dim_axis": 1, "feature_dim_axis": 2,
              "dtype": "float32", "seq_lens": [9, 5]}
MODULE_NAME = "traces.specs.assign"  # see traces/specs/reduce.py


def example_inputs():
    return np.random.RandomState(11).randn(2, 9, 5).astype("float32")


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    nn = torch.nn

    class Masking(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(5, 5)

        def forward(self, x):
            y = self.proj(x).clone()
            y[:, :, 0] = 0.0
            y[:, ::2, 1] = 1.0
            t = x.shape[1]
            y[:, t - 2:] = -1.0
            y[..., 3:] = y.amax()
            y[x < -1] = 0.5
            y[x.sum(-1) > 1] = 2.0
            z = torch.zeros_like(x)
            z.copy_(y[:, :, :1])
            return x + y.detach() + z

    return Masking().eval()(inputs)
