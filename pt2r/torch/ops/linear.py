"""Linear and products: nn.Linear, F.linear, matmul / ``@``, mm, mv, bmm, dot, outer, addmm, baddbmm, einsum.

All of them are one contraction (`build.contract`, einsum-like labels per operand)
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

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._tensor import Parameter, Tensor
from pt2r.torch.nn.module import Module
from pt2r.torch.ops.build import (
    Labels, aux_name, broadcast, contract, eval_layer, make, result_dtype, scalar_literal, unify)
from pt2r.torch.ops.registry import module, op
from pt2r.torch.values import static_dims


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
