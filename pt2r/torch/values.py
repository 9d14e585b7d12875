"""Drop-in values: static dims for parameter shapes, tensors holding values, in-place rebinding.

Decoding the trace's values and binding tensors to them is the replay's (`pt2r.replay.values`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from returnn.tensor import Dim

from pt2r.torch import _dtype
from pt2r.torch._tensor import Tensor


def static_dims(shape: list[int] | tuple[int, ...], name: str) -> list[Dim]:
    return [Dim(int(n), name=f"{name}:{i}") for i, n in enumerate(shape)]


def value_tensor(array: np.ndarray, dtype_name: str, name: str, blob: str | None = None) -> Tensor:
    tensor = Tensor(static_dims(array.shape, name), _dtype.by_name(dtype_name), value=array, name=name)
    tensor.blob = blob
    return tensor


def rename(tensor: Tensor, name: str, shape: tuple[int, ...], dim_names: list[str] | None = None) -> None:
    """Name a trace-backed tensor not yet in the net ``name``, its dims (of sizes ``shape``) ``dim_names``
    (default ``name:0``, ...)."""
    if dim_names and len(dim_names) >= len(shape):
        tensor.dims = tuple(Dim(int(n), name=d) for n, d in zip(shape, dim_names))
    else:
        tensor.dims = tuple(static_dims(shape, name))
    tensor.name = name


def name_state(tensor: Any, name: str) -> None:
    """Name a module's parameter or buffer ``name`` (``PQMF.synthesis_filter``), with its dims, unless it
    already is in the net under another name."""
    if isinstance(tensor, Tensor) and tensor._layer is None:
        if tensor.value is not None and tensor.name != name:
            rename(tensor, name, tensor.value.shape)
        tensor.name, tensor.is_state = name, True


def rebind_in_place(target: Tensor, output: Any) -> None:
    """An in-place op: the mutated tensor now stands for the op's result."""
    if isinstance(output, Tensor) and output is not target:
        target._layer, target.value, target.dims, target.dtype = output._layer, output.value, output.dims, output.dtype
