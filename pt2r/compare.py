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
    return table.get(dtype_name, EXACT)


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

    Works through the arrays in blocks, so its memory stays small for large activations."""
    if actual.shape != expected.shape:
        raise ValueError(f"shapes differ: {actual.shape} vs {expected.shape}")
    if actual.size == 0:
        return Comparison(0.0, 0.0, 1.0, True, None, None, None, atol, rtol)
    flat_a, flat_b = actual.reshape(-1), expected.reshape(-1)
    flat_mask = mask.reshape(-1) if mask is not None else None
    max_abs = max_rel = 0.0
    dot = norm_a = norm_b = 0.0
    worst_excess, worst_diff, worst_pos, worst_diff_pos = -np.inf, -1.0, 0, 0
    for start in range(0, flat_a.size, _BLOCK):
        a = flat_a[start:start + _BLOCK].astype(np.float64)
        b = flat_b[start:start + _BLOCK].astype(np.float64)
        if flat_mask is not None:
            keep = flat_mask[start:start + _BLOCK]
            a, b = np.where(keep, a, 0.0), np.where(keep, b, 0.0)
        if np.isfinite(a.sum() + b.sum()):  # the common case, no inf or NaN: fewer passes
            diff, scale = np.abs(a - b), np.abs(b)
            fa, fb = a, b
        else:
            diff, scale, fa, fb = _non_finite(a, b)
        excess = diff - (atol + rtol * scale)
        i, j = int(np.argmax(excess)), int(np.argmax(diff))
        if excess[i] > worst_excess:
            worst_excess, worst_pos = float(excess[i]), start + i
        if diff[j] > worst_diff:
            worst_diff, worst_diff_pos = float(diff[j]), start + j
        max_abs = max(max_abs, float(diff.max()))
        max_rel = max(max_rel, float((diff / np.maximum(scale, np.finfo(np.float64).tiny)).max()))
        dot, norm_a, norm_b = dot + float(fa @ fb), norm_a + float(fa @ fa), norm_b + float(fb @ fb)
    passed = worst_excess <= 0
    worst = np.unravel_index(worst_diff_pos if passed else worst_pos, actual.shape)
    norm = float(np.sqrt(norm_a) * np.sqrt(norm_b))
    cosine = dot / norm if norm > 0 else (1.0 if max_abs == 0 else 0.0)
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
