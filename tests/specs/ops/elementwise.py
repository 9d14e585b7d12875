"""Op test models for elementwise and creation ops.

Each function is a tiny model ``f(wrapped_import, x)``; its ``@case`` says the inputs it takes: (batch,
5 features, time), some also time-major (time, batch, 5 features) input (``_layout``).
"""

from opcases import BATCH_MAJOR, TIME_MAJOR, Inputs, case, refused, torch_of

#: (batch, 5 features, time), time dynamic; DEFAULT: the same array with pt2r's default description
CHANNELS_FIRST = Inputs("channels_first", (2, 5, 11), {"shape": [5, None], "batch_dim_axis": 0, "feature_dim_axis": 1,
                                                       "time_dim_axis": 2, "dtype": "float32"}, lengths=[11, 6])
DEFAULT = Inputs("default", (2, 5, 11))
#: a batch axis recorded with size 1 is the batch, not a size-1 axis: other size-1 axes broadcast to it
BATCH_OF_ONE = Inputs("batch_of_one", (1, 5, 11), CHANNELS_FIRST.description)
#: (time, batch, 5): models that run on either layout (see ``_layout``)
TM = Inputs("time_major", (11, 2, 5), TIME_MAJOR, lengths=[11, 6])
BM = Inputs("batch_major", (2, 7, 5), BATCH_MAJOR)


def _param(torch, *shape):
    return torch.nn.Parameter(torch.randn(*shape))


# -- arithmetic, broadcasting, promotion ------------------------------------------


@case(["Tensor.add", "Tensor.div", "Tensor.mul", "Tensor.sub"], on=(DEFAULT, TM, TM.lens, BATCH_OF_ONE))
def broadcast_param(w, x):
    torch = torch_of(w)
    weight, bias = _param(torch, *((5, 1) if x.shape[1] == 5 else (5,))), _param(torch, 1)  # see _layout
    return (x * weight + bias) / (weight * weight + 1) - bias


@case([
    "Tensor.__rdiv__",
    "Tensor.add",
    "Tensor.mul",
    "Tensor.neg",
    "Tensor.sub",
    "Tensor.true_divide",
    "torch.add",
    "torch.div",
    "torch.mul",
    "torch.neg",
    "torch.rsub",
    "torch.sub",
], on=(DEFAULT,))
def scalar_forms(w, x):
    torch = torch_of(w)
    y = torch.add(x, 2, alpha=3) + torch.sub(x, x * 2, alpha=0.5) + torch.rsub(x, 1.5) + torch.mul(x, 3)
    return torch.div(y, 4) + 2.0 / (x * x + 1) - 3 + x.true_divide(2) + torch.neg(x) + x.neg()


@case([
    "Tensor.__floordiv__",
    "Tensor.__rfloordiv__",
    "Tensor.__rmod__",
    "Tensor.abs",
    "Tensor.add",
    "Tensor.div",
    "Tensor.gt",
    "Tensor.int",
    "Tensor.long",
    "Tensor.lt",
    "Tensor.mul",
    "Tensor.remainder",
    "torch.div",
], on=(DEFAULT,))
def integer_promotion(w, x):
    torch = torch_of(w)
    n = (x * 10).long()
    a = n + 1                      # int64
    b = n / 3                      # true division: float32
    c = n // 3 + n % 3 + torch.div(n, 4, rounding_mode="floor") + torch.div(n, 4, rounding_mode="trunc")
    d = n * 0.5 + ((x > 0) + (x < 0.5)) + (x > 0) * 2  # float32; bool + bool: bool (or); bool * int: int64
    e = (x * 10).int() + n         # int32 + int64 -> int64
    f = torch.div(x * 7, 2, rounding_mode="trunc") + torch.div(x * 7, 2, rounding_mode="floor") + (x * 7) % 2
    return a + b + c + d + e + f + 2 // (n.abs() + 1) + 7 % (n.abs() + 1)


@case(["Tensor.add", "Tensor.double", "Tensor.long", "Tensor.mul"], on=(DEFAULT,))
def zero_dim_promotion(w, x):
    torch = torch_of(w)
    scale = torch.tensor(1.5, dtype=torch.float64)  # 0-dim: does not promote a float32 tensor, does an int one
    weight = _param(torch, 5, 1).double()  # dimensioned float64: promotes
    n = (x * 10).long()
    return x * scale + n * scale + x * weight


@case([
    "Tensor.__rpow__",
    "Tensor.abs",
    "Tensor.add",
    "Tensor.long",
    "Tensor.mul",
    "Tensor.pow",
    "torch.pow",
], on=(DEFAULT,))
def powers(w, x):
    torch = torch_of(w)
    a = x.abs() + 0.5
    n = (x * 3).long()
    return x ** 2 + 2 ** x + a ** x + torch.pow(a, 0.5) + a.pow(1.5) + n ** 2 + 2 ** n.abs()


@case([
    "Tensor.abs",
    "Tensor.add",
    "Tensor.cos",
    "Tensor.exp",
    "Tensor.log",
    "Tensor.mul",
    "Tensor.rsqrt",
    "Tensor.sign",
    "Tensor.sqrt",
    "torch.abs",
    "torch.ceil",
    "torch.exp",
    "torch.expm1",
    "torch.floor",
    "torch.log",
    "torch.log1p",
    "torch.log2",
    "torch.reciprocal",
    "torch.round",
    "torch.rsqrt",
    "torch.sin",
    "torch.sqrt",
    "torch.square",
    "torch.trunc",
], on=(DEFAULT,))
def unary(w, x):
    torch = torch_of(w)
    a = x.abs() + 0.5
    return (torch.exp(x) + x.exp() + torch.log(a) + a.log() + torch.sqrt(a) + a.sqrt() + torch.rsqrt(a)
            + a.rsqrt() + abs(x) + torch.abs(x) + x.abs() + torch.log1p(a) + torch.expm1(x) + torch.reciprocal(a)
            + torch.sin(x) + x.cos() + torch.log2(a) + torch.square(x) + x.sign() + torch.floor(x * 3)
            + torch.ceil(x * 3) + torch.round(x * 3) + torch.trunc(x * 3))


@case([
    "Tensor.abs",
    "Tensor.add",
    "Tensor.div",
    "Tensor.long",
    "Tensor.mul",
    "Tensor.neg",
    "torch.exp",
    "torch.floor",
    "torch.sqrt",
    "torch.square",
], on=(DEFAULT,))
def unary_integer(w, x):
    torch = torch_of(w)
    n = (x * 10).long()
    return torch.exp(n.abs() / 10) + torch.sqrt(n.abs()) + n.abs() + torch.square(n) + torch.floor(n) + (-n)


@case([
    "Tensor.arcsinh",
    "Tensor.arctan",
    "Tensor.asinh",
    "Tensor.atan",
    "Tensor.cosh",
    "Tensor.deg2rad",
    "Tensor.rad2deg",
    "Tensor.sinh",
    "Tensor.tan",
    "torch.arcsinh",
    "torch.arctan",
    "torch.asinh",
    "torch.atan",
    "torch.cosh",
    "torch.deg2rad",
    "torch.rad2deg",
    "torch.sinh",
    "torch.tan",
], on=(DEFAULT, TM.lens), other_lengths=[[4, 13, 9]])
def trigonometric(w, x):
    torch = torch_of(w)
    y = x * 0.5
    return (torch.tan(y) + y.tan() + torch.sinh(y) * y.sinh() + torch.cosh(y) - y.cosh() + torch.atan(x) + x.atan()
            + torch.asinh(x) + x.asinh() + torch.arctan(x) * x.arctan() + torch.arcsinh(x) - x.arcsinh()
            + torch.deg2rad(x) + x.deg2rad() + torch.rad2deg(y) / 100 + y.rad2deg() / 100)


@case([
    "Tensor.acos",
    "Tensor.acosh",
    "Tensor.arccos",
    "Tensor.arccosh",
    "Tensor.arcsin",
    "Tensor.arctanh",
    "Tensor.asin",
    "Tensor.atanh",
    "Tensor.erfinv",
    "torch.acos",
    "torch.acosh",
    "torch.arccos",
    "torch.arccosh",
    "torch.arcsin",
    "torch.arctanh",
    "torch.asin",
    "torch.atanh",
    "torch.erfinv",
], on=(DEFAULT,))
def inverse_functions(w, x):
    """On their domains: (-1, 1) for asin, acos, atanh, erfinv; >= 1 for acosh."""
    torch = torch_of(w)
    t = torch.tanh(x) * 0.9
    c = x.abs() + 1
    return (torch.asin(t) + t.asin() + torch.arcsin(t) * t.arcsin() + torch.acos(t) + t.acos() + torch.arccos(t)
            - t.arccos() + torch.atanh(t) + t.atanh() + torch.arctanh(t) + t.arctanh() + torch.erfinv(t)
            + t.erfinv() + torch.acosh(c) + c.acosh() + torch.arccosh(c) + c.arccosh())


@case([
    "Tensor.digamma",
    "Tensor.erf",
    "Tensor.erfc",
    "Tensor.i0",
    "Tensor.lgamma",
    "Tensor.log10",
    "torch.digamma",
    "torch.erf",
    "torch.erfc",
    "torch.i0",
    "torch.lgamma",
    "torch.log10",
], on=(DEFAULT,))
def special_functions(w, x):
    """erf and erfc (as in hand-written gelu), lgamma, digamma and log10 of positive values, i0."""
    torch = torch_of(w)
    a = x.abs() + 0.1
    gelu = 0.5 * x * (1.0 + torch.erf(x / 1.4142135623730951))
    return (gelu + x.erf() + torch.erfc(x) + x.erfc() + torch.lgamma(a) + a.lgamma() + torch.digamma(a) / 10
            + a.digamma() / 10 + torch.i0(x) + x.i0() + torch.log10(a) + a.log10() + torch.erf((x * 3).long()))


@case([
    "Tensor.absolute",
    "Tensor.fix",
    "Tensor.frac",
    "Tensor.negative",
    "Tensor.positive",
    "Tensor.sgn",
    "torch.absolute",
    "torch.fix",
    "torch.frac",
    "torch.negative",
    "torch.positive",
    "torch.sgn",
], on=(DEFAULT,))
def other_names(w, x):
    """Other names of abs, neg, sign, trunc; frac; positive (the tensor itself)."""
    torch = torch_of(w)
    y = x * 3
    n = y.long()
    return (torch.absolute(x) + x.absolute() + torch.negative(x) * x.negative() + torch.sgn(x) + x.sgn()
            + torch.fix(y) + y.fix() + torch.frac(y) + y.frac() + torch.positive(x) + x.positive()
            + n.fix() + torch.absolute(n))


@case([
    "Tensor.isfinite",
    "Tensor.isinf",
    "Tensor.isnan",
    "Tensor.isneginf",
    "Tensor.isposinf",
    "Tensor.nan_to_num",
    "torch.isfinite",
    "torch.isinf",
    "torch.isnan",
    "torch.isneginf",
    "torch.isposinf",
    "torch.nan_to_num",
], on=(DEFAULT,))
def float_tests(w, x):
    """isnan & co. and nan_to_num (its defaults: the dtype's largest and lowest values) on a tensor with
    NaN and both infinities; on integers they are constants."""
    torch = torch_of(w)
    infinite = x.sign() / 0.0
    z = torch.where(x.abs() > 1.2, infinite, torch.where(x.abs() < 0.2, (x - 10).sqrt(), x))
    tests = (torch.isnan(z).float() + z.isnan().float() * 2 + torch.isinf(z).float() * 4 + z.isinf().float() * 8
             + torch.isfinite(z).float() * 16 + z.isfinite().float() * 32 + torch.isposinf(z).float() * 64
             + z.isposinf().float() * 128 + torch.isneginf(z).float() * 256 + z.isneginf().float() * 512)
    n = (x * 3).long()
    on_integers = torch.isnan(n).float() + torch.isfinite(n).float() * 2 + n.isinf().float() * 4
    return (tests, torch.nan_to_num(z), z.nan_to_num(nan=1.0, posinf=5.0, neginf=-5.0),
            on_integers + torch.nan_to_num(n) + n.nan_to_num())


@case([
    "Tensor.addcdiv",
    "Tensor.addcmul",
    "Tensor.arctan2",
    "Tensor.atan2",
    "Tensor.float_power",
    "Tensor.fmod",
    "Tensor.hypot",
    "Tensor.lerp",
    "Tensor.logaddexp",
    "Tensor.logaddexp2",
    "torch.addcdiv",
    "torch.addcmul",
    "torch.arctan2",
    "torch.atan2",
    "torch.float_power",
    "torch.fmod",
    "torch.hypot",
    "torch.lerp",
    "torch.logaddexp",
    "torch.logaddexp2",
], on=(DEFAULT, TM.lens), other_lengths=[[4, 13, 9]])
def binary_math(w, x):
    """atan2, hypot, logaddexp(2) (with infinities), fmod (the dividend's sign), float_power (float64),
    lerp (scalar and tensor weights, both of torch's branches), addcmul, addcdiv."""
    torch = torch_of(w)
    y = x * 0.7 - 0.3
    infinite = (x.sign() / 0.0).clamp(max=0)  # -inf where x < 0
    return (torch.atan2(x, y) + x.atan2(y) + torch.arctan2(y, x) + y.arctan2(x) + torch.hypot(x, y) + x.hypot(y)
            + torch.logaddexp(x, y) + x.logaddexp(infinite) + torch.logaddexp2(x, y) + y.logaddexp2(infinite)
            + torch.fmod(x * 3, 1.5) + (x * 3).fmod(-1.5) + torch.fmod((x * 10).long(), 3)
            + torch.lerp(x, y, 0.3) + x.lerp(y, 0.8) + torch.lerp(x, y, x.sigmoid())
            + torch.addcmul(x, y, x, value=0.5) + x.addcmul(y, y) + torch.addcdiv(x, y, x.abs() + 1, value=2)
            + x.addcdiv(x, y.abs() + 1),
            torch.float_power(x.abs(), 2.5) + x.abs().float_power(y))


@case(["Tensor.add", "Tensor.gt", "Tensor.long", "Tensor.mul"], on=(DEFAULT,))
def activations(w, x):
    """sigmoid and tanh are the activation family's; here as elementwise ops on either operand kind."""
    torch = torch_of(w)
    n = (x * 10).long()
    return torch.sigmoid(x) + x.sigmoid() + torch.tanh(x) + x.tanh() + torch.nn.functional.sigmoid(x) + (n > 0) * x


@case(["Tensor.add", "Tensor.maximum", "Tensor.mul", "Tensor.sub", "torch.maximum", "torch.minimum"], on=(DEFAULT,))
def minimum_maximum(w, x):
    torch = torch_of(w)
    y = x * 2 - 1
    return torch.maximum(x, y) + torch.minimum(x, y) + x.maximum(y)


# -- clamp ---------------------------------------------------------------------------


@case([
    "Tensor.add",
    "Tensor.clamp",
    "Tensor.clamp_max",
    "Tensor.clamp_min",
    "Tensor.clip",
    "torch.clamp",
    "torch.clamp_min",
    "torch.clip",
], on=(DEFAULT,))
def clamp_scalar(w, x):
    torch = torch_of(w)
    return (torch.clamp(x, min=-0.5) + x.clamp(max=0.2) + torch.clamp(x, -0.3, 0.4) + x.clip(0, 1)
            + torch.clip(x, max=0.1) + x.clamp_min(0.1) + x.clamp_max(-0.1) + torch.clamp_min(x, 0.0))


@case(["Tensor.add", "Tensor.clamp", "Tensor.sub", "torch.clamp"], on=(DEFAULT,))
def clamp_tensor(w, x):
    torch = torch_of(w)
    low, high = _param(torch, 5, 1) - 1, _param(torch, 1) + 1
    return torch.clamp(x, low, high) + x.clamp(min=low) + torch.clamp(x, max=high)


@case(["Tensor.add", "Tensor.clamp", "Tensor.long", "Tensor.mul"], on=(DEFAULT,))
def clamp_integer(w, x):
    n = (x * 10).long()
    return n.clamp(-3, 4) + n.clamp(min=0.5)  # an int tensor clamped by a float: float32


# -- comparisons, logic, selection --------------------------------------------------------


@case([
    "Tensor.__eq__",
    "Tensor.add",
    "Tensor.eq",
    "Tensor.float",
    "Tensor.ge",
    "Tensor.gt",
    "Tensor.le",
    "Tensor.lt",
    "Tensor.mul",
    "Tensor.ne",
    "Tensor.not_equal",
    "torch.eq",
    "torch.ge",
    "torch.greater",
    "torch.gt",
    "torch.le",
    "torch.less",
    "torch.lt",
    "torch.ne",
], on=(DEFAULT,))
def comparisons(w, x):
    torch = torch_of(w)
    y = x * 0.5
    masks = [x > 0, x >= y, x < 0.3, x <= y, x == y, x != 0, torch.gt(x, y), torch.ge(x, 0), torch.lt(x, y),
             torch.le(x, 0), torch.eq(x, 0), torch.ne(x, y), x.gt(0), x.ge(y), x.lt(0), x.le(y), x.eq(y), x.ne(y),
             torch.greater(x, 0), torch.less(x, y), x.not_equal(0)]
    out = x * 0
    for i, m in enumerate(masks):
        out = out + m.float() * (i + 1)
    return out


@case(["Tensor.__eq__", "Tensor.add"], on=(DEFAULT,))
def compare_with_none(w, x):
    return x + (1 if x == None else 2)  # noqa: E711  (torch records NotImplemented)


@case([
    "Tensor.__and__",
    "Tensor.__invert__",
    "Tensor.__or__",
    "Tensor.__xor__",
    "Tensor.add",
    "Tensor.float",
    "Tensor.gt",
    "Tensor.long",
    "Tensor.lt",
    "Tensor.mul",
    "torch.logical_and",
    "torch.logical_not",
    "torch.logical_or",
], on=(DEFAULT,))
def logic(w, x):
    torch = torch_of(w)
    a, b = x > 0, x < 0.5
    n = (x * 10).long()
    return ((a & b) | (~a ^ b)).float() + torch.logical_and(a, b) + torch.logical_or(a, x) + torch.logical_not(a) \
        + (n & 3) + (n | 1) + (n ^ 2) + ~n


@case(["Tensor.add", "Tensor.gt", "Tensor.lt", "Tensor.where", "torch.where"], on=(DEFAULT,))
def where(w, x):
    torch = torch_of(w)
    y = _param(torch, 5, 1)
    return torch.where(x > 0, x, y) + torch.where(x < 0, 0.5, x) + torch.where(x > y, 1.0, -1.0) \
        + x.where(x > 0, y)


@case([
    "Tensor.add",
    "Tensor.clamp",
    "Tensor.gt",
    "Tensor.lt",
    "Tensor.masked_fill",
    "torch.masked_fill",
    "torch.where",
], on=(DEFAULT, CHANNELS_FIRST.lens))
def masked_fill(w, x):
    torch = torch_of(w)
    y = x.masked_fill(x < 0, 0.5) + torch.masked_fill(x, x > 0.5, -1) + x.masked_fill(x < 0, torch.tensor(0.25))
    return y + x.masked_fill(x > 100, float("-inf")) + torch.where(x > 100, float("nan"), x) + x.clamp(max=float("inf"))


@case(["Tensor.exp", "Tensor.gt", "Tensor.masked_fill"], on=(DEFAULT,))
def masked_fill_inf(w, x):
    """-inf where masked (attention masks): needs equal infinities to compare equal (see the test)."""
    return x.masked_fill(x > 1, float("-inf")).exp()


# -- casts ---------------------------------------------------------------------------------


@case([
    "Tensor.add",
    "Tensor.bool",
    "Tensor.double",
    "Tensor.float",
    "Tensor.half",
    "Tensor.int",
    "Tensor.long",
    "Tensor.mul",
    "Tensor.to",
    "Tensor.type",
    "Tensor.type_as",
], on=(DEFAULT,))
def casts(w, x):
    torch = torch_of(w)
    n = (x * 10).long()
    return (n.float() + x.long() + x.int() + x.bool() + n.type_as(x) + n.to(torch.float32) + x.to("cpu")
            + x.to("cpu", torch.float64) + x.to(x.device) + x.to(dtype=torch.int64) + x.double().float()
            + x.half().float() + x.type(torch.int32) + x.type("torch.LongTensor") + x.to(n) + x.float())


# -- in place -----------------------------------------------------------------------------


@case([
    "Tensor.add",
    "Tensor.add_",
    "Tensor.clamp_",
    "Tensor.div_",
    "Tensor.gt",
    "Tensor.long",
    "Tensor.masked_fill_",
    "Tensor.mul",
    "Tensor.mul_",
    "Tensor.pow_",
    "Tensor.sub_",
], on=(DEFAULT, CHANNELS_FIRST.lens))
def in_place(w, x):
    y = x * 1
    y.add_(1)
    y.mul_(2)
    y += x
    y -= 0.5
    y *= x
    y /= 2
    y.sub_(x, alpha=2)
    y.clamp_(-1, 2)
    y.masked_fill_(y > 1.5, 0.0)
    y.pow_(2)
    y.div_(3)
    n = (x * 10).long()
    n += 1
    n *= 2
    return y + n


@case(["Tensor.add", "Tensor.add_", "Tensor.fill_", "Tensor.mul", "Tensor.zero_"], on=(DEFAULT,))
def fill_in_place(w, x):
    z = x * 1
    z.zero_()
    z += x
    z.fill_(0.25)
    return z + x


# -- creation, dynamic sizes ------------------------------------------------------------------


def _layout(x):
    """(batch, feature, time) sizes of ``x`` in batch-major (B, F, T) or time-major (T, B, F) inputs."""
    b, f, t = x.shape if x.shape[1] == 5 else (x.shape[1], x.shape[2], x.shape[0])
    return b, f, t


def _shaped(x, b, f, t):
    """The torch sizes of a tensor like ``x``."""
    return (b, f, t) if x.shape[1] == 5 else (t, b, f)


@case([
    "Tensor.add",
    "Tensor.mul",
    "Tensor.new_full",
    "Tensor.new_ones",
    "Tensor.new_zeros",
    "torch.full",
    "torch.ones",
    "torch.zeros",
], on=(DEFAULT, CHANNELS_FIRST.lens, TM, TM.lens), other_lengths=[[7] * 3, [16] * 3])
def creation_dynamic(w, x):
    torch = torch_of(w)
    b, f, t = _layout(x)
    shape = _shaped(x, b, f, t)
    return (x + torch.zeros(*shape) + torch.ones(shape) * 2 + torch.full(shape, 0.5) + x.new_zeros(shape)
            + x.new_ones(*shape) + x.new_full(shape, 3.0) + torch.zeros(shape, dtype=torch.int64))


@case(["Tensor.add"], on=(DEFAULT,))
def empty_placeholders(w, x):
    """``torch.empty`` of constant sizes (WavLM's ``torch.empty([0])`` placeholder weight), filled in place:
    the recorded values."""
    torch = torch_of(w)
    return x + torch.empty([0]).sum() + torch.empty(5, 1).fill_(0.5) + torch.empty((1,), dtype=torch.float32).zero_()


@case(["Tensor.add", "Tensor.mul"], on=(BATCH_OF_ONE,))
def leading_one_param(w, x):
    """Parameters with a leading size-1 axis against a batch of one: the batch axis (recorded with size 1) still
    is the batch, and the parameter's size-1 axis broadcasts to it."""
    torch = torch_of(w)
    weight, bias = _param(torch, 1, 5, 1), _param(torch, 1, 1, 1)
    return x * weight + bias + weight * x.mean(0, keepdim=True)


@case(["Tensor.add", "Tensor.mul", "Tensor.sub"], on=(DEFAULT, CHANNELS_FIRST.lens))
def merged_batches(w, x):
    """Two tensors whose batch axes are each merged with the 5 features (RETURNN gives every merge a batch dim
    of its own), combined, and split again."""
    b, f, t = x.shape
    a, c = x.reshape(b * f, t), (x * 2).reshape(b * f, t)
    return (a * c + a - c.reshape(b * f, 1, t)[:, 0]).reshape(b, f, t)


@case(["Tensor.add", "Tensor.exp", "torch.full"], on=(DEFAULT,))
def full_inf(w, x):
    """A non-finite fill value (in the exported config too): needs equal infinities to compare equal."""
    torch = torch_of(w)
    return torch.full(x.shape, float("-inf")).exp() + x


@case(["Tensor.add", "Tensor.mul", "torch.full_like", "torch.ones_like", "torch.zeros_like"], on=(DEFAULT, TM, TM.lens))
def creation_like(w, x):
    torch = torch_of(w)
    return torch.zeros_like(x) + torch.ones_like(x) * x + torch.full_like(x, 2.0) \
        + torch.zeros_like(x, dtype=torch.int64) + torch.full_like(x, x.shape[0])


@case([
    "Tensor.add",
    "Tensor.div",
    "Tensor.mul",
    "Tensor.new_tensor",
    "torch.full",
    "torch.tensor",
], on=(DEFAULT, CHANNELS_FIRST.lens, TM, TM.lens), other_lengths=[[7] * 3, [16] * 3])
def divide_by_length(w, x):
    torch = torch_of(w)
    b, f, t = _layout(x)
    return x / t + (t - 1) * x + torch.full(_shaped(x, b, 1, 1), t) + torch.tensor(t) + x.new_tensor(t) * 0.5 + b


@case([
    "Tensor.add",
    "Tensor.mul",
    "torch.tensor",
], on=(DEFAULT, CHANNELS_FIRST.lens), other_lengths=[[7] * 3, [16] * 3])
def tensor_of_sizes(w, x):
    torch = torch_of(w)
    b, _, t = x.shape
    return torch.tensor([t, 3.0]) * 2 + torch.tensor([b, t // 2 + 1])


@case([
    "Tensor.add",
    "Tensor.mul",
    "torch.arange",
], on=(DEFAULT, CHANNELS_FIRST.lens), other_lengths=[[7] * 3, [16] * 3])
def arange_time(w, x):
    torch = torch_of(w)
    t = x.shape[2]
    return x + torch.arange(t) + torch.arange(t, dtype=torch.float32) * 0.5 + torch.arange(1, t + 1) \
        + torch.arange(0.0, t) + torch.arange(end=t)


@case([
    "Tensor.add",
    "Tensor.mul",
    "torch.arange",
], on=(DEFAULT, CHANNELS_FIRST.lens), other_lengths=[[7] * 3, [16] * 3])
def arange_step(w, x):
    torch = torch_of(w)
    t = x.shape[2]
    return torch.arange(2, t, 3) * 2 + 1


@case(["torch.arange"], on=(DEFAULT, CHANNELS_FIRST.lens), other_lengths=[[7] * 3, [16] * 3])
def arange_float_step(w, x):
    torch = torch_of(w)
    return torch.arange(-1, x.shape[2] - 1, 2.0)


@case([
    "Tensor.__invert__",
    "Tensor.add",
    "Tensor.float",
    "Tensor.lt",
    "Tensor.masked_fill",
    "torch.arange",
    "torch.full",
], on=(DEFAULT, CHANNELS_FIRST.lens), other_lengths=[[7] * 3, [16] * 3])
def mask_from_lengths(w, x):
    """A (B, 1, T) mask from arange over time against per-sequence lengths (here ``t - 2`` each)."""
    torch = torch_of(w)
    b, _, t = x.shape
    lengths = torch.full((b, 1, 1), t - 2)
    mask = torch.arange(t) < lengths
    return x.masked_fill(~mask, 0.0) + mask.float()


@case(["Tensor.add", "Tensor.mul"], on=(DEFAULT,))
def constants_folded(w, x):
    """Creation ops on constants only take their recorded values (nothing built); the net uses them."""
    torch = torch_of(w)
    scale = torch.ones(5, 1) * 2 + torch.tensor([[1.0], [2.0], [3.0], [4.0], [5.0]]) + torch.full((5, 1), 0.5)
    return x * scale + torch.zeros(1) + torch.tensor(2.0)


@case(["Tensor.add", "torch.arange"], on=(DEFAULT, CHANNELS_FIRST.lens, TM, TM.lens), other_lengths=[[7] * 3, [16] * 3])
def arange_indexed(w, x):
    """``torch.arange(t)`` lined up with the time axis by indexing, in either layout (uses the shape family)."""
    torch = torch_of(w)
    b, f, t = _layout(x)
    positions = torch.arange(t, device=x.device)
    return x + (positions[None, None, :] if x.shape[1] == 5 else positions[:, None, None])


@case([
    "Tensor.__invert__",
    "Tensor.add",
    "Tensor.gt",
    "Tensor.long",
    "Tensor.lt",
    "Tensor.masked_fill",
    "torch.arange",
], on=(DEFAULT, CHANNELS_FIRST.lens), other_lengths=[[7] * 3, [16] * 3])
def mask_from_data_lengths(w, x):
    """The usual padding mask: ``arange(t) < lengths`` with per-sequence lengths computed from the data."""
    torch = torch_of(w)
    t = x.shape[2]
    lengths = (x[:, 0, :] > 0).long().sum(-1) + t // 2
    mask = torch.arange(t)[None, :] < lengths[:, None]
    return x.masked_fill(~mask[:, None, :], 0.0)


@refused(r"torch.where\(condition\).*not supported", on=DEFAULT)
def unsupported_where(w, x):
    """``torch.where(condition)`` (indices of nonzero elements, a data-dependent shape): not supported."""
    torch = torch_of(w)
    torch.where(x > 0)
    return x + 1


@case([
    "Tensor.lt",
    "Tensor.masked_fill",
    "torch.arange",
], on=(DEFAULT, CHANNELS_FIRST.lens), other_lengths=[[7] * 3, [16] * 3])
def causal_mask(w, x):  # a (time, time) mask by broadcasting positions, as attention code writes it
    torch = torch_of(w)
    pos = torch.arange(x.shape[2])
    future = pos[:, None] < pos[None, :]
    scores = torch.einsum("bft,bfs->bts", x, x)
    return scores.masked_fill(future, -1e9).softmax(-1)


@case([
    "Tensor.add",
    "Tensor.masked_fill",
    "Tensor.mul",
    "Tensor.triu",
    "torch.ones_like",
    "torch.tril",
], on=(DEFAULT, CHANNELS_FIRST.lens), other_lengths=[[7] * 3, [16] * 3])
def triangles(w, x):  # triu / tril of a (time, time) matrix, also as a causal mask
    torch = torch_of(w)
    scores = torch.einsum("bft,bfs->bts", x, x)
    future = torch.ones_like(scores, dtype=torch.bool).triu(1)
    return scores.triu(1) + torch.tril(scores, -2) * 0.5 + scores.masked_fill(future, -1e9).softmax(-1)


@case([
    "Tensor.add",
    "Tensor.masked_fill",
    "torch.full",
    "torch.ones",
    "torch.triu",
], on=(DEFAULT, CHANNELS_FIRST.lens), other_lengths=[[7] * 3, [16] * 3])
def square_masks(w, x):  # torch.ones(t, t) / torch.full((t, t), -inf): one dynamic size twice
    torch = torch_of(w)
    t = x.shape[2]
    future = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    bias = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
    scores = torch.einsum("bft,bfs->bts", x, x)
    return scores.masked_fill(future, -1e9).softmax(-1) + (scores + bias).softmax(-1)


@case(["Tensor.add", "torch.zeros"], on=(DEFAULT, CHANNELS_FIRST.lens), other_lengths=[[7] * 3, [16] * 3])
def square_behind_static_axes(w, x):
    """T5's position bias of a layer without relative attention: ``torch.zeros((1, heads, t, t))``."""
    torch = torch_of(w)
    t = x.shape[2]
    scores = torch.einsum("bft,bfs->bts", x, x)[:, None]
    return (scores + torch.zeros((1, 3, t, t), dtype=x.dtype)).softmax(-1).sum(1)


# -- sizes and lengths as values: they stay the dim they come from (input (batch, 5, time)) -----------


@case(["Tensor.mul", "torch.arange", "torch.full"], on=(CHANNELS_FIRST.lens,), other_lengths=[[7, 3, 5], [16, 16, 9]])
def lengths_arange_max(w, x):
    """``arange(lengths.max())`` from lengths filled with the time size: a range over the time dim."""
    torch = torch_of(w)
    b, _, t = x.shape
    lengths = torch.full((b,), t)
    return x * torch.arange(lengths.max())[None, None, :]


@case([
    "Tensor.__invert__",
    "Tensor.add",
    "Tensor.float",
    "Tensor.lt",
    "Tensor.masked_fill",
    "torch.arange",
], on=(CHANNELS_FIRST.lens,), other_lengths=[[7, 3, 5], [16, 16, 9]])
def lengths_mask(w, x, seq_lens):
    """The padding mask from the input's lengths, as ASR code builds it (``make_pad_mask``)."""
    torch = torch_of(w)
    mask = torch.arange(seq_lens.max())[None, :] < seq_lens[:, None]
    return x.masked_fill(~mask[:, None, :], 0.0) + mask[:, None, :].float()


@case([
    "Tensor.add",
    "Tensor.cpu",
    "Tensor.item",
    "Tensor.long",
    "Tensor.lt",
    "torch.arange",
    "torch.where",
    "torch.zeros",
], on=(CHANNELS_FIRST.lens,), other_lengths=[[7, 3, 5], [16, 16, 9]])
def lengths_item(w, x, seq_lens):
    """Lengths moved to the CPU, cast, their maximum read as a Python int and used as sizes."""
    torch = torch_of(w)
    lengths = seq_lens.cpu().long()
    t = lengths.max().item()
    positions = torch.arange(lengths.amax().item()).unsqueeze(0).expand(x.shape[0], t)
    mask = positions < lengths.unsqueeze(1)
    zeros = torch.zeros(x.shape[0], 1, t)
    return torch.where(mask[:, None, :], x, zeros) + mask.sum(-1, keepdim=True)[..., None]


@case([
    "Tensor.add",
    "Tensor.float",
    "Tensor.mul",
    "torch.arange",
], on=(CHANNELS_FIRST.lens,), other_lengths=[[7, 3, 5], [16, 16, 9]])
def batch_arange(w, x):
    """A batch-sized arange broadcast against other batch-sized tensors."""
    torch = torch_of(w)
    b = x.shape[0]
    offsets = torch.arange(b).unsqueeze(1) * 10 + torch.arange(4)[None, :]
    return x[:, :, :1] + offsets[:, None, :].float() + torch.arange(x.shape[1]).reshape(1, -1, 1)


@refused("static axis of size 6 with the dynamic axis.*in this recording only", on=DEFAULT)
def static_meets_dynamic(w, x):
    """A strided time axis added to a fixed-length prefix: equal sizes in this recording only."""
    return x[:, :, ::2] + x[:, :, :6]


@case([
    "Tensor.__rdiv__",
    "Tensor.__rsub__",
    "Tensor.add",
    "Tensor.div",
    "Tensor.mul",
    "Tensor.neg",
    "Tensor.sub",
], on=(DEFAULT, BM, TM))
def arithmetic(w, x):
    y = x * 2.0 + 1
    z = 1 - y / 3
    return -(z - x) * x + 2 / (x * x + 1)


# -- the named forms of operators, bitwise ops, more casts --------------------------


@case(["torch.multiply", "Tensor.multiply", "torch.subtract", "Tensor.subtract", "torch.divide", "Tensor.divide",
       "torch.floor_divide", "Tensor.floor_divide", "torch.remainder", "Tensor.remainder"],
      on=(DEFAULT, CHANNELS_FIRST.lens))
def named_arithmetic(w, x):
    torch = torch_of(w)
    y = torch.multiply(x, 2) + x.multiply(x) + torch.subtract(x, 1) + x.subtract(x * 3, alpha=2)
    y = y + torch.divide(x, 3) + x.divide(x * x + 1) + torch.floor_divide(x, 0.7) + x.floor_divide(0.3)
    return y + torch.remainder(x, 0.6) + x.remainder(x.abs() + 1)


@case(["torch.greater_equal", "Tensor.greater_equal", "torch.less_equal", "Tensor.less_equal",
       "torch.logical_xor", "Tensor.logical_xor", "torch.bitwise_and", "Tensor.bitwise_and", "torch.bitwise_or",
       "Tensor.bitwise_or", "torch.bitwise_xor", "Tensor.bitwise_xor", "torch.bitwise_not", "Tensor.bitwise_not"],
      on=(DEFAULT, CHANNELS_FIRST.lens))
def named_comparisons_and_bits(w, x):
    torch = torch_of(w)
    a, b = x > 0, x < 0.5
    y = torch.greater_equal(x, 0.1).float() + x.greater_equal(x * 2).float() + torch.less_equal(x, 0).float()
    y = y + x.less_equal(0.2).float() + torch.logical_xor(a, b).float() + a.logical_xor(x).float()
    n = (x * 4).long()
    bits = torch.bitwise_and(n, 3) + n.bitwise_and(n * 5) + torch.bitwise_or(n, 2) + n.bitwise_or(a)
    bits = bits + torch.bitwise_xor(n, 1) + n.bitwise_xor(6) + torch.bitwise_not(n) + b.bitwise_not().long()
    return y + bits


@case(["Tensor.byte", "Tensor.char", "Tensor.short", "Tensor.clip_"], on=(DEFAULT, CHANNELS_FIRST.lens))
def small_integer_casts(w, x):
    y = x * 2
    y.clip_(-1.0, 1.0)
    return y + (x.abs() * 10).byte().float() + (x * 10).char() + (x * 100).short() * 0.5


@case(["Tensor.ceil", "Tensor.floor", "Tensor.trunc", "Tensor.sin", "torch.cos", "Tensor.expm1", "Tensor.log1p",
       "Tensor.log2", "Tensor.reciprocal", "Tensor.square", "torch.sign", "Tensor.minimum", "torch.clamp_max",
       "Tensor.greater", "Tensor.less", "torch.not_equal", "Tensor.logical_and", "Tensor.logical_or",
       "torch.true_divide", "torch.detach", "Tensor.tril"], on=(DEFAULT, CHANNELS_FIRST.lens))
def more_method_forms(w, x):
    """Method and function forms the other models call in the other form."""
    torch = torch_of(w)
    y = x.ceil() + x.floor() * 2 + x.trunc() * 3 + x.sin() + torch.cos(x) + x.expm1() + x.abs().log1p()
    y = y + (x.abs() + 1).log2() + (x * x + 1).reciprocal() + x.square() + torch.sign(x) + x.minimum(x * 0.5)
    a, b = x > 0, x < 0.5
    y = y + x.greater(0.2).float() + x.less(x * 2).float() + torch.not_equal(x, 0.1).float()
    y = y + a.logical_and(b).float() + a.logical_or(b).float() + torch.clamp_max(x, 0.3)
    return y + torch.true_divide(x, 3) + torch.detach(x) + x.tril(1)
