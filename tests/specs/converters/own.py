"""A converter for an op pt2r converts itself, without saying it replaces pt2r's."""

import pt2r


@pt2r.converter("torch.tanh")
def tanh(x):
    from pt2r.converters import activation
    return activation(x, "tanh")
