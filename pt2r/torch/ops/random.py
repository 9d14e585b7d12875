"""Random ops whose result takes a size from the input (``torch.randint(0, 5, (b, t))``,
``torch.rand_like(x)``, ``torch.empty(b, t).uniform_()``).

A random op with constant sizes takes its recorded result (the replay context does that), so
the net holds the very numbers PyTorch drew. One sized by the input cannot: the net draws its
own, with RETURNN's ``random`` / ``rand_int`` layers, so it follows the input's sizes. Such a
op's result is registered with the backend (`Backend.drawn`): verification feeds it the
recorded values, so every later call is checked on PyTorch's numbers, and checks the net's own
draw for its shape and range.
"""

from __future__ import annotations

from typing import Any

from pt2r.calls import RANDOM_OPS
from pt2r.errors import UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._tensor import Tensor
from pt2r.torch.ops.build import LayerRef, cast, combine, ctx, drawn, make, size_dims
from pt2r.torch.ops.registry import op


def _draw(dims: list, distribution: str, dtype: _dtype.dtype, low: float = 0.0, high: float = 1.0) -> Tensor:
    """A fresh draw over ``dims``: ``uniform`` in [low, high) or standard ``normal``."""
    if not dtype.is_floating_point:
        raise UnsupportedOpError(f"a random {distribution} draw of dtype {dtype} is not supported")
    layer = {"class": "random", "shape": dims, "distribution": distribution, "dtype": dtype.name,
             "shape_deps": [LayerRef("data")]}
    if distribution == "uniform":
        layer.update(minval=float(low), maxval=float(high))
    else:
        layer.update(mean=0.0, stddev=1.0)
    return make(layer, dims, dtype=dtype)


def _integers(dims: list, low: int, high: int, dtype: _dtype.dtype) -> Tensor:
    """Integers in [low, high) over ``dims``, of ``dtype`` (drawn as int64: TF draws floats evenly)."""
    out = make({"class": "rand_int", "shape": dims, "minval": int(low), "maxval": int(high), "dtype": "int64"},
               dims, dtype=_dtype.int64)
    return drawn(cast(out, dtype), low, high - 1)


def _float(dtype: _dtype.dtype | None) -> _dtype.dtype:
    return dtype or _dtype.float32


@op("torch.rand")
def rand(*size: Any, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:
    return drawn(_draw(size_dims(size), "uniform", _float(dtype)), 0, 1)


@op("torch.randn")
def randn(*size: Any, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:
    return drawn(_draw(size_dims(size), "normal", _float(dtype)))


@op("torch.randint")
def randint(*args: Any, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:
    """``randint(high, size)`` / ``randint(low, high, size)``."""
    size = kwargs.pop("size", None)
    args = list(args) + ([size] if size is not None else [])
    low, high, size = (0, *args) if len(args) == 2 else args
    return _integers(size_dims((size,)), low, high, dtype or _dtype.int64)


@op("torch.rand_like")
def rand_like(input: Tensor, *, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:  # noqa: A002
    return drawn(_draw(list(input.dims), "uniform", dtype or input.dtype), 0, 1)


@op("torch.randn_like")
def randn_like(input: Tensor, *, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:  # noqa: A002
    return drawn(_draw(list(input.dims), "normal", dtype or input.dtype))


@op("torch.randint_like")
def randint_like(input: Tensor, low: int, high: int | None = None, *,  # noqa: A002
                 dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:
    low, high = (0, low) if high is None else (low, high)
    return _integers(list(input.dims), low, high, dtype or input.dtype)


@op("Tensor.uniform_")
def uniform_(input: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:  # noqa: A002
    return drawn(_draw(list(input.dims), "uniform", input.dtype, a, b), a, b)


@op("Tensor.normal_")
def normal_(input: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:  # noqa: A002
    draw = _draw(list(input.dims), "normal", input.dtype)
    return drawn(combine("add", [combine("mul", [draw, float(std)], input.dtype), float(mean)], input.dtype))


@op("Tensor.random_")
def random_(input: Tensor, low: int = 0, high: int | None = None, *, generator: Any = None) -> Tensor:  # noqa: A002
    if high is None:
        low, high = 0, low
    if not high:
        raise UnsupportedOpError("Tensor.random_ without an upper bound is not supported")
    return _integers(list(input.dims), low, high, input.dtype)


@op("torch.bernoulli", "Tensor.bernoulli", "Tensor.bernoulli_")
def bernoulli(input: Tensor, p: Any = None, *, generator: Any = None, **kwargs: Any) -> Tensor:  # noqa: A002
    """1 with probability ``p`` (``input``'s values for ``torch.bernoulli(probs)``), else 0."""
    probs = input if p is None else p
    dtype = input.dtype if input.dtype.is_floating_point else _dtype.float32
    uniform = _draw(list(input.dims), "uniform", dtype)
    return drawn(cast(combine("less", [uniform, probs], dtype, layer="compare"), input.dtype, copy=True), 0, 1)


_DRAWN = {"torch.rand", "torch.randn", "torch.randint", "torch.rand_like", "torch.randn_like",
          "torch.randint_like", "Tensor.uniform_", "Tensor.normal_", "Tensor.random_", "torch.bernoulli",
          "Tensor.bernoulli", "Tensor.bernoulli_"}


@op(*sorted(RANDOM_OPS - _DRAWN))
def undrawn(*args: Any, **kwargs: Any) -> Any:
    """Random ops the net cannot draw itself: fine with constant sizes (the recorded result)."""
    raise UnsupportedOpError(f"{ctx().current_target()} with a size taken from the input is not supported")
