"""Converters shipped as a module of a package (``--converters custompkg.converters``)."""

import pt2r


@pt2r.converter("custompkg.lazy.LazyGate")
def lazy_gate(module, x):
    from pt2r.converters import torch
    z = module.proj(x).abs()
    return torch.exp(z * z) * torch.special.erfc(z)
