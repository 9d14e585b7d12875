"""Dim arithmetic kept short: derived dims in a canonical form (DESIGN.md, "Sizes").

RETURNN keeps a derived dim as the tree of operations that made it, and
does not cancel a left offset against a right one: reflect-padding 3 frames
on each side and then a width-7 conv gives ``-3 + (time + 3)``, not
``time``. Through a network such trees grow with every layer; each node is
a dim whose sizes RETURNN computes, and the exported config defines each
one. `canonical` reduces a derived dynamic dim to a linear form over its
root dims (and over the divisions that do not come out even) and rebuilds
it from that: the same size, as the shortest arithmetic, and the root dim
itself where the arithmetic cancels out. RETURNN caches dim arithmetic, so
equal forms give the very same dim.
"""

from __future__ import annotations

from typing import Any

from returnn.tensor import Dim

_DIVISIONS = {"floordiv": "__floordiv__", "truediv": "div_right", "truediv_left": "div_left",
              "ceildiv": "ceildiv_right", "ceildiv_left": "ceildiv_left"}

Form = tuple[dict[Dim, int], int]  # {atom: coefficient}, constant


def canonical(dim: Dim) -> Dim:
    """``dim`` in canonical form (static dims, root dims and batch dims are returned as they are)."""
    if dim.dimension is not None or dim.is_batch_dim() or _op(dim) is None:
        return dim
    return _build(_linear(dim)) or dim


def canonical_in(value: Any) -> Any:
    """``value`` (a layer dict's entry: dims, possibly in lists, tuples and dicts) with its derived
    dims made canonical."""
    if isinstance(value, Dim):
        return canonical(value)
    if isinstance(value, list):
        return [canonical_in(v) for v in value]
    if isinstance(value, tuple):
        return tuple(canonical_in(v) for v in value)
    if isinstance(value, dict):
        return {canonical_in(k): canonical_in(v) for k, v in value.items()}
    return value


def linear(dim: Dim) -> Form:
    """The linear form of ``dim`` (a static dim is a constant)."""
    return _linear(dim)


def build(form: Form) -> Dim | None:
    """The dim of a linear form; None where RETURNN's arithmetic cannot say it (no dynamic term, or a
    negative one)."""
    return _build(form)


def no_shorter(a: Dim, b: Dim) -> bool:
    """Whether dim ``a`` is at least as long as ``b`` for every length of their root dims (each at least
    1), as far as their linear forms show (``2 t - 1`` against ``t``)."""
    terms, const = _sum([_linear(a), _linear(b)], [1, -1])
    return all(c >= 0 for c in terms.values()) and sum(terms.values()) + const >= 0


def _op(dim: Dim) -> Any:
    return dim.get_same_base().derived_from_op


def same_size(a: Dim, b: Dim) -> bool:
    """Whether dims ``a`` and ``b`` have the same size for every length of their root dims, as far as
    their arithmetic shows: equal linear forms once whole multiples of a divisor are taken out of each
    division (``(time - 2) // 2 + 1`` is ``time // 2``: an average pool and a strided conv of one input,
    say). False where that does not show it (the sizes may still agree)."""
    if a == b:
        return True
    if a.dimension is not None or b.dimension is not None or a.is_batch_dim() or b.is_batch_dim():
        return a.dimension == b.dimension and not a.is_batch_dim() and not b.is_batch_dim()
    (ta, ca), (tb, cb) = _linear(a, pull=True), _linear(b, pull=True)
    return ca == cb and {k: v for k, v in ta.items() if v} == {k: v for k, v in tb.items() if v}


def _linear(dim: Dim, pull: bool = False) -> Form:
    """The linear form of ``dim``. Only constants count as numbers: a static axis (channels, say)
    stays an atom, so a merge of axes (``time * channels``) keeps its parts and can be undone. With
    ``pull``, a division that does not come out even is a floor division that gives up the whole
    multiples of its divisor in its constant (``(x + 5) // 2`` is ``(x + 1) // 2 + 2``, ``ceil((x + 1) / 2)``
    is ``x // 2 + 1``), so more equal sizes get equal forms."""
    if dim.is_constant_static_dim():
        return {}, dim.dimension
    op = _op(dim)
    if op is None:
        return {dim: 1}, 0
    if op.kind in ("add", "sub"):
        forms = [_linear(d, pull) for d in op.inputs]
        sign = [1] + [1 if op.kind == "add" else -1] * (len(forms) - 1)
        return _sum(forms, sign)
    if op.kind == "mul":
        axes = [d for d in op.inputs if not d.is_constant_static_dim()]
        factor = 1
        for d in op.inputs:
            if d.is_constant_static_dim():
                factor *= d.dimension
        if len(axes) == 1:
            terms, const = _linear(axes[0], pull)
            return {a: c * factor for a, c in terms.items()}, const * factor
        product = canonical(axes[0])
        for d in axes[1:]:
            product = product * canonical(d)
        return {product: factor}, 0
    elif op.kind in _DIVISIONS and len(op.inputs) == 2 and op.inputs[1].is_constant_static_dim() \
            and op.inputs[1].dimension > 0:
        (terms, const), divisor = _linear(op.inputs[0], pull), op.inputs[1].dimension
        if const % divisor == 0 and all(c % divisor == 0 for c in terms.values()):  # comes out even
            return {a: c // divisor for a, c in terms.items()}, const // divisor
        if pull:  # ceil((x + c) / k) is floor((x + c + k - 1) / k); then the whole multiples out
            kind = "floordiv" if op.kind.startswith("ceildiv") else op.kind
            whole, rest = divmod(const + (divisor - 1 if kind != op.kind else 0), divisor)
            if rest == 0 and all(c % divisor == 0 for c in terms.values()):
                return {a: c // divisor for a, c in terms.items()}, whole
            rebuilt = _build((terms, rest))
            if rebuilt is not None:
                return {getattr(rebuilt, _DIVISIONS[kind])(divisor): 1}, whole
        rebuilt = _build((terms, const))
        if rebuilt is not None:
            return {getattr(rebuilt, _DIVISIONS[op.kind])(divisor): 1}, 0
    return {dim: 1}, 0  # arithmetic kept as it is (kinds of no linear meaning)


def _sum(forms: list[Form], signs: list[int]) -> Form:
    terms: dict[Dim, int] = {}
    const = 0
    for (t, c), sign in zip(forms, signs):
        for atom, coefficient in t.items():
            terms[atom] = terms.get(atom, 0) + sign * coefficient
        const += sign * c
    return terms, const


def _build(form: Form) -> Dim | None:
    """The dim of a linear form, or None where RETURNN's arithmetic cannot say it (no dynamic term, or
    a negative one)."""
    terms, const = form
    result = None
    for atom, coefficient in terms.items():
        if coefficient == 0:
            continue
        if coefficient < 0:
            return None
        term = atom if coefficient == 1 else atom * coefficient
        result = term if result is None else result + term
    if result is not None and const:
        result = result + const
    return result
