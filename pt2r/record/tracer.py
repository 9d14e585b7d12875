"""The tracing layer: observes a model run on real torch and records its call tree.

While a `Tracer` is active it intercepts every module call (by wrapping
``torch.nn.Module.__call__``) and every torch function, tensor method and
operator (a ``TorchFunctionMode``). It records:

- every module call not nested in a torch leaf module (``Conv1d`` and the like
  are leaves: nothing inside them is recorded; ``Sequential`` is a container
  and user modules are recorded all the way down), with its own parameters
  and buffers as they are at call time (a leaf's include its submodules');
- every op called from user code, i.e. whose calling Python frame is not in
  torch or pt2r itself (so ops that torch runs internally, e.g. inside
  ``weight_norm``, are not recorded), outside leaf modules;
- what came from outside: ``torch.load`` results and ``torch.from_numpy``
  (through `pt2r.record.traced_torch`), and random ops' outputs.

Each call gets its name from `pt2r.naming.Namer`, so replay, which runs the
same code on the drop-in, produces the same names.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, Callable

import torch
from torch.overrides import TorchFunctionMode

import pt2r
from pt2r.naming import Namer
from pt2r import calls
from pt2r.record import ops
from pt2r.record.values import TensorTable

_TORCH_DIR = os.path.dirname(torch.__file__) + os.sep
_PT2R_DIR = os.path.dirname(pt2r.__file__) + os.sep
_EXAMPLES_DIR = os.path.join(_PT2R_DIR, "examples") + os.sep
#: torch files that only dispatch an op (their frames stand between the user and the op)
_DISPATCH_FILES = (os.path.join(_TORCH_DIR, "overrides.py"), os.path.join(_TORCH_DIR, "_jit_internal.py"))

#: torch functions written in Python that do not dispatch themselves: code -> {op made inside: the
#: name it is recorded under, at the user's line}. ``F.tanh(x)`` is ``x.tanh()``; iterating a tensor
#: (``q, k, v = x``) is ``x.unbind(0)`` (its ``x.dim()`` check is torch's business).
_UNDISPATCHED = {
    torch.nn.functional.tanh.__code__: {"Tensor.tanh": "torch.nn.functional.tanh"},
    torch.nn.functional.sigmoid.__code__: {"Tensor.sigmoid": "torch.nn.functional.sigmoid"},
    torch.Tensor.__iter__.__code__: {"Tensor.unbind": "Tensor.__iter__"},
    **{getattr(torch.nn.functional, n).__code__: {"torch.nn.functional.interpolate": f"torch.nn.functional.{n}"}
       for n in ("upsample", "upsample_nearest", "upsample_bilinear")},  # torch's deprecated interpolate wrappers
}

_active: Tracer | None = None


def _state(module: torch.nn.Module, kind: str, leaf: bool) -> dict[str, Any]:
    """A module's parameters or buffers: its own, and for a leaf also its submodules' (dotted names,
    ``out_proj.weight`` of MultiheadAttention), as nothing inside a leaf is recorded."""
    if leaf:
        return dict(getattr(module, f"named_{kind}")())
    return {k: v for k, v in getattr(module, f"_{kind}").items() if v is not None}


def _is_torch(filename: str) -> bool:
    return filename.startswith(_TORCH_DIR)


def _is_pt2r_internal(filename: str) -> bool:
    return filename.startswith(_PT2R_DIR) and not filename.startswith(_EXAMPLES_DIR)


def _code_objects(func: Any) -> set:
    """The code of ``func`` and what it dispatches to: functions it wraps, its helper in
    ``torch.functional``, and the branches of a ``boolean_dispatch`` (``F.max_pool1d`` picks one by
    ``return_indices``; the branch calls ``handle_torch_function`` with the dispatcher as the op)."""
    codes = set()
    while func is not None:
        code = getattr(func, "__code__", None)
        if code is not None:
            codes.add(code)
            # torch.functional's meshgrid dispatches in its helper _meshgrid
            helper = getattr(torch.functional, "_" + func.__name__, None) \
                if getattr(func, "__module__", None) == "torch.functional" else None
            if hasattr(helper, "__code__"):
                codes.add(helper.__code__)
            if code.co_filename in _DISPATCH_FILES:
                codes |= {c.cell_contents.__code__ for c in func.__closure__ or ()
                          if hasattr(c.cell_contents, "__code__")}
        func = getattr(func, "__wrapped__", None)
    return codes


def _caller(skip_codes: set = frozenset(), *, skip_torch: bool) -> Any:
    """The frame that made the call: past pt2r's own frames and the op's dispatch frames.

    With ``skip_torch``, torch frames are passed over too (the user line that
    led to a call made by torch, e.g. a ``Sequential`` calling its children).
    """
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not (_is_pt2r_internal(filename) or frame.f_code in skip_codes or filename in _DISPATCH_FILES
                or (skip_torch and _is_torch(filename))):
            return frame
        frame = frame.f_back
    return None


def _source(frame: Any) -> list | None:
    return [frame.f_code.co_filename, frame.f_lineno] if frame is not None else None


class _OpMode(TorchFunctionMode):
    def __init__(self, tracer: Tracer):
        super().__init__()
        self.tracer = tracer

    def __torch_function__(self, func, types, args=(), kwargs=None):
        return self.tracer.op_call(func, args, kwargs or {})


class Tracer:
    """Records one traced model run; use as a context manager around the run."""

    def __init__(self, writer, leaf_modules: frozenset[str] = frozenset()):
        #: qualified names of the user's module classes to record as leaves (they have converters)
        self.leaf_modules = leaf_modules
        self.namer = Namer(children_of=lambda m: m._modules.items())
        self.tensors = TensorTable(writer, self.namer.module_name)
        self.calls: list[dict[str, Any]] = []
        self.modules: dict[str, dict[str, Any]] = {}
        self._open: list[int] = []  # indices of the open module calls
        self._leaf_depth = 0
        self._busy = 0  # > 0 while pt2r itself works with tensors: nothing is recorded
        self._mode = _OpMode(self)
        self._orig_call: Callable | None = None

    # activation

    def __enter__(self) -> Tracer:
        global _active
        if _active is not None:
            raise RuntimeError("another recording is already active")
        _active = self
        self._orig_call = torch.nn.Module.__call__
        tracer = self

        def traced_call(module, *args, **kwargs):
            return tracer.module_call(module, args, kwargs)

        torch.nn.Module.__call__ = traced_call
        self._mode.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        global _active
        self._mode.__exit__(*exc)
        torch.nn.Module.__call__ = self._orig_call
        _active = None

    def encode(self, value: Any) -> Any:
        self._busy += 1
        try:
            return self.tensors.encode(value)
        finally:
            self._busy -= 1

    def encode_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Keyword arguments as a plain map (their keys are always str)."""
        return {k: self.encode(v) for k, v in kwargs.items()}

    # recording

    def _append(self, record: dict[str, Any]) -> dict[str, Any]:
        record["parent"] = self._open[-1] if self._open else None
        self.calls.append(record)
        return record

    def module_call(self, module: torch.nn.Module, args: tuple, kwargs: dict) -> Any:
        if self._leaf_depth or self._busy:
            return self._orig_call(module, *args, **kwargs)
        call_name, module_name = self.namer.enter_module_call(module)
        torch_leaf = ops.is_leaf(module)
        leaf = torch_leaf or ops.class_name(type(module)) in self.leaf_modules
        try:
            if module_name not in self.modules:
                self.modules[module_name] = {
                    "class": ops.class_name(type(module)),
                    "torch_class": ops.class_name(ops.torch_base(type(module)) or torch.nn.Module),
                    "leaf": leaf,
                    "attributes": ops.module_attributes(module),
                }
            record = self._append({
                "name": call_name, "kind": "module",
                "target": self.modules[module_name]["torch_class" if torch_leaf else "class"],
                "module": module_name, "training": module.training,
                "source": _source(_caller(skip_torch=True)),
                "args": self.encode(list(args)), "kwargs": self.encode_kwargs(kwargs),
                "params": self.encode_kwargs(_state(module, "parameters", leaf)),
                "buffers": self.encode_kwargs(_state(module, "buffers", leaf)),
            })
            self._open.append(len(self.calls) - 1)
            self._leaf_depth += leaf
            try:
                # inside a leaf nothing is recorded: torch runs it as in the plain run, which the ops mode
                # would change (torch takes slow paths while a torch-function mode is active; e.g. the
                # TransformerEncoder's nested-tensor path zeroes padded positions, its slow path does not)
                with torch._C.DisableTorchFunction() if leaf else contextlib.nullcontext():
                    output = self._orig_call(module, *args, **kwargs)
            finally:
                self._leaf_depth -= leaf
                self._open.pop()
                if leaf:
                    self.tensors.forget(module.buffers())
            record["output"] = self.encode(output)
            return output
        finally:
            self.namer.exit_call()

    def op_call(self, func: Any, args: tuple, kwargs: dict) -> Any:
        if self._leaf_depth or self._busy:
            return func(*args, **kwargs)
        name = ops.op_name(func)
        if name in calls.NOT_RECORDED:
            return func(*args, **kwargs)
        caller = _caller(_code_objects(func), skip_torch=False)
        if caller is not None and name in _UNDISPATCHED.get(caller.f_code, ()):  # F.tanh(x): x.tanh()
            name, caller = _UNDISPATCHED[caller.f_code][name], _caller(skip_torch=True)
        elif caller is None or _is_torch(caller.f_code.co_filename):
            return func(*args, **kwargs)  # torch's own internals
        return self._record_op(name, func, args, kwargs, caller)

    def external(self, name: str, func: Callable, args: tuple, kwargs: dict) -> Any:
        """An input from outside that the ops mode cannot see (``torch.load``, ``from_numpy``)."""
        if self._leaf_depth or self._busy:
            return func(*args, **kwargs)
        return self._record_op(name, func, args, kwargs, _caller(skip_torch=False))

    def _record_op(self, name: str, func: Callable, args: tuple, kwargs: dict, caller: Any) -> Any:
        record = self._append({
            "name": self.namer.op_call(name), "kind": "op", "target": name, "source": _source(caller),
            "args": self.encode(list(args)), "kwargs": self.encode_kwargs(kwargs),
        })
        self._busy += 1  # an op's own implementation is torch's business
        try:
            output = func(*args, **kwargs)
        finally:
            self._busy -= 1
        record["output"] = self.encode(output)
        if calls.is_random(name, args, kwargs):
            record["random"] = True
        if calls.is_in_place(name) and args and isinstance(args[0], torch.Tensor):
            record["mutated"] = self.encode(args[0])
        return output


def record_external(name: str, func: Callable, args: tuple, kwargs: dict) -> Any:
    """Entry point for `pt2r.record.traced_torch`'s wrappers; plain call when not recording."""
    if _active is None:
        return func(*args, **kwargs)
    return _active.external(name, func, args, kwargs)
