"""MelGAN generator: mel features (B, in_channels, T) -> signal (B, out_channels, T * prod(scales)).

A compact re-implementation of the MelGAN generator (Kumar et al., 2019) as
used for multi-band MelGAN: transposed convolutions upsample the mel frames,
each followed by residual stacks of dilated convolutions; weight norm on every
convolution. With ``out_channels > 1`` the outputs are PQMF subbands.
"""

import torch
from torch import nn


class ResidualStack(nn.Module):
    """Dilated residual block: LeakyReLU, dilated conv, LeakyReLU, 1x1 conv, plus a 1x1 conv skip."""

    def __init__(self, channels=32, kernel_size=3, dilation=1, negative_slope=0.2):
        super().__init__()
        assert kernel_size % 2 == 1, "odd kernel sizes keep the length"
        self.stack = nn.Sequential(
            nn.LeakyReLU(negative_slope),
            nn.ReflectionPad1d((kernel_size - 1) // 2 * dilation),
            nn.Conv1d(channels, channels, kernel_size, dilation=dilation),
            nn.LeakyReLU(negative_slope),
            nn.Conv1d(channels, channels, 1),
        )
        self.skip_layer = nn.Conv1d(channels, channels, 1)

    def forward(self, x):
        return self.stack(x) + self.skip_layer(x)


class MelGANGenerator(nn.Module):
    """MelGAN generator; channels halve at each upsampling step."""

    def __init__(
        self,
        in_channels=80,
        out_channels=4,
        kernel_size=7,
        channels=128,
        upsample_scales=(2, 5, 5),
        stack_kernel_size=3,
        stacks=3,
        use_weight_norm=True,
    ):
        super().__init__()
        assert channels % 2 ** len(upsample_scales) == 0
        assert kernel_size % 2 == 1
        self.input_layer = nn.Sequential(
            nn.ReflectionPad1d((kernel_size - 1) // 2),
            nn.Conv1d(in_channels, channels, kernel_size),
        )
        self.upsamples = nn.ModuleList()
        self.residual_stacks = nn.ModuleList()
        for scale in upsample_scales:
            # Output length is exactly T * scale for even and odd scales.
            self.upsamples.append(
                nn.Sequential(
                    nn.LeakyReLU(0.2),
                    nn.ConvTranspose1d(
                        channels,
                        channels // 2,
                        scale * 2,
                        stride=scale,
                        padding=scale // 2 + scale % 2,
                        output_padding=scale % 2,
                    ),
                )
            )
            channels //= 2
            self.residual_stacks.append(
                nn.Sequential(
                    *[
                        ResidualStack(channels, stack_kernel_size, dilation=stack_kernel_size**j)
                        for j in range(stacks)
                    ]
                )
            )
        self.output_layer = nn.Sequential(
            nn.LeakyReLU(0.2),
            nn.ReflectionPad1d((kernel_size - 1) // 2),
            nn.Conv1d(channels, out_channels, kernel_size),
            nn.Tanh(),
        )
        # Initialise first, then reparametrise, so weight norm starts from these weights.
        self.reset_parameters()
        if use_weight_norm:
            self.apply_weight_norm()

    def forward(self, c):
        x = self.input_layer(c)
        for upsample, stack in zip(self.upsamples, self.residual_stacks):
            x = stack(upsample(x))
        return self.output_layer(x)

    def _convs(self):
        return [m for m in self.modules() if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d))]

    def reset_parameters(self):
        """Draw conv weights from N(0, 0.02), as the MelGAN reference implementation does."""
        for m in self._convs():
            nn.init.normal_(m.weight, 0.0, 0.02)

    def apply_weight_norm(self):
        for m in self._convs():
            torch.nn.utils.weight_norm(m)

    def remove_weight_norm(self):
        """Fold weight_g/weight_v back into plain weights (done before inference/export)."""
        for m in self._convs():
            torch.nn.utils.remove_weight_norm(m)
