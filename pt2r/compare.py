"""Numeric comparison of two arrays: the metrics and tolerances every check uses.

A pair passes when every element satisfies ``|a - b| <= atol + rtol * |b|``
(``b`` the reference, as numpy's ``allclose``), with ``atol``/``rtol`` by the
reference dtype unless the run sets others. Integer and bool results must be
equal. Frames beyond a sequence's length are excluded through ``mask``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

DEFAULT_TOLERANCES: dict[str, dict[str, float]] = {
    "float64": {"atol": 1e-8, "rtol": 1e-6},
    "float32": {"atol": 1e-4, "rtol": 1e-3},
    "float16": {"atol": 1e-2, "rtol": 1e-2},
    "bfloat16": {"atol": 1e-2, "rtol": 1e-2},
}
EXACT = {"atol": 0.0, "rtol": 0.0}


def tolerance_for(dtype_name: str, tolerances: dict[str, dict[str, float]] | None = None) -> dict[str, float]:
    table = {**DEFAULT_TOLERANCES, **(tolerances or {})}
    if dtype_name not in table and dtype_name in _COMPONENTS:  # complex: as its (real, imaginary) parts
        dtype_name = _COMPONENTS[dtype_name]
    return table.get(dtype_name, EXACT)


_COMPONENTS = {"complex64": "float32", "complex128": "float64"}


@dataclass
class Comparison:
    max_abs: float
    max_rel: float
    cosine: float
    passed: bool
    #: index and values of the largest violation of the tolerance (or of the largest difference)
    worst_index: tuple[int, ...] | None
    worst_actual: float | None
    worst_expected: float | None
    atol: float
    rtol: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        text = f"max abs {self.max_abs:.3g}, max rel {self.max_rel:.3g}, cosine {self.cosine:.6f}"
        if self.worst_index is not None:
            text += (f"; worst at index {list(self.worst_index)}: got {self.worst_actual:.6g}, "
                     f"expected {self.worst_expected:.6g}")
        return text


def compare(actual: np.ndarray, expected: np.ndarray, *, atol: float, rtol: float,
            mask: np.ndarray | None = None) -> Comparison:
    """Compare ``actual`` with the reference ``expected`` (same shape), ignoring ``~mask``.

    Works through the arrays in cache-sized blocks with preallocated temporaries, in float32 where
    both are float32 (or narrower) and in float64 otherwise, so it is fast and its memory small for
    large activations; a block with an infinity or NaN is redone in float64 (`_non_finite`)."""
    if actual.shape != expected.shape:
        raise ValueError(f"shapes differ: {actual.shape} vs {expected.shape}")
    if np.iscomplexobj(actual) or np.iscomplexobj(expected):  # both parts count: as (real, imaginary) pairs
        actual, expected = (np.stack([np.real(x), np.imag(x)], axis=-1) for x in (actual, expected))
        mask = None if mask is None else np.broadcast_to(np.asarray(mask)[..., None], actual.shape)
    if actual.size == 0:
        return Comparison(0.0, 0.0, 1.0, True, None, None, None, atol, rtol)
    narrow = all(x.dtype.kind == "f" and x.dtype.itemsize <= 4 for x in (actual, expected))
    work = np.dtype(np.float32 if narrow else np.float64)
    tiny = np.finfo(work).tiny
    flat_a, flat_b = actual.reshape(-1), expected.reshape(-1)
    flat_mask = mask.reshape(-1) if mask is not None else None
    size = min(_BLOCK, flat_a.size)
    diff, scale, excess = (np.empty(size, work) for _ in range(3))
    max_abs = max_rel = 0.0
    dot = norm_a = norm_b = 0.0
    worst_excess, worst_diff, worst_pos, worst_diff_pos = -np.inf, -1.0, 0, 0
    for start in range(0, flat_a.size, _BLOCK):
        a = flat_a[start:start + _BLOCK].astype(work, copy=False)
        b = flat_b[start:start + _BLOCK].astype(work, copy=False)
        if flat_mask is not None:
            keep = flat_mask[start:start + _BLOCK]
            a, b = np.where(keep, a, work.type(0)), np.where(keep, b, work.type(0))
        n = a.size
        d, sc, ex = diff[:n], scale[:n], excess[:n]
        with np.errstate(invalid="ignore"):  # inf - inf: such a block is redone below
            np.subtract(a, b, out=d)
        np.abs(d, out=d)
        block_max = float(d.max())
        if np.isfinite(block_max):  # the common case, no inf or NaN
            np.abs(b, out=sc)
            fa, fb = a, b
        else:
            a, b = a.astype(np.float64), b.astype(np.float64)
            d, sc, fa, fb = _non_finite(a, b)
            ex = np.empty_like(d)
            block_max = float(d.max())
        np.multiply(sc, rtol, out=ex)
        ex += atol
        np.subtract(d, ex, out=ex)
        i, j = int(np.argmax(ex)), int(np.argmax(d))
        if ex[i] > worst_excess:
            worst_excess, worst_pos = float(ex[i]), start + i
        if d[j] > worst_diff:
            worst_diff, worst_diff_pos = float(d[j]), start + j
        max_abs = max(max_abs, block_max)
        np.maximum(sc, tiny, out=sc)
        np.divide(d, sc, out=sc)
        max_rel = max(max_rel, float(sc.max()))
        with np.errstate(over="ignore"):  # huge values (torch.empty's memory) give an infinite norm
            dot, norm_a, norm_b = dot + float(fa @ fb), norm_a + float(fa @ fa), norm_b + float(fb @ fb)
    passed = worst_excess <= 0
    worst = np.unravel_index(worst_diff_pos if passed else worst_pos, actual.shape)
    norm = float(np.sqrt(norm_a) * np.sqrt(norm_b))
    cosine = min(1.0, dot / norm) if norm > 0 else (1.0 if max_abs == 0 else 0.0)
    return Comparison(
        max_abs=max_abs, max_rel=max_rel, cosine=cosine, passed=passed,
        worst_index=tuple(int(i) for i in worst), worst_actual=float(actual[worst]),
        worst_expected=float(expected[worst]), atol=atol, rtol=rtol)


_BLOCK = 1 << 16  # elements per block: a block's temporaries stay in the CPU cache


def _non_finite(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
    """Differences and scales where infinities or NaNs occur, and the finite parts for the cosine."""
    # equal values (infinities included) and NaN against NaN agree exactly
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf: those are "same"
        diff = np.abs(np.where(same, 0.0, a - b))
    diff = np.where(np.isnan(diff), np.inf, diff)
    scale = np.where(same | np.isnan(b), 0.0, np.abs(b))  # a NaN only on one side: infinitely off
    finite = np.isfinite(a) & np.isfinite(b)
    return diff, scale, np.where(finite, a, 0.0), np.where(finite, b, 0.0)
