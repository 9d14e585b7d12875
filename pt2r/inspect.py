"""What ``pt2r inspect`` shows of a trace: the call tree and a summary.

Framework-free: reads only the trace's meta document (and, for ``--check``,
every tensor blob through the reader's checksums).
"""

from __future__ import annotations

import math
import os
from typing import Any, Iterator

import numpy as np

from pt2r.trace import TraceReader


def tensor_refs(value: Any) -> Iterator[int]:
    """Tensor ids referenced in an encoded value, in order."""
    if isinstance(value, dict):
        if "$t" in value:
            yield value["$t"]
            return
        for v in value.values():
            yield from tensor_refs(v)
    elif isinstance(value, list):
        for v in value:
            yield from tensor_refs(v)


def _itemsize(dtype_name: str) -> int:
    return 2 if dtype_name == "bfloat16" else np.dtype(dtype_name).itemsize


def describe_tensors(meta: dict, value: Any) -> list[dict[str, Any]]:
    tensors = meta["tensors"]
    return [{"shape": tensors[t]["shape"], "dtype": tensors[t]["dtype"]} for t in tensor_refs(value)]


def call_rows(meta: dict) -> list[dict[str, Any]]:
    """One row per recorded call, in call order, with depth for indentation."""
    tensors = meta["tensors"]
    rows, depth = [], {}
    for index, call in enumerate(meta["calls"]):
        parent = call.get("parent")
        depth[index] = 0 if parent is None else depth[parent] + 1
        params = [tensors[t] for t in tensor_refs([call.get("params", {}), call.get("buffers", {})])]
        rows.append({
            "index": index, "depth": depth[index], "name": call["name"], "kind": call["kind"],
            "target": call["target"], "module": call.get("module"), "parent": parent,
            "inputs": describe_tensors(meta, [call["args"], call["kwargs"]]),
            "outputs": describe_tensors(meta, call.get("output")),
            "param_count": sum(math.prod(p["shape"]) for p in params),
            "param_bytes": sum(math.prod(p["shape"]) * _itemsize(p["dtype"]) for p in params),
            "source": call.get("source"), "random": bool(call.get("random")),
        })
    return rows


def summary(reader: TraceReader) -> dict[str, Any]:
    meta = reader.meta
    calls = meta["calls"]
    modules = {c["module"] for c in calls if c["kind"] == "module"}
    return {
        "path": os.path.abspath(reader.path) if hasattr(reader, "path") else None,
        "format_version": reader.format_version,
        "spec": meta["spec"],
        "calls": len(calls),
        "module_calls": sum(c["kind"] == "module" for c in calls),
        "op_calls": sum(c["kind"] == "op" for c in calls),
        "modules": len(modules),
        "tensors": len(meta["tensors"]),
        "unique_tensors": len(reader.keys()),
        "unique_bytes": reader.unique_bytes,
        "file_size": reader.file_size,
        "size_ratio": reader.file_size / reader.unique_bytes if reader.unique_bytes else None,
        "input": {**describe_tensors(meta, meta["input"]["value"])[0], "description": meta["input"]["description"]},
        "outputs": describe_tensors(meta, meta["output"]),
        "output_check": meta.get("output_check"),
        "versions": meta["versions"],
        "created": meta.get("created"),
        "timing": meta.get("timing"),
    }
