"""One name, two converters."""

import pt2r


@pt2r.converter("custompkg.layers.GatedErfcx")
def first(module, x):
    return x


@pt2r.converter("custompkg.layers.GatedErfcx")
def second(module, x):
    return x
