"""Op test models for losses, distances, scans, order statistics and counts.

Each function is a tiny model ``f(wrapped_import, x)``; x is (batch, time, 5) unless the name
says ``tm_`` (time-major: (time, batch, 5)). Time is dynamic; the tests also run with
sequences of different lengths, so losses and reductions over time must include the padding
frames (and the targets computed from them) as torch does. Targets are computed in the net from
the input (``argmax``, comparisons), so every loss is built as layers, not folded to its record.
"""


def _torch(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


def _F(w):  # noqa: N802
    return _torch(w).nn.functional


def _classes(x):
    """(B, T) class indices of the (B, T, 5) input."""
    return x.argmax(-1)


def _with_ignored(torch, x, ignore=-100):
    """Class indices with ``ignore`` where the first feature is above 0.5 (some frames of each batch)."""
    return torch.where(x[..., 0] > 0.5, torch.full_like(x.argmax(-1), ignore), x.argmax(-1))


# -- pointwise losses ------------------------------------------------------------------------------

def mse_l1(w, x):
    F = _F(w)  # noqa: N806
    t = x.tanh()
    return F.mse_loss(x, t) + F.mse_loss(x, t, reduction="sum") + F.l1_loss(x, t) \
        + F.l1_loss(x, t, reduction="sum") + F.mse_loss(x, t, reduction="none") * F.l1_loss(x, t, reduction="none")


def mse_l1_broadcast_legacy(w, x):
    """A broadcast target (torch warns, then broadcasts); the deprecated size_average/reduce pair."""
    F = _F(w)  # noqa: N806
    mean = x.mean(1, keepdim=True)
    return F.mse_loss(x, mean) + F.l1_loss(x, mean, size_average=False) + F.mse_loss(x, mean, reduce=False).sum(-1)


def mse_weighted(w, x):
    """mse_loss's weight (torch >= 2.6). Not l1_loss's: torch drops it when a torch function mode
    is active, so the record phase sees its traced run differ from the plain one."""
    F = _F(w)  # noqa: N806
    weight = x.sigmoid()
    t = x * 0.5
    return F.mse_loss(x, t, weight=weight) + F.mse_loss(x, t, reduction="sum", weight=weight) \
        + F.mse_loss(x, t, reduction="none", weight=weight)


def loss_modules(w, x):
    nn = _torch(w).nn
    t = x.tanh()
    return nn.MSELoss()(x, t) + nn.L1Loss(reduction="sum")(x, t) + nn.MSELoss(reduction="none")(x, t) \
        + nn.L1Loss(size_average=False)(x, t)


def kl_div(w, x):
    F = _F(w)  # noqa: N806
    logp, q = F.log_softmax(x, -1), F.softmax(x * 2.0, -1)
    return F.kl_div(logp, q, reduction="batchmean") + F.kl_div(logp, q) + F.kl_div(logp, q, reduction="sum") \
        + F.kl_div(logp, q, reduction="none")


def kl_div_log_target_zeros(w, x):
    """log_target; a target with zeros (xlogy: 0 there) and the legacy reduce=False."""
    F = _F(w)  # noqa: N806
    logp = F.log_softmax(x, -1)
    return F.kl_div(logp, F.log_softmax(x.tanh(), -1), reduction="batchmean", log_target=True) \
        + F.kl_div(logp, x.relu(), reduction="sum") + F.kl_div(logp, x.relu(), reduce=False)


def kl_div_module(w, x):
    nn = _torch(w).nn
    logp = nn.functional.log_softmax(x, -1)
    return nn.KLDivLoss(reduction="batchmean", log_target=True)(logp, logp * 0.5) \
        + nn.KLDivLoss(reduction="none")(logp, x.sigmoid())


# -- nll, cross entropy ----------------------------------------------------------------------------

def nll_loss(w, x):
    """(N, C, T) and (N, C) inputs; reductions."""
    F = _F(w)  # noqa: N806
    logp = F.log_softmax(x, -1)
    t = _classes(x)
    per_frame = F.nll_loss(logp.transpose(1, 2), t, reduction="none")  # (B, T)
    return per_frame.sum(1) + F.nll_loss(logp.transpose(1, 2), t) + F.nll_loss(logp.mean(1), t[:, 0]) \
        + F.nll_loss(logp.transpose(1, 2), t, reduction="sum")


def nll_loss_ignore_weight(w, x):
    torch = _torch(w)
    F = torch.nn.functional  # noqa: N806
    logp = F.log_softmax(x, -1).transpose(1, 2)
    t = _with_ignored(torch, x)
    weight = torch.tensor([1.0, 2.0, 0.5, 3.0, 1.5])
    return F.nll_loss(logp, t) + F.nll_loss(logp, t, weight=weight) \
        + F.nll_loss(logp, t, weight=weight, reduction="none").sum(1) + F.nll_loss(logp, _classes(x), ignore_index=2) \
        + F.nll_loss(logp, t, weight=weight, reduction="sum")


def nll_loss_module_vector(w, x):
    """The module with a weight buffer and ignore_index; a (C,) input with a 0-d random target."""
    torch = _torch(w)
    logp = torch.nn.functional.log_softmax(x, -1)
    loss = torch.nn.NLLLoss(weight=torch.tensor([0.5, 1.0, 2.0, 1.0, 0.25]), ignore_index=1)
    vector = torch.nn.functional.nll_loss(logp.mean((0, 1)), torch.randint(0, 5, ()))
    return loss(logp.transpose(1, 2), _classes(x)) + vector


def cross_entropy(w, x):
    F = _F(w)  # noqa: N806
    t = _classes(x)
    return F.cross_entropy(x.transpose(1, 2), t) + F.cross_entropy(x.transpose(1, 2), t, reduction="sum") \
        + F.cross_entropy(x.transpose(1, 2), t, reduction="none").mean(1) + F.cross_entropy(x.mean(1), t[:, -1])


def cross_entropy_ignore_weight(w, x):
    torch = _torch(w)
    F = torch.nn.functional  # noqa: N806
    logits = x.transpose(1, 2)
    t = _with_ignored(torch, x, ignore=-1)
    weight = torch.tensor([1.0, 2.0, 0.5, 3.0, 1.5])
    return F.cross_entropy(logits, t, ignore_index=-1) + F.cross_entropy(logits, t, weight, ignore_index=-1) \
        + F.cross_entropy(logits, t, weight=weight, ignore_index=-1, reduction="none").sum(-1)


def cross_entropy_label_smoothing(w, x):
    torch = _torch(w)
    F = torch.nn.functional  # noqa: N806
    logits = x.transpose(1, 2)
    t = _with_ignored(torch, x)
    weight = torch.tensor([1.0, 2.0, 0.5, 3.0, 1.5])
    return F.cross_entropy(logits, t, label_smoothing=0.1) \
        + F.cross_entropy(logits, t, weight=weight, label_smoothing=0.2) \
        + F.cross_entropy(logits, t, label_smoothing=0.3, reduction="sum") \
        + F.cross_entropy(logits, t, weight=weight, label_smoothing=0.1, reduction="none").sum(1)


def cross_entropy_probabilities(w, x):
    """Class-probability targets (a float target of the input's shape), with smoothing and weights."""
    torch = _torch(w)
    F = torch.nn.functional  # noqa: N806
    logits = x.transpose(1, 2)
    p = F.softmax(logits * 3.0, 1)
    weight = torch.tensor([1.0, 2.0, 0.5, 3.0, 1.5])
    return F.cross_entropy(logits, p) + F.cross_entropy(logits, p, label_smoothing=0.2, reduction="sum") \
        + F.cross_entropy(logits, p, weight=weight, reduction="none").sum(1) \
        + F.cross_entropy(x.mean(1), p.mean(2), weight=weight)


def cross_entropy_flat(w, x):
    """Flattened (B*T, C) logits with (B*T,) targets, as training code writes it (the batch merged with
    time). (Not added to a batch-shaped term: a sum over a merged batch axis then added to one is wrong in
    the net, a reduce issue of its own.)"""
    F = _F(w)  # noqa: N806
    flat_target = x.argmax(-1).reshape(-1)
    return F.cross_entropy(x.reshape(-1, 5), flat_target) * F.nll_loss(x.reshape(-1, 5), flat_target, reduction="sum")


def cross_entropy_4d(w, x):
    """A (N, C, T, 3) input with (N, T, 3) targets."""
    torch = _torch(w)
    four = (x.unsqueeze(-1) * torch.tensor([1.0, -1.0, 2.0])).permute(0, 2, 1, 3)  # (B, 5, T, 3)
    return torch.nn.functional.cross_entropy(four, four.argmax(1), reduction="none").sum((1, 2)) \
        + torch.nn.functional.cross_entropy(four, four.argmin(1), label_smoothing=0.1)


def cross_entropy_random_target(w, x):
    """A random target (the replay takes it from the trace) for logits of a static first axis."""
    torch = _torch(w)
    return torch.nn.functional.cross_entropy(x.mean(0)[:3], torch.randint(0, 5, (3,)), reduction="none")


def cross_entropy_module(w, x):
    torch = _torch(w)
    loss = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5, 3.0, 1.5]), ignore_index=3,
                                     reduction="sum", label_smoothing=0.1)
    return loss(x.transpose(1, 2), _classes(x)) + torch.nn.CrossEntropyLoss()(x.mean(1), _classes(x)[:, 0])


# -- distances -------------------------------------------------------------------------------------

def cosine_similarity(w, x):
    torch = _torch(w)
    y = x.tanh() - 0.3
    F = torch.nn.functional  # noqa: N806
    return F.cosine_similarity(x, y, dim=-1).unsqueeze(-1) + torch.cosine_similarity(x, y).unsqueeze(1) \
        + F.cosine_similarity(x, y, 2, 10.0).unsqueeze(-1)


def cosine_similarity_pairs(w, x):
    """(B, T, 1, 5) against (B, 1, T, 5): a time-by-time similarity matrix."""
    return _torch(w).nn.functional.cosine_similarity(x.unsqueeze(2), x.unsqueeze(1), dim=-1)


def pairwise_distance(w, x):
    torch = _torch(w)
    F = torch.nn.functional  # noqa: N806
    y = x.tanh()
    return F.pairwise_distance(x, y) + F.pairwise_distance(x, y, p=1.0) + F.pairwise_distance(x, y, float("inf")) \
        + F.pairwise_distance(x, y, 3.0, eps=0.1) + torch.pairwise_distance(x, y, 0.5) \
        + F.pairwise_distance(x, x.mean(1, keepdim=True), keepdim=True).sum(-1) + F.pairwise_distance(x, x, 0.0)


def distance_modules(w, x):
    nn = _torch(w).nn
    y = x.sigmoid()
    return nn.CosineSimilarity(dim=2)(x, y) + nn.PairwiseDistance(p=1.0, keepdim=True)(x, y).sum(-1) \
        + nn.CosineSimilarity()(x, y).mean(-1, keepdim=True) + nn.PairwiseDistance()(x, y)


# -- scans -----------------------------------------------------------------------------------------

def logcumsumexp(w, x):
    torch = _torch(w)
    return x.logcumsumexp(1) + torch.logcumsumexp(x * 30.0, dim=-1) + x.logcumsumexp(0)


def cummax_cummin(w, x):
    torch = _torch(w)
    values, indices = x.cummax(1)
    low = torch.cummin(x, dim=-1)
    return values + indices + low.values * low.indices + x.cummax(0).indices + torch.cummin(x, 0)[0]


def cummax_ties_nan(w, x):
    """Integers with ties (torch: the later position), NaNs (log of negatives: the NaN from there on)."""
    torch = _torch(w)
    ints = (x * 1.5).round().long()
    logs = x.log()
    up, down = torch.cummax(ints, 1), ints.cummin(-1)
    return up.values + up.indices + down.values * down.indices + logs.cummax(1).indices + logs.cummin(-1).values


# -- median, nansum, count_nonzero -----------------------------------------------------------------

def median(w, x):
    torch = _torch(w)
    values, indices = x.median(1)
    kept = torch.median(x, dim=-1, keepdim=True)
    return (values + indices).unsqueeze(1) + kept.values * kept.indices + x.median() + torch.median(x, 0).values


def median_nan_int(w, x):
    """NaN where there is one (its first position, as torch); integers (values only: tied indices differ)."""
    torch = _torch(w)
    logs = x.log()
    ints = (x * 2.0).round().int()
    return logs.median(1).values.unsqueeze(1) + logs.median(-1).indices.unsqueeze(-1) + logs.median() \
        + ints.median(1).values.unsqueeze(1) + torch.median(ints)


def nansum(w, x):
    torch = _torch(w)
    logs = x.log()
    return logs.nansum(1) + torch.nansum(logs, dim=(1, 2), keepdim=True).sum(-1) + logs.nansum() \
        + torch.nansum(logs, -1, dtype=torch.float64).sum(-1, keepdim=True) + (x > 0).int().nansum(1)


def count_nonzero(w, x):
    torch = _torch(w)
    r = x.relu()
    return r.count_nonzero(1) + torch.count_nonzero(r, dim=(1, 2)).unsqueeze(-1) + torch.count_nonzero(r) \
        + (x > 0.5).count_nonzero(-1).sum(-1, keepdim=True)


def linalg_norm(w, x):
    """Vector norms over one dim or all; matrix norms over two dims and of a 2-d input."""
    torch = _torch(w)
    la = torch.linalg
    inf = float("inf")
    vec = la.norm(x, dim=-1) + la.norm(x, 1, 1).sum(-1, keepdim=True) + la.norm(x, inf, -1) + la.norm(x, -inf, (2,)) \
        + la.norm(x, 3.0, -1) + la.norm(x, 0, -1) + la.norm(x)
    mat = la.norm(x, dim=(1, 2)) + la.norm(x, "fro", (1, 2)) + la.norm(x, 1, (1, 2)) + la.norm(x, inf, (1, 2)) \
        + la.norm(x, -1, (2, 1)) + la.norm(x, -inf, (1, 2))
    two_d = x.mean(1)
    return vec + mat.unsqueeze(-1) + la.norm(two_d, inf) + la.norm(two_d, 1) \
        + la.norm(x, dim=(1, 2), keepdim=True).squeeze(-1) + la.norm(x.amax((0, 1)), 1.5) \
        + la.norm(x, 2, -1, True, dtype=torch.float64).squeeze(-1)


def vector_norm(w, x):
    """torch.linalg.vector_norm (reduce.py's builder) beside linalg.norm."""
    la = _torch(w).linalg
    return la.vector_norm(x, dim=(1, 2)) - la.norm(x, dim=(1, 2))


def rot90(w, x):
    """(B, T, 5): rotations in the (T, 5) plane (k=3 flips time, padding frames included) and (5, T)."""
    torch = _torch(w)
    xt = x.transpose(1, 2)  # (B, 5, T)
    return torch.rot90(x, 1, (1, 2)) + x.rot90(-1, [1, 2]) + torch.rot90(xt, 2, (1, 2)) \
        + x.rot90(4, (1, 2)).transpose(1, 2) + xt.rot90(0, (1, 2)) + torch.rot90(xt, 1, (2, 1)).transpose(1, 2)


# -- time-major input (time, batch, 5) -------------------------------------------------------------

def tm_losses(w, x):
    """KL's batchmean divides by the padded time size; cross entropy over (B, C, T)."""
    F = _F(w)  # noqa: N806
    logits = x.permute(1, 2, 0)
    return F.kl_div(F.log_softmax(x, -1), F.softmax(x * 2.0, -1), reduction="batchmean") \
        + F.cross_entropy(logits, x.argmax(-1).t()) + F.mse_loss(x, x.tanh()) \
        + F.nll_loss(F.log_softmax(logits, 1), x.argmax(-1).t(), reduction="none").sum(-1) \
        + F.cosine_similarity(x, x.tanh(), dim=0).sum()


def tm_scans(w, x):
    torch = _torch(w)
    values, indices = x.cummax(0)
    return x.logcumsumexp(0) + values * indices + torch.cummin(x, 0).indices + x.median(0).values \
        + x.median(0, keepdim=True).indices + x.log().nansum(0) + x.relu().count_nonzero(0) \
        + torch.linalg.norm(x, dim=0) + torch.rot90(x, 2, (0, 2))


# -- refused ---------------------------------------------------------------------------------------

def cosine_similarity_broadcast_dim(w, x):
    return _torch(w).nn.functional.cosine_similarity(x.mean(1, keepdim=True), x, dim=1)


def linalg_norm_nuclear(w, x):
    return _torch(w).linalg.norm(x, "nuc", (1, 2))


def linalg_norm_two(w, x):
    return _torch(w).linalg.norm(x, 2, (1, 2))


def cross_entropy_dynamic_classes(w, x):
    """Classes on the dynamic axis (axis 1 of (B, T, 5))."""
    return _torch(w).nn.functional.cross_entropy(x, x.argmax(1))
