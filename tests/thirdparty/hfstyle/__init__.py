"""hfstyle: a tiny package written the way Hugging Face transformers is, for pt2r's tests.

It does what real packages do to torch and to themselves, each of which once made a traced run
differ from the plain one, or the replay fail:

* a lazy top-level module that replaces itself in ``sys.modules`` and imports its submodules with
  ``importlib.import_module("." + name, self.__name__)``;
* availability checks through ``importlib.util.find_spec("torch")`` and platform probes
  (``torch.cuda.is_available()``, ``torch.compiler.is_compiling()``, ``hasattr(torch, ...)``);
* classes told apart by ``cls.__module__.startswith("hfstyle.")``;
* initialisers patched through ``sys.modules["torch.nn.init"]`` while a model is built, and
  tensors tagged so that they are not initialised twice;
* names imported at the top and never used for inference (``CrossEntropyLoss``,
  ``torch.utils.checkpoint``), ``torch.finfo``, a bare ``@torch.no_grad``.
"""

import importlib
import importlib.util
import sys
import types

TORCH_AVAILABLE = importlib.util.find_spec("torch") is not None


class _LazyModule(types.ModuleType):
    _attributes = {"Model": "modeling", "Config": "modeling", "initialization": "initialization"}

    def __getattr__(self, name):
        if name not in self._attributes:
            raise AttributeError(name)
        module = importlib.import_module("." + self._attributes[name], self.__name__)
        return module if name == self._attributes[name] else getattr(module, name)


_lazy = _LazyModule(__name__)
_lazy.__dict__.update({k: v for k, v in globals().items() if k.startswith("__")})
_lazy.TORCH_AVAILABLE = TORCH_AVAILABLE
sys.modules[__name__] = _lazy
