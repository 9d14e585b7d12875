"""Encoded non-tensor values (arguments, attributes, constants): normalized, compared, shown short."""

from __future__ import annotations

import math
import re
from typing import Any

_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def _union(a: dict, b: dict) -> list:
    return list(a) + [k for k in b if k not in a]


def _norm(value: Any) -> Any:
    """A value with tensors reduced to a placeholder, object reprs without addresses, NaN == NaN."""
    if isinstance(value, dict):
        if "$t" in value and len(value) == 1:
            return {"$t": "tensor"}
        if "$object" in value:
            return {"$object": value["$object"], "repr": _ADDRESS.sub("0x...", str(value.get("repr", "")))}
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return value


def _first_difference(a: Any, b: Any, path: tuple = ()) -> tuple[tuple, Any, Any] | None:
    """Path to the first place two normalized values differ, and the values there."""
    if a == b and type(a) is type(b):
        return None
    if isinstance(a, dict) and isinstance(b, dict) and len(a) == len(b) == 1 and set(a) == set(b) \
            and next(iter(a)) in ("$tuple", "$dict"):
        tag = next(iter(a))
        return _first_difference(a[tag], b[tag], path)
    if isinstance(a, dict) and isinstance(b, dict) and not any(str(k).startswith("$") for k in [*a, *b]):
        for key in _union(a, b):
            if key not in a or key not in b:
                return path + (key,), a.get(key, _Missing), b.get(key, _Missing)
            found = _first_difference(a[key], b[key], path + (key,))
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for k, (x, y) in enumerate(zip(a, b)):
            found = _first_difference(x, y, path + (k,))
            if found:
                return found
        return None
    if a == b:  # 1 == 1.0, True == 1: equal values of different types
        return None if type(a) is type(b) or not (isinstance(a, bool) or isinstance(b, bool)) else (path, a, b)
    return path, a, b


class _MissingType:
    def __repr__(self) -> str:
        return "missing"


_Missing = _MissingType()


def _arg_path(path: tuple) -> str:
    if not path:
        return "the arguments"
    head, rest = path[0], path[1:]
    if head == "args":
        text = f"argument {rest[0]}" if rest else "the positional arguments"
        rest = rest[1:]
    else:
        text = f"keyword argument {rest[0]!r}" if rest else "the keyword arguments"
        rest = rest[1:]
    return text + "".join(f"[{p!r}]" for p in rest)


def _value_path(path: tuple) -> str:
    return "".join(f"[{p!r}]" for p in path)


def _show(value: Any, limit: int = 60) -> str:
    """A short readable form of an encoded value."""
    text = _render(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _render(value: Any) -> str:
    if value is _Missing:
        return "missing"
    if isinstance(value, dict) and len(value) >= 1:
        tag = next(iter(value))
        inner = value[tag]
        if tag == "$t":
            return "a tensor"
        if tag == "$tuple":
            return "(" + ", ".join(_render(v) for v in inner) + ("," if len(inner) == 1 else "") + ")"
        if tag == "$dict":
            return "{" + ", ".join(f"{_render(k)}: {_render(v)}" for k, v in inner) + "}"
        if tag == "$size":
            return f"torch.Size({list(inner)})"
        if tag == "$dtype":
            return f"torch.{inner}"
        if tag == "$device":
            return f"device({inner!r})"
        if tag == "$slice":
            return "slice(" + ", ".join(_render(v) for v in inner) + ")"
        if tag == "$ellipsis":
            return "..."
        if tag == "$complex":
            return repr(complex(*inner))
        if tag == "$module":
            return f"module {inner!r}"
        if tag == "$object":
            return str(value.get("repr") or inner)
        return "{" + ", ".join(f"{k!r}: {_render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    return repr(value)


def _small(value: Any) -> Any:
    """Values stored in a StructuralDifference: plain, and short."""
    if isinstance(value, (dict, list)) or value is _Missing:
        return _show(value, 200)
    if isinstance(value, bytes):
        return _show(value, 200)
    return value
