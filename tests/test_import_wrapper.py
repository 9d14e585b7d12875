"""Tests of pt2r.import_wrapper (wrapped_import)."""

from __future__ import annotations

import importlib
import inspect
import linecache
import os
import pickle
import subprocess
import sys
import textwrap
import traceback
import typing
import uuid
import warnings
from pathlib import Path

import pytest

from pt2r.errors import UsageError
from pt2r.import_wrapper import (
    DEFAULT_KEEP_AS_IS,
    WRAPPED_PREFIX,
    is_wrapped_module_name,
    make_wrapped_import,
    original_module_name,
    wrapped_module_prefix,
)

TESTS_DIR = Path(__file__).resolve().parent
REPO_DIR = TESTS_DIR.parent
THIRDPARTY_DIR = TESTS_DIR / "thirdparty"
FAKE = "_pt2r_wrapped_fake_torch"


@pytest.fixture
def fake_import():
    return make_wrapped_import("fake_torch")


@pytest.fixture
def make_pkg(tmp_path, monkeypatch):
    """Write a package (unique name) under tmp_path, put tmp_path on sys.path."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(stem: str, files: dict[str, str]) -> str:
        name = f"{stem}_{uuid.uuid4().hex[:8]}"
        for rel, text in files.items():
            path = tmp_path / name / rel if rel != "<module>" else tmp_path / f"{name}.py"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).replace("PKG", name))
        importlib.invalidate_caches()
        return name

    return make


def _run_python(code: str, *, forbidden: set[str]) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter where importing ``forbidden`` raises."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_DIR), str(THIRDPARTY_DIR)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        [sys.executable, "-c", _BLOCKER.format(forbidden=forbidden) + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(REPO_DIR),
        timeout=120,
    )


# Installed in subprocesses: any import of these top-level packages raises.
_BLOCKER = """
import sys

class _Blocker:
    forbidden = {forbidden!r}

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.forbidden:
            raise ImportError(f"forbidden import of {{name!r}} in this test")
        return None

sys.meta_path.insert(0, _Blocker())
"""


# -- toypkg with the fake target ---------------------------------------------


def test_toypkg_import_forms_resolve_to_target(fake_import):
    import fake_torch
    import fake_torch.nn.functional
    import fake_torch.nn.utils

    models = fake_import("toypkg.models")
    assert models.__name__ == "toypkg.models" and models.__spec__.name == f"{FAKE}.toypkg.models"
    assert sys.modules[f"{FAKE}.toypkg.models"] is models
    # import torch / from torch import nn / from torch.nn import Module / from torch.nn.utils import ...
    assert models.torch is fake_torch
    assert models.nn is fake_torch.nn
    assert models.Module is fake_torch.nn.Module
    assert models.weight_norm is fake_torch.nn.utils.weight_norm
    # absolute intra-package import (import toypkg.layers) gives the wrapped copies
    layers = sys.modules[f"{FAKE}.toypkg.layers"]
    assert models.toypkg is sys.modules[f"{FAKE}.toypkg"]
    assert models.toypkg.layers is layers
    # relative import (from .layers import ResidualBlock)
    assert models.ResidualBlock is layers.ResidualBlock
    # import torch / import torch.nn as nn / import torch.nn.functional as F
    assert layers.torch is fake_torch
    assert layers.nn is fake_torch.nn
    assert layers.F is fake_torch.nn.functional
    # the package and its __init__'s relative imports
    toypkg = fake_import("toypkg")
    assert toypkg is models.toypkg
    assert toypkg.ToyModel is models.ToyModel
    assert toypkg.layers is layers and toypkg.models is models
    # classes are built on the target's classes
    assert issubclass(models.ToyModel, fake_torch.nn.Module)
    assert issubclass(layers.Gate, fake_torch.nn.Module)
    # import inside a function body
    act = layers.get_activation("LeakyReLU", negative_slope=0.2)
    assert type(act) is fake_torch.nn.LeakyReLU and act.kwargs == {"negative_slope": 0.2}
    # the whole model builds from target classes (fake modules just record args)
    model = models.ToyModel()
    assert type(model.input_conv) is fake_torch.nn.Conv1d
    assert type(model.gate) is layers.Gate
    assert type(model.blocks) is fake_torch.nn.ModuleList
    conv = model.blocks[1].stack[1]
    assert type(conv) is fake_torch.nn.Conv1d and conv.kwargs == {"dilation": 2}
    assert type(model.blocks[0].stack[0]) is fake_torch.nn.LeakyReLU
    assert type(model.blocks[0].proj) is layers.FeatureProjection
    # weight_norm (imported by from-import) is the target's
    models.ToyModel(use_weight_norm=False)
    assert models.weight_norm(conv) is conv and conv.weight_normed


def test_wrapped_import_of_torch_gives_the_target(fake_import):
    import fake_torch
    import fake_torch.nn.functional

    assert fake_import("torch") is fake_torch
    assert fake_import("torch.nn") is fake_torch.nn
    assert fake_import("torch.nn.functional") is fake_torch.nn.functional


def test_wrapping_never_imports_real_torch_nor_the_original():
    proc = _run_python(
        """
        sys.modules["torch"] = None  # belt and braces
        from pt2r.import_wrapper import make_wrapped_import
        wrapped_import = make_wrapped_import("fake_torch")
        models = wrapped_import("toypkg.models")
        model = models.ToyModel()
        layers = sys.modules["_pt2r_wrapped_fake_torch.toypkg.layers"]
        assert layers.get_activation("GELU").__class__.__module__ == "fake_torch.nn"
        import fake_torch
        # loaded on demand by the wrapper (fake_torch.nn does not import them)
        assert layers.F is sys.modules["fake_torch.nn.functional"]
        assert models.weight_norm is sys.modules["fake_torch.nn.utils"].weight_norm
        assert models.torch is fake_torch
        assert "toypkg" not in sys.modules, "the original package was executed"
        assert not any(n.startswith("toypkg.") for n in sys.modules)
        assert sys.modules["torch"] is None
        assert not any(n.startswith("torch.") for n in sys.modules)
        print("OK")
        """,
        forbidden={"torch", "tensorflow", "returnn"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "OK"


def test_import_wrapper_imports_only_the_standard_library():
    proc = _run_python(
        """
        before = set(sys.modules)
        import pt2r.import_wrapper
        new = sorted(set(sys.modules) - before)
        bad = [n for n in new
               if n.partition(".")[0] not in sys.stdlib_module_names and n.partition(".")[0] != "pt2r"]
        assert not bad, bad
        print("OK")
        """,
        forbidden={"torch", "tensorflow", "returnn", "numpy", "h5py", "msgpack"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "OK"


# -- originals stay untouched ------------------------------------------------


def test_original_stays_untouched_and_uses_real_torch(fake_import):
    import torch

    import toypkg  # the normal import, before wrapping
    import toypkg.models

    before = {n: m for n, m in sys.modules.items() if n == "toypkg" or n.startswith("toypkg.")}
    wrapped = fake_import("toypkg.models")
    after = {n: m for n, m in sys.modules.items() if n == "toypkg" or n.startswith("toypkg.")}
    assert before == after
    import toypkg as again  # and after

    assert again is toypkg
    assert toypkg.models.torch is torch
    assert toypkg.layers.F is torch.nn.functional
    assert issubclass(toypkg.ToyModel, torch.nn.Module)
    assert wrapped is not toypkg.models
    assert wrapped.ToyModel is not toypkg.ToyModel
    assert wrapped.toypkg.layers.Gate is not toypkg.layers.Gate
    assert toypkg.__name__ == "toypkg" and toypkg.ToyModel.__module__ == "toypkg.models"
    assert wrapped.ToyModel.__module__ == "toypkg.models"  # as the package's own code expects


def test_two_targets_coexist(fake_import):
    import fake_torch
    import torch

    real_import = make_wrapped_import("torch")
    fake_models = fake_import("toypkg.models")
    real_models = real_import("toypkg.models")
    assert real_models.__spec__.name == "_pt2r_wrapped_torch.toypkg.models"
    assert fake_models.torch is fake_torch and real_models.torch is torch
    assert real_models.ToyModel is not fake_models.ToyModel
    assert issubclass(real_models.ToyModel, torch.nn.Module)
    assert issubclass(fake_models.ToyModel, fake_torch.nn.Module)
    assert real_import("torch") is torch and fake_import("torch") is fake_torch
    # both stay cached side by side
    assert fake_import("toypkg.models") is fake_models
    assert real_import("toypkg.models") is real_models


def test_same_output_as_original_with_real_torch_target():
    import torch

    import toypkg

    models = make_wrapped_import("torch")("toypkg.models")
    assert models.ToyModel is not toypkg.ToyModel
    torch.manual_seed(0)
    original = toypkg.ToyModel().eval()
    wrapped = models.ToyModel().eval()
    wrapped.load_state_dict(original.state_dict())
    x = torch.randn(2, 4, 11)
    with torch.no_grad():
        expected = original(x)
        got = wrapped(x)
    assert got.shape == (2, 3, 11)
    assert torch.equal(got, expected)


def test_weight_norm_path_with_real_torch_target():
    import torch

    import toypkg

    models = make_wrapped_import("torch")("toypkg.models")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.nn.utils.weight_norm is deprecated
        torch.manual_seed(1)
        original = toypkg.ToyModel(use_weight_norm=True)
        wrapped = models.ToyModel(use_weight_norm=True)
        wrapped.load_state_dict(original.state_dict())
        original.remove_weight_norm()
        wrapped.remove_weight_norm()
    x = torch.randn(1, 4, 7)
    with torch.no_grad():
        assert torch.equal(wrapped.eval()(x), original.eval()(x))


# -- every import form, in a generated package -------------------------------

_FORMS_INIT = '''\
"""Every import form, in one package."""
import os, json
import numpy
import numpy as np
import torch
import torch.nn
import torch.nn as nn
import torch.nn.functional as F
from torch import nn as nn2
from torch.nn import Module, functional as F2
from torch.nn.utils import weight_norm
from torch.nn.functional import *
import PKG.sub
from . import sub
from .sub import helper
from .inner import deep
from .inner.deep import DEEP_TORCH
import PLAIN
torch_via_dunder = __import__("torch")
import importlib
lazy_sub = importlib.import_module(".lazy_sub", __name__)  # lazy-loading packages do this
from . import circ_a
nn_via_dunder = __import__("torch.nn", fromlist=["Module"])

try:
    from torch.nn import DoesNotExist
except ImportError as exc:
    missing_name_error = exc

try:
    import torch.does_not_exist
except ImportError as exc:
    missing_module_error = exc


def lazy():
    import torch
    import torch.nn.functional as F3
    from torch.nn import utils
    from . import sub as s
    from .inner import deep as d
    import PKG.inner.deep
    return torch, F3, utils, s, d, PKG


def too_far():
    from ... import anything
'''

_FORMS_SUB = '''\
from torch import nn


def helper():
    return nn


def boom():
    x = 1
    raise ValueError("boom from wrapped code")
'''

_FORMS_INNER = '''\
from .. import sub as parent_sub
from ..sub import helper
from . import deep
'''

_FORMS_DEEP = '''\
import torch.nn.utils
DEEP_TORCH = torch
'''

_FORMS_LAZY_SUB = '''\
from __future__ import annotations

import dataclasses
import typing

from torch.nn import functional as F


@dataclasses.dataclass
class Config:
    channels: int = 8
    activation: typing.Optional[str] = None
'''

_FORMS_CIRC_A = "from . import circ_b\nA = 1\n"

_FORMS_CIRC_B = "from . import circ_a  # partially initialized: circular import\nB = 2\n"


@pytest.fixture
def forms(make_pkg, fake_import):
    plain = make_pkg("plainpkg", {"__init__.py": "import os\nVALUE = 42\n"})
    name = make_pkg(
        "formspkg",
        {
            "__init__.py": _FORMS_INIT.replace("PLAIN", plain),
            "sub.py": _FORMS_SUB,
            "inner/__init__.py": _FORMS_INNER,
            "inner/deep.py": _FORMS_DEEP,
            "lazy_sub.py": _FORMS_LAZY_SUB,
            "circ_a.py": _FORMS_CIRC_A,
            "circ_b.py": _FORMS_CIRC_B,
        },
    )
    return name, plain, fake_import(name)


def test_every_import_form(forms, fake_import):
    import fake_torch
    import fake_torch.nn.functional
    import fake_torch.nn.utils

    name, _, mod = forms
    W = f"{FAKE}.{name}"
    assert mod.__name__ == name and mod.__spec__.name == W
    assert mod.torch is fake_torch  # import torch / import torch.nn binds the target package
    assert mod.nn is fake_torch.nn and mod.nn2 is fake_torch.nn
    assert mod.F is fake_torch.nn.functional and mod.F2 is fake_torch.nn.functional
    assert mod.Module is fake_torch.nn.Module
    assert mod.weight_norm is fake_torch.nn.utils.weight_norm
    assert mod.pad is fake_torch.nn.functional.pad  # from torch.nn.functional import *
    assert mod.torch_via_dunder is fake_torch and mod.nn_via_dunder is fake_torch.nn
    assert mod.sub is sys.modules[f"{W}.sub"]
    assert mod.helper is mod.sub.helper and mod.helper() is fake_torch.nn
    assert mod.deep is sys.modules[f"{W}.inner.deep"]
    assert mod.DEEP_TORCH is fake_torch
    inner = sys.modules[f"{W}.inner"]
    assert inner.parent_sub is mod.sub and inner.helper is mod.sub.helper
    assert mod.inner is inner and inner.deep is mod.deep
    # imports inside a function body
    torch_, F3, utils, s, d, top = mod.lazy()
    assert torch_ is fake_torch and F3 is fake_torch.nn.functional
    assert utils is fake_torch.nn.utils
    assert s is mod.sub and d is mod.deep and top is mod
    # importlib.import_module with a relative name inside wrapped code
    assert mod.lazy_sub is sys.modules[f"{W}.lazy_sub"]
    assert mod.lazy_sub.F is fake_torch.nn.functional
    # dataclasses / typing resolve the wrapped module through sys.modules[__module__]: while active
    assert mod.lazy_sub.Config(channels=4).channels == 4
    with fake_import.active():
        assert typing.get_type_hints(mod.lazy_sub.Config)["channels"] is int
    # circular imports see the partially initialized wrapped module
    assert mod.circ_a.circ_b.circ_a is mod.circ_a and mod.circ_a.A == 1
    # relative import beyond the top-level package
    with pytest.raises(ImportError, match="beyond top-level package"):
        mod.too_far()


def test_missing_names_keep_python_semantics(forms, fake_import):
    name, _, mod = forms
    assert isinstance(mod.missing_name_error, ImportError)
    assert "DoesNotExist" in str(mod.missing_name_error)
    assert isinstance(mod.missing_module_error, ModuleNotFoundError)
    assert "torch.does_not_exist" in str(mod.missing_module_error)
    assert "fake_torch.does_not_exist" in str(mod.missing_module_error)
    with pytest.raises(ModuleNotFoundError, match=f"{name}.nope") as info:
        fake_import(f"{name}.nope")
    assert info.value.name == f"{name}.nope"
    with pytest.raises(ModuleNotFoundError, match="toypkg.nope"):
        fake_import("toypkg.nope")
    with pytest.raises(ModuleNotFoundError, match="torch.nope"):
        fake_import("torch.nope")
    with pytest.raises(ModuleNotFoundError, match="no_such_package_xyz"):
        fake_import("no_such_package_xyz")
    for bad in ["", ".relative", "a..b", 3, None]:
        with pytest.raises(UsageError):
            fake_import(bad)
    with pytest.raises(UsageError):
        make_wrapped_import("not a name")


def test_packages_without_torch_stdlib_and_keep_as_is_are_imported_normally(forms, fake_import):
    import json
    import os as os_module

    import numpy

    name, plain, mod = forms
    plain_mod = sys.modules[plain]
    assert getattr(mod, plain) is plain_mod  # `import plainpkg_xxx` inside wrapped code
    assert plain_mod.__name__ == plain
    assert f"{FAKE}.{plain}" not in sys.modules
    assert fake_import(plain) is plain_mod
    assert mod.os is os_module and mod.json is json
    assert mod.numpy is numpy and mod.np is numpy
    assert fake_import("json") is json and fake_import("numpy") is numpy
    assert "numpy" in DEFAULT_KEEP_AS_IS and "returnn" in DEFAULT_KEEP_AS_IS
    assert fake_import.would_wrap("toypkg")
    assert not fake_import.would_wrap(plain)
    assert not fake_import.would_wrap("numpy") and not fake_import.would_wrap("pt2r")


def test_keep_as_is_overrides_torch_mention(make_pkg):
    # mentions torch (the scan says "wrap"), but never imports it at run time
    source = "if False:\n    import torch\nVALUE = 1\n"
    name = make_pkg("keptpkg", {"__init__.py": source})
    single = make_pkg("singlemod", {"<module>": source})
    wrapped = make_wrapped_import("fake_torch")
    assert wrapped(name).__spec__.name == f"{FAKE}.{name}"
    assert wrapped(single).__spec__.name == f"{FAKE}.{single}"  # a single-file module is wrapped too
    kept = make_wrapped_import("fake_torch", keep_as_is=[name, single])
    assert kept(name) is importlib.import_module(name)
    assert kept(single) is importlib.import_module(single)


# -- source locations ----------------------------------------------------------


def test_tracebacks_and_inspect_show_the_original_file(forms):
    name, _, mod = forms
    sub = mod.sub
    assert name not in sys.modules  # the original was never imported
    expected_file = os.path.join(os.path.dirname(mod.__file__), "sub.py")
    assert sub.__file__ == expected_file
    assert not expected_file.startswith(FAKE) and os.path.exists(expected_file)
    with pytest.raises(ValueError) as info:
        sub.boom()
    frame = traceback.extract_tb(info.value.__traceback__)[-1]
    assert frame.filename == expected_file
    assert frame.lineno == 10
    assert frame.name == "boom"
    assert frame.line == 'raise ValueError("boom from wrapped code")'
    assert linecache.getline(expected_file, 10).strip() == frame.line


def test_inspect_finds_the_source_of_wrapped_classes(fake_import):
    models = fake_import("toypkg.models")
    expected = str(THIRDPARTY_DIR / "toypkg" / "models.py")
    assert models.__file__ == expected
    assert inspect.getsourcefile(models.ToyModel) == expected
    lines, lineno = inspect.getsourcelines(models.ToyModel)
    assert lines[0].startswith("class ToyModel(Module):")
    assert Path(expected).read_text().splitlines()[lineno - 1] == lines[0].rstrip("\n")
    assert models.ToyModel.forward.__code__.co_filename == expected


# -- names and registration ---------------------------------------------------


def test_wrapped_names_and_pickle(fake_import):
    models = fake_import("toypkg.models")
    assert wrapped_module_prefix("pt2r.torch") == "_pt2r_wrapped_pt2r_torch"
    assert WRAPPED_PREFIX == "_pt2r_wrapped_"
    assert fake_import.wrapped_name("toypkg.models") == models.__spec__.name
    assert is_wrapped_module_name(models.__spec__.name) and not is_wrapped_module_name("toypkg.models")
    assert original_module_name(models.ToyModel.__module__) == "toypkg.models"
    assert original_module_name("toypkg.models") == "toypkg.models"
    assert models.__package__ == f"{FAKE}.toypkg"
    assert sys.modules[FAKE].toypkg is sys.modules[f"{FAKE}.toypkg"]
    # while the importer is active, classes of wrapped modules pickle by reference to the wrapped module
    with fake_import.active():
        assert pickle.loads(pickle.dumps(models.ToyModel)) is models.ToyModel


# -- the name view: wrapped copies are the modules of their own names while active --------------------


def test_active_view_gives_wrapped_copies_their_original_names(fake_import):
    import toypkg  # the normal import
    import toypkg.models

    models = fake_import("toypkg.models")
    assert sys.modules["toypkg.models"] is toypkg.models  # inactive: the normal modules
    with fake_import.active():
        # what packages introspect: sys.modules by __module__, absolute import_module, find_spec
        assert sys.modules[models.ToyModel.__module__] is models
        assert importlib.import_module("toypkg.layers") is models.toypkg.layers
        assert importlib.util.find_spec("toypkg.models") is models.__spec__
        with fake_import.active():  # nested: unchanged
            assert sys.modules["toypkg"] is models.toypkg
    assert sys.modules["toypkg.models"] is toypkg.models and sys.modules["toypkg"] is toypkg


def test_a_module_replacing_itself_in_sys_modules_is_the_wrapped_copy(make_pkg, fake_import):
    # lazy-loading packages (transformers) do ``sys.modules[__name__] = _LazyModule(__name__, ...)``
    source = ("import sys, types, importlib\nimport torch\n"
              "class Lazy(types.ModuleType):\n"
              "    def __getattr__(self, name):\n"
              "        if name != 'sub':\n"
              "            raise AttributeError(name)\n"
              "        return importlib.import_module('.' + name, self.__name__)\n"
              "lazy = Lazy(__name__)\nlazy.__path__ = __path__\nlazy.__spec__ = __spec__\nlazy.TORCH = torch\n"
              "sys.modules[__name__] = lazy\n")
    name = make_pkg("lazypkg", {"__init__.py": source, "sub.py": "import torch\nVALUE = torch\n"})
    import fake_torch

    with fake_import.active():
        pkg = fake_import(name)
        assert type(pkg).__name__ == "Lazy" and pkg.TORCH is fake_torch
        assert pkg.sub.VALUE is fake_torch and pkg.sub.__spec__.name == f"{FAKE}.{name}.sub"
    assert name not in sys.modules and f"{name}.sub" not in sys.modules  # nothing left under original names
    assert fake_import(name) is pkg


def test_stands_for_torch_makes_torch_the_target_while_active(make_pkg):
    import fake_torch

    name = make_pkg("probepkg", {"__init__.py": "import importlib.util\nimport torch\n"
                                                "def probe():\n    return importlib.util.find_spec('torch')\n"})
    wrapped = make_wrapped_import("fake_torch", stands_for_torch=True)
    before = sys.modules.get("torch")
    with wrapped.active():
        mod = wrapped(name)
        assert sys.modules["torch"] is fake_torch and mod.probe() is fake_torch.__spec__
        assert importlib.import_module("torch.nn") is fake_torch.nn
    assert sys.modules.get("torch") is before


def test_torch_own_dependencies_are_never_wrapped():
    """Real torch loads modules lazily while a traced run is active (``torch.utils._cxx_pytree``
    imports optree): its dependencies must be the normal modules, not wrapped copies."""
    metadata = pytest.importorskip("importlib.metadata")
    try:
        requirements = metadata.requires("torch") or []
    except metadata.PackageNotFoundError:
        pytest.skip("torch is not installed")
    importer = make_wrapped_import("fake_torch")
    for requirement in requirements:
        distribution = requirement.split(";")[0].split(">")[0].split("=")[0].split("<")[0].strip()
        for top in (metadata.distribution(distribution).read_text("top_level.txt") or distribution).split():
            module = top.replace("-", "_")
            if importlib.util.find_spec(module) is not None:
                assert not importer.would_wrap(module), module
