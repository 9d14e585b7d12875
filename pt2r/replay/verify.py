"""Verification of every recorded call, isolated and accumulated (DESIGN.md, "Verification").

*Accumulated*: the net runs from the recorded input, as the exported net
will; every call's output is fetched (in chunks, so memory stays bounded).
*Isolated*: for each call, the TF tensors of its inputs are fed the recorded
inputs, so an error upstream does not cascade; TF computes only what lies
between (many calls share one run: `isolated_groups`). Frames beyond a
sequence's length are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
from returnn.tensor import batch_dim

from pt2r import compare
from pt2r.replay.context import CHUNK_BYTES, ReplayContext, chunked



@dataclass
class CallResult:
    index: int
    name: str
    kind: str
    target: str
    source: list | None
    torch_shapes: list[list[int]] = field(default_factory=list)
    returnn_layers: list[str] = field(default_factory=list)
    axis_mappings: list[str] = field(default_factory=list)
    isolated: dict[str, Any] | None = None
    accumulated: dict[str, Any] | None = None
    #: for a random op the net draws itself: its own draw's shape and range (`Verifier._draws`)
    drawn: dict[str, Any] | None = None
    #: whether the call was built as layers (False: it took its recorded output, e.g. an op on constants)
    built: bool = True
    passed: bool = True

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def torch_order(tensor: Any) -> list[int]:
    """Permutation taking the layer's raw axis order to the tensor's torch order."""
    raw = list(tensor.layer.output.dims)
    return [raw.index(d) for d in tensor.dims]


def axis_mapping(tensor: Any) -> str:
    raw = list(tensor.layer.output.dims)
    return ", ".join(f"{i}->{raw.index(d)}:{d.description}" for i, d in enumerate(tensor.dims))


class Verifier:
    def __init__(self, ctx: ReplayContext, session: Any, feed: dict, tolerances: dict[str, dict[str, float]],
                 feed_limit: int | None = None, keep: Sequence[Any] = ()):
        """``keep``: tensors whose values the accumulated pass keeps (in `kept`, by placeholder, in their
        layers' axis order): the model's outputs, which the replay reports, need no run of their own."""
        self.ctx, self.session, self.feed, self.tolerances = ctx, session, feed, tolerances
        self.feed_limit = feed_limit or CHUNK_BYTES
        self.kept: dict[Any, np.ndarray] = dict.fromkeys(t.layer.output.placeholder for t in keep)
        self.has_seq_lens = bool(ctx.meta["input"]["description"].get("seq_lens"))
        self._lengths: dict[Any, np.ndarray] = {}

    def _mask(self, tensor: Any, shape: tuple[int, ...]) -> np.ndarray | None:
        if not self.has_seq_lens or batch_dim not in tensor.dims:
            return None
        batch_axis = tensor.dims.index(batch_dim)
        batch_info = tensor.dims[batch_axis].batch
        if batch_info is not None and len(batch_info.virtual_dims) > 1:
            return None  # the batch is merged with other axes: lengths no longer line up per entry
        mask = None
        for axis, d in enumerate(tensor.dims):
            if d.dimension is not None or d == batch_dim or d.dyn_size_ext is None:
                continue
            if list(d.dyn_size_ext.dims) != [batch_dim]:
                continue
            if d not in self._lengths:
                self._lengths[d] = self.session.run(d.dyn_size_ext.placeholder, feed_dict=self.feed)
            lengths = self._lengths[d]
            view = [1] * len(shape)
            view[batch_axis], view[axis] = shape[batch_axis], shape[axis]
            positions = np.arange(shape[axis])
            axis_mask = (positions[None, :] < lengths[:, None]) if batch_axis < axis else \
                (positions[:, None] < lengths[None, :])
            axis_mask = np.broadcast_to(axis_mask.reshape(view), shape)
            mask = axis_mask if mask is None else (mask & axis_mask)
        return mask

    def _compare(self, tensor: Any, actual: np.ndarray, tensor_id: int) -> compare.Comparison:
        expected = self.ctx.array(tensor_id)
        dtype = self.ctx.meta["tensors"][tensor_id]["dtype"]
        tol = compare.tolerance_for(dtype, self.tolerances)
        if actual.shape != expected.shape:
            return compare.Comparison(float("inf"), float("inf"), 0.0, False, None, None, None, **tol)
        return compare.compare(actual, expected, mask=self._mask(tensor, actual.shape), **tol)

    def run(self, progress: Callable[[str, int, int], None] | None = None) -> list[CallResult]:
        ctx = self.ctx
        results = {}
        for check in ctx.checks:
            rec = ctx.calls[check.index]
            results[check.index] = CallResult(
                index=check.index, name=rec["name"], kind=rec["kind"], target=rec["target"],
                source=rec.get("source"),
                torch_shapes=[ctx.recorded_shape(tid) for _, tid in check.outputs],
                returnn_layers=[t.layer_name for t, _ in check.outputs],
                axis_mappings=[axis_mapping(t) for t, _ in check.outputs], built=check.built)
        self._accumulated(results, progress)
        self.kept = {tensor: value for tensor, value in self.kept.items() if value is not None}
        self._isolated(results, progress)
        self._draws(results)
        for result in results.values():
            result.passed = bool(result.isolated and result.isolated["passed"]
                                 and result.accumulated and result.accumulated["passed"]
                                 and (result.drawn is None or result.drawn["passed"]))
        return [results[i] for i in sorted(results)]

    def _draws(self, results: dict[int, CallResult]) -> None:
        """The net's own random draws (the other checks see them fed PyTorch's values): of the
        recorded shape, within their range."""
        for draw, tid in draws(self.ctx):
            placeholder = draw.tensor.layer.output.placeholder
            feed = {k: v for k, v in self.feed.items() if k is not placeholder}
            value = np.transpose(self.session.run(placeholder, feed_dict=feed), torch_order(draw.tensor))
            shape = list(self.ctx.recorded_shape(tid))
            low = -np.inf if draw.low is None else draw.low
            high = np.inf if draw.high is None else draw.high
            in_range = bool(np.all((value >= low) & (value <= high))) if value.size else True
            results[draw.index].drawn = {"shape": list(value.shape), "expected_shape": shape,
                                         "range": [draw.low, draw.high], "in_range": in_range,
                                         "passed": list(value.shape) == shape and in_range}

    @staticmethod
    def _worst(comparisons: list[compare.Comparison]) -> dict[str, Any]:
        worst = max(comparisons, key=lambda c: (not c.passed, c.max_abs))
        return {**worst.as_dict(), "passed": all(c.passed for c in comparisons),
                "cosine": min(c.cosine for c in comparisons)}

    def _accumulated(self, results: dict[int, CallResult], progress: Callable | None) -> None:
        """One pass of the net in chunks: a chunk's run is fed the values it needs from earlier
        chunks (`frontier_feeds`), so each layer is computed once, not once per later chunk."""
        items = [(check, t, tid) for check in self.ctx.checks for t, tid in check.outputs]
        chunks = chunked(items, lambda item: _nbytes(self.ctx, [item[1:]]), self.feed_limit)
        fetches = [list(dict.fromkeys(t.layer.output.placeholder for _, t, _ in chunk)) for chunk in chunks]
        plan = frontier_feeds(fetches, self.feed)
        last_use = {tensor: k for k, needed in enumerate(plan) for tensor in needed}
        kept: dict = {}  # fetched values that a later chunk is fed
        per_call: dict[int, list[compare.Comparison]] = {}
        done = 0
        for k, chunk in enumerate(chunks):
            feed = dict(self.feed)
            feed.update((tensor, kept[tensor]) for tensor in plan[k])
            values = dict(zip(fetches[k], self.session.run(fetches[k], feed_dict=feed)))
            for tensor in plan[k]:
                if last_use[tensor] == k:
                    del kept[tensor]
            kept.update((tensor, value) for tensor, value in values.items() if last_use.get(tensor, -1) > k)
            self.kept.update((tensor, value) for tensor, value in values.items() if tensor in self.kept)
            for check, t, tid in chunk:
                actual = np.transpose(values[t.layer.output.placeholder], torch_order(t))
                per_call.setdefault(check.index, []).append(self._compare(t, actual, tid))
            del values, actual  # not held through the next chunk's run
            done += len(chunk)
            if progress:
                progress("accumulated", done, len(items))
        for index, comparisons in per_call.items():
            results[index].accumulated = self._worst(comparisons)

    def _isolated(self, results: dict[int, CallResult], progress: Callable | None) -> None:
        """Isolated checks, many per session run: see `isolated_groups`."""
        done = 0
        for group in isolated_groups(self.ctx, self.feed_limit):
            feed = dict(self.feed)
            for placeholder, (tensor, tid) in group.feeds.items():
                raw = list(tensor.layer.output.dims)
                feed[placeholder] = np.transpose(self.ctx.array(tid), [tensor.dims.index(d) for d in raw])
            fetches = list(group.fetches)
            values = dict(zip(fetches, self.session.run(fetches, feed_dict=feed)))
            for check in group.checks:
                comparisons = [self._compare(t, np.transpose(values[t.layer.output.placeholder], torch_order(t)), tid)
                               for t, tid in check.outputs]
                results[check.index].isolated = self._worst(comparisons)
            done += len(group.checks)
            if progress:
                progress("isolated", done, len(self.ctx.checks))


def draws(ctx: ReplayContext) -> list[tuple[Any, int]]:
    """The net's random draws, each with its recorded tensor id."""
    recorded = {(check.index, id(t._layer)): tid for check in ctx.checks for t, tid in check.outputs}
    return [(draw, recorded[draw.index, id(draw.tensor.layer)]) for draw in ctx.draws]


def recorded_draws(ctx: ReplayContext) -> dict[Any, np.ndarray]:
    """Feeds giving the net's random draws PyTorch's values, in their layers' axis order."""
    feed = {}
    for draw, tid in draws(ctx):
        raw = list(draw.tensor.layer.output.dims)
        feed[draw.tensor.layer.output.placeholder] = np.transpose(ctx.array(tid), [draw.tensor.dims.index(d)
                                                                                   for d in raw])
    return feed


def frontier_feeds(fetches: list[list], feed: dict) -> list[list]:
    """For each chunk of fetched TF tensors, the tensors fetched by earlier chunks that its run
    needs (walking the graph back from its fetches, stopping at what earlier chunks fetched or
    ``feed`` feeds). Fed those values, a chunk's run computes only what lies between them and
    its fetches, as they were computed before (the same ops on the same values)."""
    plan = []
    earlier: set = set()
    for chunk in fetches:
        needed = []
        seen: set = set()
        stack = [t.op for t in chunk]
        while stack:
            op = stack.pop()
            if op in seen:
                continue
            seen.add(op)
            for tensor in op.inputs:
                if tensor in feed:
                    continue
                if tensor in earlier and tensor.graph.is_feedable(tensor):
                    if tensor not in seen:
                        seen.add(tensor)
                        needed.append(tensor)
                    continue
                stack.append(tensor.op)
            stack.extend(op.control_inputs)
        plan.append(needed)
        earlier.update(chunk)
    return plan


@dataclass
class IsolatedGroup:
    checks: list = field(default_factory=list)
    feeds: dict = field(default_factory=dict)  # placeholder -> (tensor, recorded tensor id)
    fetches: set = field(default_factory=set)
    bytes: int = 0


def _nbytes(ctx: ReplayContext, pairs: list) -> int:
    """Bytes of the recorded arrays of (tensor, recorded id) pairs."""
    tensors = ctx.meta["tensors"]
    return sum(int(np.prod(tensors[tid]["shape"])) * np.dtype(_storage(tensors[tid]["dtype"])).itemsize
               for _, tid in pairs)


def _storage(dtype_name: str) -> str:
    return "uint16" if dtype_name == "bfloat16" else dtype_name


def isolated_groups(ctx: ReplayContext, limit: int) -> list[IsolatedGroup]:
    """Checks that can share one session run: in a group, no check fetches a tensor another one
    feeds, and a tensor fed twice gets the same recorded value.

    A check then sees its own inputs fed with their recorded values, and also those of the calls
    nested inside it that share its group: a module call is isolated at least as finely as asked,
    and every call inside it is checked on its own too. Grouping (greedy, in call order) turns one
    TF run per call into a handful, each bounded to ``limit`` bytes of fed and fetched arrays.
    """
    groups: list[IsolatedGroup] = []
    for check in ctx.checks:
        feeds = {t.layer.output.placeholder: (t, tid) for t, tid in check.inputs
                 if t._layer is not None and t.blob is None}  # parameters and constants are in the net
        fetches = {t.layer.output.placeholder for t, _ in check.outputs}
        size = _nbytes(ctx, check.outputs) + _nbytes(ctx, list(feeds.values()))
        for group in groups:
            if (fetches.isdisjoint(group.feeds) and group.fetches.isdisjoint(feeds)
                    and all(group.feeds[p][1] == tid for p, (_, tid) in feeds.items() if p in group.feeds)
                    and (group.bytes + size <= limit or not group.checks)):
                break
        else:
            group = IsolatedGroup()
            groups.append(group)
        group.checks.append(check)
        group.feeds.update(feeds)
        group.fetches |= fetches
        group.bytes += size
    return groups
