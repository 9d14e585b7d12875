"""Op test models for activations and 2-d convolutions.

Each function is a tiny model: ``f(wrapped_import, x)``. Activations take (batch, time, 6) or
(batch, 6, time) input, softmax tests also time-major (time, batch, 6); the 2-d convs take
(batch, 3 channels, height, width), height and width dynamic.
"""


def _torch(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


def _nn(w):
    return _torch(w).nn


def _f(w):
    return _torch(w).nn.functional


# -- elementwise activations ---------------------------------------------------


def gelu(w, x):
    return _nn(w).GELU()(x) + _f(w).gelu(x * 3.0)


def gelu_tanh(w, x):
    return _nn(w).GELU(approximate="tanh")(x) + _f(w).gelu(x * 3.0, approximate="tanh")


def elu(w, x):
    return _nn(w).ELU()(x) + _f(w).elu(x * 2.0, alpha=0.5) + _nn(w).ELU(alpha=1.5)(x)


def silu(w, x):
    return _nn(w).SiLU()(x) + _f(w).silu(x * 2.0)


def sigmoid(w, x):
    return _nn(w).Sigmoid()(x) + _torch(w).sigmoid(x * 2.0) + x.sigmoid() + _f(w).sigmoid(x - 1.0)


def functional_tanh(w, x):  # F.tanh / F.sigmoid are the tensor methods in Python: recorded under their own names
    return _f(w).tanh(x) * _f(w).sigmoid(x)


def in_place(w, x):
    torch, f = _torch(w), _f(w)
    y = x * 1.0
    y.relu_()
    torch.sigmoid_(y)
    f.elu_(y, 0.5)
    f.leaky_relu_(y, 0.2)
    f.hardtanh_(y, -0.5, 0.5)
    torch.relu_(y)
    f.selu_(y)
    y.tanh_()
    return y


def softplus(w, x):
    return _nn(w).Softplus()(x) + _f(w).softplus(x, beta=2.0, threshold=1.0) + _nn(w).Softplus(0.5, 3.0)(x * 4.0)


def extra_activations(w, x):
    nn, f = _nn(w), _f(w)
    y = nn.Hardtanh(-0.5, 0.8)(x) + nn.ReLU6()(x * 4.0) + nn.SELU()(x) + nn.CELU(0.7)(x) + nn.Mish()(x)
    y = y + nn.Softsign()(x) + nn.LogSigmoid()(x) + nn.Hardsigmoid()(x * 4.0) + nn.Hardswish()(x * 4.0)
    y = y + nn.Tanhshrink()(x) + f.relu6(x) + f.hardtanh(x) + f.selu(x) + _torch(w).selu(x) + f.celu(x)
    return y + f.mish(x) + f.softsign(x) + f.logsigmoid(x) + f.hardsigmoid(x) + f.hardswish(x) + f.tanhshrink(x)


def prelu(w, x):  # x: (batch, 6, time)
    nn = _nn(w)
    per_channel = nn.PReLU(6, init=0.1)
    y = nn.PReLU()(x) + per_channel(x)
    return y + _f(w).prelu(x, per_channel.weight * 2.0)


# -- over an axis --------------------------------------------------------------


def softmax_feature(w, x):
    torch = _torch(w)
    return (_nn(w).Softmax(dim=-1)(x) + _f(w).softmax(x, dim=2) + torch.softmax(x, -1) + x.softmax(-1)
            + _nn(w).Softmin(dim=-1)(x))


def log_softmax_feature(w, x):
    torch = _torch(w)
    return (_nn(w).LogSoftmax(dim=-1)(x) + _f(w).log_softmax(x, dim=2) + torch.log_softmax(x, -1)
            + x.log_softmax(dim=-1))


def softmax_time(w, x):  # batch-major: time is axis 1
    return _nn(w).Softmax(dim=1)(x) + _f(w).log_softmax(x, dim=-2)


def softmax_time_major(w, x):  # time-major: time is axis 0
    return _nn(w).Softmax(dim=0)(x) + _f(w).log_softmax(x, dim=-3) + _f(w).softmax(x, 0, dtype=_torch(w).float64)


def softmax_implicit_dim(w, x):  # 3-d input: torch's legacy implicit dim is 0
    return _nn(w).Softmax()(x)


def glu(w, x):  # x: (batch, 6, time)
    return _nn(w).GLU(dim=1)(x) + _f(w).glu(x.sigmoid(), 1)


def glu_last(w, x):  # x: (batch, time, 6)
    return _nn(w).GLU()(x)


# -- 2-d convolutions ----------------------------------------------------------


def conv2d(w, x):
    return _nn(w).Conv2d(3, 4, 3)(x)


def conv2d_strided_padded_dilated(w, x):
    return _nn(w).Conv2d(3, 5, (3, 2), stride=(2, 1), padding=(2, 1), dilation=(1, 2))(x)


def conv2d_stride_and_dilation(w, x):
    return _nn(w).Conv2d(3, 4, 3, stride=2, padding=1, dilation=2)(x)


def conv2d_same_no_bias(w, x):
    return _nn(w).Conv2d(3, 4, (3, 4), padding="same", dilation=(2, 1), bias=False)(x)


def conv2d_valid(w, x):
    return _nn(w).Conv2d(3, 2, 2, padding="valid")(x)


def conv2d_depthwise(w, x):
    return _nn(w).Conv2d(3, 6, 3, groups=3, padding=1)(x)


def conv2d_depthwise_strided_dilated(w, x):
    return _nn(w).Conv2d(3, 3, 3, groups=3, stride=2, dilation=2)(x)


def conv2d_groups(w, x):  # x: (batch, 4, h, w)
    return _nn(w).Conv2d(4, 6, 3, groups=2)(x)


def conv2d_depthwise_dilated_same(w, x):  # grouped, dilated, size-keeping: the output's axes are the input's
    return _nn(w).Conv2d(3, 6, 3, groups=3, dilation=(2, 1), padding=(2, 1))(x)


def conv2d_reflect(w, x):
    return _nn(w).Conv2d(3, 4, 3, padding=1, padding_mode="reflect")(x)


def conv2d_functional(w, x):
    torch = _torch(w)
    weight = torch.nn.Parameter(torch.randn(4, 3, 2, 3))
    bias = torch.nn.Parameter(torch.randn(4))
    y = torch.nn.functional.conv2d(x, weight, bias, stride=(1, 2), padding=(1, 0))
    return y + torch.conv2d(x, weight, None, (1, 2), (1, 0))


def conv_transpose2d(w, x):
    return _nn(w).ConvTranspose2d(3, 2, 4, stride=2, padding=1)(x)


def conv_transpose2d_output_padding(w, x):
    return _nn(w).ConvTranspose2d(3, 4, (3, 5), stride=(2, 3), padding=(1, 2), output_padding=(1, 2))(x)


def conv_transpose2d_no_bias(w, x):
    return _nn(w).ConvTranspose2d(3, 2, (2, 3), bias=False)(x)


def conv_transpose2d_dilated(w, x):
    return _nn(w).ConvTranspose2d(3, 2, 3, stride=2, dilation=(2, 1), padding=1)(x)


def conv_transpose2d_groups(w, x):
    return _nn(w).ConvTranspose2d(3, 6, 3, stride=2, groups=3)(x)


def conv_transpose2d_functional(w, x):
    torch = _torch(w)
    weight = torch.nn.Parameter(torch.randn(3, 2, 3, 3))
    return torch.nn.functional.conv_transpose2d(x, weight, stride=2, padding=1, output_padding=1)


def conv_transpose1d_dilated_groups(w, x):  # x: (batch, 6, time)
    return _nn(w).ConvTranspose1d(6, 4, 3, stride=3, dilation=2, groups=2)(x)


def conv1d_same_even(w, x):  # x: (batch, 6, time)
    return _nn(w).Conv1d(6, 4, 4, padding="same")(x)


def conv2d_time_major(w, x):  # x: (height, batch, 3, width), height RETURNN's time axis
    return _nn(w).Conv2d(3, 4, 3, stride=(2, 1), padding=1)(x.permute(1, 2, 0, 3))
