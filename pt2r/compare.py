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
    """Compare ``actual`` with the reference ``expected`` (same shape), ignoring ``~mask``."""
    if actual.shape != expected.shape:
        raise ValueError(f"shapes differ: {actual.shape} vs {expected.shape}")
    a = actual.astype(np.float64)
    b = expected.astype(np.float64)
    if mask is not None:
        a = np.where(mask, a, 0.0)
        b = np.where(mask, b, 0.0)
    if a.size == 0:
        return Comparison(0.0, 0.0, 1.0, True, None, None, None, atol, rtol)
    # equal values (infinities included) and NaN against NaN agree exactly
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf: those are "same"
        diff = np.abs(np.where(same, 0.0, a - b))
    diff = np.where(np.isnan(diff), np.inf, diff)
    scale = np.where(same, 0.0, np.abs(b))
    excess = diff - (atol + rtol * scale)
    passed = bool(np.all(excess <= 0))
    worst = np.unravel_index(int(np.argmax(excess if not passed else diff)), a.shape)
    rel = diff / np.maximum(scale, np.finfo(np.float64).tiny)
    finite = np.isfinite(a) & np.isfinite(b)
    fa, fb = np.where(finite, a, 0.0), np.where(finite, b, 0.0)
    norm = float(np.linalg.norm(fa) * np.linalg.norm(fb))
    cosine = float(np.sum(fa * fb) / norm) if norm > 0 else (1.0 if not diff.any() else 0.0)
    return Comparison(
        max_abs=float(diff.max()), max_rel=float(rel.max()), cosine=cosine, passed=passed,
        worst_index=tuple(int(i) for i in worst), worst_actual=float(actual[worst]),
        worst_expected=float(expected[worst]), atol=atol, rtol=rtol)

