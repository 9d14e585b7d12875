"""Tensor values: the tolerance table, stored bits decoded to numbers (bfloat16, float8, complex), compared."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pt2r import compare as compare_mod
from pt2r.diff.reading import _array, _entry
from pt2r.diff.result import ValueDifference
from pt2r.errors import UsageError
from pt2r.trace import TraceReader

#: dtypes whose values are compared within a tolerance (the rest must be equal);
#: ``--atol``/``--rtol`` on the command line apply to all of them
FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64", "complex64", "complex128",
                "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz")


def tolerance_table(atol: float | None = None, rtol: float | None = None,
                    tolerances: dict[str, dict[str, float]] | None = None) -> dict[str, dict[str, float]]:
    """The full tolerance table: defaults, then ``tolerances``, then ``atol``/``rtol`` for every
    floating dtype (what ``pt2r diff --atol X --rtol Y`` uses)."""
    table: dict[str, dict[str, float]] = {}
    for dtype in FLOAT_DTYPES:
        table[dtype] = dict(_default_tolerance(dtype))
    for dtype, tol in (tolerances or {}).items():
        if not isinstance(tol, dict) or set(tol) - {"atol", "rtol"}:
            raise UsageError(f"The tolerance for {dtype!r} must be a dict with 'atol' and/or 'rtol', "
                             f"not {tol!r}.")
        table[dtype] = {**table.get(dtype, _default_tolerance(dtype)), **tol}
    for key, value in (("atol", atol), ("rtol", rtol)):
        if value is not None:
            _check_tolerance(key, value, "")
            for dtype in FLOAT_DTYPES:
                table[dtype][key] = value
    for dtype, tol in table.items():
        for key, value in tol.items():
            tol[key] = _check_tolerance(key, value, f" for {dtype}")
    return table


def _check_tolerance(key: str, value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise UsageError(f"The {key}{where} must be a finite number >= 0, not {value!r}.")
    return float(value)


def _default_tolerance(dtype: str) -> dict[str, float]:
    # complex values are compared as (real, imaginary) pairs of their component dtype
    component = {"complex64": "float32", "complex128": "float64"}.get(dtype, dtype)
    return compare_mod.tolerance_for(component)


def _compare_values(a: TraceReader, b: TraceReader, table: dict[str, dict[str, float]],
                    jobs: list[tuple[str, tuple, int, int]],
                    ) -> tuple[list[ValueDifference], ValueDifference | None, float, dict[str, int]]:
    """Compare the queued tensor pairs (name, order, tensor id in A, in B): those beyond tolerance
    (worst first), the first of them in call order, the largest max abs difference within tolerance,
    and the tensor counts."""
    results: dict[tuple[str, str], Any] = {}
    differing, first, largest = [], None, 0.0
    identical = within = 0
    for name, order, ta, tb in jobs:
        ea, eb = _entry(a, ta), _entry(b, tb)
        if ea["blob"] == eb["blob"]:
            identical += 1  # same content hash: exactly equal, nothing to read
            continue
        pair = (ea["blob"], eb["blob"])
        if pair not in results:
            results[pair] = _compare_blobs(a, b, table, ea, eb)
        result = results[pair]
        if result.passed:
            within += 1
            largest = max(largest, result.max_abs)
            continue
        dtype = ea["dtype"]
        diff = ValueDifference(
            name=name, dtype=dtype, shape=list(ea["shape"]), max_abs=result.max_abs, max_rel=result.max_rel,
            cosine=result.cosine, atol=result.atol, rtol=result.rtol, times_tolerance=_times(result),
            worst_index=list(result.worst_index) if result.worst_index is not None else None,
            value_a=result.worst_expected, value_b=result.worst_actual, order=order)
        differing.append(diff)
        if first is None or order < first.order:
            first = diff
    differing.sort(key=lambda d: (-_sortable(d.times_tolerance), -_sortable(d.max_abs), d.order))
    counts = {"tensors_compared": len(jobs), "tensors_identical": identical,
              "tensors_within_tolerance": within, "tensors_beyond_tolerance": len(differing)}
    return differing, first, largest, counts


def _compare_blobs(a: TraceReader, b: TraceReader, table: dict[str, dict[str, float]],
                   ea: dict, eb: dict) -> compare_mod.Comparison:
    dtype = ea["dtype"]
    expected = _numbers(_array(a, ea), dtype)
    actual = _numbers(_array(b, eb), dtype)
    tol = table.get(dtype) or compare_mod.EXACT
    result = compare_mod.compare(actual, expected, atol=tol["atol"], rtol=tol["rtol"])
    if result.passed and dtype not in table and not np.array_equal(actual, expected):
        result.passed = False  # integers beyond float64's precision: must still be equal
    return result


def _numbers(array: np.ndarray, dtype: str) -> np.ndarray:
    """Stored data as numbers compare() can handle: bit patterns decoded, complex as (re, im) pairs."""
    if dtype == "bfloat16":
        return (array.astype(np.uint32) << 16).view(np.float32)
    if dtype in _FLOAT8:
        return _float8_table(dtype)[array]
    if array.dtype.kind == "c":
        return np.stack([array.real, array.imag], axis=-1)
    return array


#: float8 formats: (exponent bits, mantissa bits, bias, variant); "fn": no inf, NaN all ones,
#: "fnuz": no inf, no -0, NaN is 0x80; "ieee": inf and NaN as IEEE
_FLOAT8 = {"float8_e4m3fn": (4, 3, 7, "fn"), "float8_e4m3fnuz": (4, 3, 8, "fnuz"),
           "float8_e5m2": (5, 2, 15, "ieee"), "float8_e5m2fnuz": (5, 2, 16, "fnuz")}
_FLOAT8_TABLES: dict[str, np.ndarray] = {}


def _float8_table(dtype: str) -> np.ndarray:
    """The float32 value of each of the 256 bit patterns of a float8 format."""
    if dtype not in _FLOAT8_TABLES:
        exp_bits, man_bits, bias, variant = _FLOAT8[dtype]
        codes = np.arange(256, dtype=np.int64)
        sign = np.where(codes & 0x80, -1.0, 1.0)
        exponent = (codes >> man_bits) & ((1 << exp_bits) - 1)
        mantissa = (codes & ((1 << man_bits) - 1)) / float(1 << man_bits)
        values = sign * np.where(exponent == 0, mantissa * 2.0 ** (1 - bias),
                                 (1 + mantissa) * 2.0 ** (exponent - bias))
        top = exponent == (1 << exp_bits) - 1
        if variant == "fnuz":
            values[0x80] = np.nan
        elif variant == "fn":
            values[top & ((codes & ((1 << man_bits) - 1)) == (1 << man_bits) - 1)] = np.nan
        else:
            values[top] = np.where(mantissa[top] == 0, sign[top] * np.inf, np.nan)
        _FLOAT8_TABLES[dtype] = values.astype(np.float32)
    return _FLOAT8_TABLES[dtype]


def _times(result: compare_mod.Comparison) -> float:
    """|a - b| over the allowed difference at the worst element."""
    a, b = result.worst_expected, result.worst_actual
    if a is None or b is None:
        return 0.0
    if math.isnan(a) != math.isnan(b) or (math.isinf(a) or math.isinf(b)) and a != b:
        return math.inf
    if math.isnan(a):
        return 0.0
    allowed = result.atol + result.rtol * abs(a)
    diff = abs(b - a)
    if allowed == 0:
        return math.inf if diff > 0 else 0.0
    return diff / allowed


def _sortable(x: float) -> float:
    return -1.0 if x is None or math.isnan(x) else x

