"""Building blocks of the toy model. Tensors are (batch, channels, time)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


def get_activation(name: str, **kwargs) -> "nn.Module":
    """Activation module by class name, e.g. ``get_activation("LeakyReLU", negative_slope=0.2)``."""
    import torch.nn as torch_nn  # imported here, as some packages do

    return getattr(torch_nn, name)(**kwargs)


class FeatureProjection(nn.Module):
    """Per-frame LayerNorm + Linear + ReLU over the channel axis, then zero-mean channels."""

    def __init__(self, channels: int):
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.linear = nn.Linear(channels, channels)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x.transpose(1, 2)  # (B, T, C)
        y = self.act(self.linear(self.norm(y)))
        y = y - y.mean(dim=2, keepdim=True)
        return y.transpose(1, 2)  # (B, C, T)


class ResidualBlock(nn.Module):
    """Padded dilated convolution stack plus a projection, with a residual connection."""

    def __init__(self, channels: int, kernel_size: int = 3, dilation: int = 1):
        super().__init__()
        self.padding = (kernel_size - 1) // 2 * dilation
        self.stack = nn.Sequential(
            get_activation("LeakyReLU", negative_slope=0.2),
            nn.Conv1d(channels, channels, kernel_size, dilation=dilation),
            nn.GELU(),
            nn.Conv1d(channels, channels, 1),
        )
        self.proj = FeatureProjection(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.pad(x, (self.padding, self.padding))  # (B, C, T + 2 * padding)
        y = self.stack(y)  # (B, C, T)
        y = self.proj(y)
        return x + y * 0.5


class Gate(nn.Module):
    """Channel gate: scales each channel by 1 + tanh(Linear(mean over time))."""

    def __init__(self, channels: int):
        super().__init__()
        self.fc = nn.Linear(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean(dim=2)  # (B, C)
        g = torch.tanh(self.fc(s))  # (B, C)
        return x * (g.unsqueeze(2) + 1.0)
