"""Elementwise arithmetic with torch broadcasting and Python scalars."""

from __future__ import annotations

from typing import Any

from pt2r.torch._tensor import Tensor
from pt2r.torch.ops.build import broadcast, eval_layer, result_dtype, scalar_literal
from pt2r.torch.ops.registry import op

_TF_OPS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def _binary(a: Any, b: Any, symbol: str) -> Tensor:
    """``a <symbol> b`` where at least one side is a tensor."""
    dtype = result_dtype(a, b)
    tensors = [t for t in (a, b) if isinstance(t, Tensor)]
    tensors, dims = broadcast(*tensors)
    sources, operands = [], []
    for value in (a, b):
        if isinstance(value, Tensor):
            operands.append(f"tf.cast(source({len(sources)}), {dtype.name!r})")
            sources.append(tensors[len(sources)])
        else:
            operands.append(f"tf.constant({scalar_literal(value)}, dtype={dtype.name!r})")
    return eval_layer(f"({operands[0]} {symbol} {operands[1]})", sources, dims, dtype)


@op("Tensor.add", "torch.add")
def add(input: Any, other: Any, alpha: Any = 1) -> Tensor:  # noqa: A002
    return _binary(input, other if alpha == 1 else _binary(other, alpha, "*"), "+")


@op("Tensor.sub", "torch.sub")
def sub(input: Any, other: Any, alpha: Any = 1) -> Tensor:  # noqa: A002
    return _binary(input, other if alpha == 1 else _binary(other, alpha, "*"), "-")


@op("Tensor.__rsub__")
def rsub(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return _binary(other, input, "-")


@op("Tensor.mul", "torch.mul")
def mul(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _binary(input, other, "*")


@op("Tensor.div", "torch.div")
def div(input: Any, other: Any, rounding_mode: str | None = None) -> Tensor:  # noqa: A002
    if rounding_mode is not None:
        raise ValueError(f"div with rounding_mode={rounding_mode!r} is not supported")
    return _binary(input, other, "/")


@op("Tensor.__rdiv__")
def rdiv(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return _binary(other, input, "/")


@op("Tensor.neg", "torch.neg")
def neg(input: Tensor) -> Tensor:  # noqa: A002
    return eval_layer("-source(0)", [input], input.dims, input.dtype)
