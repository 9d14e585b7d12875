"""Verification of every recorded call, isolated and accumulated (DESIGN.md, "Verification").

*Accumulated*: the net runs from the recorded input, as the exported net
will; every call's output is fetched (in chunks, so memory stays bounded).
*Isolated*: for each call, the TF tensors of its inputs are fed the recorded
inputs, so an error upstream does not cascade; TF computes only what lies
between. Frames beyond a sequence's length are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from returnn.tensor import batch_dim

from pt2r import compare
from pt2r.replay.context import ReplayContext

CHUNK_BYTES = 256 << 20


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
    def __init__(self, ctx: ReplayContext, session: Any, feed: dict, tolerances: dict[str, dict[str, float]]):
        self.ctx, self.session, self.feed, self.tolerances = ctx, session, feed, tolerances
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
                axis_mappings=[axis_mapping(t) for t, _ in check.outputs])
        self._accumulated(results, progress)
        self._isolated(results, progress)
        for result in results.values():
            result.passed = bool(result.isolated and result.isolated["passed"]
                                 and result.accumulated and result.accumulated["passed"])
        return [results[i] for i in sorted(results)]

    @staticmethod
    def _worst(comparisons: list[compare.Comparison]) -> dict[str, Any]:
        worst = max(comparisons, key=lambda c: (not c.passed, c.max_abs))
        return {**worst.as_dict(), "passed": all(c.passed for c in comparisons),
                "cosine": min(c.cosine for c in comparisons)}

    def _accumulated(self, results: dict[int, CallResult], progress: Callable | None) -> None:
        items = [(check, t, tid) for check in self.ctx.checks for t, tid in check.outputs]
        per_call: dict[int, list[compare.Comparison]] = {}
        chunk: list = []
        size = 0
        done = 0
        for n, item in enumerate(items):
            chunk.append(item)
            entry = self.ctx.meta["tensors"][item[2]]
            size += int(np.prod(entry["shape"])) * 8
            if size >= CHUNK_BYTES or n == len(items) - 1:
                values = self.session.run([t.layer.output.placeholder for _, t, _ in chunk], feed_dict=self.feed)
                for (check, t, tid), value in zip(chunk, values):
                    actual = np.transpose(value, torch_order(t))
                    per_call.setdefault(check.index, []).append(self._compare(t, actual, tid))
                done += len(chunk)
                chunk, size = [], 0
                if progress:
                    progress("accumulated", done, len(items))
        for index, comparisons in per_call.items():
            results[index].accumulated = self._worst(comparisons)

    def _isolated(self, results: dict[int, CallResult], progress: Callable | None) -> None:
        for n, check in enumerate(self.ctx.checks):
            feed = dict(self.feed)
            for tensor, tid in check.inputs:
                if tensor._layer is None or tensor.blob is not None:
                    continue  # parameters and constants are in the net already
                raw = list(tensor.layer.output.dims)
                feed[tensor.layer.output.placeholder] = np.transpose(
                    self.ctx.array(tid), [tensor.dims.index(d) for d in raw])
            values = self.session.run([t.layer.output.placeholder for t, _ in check.outputs], feed_dict=feed)
            comparisons = [self._compare(t, np.transpose(v, torch_order(t)), tid)
                           for (t, tid), v in zip(check.outputs, values)]
            results[check.index].isolated = self._worst(comparisons)
            if progress:
                progress("isolated", n + 1, len(self.ctx.checks))
