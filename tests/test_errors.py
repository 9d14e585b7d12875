"""Errors are classified right: bad input (exit 2) vs a bug in pt2r (exit 3), and probing works.

An op builder that fails with an unexpected exception is a bug in pt2r: `InternalError`, exit 3,
naming the op, the call and the user's line and asking for a report. A builder refusing valid torch
usage says so with `UnsupportedOpError` (exit 2). A missing attribute of the drop-in is an
``AttributeError`` (``hasattr(torch, "compiler")`` is False), and still "unsupported" when used.
"""

import functools
import json
import sys
import textwrap

import pytest

from pt2r import cli
from pt2r.errors import (
    REPORT_BUG, InternalError, ModelError, Pt2rError, UnsupportedAttributeError, UnsupportedImportError,
    UnsupportedOpError)
from pt2r.record import record
from pt2r.replay import replay
from roundtrip import op_spec, randn

ACTIVATION = op_spec("activation", "leaky_relu").rpartition(":")[0]


def _line_of(path, text):
    with open(path) as f:
        return next(i for i, line in enumerate(f, 1) if text in line)


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    """Traces of an op call (F.leaky_relu), a leaf module call (nn.LeakyReLU) and an unsupported usage."""
    folder = tmp_path_factory.mktemp("traces")
    paths = {}
    for name, spec in [("op", op_spec("activation", "leaky_relu_functional")), ("module", op_spec("activation", "leaky_relu")),
                       ("where", op_spec("elementwise", "unsupported_where"))]:
        paths[name] = str(folder / f"{name}.h5")
        record(spec, paths[name], inputs=randn(2, 5, 7))
    return paths


def _raising(exc):
    def builder(*args, **kwargs):
        raise exc
    return builder


# -- what a builder raises becomes the right error, located ------------------------------------------


@pytest.mark.parametrize("raised, expected", [
    (ZeroDivisionError("division by zero"), InternalError),
    (KeyError("weight"), InternalError),
    (ValueError("a value pt2r did not expect"), InternalError),
    (UnsupportedOpError("frobnicating is not supported"), UnsupportedOpError),
    (ModelError("dim 7 is out of range for a 3-d tensor"), ModelError),  # torch refuses it too
    (ValueError("frobnicating is not supported"), InternalError),  # whatever its text: builders say UnsupportedOpError
], ids=lambda v: type(v).__name__ if isinstance(v, Exception) else v.__name__)
def test_a_failing_op_builder_is_classified_and_located(traces, tmp_path, raised, expected):
    with pytest.raises(Pt2rError) as info:
        replay(traces["op"], str(tmp_path / "out"),
               override={"torch.nn.functional.leaky_relu": _raising(raised)})
    error = info.value
    assert type(error) is expected
    message = error.message
    assert "torch.nn.functional.leaky_relu" in message and "'leaky_relu'" in message  # the op and the call
    assert f"activation.py:{_line_of(ACTIVATION, 'functional.leaky_relu(x, 0.1)')}" in message  # the user's line
    if expected is InternalError:
        assert error.exit_code == 3
        assert "report" in message and REPORT_BUG in message and type(raised).__name__ in message
        assert error.__cause__ is raised and type(raised).__name__ in error.detail  # the traceback is kept
    else:
        assert error.exit_code == 2 and "report" not in message
        assert str(raised).strip("'") in message


def test_a_failing_leaf_module_builder_is_an_internal_error(traces, tmp_path):
    def broken(module, x):
        return {}["no such key"]

    with pytest.raises(InternalError) as info:
        replay(traces["module"], str(tmp_path / "out"), override={"torch.nn.LeakyReLU": broken})
    message = info.value.message
    assert "torch.nn.LeakyReLU" in message and "'LeakyReLU'" in message and "KeyError" in message
    assert f"activation.py:{_line_of(ACTIVATION, 'LeakyReLU(0.2)(x)')}" in message
    assert "report" in message and info.value.exit_code == 3


def test_a_value_error_saying_not_supported_is_an_internal_error(traces, tmp_path):
    """No more reading "not supported" in a ValueError as unsupported usage: only the type counts."""
    def refusing(module, x):
        raise ValueError("frobnicating is not supported")

    for trace, override in [(traces["op"], {"torch.nn.functional.leaky_relu": _raising(ValueError("x not supported"))}),
                            (traces["module"], {"torch.nn.LeakyReLU": refusing})]:
        with pytest.raises(Pt2rError) as info:
            replay(trace, str(tmp_path / "out"), override=override)
        assert type(info.value) is InternalError and info.value.exit_code == 3
        assert isinstance(info.value.__cause__, ValueError)


def test_unsupported_usage_is_an_unsupported_op_error(traces, tmp_path):
    with pytest.raises(UnsupportedOpError) as info:
        replay(traces["where"], str(tmp_path / "out"))
    assert not isinstance(info.value, InternalError)
    spec_file = op_spec("elementwise", "unsupported_where").rpartition(":")[0]
    assert r"torch.where(condition)" in info.value.message and "not supported" in info.value.message
    assert f"elementwise.py:{_line_of(spec_file, 'torch.where(x > 0)')}" in info.value.message


# -- exit codes of the command line ------------------------------------------------------------------


def test_cli_exits_3_for_an_internal_error_and_asks_for_a_report(traces, tmp_path, monkeypatch, capsys):
    replay_module = sys.modules["pt2r.replay"]
    planted = functools.partial(replay_module.replay,
                                override={"torch.nn.functional.leaky_relu": _raising(ZeroDivisionError("boom"))})
    monkeypatch.setattr(replay_module, "replay", planted)
    code = cli.main(["replay", traces["op"], "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "internal error:" in err and "report" in err and "ZeroDivisionError: boom" in err
    assert "Traceback" in err  # pt2r's traceback, for the report


def test_cli_exits_2_for_an_unsupported_usage(traces, tmp_path, capsys):
    code = cli.main(["replay", traces["where"], "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "error:" in err and "not supported" in err and "internal error" not in err and "report" not in err


def test_cli_exits_3_for_any_other_exception_with_the_same_request(monkeypatch, capsys):
    def broken(args):
        raise RuntimeError("planted")

    monkeypatch.setattr(cli, "cmd_inspect", broken)
    assert cli.main(["inspect", "whatever.h5"]) == 3
    err = " ".join(capsys.readouterr().err.split())
    assert "internal error:" in err and "RuntimeError: planted" in err and " ".join(REPORT_BUG.split()) in err


# -- probing the drop-in: missing attributes are AttributeErrors -------------------------------------


def test_probing_the_drop_in_outside_a_replay():
    import pt2r.torch as torch
    from pt2r.torch._tensor import Tensor

    assert not hasattr(torch, "no_such_thing")
    assert getattr(torch.nn.functional, "no_such_function", None) is None
    for namespace in (torch.nn, torch.nn.functional, torch.nn.init, torch.nn.utils, torch.linalg, torch.special):
        assert not hasattr(namespace, "no_such_thing"), namespace
    assert not hasattr(Tensor([], torch.float32), "no_such_attribute")
    assert torch.__version__ == "2.13.0"
    from packaging.version import parse
    assert parse(torch.__version__) >= parse("2.0")

    with pytest.raises(UnsupportedAttributeError) as info:
        torch.no_such_thing  # noqa: B018
    assert isinstance(info.value, AttributeError) and isinstance(info.value, UnsupportedOpError)
    assert "torch.no_such_thing is not supported" in info.value.message
    assert f"test_errors.py:{info.tb.tb_lineno}" in info.value.message
    with pytest.raises(UnsupportedImportError) as info:
        from pt2r.torch.nn.functional import no_such_function  # noqa: F401
    assert isinstance(info.value, ImportError) and info.value.exit_code == 2
    assert "torch.nn.functional.no_such_function is not supported" in info.value.message


def test_the_record_sides_torch_raises_plain_attribute_errors():
    import pt2r.record.traced_torch as traced

    assert not hasattr(traced, "no_such_thing")
    assert hasattr(traced, "nn") and traced.__version__.startswith("2.13")
    with pytest.raises(AttributeError) as info:
        traced.no_such_thing  # noqa: B018
    assert not isinstance(info.value, Pt2rError)


PACKAGE = '''
import json
import os

import torch
import torch.nn.functional as F


def probe(x):
    found = {"torch.no_such_thing": hasattr(torch, "no_such_thing"),
             "F.no_such_function": getattr(F, "no_such_function", None) is not None,
             "x.no_such_attribute": hasattr(x, "no_such_attribute"),
             "x.names": hasattr(x, "names"),
             "x.layout": hasattr(x, "layout"),
             "torch.__version__": torch.__version__}
    try:
        from torch.nn.functional import no_such_function  # noqa: F401
        found["import"] = True
    except ImportError:
        found["import"] = False
    with open(os.environ["PT2R_TEST_PROBES"], "a") as f:
        f.write(json.dumps({"tensor": type(x).__module__, "found": found}) + "\\n")
    return F.leaky_relu(x, 0.1)


def use_distributions(x):
    y = F.leaky_relu(x, 0.1)
    noise = torch.distributions.Normal(0.0, 1.0)  # USES DISTRIBUTIONS
    return y if noise else None


def use_storage_offset(x):
    y = F.leaky_relu(x, 0.1)
    return y + x.storage_offset()  # USES STORAGE_OFFSET
'''

SPEC = '''
def model(wrapped_import, inputs):
    if wrapped_import:
        package = wrapped_import("pt2r_errors_probepkg")
    else:
        import pt2r_errors_probepkg as package
    return getattr(package, FUNC)(inputs)
'''


@pytest.fixture(scope="module")
def probe_package(tmp_path_factory):
    """A model package (wrapped like third-party code), one file for the whole module (imports are cached)."""
    folder = tmp_path_factory.mktemp("pkg")
    (folder / "pt2r_errors_probepkg").mkdir()
    (folder / "pt2r_errors_probepkg" / "__init__.py").write_text(textwrap.dedent(PACKAGE))
    sys.path.insert(0, str(folder))
    yield str(folder / "pt2r_errors_probepkg" / "__init__.py")
    sys.path.remove(str(folder))


@pytest.fixture
def probe_spec(probe_package, tmp_path, monkeypatch):
    """A spec running the package's function ``func``."""
    monkeypatch.setenv("PT2R_TEST_PROBES", str(tmp_path / "probes.jsonl"))

    def spec(func):
        path = tmp_path / f"probe_{func}.py"
        path.write_text(f"FUNC = {func!r}\n" + SPEC)
        return f"{path}:model"
    spec.package_file = probe_package
    spec.probes = tmp_path / "probes.jsonl"
    return spec


def _convert(spec, tmp_path):
    trace = str(tmp_path / "trace.h5")
    record(spec, trace, inputs=randn(2, 5, 7))
    return replay(trace, str(tmp_path / "out"))


def test_probing_inside_a_replay_sees_what_is_missing(probe_spec, tmp_path):
    result = _convert(probe_spec("probe"), tmp_path)
    assert result.passed
    runs = [json.loads(line) for line in probe_spec.probes.read_text().splitlines()]
    on_torch = [r["found"] for r in runs if r["tensor"] == "torch"]
    on_drop_in = [r["found"] for r in runs if r["tensor"].startswith("pt2r.torch")]
    assert on_torch and on_drop_in, runs
    assert on_torch[0]["x.layout"] is True  # the probe means something: torch has it, the drop-in not
    expected = {"torch.no_such_thing": False, "F.no_such_function": False, "x.no_such_attribute": False,
                "x.names": False, "x.layout": False, "torch.__version__": "2.13.0", "import": False}
    assert on_drop_in == [expected]


@pytest.mark.parametrize("func, what, marker", [
    ("use_distributions", "torch.distributions.Normal", "USES DISTRIBUTIONS"),
    ("use_storage_offset", "Tensor.storage_offset", "USES STORAGE_OFFSET"),
])
def test_using_what_is_missing_names_it_and_the_users_line(probe_spec, tmp_path, func, what, marker):
    with pytest.raises(UnsupportedOpError) as info:
        _convert(probe_spec(func), tmp_path)
    message = info.value.message
    assert f"{what} is not supported" in message and info.value.exit_code == 2
    assert f"{probe_spec.package_file}:{_line_of(probe_spec.package_file, marker)}" in message
