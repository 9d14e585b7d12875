"""``wrapped_import``: import third-party model code so that it sees another ``torch``.

The user's model function (see DESIGN.md) receives a ``wrapped_import``
callable made by :func:`make_wrapped_import`. ``wrapped_import(name)`` works
like ``importlib.import_module(name)``, but the module it returns, and every
module that module imports (transitively), sees the package named by
``torch_package`` wherever its source says ``torch``: ``"pt2r.record.traced_torch"``
when recording, ``"pt2r.torch"`` for the replay drop-in, a fake package in the
tests. Third-party model code runs unmodified. This package imports only the
standard library.

Mechanism
---------

A wrapped module is a second copy of the user's module, loaded from the
original source file under a prefixed name::

    _pt2r_wrapped_<torch_package with "." replaced by "_">.<original name>

e.g. ``_pt2r_wrapped_pt2r_torch.parallel_wavegan.models``, so several targets
coexist in one process and never collide with the normally imported copy
(``import parallel_wavegan`` still gives the real-torch version, side by side).
The original, unwrapped package is never executed: on the replay machine real
torch is not installed, so executing it would fail. Each wrapped copy

* is registered in ``sys.modules`` under its prefixed name (so ``pickle``,
  ``dataclasses``, ``typing.get_type_hints`` find it) and bound as an
  attribute of its wrapped parent package; the root ``_pt2r_wrapped_<target>``
  is an empty package;
* is loaded by importlib itself (module locks, parents executed before their
  submodules, partially initialized modules on circular imports, exactly as
  in a normal import): a meta-path finder (in ``sys.meta_path`` once this module
  is imported) that answers only for names under ``_pt2r_wrapped_`` locates the
  original file, a submodule with
  ``importlib.machinery.PathFinder.find_spec(name, wrapped_parent.__path__)``
  (never ``importlib.util.find_spec`` on the original dotted name, which would
  import the original parent package), a top-level module where the original
  would be found on ``sys.path``;
* is executed by a ``SourceFileLoader`` of the original file, so ``__file__``
  is the original file and the code carries the original filename
  (tracebacks, ``inspect`` and ``linecache`` show the user's real file and
  line numbers; the bytecode cache is shared with the normal copy, which is
  fine: bytecode does not depend on the module name);
* has ``__package__`` / ``__path__`` / ``__spec__`` of the prefixed name, so
  relative imports (``from . import x``, ``from .layers import Y``) resolve to
  wrapped copies, but its ``__name__`` (so every class's ``__module__``) is the
  original name: packages look at it (transformers takes a class whose
  ``__module__`` does not start with ``transformers.`` for custom code and
  initialises it differently);
* is, while the importer is active (`WrappedImporter.active`: during every
  ``wrapped_import`` call, and while record and replay run the model
  function), also ``sys.modules[<original name>]``, the normally imported
  module set aside meanwhile. So ``sys.modules[cls.__module__]``,
  ``importlib.import_module("x.y")`` and ``importlib.import_module(".y", __name__)``,
  ``importlib.util.find_spec``, pickle, dataclasses and
  ``typing.get_type_hints`` see the wrapped copies, and a module that puts
  another object in its place (``sys.modules[__name__] = _LazyModule(...)``)
  does so for its wrapped copy;
* gets its own ``__builtins__`` dict (installed by the loader before the code
  runs): a copy of :mod:`builtins` whose ``__import__`` is the wrapper's.
  Every ``import`` statement in the module, at module level and inside
  function bodies (functions keep the builtins of their module), and every
  ``__import__(...)`` call goes through it.

The wrapper's ``__import__`` decides, by the top-level name of what is
imported:

* ``torch`` and ``torch.<rest>`` become ``torch_package`` and
  ``torch_package.<rest>``: ``import torch``, ``import torch.nn as nn``,
  ``import torch.nn.functional as F``, ``from torch import nn``,
  ``from torch.nn import Module, functional as F``,
  ``from torch.nn.utils import weight_norm`` bind exactly what they bind
  normally, taken from the target package (``import torch.nn`` binds
  ``torch`` to the target package itself, ``from a import b`` imports the
  submodule ``a.b`` when ``b`` is not an attribute).
* The standard library (``sys.stdlib_module_names``, built-in modules),
  ``pt2r`` itself (except its bundled model code, ``pt2r.examples``, which is
  wrapped like user code), the target package's top-level package, and the top-level
  packages in ``keep_as_is`` (:data:`DEFAULT_KEEP_AS_IS`: numpy, scipy, h5py,
  tensorflow, returnn, ...) are imported normally.
* Any other top-level package (or single-file module) is wrapped if its
  source mentions torch: all its ``.py`` files are scanned once (cached per
  top-level name) for a line starting with ``import torch`` or
  ``from torch``. Otherwise it is imported normally.
* Relative imports (level > 0) resolve within the wrapped copy.

``wrapped_import("torch")`` returns the target package itself;
``wrapped_import("toypkg.models")`` returns the wrapped copy of
``toypkg.models`` (after executing the wrapped ``toypkg``).

A module that does not exist raises :class:`ModuleNotFoundError`, as inside
ordinary module code (so ``try: import x / except ImportError`` keeps
working); the message names the module as the user wrote it (and, for
``torch.<x>``, the target module that is missing).

Limits: introspection by name sees the wrapped copies only while the
importer is active. A package that does not mention
torch itself but imports a torch-using package is imported normally, so it
sees the normally imported copy of that package. Packages inside zip files
are not scanned (imported normally).
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import importlib.machinery
import importlib.util
import os
import pkgutil
import re
import sys
import threading
import types
from typing import Callable, Iterable

from pt2r.errors import UsageError

__all__ = [
    "DEFAULT_KEEP_AS_IS",
    "WRAPPED_PREFIX",
    "WrappedImporter",
    "make_wrapped_import",
    "wrapped_module_prefix",
    "original_module_name",
    "is_wrapped_module_name",
]

#: Top-level packages that never need wrapping: numeric and infrastructure
#: libraries that do not build torch modules. They are always imported
#: normally (some of them mention torch in optional backends, e.g. scipy's
#: array-API compat layer, which must not be redirected).
DEFAULT_KEEP_AS_IS: tuple[str, ...] = (
    "numpy",
    "scipy",
    "h5py",
    "msgpack",
    "yaml",
    "six",
    "typing_extensions",
    "packaging",
    "tqdm",
    "librosa",
    "soundfile",
    "audioread",
    "resampy",
    "soxr",
    "numba",
    "llvmlite",
    "tensorflow",
    "keras",
    "tree",
    "returnn",
    "ml_dtypes",
    "absl",
    "google",
    "opt_einsum",
    "optree",  # torch's own dependency: real torch modules loaded during a run must not get a wrapped copy
    "pandas",
    "matplotlib",
    "PIL",
    "sklearn",
    "joblib",
    "threadpoolctl",
    "sympy",
    "mpmath",
    "networkx",
    "filelock",
    "fsspec",
    "jinja2",
    "markupsafe",
    "setuptools",
    "pkg_resources",
    "rich",
    "click",
    "attr",
    "attrs",
    "regex",
    "requests",
    "urllib3",
    "certifi",
    "idna",
    "charset_normalizer",
    "psutil",
    "pytest",
    "_pytest",
    "pluggy",
)

#: Every wrapped module name starts with this (then the mangled target name).
WRAPPED_PREFIX = "_pt2r_wrapped_"
#: pt2r's own bundled model code: user code like any other, so it is wrapped
BUNDLED_MODEL_CODE = "pt2r.examples"

# A line that imports torch: ``import torch...`` / ``from torch... import``.
_TORCH_IMPORT_RE = re.compile(rb"^[ \t]*(?:import|from)[ \t]+torch\b", re.MULTILINE)

# prefix -> the first WrappedImporter made for it (see _WrappedModuleFinder)
_REGISTRY: dict[str, "WrappedImporter"] = {}

# the WrappedImporter doing the wrapped import currently running in this thread
_CURRENT = threading.local()

#: the stack of active name views (see WrappedImporter.active), innermost last
_VIEWS: list["_NameView"] = []
_MISSING = object()

# top-level name -> does its source mention torch (scanned once per process)
_MENTIONS_TORCH_CACHE: dict[str, bool] = {}


def wrapped_module_prefix(torch_package: str) -> str:
    """The ``sys.modules`` name prefix of modules wrapped for ``torch_package``."""
    return WRAPPED_PREFIX + torch_package.replace(".", "_")


def is_wrapped_module_name(name: str) -> bool:
    """Whether ``name`` (e.g. a class's ``__module__``) is a wrapped copy."""
    return name.startswith(WRAPPED_PREFIX) and "." in name


def original_module_name(name: str) -> str:
    """The user's module name of a wrapped copy (``name`` unchanged otherwise).

    ``"_pt2r_wrapped_pt2r_torch.toypkg.models"`` -> ``"toypkg.models"``.
    """
    if is_wrapped_module_name(name):
        return name.partition(".")[2]
    return name


def make_wrapped_import(
    torch_package: str, *, keep_as_is: Iterable[str] = DEFAULT_KEEP_AS_IS, stands_for_torch: bool = False
) -> Callable[[str], types.ModuleType]:
    """Make a ``wrapped_import(name)`` whose modules see ``torch_package`` as ``torch``.

    ``torch_package`` is an importable package name (``"pt2r.torch"``,
    ``"pt2r.record.traced_torch"``, or ``"torch"`` itself for an identical
    copy). ``keep_as_is`` lists top-level packages that are always imported
    normally, in addition to the standard library and ``pt2r``. With
    ``stands_for_torch``, ``torch`` and its modules are the target's also by
    name while the importer is active (see `WrappedImporter.active`).
    """
    return WrappedImporter(torch_package, keep_as_is=keep_as_is, stands_for_torch=stands_for_torch)


class WrappedImporter:
    """The callable returned by :func:`make_wrapped_import` (see the module docs)."""

    def __init__(self, torch_package: str, *, keep_as_is: Iterable[str] = DEFAULT_KEEP_AS_IS,
                 stands_for_torch: bool = False):
        if not isinstance(torch_package, str) or not _is_dotted_name(torch_package):
            raise UsageError(
                f"make_wrapped_import: torch_package must be an absolute module name "
                f"like 'pt2r.torch', got {torch_package!r}."
            )
        if isinstance(keep_as_is, str):
            keep_as_is = (keep_as_is,)
        keep = set()
        for name in keep_as_is:
            if not isinstance(name, str) or not _is_dotted_name(name):
                raise UsageError(
                    f"make_wrapped_import: keep_as_is must list top-level package names, got {name!r}."
                )
            keep.add(name.partition(".")[0])
        self.torch_package = torch_package
        self.stands_for_torch = stands_for_torch
        self.prefix = wrapped_module_prefix(torch_package)
        self.keep_as_is = frozenset(keep)
        # always imported normally, whatever the source says
        self._never_wrap = frozenset({"pt2r", torch_package.partition(".")[0]}) | self.keep_as_is
        #: the ``__builtins__`` of every module this importer wraps
        self.builtins = dict(builtins.__dict__)
        self.builtins["__import__"] = self._import_hook
        _REGISTRY.setdefault(self.prefix, self)
        if _WrappedModuleFinder not in sys.meta_path:
            sys.meta_path.insert(0, _WrappedModuleFinder)

    def __repr__(self) -> str:
        return f"<wrapped_import: torch -> {self.torch_package}>"

    # -- public ------------------------------------------------------------

    def __call__(self, name: str) -> types.ModuleType:
        """Import ``name`` (absolute) like ``importlib.import_module``, wrapped."""
        if not isinstance(name, str) or not _is_dotted_name(name):
            raise UsageError(
                f"wrapped_import expects an absolute module name like 'package.module', got {name!r}."
            )
        with self.active():
            return self._import_absolute(name)

    @contextlib.contextmanager
    def active(self):
        """While active, the wrapped copies are the modules of their own names.

        Packages introspect their modules by name: ``cls.__module__.startswith("transformers.")``,
        ``sys.modules[cls.__module__]``, ``importlib.import_module(".sub", __name__)``, pickle,
        ``dataclasses`` and ``typing.get_type_hints``. So a wrapped module's ``__name__`` (and
        every class's ``__module__``) is the original name, and while this context is active
        ``sys.modules[original name]`` is the wrapped copy (the normally imported one is set
        aside and put back on exit). For an importer that ``stands_for_torch`` (the replay's
        drop-in), ``torch`` and ``torch.<x>`` are the target package and its modules too, so
        ``importlib.util.find_spec("torch")`` finds it on a machine without torch, and a package
        patching ``sys.modules["torch.nn.init"]`` patches what its code calls.
        Wrapped code always runs inside this context: record and replay keep it active while
        the model function runs. Nestable; another importer's view inside is undone on exit.
        """
        if _VIEWS and _VIEWS[-1].importer is self:
            yield self
            return
        view = _NameView(self)
        _VIEWS.append(view)
        try:
            view.open()
            yield self
        finally:
            view.close()
            _VIEWS.remove(view)

    def wrapped_name(self, name: str) -> str:
        """The ``sys.modules`` name of the wrapped copy of module ``name``."""
        return f"{self.prefix}.{name}"

    def would_wrap(self, name: str) -> bool:
        """Whether module ``name`` is wrapped (not imported normally)."""
        return self._kind(name) == "wrap"

    # -- classification ----------------------------------------------------

    def _kind(self, name: str) -> str:
        """'torch', 'normal' or 'wrap' for an absolute module name."""
        top = name.partition(".")[0]
        if top == "torch":
            return "torch"
        if name == BUNDLED_MODEL_CODE or name.startswith(BUNDLED_MODEL_CODE + "."):
            return "wrap"
        if (
            top in sys.stdlib_module_names
            or top in sys.builtin_module_names
            or top in self._never_wrap
            or top.startswith(WRAPPED_PREFIX)
        ):
            return "normal"
        return "wrap" if _mentions_torch(top) else "normal"

    # -- importing -----------------------------------------------------------

    def _import_absolute(self, name: str) -> types.ModuleType:
        """The module ``name`` (user's absolute name) as wrapped code sees it."""
        kind = self._kind(name)
        if kind == "torch":
            return self._import_target(name)
        if kind == "normal":
            return importlib.import_module(name)
        return self._import_wrapped(name)

    def _import_target(self, name: str) -> types.ModuleType:
        """``torch[.rest]`` -> ``torch_package[.rest]``."""
        target = self.torch_package + name[len("torch"):]
        try:
            module = importlib.import_module(target)
            if self.stands_for_torch and _VIEWS and _VIEWS[-1].importer is self:
                _VIEWS[-1].alias(name, module)
            return module
        except ModuleNotFoundError as exc:
            if exc.name and (target == exc.name or target.startswith(exc.name + ".")):
                raise ModuleNotFoundError(
                    f"No module named {name!r} (wrapped_import maps it to {target!r}, "
                    f"and there is no module named {exc.name!r})",
                    name=name,
                ) from exc
            raise

    def _import_wrapped(self, name: str) -> types.ModuleType:
        """The wrapped copy of user module ``name`` (loaded once, parents first).

        Loading goes through importlib (module locks, ``sys.modules``, binding
        to the parent package) with the prefixed name; :class:`_WrappedModuleFinder`
        supplies specs for the original files whose loaders install our
        ``__builtins__``.
        """
        wname = self.wrapped_name(name)
        previous = getattr(_CURRENT, "importer", None)
        _CURRENT.importer = self
        try:
            return importlib.import_module(wname)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(self.prefix + ".") and (
                wname == exc.name or wname.startswith(exc.name + ".")
            ):
                # name the module as the user wrote it
                message = str(exc).replace(self.prefix + ".", "")
                raise ModuleNotFoundError(message, name=original_module_name(exc.name)) from None
            raise
        finally:
            _CURRENT.importer = previous

    def _find_spec(self, user_name: str, fullname: str, path) -> importlib.machinery.ModuleSpec | None:
        """Spec of the wrapped copy ``fullname`` of ``user_name`` (nothing is imported)."""
        if "." not in user_name:
            # top-level: where the original would be found (sys.path, editable installs)
            found = _find_top_level(user_name)
            if found is None:
                return None
            origin, locations = found
            if origin is None:  # namespace package
                spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
                spec.submodule_search_locations = list(locations)
                return spec
            return importlib.util.spec_from_file_location(
                fullname,
                origin,
                loader=self._loader_for(fullname, origin, None),
                submodule_search_locations=locations,
            )
        if path is None:
            return None
        # ``path`` is the wrapped parent's __path__: the original package's directories
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or isinstance(spec.loader, importlib.machinery.NamespaceLoader):
            return spec  # not found, or a namespace package (no code)
        spec.loader = self._loader_for(fullname, spec.origin, spec.loader)
        return spec

    def _loader_for(self, fullname: str, origin: str, loader):
        """A loader for ``origin`` (found by ``loader``, or None: choose by suffix)
        that installs the wrapper's ``__builtins__`` before executing the code."""
        machinery = importlib.machinery
        if loader is None:
            if origin.endswith(tuple(machinery.SOURCE_SUFFIXES)):
                loader = machinery.SourceFileLoader(fullname, origin)
            elif origin.endswith(tuple(machinery.BYTECODE_SUFFIXES)):
                loader = machinery.SourcelessFileLoader(fullname, origin)
            elif origin.endswith(tuple(machinery.EXTENSION_SUFFIXES)):
                loader = machinery.ExtensionFileLoader(fullname, origin)
            else:
                raise ImportError(
                    f"cannot wrap {original_module_name(fullname)!r}: unknown file type {origin!r}",
                    name=original_module_name(fullname),
                )
        if type(loader) is machinery.SourceFileLoader:
            return _WrappedSourceFileLoader(fullname, origin, self)
        if type(loader) is machinery.SourcelessFileLoader:
            return _WrappedSourcelessFileLoader(fullname, origin, self)
        if isinstance(loader, machinery.ExtensionFileLoader):
            return loader  # compiled code: no import statements to redirect
        return _DelegatingLoader(loader, self)

    # -- the __import__ of wrapped modules ---------------------------------

    def _import_hook(self, name, globals=None, locals=None, fromlist=(), level=0):
        """``builtins.__import__`` replacement installed into every wrapped module."""
        if level < 0:
            raise ValueError("level must be >= 0")
        if level == 0:
            if not name:
                raise ValueError("Empty module name")
            user_name = name
        else:
            package = _calc_package(globals if globals is not None else {})
            if not package:
                raise ImportError("attempted relative import with no known parent package")
            if not package.startswith(self.prefix + "."):
                # not called from a wrapped module of ours: behave normally
                return builtins.__import__(name, globals, locals, fromlist, level)
            bits = package.rsplit(".", level - 1)
            if len(bits) < level or bits[0] == self.prefix:
                raise ImportError("attempted relative import beyond top-level package")
            base = bits[0][len(self.prefix) + 1:]
            user_name = f"{base}.{name}" if name else base

        kind = self._kind(user_name)
        if kind == "normal":
            # level 0 here: relative imports always stay inside a wrapped package
            return builtins.__import__(user_name, globals, locals, fromlist, 0)

        module = self._import_absolute(user_name)
        if not fromlist:
            if level == 0:
                # ``import a.b.c`` binds ``a``: the wrapped copy of ``a`` when ``a.b.c`` is wrapped
                top = user_name.partition(".")[0]
                return self._import_wrapped(top) if kind == "wrap" else self._import_absolute(top)
            if not name:
                return module
            # ``__import__('a.b', level=1)`` returns the module of '.a'
            cut_off = len(name) - len(name.partition(".")[0])
            return self._import_absolute(user_name[: len(user_name) - cut_off])
        if hasattr(module, "__path__"):
            self._handle_fromlist(module, user_name, fromlist)
        return module

    def _handle_fromlist(self, module, user_name: str, fromlist, *, recursive: bool = False) -> None:
        """Import submodules named in ``from <package> import a, b`` (like importlib's)."""
        for x in fromlist:
            if not isinstance(x, str):
                where = f"{user_name}.__all__" if recursive else "``from list''"
                raise TypeError(f"Item in {where} must be str, not {type(x).__name__}")
            if x == "*":
                if not recursive and hasattr(module, "__all__"):
                    self._handle_fromlist(module, user_name, module.__all__, recursive=True)
            elif not hasattr(module, x):
                sub = f"{user_name}.{x}"
                try:
                    self._import_absolute(sub)
                except ModuleNotFoundError as exc:
                    # ``from pkg import not_a_module`` -> ImportError at IMPORT_FROM
                    if exc.name == sub:
                        continue
                    raise


# -- loading -----------------------------------------------------------------


class _WrappedModuleFinder:
    """Meta-path finder for ``_pt2r_wrapped_<target>[.<name>]``, and nothing else.

    Finds the original file of ``<name>`` (a top-level name where the original
    would be found, a submodule with ``PathFinder`` in the wrapped parent's
    ``__path__``) and returns a spec under the wrapped name whose loader
    installs the wrapper's ``__builtins__``. Also serves imports of wrapped
    names that do not come through ``wrapped_import`` (e.g.
    ``importlib.import_module(".sub", __name__)`` inside wrapped code, or
    ``pickle``), using the importer registered for the prefix.
    """

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if not fullname.startswith(WRAPPED_PREFIX):
            return _VIEWS[-1].find_spec(fullname) if _VIEWS else None
        prefix, dot, user_name = fullname.partition(".")
        importer = getattr(_CURRENT, "importer", None)
        if importer is None or importer.prefix != prefix:
            importer = _REGISTRY.get(prefix)
        if importer is None:
            return None
        if not dot:
            # the root: an empty package holding the wrapped top-level modules
            spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = []
            return spec
        return importer._find_spec(user_name, fullname, path)

    @classmethod
    def invalidate_caches(cls):
        pass


def _exec_wrapped(importer: WrappedImporter, module: types.ModuleType, code) -> None:
    """Execute a wrapped module's ``code`` as its original self (see `WrappedImporter.active`):
    the wrapper's ``__builtins__``, the original ``__name__``, inside the importer's view."""
    wrapped_name = module.__spec__.name
    original = original_module_name(wrapped_name)
    module.__dict__["__builtins__"] = importer.builtins
    module.__name__ = original
    with importer.active():
        _VIEWS[-1].alias(original, module)
        exec(code, module.__dict__)
        replaced = sys.modules.get(original)
        if replaced is not None and replaced is not module:
            # the code put another object in its place (lazy-loading packages do): so does the copy
            sys.modules[wrapped_name] = replaced


class _WrappedSourceFileLoader(importlib.machinery.SourceFileLoader):
    """``SourceFileLoader`` of the original file that executes it with `_exec_wrapped`.

    The code is compiled with (or, from the shared bytecode cache, fixed up to)
    the original filename.
    """

    def __init__(self, fullname: str, path: str, importer: WrappedImporter):
        super().__init__(fullname, path)
        self._pt2r_importer = importer

    def exec_module(self, module):
        _exec_wrapped(self._pt2r_importer, module, self.get_code(self.name))


class _WrappedSourcelessFileLoader(importlib.machinery.SourcelessFileLoader):
    """``SourcelessFileLoader`` (``.pyc`` only) that executes with `_exec_wrapped`."""

    def __init__(self, fullname: str, path: str, importer: WrappedImporter):
        super().__init__(fullname, path)
        self._pt2r_importer = importer

    def exec_module(self, module):
        _exec_wrapped(self._pt2r_importer, module, self.get_code(self.name))


class _DelegatingLoader:
    """Any other loader with code (e.g. zipimport), executing it with `_exec_wrapped`."""

    def __init__(self, loader, importer: WrappedImporter):
        self._loader = loader
        self._pt2r_importer = importer

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        _exec_wrapped(self._pt2r_importer, module, self._loader.get_code(module.__spec__.name))

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._loader, name)


class _NameView:
    """One active `WrappedImporter.active` context: the original names it took over."""

    def __init__(self, importer: WrappedImporter):
        self.importer = importer
        self.stash: dict[str, object] = {}  # original name -> what sys.modules had (or _MISSING)

    def alias(self, name: str, module: types.ModuleType) -> None:
        if name not in self.stash:
            self.stash[name] = sys.modules.get(name, _MISSING)
        sys.modules[name] = module

    def open(self) -> None:
        prefix = self.importer.prefix + "."
        for name, module in list(sys.modules.items()):
            # (another importer of the same target may have wrapped what this one keeps as is)
            if name.startswith(prefix) and module is not None and self.importer.would_wrap(name[len(prefix):]):
                self.alias(name[len(prefix):], module)
        for name in list(sys.modules):
            # normally imported modules of wrapped packages step aside (imports find the wrapped copies)
            if name not in self.stash and not name.startswith(WRAPPED_PREFIX) and self.importer.would_wrap(name):
                self.stash[name] = sys.modules.pop(name)
        target = self.importer.torch_package
        if self.importer.stands_for_torch:
            _import_public_modules(target)
            for name, module in list(sys.modules.items()):
                if (name == target or name.startswith(target + ".")) and module is not None:
                    self.alias("torch" + name[len(target):], module)
            for name in list(sys.modules):  # real torch's modules (if imported) step aside too
                if (name == "torch" or name.startswith("torch.")) and name not in self.stash:
                    self.stash[name] = sys.modules.pop(name)

    def close(self) -> None:
        prefix = self.importer.prefix + "."
        for name, module in list(sys.modules.items()):
            # wrapped copies imported under their original names while the view was active
            spec_name = getattr(getattr(module, "__spec__", None), "name", None) or ""
            if name not in self.stash and not name.startswith(WRAPPED_PREFIX) and spec_name.startswith(prefix):
                del sys.modules[name]
        for name, previous in self.stash.items():
            if previous is _MISSING:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous

    def find_spec(self, fullname: str):
        """A spec for an original name that this view serves: a wrapped copy, or (torch aliased)
        the target's module; None for any other name."""
        kind = self.importer._kind(fullname)
        if kind == "wrap":
            load = self.importer._import_wrapped
        elif kind == "torch" and self.importer.stands_for_torch:
            load = self.importer._import_target
        else:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(self, lambda: load(fullname)))


class _AliasLoader:
    """Gives an original name the module it stands for while a view is active (no second copy)."""

    def __init__(self, view: _NameView, load: Callable[[], types.ModuleType]):
        self._view = view
        self._load = load

    def create_module(self, spec):
        module = self._load()
        self._spec = module.__spec__
        self._view.alias(spec.name, module)
        return module

    def exec_module(self, module):
        module.__spec__ = self._spec  # the import system set the alias spec: give the module its own back


# -- helpers -----------------------------------------------------------------


def _import_public_modules(package: str) -> None:
    """Import every public module of ``package`` (where a package patching torch looks for them)."""
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            importlib.import_module(info.name)


def _is_dotted_name(name: str) -> bool:
    return bool(name) and all(part.isidentifier() for part in name.split("."))


def _calc_package(globals: dict) -> str | None:
    """``__package__`` of the importing module (like importlib's _calc___package__)."""
    package = globals.get("__package__")
    if package is not None:
        return package
    spec = globals.get("__spec__")
    if spec is not None:
        return spec.parent
    name = globals.get("__name__")
    if name is None:
        return None
    if "__path__" not in globals:
        name = name.rpartition(".")[0]
    return name


def _find_top_level(name: str) -> tuple[str | None, list[str] | None] | None:
    """``(origin file or None for a namespace package, package dirs or None)`` of a
    top-level module, found without importing anything; None if not found.

    Uses ``PathFinder`` (``sys.path``) first, then other meta-path finders
    (e.g. editable installs) for the top-level name only.
    """
    spec = importlib.machinery.PathFinder.find_spec(name)
    if spec is None:
        for finder in sys.meta_path:
            if finder in (
                _WrappedModuleFinder,
                importlib.machinery.PathFinder,
                importlib.machinery.BuiltinImporter,
                importlib.machinery.FrozenImporter,
            ) or not hasattr(finder, "find_spec"):
                continue
            try:
                spec = finder.find_spec(name, None)
            except Exception:  # a foreign finder failing must not break the import
                spec = None
            if spec is not None:
                break
    if spec is None:
        return None
    locations = spec.submodule_search_locations
    locations = list(locations) if locations is not None else None
    if locations is not None and (spec.origin is None or not spec.has_location):
        return None, locations  # namespace package
    if not spec.has_location or not spec.origin:
        return None
    return spec.origin, locations


def _mentions_torch(top: str) -> bool:
    """Whether the source of top-level module/package ``top`` imports torch (cached)."""
    cached = _MENTIONS_TORCH_CACHE.get(top)
    if cached is not None:
        return cached
    found = _find_top_level(top)
    result = False
    if found is not None:
        origin, locations = found
        if locations is not None:
            result = any(_file_mentions_torch(p) for p in _iter_py_files(locations))
        elif origin is not None and origin.endswith(".py"):
            result = _file_mentions_torch(origin)
    _MENTIONS_TORCH_CACHE[top] = result
    return result


def _iter_py_files(directories: Iterable[str]):
    seen = set()
    for directory in directories:
        for root, dirs, files in os.walk(directory):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
            for file in sorted(files):
                if file.endswith(".py"):
                    path = os.path.join(root, file)
                    if path not in seen:
                        seen.add(path)
                        yield path


def _file_mentions_torch(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return _TORCH_IMPORT_RE.search(f.read()) is not None
    except OSError:
        return False


# In sys.meta_path from import on (not only once an importer is made), so that a finder that must
# see the wrapped modules' imports first (pt2r.torch._einops) can be put before it.
if _WrappedModuleFinder not in sys.meta_path:
    sys.meta_path.insert(0, _WrappedModuleFinder)
