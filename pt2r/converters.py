"""Custom converters: the user's own mapping for a module or function pt2r lacks.

A converter is declared with a decorator, in the spec file or in a converters file
(``pt2r record/replay/convert --converters FILE``)::

    import pt2r

    @pt2r.converter("mypkg.layers.MyAttention")       # a module class: one leaf call
    def my_attention(module, x):                      # the model's own module, the call's arguments
        from pt2r.converters import torch             # the drop-in torch
        return torch.softmax(module.proj(x), dim=-1)

    @pt2r.converter("mypkg.ops.fused_gelu")           # a plain function: one op call
    def fused_gelu(x):                                # the function's own signature
        from pt2r.converters import activation
        return activation(x, "gelu")

A converter is built like pt2r's own ops (pt2r/torch/ops/README.md): a function with
the op's signature building layers with `make`, `combine`, `activation`, ... (offered
here, imported on use: ``from pt2r.converters import make``), or code on the drop-in
torch. For a module it gets the model's own module first (its attributes, and its
parameters and buffers with the recorded values); a class may be given instead, whose
``forward(self, ...)`` then runs with ``self`` the model's module (copy the original
``forward`` and change what pt2r lacks).

The record side records each named module class (exactly that class, not its
subclasses) as a leaf, nothing inside it, and each named plain function as one op call
(``leaf_modules`` / ``--leaf-module NAME`` do the same without a converter); the classes
and functions must come from modules the model imports with ``wrapped_import``. Replay
calls the converter for them and checks its output like any other call. A converter may
also add a torch function pt2r lacks (``"torch.special.erfcx"``); naming something pt2r
already converts (``torch.nn.functional.gelu``) needs ``replace=True``.

This module imports neither torch nor TensorFlow: ``import pt2r`` stays cheap, and spec
files declare converters on either machine. Converters are chosen per run by the file
that declares them (the spec's file and the ``--converters`` files), so converters of
other runs in the same process do not leak in.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
import types
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from pt2r.errors import ModelError, Pt2rError, UsageError


class ConverterError(ModelError):
    """A user's converter is wrong: it raised, or it is declared twice or for a name pt2r has
    without ``replace=True``. The user's bug (exit 2), not pt2r's."""


@dataclass
class Converter:
    """One ``@pt2r.converter(name)`` declaration."""

    name: str
    func: Callable[..., Any]  # for a module: func(module, *args, **kwargs); for a function: its signature
    file: str
    line: int
    replace: bool

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def as_dict(self, calls: int = 0, kind: str | None = None) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "line": self.line, "kind": kind, "calls": calls,
                "replaces_pt2r": self.replace}


#: every declaration seen in this process, by (file, line, name): re-importing a file re-declares
#: the same converters (no duplicate)
_DECLARED: dict[tuple[str, int, str], Converter] = {}


def _is_dotted_name(name: Any) -> bool:
    return isinstance(name, str) and bool(name) and all(p.isidentifier() for p in name.split("."))


def converter(name: str, *, replace: bool = False) -> Callable[[Any], Any]:
    """Declare the decorated function (or class, by its ``forward``) the converter of ``name``:
    a module class's or function's qualified name (``"mypkg.layers.MyAttention"``), as
    ``pt2r inspect`` shows it. ``replace=True`` to replace pt2r's own converter of a name."""
    if not _is_dotted_name(name):
        raise UsageError(f"pt2r.converter expects a qualified name like 'mypkg.layers.MyAttention', got {name!r}.")
    frame = sys._getframe(1)  # the decorator's line in the user's file
    file, line = os.path.realpath(frame.f_code.co_filename), frame.f_lineno

    def register(obj: Any) -> Any:
        func = obj.forward if isinstance(obj, type) and hasattr(obj, "forward") else obj
        if not callable(func) or isinstance(func, type):
            raise ConverterError(f"@pt2r.converter({name!r}) at {file}:{line} decorates {obj!r}: it must decorate "
                                 f"a function, or a class with a forward method.")
        for other in _DECLARED.values():
            if other.name == name and other.file == file and other.line != line:
                raise ConverterError(f"{name} has two converters in {file}: at lines {other.line} and {line}. "
                                     f"Keep one.")
        _DECLARED[(file, line, name)] = Converter(name, func, file, line, bool(replace))
        return obj
    return register


# -- choosing the converters of a run ----------------------------------------------------------------


def load(targets: Iterable[str] | None) -> list[str]:
    """Import each converters file (``path/to/file.py``) or module (``package.module``); return their
    files (which `declared_in` takes)."""
    from pt2r.spec import import_converters
    return [import_converters(t) for t in targets or ()]


def declared_in(files: Iterable[str | None]) -> dict[str, Converter]:
    """The converters declared in ``files`` (the spec's file and the converters files), by name."""
    wanted = {os.path.realpath(f) for f in files if f}
    found: dict[str, Converter] = {}
    for conv in _DECLARED.values():
        if conv.file not in wanted:
            continue
        other = found.get(conv.name)
        if other is not None and other.where != conv.where:
            raise ConverterError(f"{conv.name} has two converters: at {other.where} and at {conv.where}. "
                                 f"Keep one.")
        found[conv.name] = conv
    return found


def for_run(spec_file: str | None, targets: Iterable[str] | None) -> dict[str, Converter]:
    """The converters of one run: declared in the spec's file or in the converters files ``targets``."""
    return declared_in([spec_file, *load(targets)])


# -- replay: checking and guarding -------------------------------------------------------------------


def check_against_trace(user: dict[str, Converter], meta: dict[str, Any], own: Callable[[str], bool]) -> dict[str, str]:
    """The kind (``"module"``/``"op"``) under which the trace calls each converter's name (None: not
    called); raises for a name pt2r converts itself (``own``) without ``replace=True``, and for a module
    recorded with its inside (recorded without the converter, so not a leaf)."""
    kinds: dict[str, str] = {}
    for call in meta["calls"]:
        if call["target"] in user and call["target"] not in kinds:
            leaf = call["kind"] == "op" or meta["modules"][call["module"]]["leaf"]
            if not leaf:
                conv = user[call["target"]]
                raise ConverterError(
                    f"The converter of {conv.name} ({conv.where}) cannot be used with this trace: it recorded "
                    f"what happens inside {conv.name} (call {call['name']!r}), as it was recorded without the "
                    f"converter. Record again with the converter (--converters) or with {conv.name} among the "
                    f"leaf modules (--leaf-module).")
            kinds[call["target"]] = call["kind"]
    for conv in user.values():
        if own(conv.name) and not conv.replace:
            raise ConverterError(f"pt2r converts {conv.name} itself; the converter at {conv.where} replaces "
                                 f"pt2r's only when declared with @pt2r.converter({conv.name!r}, replace=True).")
    return kinds


def guarded(conv: Converter) -> Callable[..., Any]:
    """``conv.func``, with any exception that is not pt2r's own made a `ConverterError` naming the
    converter and its file, with the user's traceback (a bug in the converter, not in pt2r)."""
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return conv.func(*args, **kwargs)
        except Pt2rError:
            raise
        except Exception as exc:
            tb = exc.__traceback__.tb_next or exc.__traceback__  # from the converter's own frame on
            raise ConverterError(
                f"The converter of {conv.name} at {conv.where} raised {type(exc).__name__}: {exc}{_in_call()}. "
                f"This is a bug in that converter, not in pt2r; its traceback follows.",
                detail="".join(traceback.format_exception(type(exc), exc, tb)).rstrip()) from exc
    call.__name__ = getattr(conv.func, "__name__", "converter")
    call.__doc__ = conv.func.__doc__
    return call


def _in_call() -> str:
    """" in call 'Net/gate' at model.py:26": the replay's call being built, for messages."""
    from pt2r.torch.backend import active
    ctx = active()
    if ctx is None or not hasattr(ctx, "current_call"):
        return ""
    call = ctx.current_call()
    source = call.get("source")
    return f" in call {call['name']!r}" + (f" at {source[0]}:{source[1]}" if source else "")


# -- finding the user's classes and functions in wrapped model code ----------------------------------


def _resolve(prefix: str, name: str) -> Any:
    """The object called ``name`` in the wrapped copies (``sys.modules`` names under ``prefix``), or None."""
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(f"{prefix}.{'.'.join(parts[:i])}")
        if module is None:
            continue
        obj: Any = module
        for attr in parts[i:]:
            obj = getattr(obj, attr, None)
        return obj
    return None


class Patches:
    """Changes made to the user's wrapped classes and functions for one run, undone on exit.

    ``classes``: name -> what to do with the drop-in module class of that name (called with it, returns
    an undo); ``functions``: name -> ``dispatch(original, args, kwargs)``, which every call of the
    function of that name goes through. The objects are found after each ``wrapped_import`` call
    (`hooked`), in the wrapped copies of the model's modules, and a class also when it is created
    during the run (a package importing its modules lazily, as transformers does); a function is
    changed in place (its code), so every reference to it, ``from mypkg.ops import fused_gelu``
    included, goes through ``dispatch``."""

    def __init__(self, classes: dict[str, Callable[[type], Callable[[], None]]] | None = None,
                 functions: dict[str, Callable[..., Any]] | None = None):
        self.classes = classes or {}
        self.functions = functions or {}
        self._done: dict[str, Callable[[], None]] = {}  # name -> undo

    def _class_created(self, cls: type) -> None:
        from pt2r.import_wrapper import original_module_name
        name = f"{original_module_name(cls.__module__)}.{cls.__qualname__}"
        if name in self.classes and name not in self._done:
            self._done[name] = self.classes[name](cls)

    def apply(self, prefix: str) -> None:
        for name, patch in self.classes.items():
            obj = _resolve(prefix, name) if name not in self._done else None
            if isinstance(obj, type):
                self._done[name] = patch(obj)
        for name, dispatch in self.functions.items():
            obj = _resolve(prefix, name) if name not in self._done else None
            if isinstance(obj, types.FunctionType):
                self._done[name] = _route(obj, name, dispatch)

    def undo(self) -> None:
        for undo in self._done.values():
            undo()
        self._done.clear()

    @contextlib.contextmanager
    def hooked(self, wrapped_import: Any) -> Iterator[Any]:
        """``wrapped_import`` that applies the patches after each import; undone on exit."""
        if not self.classes and not self.functions:
            yield wrapped_import
            return
        try:
            with self._watching_classes():
                yield _HookedImport(wrapped_import, self)
        finally:
            self.undo()

    @contextlib.contextmanager
    def _watching_classes(self) -> Iterator[None]:
        """Meanwhile, each new subclass of the drop-in ``Module`` named in ``classes`` is patched."""
        if not self.classes:
            yield
            return
        from pt2r.torch.nn.module import Module
        patches = self

        def __init_subclass__(cls: type, **kwargs: Any) -> None:
            super(Module, cls).__init_subclass__(**kwargs)
            patches._class_created(cls)

        Module.__init_subclass__ = classmethod(__init_subclass__)
        try:
            yield
        finally:
            del Module.__init_subclass__


class _HookedImport:
    def __init__(self, inner: Any, patches: Patches):
        self._inner, self._patches = inner, patches

    def __call__(self, name: str) -> types.ModuleType:
        module = self._inner(name)
        self._patches.apply(self._inner.prefix)
        return module

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _trampoline(name: str, key: str, free: int) -> types.CodeType:
    """The code of ``def name(*args, **kwargs): return __pt2r_routes__[key](*args, **kwargs)``, with
    ``free`` free variables (a function's new code must have as many as its closure has cells)."""
    cells = [f"_pt2r_cell{i}" for i in range(free)]
    source = (f"def _outer():\n    {' = '.join(cells + ['None'])}\n" if cells else "def _outer():\n") + \
        f"    def {name}(*args, **kwargs):\n" + \
        "".join(f"        {cell}\n" for cell in cells) + \
        f"        return __pt2r_routes__[{key!r}](*args, **kwargs)\n    return {name}\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, __file__, "exec"), namespace)  # compiled as this file's (see `_route`)
    return namespace["_outer"]().__code__


def _route(func: types.FunctionType, name: str, dispatch: Callable[..., Any]) -> Callable[[], None]:
    """Make every call of ``func`` ``dispatch(original, args, kwargs)``; return the undo.

    The function object itself gets new code (a trampoline compiled as this file's, so both phases
    take its frame for pt2r's own and see the user's line as the caller); the original runs as a copy
    (with the same closure: a decorated function works too)."""
    original = types.FunctionType(func.__code__, func.__globals__, func.__name__, func.__defaults__,
                                  func.__closure__)
    original.__kwdefaults__ = func.__kwdefaults__
    routes = func.__globals__.setdefault("__pt2r_routes__", {})
    routes[name] = lambda *args, **kwargs: dispatch(original, args, kwargs)
    saved = func.__code__
    func.__code__ = _trampoline(func.__name__, name, len(func.__closure__ or ()))

    def undo() -> None:
        func.__code__ = saved
        routes.pop(name, None)
    return undo


# -- what converters build with ----------------------------------------------------------------------

#: names offered here for converters, imported on use (they need TensorFlow): module, attribute
_BUILDING = {
    "torch": ("pt2r.torch", None), "Tensor": ("pt2r.torch._tensor", "Tensor"),
    "make": ("pt2r.torch.ops.build", "make"), "unify": ("pt2r.torch.ops.build", "unify"),
    "broadcast": ("pt2r.torch.ops.build", "broadcast"), "fresh_dim": ("pt2r.torch.ops.build", "fresh_dim"),
    "raw_eval": ("pt2r.torch.ops.build", "raw_eval"), "raw_axes": ("pt2r.torch.ops.build", "raw_axes"),
    "eval_layer": ("pt2r.torch.ops.build", "eval_layer"), "ctx": ("pt2r.torch.ops.build", "ctx"),
    "combine": ("pt2r.torch.ops.build", "combine"), "operand": ("pt2r.torch.ops.build", "operand"),
    "activation": ("pt2r.torch.ops.build", "activation"),
    "registry": ("pt2r.torch.ops.registry", None),
}


def __getattr__(name: str) -> Any:
    # ``from pt2r.converters import make``: the builder interface of pt2r's own ops, on use only
    if name not in _BUILDING:
        raise AttributeError(f"module 'pt2r.converters' has no attribute {name!r}")
    import importlib
    module_name, attr = _BUILDING[name]
    module = importlib.import_module(module_name)
    return module if attr is None else getattr(module, attr)


# -- replay: the plan of one run ---------------------------------------------------------------------


@dataclass
class ReplayPlan:
    """How the replay uses the user's converters: leaf-module and op builders by name (the replay's
    ``override``), the patches making the user's classes leaves and routing their functions to the
    replay, and what the report lists."""

    override: dict[str, Callable[..., Any]]
    patches: Patches
    listed: list[dict[str, Any]]
    #: torch functions pt2r lacks, converted by the user: the drop-in offers them during the replay
    torch_ops: dict[str, Callable[..., Any]]


def plan_replay(user: dict[str, Converter], meta: dict[str, Any], own: Callable[[str], bool]) -> ReplayPlan:
    kinds = check_against_trace(user, meta, own)
    counts: dict[str, int] = {}
    for call in meta["calls"]:
        if call["target"] in user:
            counts[call["target"]] = counts.get(call["target"], 0) + 1
    override: dict[str, Callable[..., Any]] = {}
    classes: dict[str, Callable[[type], Callable[[], None]]] = {}
    functions: dict[str, Callable[..., Any]] = {}
    torch_ops: dict[str, Callable[..., Any]] = {}
    for name, kind in kinds.items():
        builder = override[name] = guarded(user[name])
        if own(name):
            continue
        if name.partition(".")[0] in ("torch", "Tensor"):
            if kind == "module" or name.startswith("Tensor."):
                raise ConverterError(f"The converter at {user[name].where} is for {name}, a torch "
                                     f"{'module' if kind == 'module' else 'tensor method'} pt2r lacks: converters "
                                     f"can add torch functions, the user's modules and functions, and replace "
                                     f"pt2r's own converters, not add torch modules or tensor methods.")
            torch_ops[name] = builder
        elif kind == "module":  # the user's own class or function: found in the wrapped model code
            classes[name] = _leaf_patch(name)
        else:
            functions[name] = _op_dispatch(name, builder)
    listed = [conv.as_dict(counts.get(name, 0), kinds.get(name)) for name, conv in sorted(user.items())]
    return ReplayPlan(override, Patches(classes, functions), listed, torch_ops)


def _leaf_patch(name: str) -> Callable[[type], Callable[[], None]]:
    """Make the drop-in take the user's class ``name`` for a leaf module (exactly this class, as the
    record did), whose calls are recorded under ``name``; return the undo."""
    def patch(cls: type) -> Callable[[], None]:
        keys = ("_pt2r_is_leaf", "_pt2r_torch_name")
        saved = {k: cls.__dict__[k] for k in keys if k in cls.__dict__}
        previous = cls._pt2r_is_leaf

        def _pt2r_is_leaf(self: Any) -> bool:
            return type(self) is cls or previous(self)

        cls._pt2r_is_leaf = _pt2r_is_leaf
        cls._pt2r_torch_name = name

        def undo() -> None:
            for k in keys:
                if k in saved:
                    setattr(cls, k, saved[k])
                else:
                    delattr(cls, k)
        return undo
    return patch


def _op_dispatch(name: str, builder: Callable[..., Any]) -> Callable[..., Any]:
    """A call of the user's function ``name`` in the replay: an op call (named, checked, built by
    ``builder``); outside a replay, the function itself."""
    def dispatch(original: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        from pt2r.torch.backend import active, user_frame
        ctx = active()
        if ctx is None:
            return original(*args, **kwargs)
        return ctx.op_call(name, builder, args, kwargs, user_frame(sys._getframe(1)))
    return dispatch
