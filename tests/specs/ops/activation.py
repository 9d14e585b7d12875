"""Op test models for activations (pt2r/torch/ops/activation.py), softmax and GLU.

Each function is a tiny model: ``f(wrapped_import, x)``; its ``@case`` says the inputs it takes:
(batch, time, 6) or (batch, 6, time), softmax also time-major (time, batch, 6).
"""

from opcases import TIME_MAJOR, Inputs, case, torch_of

#: (batch, time, 6), time dynamic
BTF = Inputs("batch_major", (2, 9, 6), {"shape": [None, 6], "batch_dim_axis": 0, "time_dim_axis": 1,
                                        "feature_dim_axis": 2, "dtype": "float32"}, lengths=[9, 4])
#: (batch, 6, time): channels first
BFT = Inputs("channels_first", (2, 6, 9), {"shape": [6, None], "batch_dim_axis": 0, "time_dim_axis": 2,
                                           "feature_dim_axis": 1, "dtype": "float32"})
#: (time, batch, 6)
TBF = Inputs("time_major", (9, 2, 6), {**TIME_MAJOR, "shape": [None, 6]}, lengths=[9, 4])
#: (batch, 5, time) with pt2r's default description
DEFAULT = Inputs("default", (2, 5, 11))


def _nn(w):
    return torch_of(w).nn


def _f(w):
    return torch_of(w).nn.functional


# -- elementwise activations ---------------------------------------------------


@case(["torch.nn.GELU", "torch.nn.functional.gelu"], on=(BTF,))
def gelu(w, x):
    return _nn(w).GELU()(x) + _f(w).gelu(x * 3.0)


@case(["torch.nn.GELU", "torch.nn.functional.gelu"], on=(BTF,))
def gelu_tanh(w, x):
    return _nn(w).GELU(approximate="tanh")(x) + _f(w).gelu(x * 3.0, approximate="tanh")


@case(["torch.nn.ELU", "torch.nn.functional.elu"], on=(BTF,))
def elu(w, x):
    return _nn(w).ELU()(x) + _f(w).elu(x * 2.0, alpha=0.5) + _nn(w).ELU(alpha=1.5)(x)


@case(["torch.nn.SiLU", "torch.nn.functional.silu"], on=(BTF,))
def silu(w, x):
    return _nn(w).SiLU()(x) + _f(w).silu(x * 2.0)


@case(["Tensor.sigmoid", "torch.nn.Sigmoid", "torch.nn.functional.sigmoid", "torch.sigmoid"], on=(BTF,))
def sigmoid(w, x):
    return _nn(w).Sigmoid()(x) + torch_of(w).sigmoid(x * 2.0) + x.sigmoid() + _f(w).sigmoid(x - 1.0)


@case(["torch.nn.functional.sigmoid", "torch.nn.functional.tanh"], on=(BTF,))
def functional_tanh(w, x):  # F.tanh / F.sigmoid are the tensor methods in Python: recorded under their own names
    return _f(w).tanh(x) * _f(w).sigmoid(x)


@case([
    "Tensor.relu_",
    "Tensor.tanh_",
    "torch.nn.functional.elu_",
    "torch.nn.functional.hardtanh_",
    "torch.nn.functional.leaky_relu_",
    "torch.nn.functional.relu_",
    "torch.nn.functional.selu_",
    "torch.sigmoid_",
    "torch.relu_",
], on=(BTF,))
def in_place(w, x):
    torch, f = torch_of(w), _f(w)
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


@case(["torch.nn.functional.celu_", "torch.celu_", "torch.nn.functional.softmin"], on=(BTF, BTF.lens))
def celu_in_place_and_softmin(w, x):
    torch, f = torch_of(w), _f(w)
    y = x * 2.0
    f.celu_(y, 0.5)
    torch.celu_(y)
    return y + f.softmin(x, dim=-1) + f.softmin(x, 1)


@case(["torch.selu_", "torch.prelu"], on=(BTF, BTF.lens))
def torch_aliases(w, x):
    """``torch.selu_`` is ``F.selu_`` (and so on): recorded under the functional's name."""
    torch = torch_of(w)
    y = x * 2.0
    torch.selu_(y)
    return y + torch.prelu(x, torch.nn.Parameter(torch.full((1,), 0.2)))


@case(["torch.celu", "torch.relu", "torch.tanh_", "Tensor.sigmoid_", "Tensor.prelu"], on=(BTF, BTF.lens))
def function_and_method_forms(w, x):
    """The forms the other models call in another form."""
    torch = torch_of(w)
    y = torch.celu(x, 0.5) + torch.relu(x) + x.prelu(torch.nn.Parameter(torch.full((1,), 0.1)))
    z = x * 0.5
    torch.tanh_(z)
    z.sigmoid_()
    return y + z


@case(["torch.nn.Softplus", "torch.nn.functional.softplus"], on=(BTF,))
def softplus(w, x):
    return _nn(w).Softplus()(x) + _f(w).softplus(x, beta=2.0, threshold=1.0) + _nn(w).Softplus(0.5, 3.0)(x * 4.0)


@case([
    "torch.nn.CELU",
    "torch.nn.Hardsigmoid",
    "torch.nn.Hardswish",
    "torch.nn.Hardtanh",
    "torch.nn.LogSigmoid",
    "torch.nn.Mish",
    "torch.nn.ReLU6",
    "torch.nn.SELU",
    "torch.nn.Softsign",
    "torch.nn.Tanhshrink",
    "torch.nn.functional.celu",
    "torch.nn.functional.hardsigmoid",
    "torch.nn.functional.hardswish",
    "torch.nn.functional.hardtanh",
    "torch.nn.functional.logsigmoid",
    "torch.nn.functional.mish",
    "torch.nn.functional.relu6",
    "torch.nn.functional.selu",
    "torch.nn.functional.softsign",
    "torch.nn.functional.tanhshrink",
    "torch.selu",
], on=(BTF,))
def extra_activations(w, x):
    nn, f = _nn(w), _f(w)
    y = nn.Hardtanh(-0.5, 0.8)(x) + nn.ReLU6()(x * 4.0) + nn.SELU()(x) + nn.CELU(0.7)(x) + nn.Mish()(x)
    y = y + nn.Softsign()(x) + nn.LogSigmoid()(x) + nn.Hardsigmoid()(x * 4.0) + nn.Hardswish()(x * 4.0)
    y = y + nn.Tanhshrink()(x) + f.relu6(x) + f.hardtanh(x) + f.selu(x) + torch_of(w).selu(x) + f.celu(x)
    return y + f.mish(x) + f.softsign(x) + f.logsigmoid(x) + f.hardsigmoid(x) + f.hardswish(x) + f.tanhshrink(x)


@case(["torch.nn.PReLU", "torch.nn.functional.prelu"], on=(BFT,))
def prelu(w, x):  # x: (batch, 6, time)
    nn = _nn(w)
    per_channel = nn.PReLU(6, init=0.1)
    y = nn.PReLU()(x) + per_channel(x)
    return y + _f(w).prelu(x, per_channel.weight * 2.0)


# -- over an axis --------------------------------------------------------------


@case([
    "Tensor.softmax",
    "torch.nn.Softmax",
    "torch.nn.Softmin",
    "torch.nn.functional.softmax",
    "torch.softmax",
], on=(BTF,))
def softmax_feature(w, x):
    torch = torch_of(w)
    return (_nn(w).Softmax(dim=-1)(x) + _f(w).softmax(x, dim=2) + torch.softmax(x, -1) + x.softmax(-1)
            + _nn(w).Softmin(dim=-1)(x))


@case(["Tensor.log_softmax", "torch.log_softmax", "torch.nn.LogSoftmax", "torch.nn.functional.log_softmax"], on=(BTF,))
def log_softmax_feature(w, x):
    torch = torch_of(w)
    return (_nn(w).LogSoftmax(dim=-1)(x) + _f(w).log_softmax(x, dim=2) + torch.log_softmax(x, -1)
            + x.log_softmax(dim=-1))


@case(["torch.nn.Softmax", "torch.nn.functional.log_softmax"], on=(BTF, BTF.lens))
def softmax_time(w, x):  # batch-major: time is axis 1
    return _nn(w).Softmax(dim=1)(x) + _f(w).log_softmax(x, dim=-2)


@case(["torch.nn.Softmax", "torch.nn.functional.log_softmax", "torch.nn.functional.softmax"], on=(TBF, TBF.lens))
def softmax_time_major(w, x):  # time-major: time is axis 0
    return _nn(w).Softmax(dim=0)(x) + _f(w).log_softmax(x, dim=-3) + _f(w).softmax(x, 0, dtype=torch_of(w).float64)


@case(["torch.nn.Softmax"], on=(BTF,))
def softmax_implicit_dim(w, x):  # 3-d input: torch's legacy implicit dim is 0
    return _nn(w).Softmax()(x)


@case(["Tensor.sigmoid", "torch.nn.GLU", "torch.nn.functional.glu"], on=(BFT,))
def glu(w, x):  # x: (batch, 6, time)
    return _nn(w).GLU(dim=1)(x) + _f(w).glu(x.sigmoid(), 1)


@case(["torch.nn.GLU"], on=(BTF,))
def glu_last(w, x):  # x: (batch, time, 6)
    return _nn(w).GLU()(x)


# -- 2-d convolutions ----------------------------------------------------------


@case(["torch.nn.LeakyReLU"], on=(DEFAULT,))
def leaky_relu(w, x):
    return _nn(w).LeakyReLU(0.2)(x)


@case(["torch.nn.functional.leaky_relu"], on=(DEFAULT,))
def leaky_relu_functional(w, x):
    return _nn(w).functional.leaky_relu(x, 0.1)


@case(["Tensor.tanh", "torch.nn.Tanh", "torch.tanh"], on=(DEFAULT,))
def tanh(w, x):
    return torch_of(w).tanh(x) + _nn(w).Tanh()(x) + x.tanh()


@case(["Tensor.relu", "torch.nn.ReLU", "torch.nn.functional.relu"], on=(DEFAULT,))
def relu(w, x):
    return _nn(w).ReLU()(x) + _nn(w).functional.relu(x) + x.relu()


def weight_norm_then_leaky_relu(w, x):
    nn = _nn(w)
    return nn.LeakyReLU(0.2)(nn.utils.weight_norm(nn.Conv1d(5, 4, 3))(x))


@case(["torch.nn.Hardshrink", "torch.nn.Softshrink", "torch.nn.Threshold", "torch.nn.functional.hardshrink",
       "torch.nn.functional.softshrink", "torch.nn.functional.threshold", "torch.nn.functional.threshold_",
       "torch.threshold"], on=(BTF, TBF.lens))
def shrink_threshold(w, x):
    """The shrink functions and threshold, modules and functional forms, with NaN (from sqrt of negatives)."""
    nn, F = _nn(w), _f(w)
    torch = torch_of(w)
    y = x * 2
    nan = (x - 1.5).sqrt()  # NaN where x < 1.5
    return (nn.Hardshrink()(y) + nn.Softshrink(0.3)(y) + nn.Threshold(0.1, -2.0)(y) + F.hardshrink(y, 1.0)
            + F.softshrink(y) + F.threshold(y, 0.5, 3.0) + torch.threshold(y, -0.5, 0.0)
            + F.threshold_(y * 1, 0.0, 1.0), F.threshold(nan, 0.5, 3.0) + F.softshrink(nan) + F.hardshrink(nan))
