"""Pseudo-QMF filter bank: split a signal into subbands and merge them back.

Multi-band MelGAN generates a few critically sampled subbands and merges them
with the PQMF synthesis bank (Nguyen, 1994; Lin et al., 1998). The prototype
low-pass filter is a Kaiser-windowed sinc, computed with numpy alone.
"""

import numpy as np
import torch
import torch.nn.functional as F


def design_prototype_filter(taps=62, cutoff_ratio=0.142, beta=9.0):
    """Kaiser-windowed ideal low-pass with cutoff ``cutoff_ratio * pi``; ``taps + 1`` coefficients."""
    assert taps % 2 == 0, "an even order gives a symmetric filter with integer delay"
    assert 0.0 < cutoff_ratio < 1.0
    omega_c = np.pi * cutoff_ratio
    n = np.arange(taps + 1) - 0.5 * taps
    ideal = omega_c / np.pi * np.sinc(omega_c * n / np.pi)  # sin(omega_c n) / (pi n)
    return ideal * np.kaiser(taps + 1, beta)


class PQMF(torch.nn.Module):
    """Cosine-modulated PQMF bank with ``subbands`` bands; analysis and synthesis keep time aligned."""

    def __init__(self, subbands=4, taps=62, cutoff_ratio=0.142, beta=9.0):
        super().__init__()
        prototype = design_prototype_filter(taps, cutoff_ratio, beta)
        k = np.arange(subbands)[:, None]
        n = np.arange(taps + 1)[None, :]
        phase = (2 * k + 1) * (np.pi / (2 * subbands)) * (n - taps / 2)
        sign = (-1) ** k * np.pi / 4
        analysis = 2 * prototype * np.cos(phase + sign)  # (subbands, taps + 1)
        synthesis = 2 * prototype * np.cos(phase - sign)
        updown = np.zeros((subbands, subbands, subbands))
        for i in range(subbands):
            updown[i, i, 0] = 1.0  # picks / re-inserts every subbands-th sample per band
        self.subbands = subbands
        self.register_buffer("analysis_filter", torch.from_numpy(analysis[:, None, :].astype(np.float32)))
        self.register_buffer("synthesis_filter", torch.from_numpy(synthesis[None, :, :].astype(np.float32)))
        self.register_buffer("updown_filter", torch.from_numpy(updown.astype(np.float32)))
        self.pad_fn = torch.nn.ConstantPad1d(taps // 2, 0.0)

    def analysis(self, x):
        """(B, 1, T) -> (B, subbands, T // subbands)."""
        x = F.conv1d(self.pad_fn(x), self.analysis_filter)
        return F.conv1d(x, self.updown_filter, stride=self.subbands)

    def synthesis(self, x):
        """(B, subbands, T') -> (B, 1, T' * subbands)."""
        # Zero-stuff each band back to the full rate; the gain restores the lost energy.
        x = F.conv_transpose1d(x, self.updown_filter * self.subbands, stride=self.subbands)
        return F.conv1d(self.pad_fn(x), self.synthesis_filter)
