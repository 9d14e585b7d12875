"""A model with a module pt2r cannot convert: `GatedErfcx` uses ``torch.special.erfcx``."""

import torch

from custompkg import ops


class GatedErfcx(torch.nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.proj = torch.nn.Linear(channels, channels)
        self.scale = torch.nn.Parameter(torch.ones(channels) * 0.75)

    def forward(self, x):
        return torch.special.erfcx(self.proj(x).abs()) * self.scale


class Net(torch.nn.Module):
    def __init__(self, channels=5):
        super().__init__()
        self.inp = torch.nn.Linear(channels, channels)
        self.gate = GatedErfcx(channels)
        self.out = torch.nn.Linear(channels, 3)

    def forward(self, x):
        h = self.gate(torch.tanh(self.inp(x)))
        return self.out(ops.fused_gelu(h, scale=2.0))
