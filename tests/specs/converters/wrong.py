"""A wrong converter of GatedErfcx: erfc instead of erfcx (verification must catch it)."""

import pt2r


@pt2r.converter("custompkg.layers.GatedErfcx")
def gated_erfc(module, x):
    from pt2r.converters import torch
    return torch.special.erfc(module.proj(x).abs()) * module.scale
