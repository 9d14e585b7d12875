"""The ``torch`` that model code sees while it is recorded (DESIGN.md, step 2).

It is the real torch: every attribute and submodule is the real one, so
classes, ``isinstance`` and numerics are exactly PyTorch's. Calls and ops are
observed by `pt2r.record.tracer`, which intercepts module calls and torch
functions globally while a recording runs. Only what torch cannot report
through those hooks is wrapped here: ``torch.load`` (what the model consumed
from outside, so replay needs neither torch nor the checkpoint file) and
``torch.from_numpy``.
"""

import importlib
import importlib.abc
import importlib.machinery
import sys

import torch as _torch


def __getattr__(name):
    return getattr(_torch, name)


def __dir__():
    return dir(_torch)


def load(*args, **kwargs):
    from pt2r.record.tracer import record_external
    return record_external("torch.load", _torch.load, args, kwargs)


def from_numpy(*args, **kwargs):
    from pt2r.record.tracer import record_external
    return record_external("torch.from_numpy", _torch.from_numpy, args, kwargs)


class _RealSubmodules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes ``pt2r.record.traced_torch.X`` the real ``torch.X`` module object (no copy)."""

    prefix = __name__ + "."

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(self.prefix):
            return None
        real_name = "torch." + fullname[len(self.prefix):]
        if importlib.util.find_spec(real_name) is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, origin=real_name)

    def create_module(self, spec):
        real = importlib.import_module(spec.origin)
        self._real_spec = real.__spec__
        return real

    def exec_module(self, module):
        # The import system has set the alias spec on the real module; give it its own back.
        module.__spec__ = self._real_spec


import importlib.util  # noqa: E402  (used by the finder above)

# First: the path finder would otherwise load a second copy of torch.X.Y from torch.X.__path__.
sys.meta_path.insert(0, _RealSubmodules())
