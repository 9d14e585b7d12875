"""Op test models for linear, products and reductions.

Each function is a tiny model ``f(wrapped_import, x)``; x is (batch, time, 5) unless the name
says ``tm_`` (time-major: (time, batch, 5)). Time is dynamic; the tests also run with
sequences of different lengths, so reductions and contractions over time must include the
padding frames as torch does.
"""

from opcases import BATCH_MAJOR, TIME_MAJOR, Inputs, case, refused, torch_of

#: (batch, time, 5) and (time, batch, 5), time dynamic
BM = Inputs("batch_major", (2, 7, 5), BATCH_MAJOR, lengths=[7, 4])
TM = Inputs("time_major", (7, 2, 5), TIME_MAJOR, lengths=[7, 4])


def _param(w, *shape):
    torch = torch_of(w)
    return torch.nn.Parameter(torch.randn(*shape))


# -- linear --------------------------------------------------------------------------------------

@case(["torch.nn.Linear"], on=(BM, BM.lens, TM.lens))
def linear(w, x):
    return torch_of(w).nn.Linear(5, 3)(x)


@case(["torch.nn.Linear"], on=(BM,))
def linear_no_bias(w, x):
    return torch_of(w).nn.Linear(5, 4, bias=False)(x)


@case(["torch.nn.functional.linear"], on=(BM,))
def linear_functional(w, x):
    torch = torch_of(w)
    return torch.nn.functional.linear(x, _param(w, 3, 5), _param(w, 3))


@case(["torch.nn.Linear"], on=(BM,))
def linear_square_twice(w, x):
    """The output dim of the first call is the input dim of the second: the weight needs a new out dim."""
    lin = torch_of(w).nn.Linear(5, 5)
    return lin(lin(x))


@case(["torch.nn.Linear", "torch.nn.functional.linear"], on=(BM,))
def linear_shared_weight(w, x):
    lin = torch_of(w).nn.Linear(5, 3)
    return lin(x) + torch_of(w).nn.functional.linear(x, lin.weight)


@case(["Tensor.matmul", "torch.nn.Linear"], on=(BM,))
def linear_reused_on_other_dim(w, x):
    """The same Linear on x and on a product with another feature dim: the bound weight is retagged."""
    lin = torch_of(w).nn.Linear(5, 3)
    return lin(x) + lin(x @ _param(w, 5, 5))


@case(["Tensor.mean", "torch.nn.Linear"], on=(BM, BM.lens))
def linear_on_reduced(w, x):
    return torch_of(w).nn.Linear(5, 2)(x.mean(1))


# -- reductions ----------------------------------------------------------------------------------

@case(["Tensor.sum", "torch.sum"], on=(BM, BM.lens))
def sum_dim(w, x):
    return x.sum(1) + torch_of(w).sum(x, dim=1)


@case(["Tensor.sum", "torch.sum"], on=(BM, BM.lens, TM.lens), other_lengths=[[9, 3, 6]])
def sum_dims_keepdim(w, x):
    return x.sum((1, 2), keepdim=True) + x.sum(-1, True) + torch_of(w).sum(x, dim=[0, 1])


@case(["Tensor.sum", "torch.mean"], on=(BM, BM.lens))
def sum_dtype_axis(w, x):
    torch = torch_of(w)
    return x.sum(axis=1, dtype=torch.float64) + torch.mean(x, axis=-1, keepdim=True).sum(1, dtype=torch.float64)


@case(["Tensor.sum", "torch.sum"], on=(BM, BM.lens))
def sum_all(w, x):
    return x.sum() + torch_of(w).sum(x)


@case(["Tensor.amax", "Tensor.sum"], on=(BM,))
def sum_over_merged_batch(w, x):  # over the batch merged with time (padding frames included, as in torch)
    flat = x.reshape(-1, x.shape[-1])
    return flat.sum() + x.sum((1, 2)) + flat.amax(0).sum()


@case(["Tensor.mean", "torch.mean"], on=(BM, BM.lens))
def mean_dim(w, x):
    return x.mean(1) + torch_of(w).mean(x, dim=1)


@case(["Tensor.mean", "torch.mean"], on=(BM, BM.lens))
def mean_keepdim(w, x):
    return x - x.mean(-1, keepdim=True) + torch_of(w).mean(x, (0, 1), True)


@case(["Tensor.mean", "torch.mean"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def mean_all(w, x):
    return x.mean() + torch_of(w).mean(x)


@case(["Tensor.max", "torch.max"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def max_dim(w, x):
    values, indices = x.max(1, keepdim=True)
    return values + indices + torch_of(w).max(x, dim=2, keepdim=True).values


@case(["torch.max"], on=(BM, BM.lens))
def max_dim_indices(w, x):
    result = torch_of(w).max(x, 1)
    return result.indices * result[0]


@case(["Tensor.min", "torch.min"], on=(BM, BM.lens))
def min_dim(w, x):
    values, indices = x.min(dim=1)
    return values * indices + torch_of(w).min(x, 1)[1]


@case(["Tensor.max", "Tensor.min", "torch.max", "torch.min"], on=(BM, BM.lens))
def max_min_all(w, x):
    return x.max() + torch_of(w).max(x) - x.min() - torch_of(w).min(x)


@case(["Tensor.mean", "Tensor.min", "torch.max"], on=(BM,))
def max_min_elementwise(w, x):
    torch = torch_of(w)
    return torch.max(x, x.mean(1, keepdim=True)) + x.min(x * 2.0 - 1.0)


@case(["Tensor.amax", "Tensor.amin", "torch.amax", "torch.amin"], on=(BM, BM.lens))
def amax_amin(w, x):
    torch = torch_of(w)
    return x.amax(1, keepdim=True) + torch.amax(x, dim=(1, 2), keepdim=True) + x.amin() + torch.amin(x, -1, True)


@case(["Tensor.logsumexp", "Tensor.sum", "torch.logsumexp"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def logsumexp(w, x):
    return torch_of(w).logsumexp(x, 1) + x.logsumexp(dim=(1, 2), keepdim=True).sum(-1)


@case(["Tensor.argmax", "Tensor.argmin", "Tensor.sum", "torch.argmax", "torch.argmin"], on=(BM, BM.lens))
def argmax_argmin(w, x):
    torch = torch_of(w)
    keep = x.argmax(1, keepdim=True) + torch.argmax(x, dim=2, keepdim=True) - x.argmin(1, keepdim=True)
    return keep * x.argmax(1).sum(0) + torch.argmin(x, -1).sum()


@case(["Tensor.argmax", "Tensor.sum"], on=(BM, BM.lens))
def argmax_vector(w, x):
    return x.sum((0, 1)).argmax()


@case(["Tensor.all", "Tensor.any", "torch.all", "torch.any"], on=(BM, BM.lens))
def any_all(w, x):
    torch = torch_of(w)
    per_feature = torch.any(x > 0, 1) & (x > -1).all(1) | torch.any(x, dim=1)  # the last of floats: nonzero
    per_batch = (x > 1).any(-1, keepdim=True).all(1) | torch.all(x < 2, dim=(1, 2), keepdim=True).any(2)
    as_uint8 = (x > 0).to(torch.uint8).any(1)  # uint8 in, uint8 out
    return per_feature & per_batch | torch.all(x > -5) & (x > 2).any() & as_uint8


@case(["Tensor.prod", "Tensor.sum", "torch.prod"], on=(BM, BM.lens))
def prod_dim(w, x):
    torch = torch_of(w)
    return x.prod(1) + torch.prod(x, -1, keepdim=True).sum(1) + torch.prod(x, dim=0, keepdim=True).sum(1)


@case(["Tensor.amax", "Tensor.prod", "Tensor.sum", "torch.prod"], on=(BM, BM.lens))
def prod_all_dtype(w, x):
    """Float64 as asked, int64 for bools as torch does; a 0-d tensor's product is itself."""
    torch = torch_of(w)
    return x.prod() + torch.prod(x, dtype=torch.float64) + (x > 0).prod(2).sum() + x.amax().prod() \
        + torch.prod(x, 1, dtype=torch.float64)


@case(["Tensor.std", "Tensor.sum", "Tensor.var", "torch.std", "torch.var"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def std_var_dim(w, x):
    torch = torch_of(w)
    return x.std(1) + torch.var(x, dim=1) + x.var(-1, keepdim=True).sum(1) + torch.std(x, 0, keepdim=True).sum(1)


@case(["Tensor.std", "Tensor.sum", "Tensor.var", "torch.std", "torch.var"], on=(BM, BM.lens))
def std_var_unbiased_correction(w, x):
    torch = torch_of(w)
    return x.std(1, unbiased=False) + torch.var(x, 1, False, True).sum(1) + x.var(dim=(0, 1), correction=2) \
        + torch.std(x, (1, 2), keepdim=True, correction=0.5).sum(1)


@case(["Tensor.std", "Tensor.var", "torch.std", "torch.var"], on=(BM, BM.lens))
def std_var_all(w, x):
    torch = torch_of(w)
    return x.std() + torch.var(x) + x.var(False) + torch.std(x, unbiased=False) + x.std(dim=None, keepdim=True)


@case(["Tensor.sum", "torch.std_mean", "torch.var_mean"], on=(BM, BM.lens))
def std_var_mean(w, x):
    torch = torch_of(w)
    s, m = torch.std_mean(x, 1)
    v, m2 = torch.var_mean(x, dim=(1, 2), keepdim=True, correction=0)
    return s * m + (v + m2).sum(-1) + torch.var_mean(x, 1, False)[0]


@case(["Tensor.norm", "Tensor.sum", "torch.norm"], on=(BM, BM.lens))
def norm_p(w, x):
    torch = torch_of(w)
    inf = float("inf")
    return torch.norm(x, dim=1) + x.norm(p=1, dim=1) + x.norm(inf, 1) + torch.norm(x, -inf, 1) \
        + torch.norm(x, 3.0, -1, keepdim=True).sum(1) + x.norm(p=0, dim=2, keepdim=True).sum(1) \
        + x.norm(0.5, (0, 1))


@case(["Tensor.norm", "Tensor.sum", "torch.norm"], on=(BM, BM.lens))
def norm_all(w, x):
    """The Frobenius default over all, p over all, 'fro' over two dims, a dtype."""
    torch = torch_of(w)
    return torch.norm(x) + x.norm() + x.norm(p=1) + torch.norm(x, "fro", (1, 2), keepdim=True).sum(1) \
        + x.norm(2, 1, False, torch.float64) + torch.norm(x, dim=-1, dtype=torch.float64).sum(1, keepdim=True)


@case(["Tensor.sum", "torch.linalg.vector_norm"], on=(BM, BM.lens))
def vector_norm(w, x):
    torch = torch_of(w)
    return torch.linalg.vector_norm(x, dim=1) + torch.linalg.vector_norm(x, float("inf"), (1, 2), True).sum(-1) \
        + torch.linalg.vector_norm(x, 1.5, -1).sum(1, keepdim=True) + torch.linalg.vector_norm(x) \
        + torch.linalg.vector_norm(x, ord=1, dtype=torch.float64)


@case(["torch.nn.functional.normalize"], on=(BM, BM.lens))
def normalize(w, x):
    """The last one's eps is above every max |x|: the denominator is eps."""
    F = torch_of(w).nn.functional  # noqa: N806
    return F.normalize(x, dim=-1) + F.normalize(x, p=1.0, dim=1) + F.normalize(x, dim=(1, 2)) \
        + F.normalize(x, float("inf"), -1, 10.0)


@case(["Tensor.amax", "Tensor.cumsum", "torch.cumsum"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def cumsum(w, x):
    torch = torch_of(w)
    return x.cumsum(1) + torch.cumsum(x, dim=-1) + x.cumsum(dim=0) + (x > 0).cumsum(-2) \
        + torch.cumsum(x, 1, dtype=torch.float64).to(torch.float32) + x.amax().cumsum(0)


@case(["Tensor.cumprod", "torch.cumprod"], on=(BM, BM.lens))
def cumprod(w, x):
    torch = torch_of(w)
    return x.cumprod(1) + torch.cumprod(x, dim=-1) + x.cumprod(dim=0) + (x > 0).cumprod(-2) \
        + torch.cumprod(x, 1, dtype=torch.float64)


# -- products ------------------------------------------------------------------------------------

@case(["Tensor.matmul", "torch.matmul"], on=(BM, TM.lens))
def matmul_weight(w, x):
    weight = _param(w, 5, 3)
    return x @ weight + torch_of(w).matmul(x, weight) + x.matmul(weight)


@case(["Tensor.matmul", "Tensor.mean", "Tensor.sum", "torch.matmul"], on=(BM,))
def matmul_vector(w, x):
    return (x @ _param(w, 5)).sum(1) + torch_of(w).matmul(x.mean(1), _param(w, 5))


@case(["torch.einsum", "torch.matmul"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def matmul_time_by_time(w, x):
    """(B, T, F) @ (B, F, T): the result has two time axes."""
    torch = torch_of(w)
    return torch.matmul(x, torch.einsum("btf->bft", x))


@case(["torch.einsum", "torch.matmul"], on=(BM, BM.lens))
def matmul_param_first(w, x):
    """(3, 5) @ (B, 5, T): the parameter is the first operand, the input keeps its dims."""
    torch = torch_of(w)
    return torch.matmul(_param(w, 3, 5), torch.einsum("btf->bft", x))


@case(["Tensor.bmm", "torch.bmm", "torch.einsum"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def bmm_over_time(w, x):
    """(B, F, T) @ (B, T, F): contracts over time (padding included), two feature axes."""
    torch = torch_of(w)
    xt = torch.einsum("btf->bft", x)
    return torch.bmm(xt, x) + xt.bmm(x * 2.0)


@case(["Tensor.amax", "Tensor.mean", "Tensor.mm", "Tensor.mv", "Tensor.sum", "torch.mm", "torch.mv"], on=(BM, BM.lens))
def mm_mv(w, x):
    torch = torch_of(w)
    m = x.mean(1)
    return torch.mm(m, _param(w, 5, 4)).sum(1) + m.mm(_param(w, 5, 2)).amax(1) + torch.mv(m, _param(w, 5)) \
        + m.mv(_param(w, 5))


@case(["Tensor.mean", "torch.einsum", "torch.matmul"], on=(BM,))
def matmul_broadcast(w, x):
    """A batch of matrices times one (2, 5, 3) stack broadcast over (B, 1): 4-d @ 3-d."""
    torch = torch_of(w)
    stack = torch.einsum("bf,c,d->bcdf", x.mean(1), _param(w, 1), _param(w, 4))  # (B, 1, 4, 5)
    return torch.matmul(stack, _param(w, 2, 5, 3))


@case([
    "Tensor.addmm",
    "Tensor.amax",
    "Tensor.mean",
    "Tensor.outer",
    "Tensor.sum",
    "torch.addmm",
    "torch.dot",
    "torch.outer",
], on=(BM, BM.lens))
def dot_outer_addmm(w, x):
    torch = torch_of(w)
    m, v = x.mean(1), x.amax((0, 1))  # (B, 5), (5,)
    return torch.addmm(_param(w, 5), m, _param(w, 5, 5), beta=0.5, alpha=2.0) + torch.dot(v, v) \
        + m.addmm(m, _param(w, 5, 5)) + torch.outer(m.sum(1), v) + v.outer(v).sum(0)


@case(["Tensor.baddbmm", "torch.baddbmm", "torch.einsum"], on=(BM, BM.lens))
def baddbmm_attention(w, x):
    """Attention scores as (B, T, F) @ (B, F, T') added to a broadcast bias, as in some attention code."""
    torch = torch_of(w)
    xt = torch.einsum("btf->bft", x)
    scores = torch.baddbmm(_param(w, 1), x, xt, alpha=0.125)
    return scores.baddbmm(x, xt, beta=0.5)


@case(["torch.einsum"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def einsum_attention(w, x):
    return torch_of(w).einsum("btf,bsf->bts", x, x)


@case(["torch.einsum"], on=(BM, BM.lens))
def einsum_attention_values(w, x):
    """Attention weights (B, T, T') times values: contracts over the second time axis."""
    torch = torch_of(w)
    scores = torch.einsum("btf,bsf->bts", x, x)
    return torch.einsum("bij,bjk->bik", scores, x)


@case(["torch.einsum"], on=(BM,))
def einsum_weight(w, x):
    torch = torch_of(w)
    return torch.einsum("bti,io->bto", x, _param(w, 5, 3)) + torch.einsum("B T F, F O -> B T O", x, _param(w, 5, 3))


@case(["Tensor.amax", "torch.einsum"], on=(BM, BM.lens))
def einsum_implicit_ellipsis(w, x):
    torch = torch_of(w)
    return torch.einsum("...f,fo", x, _param(w, 5, 2)).amax(-1) + torch.einsum("b...f->b...", x)


@case(["Tensor.amax", "Tensor.mean", "Tensor.sum", "torch.einsum"], on=(BM, BM.lens))
def einsum_sum_and_outer(w, x):
    torch = torch_of(w)
    return torch.einsum("btf->bf", x) + torch.einsum("bf,bg->bfg", x.mean(1), x.amax(1)).sum(1)


@case(["torch.einsum"], on=(BM,))
def einsum_three_operands(w, x):
    torch = torch_of(w)
    return torch.einsum("btf,fg,gh->bth", x, _param(w, 5, 4), _param(w, 4, 3))


@case(["torch.einsum"], on=(BM, BM.lens))
def einsum_list_operands(w, x):
    return torch_of(w).einsum("btf,fo->bo", [x, _param(w, 5, 3)])


# -- time-major input (time, batch, 5) ------------------------------------------------------------

@case(["Tensor.amin", "Tensor.argmin", "Tensor.max", "Tensor.sum", "torch.mean"], on=(TM.lens,), other_lengths=[[9, 3, 6]])
def tm_reduce_time(w, x):
    torch = torch_of(w)
    values, indices = x.max(0)
    return x.sum(0) + torch.mean(x, dim=0, keepdim=True) + values + indices - x.argmin(0) + x.amin((0, 2), True)


@case(["torch.einsum"], on=(TM.lens,), other_lengths=[[9, 3, 6]])
def tm_attention(w, x):
    torch = torch_of(w)
    scores = torch.einsum("tbf,sbf->bts", x, x)
    return torch.einsum("bts,sbf->tbf", scores, x)


@case(["Tensor.sum", "torch.bmm", "torch.einsum"], on=(TM.lens,))
def tm_bmm(w, x):
    torch = torch_of(w)
    xb = torch.einsum("tbf->btf", x)
    xf = torch.einsum("tbf->bft", x)
    return torch.bmm(xb, xf).sum((1, 2)) + torch.bmm(xf, xb).sum((1, 2))


@case(["Tensor.cumsum", "Tensor.norm", "Tensor.prod", "Tensor.std", "torch.nn.functional.normalize"], on=(BM, BM.lens))
def reduce_scan_transposed(w, x):
    """On a transposed view, whose layer has its axes in another order than torch's."""
    xt = x.transpose(1, 2)  # (B, 5, T)
    return xt.cumsum(-1) * xt.std(1, keepdim=True) + xt.prod(-1, keepdim=True) \
        + torch_of(w).nn.functional.normalize(xt, dim=-1) + xt.norm(dim=(0, 2), keepdim=True)


@case([
    "Tensor.any",
    "Tensor.cumsum",
    "Tensor.prod",
    "Tensor.std",
    "Tensor.var",
    "torch.cumprod",
    "torch.linalg.vector_norm",
    "torch.nn.functional.normalize",
    "torch.norm",
    "torch.var_mean",
], on=(TM.lens,))
def tm_reduce_more(w, x):
    torch = torch_of(w)
    return x.cumsum(0) + torch.cumprod(x, 0) * x.std(0, keepdim=True) + torch.norm(x, dim=0) + x.prod(0) \
        + x.var((0, 2), keepdim=True) + torch.nn.functional.normalize(x, dim=0) + (x > 0).any(0) \
        + torch.linalg.vector_norm(x, 1, (0, 2), keepdim=True) + torch.var_mean(x, 0)[1]


# -- refused -------------------------------------------------------------------------------------

@refused("argmax over all axes.*not supported", on=BM)
def argmax_flat(w, x):
    return x.argmax()


@case(["torch.einsum"], on=(BM,))
def einsum_diagonal(w, x):
    return torch_of(w).einsum("bff->bf", torch_of(w).einsum("btf,btg->bfg", x, x))


@refused("two batch axes.*not supported", on=BM)
def einsum_batch_by_batch(w, x):
    m = x.mean(1)
    return torch_of(w).einsum("bf,cf->bc", m, m)


@refused("linear over a dynamic.*not supported", on=BM)
def linear_over_time(w, x):
    torch = torch_of(w)
    return torch.nn.Linear(7, 3)(torch.einsum("btf->bft", x))


@refused("matrix norm.*not supported", on=BM)
def norm_nuclear(w, x):
    return torch_of(w).norm(x, p="nuc", dim=(1, 2))


@case(["Tensor.dot"], on=(BM, BM.lens))
def dot_method(w, x):
    return x * x.sum((0, 1)).dot(_param(w, 5))
