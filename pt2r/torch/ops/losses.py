"""Losses and distances: mse, l1, kl_div, nll, cross_entropy, ctc; cosine similarity and pairwise
distance; their modules.

All from RETURNN's own layers: ``combine``/``activation`` for the elementwise terms, ``gather`` for
the target classes' log-probabilities and weights (the target's axes are shared with the input's, so
RETURNN gathers along the class axis per position), ``compare``/``switch`` for ``ignore_index``, and
``reduce`` with ``use_time_mask=False`` for the reductions: torch computes a loss on the padded
batch, so a mean over a dynamic axis counts the padding frames (and their targets), as here.
The CTC loss is an ``eval`` layer on ``tf.nn.ctc_loss`` (see `ctc_loss`).
"""

from __future__ import annotations

from typing import Any, Sequence

from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._size import SizeValue
from pt2r.torch._tensor import Tensor
from pt2r.torch.nn.module import Module
from pt2r.torch.ops import activation as _activations
from pt2r.torch.ops.build import (
    activation, aux_name, broadcast, combine, compute, eval_layer, make, norm_axis, norm_layers, operand, promote,
    raw_axes, reduce_layer, unify)
from pt2r.torch.ops.registry import module, op

# -- helpers ----------------------------------------------------------------------------------------


def _legacy_reduction(size_average: Any, reduce: Any) -> str:
    """torch's ``_Reduction.legacy_get_string``: the deprecated ``size_average``/``reduce`` pair."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "mean" if size_average and reduce else "sum" if reduce else "none"


def _reduction(size_average: Any, reduce: Any, reduction: str, allowed: Sequence[str] = ("none", "mean", "sum")) -> str:
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction not in allowed:
        raise ModelError(f"{reduction} is not a valid value for reduction")
    return reduction


def _by_dims(kind: str, tensors: Sequence[Tensor], dims: Sequence[Dim], dtype: _dtype.dtype,
             name: str | None = None, layer: str = "combine") -> Tensor:
    """RETURNN's ``combine`` (or ``compare``) of ``tensors`` lined up by dim (not by torch position):
    for terms whose dims are some of the result's."""
    return make({"class": layer, "kind": kind, "from": list(tensors), "allow_broadcast_all_sources": True},
                dims, dtype=_dtype.bool if layer == "compare" else dtype, name=name)


def _switch(condition: Tensor, true: Tensor, false: Tensor, dims: Sequence[Dim], dtype: _dtype.dtype,
            name: str | None = None) -> Tensor:
    return make({"class": "switch", "condition": condition, "true_from": true, "false_from": false}, dims,
                dtype=dtype, name=name)


def _all(x: Tensor, mode: str, name: str | None = None) -> Tensor:
    """``x`` reduced over all its axes (padding frames included)."""
    return reduce_layer(x, mode, list(range(x.ndim)), name=name)


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return _all(loss, reduction)


def _floating(*tensors: Any, what: str) -> _dtype.dtype:
    dtype = promote(*tensors)
    if not dtype.is_floating_point:
        raise ModelError(f"{what} of {dtype} tensors is not supported (torch refuses it too)")
    return dtype


# -- elementwise losses -----------------------------------------------------------------------------


def _pointwise(input: Tensor, target: Tensor, reduction: str, weight: Tensor | None, what: str,  # noqa: A002
               error: Any) -> Tensor:
    """``error(input - target)`` (torch broadcasting), weighted and reduced as torch's mse/l1 losses:
    with a weight, the mean is ``sum(weight * error) / sum(weight)``."""
    dtype = _floating(input, target, what=what)
    errors = error(combine("subtract", [input, target], dtype))
    if weight is None:
        return _reduce(errors, reduction)
    if tuple(int(n) for n in weight.shape) != tuple(int(n) for n in input.shape):
        raise ModelError("Weights and input must have the same size.")
    weighted = combine("multiply", [errors, weight], promote(errors, weight))
    if reduction == "none":
        return weighted
    total = _all(weighted, "sum", name=aux_name("sum") if reduction == "mean" else None)
    if reduction == "sum":
        return total
    return combine("truediv", [total, _all(weight, "sum", name=aux_name("weight_sum"))], total.dtype)


@op("torch.nn.functional.mse_loss")
def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,  # noqa: A002
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    reduction = _reduction(size_average, reduce, reduction)
    return _pointwise(input, target, reduction, weight, "mse_loss", lambda d: activation(d, "square"))


@op("torch.nn.functional.l1_loss")
def l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,  # noqa: A002
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    reduction = _reduction(size_average, reduce, reduction)
    return _pointwise(input, target, reduction, weight, "l1_loss", lambda d: activation(d, "abs"))


def _elementwise(dtype: _dtype.dtype, code: str, **operands: Any) -> Tensor:
    """An eval layer of ``code`` over the ``operands`` (by their names in it), each in ``dtype``, with torch
    broadcasting."""
    names = list(operands)
    return compute(lambda *terms: f"(lambda {', '.join(names)}: {code})({', '.join(terms)})", list(operands.values()),
                   [dtype] * len(names), dtype)


def _of_distance(code: str) -> Any:
    """The error function (of ``d``, the absolute difference) of a pointwise loss, for `_pointwise`."""
    return lambda diff: _elementwise(diff.dtype, f"(lambda d: {code})(tf.abs(diff))", diff=diff)


@op("torch.nn.functional.smooth_l1_loss")
def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,  # noqa: A002
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``beta`` 0: the l1 loss)."""
    reduction = _reduction(size_average, reduce, reduction)
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    b = repr(float(beta))
    return _pointwise(input, target, reduction, None, "smooth_l1_loss",
                      _of_distance(f"tf.where(d < {b}, 0.5 * d * d / {b}, d - 0.5 * {b})"))


@op("torch.nn.functional.huber_loss")
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,  # noqa: A002
               weight: Tensor | None = None) -> Tensor:
    """``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``."""
    if weight is not None:
        raise UnsupportedOpError("huber_loss with a weight is not supported")
    dl = repr(float(delta))
    return _pointwise(input, target, _reduction(None, None, reduction), None, "huber_loss",
                      _of_distance(f"tf.where(d < {dl}, 0.5 * d * d, {dl} * (d - 0.5 * {dl}))"))


def _weighted(loss: Tensor, weight: Tensor | None, reduction: str) -> Tensor:
    """``loss * weight`` (torch broadcasting), then reduced: the mean is the plain mean."""
    if weight is not None:
        loss = combine("multiply", [loss, weight], promote(loss, weight))
    return _reduce(loss, reduction)


@op("torch.nn.functional.binary_cross_entropy")
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                         size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """``-(t log(x) + (1 - t) log(1 - x))``, each log at least -100 (as torch clamps it)."""
    reduction = _reduction(size_average, reduce, reduction)
    dtype = _floating(input, target, what="binary_cross_entropy")
    loss = _elementwise(dtype, "-(t * tf.maximum(tf.math.log(x), -100.0) + (1.0 - t) * "
                               "tf.maximum(tf.math.log1p(-x), -100.0))", x=input, t=target)
    return _weighted(loss, weight, reduction)


@op("torch.nn.functional.binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                                     size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """torch's stable form: ``(1 - t) x + (1 + (pos_weight - 1) t) (log1p(exp(-|x|)) + max(-x, 0))``."""
    reduction = _reduction(size_average, reduce, reduction)
    dtype = _floating(input, target, what="binary_cross_entropy_with_logits")
    soft = "(tf.math.log1p(tf.exp(-tf.abs(x))) + tf.maximum(-x, 0.0))"
    if pos_weight is None:
        loss = _elementwise(dtype, f"(1.0 - t) * x + {soft}", x=input, t=target)
    else:
        loss = _elementwise(dtype, f"(1.0 - t) * x + (1.0 + (p - 1.0) * t) * {soft}", x=input, t=target, p=pos_weight)
    return _weighted(loss, weight, reduction)


@op("torch.nn.functional.kl_div")
def kl_div(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,  # noqa: A002
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """``target * (log(target) - input)`` (``xlogy(t, t)``: 0 where the target is 0), or with
    ``log_target`` ``exp(target) * (target - input)``; ``batchmean``: the sum over input's size 0."""
    reduction = _reduction(size_average, reduce, reduction, ("none", "mean", "sum", "batchmean"))
    dtype = _floating(input, target, what="kl_div")
    if log_target:
        pointwise = combine("multiply", [activation(operand(target, dtype), "exp"),
                                         combine("subtract", [target, input], dtype)], dtype)
    else:
        pointwise = combine("subtract", [combine("xlogy", [target, target], dtype),
                                         combine("multiply", [target, input], dtype)], dtype)
    if reduction != "batchmean":
        return _reduce(pointwise, reduction)
    if not input.ndim:
        return _all(pointwise, "sum")
    total = _all(pointwise, "sum", name=aux_name("sum"))
    return combine("truediv", [total, input.shape[0]], dtype)


# -- nll, cross entropy -----------------------------------------------------------------------------


def _class_axis(input: Tensor, what: str) -> int:  # noqa: A002
    if input.ndim == 0:
        raise ModelError(f"{what} of a 0-d input is not supported (torch refuses it too)")
    axis = 0 if input.ndim == 1 else 1
    if input.dims[axis].is_batch_dim() or input.dims[axis].dimension is None:
        raise UnsupportedOpError(f"{what} with a dynamic class axis (axis {axis}) is not supported")
    return axis


def _lined_up(input: Tensor, target: Tensor, class_axis: int, what: str) -> Tensor:  # noqa: A002
    """``target`` (the input's shape without the class axis) with the input's dims on its axes."""
    others = [d for i, d in enumerate(input.dims) if i != class_axis]
    if target.ndim != len(others):
        raise ModelError(f"{what}: a target of {target.ndim} dims for an input of {input.ndim} dims "
                         "(torch refuses it too)")
    if [int(n) for i, n in enumerate(input.shape) if i != class_axis] != [int(n) for n in target.shape]:
        raise ModelError(f"{what}: target shape {tuple(int(n) for n in target.shape)} does not match input shape "
                         f"{tuple(int(n) for n in input.shape)} (torch refuses it too)")
    for i, d in enumerate(others):
        target = unify(target, i, d)
    return target


def _class_weight(weight: Tensor | None, classes: Dim, what: str) -> Tensor | None:
    if weight is None:
        return None
    if weight.ndim != 1 or int(weight.shape[0]) != classes.dimension:
        raise ModelError(f"{what}: weight tensor should be defined either for all {classes.dimension} classes or "
                         "no classes (torch refuses it too)")
    return unify(weight, 0, classes)


class _Picked:
    """The per-position terms of an nll loss: ``loss`` (0 where ignored), ``weights`` (the target
    class's weight, 0 where ignored: the mean's denominator sums them) and ``ignored``."""

    def __init__(self, loss: Tensor, weights: Tensor, ignored: Tensor):
        self.loss, self.weights, self.ignored = loss, weights, ignored


def _pick(logp: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int, class_axis: int,  # noqa: C901
          what: str) -> _Picked:
    """``-weight[t] * logp[..., t, ...]`` per position, t the target class: a ``gather`` along the
    class axis at the target (ignored positions gather class 0, then are zeroed by a ``switch``)."""
    if target.dtype.is_floating_point or target.dtype is _dtype.bool or target.dtype.is_complex:
        raise ModelError(f"{what}: expected a class index target of an integer dtype, got {target.dtype}")
    classes = logp.dims[class_axis]
    target = _lined_up(logp, target, class_axis, what)
    if target.layer.output.sparse:  # the model's input ids as labels (T5's labels): dense, as torch has them
        target = make({"class": "reinterpret_data", "from": target, "set_sparse": False}, target.dims,
                      dtype=target.dtype, name=aux_name("dense"))
    weight = _class_weight(weight, classes, what)
    dims = list(target.dims)
    dtype = logp.dtype
    ignored = _by_dims("equal", [target, operand(int(ignore_index), target.dtype)], dims, dtype,
                       name=aux_name("ignored"), layer="compare")
    position = _switch(ignored, operand(0, target.dtype), target, dims, target.dtype, name=aux_name("position"))
    picked = make({"class": "gather", "from": logp, "axis": classes, "position": position}, dims, dtype=dtype,
                  name=aux_name("picked"))
    zero = operand(0.0, dtype)
    if weight is None:
        loss = activation(picked, "negative")
        weights = _switch(ignored, zero, operand(1.0, dtype), dims, dtype, name=aux_name("weights"))
    else:
        w = make({"class": "gather", "from": operand(weight, dtype), "axis": classes, "position": position}, dims,
                 dtype=dtype, name=aux_name("class_weight"))
        loss = _by_dims("multiply", [activation(picked, "negative"), w], dims, dtype, name=aux_name("weighted"))
        weights = _switch(ignored, zero, w, dims, dtype, name=aux_name("weights"))
    loss = _switch(ignored, zero, loss, dims, dtype, name=aux_name("loss"))
    return _Picked(loss, weights, ignored)


def _weighted_reduce(loss: Tensor, weights: Tensor, reduction: str, name: str | None = None) -> Tensor:
    """torch's nll reduction: ``none``, ``sum``, or ``mean`` = ``sum(loss) / sum(weights)``."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return _all(loss, "sum", name=name)
    total = _all(loss, "sum", name=aux_name("sum", name))
    denominator = _all(weights, "sum", name=aux_name("weight_sum", name))
    return _by_dims("truediv", [total, denominator], [], loss.dtype, name=name)


@op("torch.nn.functional.nll_loss")
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,  # noqa: A002
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Inputs (C), (N, C) and (N, C, d1, ...) of log-probabilities, class-index targets."""
    reduction = _reduction(size_average, reduce, reduction)
    if not input.dtype.is_floating_point:
        raise ModelError(f"nll_loss of a {input.dtype} input is not supported (torch refuses it too)")
    axis = _class_axis(input, "nll_loss")
    picked = _pick(input, target, weight, ignore_index, axis, "nll_loss")
    return _weighted_reduce(picked.loss, picked.weights, reduction)


def _probability_targets(logp: Tensor, target: Tensor, weight: Tensor | None, reduction: str,  # noqa: A002
                         label_smoothing: float, class_axis: int) -> Tensor:
    """torch's cross entropy with class probabilities: ``-sum_c(logp * target * weight)`` per
    position; the mean is over the positions (torch's sum over numel / C)."""
    classes = logp.dims[class_axis]
    dtype = logp.dtype
    if [int(n) for n in target.shape] != [int(n) for n in logp.shape]:
        raise ModelError("cross_entropy: probability targets must have the input's shape (torch refuses it too)")
    for i, d in enumerate(logp.dims):
        target = unify(target, i, d)
    target = operand(target, dtype)
    if label_smoothing > 0:
        target = combine("add", [combine("multiply", [target, 1.0 - label_smoothing], dtype),
                                 label_smoothing / classes.dimension], dtype)
    terms = combine("multiply", [logp, target], dtype)
    weight = _class_weight(weight, classes, "cross_entropy")
    if weight is not None:
        terms = _by_dims("multiply", [terms, operand(weight, dtype)], logp.dims, dtype, name=aux_name("weighted"))
    summed = reduce_layer(terms, "sum", [class_axis], name=aux_name("class_sum"))
    per_position = activation(summed, "negative")
    return _reduce(per_position, reduction)


@op("torch.nn.functional.cross_entropy")
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,  # noqa: A002
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over the class axis (axis 1, or 0 for a 1-d input), then the nll loss of
    class-index targets, or with class-probability targets (a float target of the input's shape);
    ``label_smoothing`` as torch mixes it in."""
    reduction = _reduction(size_average, reduce, reduction)
    if not input.dtype.is_floating_point:
        raise ModelError(f"cross_entropy of a {input.dtype} input is not supported (torch refuses it too)")
    label_smoothing = float(label_smoothing)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ModelError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    axis = _class_axis(input, "cross_entropy")
    logp = _activations.log_softmax(input, dim=axis)
    if target.dtype.is_floating_point:
        return _probability_targets(logp, target, weight, reduction, label_smoothing, axis)
    picked = _pick(logp, target, weight, ignore_index, axis, "cross_entropy")
    if label_smoothing == 0:
        return _weighted_reduce(picked.loss, picked.weights, reduction)
    # torch: (1 - ls) * nll + ls / C * smooth, smooth = -sum_c(logp * weight) per position (0 where ignored)
    dtype, classes, dims = logp.dtype, logp.dims[axis], picked.loss.dims
    terms = logp
    weight = _class_weight(weight, classes, "cross_entropy")
    if weight is not None:
        terms = _by_dims("multiply", [logp, operand(weight, dtype)], logp.dims, dtype, name=aux_name("smooth_terms"))
    summed = reduce_layer(terms, "sum", [axis], name=aux_name("class_sum"))
    smooth = _switch(picked.ignored, operand(0.0, dtype), activation(summed, "negative"), dims, dtype,
                     name=aux_name("smooth"))
    nll = _weighted_reduce(picked.loss, picked.weights, reduction, name=aux_name("nll"))
    smooth = _weighted_reduce(smooth, picked.weights, reduction, name=aux_name("smooth_reduced"))
    return combine("add", [combine("multiply", [nll, 1.0 - label_smoothing], dtype),
                           combine("multiply", [smooth, label_smoothing / classes.dimension], dtype)], dtype)


# -- ctc --------------------------------------------------------------------------------------------

#: torch's CTC loss per sequence from log_probs ``lp`` (time, batch, classes), targets ``tg`` (batch, S), input
#: and target lengths ``il``, ``tl`` (batch): ``tf.nn.ctc_loss``, which takes logits and normalizes them (a
#: log_softmax over the classes), plus the frames' log-sum-exps it subtracted (torch does not normalize: exact
#: either way, and 0 for log-probabilities); infinite (0 with zero_infinity) where no alignment fits (tf gives a
#: large finite value there): fewer frames than labels plus the repeated labels that need a blank between them.
_CTC = ("tf.where(il >= tl + tf.reduce_sum(tf.cast(tf.logical_and(tf.equal(tg[:, 1:], tg[:, :-1]), "
        "tf.range(1, tf.shape(tg)[1])[None, :] < tl[:, None]), 'int32'), axis=1), "
        "tf.nn.ctc_loss(labels=tg, logits=lp, label_length=tl, logit_length=il, logits_time_major=True, "
        "blank_index={blank}) - tf.reduce_sum(tf.where(tf.range(tf.shape(lp)[0])[:, None] < il[None, :], "
        "tf.reduce_logsumexp(lp, axis=2), tf.zeros_like(lp[:, :, 0])), axis=0), "
        "tf.fill(tf.shape(il), tf.constant({infeasible}, lp.dtype)))")
#: the concatenated 1-d targets (torch's other form) as padded ones (batch, max(tl)), split by the target lengths
_SPLIT_TARGETS = ("tf.gather(tg, tf.clip_by_value((tf.cumsum(tl) - tl)[:, None] + tf.range(tf.reduce_max(tl))[None, :],"
                  " 0, tf.size(tg) - 1))")
#: padded targets with a valid label (``filler``, not the blank) beyond each length, where torch ignores them
_PADDED_TARGETS = "tf.where(tf.range(tf.shape(tg)[1])[None, :] < tl[:, None], tg, {filler})"


def _ctc_lengths(value: Any, sources: list[Tensor], what: str) -> str:
    """TF code (int32, (batch,)) for CTC lengths given as a 1-d tensor or a tuple of ints (or sizes)."""
    if isinstance(value, Tensor):
        if value.ndim != 1 or value.dtype.is_floating_point or value.dtype is _dtype.bool:
            raise ModelError(f"ctc_loss: {what} must be a 1-d tensor of integers, got a {value.ndim}-d {value.dtype}")
        sources.append(value)
        return f"tf.cast(source({len(sources) - 1}, auto_convert=False), 'int32')"
    if not isinstance(value, (list, tuple)):
        raise ModelError(f"ctc_loss: {what} must be a tensor or a tuple of ints, got {type(value).__name__}")
    items = []
    for n in value:
        if isinstance(n, SizeValue):  # a dynamic size: its scalar layer
            sources.append(operand(n, _dtype.int32))
            items.append(f"source({len(sources) - 1}, auto_convert=False)")
        else:
            items.append(str(int(n)))
    return f"tf.stack([{', '.join(items)}])" if items else "tf.zeros([0], 'int32')"


def _in_torch_order(x: Tensor, i: int) -> str:
    """TF code: source ``i`` (tensor ``x``) with its axes in torch order."""
    return f"tf.transpose(source({i}, auto_convert=False), {raw_axes(x, list(range(x.ndim)))})"


@op("torch.nn.functional.ctc_loss")
def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """log_probs (T, N, C) (not normalized here, as in torch), targets padded (N, S) or concatenated (sum of
    the target lengths), the lengths as tensors (N) or tuples; the loss per sequence (one ``eval`` layer on
    ``tf.nn.ctc_loss``: see `_CTC`), ``mean``: divided by the target lengths, then the batch mean (a
    ``reduce`` layer). Frames beyond each input length do not count, as in torch.

    Not RETURNN's ``ctc_loss`` layer: it takes the lengths from dims (the logits' time axis, the targets'
    sparse time axis), where torch takes them as any tensors or tuples, and it runs a native op that is
    compiled at run time."""
    reduction = _reduction(None, None, reduction)
    if log_probs.ndim != 3:
        raise UnsupportedOpError(f"ctc_loss of {log_probs.ndim}-d log_probs (only batched (T, N, C)) is not supported")
    if not log_probs.dtype.is_floating_point:
        raise ModelError(f"ctc_loss of {log_probs.dtype} log_probs is not supported (torch refuses it too)")
    classes = log_probs.dims[2]
    if classes.dimension is None or classes.is_batch_dim():
        raise UnsupportedOpError("ctc_loss with a dynamic class axis is not supported")
    blank = int(blank)
    if not 0 <= blank < classes.dimension:
        raise ModelError(f"ctc_loss: blank must be in label range, got {blank} for {classes.dimension} classes")
    if targets.dtype.is_floating_point or targets.dtype is _dtype.bool or targets.ndim not in (1, 2):
        raise ModelError(f"ctc_loss: targets must be 1-d or 2-d integers, got a {targets.ndim}-d {targets.dtype}")
    batch = log_probs.dims[1]
    sources = [log_probs, targets]
    il = _ctc_lengths(input_lengths, sources, "input_lengths")
    tl = _ctc_lengths(target_lengths, sources, "target_lengths")
    targets_code = _PADDED_TARGETS.format(filler=(blank + 1) % classes.dimension)
    if targets.ndim == 1:
        targets_code = f"(lambda tg: {targets_code})({_SPLIT_TARGETS})"
    loss = _CTC.format(blank=blank, infeasible="0.0" if zero_infinity else "float('inf')")
    if reduction == "mean":
        loss = f"(lambda loss: loss / tf.cast(tf.maximum(tl, 1), loss.dtype))({loss})"
    code = (f"(lambda lp, tg, il, tl: (lambda tg: {loss})({targets_code}))({_in_torch_order(log_probs, 0)}, "
            f"tf.cast({_in_torch_order(targets, 1)}, 'int32'), {il}, {tl})")
    per_sequence = eval_layer(code, sources, [batch], log_probs.dtype, raw_dims=[batch],
                              name=aux_name("ctc") if reduction != "none" else None)
    return _reduce(per_sequence, reduction)


@op("torch.ctc_loss")
def torch_ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any, blank: int = 0,
                   reduction: int = 1, zero_infinity: bool = False) -> Tensor:
    """``torch.ctc_loss``: reduction as torch's enum (0: none, 1: mean, 2: sum)."""
    if reduction not in (0, 1, 2):
        raise ModelError(f"torch.ctc_loss: reduction {reduction} is not 0, 1 or 2")
    return ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, ("none", "mean", "sum")[reduction],
                    zero_infinity)


# -- distances --------------------------------------------------------------------------------------


@op("torch.nn.functional.cosine_similarity", aliases=("torch.cosine_similarity",))
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps))`` over ``dim`` (torch's current formula: each
    operand normalized first), the operands broadcast."""
    dtype = promote(x1, x2)
    if not dtype.is_floating_point:
        raise ModelError(f"expected common dtype to be floating point, yet common dtype is {dtype}")
    (a, b), dims = broadcast(operand(x1, dtype), operand(x2, dtype))
    if not dims:
        raise UnsupportedOpError("cosine_similarity of 0-d tensors is not supported")
    along = dims[norm_axis(dim, len(dims))]
    if along not in a.dims or along not in b.dims:
        raise UnsupportedOpError("cosine_similarity along a dim that one operand broadcasts (size 1) is not supported")
    normalized = []
    for n, t in enumerate((a, b)):
        size = norm_layers(t, 2, [t.dims.index(along)], name=aux_name(f"norm{n}"))
        size = _by_dims("maximum", [size, operand(float(eps), dtype)], size.dims, dtype, name=aux_name(f"clamped{n}"))
        normalized.append(_by_dims("truediv", [t, size], t.dims, dtype, name=aux_name(f"normalized{n}")))
    product = _by_dims("multiply", normalized, dims, dtype, name=aux_name("product"))
    return reduce_layer(product, "sum", [dims.index(along)])


@op("torch.nn.functional.pairwise_distance", aliases=("torch.pairwise_distance",))
def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """The p-norm of ``x1 - x2 + eps`` over the last axis (torch broadcasting)."""
    dtype = promote(x1, x2)
    if not dtype.is_floating_point:
        raise ModelError(f"pairwise_distance of {dtype} tensors is not supported (torch refuses it too)")
    shifted = combine("add", [combine("subtract", [x1, x2], dtype), float(eps)], dtype)
    return norm_layers(shifted, p, [shifted.ndim - 1] if shifted.ndim else [], keepdim)


# -- modules ----------------------------------------------------------------------------------------


class _Loss(Module):
    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            self.reduction = _legacy_reduction(size_average, reduce)
        else:
            self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


@module("torch.nn.MSELoss")
class MSELoss(_Loss):
    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return mse_loss(input, target, reduction=self.reduction)


@module("torch.nn.L1Loss")
class L1Loss(_Loss):
    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return l1_loss(input, target, reduction=self.reduction)


@module("torch.nn.SmoothL1Loss")
class SmoothL1Loss(_Loss):
    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


@module("torch.nn.HuberLoss")
class HuberLoss(_Loss):
    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


@module("torch.nn.BCELoss")
class BCELoss(_WeightedLoss):
    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


@module("torch.nn.BCEWithLogitsLoss")
class BCEWithLogitsLoss(_WeightedLoss):
    def __init__(self, weight: Tensor | None = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean", pos_weight: Tensor | None = None):
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                pos_weight=self.pos_weight)


@module("torch.nn.KLDivLoss")
class KLDivLoss(_Loss):
    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


@module("torch.nn.NLLLoss")
class NLLLoss(_WeightedLoss):
    def __init__(self, weight: Tensor | None = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


@module("torch.nn.CrossEntropyLoss")
class CrossEntropyLoss(_WeightedLoss):
    def __init__(self, weight: Tensor | None = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)


@module("torch.nn.CTCLoss")
class CTCLoss(_Loss):
    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any) -> Tensor:
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                        self.zero_infinity)


@module("torch.nn.CosineSimilarity")
class CosineSimilarity(Module):
    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return cosine_similarity(x1, x2, self.dim, self.eps)


@module("torch.nn.PairwiseDistance")
class PairwiseDistance(Module):
    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
