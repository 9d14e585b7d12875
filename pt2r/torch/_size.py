"""Sizes that remember which RETURNN dim they stand for (DESIGN.md, "Sizes").

``x.shape`` returns a `Size` of ints equal to the sizes seen at record time,
so Python control flow runs as it did. A dynamic size is a `SizeValue`: an
int that also carries its RETURNN `Dim`, and arithmetic on it (``b * t``,
``t // 2 + 1``) carries the matching dim arithmetic, so shape ops built from
it stay dynamic. Static sizes are plain ints.
"""

from __future__ import annotations

import sys
from typing import Any


class _Untracked:
    """Arithmetic on sizes that RETURNN has no dim for (``t % block``, ``t / 2``): the plain result, the net
    tied to the recorded length where the model's code does it, which the report says."""

    def __mod__(self, other):
        return _untracked(self, "%", int.__mod__(int(self), other), sys._getframe(1))

    def __rmod__(self, other):
        return _untracked(self, "%", int.__rmod__(int(self), other), sys._getframe(1))

    def __truediv__(self, other):
        return _untracked(self, "/", int.__truediv__(int(self), other), sys._getframe(1))

    def __rtruediv__(self, other):
        return _untracked(self, "/", int.__rtruediv__(int(self), other), sys._getframe(1))


def _untracked(size: Any, operator: str, value: Any, frame: Any) -> Any:
    from pt2r.torch import backend
    context = backend.active()
    if value is not NotImplemented and context is not None and not backend.is_internal_frame(frame):
        file, line = backend.source_of(frame) or ("?", 0)
        what = size.dim.description if isinstance(size, SizeValue) else " and ".join(
            atom.description for atom in size.form[0])
        context.note_dynamic_branch(f"{file}:{line} computes {operator} of the length of {what} as the recorded "
                                    f"{int(size)}, which the net keeps")
    return value


class SizeValue(_Untracked, int):
    """An int seen at record time, standing for a dynamic RETURNN dim."""

    dim: Any

    def __new__(cls, value: int, dim: Any):
        self = super().__new__(cls, value)
        self.dim = dim
        return self

    def __repr__(self) -> str:
        return int.__repr__(self)

    @property
    def form(self) -> Any:
        from pt2r.torch.dims import linear
        return linear(self.dim)

    def _combine(self, other, int_op, dim_op):
        value = int_op(int(self), int(other))
        from pt2r.torch.dims import canonical
        try:
            dim = dim_op(self.dim, other.dim if isinstance(other, SizeValue) else int(other))
        except Exception:  # no dim arithmetic for this combination: plain int
            return value
        return SizeValue(value, canonical(dim))

    def __add__(self, other):
        return _sum(self, other, 1)

    def __radd__(self, other):
        return _sum(other, self, 1)

    def __sub__(self, other):
        return _sum(self, other, -1)

    def __rsub__(self, other):
        return _sum(other, self, -1)

    def __neg__(self):
        return _sum(0, self, -1)

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
        from pt2r.torch.ops.build import batch_quotient
        batch = batch_quotient(self.dim, int(other)) if self.dim.is_batch_dim() else None
        if batch is not None:
            return SizeValue(int(self) // int(other), batch)
        return self._combine(other, int.__floordiv__, lambda a, b: a // b)


class SizeExpr(_Untracked, int):
    """An int seen at record time that is a sum of dynamic sizes but no size itself (``c + 1 - t``, a
    position counted back from a center): RETURNN has no dim for it. Slices take it as a position
    computed at run time (`pt2r.torch.ops.shape`); anywhere else it is the int it was recorded as."""

    form: Any  # the linear form over dims (`pt2r.torch.dims.Form`)

    def __new__(cls, value: int, form: Any):
        self = super().__new__(cls, value)
        self.form = form
        return self

    def __repr__(self) -> str:
        return int.__repr__(self)

    __add__, __radd__, __sub__, __rsub__, __neg__ = SizeValue.__add__, SizeValue.__radd__, SizeValue.__sub__, \
        SizeValue.__rsub__, SizeValue.__neg__


def form_of(value: int) -> Any:
    """The linear form (`pt2r.torch.dims.Form`) of an int, a `SizeValue` or a `SizeExpr`."""
    return value.form if isinstance(value, (SizeValue, SizeExpr)) else ({}, int(value))


def _sum(a: Any, b: Any, sign: int) -> Any:
    """``a + sign * b`` for ints, sizes and size expressions: a size where RETURNN has a dim for the
    sum, else a `SizeExpr`, or a plain int where no dynamic size is left in it."""
    if not isinstance(a, int) or not isinstance(b, int):
        return NotImplemented
    from pt2r.torch.dims import build
    value = int(a) + sign * int(b)
    (ta, ca), (tb, cb) = form_of(a), form_of(b)
    terms = dict(ta)
    for atom, coefficient in tb.items():
        terms[atom] = terms.get(atom, 0) + sign * coefficient
    terms = {atom: c for atom, c in terms.items() if c}
    if not terms:
        return value
    form = (terms, ca + sign * cb)
    try:
        dim = build(form)
    except Exception:  # no dim arithmetic for it (the batch dim): a plain int
        return value
    return SizeValue(value, dim) if dim is not None else SizeExpr(value, form)


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
