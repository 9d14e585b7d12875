"""The command line: record and inspect across the phase boundary, exit codes and messages."""

import json
import os
import signal
import subprocess
import sys

import pytest

from phases import REPO, run_pt2r, run_python

SPECS = os.path.join(REPO, "tests", "specs")
NO_TF = ("tensorflow", "returnn")
NO_FRAMEWORK = ("tensorflow", "returnn", "torch")


def assert_clean_error(proc, *words):
    """Exit 2, the words in one message, and no Python traceback."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    message = " ".join(proc.stderr.split())
    for word in words:
        assert word in message, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.fixture(scope="module")
def toy_trace(tmp_path_factory):
    """The toy model recorded in a process in which importing TensorFlow or RETURNN raises."""
    path = str(tmp_path_factory.mktemp("cli") / "toy.h5")
    proc = run_pt2r("record", os.path.join(SPECS, "toy.py:model_func"), "-o", path, blocked=NO_TF)
    assert proc.returncode == 0, proc.stderr
    assert "recorded" in proc.stdout
    return path


def test_inspect_needs_no_framework(toy_trace):
    proc = run_pt2r("inspect", toy_trace, "--check", blocked=NO_FRAMEWORK)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "ToyModel" in out and "torch.nn.Conv1d" in out and "trace summary" in out
    assert "every checksum matches" in out
    assert "(2, 8, 11) float32" in out


def test_inspect_json(toy_trace):
    proc = run_pt2r("inspect", toy_trace, "--json", blocked=NO_FRAMEWORK)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["summary"]["calls"] == len(data["calls"])
    assert data["summary"]["unique_bytes"] > 0 and data["summary"]["file_size"] > 0
    conv = next(c for c in data["calls"] if c["name"] == "ToyModel/input_conv")
    assert conv["param_count"] == 4 * 8 + 8
    assert conv["outputs"] == [{"shape": [2, 8, 11], "dtype": "float32"}]


def test_framework_free_modules_import_without_torch_or_tensorflow():
    proc = run_python("import pt2r.trace, pt2r.naming, pt2r.import_wrapper, pt2r.inspect, pt2r.spec, "
                      "pt2r.inputs, pt2r.compare, pt2r.errors, pt2r.cli\n"
                      "import sys; print(sorted(m for m in ('torch', 'tensorflow', 'returnn') if sys.modules.get(m) is not None))",
                      blocked=NO_FRAMEWORK)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize("trace_bytes, words", [
    (b"just some text\n", ["not an HDF5 file"]),
    (None, ["does not exist"]),
])
def test_inspect_bad_files(tmp_path, trace_bytes, words):
    path = tmp_path / "bad.h5"
    if trace_bytes is not None:
        path.write_bytes(trace_bytes)
    assert_clean_error(run_pt2r("inspect", str(path), blocked=NO_FRAMEWORK), *words)


def test_inspect_truncated_trace(toy_trace, tmp_path):
    data = open(toy_trace, "rb").read()
    path = tmp_path / "cut.h5"
    path.write_bytes(data[: len(data) // 2])
    assert_clean_error(run_pt2r("inspect", str(path), blocked=NO_FRAMEWORK), "truncated or damaged")


def test_bad_spec_and_unwritable_output(tmp_path):
    proc = run_pt2r("record", os.path.join(SPECS, "failing.py:no_such_function"), "-o", str(tmp_path / "x.h5"))
    assert_clean_error(proc, "has no function 'no_such_function'")
    proc = run_pt2r("record", os.path.join(SPECS, "toy.py:model_func"), "-o", str(tmp_path / "missing" / "x.h5"))
    assert_clean_error(proc, "missing")


def test_model_error_shows_the_users_traceback(tmp_path):
    proc = run_pt2r("record", os.path.join(SPECS, "failing.py:model_raises"), "-o", str(tmp_path / "x.h5"))
    assert proc.returncode == 2
    assert "the model's own error message" in proc.stderr
    assert "helper_that_raises" in proc.stderr and "failing.py" in proc.stderr  # the user's frames
    assert not os.listdir(tmp_path)


def test_convert_stops_at_a_failing_record(tmp_path):
    """The replay process, started alongside the record, ends quietly: one error, the record's."""
    out = tmp_path / "out"
    proc = run_pt2r("convert", os.path.join(SPECS, "failing.py:model_raises"), "-o", str(out))
    assert proc.returncode == 2 and "the model's own error message" in proc.stderr
    assert proc.stderr.count("error:") == 1 and "internal error" not in proc.stderr
    assert os.listdir(out) == []


def test_bad_inputs_file(tmp_path):
    bad = tmp_path / "inputs.npy"
    bad.write_text("not numpy")
    proc = run_pt2r("record", os.path.join(SPECS, "toy.py:model_func"), "--inputs", str(bad),
                    "-o", str(tmp_path / "x.h5"))
    assert_clean_error(proc, "not a numpy .npy file")


def test_usage_error_exit_code():
    proc = run_pt2r("record")
    assert proc.returncode == 2 and "usage" in proc.stderr


def test_record_killed_mid_write_leaves_earlier_trace_intact(toy_trace, tmp_path):
    out = tmp_path / "trace.h5"
    earlier = open(toy_trace, "rb").read()
    out.write_bytes(earlier)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pt2r.cli", "record", os.path.join(SPECS, "slow.py:model_func"), "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        for line in proc.stdout:
            if "TRACED-RUN-STARTED" in line:
                break
        partial = [p for p in os.listdir(tmp_path) if p != "trace.h5"]
        assert partial, "the recording writes to a temporary file beside the output"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert out.read_bytes() == earlier
    assert run_pt2r("inspect", str(out), "--check", blocked=NO_FRAMEWORK).returncode == 0
