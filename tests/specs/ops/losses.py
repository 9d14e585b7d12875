"""Op test models for losses, distances, scans, order statistics and counts.

Each function is a tiny model ``f(wrapped_import, x)``; x is (batch, time, 5) unless the name
says ``tm_`` (time-major: (time, batch, 5)). Time is dynamic; the tests also run with
sequences of different lengths, so losses and reductions over time must include the padding
frames (and the targets computed from them) as torch does. Targets are computed in the net from
the input (``argmax``, comparisons), so every loss is built as layers, not folded to its record.
"""

from opcases import BATCH_MAJOR, TIME_MAJOR, Inputs, case, refused, torch_of

#: (batch, time, 5) and (time, batch, 5), time dynamic
BM = Inputs("batch_major", (2, 7, 5), BATCH_MAJOR, lengths=[7, 4])
TM = Inputs("time_major", (7, 2, 5), TIME_MAJOR, lengths=[7, 4])


def _F(w):  # noqa: N802
    return torch_of(w).nn.functional


def _classes(x):
    """(B, T) class indices of the (B, T, 5) input."""
    return x.argmax(-1)


def _with_ignored(torch, x, ignore=-100):
    """Class indices with ``ignore`` where the first feature is above 0.5 (some frames of each batch)."""
    return torch.where(x[..., 0] > 0.5, torch.full_like(x.argmax(-1), ignore), x.argmax(-1))


# -- pointwise losses ------------------------------------------------------------------------------

@case(["torch.nn.functional.l1_loss", "torch.nn.functional.mse_loss"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def mse_l1(w, x):
    F = _F(w)  # noqa: N806
    t = x.tanh()
    return F.mse_loss(x, t) + F.mse_loss(x, t, reduction="sum") + F.l1_loss(x, t) \
        + F.l1_loss(x, t, reduction="sum") + F.mse_loss(x, t, reduction="none") * F.l1_loss(x, t, reduction="none")


@case(["Tensor.mean", "Tensor.sum", "torch.nn.functional.l1_loss", "torch.nn.functional.mse_loss"], on=(BM, BM.lens))
def mse_l1_broadcast_legacy(w, x):
    """A broadcast target (torch warns, then broadcasts); the deprecated size_average/reduce pair."""
    F = _F(w)  # noqa: N806
    mean = x.mean(1, keepdim=True)
    return F.mse_loss(x, mean) + F.l1_loss(x, mean, size_average=False) + F.mse_loss(x, mean, reduce=False).sum(-1)


@case(["torch.nn.functional.mse_loss"], on=(BM, BM.lens))
def mse_weighted(w, x):
    """mse_loss's weight (torch >= 2.6). Not l1_loss's: torch drops it when a torch function mode
    is active, so the record phase sees its traced run differ from the plain one."""
    F = _F(w)  # noqa: N806
    weight = x.sigmoid()
    t = x * 0.5
    return F.mse_loss(x, t, weight=weight) + F.mse_loss(x, t, reduction="sum", weight=weight) \
        + F.mse_loss(x, t, reduction="none", weight=weight)


@case(["torch.nn.L1Loss", "torch.nn.MSELoss"], on=(BM, BM.lens))
def loss_modules(w, x):
    nn = torch_of(w).nn
    t = x.tanh()
    return nn.MSELoss()(x, t) + nn.L1Loss(reduction="sum")(x, t) + nn.MSELoss(reduction="none")(x, t) \
        + nn.L1Loss(size_average=False)(x, t)


@case(["torch.nn.functional.kl_div"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def kl_div(w, x):
    F = _F(w)  # noqa: N806
    logp, q = F.log_softmax(x, -1), F.softmax(x * 2.0, -1)
    return F.kl_div(logp, q, reduction="batchmean") + F.kl_div(logp, q) + F.kl_div(logp, q, reduction="sum") \
        + F.kl_div(logp, q, reduction="none")


@case(["torch.nn.functional.kl_div"], on=(BM, BM.lens))
def kl_div_log_target_zeros(w, x):
    """log_target; a target with zeros (xlogy: 0 there) and the legacy reduce=False."""
    F = _F(w)  # noqa: N806
    logp = F.log_softmax(x, -1)
    return F.kl_div(logp, F.log_softmax(x.tanh(), -1), reduction="batchmean", log_target=True) \
        + F.kl_div(logp, x.relu(), reduction="sum") + F.kl_div(logp, x.relu(), reduce=False)


@case(["torch.nn.KLDivLoss"], on=(BM, BM.lens))
def kl_div_module(w, x):
    nn = torch_of(w).nn
    logp = nn.functional.log_softmax(x, -1)
    return nn.KLDivLoss(reduction="batchmean", log_target=True)(logp, logp * 0.5) \
        + nn.KLDivLoss(reduction="none")(logp, x.sigmoid())


# -- nll, cross entropy ----------------------------------------------------------------------------

@case(["Tensor.argmax", "Tensor.mean", "Tensor.sum", "torch.nn.functional.nll_loss"], on=(BM, BM.lens))
def nll_loss(w, x):
    """(N, C, T) and (N, C) inputs; reductions."""
    F = _F(w)  # noqa: N806
    logp = F.log_softmax(x, -1)
    t = _classes(x)
    per_frame = F.nll_loss(logp.transpose(1, 2), t, reduction="none")  # (B, T)
    return per_frame.sum(1) + F.nll_loss(logp.transpose(1, 2), t) + F.nll_loss(logp.mean(1), t[:, 0]) \
        + F.nll_loss(logp.transpose(1, 2), t, reduction="sum")


@case(["Tensor.argmax", "Tensor.sum", "torch.nn.functional.nll_loss"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def nll_loss_ignore_weight(w, x):
    torch = torch_of(w)
    F = torch.nn.functional  # noqa: N806
    logp = F.log_softmax(x, -1).transpose(1, 2)
    t = _with_ignored(torch, x)
    weight = torch.tensor([1.0, 2.0, 0.5, 3.0, 1.5])
    return F.nll_loss(logp, t) + F.nll_loss(logp, t, weight=weight) \
        + F.nll_loss(logp, t, weight=weight, reduction="none").sum(1) + F.nll_loss(logp, _classes(x), ignore_index=2) \
        + F.nll_loss(logp, t, weight=weight, reduction="sum")


@case(["Tensor.argmax", "Tensor.mean", "torch.nn.NLLLoss", "torch.nn.functional.nll_loss"], on=(BM, BM.lens))
def nll_loss_module_vector(w, x):
    """The module with a weight buffer and ignore_index; a (C,) input with a 0-d random target."""
    torch = torch_of(w)
    logp = torch.nn.functional.log_softmax(x, -1)
    loss = torch.nn.NLLLoss(weight=torch.tensor([0.5, 1.0, 2.0, 1.0, 0.25]), ignore_index=1)
    vector = torch.nn.functional.nll_loss(logp.mean((0, 1)), torch.randint(0, 5, ()))
    return loss(logp.transpose(1, 2), _classes(x)) + vector


@case(["Tensor.argmax", "Tensor.mean", "torch.nn.functional.cross_entropy"], on=(BM, BM.lens))
def cross_entropy(w, x):
    F = _F(w)  # noqa: N806
    t = _classes(x)
    return F.cross_entropy(x.transpose(1, 2), t) + F.cross_entropy(x.transpose(1, 2), t, reduction="sum") \
        + F.cross_entropy(x.transpose(1, 2), t, reduction="none").mean(1) + F.cross_entropy(x.mean(1), t[:, -1])


@case(["Tensor.argmax", "Tensor.sum", "torch.nn.functional.cross_entropy"], on=(BM, BM.lens))
def cross_entropy_ignore_weight(w, x):
    torch = torch_of(w)
    F = torch.nn.functional  # noqa: N806
    logits = x.transpose(1, 2)
    t = _with_ignored(torch, x, ignore=-1)
    weight = torch.tensor([1.0, 2.0, 0.5, 3.0, 1.5])
    return F.cross_entropy(logits, t, ignore_index=-1) + F.cross_entropy(logits, t, weight, ignore_index=-1) \
        + F.cross_entropy(logits, t, weight=weight, ignore_index=-1, reduction="none").sum(-1)


@case(["Tensor.argmax", "Tensor.sum", "torch.nn.functional.cross_entropy"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def cross_entropy_label_smoothing(w, x):
    torch = torch_of(w)
    F = torch.nn.functional  # noqa: N806
    logits = x.transpose(1, 2)
    t = _with_ignored(torch, x)
    weight = torch.tensor([1.0, 2.0, 0.5, 3.0, 1.5])
    return F.cross_entropy(logits, t, label_smoothing=0.1) \
        + F.cross_entropy(logits, t, weight=weight, label_smoothing=0.2) \
        + F.cross_entropy(logits, t, label_smoothing=0.3, reduction="sum") \
        + F.cross_entropy(logits, t, weight=weight, label_smoothing=0.1, reduction="none").sum(1)


@case(["Tensor.mean", "Tensor.sum", "torch.nn.functional.cross_entropy"], on=(BM, BM.lens))
def cross_entropy_probabilities(w, x):
    """Class-probability targets (a float target of the input's shape), with smoothing and weights."""
    torch = torch_of(w)
    F = torch.nn.functional  # noqa: N806
    logits = x.transpose(1, 2)
    p = F.softmax(logits * 3.0, 1)
    weight = torch.tensor([1.0, 2.0, 0.5, 3.0, 1.5])
    return F.cross_entropy(logits, p) + F.cross_entropy(logits, p, label_smoothing=0.2, reduction="sum") \
        + F.cross_entropy(logits, p, weight=weight, reduction="none").sum(1) \
        + F.cross_entropy(x.mean(1), p.mean(2), weight=weight)


@case(["Tensor.argmax", "torch.nn.functional.cross_entropy", "torch.nn.functional.nll_loss"], on=(BM, BM.lens, TM.lens), other_lengths=[[9, 3, 6]])
def cross_entropy_flat(w, x):
    """Flattened (B*T, C) logits with (B*T,) targets, as training code writes it (the batch merged with
    time). (Not added to a batch-shaped term: a sum over a merged batch axis then added to one is wrong in
    the net, a reduce issue of its own.)"""
    F = _F(w)  # noqa: N806
    flat_target = x.argmax(-1).reshape(-1)
    return F.cross_entropy(x.reshape(-1, 5), flat_target) * F.nll_loss(x.reshape(-1, 5), flat_target, reduction="sum")


@case(["Tensor.argmax", "Tensor.argmin", "Tensor.sum", "torch.nn.functional.cross_entropy"], on=(BM, BM.lens, TM.lens))
def cross_entropy_4d(w, x):
    """A (N, C, T, 3) input with (N, T, 3) targets."""
    torch = torch_of(w)
    four = (x.unsqueeze(-1) * torch.tensor([1.0, -1.0, 2.0])).permute(0, 2, 1, 3)  # (B, 5, T, 3)
    return torch.nn.functional.cross_entropy(four, four.argmax(1), reduction="none").sum((1, 2)) \
        + torch.nn.functional.cross_entropy(four, four.argmin(1), label_smoothing=0.1)


@case(["Tensor.mean", "torch.nn.functional.cross_entropy"], on=(BM,))
def cross_entropy_random_target(w, x):
    """A random target (the replay takes it from the trace) for logits of a static first axis."""
    torch = torch_of(w)
    return torch.nn.functional.cross_entropy(x.mean(0)[:3], torch.randint(0, 5, (3,)), reduction="none")


@case(["Tensor.argmax", "Tensor.mean", "torch.nn.CrossEntropyLoss"], on=(BM, BM.lens))
def cross_entropy_module(w, x):
    torch = torch_of(w)
    loss = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5, 3.0, 1.5]), ignore_index=3,
                                     reduction="sum", label_smoothing=0.1)
    return loss(x.transpose(1, 2), _classes(x)) + torch.nn.CrossEntropyLoss()(x.mean(1), _classes(x)[:, 0])


# -- distances -------------------------------------------------------------------------------------

@case(["torch.nn.functional.cosine_similarity", "torch.cosine_similarity"], on=(BM, BM.lens))
def cosine_similarity(w, x):
    torch = torch_of(w)
    y = x.tanh() - 0.3
    F = torch.nn.functional  # noqa: N806
    return F.cosine_similarity(x, y, dim=-1).unsqueeze(-1) + torch.cosine_similarity(x, y).unsqueeze(1) \
        + F.cosine_similarity(x, y, 2, 10.0).unsqueeze(-1)


@case(["torch.nn.functional.cosine_similarity"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def cosine_similarity_pairs(w, x):
    """(B, T, 1, 5) against (B, 1, T, 5): a time-by-time similarity matrix."""
    return torch_of(w).nn.functional.cosine_similarity(x.unsqueeze(2), x.unsqueeze(1), dim=-1)


@case([
    "Tensor.mean",
    "Tensor.sum",
    "torch.nn.functional.pairwise_distance",
    "torch.pairwise_distance",
], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def pairwise_distance(w, x):
    torch = torch_of(w)
    F = torch.nn.functional  # noqa: N806
    y = x.tanh()
    return F.pairwise_distance(x, y) + F.pairwise_distance(x, y, p=1.0) + F.pairwise_distance(x, y, float("inf")) \
        + F.pairwise_distance(x, y, 3.0, eps=0.1) + torch.pairwise_distance(x, y, 0.5) \
        + F.pairwise_distance(x, x.mean(1, keepdim=True), keepdim=True).sum(-1) + F.pairwise_distance(x, x, 0.0)


@case(["Tensor.mean", "Tensor.sum", "torch.nn.CosineSimilarity", "torch.nn.PairwiseDistance"], on=(BM, BM.lens))
def distance_modules(w, x):
    nn = torch_of(w).nn
    y = x.sigmoid()
    return nn.CosineSimilarity(dim=2)(x, y) + nn.PairwiseDistance(p=1.0, keepdim=True)(x, y).sum(-1) \
        + nn.CosineSimilarity()(x, y).mean(-1, keepdim=True) + nn.PairwiseDistance()(x, y)


# -- scans -----------------------------------------------------------------------------------------

@case(["Tensor.logcumsumexp", "torch.logcumsumexp"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def logcumsumexp(w, x):
    torch = torch_of(w)
    return x.logcumsumexp(1) + torch.logcumsumexp(x * 30.0, dim=-1) + x.logcumsumexp(0)


@case(["Tensor.cummax", "torch.cummin"], on=(BM, BM.lens, TM.lens), other_lengths=[[9, 3, 6]])
def cummax_cummin(w, x):
    torch = torch_of(w)
    values, indices = x.cummax(1)
    low = torch.cummin(x, dim=-1)
    return values + indices + low.values * low.indices + x.cummax(0).indices + torch.cummin(x, 0)[0]


@case(["Tensor.cummax", "Tensor.cummin", "torch.cummax"], on=(BM, BM.lens))
def cummax_ties_nan(w, x):
    """Integers with ties (torch: the later position), NaNs (log of negatives: the NaN from there on)."""
    torch = torch_of(w)
    ints = (x * 1.5).round().long()
    logs = x.log()
    up, down = torch.cummax(ints, 1), ints.cummin(-1)
    return up.values + up.indices + down.values * down.indices + logs.cummax(1).indices + logs.cummin(-1).values


# -- median, nansum, count_nonzero -----------------------------------------------------------------

@case(["Tensor.median", "torch.median"], on=(BM, BM.lens, TM.lens), other_lengths=[[9, 3, 6]])
def median(w, x):
    torch = torch_of(w)
    values, indices = x.median(1)
    kept = torch.median(x, dim=-1, keepdim=True)
    return (values + indices).unsqueeze(1) + kept.values * kept.indices + x.median() + torch.median(x, 0).values


@case(["Tensor.median", "torch.median"], on=(BM, BM.lens))
def median_nan_int(w, x):
    """NaN where there is one (its first position, as torch); integers (values only: tied indices differ)."""
    torch = torch_of(w)
    logs = x.log()
    ints = (x * 2.0).round().int()
    return logs.median(1).values.unsqueeze(1) + logs.median(-1).indices.unsqueeze(-1) + logs.median() \
        + ints.median(1).values.unsqueeze(1) + torch.median(ints)


@case(["Tensor.nansum", "Tensor.sum", "torch.nansum"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def nansum(w, x):
    torch = torch_of(w)
    logs = x.log()
    return logs.nansum(1) + torch.nansum(logs, dim=(1, 2), keepdim=True).sum(-1) + logs.nansum() \
        + torch.nansum(logs, -1, dtype=torch.float64).sum(-1, keepdim=True) + (x > 0).int().nansum(1)


@case(["Tensor.count_nonzero", "Tensor.sum", "torch.count_nonzero"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def count_nonzero(w, x):
    torch = torch_of(w)
    r = x.relu()
    return r.count_nonzero(1) + torch.count_nonzero(r, dim=(1, 2)).unsqueeze(-1) + torch.count_nonzero(r) \
        + (x > 0.5).count_nonzero(-1).sum(-1, keepdim=True)


@case(["Tensor.amax", "Tensor.mean", "Tensor.sum", "torch.linalg.norm"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def linalg_norm(w, x):
    """Vector norms over one dim or all; matrix norms over two dims and of a 2-d input."""
    torch = torch_of(w)
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


@case(["torch.linalg.norm", "torch.linalg.vector_norm"], on=(BM, BM.lens))
def vector_norm(w, x):
    """torch.linalg.vector_norm (reduce.py's builder) beside linalg.norm."""
    la = torch_of(w).linalg
    return la.vector_norm(x, dim=(1, 2)) - la.norm(x, dim=(1, 2))


@case(["Tensor.rot90", "torch.rot90"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def rot90(w, x):
    """(B, T, 5): rotations in the (T, 5) plane (k=3 flips time, padding frames included) and (5, T)."""
    torch = torch_of(w)
    xt = x.transpose(1, 2)  # (B, 5, T)
    return torch.rot90(x, 1, (1, 2)) + x.rot90(-1, [1, 2]) + torch.rot90(xt, 2, (1, 2)) \
        + x.rot90(4, (1, 2)).transpose(1, 2) + xt.rot90(0, (1, 2)) + torch.rot90(xt, 1, (2, 1)).transpose(1, 2)


# -- time-major input (time, batch, 5) -------------------------------------------------------------

@case([
    "Tensor.argmax",
    "Tensor.sum",
    "torch.nn.functional.cosine_similarity",
    "torch.nn.functional.cross_entropy",
    "torch.nn.functional.kl_div",
    "torch.nn.functional.mse_loss",
    "torch.nn.functional.nll_loss",
], on=(TM.lens,))
def tm_losses(w, x):
    """KL's batchmean divides by the padded time size; cross entropy over (B, C, T)."""
    F = _F(w)  # noqa: N806
    logits = x.permute(1, 2, 0)
    return F.kl_div(F.log_softmax(x, -1), F.softmax(x * 2.0, -1), reduction="batchmean") \
        + F.cross_entropy(logits, x.argmax(-1).t()) + F.mse_loss(x, x.tanh()) \
        + F.nll_loss(F.log_softmax(logits, 1), x.argmax(-1).t(), reduction="none").sum(-1) \
        + F.cosine_similarity(x, x.tanh(), dim=0).sum()


@case([
    "Tensor.count_nonzero",
    "Tensor.cummax",
    "Tensor.logcumsumexp",
    "Tensor.median",
    "Tensor.nansum",
    "torch.cummin",
    "torch.linalg.norm",
    "torch.rot90",
], on=(TM.lens,))
def tm_scans(w, x):
    torch = torch_of(w)
    values, indices = x.cummax(0)
    return x.logcumsumexp(0) + values * indices + torch.cummin(x, 0).indices + x.median(0).values \
        + x.median(0, keepdim=True).indices + x.log().nansum(0) + x.relu().count_nonzero(0) \
        + torch.linalg.norm(x, dim=0) + torch.rot90(x, 2, (0, 2))


# -- refused ---------------------------------------------------------------------------------------

@refused("along a dim that one operand broadcasts.*not supported", on=BM)
def cosine_similarity_broadcast_dim(w, x):
    return torch_of(w).nn.functional.cosine_similarity(x.mean(1, keepdim=True), x, dim=1)


@refused("ord='nuc'.*not supported", on=BM)
def linalg_norm_nuclear(w, x):
    return torch_of(w).linalg.norm(x, "nuc", (1, 2))


@refused("ord=2 over two dims.*not supported", on=BM)
def linalg_norm_two(w, x):
    return torch_of(w).linalg.norm(x, 2, (1, 2))


@refused("dynamic class axis.*not supported", on=BM)
def cross_entropy_dynamic_classes(w, x):
    """Classes on the dynamic axis (axis 1 of (B, T, 5))."""
    return torch_of(w).nn.functional.cross_entropy(x, x.argmax(1))


# -- CTC: log_probs (time, batch, 5 classes), the input lengths from ``seq_lens`` or the time size -----------

def _log_probs(w, x, time_major=False):
    return (x if time_major else x.transpose(0, 1)).log_softmax(-1)


@case(["Tensor.sum", "torch.nn.functional.ctc_loss"], on=(BM, BM.lens), other_lengths=[[10, 5]])
def ctc_loss_padded(w, x, seq_lens):
    """Padded constant targets, constant target lengths, the input lengths are the sequence lengths; the default
    mean (per target length, then over the batch), sum and none."""
    torch = torch_of(w)
    F = _F(w)  # noqa: N806
    targets, lengths = torch.tensor([[1, 2, 2], [3, 1, 0]]), torch.tensor([3, 2])
    lp = _log_probs(w, x)
    return F.ctc_loss(lp, targets, seq_lens, lengths) + F.ctc_loss(lp, targets, seq_lens, lengths, reduction="sum") \
        + F.ctc_loss(lp, targets, seq_lens, lengths, reduction="none").sum()


@case(["torch.nn.functional.ctc_loss"], on=(BM, BM.lens))
def ctc_loss_concatenated(w, x, seq_lens):
    """Concatenated 1-d targets and tensor target lengths; blank 4."""
    torch = torch_of(w)
    return _F(w).ctc_loss(_log_probs(w, x), torch.tensor([1, 2, 2, 3, 1]), seq_lens, torch.tensor([3, 2]),
                          blank=4, reduction="none")


@case(["torch.nn.functional.ctc_loss"], on=(BM, BM.lens))
def ctc_loss_unnormalized(w, x):
    """Raw scores (not log-probabilities: torch does not normalize them); the lengths as tuples, the input
    lengths the (dynamic) time size."""
    torch = torch_of(w)
    return _F(w).ctc_loss(x.transpose(0, 1), torch.tensor([[1, 2], [4, 4]]), (x.shape[1], x.shape[1]), (2, 2),
                          blank=0, reduction="none")


@case(["torch.nn.functional.ctc_loss"], on=(BM, BM.lens))
def ctc_loss_targets_from_input(w, x, seq_lens):
    """Targets computed in the net (from the first frame), int32 lengths."""
    torch = torch_of(w)
    targets = (x[:, 0, :3] > 0).long() + 1
    return _F(w).ctc_loss(_log_probs(w, x), targets, seq_lens.int(), torch.tensor([3, 1], dtype=torch.int32))


@case(["torch.nn.functional.ctc_loss"], on=(BM, BM.lens), other_lengths=[[10, 5]])
def ctc_loss_zero_infinity(w, x, seq_lens):
    """The second sequence's targets need 6 frames (3 labels, 3 repeats that need blanks between them): more
    than its 4 frames when the lengths differ, so its loss is infinite, or 0 with zero_infinity."""
    torch = torch_of(w)
    F = _F(w)  # noqa: N806
    targets = torch.tensor([[1, 2, 0, 0], [3, 3, 3, 3]])
    lp = _log_probs(w, x)
    return F.ctc_loss(lp, targets, seq_lens, torch.tensor([2, 4]), zero_infinity=True, reduction="none") \
        + F.ctc_loss(lp, targets, seq_lens, torch.tensor([2, 4]), zero_infinity=True)


@case(["torch.nn.functional.ctc_loss"], on=(BM, BM.lens))
def ctc_loss_infinite(w, x, seq_lens):
    torch = torch_of(w)
    return _F(w).ctc_loss(_log_probs(w, x), torch.tensor([[1, 2, 0, 0], [3, 3, 3, 3]]), seq_lens, torch.tensor([2, 4]),
                          reduction="none")


@case(["torch.nn.functional.ctc_loss"], on=(BM, BM.lens), other_lengths=[[10, 5]])
def ctc_loss_full_lengths(w, x):
    """The input lengths all the (dynamic) time size, made by torch.full (a common idiom)."""
    torch = torch_of(w)
    lp = _log_probs(w, x)
    lengths = torch.full(size=(x.shape[0],), fill_value=lp.shape[0], dtype=torch.long)
    return _F(w).ctc_loss(lp, torch.tensor([[1, 2, 3], [2, 2, 0]]), lengths, torch.tensor([3, 2]))


@case(["torch.ctc_loss", "torch.nn.CTCLoss"], on=(BM, BM.lens))
def ctc_loss_module(w, x, seq_lens):
    """nn.CTCLoss, and torch.ctc_loss (its reduction as torch's enum), random targets (recorded)."""
    torch = torch_of(w)
    targets = torch.randint(1, 5, (2, 3))
    lp = _log_probs(w, x)
    return torch.nn.CTCLoss(blank=0, reduction="sum")(lp, targets, seq_lens, torch.tensor([3, 2])) \
        + torch.ctc_loss(lp, targets, seq_lens, torch.tensor([3, 2]), 0, 1, False)


@case(["torch.nn.functional.ctc_loss"], on=(TM, TM.lens))
def tm_ctc_loss(w, x, seq_lens):
    torch = torch_of(w)
    return _F(w).ctc_loss(_log_probs(w, x, time_major=True), torch.tensor([[1, 2, 2], [3, 1, 0]]), seq_lens,
                          torch.tensor([3, 2]), reduction="none")


@refused("2-d log_probs.*not supported", on=BM)
def ctc_loss_unbatched(w, x):
    torch = torch_of(w)
    return _F(w).ctc_loss(x.mean(0).log_softmax(-1), torch.tensor([1, 2]), (x.shape[1],), (2,))


@case(["torch.nn.BCELoss", "torch.nn.BCEWithLogitsLoss", "torch.nn.HuberLoss", "torch.nn.SmoothL1Loss",
       "torch.nn.functional.binary_cross_entropy", "torch.nn.functional.binary_cross_entropy_with_logits",
       "torch.nn.functional.huber_loss", "torch.nn.functional.smooth_l1_loss"], on=(BM, TM.lens),
      other_lengths=[[9, 3, 6]])
def bce_huber_smooth_l1(w, x):
    """Smooth l1 (beta 0 too) and huber losses; binary cross entropy on probabilities (0 and 1 among
    them: the clamped logs) and on logits, with weight and pos_weight; modules and functional forms."""
    F = _F(w)  # noqa: N806
    nn = torch_of(w).nn
    t = x.tanh()
    p = x.sigmoid()
    target = (x > 0).float()
    edge = (x * 4).clamp(0.0, 1.0)  # exactly 0 and 1 in places
    weight = x.abs().mean(-1, keepdim=True)
    return (F.smooth_l1_loss(x, t) + F.smooth_l1_loss(x, t, beta=0.5, reduction="sum")
            + F.smooth_l1_loss(x, t, beta=0.0) + nn.SmoothL1Loss(beta=2.0)(x, t) + F.huber_loss(x * 3, t)
            + nn.HuberLoss(delta=0.5, reduction="sum")(x, t)
            + F.binary_cross_entropy(p, target) + F.binary_cross_entropy(edge, target, weight=weight, reduction="sum")
            + nn.BCELoss()(edge, 1 - target) + F.binary_cross_entropy_with_logits(x * 5, target)
            + F.binary_cross_entropy_with_logits(x, p, weight=weight, pos_weight=x.abs().mean((0, 1)) + 0.5)
            + nn.BCEWithLogitsLoss(reduction="sum")(x, target),
            F.smooth_l1_loss(x, t, reduction="none") * F.binary_cross_entropy_with_logits(x, target, reduction="none"))
