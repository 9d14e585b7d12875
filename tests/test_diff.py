"""pt2r diff: two traces of the same model, of changed values, of changed structure; tolerances; bad files.

Traces are recorded in this process (torch is here); the CLI runs in a process in which importing
torch, TensorFlow or RETURNN raises, which proves the diff needs no framework.
"""

import json
import os
import shutil

import h5py
import numpy as np
import pytest
import torch

from phases import REPO, run_pt2r
from pt2r.diff import _numbers, diff_traces, tolerance_table
from pt2r.errors import TraceFormatError, UsageError
from pt2r.record import record
from pt2r.trace import TraceReader

NO_FRAMEWORK = ("tensorflow", "returnn", "torch")
X = np.random.RandomState(0).randn(2, 5, 7).astype("float32")

#: name -> (spec function in tests/specs/diffs.py, record keywords)
TRACES = {
    "base": ("conv_leaky", {}),
    "again": ("conv_leaky", {}),
    "seed": ("conv_leaky", {"seed": 1}),
    "inputs": ("conv_leaky", {"inputs": X + 0.01}),
    "tiny": ("conv_leaky", {"inputs": X + 1e-6}),
    "slope": ("conv_leaky_slope", {}),
    "extra_op": ("conv_leaky_extra_op", {}),
    "tanh": ("conv_tanh", {}),
    "wider": ("conv_wider", {}),
    "slope_01": ("functional_slope_01", {}),
    "slope_02": ("functional_slope_02", {}),
    "nested": ("nested", {}),
    "nested_renamed": ("nested_renamed", {}),
    "argmax": ("argmax", {}),
    "argmax_other": ("argmax", {"inputs": X + np.random.RandomState(1).randn(*X.shape).astype("float32")}),
}


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    root = tmp_path_factory.mktemp("diff")
    paths = {}
    for name, (func, kwargs) in TRACES.items():
        paths[name] = str(root / f"{name}.h5")
        record(os.path.join(REPO, "tests", "specs", f"diffs.py:{func}"), paths[name],
               **{"inputs": X, **kwargs})
    return paths


def pt2r_diff(*args):
    return run_pt2r("diff", *args, blocked=NO_FRAMEWORK)


def one_line(text):
    return " ".join(text.split())


def assert_clean_error(proc, *words):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    message = one_line(proc.stderr)
    for word in words:
        assert word in message, proc.stderr
    assert "Traceback" not in proc.stderr


# -- (1) the same model recorded twice ----------------------------------------------


def test_same_model_twice_is_equal(traces):
    diff = diff_traces(traces["base"], traces["again"])
    assert diff.equal and diff.structure_equal and diff.values_equal
    assert diff.structural == [] and diff.values == [] and diff.first_value_difference is None
    c = diff.counts
    assert c["calls_a"] == c["calls_b"] == c["calls_matched"] == 3
    # input, conv weight and bias, three call outputs, the final output: all the same blobs, none read
    assert c["tensors_compared"] == c["tensors_identical"] == 7
    assert diff.info["versions"]["torch"] == [torch.__version__] * 2


def test_cli_equal_exits_0_without_any_framework(traces):
    proc = pt2r_diff(traces["base"], traces["again"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = one_line(proc.stdout)
    assert "the traces are equal" in out and "7 identical" in out


# -- (2) changed values, same structure ------------------------------------------------


def test_other_seed_changes_weights_and_everything_after(traces):
    diff = diff_traces(traces["base"], traces["seed"])
    assert diff.structure_equal and not diff.values_equal and not diff.equal
    names = [d.name for d in diff.values]
    assert set(names) == {"module 'Sequential.0' param 'weight'", "module 'Sequential.0' param 'bias'",
                          "call 'Sequential/0' output 0", "call 'Sequential/1' output 0",
                          "call 'Sequential' output 0", "output 0"}
    # worst first, each well beyond tolerance; where the divergence starts: the first weight
    ratios = [d.times_tolerance for d in diff.values]
    assert ratios == sorted(ratios, reverse=True) and ratios[-1] > 100
    assert diff.first_value_difference.name == "module 'Sequential.0' param 'weight'"
    assert diff.counts["tensors_identical"] == 1  # the input
    assert diff.info["seeds"][1] == {"python": 1, "numpy": 1, "torch": 1}  # information, not a difference


def test_other_inputs_differ_from_the_input_on(traces):
    diff = diff_traces(traces["base"], traces["inputs"])
    assert diff.structure_equal and not diff.equal
    assert diff.first_value_difference.name == "input"
    assert diff.first_value_difference.max_abs == pytest.approx(0.01, rel=1e-3)
    assert {d.name for d in diff.values} >= {"input", "call 'Sequential/0' output 0", "output 0"}
    assert not any("param" in d.name for d in diff.values)  # same seed: same weights


def test_cli_names_the_differing_tensors(traces):
    proc = pt2r_diff(traces["base"], traces["seed"])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = one_line(proc.stdout)
    assert "the traces differ: 6 of 7 tensors differ beyond tolerance" in out
    assert "structural differences" not in out
    assert "first value difference (in call order): module 'Sequential.0' param 'weight'" in out
    assert "call 'Sequential/0' output 0 (2, 4, 5) float32" in out and "x tolerance" in out
    assert "seeds" in out  # the informational line says why


def test_cli_json_is_the_whole_diff(traces):
    proc = pt2r_diff(traces["base"], traces["seed"], "--json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["equal"] is False and data["structure_equal"] is True and data["structural"] == []
    assert len(data["values"]) == data["counts"]["tensors_beyond_tolerance"] == 6
    worst = data["values"][0]
    assert set(worst) >= {"name", "dtype", "shape", "max_abs", "max_rel", "atol", "rtol", "times_tolerance",
                          "worst_index", "value_a", "value_b"}
    assert data["tolerances"]["float32"] == {"atol": 1e-4, "rtol": 1e-3}
    assert data["info"]["versions"]["torch"][0] == data["info"]["versions"]["torch"][1]


# -- (3) changed structure ------------------------------------------------------------


def test_extra_op_is_an_added_call(traces):
    diff = diff_traces(traces["base"], traces["extra_op"])
    first = diff.structural[0]
    assert (first.category, first.where, first.b) == ("call added", "mul", "Tensor.mul")
    assert first.source_b[0].endswith("diffs.py")
    assert len(diff.structural) == 1
    assert diff.counts["calls_added"] == 1 and diff.counts["calls_matched"] == 3
    assert [d.name for d in diff.values] == ["output 0"]  # the calls both have are unchanged


def test_cli_names_the_first_structural_difference(traces):
    proc = pt2r_diff(traces["base"], traces["extra_op"])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = one_line(proc.stdout)
    assert "1 structural difference" in out
    assert "1. call added: call 'mul' (op Tensor.mul) is new in B" in out


def test_other_layer_changes_the_target(traces):
    diff = diff_traces(traces["base"], traces["tanh"])
    first = diff.structural[0]
    assert (first.category, first.where) == ("target", "Sequential/1")
    assert (first.a, first.b) == ("torch.nn.LeakyReLU", "torch.nn.Tanh")
    assert "module class" in [d.category for d in diff.structural]
    assert diff.first_value_difference.name == "call 'Sequential/1' output 0"


def test_changed_module_constant_is_an_attribute_difference(traces):
    diff = diff_traces(traces["base"], traces["slope"])
    assert [(d.category, d.where, d.a, d.b) for d in diff.structural] == [
        ("module attribute", "module 'Sequential.1'", 0.2, 0.3)]
    assert "'negative_slope' is 0.2 in A, 0.3 in B" in diff.structural[0].message
    assert diff.first_value_difference.name == "call 'Sequential/1' output 0"


def test_changed_argument_constant(traces):
    diff = diff_traces(traces["slope_01"], traces["slope_02"])
    assert [(d.category, d.where) for d in diff.structural] == [("arguments", "leaky_relu")]
    assert "keyword argument 'negative_slope' is 0.1 in A, 0.2 in B" in diff.structural[0].message


def test_shape_changes_name_the_parameter_first(traces):
    diff = diff_traces(traces["base"], traces["wider"])
    kinds = [(d.category, d.where) for d in diff.structural]
    assert kinds[:3] == [("module attribute", "module 'Sequential.0'"), ("param", "module 'Sequential.0'"),
                         ("param", "module 'Sequential.0'")]
    assert "param 'weight' is (4, 5, 3) float32 in A, (6, 5, 3) float32 in B" in diff.structural[1].message
    assert {("outputs", "Sequential/0"), ("inputs", "Sequential/1"), ("output", "output")} <= set(kinds)
    assert diff.values == [] and diff.counts["not_compared"] == 6  # tensors of other shapes: not compared


def test_renamed_module_is_one_difference(traces):
    diff = diff_traces(traces["nested"], traces["nested_renamed"])
    assert len(diff.structural) == 1
    d = diff.structural[0]
    assert (d.category, d.a, d.b) == ("call renamed", "Sequential/block", "Sequential/stage")
    assert "with 2 calls inside" in d.message
    assert diff.values_equal and diff.counts["calls_renamed"] == 3 and diff.counts["calls_matched"] == 5


# -- (4) tolerances ----------------------------------------------------------------------


def test_tiny_change_within_default_tolerance(traces):
    diff = diff_traces(traces["base"], traces["tiny"])
    assert diff.equal
    assert diff.counts["tensors_within_tolerance"] > 0 and 0 < diff.largest_within_tolerance < 1e-4


def test_atol_lets_a_small_change_pass(traces):
    assert not diff_traces(traces["base"], traces["inputs"]).equal
    assert diff_traces(traces["base"], traces["inputs"], tolerances={"float32": {"atol": 0.05}}).equal
    proc = pt2r_diff(traces["base"], traces["inputs"], "--atol", "0.05")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "within tolerance" in one_line(proc.stdout)
    proc = pt2r_diff(traces["base"], traces["tiny"], "--atol", "0", "--rtol", "0")
    assert proc.returncode == 1, proc.stdout + proc.stderr


def test_integers_must_be_equal_whatever_the_tolerance(traces):
    diff = diff_traces(traces["argmax"], traces["argmax_other"], tolerances={"float32": {"atol": 100.0}})
    assert [d.name for d in diff.values] == ["call 'argmax' output 0", "output 0"]
    assert diff.values[0].dtype == "int64" and diff.values[0].times_tolerance == float("inf")
    proc = pt2r_diff(traces["argmax"], traces["argmax_other"], "--atol", "100", "--json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)  # strict JSON: infinity is a string
    assert data["values"][0]["times_tolerance"] == "inf" and data["values"][0]["atol"] == 0.0


def test_tolerance_table():
    table = tolerance_table(atol=0.5)
    assert table["float32"] == {"atol": 0.5, "rtol": 1e-3} and table["float64"]["atol"] == 0.5
    assert tolerance_table(tolerances={"float32": {"rtol": 0.1}})["float32"] == {"atol": 1e-4, "rtol": 0.1}
    assert tolerance_table()["complex64"] == tolerance_table()["float32"]
    with pytest.raises(UsageError, match="finite number >= 0"):
        tolerance_table(atol=-1.0)


def test_bit_patterns_are_compared_as_numbers():
    codes = np.arange(256, dtype=np.uint8)
    for name in ("float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz"):
        expected = torch.from_numpy(codes.copy()).view(getattr(torch, name)).float().numpy()
        np.testing.assert_array_equal(_numbers(codes, name), expected, err_msg=name)
    bits = np.arange(0, 65536, 331, dtype=np.uint16)
    expected = torch.from_numpy(bits.view(np.int16).copy()).view(torch.bfloat16).float().numpy()
    np.testing.assert_array_equal(_numbers(bits, "bfloat16"), expected)
    pairs = _numbers(np.array([1 + 2j, 3 - 4j], dtype=np.complex64), "complex64")
    np.testing.assert_array_equal(pairs, [[1, 2], [3, -4]])


# -- (5) bad input ---------------------------------------------------------------------


def test_truncated_and_missing_traces(traces, tmp_path):
    data = open(traces["base"], "rb").read()
    cut = tmp_path / "cut.h5"
    cut.write_bytes(data[: len(data) // 2])
    assert_clean_error(pt2r_diff(traces["base"], str(cut)), "truncated or damaged", "cut.h5")
    assert_clean_error(pt2r_diff(str(tmp_path / "nope.h5"), traces["base"]), "does not exist", "nope.h5")
    with pytest.raises(TraceFormatError, match="truncated or damaged"):
        diff_traces(traces["base"], str(cut))


def test_damaged_blob_is_reported_when_read(traces, tmp_path):
    damaged = str(tmp_path / "damaged.h5")
    shutil.copy(traces["seed"], damaged)
    with TraceReader(damaged) as reader:
        call = next(c for c in reader.meta["calls"] if c["name"] == "Sequential/0")
        key = reader.meta["tensors"][call["params"]["weight"]["$t"]]["blob"]
    with h5py.File(damaged, "r+") as f:
        f["tensors"][key][0, 0, 0] += 1.0
    assert_clean_error(pt2r_diff(traces["base"], damaged), "does not match its checksum", key)


def test_bad_tolerance_option(traces):
    assert_clean_error(pt2r_diff(traces["base"], traces["again"], "--atol", "-1"), "finite number >= 0")
