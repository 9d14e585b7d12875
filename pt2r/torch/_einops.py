"""einops on the drop-in: a backend that makes einops accept the drop-in's tensors.

einops (``rearrange``, ``repeat``, ``reduce``, ``einsum``, ``pack``/``unpack``) finds the backend for
a tensor among the subclasses of its ``einops._backends.AbstractBackend`` whose ``framework_name`` is
in ``sys.modules``. Its ``TorchBackend`` checks ``isinstance(x, torch.Tensor)`` for the ``torch`` it
imported, so it serves the drop-in only in a copy of einops that imported pt2r's ``torch``: a
wrapped copy (einops mentions torch, so `wrapped_import` wraps it), not the normally imported einops
of a spec file or of a module without ``import torch`` (there, after a recording in the same
process, it is bound to the real torch: "Tensor type unknown to einops").

So every copy of ``einops._backends`` (the normal one and each wrapped one, loaded before or after
this module) gets `DropInBackend`, tried before ``TorchBackend``: einops' own ``TorchBackend``
methods with ``self.torch`` the drop-in. They run from einops' own source lines and call the same
torch ops in the same order as on PyTorch, so the trace names them as those torch ops
(``Tensor.reshape``, ``Tensor.permute``, ``Tensor.amax``, ``torch.einsum``, ...), and replay names,
builds and checks each the same way. The einops layers (``einops.layers.torch``: ``Rearrange``, ``Reduce``, ``EinMix``) are
``torch.nn.Module`` subclasses of a wrapped copy and need nothing from here.

Shapes are the one difference: einops caches the sizes it computes (an ``lru_cache`` keyed by the
input shape and the given axis lengths). A drop-in size is an int that carries its RETURNN dim
(`SizeValue`), equal to (and hashing like) any int of that value, so a cached result could hand
another tensor's (or an earlier network's) dims to this one. `DropInBackend.shape` returns an
unhashable `Size`: einops catches the ``TypeError`` and computes afresh.
"""

from __future__ import annotations

import importlib.abc
import inspect
import sys
import types
from typing import Any

from pt2r.torch._size import Size

#: attribute of an ``einops._backends`` module that holds its drop-in backend class
_MARK = "_pt2r_drop_in_backend"


class UncachedShape(Size):
    """A ``Size`` that cannot be hashed, so that einops does not cache results computed from it."""

    __hash__ = None  # type: ignore[assignment]


def install_into(backends: types.ModuleType) -> type:
    """Define `DropInBackend` in one copy of ``einops._backends`` (once); returns the class."""
    existing = backends.__dict__.get(_MARK)
    if existing is not None and issubclass(existing, backends.AbstractBackend):  # (a reload makes a new base)
        return existing

    class DropInBackend(backends.AbstractBackend):
        """einops' ``TorchBackend`` on pt2r's drop-in ``torch`` (see `pt2r.torch._einops`).

        A direct subclass of ``AbstractBackend``, with ``TorchBackend``'s methods copied in: einops
        tries the subclasses of a backend after the backend itself, and ``TorchBackend`` would take
        the drop-in's tensors in a copy of einops that imports pt2r's ``torch`` (with cached shapes).
        The latest direct subclass is tried first."""

        framework_name = "pt2r.torch"  # in sys.modules wherever a drop-in tensor exists

        def __init__(self):
            import pt2r.torch
            self.torch = pt2r.torch

        def is_appropriate_type(self, tensor: Any) -> bool:
            return isinstance(tensor, self.torch.Tensor)

        def shape(self, x: Any) -> UncachedShape:
            return UncachedShape(x.shape)

    for name, value in vars(backends.TorchBackend).items():
        if inspect.isfunction(value) and name not in vars(DropInBackend):
            setattr(DropInBackend, name, value)  # einops' own code: its ops run from einops' lines
    DropInBackend.__module__, DropInBackend.__qualname__ = backends.__name__, "DropInBackend"
    setattr(backends, _MARK, DropInBackend)
    return DropInBackend


def _is_einops_backends(name: str) -> bool:
    """``einops._backends`` or a wrapped copy of it (``_pt2r_wrapped_<target>.einops._backends``)."""
    return name == "einops._backends" or (name.startswith("_pt2r_wrapped_") and name.endswith(".einops._backends"))


class _Loader(importlib.abc.Loader):
    """The loader found for a copy of ``einops._backends``, followed by `install_into`."""

    def __init__(self, loader: Any):
        self._loader = loader

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self._loader.exec_module(module)
        install_into(sys.modules.get(module.__spec__.name, module))

    def __getattr__(self, name: str) -> Any:  # get_source, get_code, is_package, ...
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._loader, name)


class _Finder(importlib.abc.MetaPathFinder):
    """First in ``sys.meta_path``: asks the other finders for a copy of ``einops._backends`` and
    hands `install_into` the module once loaded (Python has no post-import hooks)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if not _is_einops_backends(fullname):
            return None
        for finder in list(sys.meta_path):
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Loader(spec.loader)
                return spec
        return None


def install() -> None:
    """Give every copy of ``einops._backends``, loaded or to come, the drop-in backend."""
    # the import wrapper's finder (which finds the wrapped copies) is in sys.meta_path once it is
    # imported; ours must come before it
    import pt2r.import_wrapper  # noqa: F401
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
    for name, module in list(sys.modules.items()):
        if module is not None and _is_einops_backends(name) and hasattr(module, "TorchBackend"):
            install_into(module)
