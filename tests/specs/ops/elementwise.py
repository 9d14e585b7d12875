"""Op test models for elementwise and creation ops.

Each function is a tiny model ``f(wrapped_import, x)``. Input (batch, 5 features, time); the models
the test lists under BOTH_LAYOUTS also take time-major (time, batch, 5 features) input (``_layout``).
"""


def _torch(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


def _param(torch, *shape):
    return torch.nn.Parameter(torch.randn(*shape))


# -- arithmetic, broadcasting, promotion ------------------------------------------


def broadcast_param(w, x):
    torch = _torch(w)
    weight, bias = _param(torch, *((5, 1) if x.shape[1] == 5 else (5,))), _param(torch, 1)  # see _layout
    return (x * weight + bias) / (weight * weight + 1) - bias


def scalar_forms(w, x):
    torch = _torch(w)
    y = torch.add(x, 2, alpha=3) + torch.sub(x, x * 2, alpha=0.5) + torch.rsub(x, 1.5) + torch.mul(x, 3)
    return torch.div(y, 4) + 2.0 / (x * x + 1) - 3 + x.true_divide(2) + torch.neg(x) + x.neg()


def integer_promotion(w, x):
    torch = _torch(w)
    n = (x * 10).long()
    a = n + 1                      # int64
    b = n / 3                      # true division: float32
    c = n // 3 + n % 3 + torch.div(n, 4, rounding_mode="floor") + torch.div(n, 4, rounding_mode="trunc")
    d = n * 0.5 + ((x > 0) + (x < 0.5)) + (x > 0) * 2  # float32; bool + bool: bool (or); bool * int: int64
    e = (x * 10).int() + n         # int32 + int64 -> int64
    f = torch.div(x * 7, 2, rounding_mode="trunc") + torch.div(x * 7, 2, rounding_mode="floor") + (x * 7) % 2
    return a + b + c + d + e + f + 2 // (n.abs() + 1) + 7 % (n.abs() + 1)


def zero_dim_promotion(w, x):
    torch = _torch(w)
    scale = torch.tensor(1.5, dtype=torch.float64)  # 0-dim: does not promote a float32 tensor, does an int one
    weight = _param(torch, 5, 1).double()  # dimensioned float64: promotes
    n = (x * 10).long()
    return x * scale + n * scale + x * weight


def powers(w, x):
    torch = _torch(w)
    a = x.abs() + 0.5
    n = (x * 3).long()
    return x ** 2 + 2 ** x + a ** x + torch.pow(a, 0.5) + a.pow(1.5) + n ** 2 + 2 ** n.abs()


def unary(w, x):
    torch = _torch(w)
    a = x.abs() + 0.5
    return (torch.exp(x) + x.exp() + torch.log(a) + a.log() + torch.sqrt(a) + a.sqrt() + torch.rsqrt(a)
            + a.rsqrt() + abs(x) + torch.abs(x) + x.abs() + torch.log1p(a) + torch.expm1(x) + torch.reciprocal(a)
            + torch.sin(x) + x.cos() + torch.log2(a) + torch.square(x) + x.sign() + torch.floor(x * 3)
            + torch.ceil(x * 3) + torch.round(x * 3) + torch.trunc(x * 3))


def unary_integer(w, x):
    torch = _torch(w)
    n = (x * 10).long()
    return torch.exp(n.abs() / 10) + torch.sqrt(n.abs()) + n.abs() + torch.square(n) + torch.floor(n) + (-n)


def activations(w, x):
    """sigmoid and tanh are the activation family's; here as elementwise ops on either operand kind."""
    torch = _torch(w)
    n = (x * 10).long()
    return torch.sigmoid(x) + x.sigmoid() + torch.tanh(x) + x.tanh() + torch.nn.functional.sigmoid(x) + (n > 0) * x


def minimum_maximum(w, x):
    torch = _torch(w)
    y = x * 2 - 1
    return torch.maximum(x, y) + torch.minimum(x, y) + x.maximum(y)


# -- clamp ---------------------------------------------------------------------------


def clamp_scalar(w, x):
    torch = _torch(w)
    return (torch.clamp(x, min=-0.5) + x.clamp(max=0.2) + torch.clamp(x, -0.3, 0.4) + x.clip(0, 1)
            + torch.clip(x, max=0.1) + x.clamp_min(0.1) + x.clamp_max(-0.1) + torch.clamp_min(x, 0.0))


def clamp_tensor(w, x):
    torch = _torch(w)
    low, high = _param(torch, 5, 1) - 1, _param(torch, 1) + 1
    return torch.clamp(x, low, high) + x.clamp(min=low) + torch.clamp(x, max=high)


def clamp_integer(w, x):
    n = (x * 10).long()
    return n.clamp(-3, 4) + n.clamp(min=0.5)  # an int tensor clamped by a float: float32


# -- comparisons, logic, selection --------------------------------------------------------


def comparisons(w, x):
    torch = _torch(w)
    y = x * 0.5
    masks = [x > 0, x >= y, x < 0.3, x <= y, x == y, x != 0, torch.gt(x, y), torch.ge(x, 0), torch.lt(x, y),
             torch.le(x, 0), torch.eq(x, 0), torch.ne(x, y), x.gt(0), x.ge(y), x.lt(0), x.le(y), x.eq(y), x.ne(y),
             torch.greater(x, 0), torch.less(x, y), x.not_equal(0)]
    out = x * 0
    for i, m in enumerate(masks):
        out = out + m.float() * (i + 1)
    return out


def compare_with_none(w, x):
    return x + (1 if x == None else 2)  # noqa: E711  (torch records NotImplemented)


def logic(w, x):
    torch = _torch(w)
    a, b = x > 0, x < 0.5
    n = (x * 10).long()
    return ((a & b) | (~a ^ b)).float() + torch.logical_and(a, b) + torch.logical_or(a, x) + torch.logical_not(a) \
        + (n & 3) + (n | 1) + (n ^ 2) + ~n


def where(w, x):
    torch = _torch(w)
    y = _param(torch, 5, 1)
    return torch.where(x > 0, x, y) + torch.where(x < 0, 0.5, x) + torch.where(x > y, 1.0, -1.0) \
        + x.where(x > 0, y)


def masked_fill(w, x):
    torch = _torch(w)
    y = x.masked_fill(x < 0, 0.5) + torch.masked_fill(x, x > 0.5, -1) + x.masked_fill(x < 0, torch.tensor(0.25))
    return y + x.masked_fill(x > 100, float("-inf")) + torch.where(x > 100, float("nan"), x) + x.clamp(max=float("inf"))


def masked_fill_inf(w, x):
    """-inf where masked (attention masks): needs equal infinities to compare equal (see the test)."""
    return x.masked_fill(x > 1, float("-inf")).exp()


# -- casts ---------------------------------------------------------------------------------


def casts(w, x):
    torch = _torch(w)
    n = (x * 10).long()
    return (n.float() + x.long() + x.int() + x.bool() + n.type_as(x) + n.to(torch.float32) + x.to("cpu")
            + x.to("cpu", torch.float64) + x.to(x.device) + x.to(dtype=torch.int64) + x.double().float()
            + x.half().float() + x.type(torch.int32) + x.type("torch.LongTensor") + x.to(n) + x.float())


# -- in place -----------------------------------------------------------------------------


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


def creation_dynamic(w, x):
    torch = _torch(w)
    b, f, t = _layout(x)
    shape = _shaped(x, b, f, t)
    return (x + torch.zeros(*shape) + torch.ones(shape) * 2 + torch.full(shape, 0.5) + x.new_zeros(shape)
            + x.new_ones(*shape) + x.new_full(shape, 3.0) + torch.zeros(shape, dtype=torch.int64))


def empty_placeholders(w, x):
    """``torch.empty`` of constant sizes (WavLM's ``torch.empty([0])`` placeholder weight), filled in place:
    the recorded values."""
    torch = _torch(w)
    return x + torch.empty([0]).sum() + torch.empty(5, 1).fill_(0.5) + torch.empty((1,), dtype=torch.float32).zero_()


def leading_one_param(w, x):
    """Parameters with a leading size-1 axis against a batch of one: the batch axis (recorded with size 1) still
    is the batch, and the parameter's size-1 axis broadcasts to it."""
    torch = _torch(w)
    weight, bias = _param(torch, 1, 5, 1), _param(torch, 1, 1, 1)
    return x * weight + bias + weight * x.mean(0, keepdim=True)


def merged_batches(w, x):
    """Two tensors whose batch axes are each merged with the 5 features (RETURNN gives every merge a batch dim
    of its own), combined, and split again."""
    b, f, t = x.shape
    a, c = x.reshape(b * f, t), (x * 2).reshape(b * f, t)
    return (a * c + a - c.reshape(b * f, 1, t)[:, 0]).reshape(b, f, t)


def full_inf(w, x):
    """A non-finite fill value (in the exported config too): needs equal infinities to compare equal."""
    torch = _torch(w)
    return torch.full(x.shape, float("-inf")).exp() + x


def creation_like(w, x):
    torch = _torch(w)
    return torch.zeros_like(x) + torch.ones_like(x) * x + torch.full_like(x, 2.0) \
        + torch.zeros_like(x, dtype=torch.int64) + torch.full_like(x, x.shape[0])


def divide_by_length(w, x):
    torch = _torch(w)
    b, f, t = _layout(x)
    return x / t + (t - 1) * x + torch.full(_shaped(x, b, 1, 1), t) + torch.tensor(t) + x.new_tensor(t) * 0.5 + b


def tensor_of_sizes(w, x):
    torch = _torch(w)
    b, _, t = x.shape
    return torch.tensor([t, 3.0]) * 2 + torch.tensor([b, t // 2 + 1])


def arange_time(w, x):
    torch = _torch(w)
    t = x.shape[2]
    return x + torch.arange(t) + torch.arange(t, dtype=torch.float32) * 0.5 + torch.arange(1, t + 1) \
        + torch.arange(0.0, t) + torch.arange(end=t)


def arange_step(w, x):
    torch = _torch(w)
    t = x.shape[2]
    return torch.arange(2, t, 3) * 2 + 1


def arange_float_step(w, x):
    torch = _torch(w)
    return torch.arange(-1, x.shape[2] - 1, 2.0)


def mask_from_lengths(w, x):
    """A (B, 1, T) mask from arange over time against per-sequence lengths (here ``t - 2`` each)."""
    torch = _torch(w)
    b, _, t = x.shape
    lengths = torch.full((b, 1, 1), t - 2)
    mask = torch.arange(t) < lengths
    return x.masked_fill(~mask, 0.0) + mask.float()


def constants_folded(w, x):
    """Creation ops on constants only take their recorded values (nothing built); the net uses them."""
    torch = _torch(w)
    scale = torch.ones(5, 1) * 2 + torch.tensor([[1.0], [2.0], [3.0], [4.0], [5.0]]) + torch.full((5, 1), 0.5)
    return x * scale + torch.zeros(1) + torch.tensor(2.0)


def arange_indexed(w, x):
    """``torch.arange(t)`` lined up with the time axis by indexing, in either layout (uses the shape family)."""
    torch = _torch(w)
    b, f, t = _layout(x)
    positions = torch.arange(t, device=x.device)
    return x + (positions[None, None, :] if x.shape[1] == 5 else positions[:, None, None])


def mask_from_data_lengths(w, x):
    """The usual padding mask: ``arange(t) < lengths`` with per-sequence lengths computed from the data."""
    torch = _torch(w)
    t = x.shape[2]
    lengths = (x[:, 0, :] > 0).long().sum(-1) + t // 2
    mask = torch.arange(t)[None, :] < lengths[:, None]
    return x.masked_fill(~mask[:, None, :], 0.0)


def unsupported_where(w, x):
    """``torch.where(condition)`` (indices of nonzero elements, a data-dependent shape): not supported."""
    torch = _torch(w)
    torch.where(x > 0)
    return x + 1


def causal_mask(w, x):  # a (time, time) mask by broadcasting positions, as attention code writes it
    torch = _torch(w)
    pos = torch.arange(x.shape[2])
    future = pos[:, None] < pos[None, :]
    scores = torch.einsum("bft,bfs->bts", x, x)
    return scores.masked_fill(future, -1e9).softmax(-1)


def triangles(w, x):  # triu / tril of a (time, time) matrix, also as a causal mask
    torch = _torch(w)
    scores = torch.einsum("bft,bfs->bts", x, x)
    future = torch.ones_like(scores, dtype=torch.bool).triu(1)
    return scores.triu(1) + torch.tril(scores, -2) * 0.5 + scores.masked_fill(future, -1e9).softmax(-1)


def square_masks(w, x):  # torch.ones(t, t) / torch.full((t, t), -inf): one dynamic size twice
    torch = _torch(w)
    t = x.shape[2]
    future = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    bias = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
    scores = torch.einsum("bft,bfs->bts", x, x)
    return scores.masked_fill(future, -1e9).softmax(-1) + (scores + bias).softmax(-1)
