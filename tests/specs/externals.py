"""A model that loads a checkpoint, draws random numbers and changes a tensor in place."""

import os
import typing

import numpy as np

def example_inputs():
    return np.arange(12, dtype="float32").reshape(1, 3, 4)


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")

    class Noisy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Conv1d(3, 2, 1)

        def forward(self, x):
            noise = torch.randn(x.shape)
            y = x + noise
            y.mul_(2.0)
            return self.proj(y)

    model = Noisy()
    model.load_state_dict(torch.load(os.environ["PT2R_TEST_CHECKPOINT"])["model"])
    offset = torch.from_numpy(np.ones((1, 2, 1), dtype="float32"))
    return model(inputs) + offset
