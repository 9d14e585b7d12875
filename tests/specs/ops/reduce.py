"""Op test models for linear, products and reductions.

Each function is a tiny model ``f(wrapped_import, x)``; x is (batch, time, 5) unless the name
says ``tm_`` (time-major: (time, batch, 5)). Time is dynamic; the tests also run with
sequences of different lengths, so reductions and contractions over time must include the
padding frames as torch does.
"""


def _torch(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


def _param(w, *shape):
    torch = _torch(w)
    return torch.nn.Parameter(torch.randn(*shape))


# -- linear --------------------------------------------------------------------------------------

def linear(w, x):
    return _torch(w).nn.Linear(5, 3)(x)


def linear_no_bias(w, x):
    return _torch(w).nn.Linear(5, 4, bias=False)(x)


def linear_functional(w, x):
    torch = _torch(w)
    return torch.nn.functional.linear(x, _param(w, 3, 5), _param(w, 3))


def linear_square_twice(w, x):
    """The output dim of the first call is the input dim of the second: the weight needs a new out dim."""
    lin = _torch(w).nn.Linear(5, 5)
    return lin(lin(x))


def linear_shared_weight(w, x):
    lin = _torch(w).nn.Linear(5, 3)
    return lin(x) + _torch(w).nn.functional.linear(x, lin.weight)


def linear_reused_on_other_dim(w, x):
    """The same Linear on x and on a product with another feature dim: the bound weight is retagged."""
    lin = _torch(w).nn.Linear(5, 3)
    return lin(x) + lin(x @ _param(w, 5, 5))


def linear_on_reduced(w, x):
    return _torch(w).nn.Linear(5, 2)(x.mean(1))


# -- reductions ----------------------------------------------------------------------------------

def sum_dim(w, x):
    return x.sum(1) + _torch(w).sum(x, dim=1)


def sum_dims_keepdim(w, x):
    return x.sum((1, 2), keepdim=True) + x.sum(-1, True) + _torch(w).sum(x, dim=[0, 1])


def sum_dtype_axis(w, x):
    torch = _torch(w)
    return x.sum(axis=1, dtype=torch.float64) + torch.mean(x, axis=-1, keepdim=True).sum(1, dtype=torch.float64)


def sum_all(w, x):
    return x.sum() + _torch(w).sum(x)


def mean_dim(w, x):
    return x.mean(1) + _torch(w).mean(x, dim=1)


def mean_keepdim(w, x):
    return x - x.mean(-1, keepdim=True) + _torch(w).mean(x, (0, 1), True)


def mean_all(w, x):
    return x.mean() + _torch(w).mean(x)


def max_dim(w, x):
    values, indices = x.max(1, keepdim=True)
    return values + indices + _torch(w).max(x, dim=2, keepdim=True).values


def max_dim_indices(w, x):
    result = _torch(w).max(x, 1)
    return result.indices * result[0]


def min_dim(w, x):
    values, indices = x.min(dim=1)
    return values * indices + _torch(w).min(x, 1)[1]


def max_min_all(w, x):
    return x.max() + _torch(w).max(x) - x.min() - _torch(w).min(x)


def max_min_elementwise(w, x):
    torch = _torch(w)
    return torch.max(x, x.mean(1, keepdim=True)) + x.min(x * 2.0 - 1.0)


def amax_amin(w, x):
    torch = _torch(w)
    return x.amax(1, keepdim=True) + torch.amax(x, dim=(1, 2), keepdim=True) + x.amin() + torch.amin(x, -1, True)


def logsumexp(w, x):
    return _torch(w).logsumexp(x, 1) + x.logsumexp(dim=(1, 2), keepdim=True).sum(-1)


def argmax_argmin(w, x):
    torch = _torch(w)
    keep = x.argmax(1, keepdim=True) + torch.argmax(x, dim=2, keepdim=True) - x.argmin(1, keepdim=True)
    return keep * x.argmax(1).sum(0) + torch.argmin(x, -1).sum()


def argmax_vector(w, x):
    return x.sum((0, 1)).argmax()


# -- products ------------------------------------------------------------------------------------

def matmul_weight(w, x):
    weight = _param(w, 5, 3)
    return x @ weight + _torch(w).matmul(x, weight) + x.matmul(weight)


def matmul_vector(w, x):
    return (x @ _param(w, 5)).sum(1) + _torch(w).matmul(x.mean(1), _param(w, 5))


def matmul_time_by_time(w, x):
    """(B, T, F) @ (B, F, T): the result has two time axes."""
    torch = _torch(w)
    return torch.matmul(x, torch.einsum("btf->bft", x))


def matmul_param_first(w, x):
    """(3, 5) @ (B, 5, T): the parameter is the first operand, the input keeps its dims."""
    torch = _torch(w)
    return torch.matmul(_param(w, 3, 5), torch.einsum("btf->bft", x))


def bmm_over_time(w, x):
    """(B, F, T) @ (B, T, F): contracts over time (padding included), two feature axes."""
    torch = _torch(w)
    xt = torch.einsum("btf->bft", x)
    return torch.bmm(xt, x) + xt.bmm(x * 2.0)


def mm_mv(w, x):
    torch = _torch(w)
    m = x.mean(1)
    return torch.mm(m, _param(w, 5, 4)).sum(1) + m.mm(_param(w, 5, 2)).amax(1) + torch.mv(m, _param(w, 5)) \
        + m.mv(_param(w, 5))


def matmul_broadcast(w, x):
    """A batch of matrices times one (2, 5, 3) stack broadcast over (B, 1): 4-d @ 3-d."""
    torch = _torch(w)
    stack = torch.einsum("bf,c,d->bcdf", x.mean(1), _param(w, 1), _param(w, 4))  # (B, 1, 4, 5)
    return torch.matmul(stack, _param(w, 2, 5, 3))


def dot_outer_addmm(w, x):
    torch = _torch(w)
    m, v = x.mean(1), x.amax((0, 1))  # (B, 5), (5,)
    return torch.addmm(_param(w, 5), m, _param(w, 5, 5), beta=0.5, alpha=2.0) + torch.dot(v, v) \
        + m.addmm(m, _param(w, 5, 5)) + torch.outer(m.sum(1), v) + v.outer(v).sum(0)


def baddbmm_attention(w, x):
    """Attention scores as (B, T, F) @ (B, F, T') added to a broadcast bias, as in some attention code."""
    torch = _torch(w)
    xt = torch.einsum("btf->bft", x)
    scores = torch.baddbmm(_param(w, 1), x, xt, alpha=0.125)
    return scores.baddbmm(x, xt, beta=0.5)


def einsum_attention(w, x):
    return _torch(w).einsum("btf,bsf->bts", x, x)


def einsum_attention_values(w, x):
    """Attention weights (B, T, T') times values: contracts over the second time axis."""
    torch = _torch(w)
    scores = torch.einsum("btf,bsf->bts", x, x)
    return torch.einsum("bij,bjk->bik", scores, x)


def einsum_weight(w, x):
    torch = _torch(w)
    return torch.einsum("bti,io->bto", x, _param(w, 5, 3)) + torch.einsum("B T F, F O -> B T O", x, _param(w, 5, 3))


def einsum_implicit_ellipsis(w, x):
    torch = _torch(w)
    return torch.einsum("...f,fo", x, _param(w, 5, 2)).amax(-1) + torch.einsum("b...f->b...", x)


def einsum_sum_and_outer(w, x):
    torch = _torch(w)
    return torch.einsum("btf->bf", x) + torch.einsum("bf,bg->bfg", x.mean(1), x.amax(1)).sum(1)


def einsum_three_operands(w, x):
    torch = _torch(w)
    return torch.einsum("btf,fg,gh->bth", x, _param(w, 5, 4), _param(w, 4, 3))


def einsum_list_operands(w, x):
    return _torch(w).einsum("btf,fo->bo", [x, _param(w, 5, 3)])


# -- time-major input (time, batch, 5) ------------------------------------------------------------

def tm_reduce_time(w, x):
    torch = _torch(w)
    values, indices = x.max(0)
    return x.sum(0) + torch.mean(x, dim=0, keepdim=True) + values + indices - x.argmin(0) + x.amin((0, 2), True)


def tm_attention(w, x):
    torch = _torch(w)
    scores = torch.einsum("tbf,sbf->bts", x, x)
    return torch.einsum("bts,sbf->tbf", scores, x)


def tm_bmm(w, x):
    torch = _torch(w)
    xb = torch.einsum("tbf->btf", x)
    xf = torch.einsum("tbf->bft", x)
    return torch.bmm(xb, xf).sum((1, 2)) + torch.bmm(xf, xb).sum((1, 2))


# -- refused -------------------------------------------------------------------------------------

def argmax_flat(w, x):
    return x.argmax()


def einsum_diagonal(w, x):
    return _torch(w).einsum("bff->bf", _torch(w).einsum("btf,btg->bfg", x, x))




def einsum_batch_by_batch(w, x):
    m = x.mean(1)
    return _torch(w).einsum("bf,cf->bc", m, m)


def linear_over_time(w, x):
    torch = _torch(w)
    return torch.nn.Linear(7, 3)(torch.einsum("btf->bft", x))
