"""A converter with a bug: it raises."""

import pt2r


@pt2r.converter("custompkg.layers.GatedErfcx")
def gated_erfcx(module, x):
    return {"proj": module.proj}["projection"](x)  # RAISES KeyError
