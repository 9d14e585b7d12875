"""Custom converters (`pt2r.converters`): the user's own mapping for a module or function pt2r lacks.

The model (tests/thirdparty/custompkg) has a module using ``torch.special.erfcx``, which pt2r cannot
convert, and a plain function of the user's package. Converters come from the spec file
(tests/specs/custom_converter.py) or from converters files (tests/specs/converters/).
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from phases import REPO, run_pt2r, run_python
from roundtrip import convert

from pt2r import cli, converters
from pt2r.converters import ConverterError
from pt2r.errors import InternalError, UnsupportedOpError
from pt2r.record import DEFAULT_SEED, record, reset_seeds
from pt2r.replay import replay
from pt2r.replay.standalone import run_exported
from pt2r.spec import load_spec
from pt2r.trace import TraceReader

SPECS = os.path.join(REPO, "tests", "specs")
SPEC_FILE = os.path.join(SPECS, "custom_converter.py")  # the model, and converters for what pt2r lacks
SPEC = SPEC_FILE + ":model_func"
MODEL = os.path.join(SPECS, "custom_model.py:model_func")  # the same model, no converters
CONVERTERS = os.path.join(SPECS, "converters")
GATE = "custompkg.layers.GatedErfcx"
GELU = "custompkg.ops.fused_gelu"


def _converter_file(name):
    return os.path.join(CONVERTERS, f"{name}.py")


def _line_of(path, marker):
    with open(path, encoding="utf-8") as f:
        return next(i for i, line in enumerate(f, 1) if marker in line)


@pytest.fixture(scope="module")
def leaf_trace(tmp_path_factory):
    """The model recorded with GatedErfcx a leaf (``leaf_modules``), no converter named at record time."""
    path = str(tmp_path_factory.mktemp("converters") / "leaf.h5")
    record(MODEL, path, leaf_modules=[GATE])
    return path


@pytest.fixture(scope="module")
def plain_trace(tmp_path_factory):
    """The model recorded without converters: GatedErfcx's inside (torch.special.erfcx) is recorded."""
    path = str(tmp_path_factory.mktemp("converters") / "plain.h5")
    record(MODEL, path)
    return path


def _meta(trace):
    with TraceReader(trace) as reader:
        return reader.meta


def test_converters_in_the_spec_file_convert_what_pt2r_lacks(tmp_path):
    result = convert(SPEC, tmp_path, None)
    assert result.passed, result.summary["first_divergence"] or result.summary["standalone"]

    # recorded: the module as one leaf call, the function as one op call, nothing inside either
    meta = _meta(str(tmp_path / "trace.h5"))
    calls = meta["calls"]
    gate = next(i for i, c in enumerate(calls) if c["target"] == GATE)
    assert calls[gate]["kind"] == "module" and meta["modules"][calls[gate]["module"]]["leaf"]
    assert not [c for c in calls if c["parent"] == gate]
    assert [c["kind"] for c in calls if c["target"] == GELU] == ["op"]
    assert [c["target"] for c in calls].count("torch.tanh") == 1  # the Net's own, none from inside fused_gelu
    assert {"proj.weight", "proj.bias", "scale"} <= set(calls[gate]["params"])

    # replayed: checked like any call, listed as the user's
    checked = {r.target: r for r in result.results}
    assert checked[GATE].passed and checked[GELU].passed
    listed = {c["name"]: c for c in result.summary["user_converters"]}
    assert listed[GATE] == {"name": GATE, "file": SPEC_FILE, "line": _line_of(SPEC_FILE, f'converter("{GATE}")'),
                            "kind": "module", "calls": 1, "replaces_pt2r": False}
    assert (listed[GELU]["kind"], listed[GELU]["calls"]) == ("op", 1)
    report = json.load(open(tmp_path / "out" / "report.json"))
    assert report["summary"]["user_converters"] == result.summary["user_converters"]
    md = open(tmp_path / "out" / "report.md").read()
    assert f"user converter: `{GATE}` ({SPEC_FILE}:" in md and "1 module call" in md
    assert f"| {GATE} (user converter) |" in md
    html = open(tmp_path / "out" / "report.html").read()
    assert 'id="s-converter-0"><code>' + GATE in html

    # the exported net on a batch of other lengths computes what PyTorch computes there
    x = np.random.RandomState(1).randn(3, 9, 5).astype("float32")
    got = run_exported(result.config_path, result.checkpoint_prefix, x, {1: [9, 3, 6]})["output"]
    reset_seeds(DEFAULT_SEED)  # the parameters the record phase created
    with torch.no_grad():
        want = load_spec(MODEL).call(None, torch.from_numpy(x), None).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)

    # the user's wrapped class and function are as they were after the run
    for prefix in ("_pt2r_wrapped_pt2r_torch", "_pt2r_wrapped_pt2r_record_traced_torch"):
        layers, ops = sys.modules[f"{prefix}.custompkg.layers"], sys.modules[f"{prefix}.custompkg.ops"]
        assert "_pt2r_is_leaf" not in vars(layers.GatedErfcx) and "_pt2r_torch_name" not in vars(layers.GatedErfcx)
        assert ops.fused_gelu.__code__.co_filename == ops.__file__ and not vars(ops).get("__pt2r_routes__")


def test_a_leaf_module_without_converter_is_listed_as_unsupported(leaf_trace, tmp_path):
    with pytest.raises(UnsupportedOpError) as info:
        replay(leaf_trace, str(tmp_path / "out"))
    assert f"{GATE} (module, 1 call; first 'Net/gate'" in info.value.message
    assert "@pt2r.converter" in info.value.message


def test_converters_file_at_replay(leaf_trace, tmp_path):
    result = replay(leaf_trace, str(tmp_path / "out"), converters=[SPEC_FILE])
    assert result.passed, result.summary["first_divergence"]
    listed = {c["name"]: (c["kind"], c["calls"]) for c in result.summary["user_converters"]}
    assert listed == {GATE: ("module", 1), GELU: (None, 0)}  # fused_gelu was recorded with its inside


def test_a_wrong_converter_is_caught_by_verification(leaf_trace, tmp_path):
    result = replay(leaf_trace, str(tmp_path / "out"), converters=[_converter_file("wrong")])
    assert not result.passed
    gate = next(r for r in result.results if r.name == "Net/gate")
    assert gate.isolated and not gate.isolated["passed"]
    assert f"call 'Net/gate' (module {GATE})" in result.summary["first_divergence"]
    md = open(tmp_path / "out" / "report.md").read()
    assert any(line.startswith("| `Net/gate` |") and "**FAIL**" in line for line in md.splitlines())


def test_a_raising_converter_is_the_users_bug(leaf_trace, tmp_path):
    path = _converter_file("raising")
    with pytest.raises(ConverterError) as info:
        replay(leaf_trace, str(tmp_path / "out"), converters=[path])
    error = info.value
    assert error.exit_code == 2 and not isinstance(error, InternalError)
    assert f"converter of {GATE} at {path}:{_line_of(path, 'pt2r.converter')}" in error.message
    assert "KeyError" in error.message and "'Net/gate'" in error.message
    assert f'"{path}", line {_line_of(path, "RAISES")}' in error.detail  # the converter's traceback


def test_cli_exit_2_names_a_raising_converter(leaf_trace, tmp_path, capsys):
    path = _converter_file("raising")
    code = cli.main(["replay", leaf_trace, "-o", str(tmp_path / "out"), "--converters", path])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2, err
    assert "internal error" not in err and GATE in err and path in err
    assert "Traceback" in err and "RAISES KeyError" in err


def test_a_name_declared_twice_is_an_error(tmp_path):
    path = _converter_file("duplicate")
    with pytest.raises(ConverterError) as info:
        converters.load([path])
    assert f"{GATE} has two converters in {path}: at lines {_line_of(path, 'def first') - 1} and " \
           f"{_line_of(path, 'def second') - 1}" in info.value.message
    wrong = _converter_file("wrong")
    with pytest.raises(ConverterError) as info:
        converters.for_run(SPEC_FILE, [wrong])
    assert f"{GATE} has two converters" in info.value.message
    assert SPEC_FILE in info.value.message and wrong in info.value.message


def test_replacing_pt2r_own_converter_must_be_explicit(leaf_trace, tmp_path):
    with pytest.raises(ConverterError) as info:
        replay(leaf_trace, str(tmp_path / "own"), converters=[_converter_file("own")])
    assert "pt2r converts torch.tanh itself" in info.value.message and "replace=True" in info.value.message

    # replace=True; and a converter class (its forward runs on the model's module)
    result = replay(leaf_trace, str(tmp_path / "out"), converters=[_converter_file("replace")])
    assert result.passed, result.summary["first_divergence"]
    tanh_calls = [c["target"] for c in _meta(leaf_trace)["calls"]].count("torch.tanh")
    listed = {c["name"]: c for c in result.summary["user_converters"]}
    assert (listed["torch.tanh"]["calls"], listed["torch.tanh"]["replaces_pt2r"]) == (tanh_calls, True)
    assert listed[GATE]["calls"] == 1
    assert result.net_dict["Net"]["subnetwork"]["tanh"]["class"] == "eval"


def test_a_converter_for_a_module_recorded_with_its_inside(plain_trace, tmp_path):
    with pytest.raises(ConverterError) as info:
        replay(plain_trace, str(tmp_path / "out"), converters=[SPEC_FILE])
    assert "recorded without the converter" in info.value.message and "'Net/gate'" in info.value.message


def test_record_with_converters_file_on_the_command_line(tmp_path):
    """``pt2r record --converters``, in a process without TensorFlow; the replay with the same file."""
    trace = str(tmp_path / "trace.h5")
    proc = run_pt2r("record", MODEL, "--converters", SPEC_FILE, "-o", trace, blocked=("tensorflow", "returnn"))
    assert proc.returncode == 0, proc.stderr
    targets = [(c["kind"], c["target"]) for c in _meta(trace)["calls"]]
    assert ("module", GATE) in targets and ("op", GELU) in targets
    assert cli.main(["replay", trace, "-o", str(tmp_path / "out"), "--converters", SPEC_FILE]) == 0
    report = json.load(open(tmp_path / "out" / "report.json"))
    assert {(c["name"], c["calls"]) for c in report["summary"]["user_converters"]} == {(GATE, 1), (GELU, 1)}


def test_convert_hands_converters_and_leaf_modules_on(tmp_path, monkeypatch):
    commands = []

    class Replay:
        returncode = 0

        def __init__(self, cmd, **kwargs):
            commands.append(cmd)

        def communicate(self, text):
            pass

    monkeypatch.setattr(subprocess, "Popen", Replay)
    monkeypatch.setattr(subprocess, "call", lambda cmd: commands.append(cmd) or 0)
    assert cli.main(["convert", MODEL, "--converters", "a.py", "--converters", "b.py", "--leaf-module", "x.Y",
                     "-o", str(tmp_path)]) == 0
    replay_cmd, record_cmd = commands
    assert replay_cmd[-4:] == ["--converters", "a.py", "--converters", "b.py"]
    assert record_cmd[-6:] == ["--converters", "a.py", "--converters", "b.py", "--leaf-module", "x.Y"]


def test_declaring_a_converter_imports_no_framework():
    proc = run_python("import pt2r\n"
                      "@pt2r.converter('mypkg.layers.MyAttention')\n"
                      "def my_attention(module, x):\n"
                      "    return x\n"
                      "import sys; print(sorted(m for m in ('torch', 'tensorflow', 'returnn') if sys.modules.get(m)))",
                      blocked=("tensorflow", "returnn", "torch"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_a_converter_adds_a_torch_function_pt2r_lacks(plain_trace, tmp_path):
    result = replay(plain_trace, str(tmp_path / "out"), converters=[_converter_file("torch_op")])
    assert result.passed, result.summary["first_divergence"]
    listed = {c["name"]: (c["kind"], c["calls"]) for c in result.summary["user_converters"]}
    assert listed == {"torch.special.erfcx": ("op", 1)}
    # only for that replay: without the converter, the drop-in lacks it again
    with pytest.raises(UnsupportedOpError, match="torch.special.erfcx"):
        replay(plain_trace, str(tmp_path / "again"))


def test_the_python_api_takes_converters(tmp_path):
    from pt2r import verify_torch_and_convert_to_returnn
    from pt2r.spec import load_spec

    model = load_spec(MODEL)
    converted = verify_torch_and_convert_to_returnn(
        model.func, inputs=model.load_example_inputs(), inputs_data_kwargs=model.input_spec,
        converters=[SPEC_FILE], out_dir=str(tmp_path / "out"))
    assert {c["name"] for c in converted.result.summary["user_converters"]} == {GATE, GELU}


def test_a_class_imported_while_the_model_runs(tmp_path):
    """``custompkg.LazyNet`` imports its module on first use (as transformers does): the converted
    class is created during the run, after ``wrapped_import`` returned."""
    from pt2r.torch.nn.module import Module

    result = convert(os.path.join(SPECS, "custom_lazy.py:model_func"), tmp_path, None)
    assert result.passed, result.summary["first_divergence"]
    assert [(c["name"], c["calls"]) for c in result.summary["user_converters"]] == [("custompkg.lazy.LazyGate", 1)]
    assert "__init_subclass__" not in vars(Module)


def test_converters_from_a_module_on_the_python_path():
    sys.path.insert(0, os.path.join(REPO, "tests", "thirdparty"))
    try:
        found = converters.for_run(None, ["custompkg.converters"])
    finally:
        sys.path.remove(os.path.join(REPO, "tests", "thirdparty"))
    assert list(found) == ["custompkg.lazy.LazyGate"]
    path = os.path.join(REPO, "tests", "thirdparty", "custompkg", "converters.py")
    assert found["custompkg.lazy.LazyGate"].file == path
