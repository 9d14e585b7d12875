"""Record a model function on PyTorch, then replay it on RETURNN, in this process.

The op tests use this: one line per op, a tiny model function recorded and
replayed, its every call verified. (The phase boundaries are tested
separately, in subprocesses: see test_replay.py.)
"""

import importlib.util
import os

import numpy as np

from pt2r.record import record
from pt2r.replay import replay
from opcases import BATCH_MAJOR, TIME_MAJOR  # noqa: F401  (the tests' usual layouts)

TESTS = os.path.dirname(os.path.abspath(__file__))
OP_SPECS = os.path.join(TESTS, "specs", "ops")


def randn(*shape, seed=0, dtype="float32"):
    return np.random.RandomState(seed).randn(*shape).astype(dtype)


def convert(spec, tmp_path, inputs, input_spec=None, **replay_kwargs):
    """Record ``spec`` on ``inputs`` and replay the trace; returns the replay result."""
    trace = os.path.join(str(tmp_path), "trace.h5")
    record(spec, trace, inputs=inputs, input_spec=input_spec)
    return replay(trace, os.path.join(str(tmp_path), "out"), **replay_kwargs)


def assert_converts(spec, tmp_path, inputs, input_spec=None, **replay_kwargs):
    """Every call of ``spec`` on ``inputs`` matches PyTorch, and so does the exported net."""
    result = convert(spec, tmp_path, inputs, input_spec, **replay_kwargs)
    assert result.passed, result.summary["first_divergence"] or result.summary["standalone"]
    assert result.summary["checked_calls"] > 0
    return result


def assert_exported_follows(spec, result, inputs, lengths, tol=1e-4):
    """The exported net of ``result`` (the replay of model function ``spec``, a `ModelSpec`) on another
    padded batch ``inputs``, ``lengths`` along axis 1, equals the model function on PyTorch (with the
    parameters the record phase created) on the same batch."""
    import torch

    from pt2r.record import DEFAULT_SEED, reset_seeds
    from pt2r.replay.standalone import run_exported

    outputs = run_exported(result.config_path, result.checkpoint_prefix, inputs, {1: lengths})
    reset_seeds(DEFAULT_SEED)
    with torch.no_grad():
        expected = spec.func(None, torch.from_numpy(inputs)).numpy()
    assert outputs["output"].shape == expected.shape
    np.testing.assert_allclose(outputs["output"], expected, rtol=tol, atol=tol)


def op_spec(family, func):
    return f"{os.path.join(OP_SPECS, family)}.py:{func}"


_op_modules = {}


def op_module(family):
    """``tests/specs/ops/<family>.py``, imported (its cases and their inputs: see opcases.py)."""
    if family not in _op_modules:
        spec = importlib.util.spec_from_file_location(f"op_cases_{family}", os.path.join(OP_SPECS, f"{family}.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _op_modules[family] = module
    return _op_modules[family]
