"""Reading the two traces: meta checks, tensor table entries, stored arrays, informational metadata."""

from __future__ import annotations

from typing import Any

import numpy as np

from pt2r.diff.encoded import _Missing, _union
from pt2r.errors import TraceFormatError
from pt2r.trace import TraceReader


def _check_meta(reader: TraceReader) -> None:
    """The parts of the meta document the diff relies on exist and have the right types."""
    meta = reader.meta
    problem = None
    for key, typ in (("calls", list), ("tensors", list), ("modules", dict), ("input", dict)):
        if not isinstance(meta.get(key), typ):
            problem = f"its {key!r} entry is missing or not a {typ.__name__}"
            break
    else:
        if "output" not in meta or "value" not in meta["input"]:
            problem = "it has no output or input value"
        elif not all(isinstance(c, dict) and {"name", "kind", "target"} <= set(c) for c in meta["calls"]):
            problem = "a call record lacks its name, kind or target"
        elif not all(isinstance(t, dict) and {"blob", "dtype", "shape"} <= set(t) for t in meta["tensors"]):
            problem = "a tensor table entry lacks its blob, dtype or shape"
        elif not all(c.get("parent") is None or (type(c["parent"]) is int and 0 <= c["parent"] < i)
                     for i, c in enumerate(meta["calls"])):
            problem = "a call's parent index is invalid"
    if problem:
        raise TraceFormatError(f"The trace {reader.path!r} is not a valid pt2r trace: {problem}. The file "
                               "is damaged or was written by another program; record it again.")


def _entry(reader: TraceReader, tensor_id: Any) -> dict:
    tensors = reader.meta["tensors"]
    if not isinstance(tensor_id, int) or not 0 <= tensor_id < len(tensors):
        raise TraceFormatError(f"The trace {reader.path!r} refers to tensor {tensor_id!r}, which its tensor "
                               f"table (of {len(tensors)} entries) lacks: the file is damaged or inconsistent.")
    return tensors[tensor_id]


def _array(reader: TraceReader, entry: dict) -> np.ndarray:
    """A tensor's stored data, checked against its tensor table entry (and, by the reader, its hash)."""
    array = reader.array(entry["blob"])
    if reader.dtype_name(entry["blob"]) != entry["dtype"] or list(array.shape) != list(entry["shape"]):
        raise TraceFormatError(
            f"The trace {reader.path!r} is inconsistent: its tensor table says tensor {entry['blob']} is "
            f"{_tdesc(entry)}, but the stored tensor is {array.shape} {reader.dtype_name(entry['blob'])}. "
            "The file is damaged or was written by another program; record it again.")
    return array


def _tensor_id(value: Any) -> int | None:
    return value["$t"] if isinstance(value, dict) and set(value) == {"$t"} else None


def _tdesc(entry: dict) -> str:
    return f"{tuple(entry['shape'])} {entry['dtype']}"


def _describe_value(meta: dict, value: Any) -> Any:
    if value is _Missing:
        return None
    tid = _tensor_id(value)
    if tid is not None and isinstance(tid, int) and 0 <= tid < len(meta["tensors"]):
        return _tdesc(meta["tensors"][tid])
    return value


def _info(a: TraceReader, b: TraceReader) -> dict[str, Any]:
    ma, mb = a.meta, b.meta
    va, vb = ma.get("versions") or {}, mb.get("versions") or {}
    return {
        "spec": [ma.get("spec"), mb.get("spec")],
        "spec_source_changed": ma.get("spec_source") != mb.get("spec_source"),
        "created": [ma.get("created"), mb.get("created")],
        "versions": {k: [va.get(k), vb.get(k)] for k in _union(va, vb)},
        "versions_changed": {k: [va.get(k), vb.get(k)] for k in _union(va, vb) if va.get(k) != vb.get(k)},
        "seeds": [ma.get("seeds"), mb.get("seeds")],
        "timing": [ma.get("timing"), mb.get("timing")],
        "format_version": [a.format_version, b.format_version],
        "file_size": [a.file_size, b.file_size],
    }

