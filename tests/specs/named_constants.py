"""A filter bank like PQMF's: buffers made at construction, used by a method other than ``forward`` (the
module is never called), one scaled on the fly; and a buffer of a called module, indexed."""

import typing

import numpy as np

INPUT_SPEC = {"shape": (5, None), "batch_dim_axis": 0, "time_dim_axis": 2, "feature_dim_axis": 1,
              "dtype": "float32"}


def example_inputs():
    return np.random.RandomState(0).randn(2, 5, 9).astype("float32")


def model_func(wrapped_import, x):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")

    class Bank(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("filters", torch.from_numpy(np.eye(5, dtype="float32")).unsqueeze(-1))

        def synthesis(self, y):
            return torch.nn.functional.conv1d(y, self.filters * 2.0)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv1d(5, 5, 1)
            self.register_buffer("scale", torch.arange(5).float())

        def forward(self, y):
            return self.conv(y) * self.scale[:, None]

    return Bank().synthesis(Net()(x))
