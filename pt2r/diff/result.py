"""The diff's result: TraceDiff and its structural and value differences, as plain dataclasses."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class StructuralDifference:
    """One way the two traces' structure differs."""

    #: what differs: "call removed", "call added", "call renamed", "kind", "target", "module",
    #: "module class", "module attribute", "training", "random", "arguments", "inputs",
    #: "outputs", "mutated", "param", "buffer", "input", "input description", "output"
    category: str
    #: the call, module or value it concerns (B's name when both have one)
    where: str
    #: one readable sentence
    message: str
    a: Any = None
    b: Any = None
    #: the user's source line ([file, line]) of the call in A and in B, when known
    source_a: Any = None
    source_b: Any = None
    order: tuple = field(default=(0,), repr=False)


@dataclass
class ValueDifference:
    """One tensor whose values differ beyond tolerance."""

    name: str  # e.g. "call 'Net/conv' output 0", "module 'Net.conv' param 'weight'", "input", "output 0"
    dtype: str
    shape: list[int]
    max_abs: float
    max_rel: float
    cosine: float
    atol: float
    rtol: float
    #: how far beyond tolerance: |a - b| / (atol + rtol * |a|) at the worst element (inf for exact dtypes)
    times_tolerance: float
    worst_index: list[int] | None
    value_a: float | None
    value_b: float | None
    #: when B computed it: its call's start (params) or end (outputs), for "first in call order"
    order: tuple = field(default=(0,), repr=False)


@dataclass
class TraceDiff:
    path_a: str
    path_b: str
    #: every structural difference, in call order (the first one first)
    structural: list[StructuralDifference]
    #: tensors that differ beyond tolerance, worst first
    values: list[ValueDifference]
    #: the differing tensor that comes first in call order: where the values start to diverge
    first_value_difference: ValueDifference | None
    #: calls (in A, in B, matched, renamed, removed, added) and tensors (compared, identical,
    #: within_tolerance, beyond_tolerance, not_compared: missing or of another shape or dtype)
    counts: dict[str, int]
    #: the tolerances used, per dtype (others must be equal)
    tolerances: dict[str, dict[str, float]]
    #: informational only: versions, created, timing, spec, seeds, spec source changed
    info: dict[str, Any]
    #: the largest max abs difference among tensors within tolerance (0 when all identical)
    largest_within_tolerance: float = 0.0

    @property
    def structure_equal(self) -> bool:
        return not self.structural

    @property
    def values_equal(self) -> bool:
        return not self.values

    @property
    def equal(self) -> bool:
        """Same structure, and every compared tensor within tolerance."""
        return self.structure_equal and self.values_equal

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (non-finite floats as strings "inf", "-inf", "nan")."""
        data = asdict(self)
        for v in [*data["structural"], *data["values"], data["first_value_difference"] or {}]:
            v.pop("order", None)
        data = {"equal": self.equal, "structure_equal": self.structure_equal,
                "values_equal": self.values_equal, **data}
        return _json_ready(data)


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return value

