"""The op tests: every case declared in ``tests/specs/ops/<family>.py`` (``@case``, see opcases.py),
recorded on PyTorch and replayed on RETURNN on each of its inputs, every call checked; test ids are
``family::function::input``. The family tests that fit no case stay in ``test_ops_<family>.py``.
"""

import glob
import json
import os

import numpy as np
import pytest
import torch

import pt2r.torch  # noqa: F401  (fills the registry)
from pt2r import calls
from pt2r.errors import UnsupportedOpError
from pt2r.inputs import resolve
from pt2r.record import DEFAULT_SEED, reset_seeds
from pt2r.record.values import tensors_in
from pt2r.replay.standalone import run_exported
from pt2r.spec import load_spec
from pt2r.torch.ops import random as random_ops, registry
from pt2r.trace import TraceReader
from roundtrip import OP_SPECS, assert_converts, convert, op_module, op_spec

#: names whose calls take their recorded output by design, never built: external inputs, random ops the
#: net cannot draw itself (with constant sizes they hold PyTorch's numbers), parameter initialisers (the
#: values come from the trace). A case declaring one asserts that it is called.
NEVER_BUILT = calls.EXTERNAL | calls.DISPATCHED_INITIALISERS | {
    name for name, builder in registry.OPS.items() if builder is random_ops.undrawn}
#: registered names no case can assert built, each with why
EXEMPT = {
    # torch.nn.utils.rnn's helpers are not recorded (torch computes them with its internal ops): the packed_*
    # cases of tests/specs/ops/recurrent.py use them, and their recurrent modules are built from them
    "torch.nn.utils.rnn.pack_padded_sequence": "not recorded",
    "torch.nn.utils.rnn.pad_packed_sequence": "not recorded",
    "torch.nn.utils.rnn.PackedSequence": "not recorded",
}


def collect():
    """{(family, function): Case} of every spec file, in file order."""
    cases = {}
    for path in sorted(glob.glob(os.path.join(OP_SPECS, "*.py"))):
        family = os.path.splitext(os.path.basename(path))[0]
        module = op_module(family)
        for name, func in vars(module).items():
            if getattr(func, "__module__", None) == module.__name__ and hasattr(func, "op_case"):
                cases[family, name] = func.op_case
    return cases


CASES = collect()


def params(refusals):
    return [pytest.param(family, func, inputs, id=f"{family}::{func}::{inputs.name}")
            for (family, func), case in CASES.items() if bool(case.refused) == refusals for inputs in case.on]


@pytest.mark.parametrize("family, func, inputs", params(refusals=False))
def test_op(family, func, inputs, tmp_path):
    case = CASES[family, func]
    result = assert_converts(op_spec(family, func), tmp_path, inputs.array(), inputs.input_spec)
    assert_built(result, case.ops, os.path.join(str(tmp_path), "trace.h5"))
    if isinstance(inputs.seq_lens, list):
        for lengths in case.other_lengths:
            assert_runs_on_other_lengths(result, op_spec(family, func), inputs, list(lengths), case)


@pytest.mark.parametrize("family, func, inputs", params(refusals=True))
def test_refused(family, func, inputs, tmp_path):
    with pytest.raises(UnsupportedOpError, match=CASES[family, func].refused):
        convert(op_spec(family, func), tmp_path, inputs.array(), inputs.input_spec)


def test_every_registered_name_is_exercised():
    """Each op, leaf module and alias of the registry is declared by a case (and so built when it runs)."""
    registered = set(registry.OPS) | set(registry.MODULES) | set(registry.ALIASES)
    declared = {name for case in CASES.values() if not case.refused for name in case.ops}
    assert not declared - registered, f"cases declare names the registry lacks: {sorted(declared - registered)}"
    missing = sorted(registered - declared - set(EXEMPT))
    assert not missing, f"{len(missing)} registered names no case exercises: {missing}"


def assert_built(result, ops, trace):
    """Each of ``ops`` was built as layers at least once: a call of it was checked, and built, not taken
    from the recording (an op on constants only takes its recorded output, and has no check). An op
    returning no tensor (a Python number, ``x[i] = v``'s None) has no check either: it was called."""
    built = {r.target for r in result.results if r.built}
    with TraceReader(trace) as reader:
        recorded = reader.meta["calls"]
    called = {c["target"] for c in recorded}
    no_tensor = called - {c["target"] for c in recorded if _has_tensor(c["output"])}
    if os.environ.get("PT2R_OP_CASES_DUMP"):  # what each case builds (for writing its declaration)
        with open(os.environ["PT2R_OP_CASES_DUMP"], "a") as f:
            f.write(json.dumps({"test": os.environ.get("PYTEST_CURRENT_TEST"), "built": sorted(built),
                                "no_tensor": sorted(no_tensor)}) + "\n")
    for name in ops:
        target = registry.ALIASES.get(name, name)
        assert target in called, f"the case declares {name}, but never calls it"
        assert target in built or target in no_tensor or target in NEVER_BUILT, \
            f"the case declares {name}, but no call of it was built as layers (each took its recorded output)"


def _has_tensor(value):
    if isinstance(value, dict):
        return "$t" in value or any(_has_tensor(v) for v in value.values())
    return isinstance(value, (list, tuple)) and any(_has_tensor(v) for v in value)


def assert_runs_on_other_lengths(result, spec, inputs, lengths, case):
    """The exported net, run on a batch of ``lengths`` (another batch size and length than recorded),
    computes what PyTorch computes there."""
    description = resolve(inputs.description)
    batch_axis, time_axis = description["batch_dim_axis"], description["time_dim_axis"]
    shape = list(inputs.shape)
    shape[batch_axis], shape[time_axis] = len(lengths), max(lengths)
    x = inputs.array(tuple(shape), seed=len(lengths) + max(lengths))
    outputs = run_exported(result.config_path, result.checkpoint_prefix, x, {time_axis: lengths})
    reset_seeds(DEFAULT_SEED)  # the parameters the record phase created
    with torch.set_grad_enabled(not case.no_grad):
        expected = load_spec(spec).call(None, torch.from_numpy(x), torch.tensor(lengths))
    expected = [t.detach().numpy() for t in tensors_in(expected)]
    assert len(outputs) == len(expected)
    for i, want in enumerate(expected):
        got = outputs["output" if i == 0 else f"output_{i}"]
        assert got.shape == want.shape
        if case.compared == "all":
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        elif case.compared == "valid":  # frames past a sequence's end are padding
            for row, n in enumerate(lengths):
                index = [slice(None)] * got.ndim
                index[batch_axis], index[time_axis] = row, slice(0, n)
                np.testing.assert_allclose(got[tuple(index)], want[tuple(index)], rtol=1e-5, atol=1e-5)
