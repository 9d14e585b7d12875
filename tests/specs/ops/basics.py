"""Op test models for the first op families: conv, activation, padding, elementwise.

Each function is a tiny model: ``f(wrapped_import, x)``. Input (batch, 5 channels, time) unless
the test says otherwise.
"""


def _torch(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


def _nn(wrapped_import):
    return _torch(wrapped_import).nn


def conv1d(w, x):
    return _nn(w).Conv1d(5, 4, 3)(x)


def conv1d_strided_padded_dilated(w, x):
    return _nn(w).Conv1d(5, 6, 3, stride=2, padding=2, dilation=2)(x)


def conv1d_same_no_bias(w, x):
    return _nn(w).Conv1d(5, 4, 5, padding="same", bias=False)(x)


def conv1d_groups(w, x):
    return _nn(w).Conv1d(5, 10, 3, groups=5)(x)


def conv1d_functional(w, x):
    torch = _torch(w)
    weight = torch.nn.Parameter(torch.randn(3, 5, 2))
    return torch.nn.functional.conv1d(x, weight, stride=1)


def conv_transpose1d(w, x):
    return _nn(w).ConvTranspose1d(5, 3, 4, stride=2, padding=1)(x)


def conv_transpose1d_output_padding(w, x):
    return _nn(w).ConvTranspose1d(5, 3, 10, stride=5, padding=3, output_padding=1)(x)


def weight_norm_conv(w, x):
    nn = _nn(w)
    return nn.utils.weight_norm(nn.Conv1d(5, 4, 3))(x)


def weight_norm_removed(w, x):
    nn = _nn(w)
    conv = nn.utils.weight_norm(nn.Conv1d(5, 4, 3))
    nn.utils.remove_weight_norm(conv)
    return conv(x)


def leaky_relu(w, x):
    return _nn(w).LeakyReLU(0.2)(x)


def leaky_relu_functional(w, x):
    return _nn(w).functional.leaky_relu(x, 0.1)


def tanh(w, x):
    return _torch(w).tanh(x) + _nn(w).Tanh()(x) + x.tanh()


def relu(w, x):
    return _nn(w).ReLU()(x) + _nn(w).functional.relu(x) + x.relu()


def reflection_pad(w, x):
    return _nn(w).ReflectionPad1d((2, 3))(x)


def replication_pad(w, x):
    return _nn(w).ReplicationPad1d(2)(x)


def constant_pad(w, x):
    return _nn(w).ConstantPad1d((1, 2), 0.5)(x)


def functional_pad(w, x):
    return _nn(w).functional.pad(x, (2, 1), mode="reflect")


def arithmetic(w, x):
    y = x * 2.0 + 1
    z = 1 - y / 3
    return -(z - x) * x + 2 / (x * x + 1)


def weight_norm_then_leaky_relu(w, x):
    nn = _nn(w)
    return nn.LeakyReLU(0.2)(nn.utils.weight_norm(nn.Conv1d(5, 4, 3))(x))
