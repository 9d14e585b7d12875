"""What the drop-in answers when model code asks torch about its platform, and placeholder modules.

Real packages probe torch while they import and run: ``torch.cuda.is_available()``,
``torch.distributed.is_available()``, ``torch.compiler.is_compiling()``,
``torch.jit.is_tracing()``, ``torch.version.cuda``, ``torch.backends.mps.is_available()``;
they import helpers they do not use for inference (``torch.utils.checkpoint``,
``torch.distributions.constraints``) and register their output classes with
``torch.utils._pytree``. The drop-in answers as a CPU-only torch that is not
compiling, tracing, scripting or distributed, and executes what these helpers
do in eager inference (``checkpoint(f, *args)`` is ``f(*args)``).

Any other submodule that real torch has (`pt2r.torch.torch_names.SUBMODULES`)
is a `PlaceholderModule`: importing it works, and using a name from it raises
the "unsupported" error with the user's line.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any, Callable

DROP_IN = "pt2r.torch"


def _false(*args: Any, **kwargs: Any) -> bool:
    return False


def _zero(*args: Any, **kwargs: Any) -> int:
    return 0


def _none(*args: Any, **kwargs: Any) -> None:
    return None


def _decorator(fn: Callable | None = None, *args: Any, **kwargs: Any) -> Any:
    """``@decorator`` and ``@decorator(...)`` that leave the function as it is."""
    if callable(fn) and not args and not kwargs:
        return fn
    return lambda f: f


def _checkpoint(function: Callable, *args: Any, use_reentrant: Any = None, context_fn: Any = None,
                determinism_check: Any = None, debug: Any = None, preserve_rng_state: Any = True,
                **kwargs: Any) -> Any:
    return function(*args, **kwargs)


def _custom_op(name: str, fn: Callable | None = None, /, **kwargs: Any) -> Any:
    """``torch.library.custom_op``: the drop-in runs the function itself (``@custom_op(name)`` too)."""
    return fn if fn is not None else (lambda f: f)


def _registration(*args: Any, **kwargs: Any) -> Any:
    """``torch.library.register_fake`` and the like: kernels the conversion never dispatches to."""
    func = kwargs.get("func", args[1] if len(args) > 1 else None)
    return func if callable(func) else (lambda f: f)


def _no_op_context(*args: Any, **kwargs: Any) -> contextlib.AbstractContextManager:
    return contextlib.nullcontext()


_DEVICE_PROBES = {"is_available": _false, "device_count": _zero, "is_initialized": _false,
                  "is_bf16_supported": _false, "is_current_stream_capturing": _false, "current_device": _zero,
                  "synchronize": _none, "empty_cache": _none, "manual_seed": _none, "manual_seed_all": _none}

#: submodule (after ``torch.``) -> its attributes
STUBS: dict[str, dict[str, Any]] = {
    "cuda": dict(_DEVICE_PROBES),
    "xpu": dict(_DEVICE_PROBES),
    "mps": dict(_DEVICE_PROBES),
    "mtia": dict(_DEVICE_PROBES),
    "accelerator": {"is_available": _false, "current_accelerator": _none, "device_count": _zero},
    "backends": {},
    "backends.mps": {"is_available": _false, "is_built": _false},
    "backends.cuda": {"is_built": _false, "is_flash_attention_available": _false,
                      "flash_sdp_enabled": _false, "mem_efficient_sdp_enabled": _false,
                      "math_sdp_enabled": lambda: True, "sdp_kernel": _no_op_context},
    "backends.cudnn": {"is_available": _false, "enabled": False, "deterministic": False, "benchmark": False},
    "backends.mkldnn": {"is_available": lambda: True},
    "backends.openmp": {"is_available": lambda: True},
    "distributed": {"is_available": _false, "is_initialized": _false, "get_rank": _zero,
                    "get_world_size": lambda *a, **k: 1},
    "compiler": {"is_compiling": _false, "is_exporting": _false, "is_dynamo_compiling": _false,
                 "disable": _decorator, "assume_constant_result": _decorator, "allow_in_graph": _decorator},
    "_dynamo": {"is_compiling": _false, "disable": _decorator, "assume_constant_result": _decorator,
                "allow_in_graph": _decorator, "mark_static_address": _none, "mark_dynamic": _none},
    "jit": {"is_tracing": _false, "is_scripting": _false, "script": _decorator, "ignore": _decorator,
            "unused": _decorator, "export": _decorator, "script_if_tracing": _decorator, "Final": Any},
    "fx": {"wrap": _decorator},
    "version": {"__version__": "2.13.0", "cuda": None, "hip": None, "xpu": None, "debug": False, "git_version": ""},
    "utils": {},
    "utils.checkpoint": {"checkpoint": _checkpoint, "checkpoint_sequential": None},
    "utils._pytree": {"register_pytree_node": _none, "_register_pytree_node": _none,
                      "register_constant": _none},
    "library": {"custom_op": _custom_op, "register_fake": _registration, "register_autograd": _registration,
                "register_kernel": _registration, "impl_abstract": _registration, "register_torch_dispatch": _registration},
    "autograd.graph": {"save_on_cpu": _no_op_context, "saved_tensors_hooks": _no_op_context},
}


class PlaceholderModule(types.ModuleType):
    """A torch submodule the drop-in does not implement: its names fail when used, not when imported."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        torch_name = "torch" + self.__name__[len(DROP_IN):] + "." + name
        from pt2r.torch.torch_names import SUBMODULES
        if torch_name in SUBMODULES:
            return importlib.import_module(f"{self.__name__}.{name}")
        value = _unsupported_class(torch_name)
        setattr(self, name, value)
        return value


def _unsupported_class(torch_name: str) -> type:
    """A class (so that it can be subclassed or checked with isinstance) that fails when instantiated."""
    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        from pt2r.torch.ops.registry import unsupported
        raise unsupported(torch_name)
    module, _, name = torch_name.rpartition(".")
    return type(name, (), {"__new__": __new__, "__module__": module, "__qualname__": name,
                           "__doc__": f"{torch_name}: not supported by pt2r's drop-in torch."})


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes ``pt2r.torch.<x>`` importable for every torch submodule ``torch.<x>`` without a drop-in file."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if not fullname.startswith(DROP_IN + "."):
            return None
        torch_name = "torch" + fullname[len(DROP_IN):]
        from pt2r.torch.torch_names import SUBMODULES
        if torch_name not in SUBMODULES or importlib.machinery.PathFinder.find_spec(fullname, path) is not None:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: Any) -> types.ModuleType:
        module = PlaceholderModule(spec.name)
        module.__path__ = []
        module.__dict__.update(STUBS.get(spec.name[len(DROP_IN) + 1:], {}))
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def install() -> None:
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
