"""Model specs: ``path/to/file.py:func`` or ``package.module:func``.

The function is called as ``func(wrapped_import, inputs)`` (DESIGN.md), or, if it
has a parameter ``seq_lens``, as ``func(wrapped_import, inputs, seq_lens=...)``
with the lengths of the input's time axis as an int64 tensor of shape (batch,):
the recorded ones when recording, RETURNN's sequence lengths in the replay. Its
module may define ``example_inputs()`` (a numpy array) and ``INPUT_SPEC`` (a
dict of RETURNN ``Data`` kwargs), used when the command line gives none.
Loading a spec imports only the spec module itself, so a spec that imports
torch inside the function (as it should) loads on either machine.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
import traceback
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

from pt2r.errors import InputSpecError, Pt2rError, SpecError

EXAMPLE_SPEC = "pt2r.examples.vocoder:model_func"


@dataclass
class ModelSpec:
    spec: str
    func: Callable[[Any, Any], Any]
    module: ModuleType
    file: str | None
    source: str | None

    @property
    def example_inputs(self) -> Callable[[], Any] | None:
        return getattr(self.module, "example_inputs", None)

    @property
    def input_spec(self) -> dict | None:
        return getattr(self.module, "INPUT_SPEC", None)

    @property
    def wants_seq_lens(self) -> bool:
        """Whether the function takes the input's sequence lengths: ``func(wrapped_import, inputs, seq_lens)``."""
        try:
            return "seq_lens" in inspect.signature(self.func).parameters
        except (TypeError, ValueError):
            return False

    def call(self, wrapped_import: Any, inputs: Any, seq_lens: Any) -> Any:
        """Run the model function, with ``seq_lens`` if it takes them."""
        if self.wants_seq_lens:
            return self.func(wrapped_import, inputs, seq_lens=seq_lens)
        return self.func(wrapped_import, inputs)

    def load_example_inputs(self) -> Any:
        """The spec module's ``example_inputs()``, for runs given no input array."""
        if self.example_inputs is None:
            raise InputSpecError(f"No input array was given and the spec module of {self.spec!r} "
                                 f"defines no example_inputs(): pass --inputs X.npy.")
        try:
            array = self.example_inputs()
        except Exception as exc:
            raise SpecError(f"example_inputs() of {self.spec!r} raised {type(exc).__name__}: {exc}. "
                            f"Its traceback follows.", detail=_user_traceback(exc)) from exc
        if not hasattr(array, "shape") or not hasattr(array, "dtype"):
            raise InputSpecError(f"example_inputs() of {self.spec!r} returned "
                                 f"{type(array).__name__}, not a numpy array.")
        return array


def _is_file_spec(target: str) -> bool:
    return target.endswith(".py") or os.sep in target or "/" in target


def _user_traceback(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _import_file(path: str, what: str = "model spec", prefix: str = "pt2r_spec_") -> ModuleType:
    if not os.path.isfile(path):
        raise SpecError(f"The {what} names the file {path!r}, which does not exist "
                        f"(working directory: {os.getcwd()}).")
    # Named after the file, not its location: classes defined in the spec get the same qualified
    # name (which the trace stores) wherever the file lies.
    stem = os.path.splitext(os.path.basename(path))[0]
    name = prefix + "".join(c if c.isalnum() else "_" for c in stem)
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except Pt2rError:  # pt2r's own message about the file (e.g. a converter declared twice)
        del sys.modules[name]
        raise
    except BaseException as exc:
        del sys.modules[name]
        raise SpecError(f"The {what} file {path!r} raised {type(exc).__name__} while being "
                        f"imported: {exc}. Its traceback follows.", detail=_user_traceback(exc)) from exc
    return module


def _import_module(name: str, what: str = "model spec") -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise SpecError(f"The {what} names the module {name!r}, which cannot be found "
                            f"on the Python path ({exc}). Give a file path (path/to/file.py) "
                            f"or make the package importable.") from exc
        raise SpecError(f"Importing the {what} module {name!r} failed: {exc}. "
                        f"Its traceback follows.", detail=_user_traceback(exc)) from exc
    except Pt2rError:
        raise
    except BaseException as exc:
        raise SpecError(f"The {what} module {name!r} raised {type(exc).__name__} while being "
                        f"imported: {exc}. Its traceback follows.", detail=_user_traceback(exc)) from exc


def import_converters(target: str) -> str:
    """Import a converters file (``path/to/file.py``) or module (``package.module``), which declares
    ``@pt2r.converter``s (see `pt2r.converters`); return its file."""
    if _is_file_spec(target):
        module = _import_file(target, "converters file", "pt2r_converters_")
    else:
        module = _import_module(target, "converters file")
    file = getattr(module, "__file__", None)
    if not file:
        raise SpecError(f"The converters module {target!r} has no file.")
    return file


def spec_of_function(func: Callable[[Any, Any], Any]) -> ModelSpec:
    """A model function given as a Python object (the Python API)."""
    import inspect
    module = inspect.getmodule(func)
    if module is None or not callable(func):
        raise SpecError(f"{func!r} is not a model function defined in a module.")
    file = inspect.getsourcefile(func)
    source = None
    if file and os.path.isfile(file):
        with open(file, encoding="utf-8", errors="replace") as f:
            source = f.read()
    return ModelSpec(spec=f"{module.__name__}:{func.__qualname__}", func=func, module=module, file=file, source=source)


def load_spec(spec: str | Callable[[Any, Any], Any]) -> ModelSpec:
    """Import the spec's module and return its model function with what belongs to it."""
    if callable(spec):
        return spec_of_function(spec)
    target, sep, func_name = spec.rpartition(":")
    if not sep or not target or not func_name.isidentifier():
        raise SpecError(f"{spec!r} is not a model spec: expected path/to/file.py:FUNCTION or "
                        f"package.module:FUNCTION, e.g. {EXAMPLE_SPEC}.")
    module = _import_file(target) if _is_file_spec(target) else _import_module(target)
    func = getattr(module, func_name, None)
    if func is None:
        raise SpecError(f"The model spec module {target!r} has no function {func_name!r}; "
                        f"it defines: {', '.join(n for n in dir(module) if not n.startswith('_'))}.")
    if not callable(func):
        raise SpecError(f"{spec!r} names {type(func).__name__} object, not a function.")
    file = getattr(module, "__file__", None)
    source = None
    if file and os.path.isfile(file):
        with open(file, encoding="utf-8", errors="replace") as f:
            source = f.read()
    return ModelSpec(spec=spec, func=func, module=module, file=file, source=source)
