"""Linear and products: nn.Linear, F.linear, matmul / ``@``, mm, mv, bmm, dot, outer, addmm, baddbmm, einsum.

All of them are one contraction (`contract`, einsum-like labels per operand)
built from RETURNN's ``dot`` layer, with the weight as a layer so parameters
come from the trace. RETURNN pairs axes by dim tag, so the builder first
retags one operand (the parameter, if one is not yet in the net): a contracted
or shared axis takes the other operand's dim; any other axis whose dim the
other operand also has gets a fresh dim of the same size (``x @ x.T`` on
(B, T, F) has two time axes, and one tensor must not have a dim twice). ``use_mask=False``: a contraction over
time includes the padding frames, as torch's does. The dot layer gets its
var axes explicitly, so it builds the same whatever RETURNN behavior version
is active. A product without a contracted axis also goes through ``dot`` (over
an added size-1 axis): ``combine`` matches dims loosely and would merge two
different static dims of equal size.
"""

from __future__ import annotations

import string
import sys
from typing import Any, Sequence

from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._tensor import Parameter, Tensor
from pt2r.torch.nn.module import Module
from pt2r.torch.ops.build import (
    aux_name, broadcast, cast_layer, eval_layer, fresh_dim, make, result_dtype, scalar_literal, sizes, unify)
from pt2r.torch.ops.reduce import expand_dims, reduce_layer
from pt2r.torch.ops.registry import module, op
from pt2r.torch.values import static_dims

Labels = list[str]


def retag(x: Tensor, targets: Sequence[Dim], name: str | None = None) -> Tensor:
    """``x`` with dims ``targets`` (same sizes), by one ``reinterpret_data`` layer whose renames are
    ordered so that no intermediate has a dim twice."""
    targets = list(targets)
    pending = {i: t for i, (d, t) in enumerate(zip(x.dims, targets)) if d != t}
    if not pending:
        return x
    for i, t in pending.items():
        if x.dims[i].dimension != t.dimension:
            raise UnsupportedOpError(f"identifying axis {x.dims[i]} with {t} (a static and a dynamic axis) is not "
                                     "supported")
    if x._layer is None:  # not in the net yet: its (static) dims are free to choose
        x.dims = tuple(targets)
        return x
    current, pairs = list(x.dims), []
    while pending:
        ready = [i for i, t in pending.items() if t not in current]
        if not ready:
            raise UnsupportedOpError("a product that swaps two axes of one operand is not supported")
        for i in ready:
            pairs.append((current[i], pending[i]))
            current[i] = pending.pop(i)
    return make({"class": "reinterpret_data", "from": x, "set_dim_tags": pairs}, targets, dtype=x.dtype,
                name=name or aux_name("retag"))


def _squeeze(x: Tensor, labels: Labels, drop: Sequence[str]) -> tuple[Tensor, Labels]:
    if not drop:
        return x, labels
    keep = [i for i, l in enumerate(labels) if l not in drop]
    dims = [x.dims[i] for i, l in enumerate(labels) if l in drop]
    x = make({"class": "squeeze", "from": x, "axis": dims}, [x.dims[i] for i in keep], dtype=x.dtype,
             name=aux_name("squeeze"))
    return x, [labels[i] for i in keep]


def _sum_out(x: Tensor, labels: Labels, drop: Sequence[str], name: str | None) -> tuple[Tensor, Labels]:
    """Sum over the axes labelled ``drop`` (padding frames included)."""
    if not drop:
        return x, labels
    axes = [i for i, l in enumerate(labels) if l in drop]
    return reduce_layer(x, "sum", axes, name=name), [l for l in labels if l not in drop]


def _contract2(a: Tensor, la: Labels, b: Tensor, lb: Labels, keep: set[str],
               name: str | None) -> tuple[Tensor, Labels]:
    """``a`` and ``b`` contracted over their common labels not in ``keep``, by a ``dot`` layer named
    ``name``; returns the result and its labels."""
    if a._layer is None and b._layer is not None:  # the operand in the net keeps its dims (e.g. time)
        a, la, b, lb = b, lb, a, la
    size_a, size_b = dict(zip(la, sizes(a))), dict(zip(lb, sizes(b)))
    for label in set(la) & set(lb):  # size-1 broadcasting: the size-1 side drops its axis
        if size_a[label] != size_b[label] and 1 not in (size_a[label], size_b[label]):
            raise ModelError(f"sizes {size_a[label]} and {size_b[label]} of a contracted or shared axis differ")
    a, la = _squeeze(a, la, [l for l in la if l in size_b and size_a[l] == 1 != size_b[l]])
    b, lb = _squeeze(b, lb, [l for l in lb if l in size_a and size_b[l] == 1 != size_a[l]])
    a, la = _sum_out(a, la, [l for l in la if l not in lb and l not in keep], aux_name("sum"))
    b, lb = _sum_out(b, lb, [l for l in lb if l not in la and l not in keep], aux_name("sum"))
    dtype = result_dtype(a, b)
    a, b = cast_layer(a, dtype, aux_name("cast")), cast_layer(b, dtype, aux_name("cast"))
    if b is a:
        b.layer  # noqa: B018  (one tensor on both sides: in the net first, so retagging b leaves a alone)
    dim_a = dict(zip(la, a.dims))
    b = retag(b, [dim_a[l] if l in dim_a else (fresh_dim(d) if d in a.dims else d) for l, d in zip(lb, b.dims)])
    contracted = [l for l in la if l in lb and l not in keep]
    reduce = [dim_a[l] for l in contracted]
    labels = [l for l in la if l not in contracted] + [l for l in lb if l not in la]
    dims = [dim_a[l] if l in dim_a else b.dims[lb.index(l)] for l in labels]
    var1 = [dim_a[l] for l in la if l not in lb]
    var2 = [d for l, d in zip(lb, b.dims) if l not in la]
    if not reduce:  # an outer or elementwise product: contract a size-1 axis added to both
        one = Dim(1, name="outer")
        a, b = expand_dims(a, one, name=aux_name("outer")), expand_dims(b, one, name=aux_name("outer"))
        reduce = [one]
    out = make({"class": "dot", "from": [a, b], "reduce": reduce, "var1": var1, "var2": var2,
                "add_var2_if_empty": False, "use_mask": False}, dims, dtype=dtype, name=name)
    return out, labels


def _diagonal(x: Tensor, labels: Labels) -> tuple[Tensor, Labels]:
    """``x`` with every label it has more than once taken once: the diagonal of those axes (einsum
    ``bii->bi``). Two axes at a time: ``x`` times an identity mask (``range_in_axis`` of each axis,
    compared), summed over the second axis by a ``dot`` layer keeping the first."""
    labels = list(labels)
    while len(set(labels)) != len(labels):
        label = next(l for l in labels if labels.count(l) > 1)
        p = labels.index(label)
        q = labels.index(label, p + 1)
        size_p, size_q = sizes(x)[p], sizes(x)[q]
        if size_p != size_q:
            raise ModelError(f"einsum(): subscript {label} is repeated for an operand but the sizes don't match, "
                             f"{size_p} != {size_q}")
        dim_p, dim_q = x.dims[p], x.dims[q]
        positions = [make({"class": "range_in_axis", "from": x, "axis": d}, [d], name=aux_name("diagonal_positions"))
                     for d in (dim_p, dim_q)]
        eye = make({"class": "compare", "from": positions, "kind": "equal", "allow_broadcast_all_sources": True},
                   [dim_p, dim_q], dtype=_dtype.bool, name=aux_name("diagonal_mask"))
        eye = cast_layer(eye, x.dtype, aux_name("cast"))
        other = f"{label}#{q}"  # the second axis, summed over (no einsum label has a '#')
        labels[q] = other
        x, labels = _contract2(x, labels, eye, [label, other], set(labels) - {other}, aux_name("diagonal"))
    return x, labels


def contract(operands: Sequence[Tensor], labels: Sequence[Labels], out: Labels, name: str | None = None) -> Tensor:
    """Einsum of ``operands`` (each with one label per axis) to the axes labelled ``out``; the
    result's layer is named ``name`` (default: the call's name). A label repeated on one operand
    takes that operand's diagonal."""
    for x, ls in zip(operands, labels):
        if len(ls) != x.ndim:
            raise ModelError(f"{len(ls)} indices for a {x.ndim}-d operand")
    operands, labels = zip(*[_diagonal(x, ls) for x, ls in zip(operands, labels)])
    last = len(operands) - 1
    result, current = _sum_out(operands[0], list(labels[0]),
                               [l for l in labels[0] if l not in out and not any(l in o for o in labels[1:])],
                               name if last == 0 else aux_name("sum"))
    for k in range(1, len(operands)):
        keep = set(out).union(*labels[k + 1:])
        result, current = _contract2(result, current, operands[k], list(labels[k]), keep,
                                     name if k == last else aux_name(f"dot{k}"))
    dims = [result.dims[current.index(l)] for l in out]
    return Tensor(dims, result.dtype, layer=result.layer)  # only the axis order differs


# -- linear --------------------------------------------------------------------------------------

@op("torch.nn.functional.linear")
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias``: weight (out, in) contracted with the input's last axis."""
    if input.ndim == 0 or weight.ndim not in (1, 2):
        raise ModelError(f"linear of a {input.ndim}-d input with a {weight.ndim}-d weight is not supported")
    if input.dims[-1].dimension is None:
        raise UnsupportedOpError(f"linear over a dynamic axis ({input.dims[-1].description}) is not supported")
    batch = [f"_{i}" for i in range(input.ndim - 1)]
    w_labels = ["o", "i"] if weight.ndim == 2 else ["i"]
    out_labels = batch + w_labels[:-1]
    y = contract([input, weight], [batch + ["i"], w_labels], out_labels,
                 name=aux_name("matmul") if bias is not None else None)
    if bias is not None:
        if bias.ndim > 1 or (bias.ndim == 1 and weight.ndim == 1):
            raise UnsupportedOpError(f"linear with a {bias.ndim}-d bias is not supported")
        if bias.ndim == 1:
            bias = unify(bias, 0, y.dims[-1])
        y = make({"class": "combine", "kind": "add", "from": [y, bias]}, y.dims, dtype=y.dtype)
    return y


@module("torch.nn.Linear")
class Linear(Module):
    axis_roles = {"weight": ("out_features", "in_features"), "bias": ("out_features",)}

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(Tensor(static_dims((out_features, in_features), "param"), _dtype.float32))
        if bias:
            self.bias = Parameter(Tensor(static_dims((out_features,), "param"), _dtype.float32))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Parameters come from the trace."""

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return linear(input, self.weight, self.bias)


# -- matmul and friends --------------------------------------------------------------------------

@op("torch.matmul", "Tensor.matmul")
def matmul(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """torch's matmul: vector/matrix cases and broadcast batched matrices."""
    na, nb = input.ndim, other.ndim
    if na == 0 or nb == 0:
        raise ModelError("matmul of a 0-d tensor is not supported (torch refuses it too)")
    batch = [f"_{i}" for i in range(max(na, nb) - 2)]
    la = (batch[len(batch) - (na - 2):] if na > 2 else []) + (["m", "k"] if na > 1 else ["k"])
    lb = (batch[len(batch) - (nb - 2):] if nb > 2 else []) + (["k", "n"] if nb > 1 else ["k"])
    out = batch + (["m"] if na > 1 else []) + (["n"] if nb > 1 else [])
    return contract([input, other], [la, lb], out)


@op("Tensor.__rmatmul__")
def rmatmul(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """``other @ input``. Torch records ``__rmatmul__`` only when it is called by name
    (``x.__rmatmul__(w)``): ``w @ x`` is ``Tensor.matmul`` when ``w`` is a tensor or parameter,
    and torch refuses it for any other ``w``."""
    if not isinstance(other, Tensor):
        raise UnsupportedOpError(f"{type(other).__name__} @ tensor is not supported")
    return matmul(other, input)


def _needs(name: str, a: Tensor, b: Tensor, ndim_a: int, ndim_b: int) -> None:
    if a.ndim != ndim_a or b.ndim != ndim_b:
        kinds = f"two {ndim_a}-d tensors" if ndim_a == ndim_b else f"a {ndim_a}-d and a {ndim_b}-d tensor"
        raise ModelError(f"{name} needs {kinds}, got {a.ndim}-d and {b.ndim}-d")


@op("torch.bmm", "Tensor.bmm")
def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    _needs("bmm", input, mat2, 3, 3)
    return matmul(input, mat2)


@op("torch.mm", "Tensor.mm")
def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    _needs("mm", input, mat2, 2, 2)
    return matmul(input, mat2)


@op("torch.mv", "Tensor.mv")
def mv(input: Tensor, vec: Tensor) -> Tensor:  # noqa: A002
    _needs("mv", input, vec, 2, 1)
    return matmul(input, vec)


@op("torch.dot", "Tensor.dot")
def dot(input: Tensor, tensor: Tensor) -> Tensor:  # noqa: A002
    _needs("dot", input, tensor, 1, 1)
    return matmul(input, tensor)


@op("torch.outer", "Tensor.outer")
def outer(input: Tensor, vec2: Tensor) -> Tensor:  # noqa: A002
    _needs("outer", input, vec2, 1, 1)
    return contract([input, vec2], [["i"], ["j"]], ["i", "j"])


def _scaled_sum(input: Tensor, product: Tensor, beta: Any, alpha: Any) -> Tensor:
    """``beta * input + alpha * product``, ``input`` broadcast to the product (torch's addmm family)."""
    dtype = result_dtype(input, product)
    (x, y), dims = broadcast(input, product)
    if len(dims) != product.ndim:
        raise UnsupportedOpError("an input that broadcasts beyond the product's shape is not supported")
    return eval_layer(f"tf.cast({scalar_literal(beta)}, {dtype.name!r}) * tf.cast(source(0), {dtype.name!r}) + "
                      f"tf.cast({scalar_literal(alpha)}, {dtype.name!r}) * tf.cast(source(1), {dtype.name!r})",
                      [x, y], dims, dtype)


@op("torch.addmm", "Tensor.addmm")
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (mat1 @ mat2)`` (e.g. GPT-2's Conv1D)."""
    return _scaled_sum(input, contract([mat1, mat2], [["m", "k"], ["k", "n"]], ["m", "n"], name=aux_name("mm")),
                       beta, alpha)


@op("torch.baddbmm", "Tensor.baddbmm")
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise ModelError(f"baddbmm needs two 3-d tensors, got {batch1.ndim}-d and {batch2.ndim}-d")
    product = contract([batch1, batch2], [["b", "m", "k"], ["b", "k", "n"]], ["b", "m", "n"], name=aux_name("bmm"))
    return _scaled_sum(input, product, beta, alpha)


# -- einsum --------------------------------------------------------------------------------------

def parse_equation(equation: str, ndims: Sequence[int]) -> tuple[list[Labels], Labels]:
    """Labels per operand and of the output; ``...`` becomes right-aligned broadcast labels (an
    operand with fewer axes under its ``...`` takes the last ones, as in broadcasting)."""
    if not isinstance(equation, str):
        raise ModelError(f"einsum(): the equation must be a string, got {type(equation).__name__}")
    lhs, arrow, rhs = equation.replace(" ", "").partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise ModelError(f"einsum(): equation {equation!r} has {len(terms)} operands, got {len(ndims)}")
    for term in terms + ([rhs] if arrow else []):
        letters = term.replace("...", "", 1)
        if not all(c in string.ascii_letters for c in letters):
            raise ModelError(f"einsum(): invalid subscript term {term!r} in {equation!r} (letters [a-zA-Z] and "
                             f"one '...' per term)")
    n_ell = max([n - (len(t) - 3) for t, n in zip(terms, ndims) if "..." in t], default=0)
    ellipsis = [f"...{i}" for i in range(n_ell)]

    def expand(term: str, n: int | None) -> Labels:
        before, dots, after = term.partition("...")
        if not dots:
            return list(before)
        k = n_ell if n is None else n - len(before) - len(after)
        if k < 0:
            raise ModelError(f"einsum(): term {term!r} has more subscripts than its operand has axes ({n})")
        return list(before) + ellipsis[n_ell - k:] + list(after)

    labels = [expand(t, n) for t, n in zip(terms, ndims)]
    if arrow:
        out = expand(rhs, None)
    else:  # implicit output: broadcast axes, then the labels seen once, alphabetically (upper case first)
        flat = [l for ls in labels for l in ls if not l.startswith("...")]
        out = ellipsis + sorted(l for l in set(flat) if flat.count(l) == 1)
    return labels, out


@op("torch.einsum")
def einsum(equation: str, *operands: Any) -> Tensor:
    """``torch.einsum(equation, *operands)``: any equation torch takes (``...`` anywhere, implicit
    output, any number of operands, a label repeated on one operand for its diagonal). Model code
    calls `einsum_function`, which also takes the sublist format."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands or not all(isinstance(o, Tensor) for o in operands):
        raise UnsupportedOpError("einsum with non-tensor operands is not supported")
    labels, out = parse_equation(equation, [o.ndim for o in operands])
    if len(set(out)) != len(out) or any(l not in {x for ls in labels for x in ls} for l in out):
        raise ModelError(f"einsum(): output subscripts of {equation!r} must appear in an input, each once")
    return contract(operands, labels, out)


def _subscripts(sublist: Any) -> str:
    """A sublist (``[0, 1, ...]``, ints in [0, 52) and ``Ellipsis``) as equation letters, as torch maps them."""
    if not isinstance(sublist, (list, tuple)):
        raise ModelError(f"einsum(): expected a subscript list, got {type(sublist).__name__}")
    letters = []
    for n in sublist:
        if n is Ellipsis:
            letters.append("...")
        elif isinstance(n, int) and 0 <= n < 26:
            letters.append(chr(ord("A") + n))
        elif isinstance(n, int) and 26 <= n < 52:
            letters.append(chr(ord("a") + n - 26))
        else:
            raise ModelError("einsum(): subscript in subscript list is not within the valid range [0, 52)")
    return "".join(letters)


def einsum_function(*args: Any) -> Tensor:
    """``torch.einsum`` as model code calls it. Like torch, the sublist format
    (``einsum(a, [0, 1], b, [1, 2], [0, 2])``) becomes an equation before the op is dispatched, so
    the op is ``torch.einsum(equation, *operands)`` in both phases (the trace records it so)."""
    from pt2r.torch.backend import current
    if len(args) < 2:
        raise ModelError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    if isinstance(args[0], Tensor):
        equation = ",".join(_subscripts(s) for s in args[1::2])
        if len(args) % 2 == 1:
            equation += "->" + _subscripts(args[-1])
            args = (equation, *args[:-1:2])
        else:
            args = (equation, *args[::2])
    return current().op_call("torch.einsum", einsum, args, {}, sys._getframe(1))
