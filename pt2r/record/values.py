"""Encode what model code passes around into the trace's plain data (docs/trace-format.md, "Values").

Tensors become references ``{"$t": id}`` into the trace's tensor table; an id
names one tensor object in one state (a tensor changed in place gets a new id),
so a call's output and the next call's input share an id and are stored once.
Everything else becomes msgpack-able data tagged with its Python type.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

import numpy as np
import torch


def tensor_to_numpy(t: torch.Tensor) -> tuple[np.ndarray, str]:
    """The tensor's content, losslessly, and its torch dtype name (bfloat16 travels as uint16 bits)."""
    t = t.detach()
    if t.layout != torch.strided:
        raise TypeError(f"cannot record a {t.layout} tensor")
    t = t.resolve_conj().resolve_neg().cpu()
    dtype_name = str(t.dtype).removeprefix("torch.")
    if t.dtype == torch.bfloat16:
        return t.contiguous().view(torch.int16).numpy().view(np.uint16), dtype_name
    return t.contiguous().numpy(), dtype_name


class TensorTable:
    """Assigns tensor ids and stores each tensor's content through the trace writer."""

    def __init__(self, writer, module_name: Callable[[Any], str | None]):
        self._writer = writer
        self._module_name = module_name
        self.entries: list[dict[str, Any]] = []
        self._seen: dict[int, tuple[weakref.ref, int, int]] = {}  # id(obj) -> (ref, version, tensor id)

    def tensor_id(self, t: torch.Tensor) -> int:
        version = t._version
        seen = self._seen.get(id(t))
        if seen is not None and seen[0]() is t and seen[1] == version:
            return seen[2]
        array, dtype_name = tensor_to_numpy(t)
        tid = self._add(array, dtype_name, "torch")
        self._seen[id(t)] = (weakref.ref(t), version, tid)
        return tid

    def forget(self, tensors: Any) -> None:
        """Store these tensors anew when next seen: torch may have changed them in place without
        counting a version (a BatchNorm's running statistics, updated by its kernel in training)."""
        for t in tensors:
            self._seen.pop(id(t), None)

    def array_id(self, array: np.ndarray) -> int:
        # numpy arrays have no version counter: store by content every time (the writer dedups).
        return self._add(array, array.dtype.name, "numpy")

    def _add(self, array: np.ndarray, dtype_name: str, kind: str) -> int:
        blob = self._writer.add_array(array, dtype_name=dtype_name)
        self.entries.append({"blob": blob, "dtype": dtype_name, "shape": list(array.shape), "kind": kind})
        return len(self.entries) - 1

    def encode(self, value: Any) -> Any:
        """Plain, msgpack-able data for ``value``; tensors by reference."""
        if value is None or isinstance(value, (bool, int, float, str, bytes)):
            return value
        if isinstance(value, torch.Tensor):
            return {"$t": self.tensor_id(value)}
        if isinstance(value, np.ndarray):
            return {"$t": self.array_id(value)}
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, torch.Size):
            return {"$size": list(value)}
        if isinstance(value, torch.dtype):
            return {"$dtype": str(value).removeprefix("torch.")}
        if isinstance(value, torch.device):
            return {"$device": str(value)}
        if isinstance(value, tuple):
            return {"$tuple": [self.encode(v) for v in value]}
        if isinstance(value, list):
            return [self.encode(v) for v in value]
        if isinstance(value, dict):
            return {"$dict": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if isinstance(value, slice):
            return {"$slice": [self.encode(value.start), self.encode(value.stop), self.encode(value.step)]}
        if value is Ellipsis:
            return {"$ellipsis": None}
        if isinstance(value, complex):
            return {"$complex": [value.real, value.imag]}
        if isinstance(value, torch.nn.Module):
            return {"$module": self._module_name(value)}
        return {"$object": f"{type(value).__module__}.{type(value).__qualname__}", "repr": repr(value)[:200]}


def tensors_in(value: Any) -> list[torch.Tensor]:
    """The tensors in a (nested) value, in order."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in tensors_in(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in tensors_in(v)]
    return []
