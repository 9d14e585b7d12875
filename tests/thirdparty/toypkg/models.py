"""The toy model: ``ToyModel(in_dim=4, hidden=8, out_dim=3)``, (B, in_dim, T) -> (B, out_dim, T)."""

import torch
from torch import nn
from torch.nn import Module
from torch.nn.utils import weight_norm

import toypkg.layers
from .layers import ResidualBlock


class ToyModel(Module):
    """Conv input layer, a gate used twice, residual blocks, pair pooling, linear output.

    Attribute tree (hidden=8)::

        input_conv  Conv1d(in_dim, hidden, 1)
        gate        layers.Gate: fc Linear(hidden, hidden)
        blocks      ModuleList of layers.ResidualBlock (dilation 1, 2), each:
                      stack  Sequential(LeakyReLU(0.2), Conv1d(k=3, dilation), GELU(), Conv1d(k=1))
                      proj   layers.FeatureProjection: norm LayerNorm, linear Linear, act ReLU
        output      Linear(hidden + hidden // 2, out_dim)
    """

    def __init__(
        self,
        in_dim: int = 4,
        hidden: int = 8,
        out_dim: int = 3,
        dilations=(1, 2),
        use_weight_norm: bool = False,
    ):
        super().__init__()
        assert hidden % 2 == 0, "hidden must be even (pair pooling)"
        self.input_conv = nn.Conv1d(in_dim, hidden, kernel_size=1)
        self.gate = toypkg.layers.Gate(hidden)
        self.blocks = nn.ModuleList([ResidualBlock(hidden, 3, dilation=d) for d in dilations])
        self.output = nn.Linear(hidden + hidden // 2, out_dim)
        if use_weight_norm:
            self.apply_weight_norm()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.input_conv(x)  # (B, H, T)
        h = self.gate(h)
        for block in self.blocks:
            h = block(h)
        h = self.gate(h)  # the same Gate instance, called a second time
        b, c, t = h.shape
        pairs = h.view(b, c // 2, 2, t).sum(dim=2)  # (B, H/2, T): sums of channel pairs
        h = torch.cat([h, pairs], dim=1)  # (B, H + H/2, T)
        y = self.output(h.permute(0, 2, 1))  # (B, T, out_dim)
        y = torch.tanh(y)
        return y.transpose(1, 2)  # (B, out_dim, T)

    def apply_weight_norm(self):
        """Weight-normalize every Conv1d (as parallel_wavegan's generators do)."""
        for m in self.modules():
            if isinstance(m, nn.Conv1d):
                weight_norm(m)

    def remove_weight_norm(self):
        """Fold the weight norm back into plain weights (before inference)."""
        for m in self.modules():
            try:
                torch.nn.utils.remove_weight_norm(m)
            except ValueError:  # this module has no weight norm
                pass
