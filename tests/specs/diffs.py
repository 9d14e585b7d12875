"""Small variants of one model for tests/test_diff.py: a conv and an activation in a Sequential,
and variants that change a constant, add an op or swap a layer. Input (batch, 5 channels, time)."""


def _torch(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


def conv_leaky(w, x):
    nn = _torch(w).nn
    return nn.Sequential(nn.Conv1d(5, 4, 3), nn.LeakyReLU(0.2))(x)


def conv_leaky_slope(w, x):  # a module attribute changed
    nn = _torch(w).nn
    return nn.Sequential(nn.Conv1d(5, 4, 3), nn.LeakyReLU(0.3))(x)


def conv_leaky_extra_op(w, x):  # one op more
    nn = _torch(w).nn
    return nn.Sequential(nn.Conv1d(5, 4, 3), nn.LeakyReLU(0.2))(x) * 2


def conv_tanh(w, x):  # another layer in the same place
    nn = _torch(w).nn
    return nn.Sequential(nn.Conv1d(5, 4, 3), nn.Tanh())(x)


def conv_wider(w, x):  # a parameter's shape changed
    nn = _torch(w).nn
    return nn.Sequential(nn.Conv1d(5, 6, 3), nn.LeakyReLU(0.2))(x)


def functional_slope_01(w, x):
    return _torch(w).nn.functional.leaky_relu(x, 0.1)


def functional_slope_02(w, x):  # a constant argument changed
    return _torch(w).nn.functional.leaky_relu(x, 0.2)


def nested(w, x):
    from collections import OrderedDict
    nn = _torch(w).nn
    block = nn.Sequential(OrderedDict(conv=nn.Conv1d(5, 4, 3), act=nn.LeakyReLU(0.2)))
    return nn.Sequential(OrderedDict(block=block, out=nn.Tanh()))(x)


def nested_renamed(w, x):  # the inner Sequential is called "stage" instead of "block"
    from collections import OrderedDict
    nn = _torch(w).nn
    stage = nn.Sequential(OrderedDict(conv=nn.Conv1d(5, 4, 3), act=nn.LeakyReLU(0.2)))
    return nn.Sequential(OrderedDict(stage=stage, out=nn.Tanh()))(x)


def argmax(w, x):  # an integer output: must be equal, whatever the tolerance
    return x.argmax(dim=1)
