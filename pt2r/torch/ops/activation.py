"""Activations: modules and functional forms, as RETURNN activation, eval or softmax layers.

Elementwise activations are RETURNN ``activation`` layers, by the name RETURNN
resolves (``gelu`` is ``tf.nn.gelu``, exact as torch's default), or with
torch's option in the layer's own expression form (``leaky_relu`` with its
slope); an ``eval`` layer only where the formula needs more (CELU, Mish, ...). Softmax and
log-softmax are ``softmax_over_spatial`` layers over the given axis with
``use_time_mask=False``: torch normalises over the padded axis, padding frames
included, while RETURNN would mask them by default. In-place forms
(``x.relu_()``, ``F.elu_``) share the builders: the replay rebinds the
mutated tensor.
"""

from __future__ import annotations

from typing import Any

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._tensor import Parameter, Tensor
from pt2r.torch.nn.module import Module
from pt2r.torch.ops.build import activation as _activation, combine, eval_layer, make, operand, unify
from pt2r.torch.ops.registry import module, op
from pt2r.torch.values import static_dims


def _eval(x: Tensor, expr: str) -> Tensor:
    """Elementwise ``expr`` of ``x`` (written as ``X``)."""
    return eval_layer(expr.replace("X", "source(0)"), [x], x.dims, x.dtype)


def _num(value: Any) -> str:
    return repr(float(value))


def _axis(x: Tensor, dim: int) -> int:
    if not -x.ndim <= dim < x.ndim:
        raise ModelError(f"dim {dim} is out of range for a {x.ndim}-d tensor")
    return dim % x.ndim


# -- elementwise -----------------------------------------------------------


@op("torch.tanh", "Tensor.tanh", "torch.tanh_", "Tensor.tanh_", "torch.nn.functional.tanh")
def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return _activation(input, "tanh")


@op("torch.nn.functional.leaky_relu", "torch.nn.functional.leaky_relu_")
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    return _activation(input, f"tf.nn.leaky_relu(x, alpha={float(negative_slope)!r})")


@op("torch.nn.functional.relu_", "Tensor.relu_", aliases=("torch.relu_",))
@op("torch.relu", "Tensor.relu", "torch.nn.functional.relu")
def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _activation(input, "relu")


@op("torch.sigmoid", "Tensor.sigmoid", "torch.sigmoid_", "Tensor.sigmoid_", "torch.nn.functional.sigmoid")
def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return _activation(input, "sigmoid")


@op("torch.nn.functional.gelu")
def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    if approximate not in ("none", "tanh"):
        raise ModelError(f"gelu with approximate={approximate!r} is not supported")
    return _activation(input, "gelu" if approximate == "none" else "tf.nn.gelu(x, approximate=True)")


@op("torch.nn.functional.elu", "torch.nn.functional.elu_")
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    if alpha == 1.0:
        return _activation(input, "elu")
    return _eval(input, f"tf.where(X > 0, X, {_num(alpha)} * tf.math.expm1(X))")


@op("torch.nn.functional.celu_", aliases=("torch.celu_",))
@op("torch.nn.functional.celu", "torch.celu")
def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    return _eval(input, f"tf.where(X > 0, X, {_num(alpha)} * tf.math.expm1(X / {_num(alpha)}))")


@op("torch.nn.functional.selu_", aliases=("torch.selu_",))
@op("torch.nn.functional.selu", "torch.selu")
def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _activation(input, "selu")  # torch's and TF's constants are the same


@op("torch.nn.functional.silu")
def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _activation(input, "silu")


@op("torch.nn.functional.mish")
def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _eval(input, "X * tf.math.tanh(tf.math.softplus(X))")


@op("torch.nn.functional.softplus")
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """torch: ``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``."""
    if beta == 1.0 and threshold >= 20.0:  # TF's is exact where torch's turns linear (within 2e-9)
        return _activation(input, "softplus")
    bx = f"(X * {_num(beta)})"
    return _eval(input, f"tf.where({bx} > {_num(threshold)}, X, tf.math.softplus({bx}) / {_num(beta)})")


@op("torch.nn.functional.hardtanh", "torch.nn.functional.hardtanh_")
def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    return _eval(input, f"tf.clip_by_value(X, {_num(min_val)}, {_num(max_val)})")


@op("torch.nn.functional.threshold", "torch.nn.functional.threshold_", "torch.threshold")
def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:  # noqa: A002
    """``value`` where ``x <= threshold`` (NaN stays NaN, as in torch)."""
    return _eval(input, f"tf.where(X <= {_num(threshold)}, tf.fill(tf.shape(X), tf.cast({_num(value)}, X.dtype)), X)")


@op("torch.nn.functional.softshrink")
def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else ``x * 0`` (NaN stays NaN)."""
    lam = _num(lambd)
    return _eval(input, f"tf.where(X > {lam}, X - {lam}, tf.where(X < -{lam}, X + {lam}, X * 0.0))")


@op("torch.nn.functional.hardshrink")
def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """0 within ``[-lambd, lambd]``, else ``x``."""
    lam = _num(lambd)
    return _eval(input, f"tf.where(tf.logical_and(X >= -{lam}, X <= {lam}), tf.zeros_like(X), X)")


@op("torch.nn.functional.relu6")
def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _activation(input, "relu6")


@op("torch.nn.functional.hardsigmoid")
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _eval(input, "tf.clip_by_value(X + 3.0, 0.0, 6.0) / 6.0")


@op("torch.nn.functional.hardswish")
def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _eval(input, "X * tf.clip_by_value(X + 3.0, 0.0, 6.0) / 6.0")


@op("torch.nn.functional.softsign")
def softsign(input: Tensor) -> Tensor:  # noqa: A002
    return _activation(input, "softsign")


@op("torch.nn.functional.logsigmoid")
def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return _activation(input, "log_sigmoid")


@op("torch.nn.functional.tanhshrink")
def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    return _eval(input, "X - tf.math.tanh(X)")


@op("torch.nn.functional.prelu", "Tensor.prelu", aliases=("torch.prelu",))
def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """One slope, or one per channel (axis 1, or axis 0 of a 1-d input)."""
    if weight.numel() == 1:  # a scalar slope: read it raw, so its size-1 axis does not enter the output
        slope = "tf.reshape(source(1, auto_convert=False), [])"
    else:
        weight = unify(weight, 0, input.dims[1 if input.ndim >= 2 else 0])
        slope = "source(1)"
    return eval_layer(f"tf.where(source(0) >= 0, source(0), {slope} * source(0))", [input, weight], input.dims,
                      input.dtype, raw_dims=input.dims)


# -- over an axis ------------------------------------------------------------


def _softmax(x: Tensor, dim: int | None, dtype: Any, *, log: bool, negate: bool = False) -> Tensor:
    if dim is None:  # torch's legacy implicit dim (with a deprecation warning)
        dim = 0 if x.ndim in (0, 1, 3) else 1
    axis = x.dims[_axis(x, dim)]
    if dtype is not None and dtype != x.dtype:
        x = operand(x, dtype)
    if negate:
        x = _activation(x, "negative")
    return make({"class": "softmax_over_spatial", "from": x, "axis": axis, "use_time_mask": False,
                 "log_space": log}, x.dims, dtype=x.dtype)


@op("torch.nn.functional.softmax")
def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    return _softmax(input, dim, dtype, log=False)


@op("torch.softmax", "Tensor.softmax")
def softmax_method(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    return _softmax(input, dim, dtype, log=False)


@op("torch.nn.functional.log_softmax")
def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    return _softmax(input, dim, dtype, log=True)


@op("torch.log_softmax", "Tensor.log_softmax")
def log_softmax_method(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    return _softmax(input, dim, dtype, log=True)


@op("torch.nn.functional.softmin")
def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    return _softmax(input, dim, dtype, log=False, negate=True)


@op("torch.nn.functional.glu")
def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """First half times the sigmoid of the second half, along a static axis."""
    axis = _axis(input, dim)
    old = input.dims[axis]
    if old.dimension is None or old.is_batch_dim():
        raise UnsupportedOpError("glu over a dynamic or batch axis is not supported")
    if old.dimension % 2:
        raise ModelError(f"glu needs an even size along dim {dim}, got {old.dimension}")
    half = static_dims([old.dimension // 2], f"{old.description}:glu")[0]
    dims = list(input.dims)
    dims[axis] = half
    a, b = (make({"class": "slice", "from": input, "axis": old, "slice_start": start, "slice_end": end,
                  "out_dim": half}, dims, dtype=input.dtype)
            for start, end in ((0, half.dimension), (half.dimension, None)))
    return combine("multiply", [a, _activation(b, "sigmoid")], input.dtype)


# -- modules -----------------------------------------------------------------


class _Activation(Module):
    """A parameterless activation module: ``forward`` applies ``func`` with the module's options."""

    options: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__()
        for name, value in zip(self.options, args):
            setattr(self, name, value)
        for name, value in kwargs.items():
            setattr(self, name, value)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        raise NotImplementedError

    def extra_repr(self) -> str:
        return ", ".join(f"{n}={getattr(self, n)!r}" for n in self.options)


def _activation_module(torch_name: str, func: Any, options: dict[str, Any], call: tuple[str, ...] = ()) -> type:
    """Register module ``torch_name`` with constructor ``options`` (name -> default), calling
    ``func(input, *[option for option in call])``."""

    def forward(self: Module, input: Tensor) -> Tensor:  # noqa: A002
        return func(input, *[getattr(self, n) for n in call])

    cls = type(torch_name.rsplit(".", 1)[1], (_Activation,), {
        "options": tuple(options), "forward": forward, **options})
    return module(torch_name)(cls)


ReLU = _activation_module("torch.nn.ReLU", relu, {"inplace": False})
LeakyReLU = _activation_module("torch.nn.LeakyReLU", leaky_relu, {"negative_slope": 0.01, "inplace": False},
                               ("negative_slope",))
Tanh = _activation_module("torch.nn.Tanh", tanh, {})
Sigmoid = _activation_module("torch.nn.Sigmoid", sigmoid, {})
GELU = _activation_module("torch.nn.GELU", gelu, {"approximate": "none"}, ("approximate",))
ELU = _activation_module("torch.nn.ELU", elu, {"alpha": 1.0, "inplace": False}, ("alpha",))
CELU = _activation_module("torch.nn.CELU", celu, {"alpha": 1.0, "inplace": False}, ("alpha",))
SELU = _activation_module("torch.nn.SELU", selu, {"inplace": False})
SiLU = _activation_module("torch.nn.SiLU", silu, {"inplace": False})
Mish = _activation_module("torch.nn.Mish", mish, {"inplace": False})
Softplus = _activation_module("torch.nn.Softplus", softplus, {"beta": 1.0, "threshold": 20.0},
                              ("beta", "threshold"))
Hardtanh = _activation_module("torch.nn.Hardtanh", hardtanh, {"min_val": -1.0, "max_val": 1.0, "inplace": False},
                              ("min_val", "max_val"))
ReLU6 = _activation_module("torch.nn.ReLU6", relu6, {"inplace": False})
Threshold = _activation_module("torch.nn.Threshold", threshold, {"threshold": 0.0, "value": 0.0, "inplace": False},
                               ("threshold", "value"))
Softshrink = _activation_module("torch.nn.Softshrink", softshrink, {"lambd": 0.5}, ("lambd",))
Hardshrink = _activation_module("torch.nn.Hardshrink", hardshrink, {"lambd": 0.5}, ("lambd",))
Hardsigmoid = _activation_module("torch.nn.Hardsigmoid", hardsigmoid, {"inplace": False})
Hardswish = _activation_module("torch.nn.Hardswish", hardswish, {"inplace": False})
Softsign = _activation_module("torch.nn.Softsign", softsign, {})
LogSigmoid = _activation_module("torch.nn.LogSigmoid", logsigmoid, {})
Tanhshrink = _activation_module("torch.nn.Tanhshrink", tanhshrink, {})
Softmax = _activation_module("torch.nn.Softmax", softmax, {"dim": None}, ("dim",))
LogSoftmax = _activation_module("torch.nn.LogSoftmax", log_softmax, {"dim": None}, ("dim",))
Softmin = _activation_module("torch.nn.Softmin", softmin, {"dim": None}, ("dim",))
GLU = _activation_module("torch.nn.GLU", glu, {"dim": -1}, ("dim",))


@module("torch.nn.PReLU")
class PReLU(Module):
    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None, dtype: Any = None):
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(Tensor(static_dims([num_parameters], "param"), _dtype.float32))

    def reset_parameters(self) -> None:
        """Parameters come from the trace."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return prelu(input, self.weight)
