"""Archived-trace model for the pooling op family: pools and interpolation.

A small front end on (batch, 4 channels, time): ``nn.MaxPool1d`` / ``F.max_pool1d`` (strided,
``ceil_mode``), ``nn.AvgPool1d`` with and without counting the padding, ``nn.Upsample`` (nearest)
and ``F.interpolate`` (linear, both ``align_corners``) by 2 along the dynamic time axis, adaptive
pools to a static size over channels and to 1 over time, and 2-d pools and bilinear upsampling on a
(channels x time) image. Windows that read padding frames read them as torch does: nothing is masked.

Input: (batch 2, 4 channels, time 12), batch-major, sequence lengths [12, 7].
Regenerate with ``scripts/record-traces ops_pooling`` (see traces/README.md).
"""

import typing

import numpy as np

INPUT_SPEC = {"shape": [4, None], "batch_dim_axis": 0, "time_dim_axis": 2, "feature_dim_axis": 1,
              "dtype": "float32", "seq_lens": [12, 7]}
MODULE_NAME = "traces.specs.pooling"  # see traces/specs/reduce.py


def example_inputs():
    return np.random.RandomState(10).randn(2, 4, 12).astype("float32")


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    nn, F = torch.nn, torch.nn.functional

    class FrontEnd(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self):
            super().__init__()
            self.max_pool = nn.MaxPool1d(3, stride=2, ceil_mode=True)
            self.avg_pool = nn.AvgPool1d(3, stride=1, padding=1, count_include_pad=False)
            self.up = nn.Upsample(scale_factor=2, mode="nearest")
            self.squeeze = nn.AdaptiveAvgPool1d(1)
            self.image_pool = nn.MaxPool2d((2, 1))
            self.image_up = nn.Upsample(scale_factor=(2, 1), mode="bilinear")

        def forward(self, x):
            down = self.max_pool(x) + F.max_pool1d(x, 2, ceil_mode=True) + F.avg_pool1d(x, 2, ceil_mode=True)
            up = self.up(down) + F.interpolate(down, scale_factor=2, mode="linear")
            smooth = self.avg_pool(x) + F.interpolate(x, scale_factor=2, mode="linear", align_corners=True)[..., ::2]
            gate = self.squeeze(x).sigmoid() + F.adaptive_max_pool1d(x.transpose(1, 2), 2).mean((1, 2))[:, None, None]
            image = self.image_up(self.image_pool(x[:, None]))[:, 0]
            channels = F.adaptive_avg_pool1d(x.transpose(1, 2), 2).transpose(1, 2)
            return up * gate, smooth + image + channels.mean(1, keepdim=True)

    return FrontEnd().eval()(inputs)
