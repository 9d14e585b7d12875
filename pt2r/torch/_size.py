"""Sizes that remember which RETURNN dim they stand for (DESIGN.md, "Sizes").

``x.shape`` returns a `Size` of ints equal to the sizes seen at record time,
so Python control flow runs as it did. A dynamic size is a `SizeValue`: an
int that also carries its RETURNN `Dim`, and arithmetic on it (``b * t``,
``t // 2 + 1``) carries the matching dim arithmetic, so shape ops built from
it stay dynamic. Static sizes are plain ints.
"""

from __future__ import annotations

from typing import Any


class SizeValue(int):
    """An int seen at record time, standing for a dynamic RETURNN dim."""

    dim: Any

    def __new__(cls, value: int, dim: Any):
        self = super().__new__(cls, value)
        self.dim = dim
        return self

    def __repr__(self) -> str:
        return int.__repr__(self)

    def _combine(self, other, int_op, dim_op):
        value = int_op(int(self), int(other))
        from pt2r.torch.dims import canonical
        try:
            dim = dim_op(self.dim, other.dim if isinstance(other, SizeValue) else int(other))
        except Exception:  # no dim arithmetic for this combination: plain int
            return value
        return SizeValue(value, canonical(dim))

    def __add__(self, other):
        if not isinstance(other, int):
            return NotImplemented
        return self._combine(other, int.__add__, lambda a, b: a + b)

    def __radd__(self, other):
        if not isinstance(other, int):
            return NotImplemented
        return self._combine(other, lambda a, b: b + a, lambda a, b: (b + a) if isinstance(b, int) else b + a)

    def __sub__(self, other):
        if not isinstance(other, int):
            return NotImplemented
        return self._combine(other, int.__sub__, lambda a, b: a - b)

    def __mul__(self, other):
        if not isinstance(other, int):
            return NotImplemented
        return self._combine(other, int.__mul__, lambda a, b: a * b)

    def __rmul__(self, other):
        if not isinstance(other, int):
            return NotImplemented
        return self._combine(other, lambda a, b: b * a, lambda a, b: b * a)

    def __floordiv__(self, other):
        if not isinstance(other, int):
            return NotImplemented
        return self._combine(other, int.__floordiv__, lambda a, b: a // b)


class Size(tuple):
    """``torch.Size``."""

    def numel(self) -> int:
        n = 1
        for d in self:
            n *= d
        return n

    def __getitem__(self, item):
        result = super().__getitem__(item)
        return Size(result) if isinstance(item, slice) else result

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(int(d)) for d in self)}])"
