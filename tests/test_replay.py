"""The replay phase end to end: phase boundaries, export, and what goes wrong is named."""

import json
import os

import numpy as np
import pytest

from pt2r.errors import NameMismatchError, UnsupportedOpError
from pt2r.trace import TraceReader
from phases import REPO, run_pt2r, run_python
from roundtrip import assert_converts, convert, op_spec, randn

SPECS = os.path.join(REPO, "tests", "specs")
NO_TF = ("tensorflow", "returnn")
NO_TORCH = ("torch",)


@pytest.fixture(scope="module")
def two_phase(tmp_path_factory):
    """The bundled example recorded where TensorFlow cannot be imported, replayed where torch cannot."""
    folder = tmp_path_factory.mktemp("phases")
    trace, out = str(folder / "trace.h5"), str(folder / "out")
    proc = run_pt2r("record", "pt2r.examples.vocoder:model_func", "-o", trace, blocked=NO_TF)
    assert proc.returncode == 0, proc.stderr
    proc = run_pt2r("replay", trace, "-o", out, blocked=NO_TORCH)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return trace, out, proc


def test_replay_without_torch_passes_every_check(two_phase):
    trace, out, proc = two_phase
    assert "every check passes" in proc.stdout
    assert {"returnn.config", "model.index", "report.md", "report.json"} <= set(os.listdir(out))
    with open(os.path.join(out, "returnn.config")) as f:
        assert f.readline().strip() == "#!returnn.py"


def test_exported_config_reproduces_the_output_in_a_fresh_process(two_phase):
    trace, out, _ = two_phase
    code = f"""
import numpy as np
from pt2r.trace import TraceReader
from pt2r.replay.standalone import run_exported
with TraceReader({trace!r}) as reader:
    meta = reader.meta
    x = reader.array(meta["tensors"][meta["input"]["value"]["$t"]]["blob"])
    y = reader.array(meta["tensors"][meta["output"]["$t"]]["blob"])
got = run_exported({os.path.join(out, "returnn.config")!r}, {os.path.join(out, "model")!r}, x)["output"]
assert got.shape == y.shape, (got.shape, y.shape)
print("MAXABS", float(np.abs(got - y).max()))
"""
    proc = run_python(code, blocked=NO_TORCH)
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout.split("MAXABS")[1]) < 1e-4


def test_two_unsupported_ops_are_named_before_building(tmp_path):
    trace = str(tmp_path / "t.h5")
    from pt2r.record import record
    from pt2r.replay import replay
    record(os.path.join(SPECS, "changed.py:two_unsupported_ops"), trace, inputs=randn(2, 3, 4))
    with pytest.raises(UnsupportedOpError) as info:
        replay(trace, str(tmp_path / "out"))
    message = info.value.message
    assert "torch.nanmedian (op, 2 calls" in message and "torch.kthvalue (op, 1 call" in message
    assert "changed.py" in message
    assert not os.path.exists(tmp_path / "out")  # nothing was built


def test_changed_model_code_fails_at_the_first_differing_call(tmp_path):
    trace = str(tmp_path / "t.h5")
    from pt2r.record import record
    from pt2r.replay import replay
    record(op_spec("activation", "leaky_relu"), trace, inputs=randn(2, 5, 7))
    with pytest.raises(NameMismatchError) as info:
        replay(trace, str(tmp_path / "out"), model=os.path.join(SPECS, "changed.py:leaky_relu_changed"))
    message = info.value.message
    assert "the trace ends after 1 calls" in message and "'mul'" in message and "changed.py:" in message


def test_a_wrong_mapping_is_caught_and_named(tmp_path):
    from pt2r.torch.ops.activation import leaky_relu

    def wrong_leaky_relu(module, x):
        return leaky_relu(x, module.negative_slope * 1.5)

    x = np.abs(randn(2, 5, 7)) * -1  # negative inputs: the slope matters
    result = convert(op_spec("activation", "weight_norm_then_leaky_relu"), tmp_path, x,
                     override={"torch.nn.LeakyReLU": wrong_leaky_relu})
    assert not result.passed
    failing = [r.name for r in result.results if not r.passed]
    assert failing[0] == "LeakyReLU"
    assert result.summary["first_divergence"].startswith("call 'LeakyReLU' (module torch.nn.LeakyReLU)")
    assert "isolated check fails" in result.summary["first_divergence"]
    with open(tmp_path / "out" / "report.md") as f:
        assert "**FAIL**" in f.read()


def test_mismatch_exits_1_and_writes_the_report(two_phase, tmp_path):
    trace = two_phase[0]
    proc = run_pt2r("replay", trace, "--atol", "0", "--rtol", "0", "-o", str(tmp_path / "out"), blocked=NO_TORCH)
    assert proc.returncode == 1, proc.stderr
    assert "first divergence" in proc.stdout
    assert os.path.exists(tmp_path / "out" / "report.md")


def api_model(wrapped_import, inputs):
    torch = wrapped_import("torch") if wrapped_import else __import__("torch")
    return torch.nn.functional.leaky_relu(torch.nn.Conv1d(5, 3, 3)(inputs), 0.1)


def test_python_api_like_the_original_converter(tmp_path):
    import pt2r
    converter = pt2r.verify_torch_and_convert_to_returnn(
        api_model, inputs=randn(2, 5, 9), inputs_data_kwargs={"shape": (5, None), "time_dim_axis": 2},
        returnn_input_seq_lens={2: [9, 4]}, returnn_dummy_input_shape=(3, 5, 13),
        validate_allclose_kwargs={"atol": 1e-5, "rtol": 1e-4},
        export_tf_checkpoint_save_path=str(tmp_path / "ckpt"))
    assert converter.returnn_net_dict["output"]["class"] == "copy"
    text = converter.get_returnn_config_serialized()
    assert text.startswith("#!returnn.py") and "network = " in text and "extern_data = " in text
    assert os.path.exists(str(tmp_path / "ckpt") + ".index")
    assert converter.outputs["output"].shape == (2, 3, 7)


def test_bundled_example_record_replay_counts(two_phase):
    trace, out, _ = two_phase
    import json
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    with TraceReader(trace) as reader:
        assert report["summary"]["calls"] == len(reader.meta["calls"])
    assert report["summary"]["failed_calls"] == 0 and report["summary"]["standalone"] == "pass"
    assert all(c["passed"] for c in report["calls"])


def test_supported_ops_document_is_generated_from_the_registry():
    from pt2r.torch.ops.coverage import markdown
    with open(os.path.join(REPO, "docs", "supported-ops.md")) as f:
        assert f.read() == markdown(), "run scripts/gen-supported-ops"


def test_toy_third_party_package_converts(tmp_path):
    """Nested user modules, Sequential, ModuleList, a module called twice, functional ops and tensor
    methods, imported through every import form, with a batch of different lengths."""
    result = assert_converts(os.path.join(SPECS, "toy.py:model_func"), tmp_path, randn(2, 4, 11),
                             {"shape": [4, None], "time_dim_axis": 2, "feature_dim_axis": 1,
                              "dtype": "float32", "seq_lens": [11, 7]})
    names = [r.name for r in result.results]
    assert "ToyModel/gate_1" in names and "ToyModel/blocks.1/stack/2" in names


def test_parameters_of_several_calls_are_one_variable_by_reuse_params(tmp_path):
    """A module called twice and a weight tied across modules: each subnetwork has its own variable
    layers, those of a later call (or of the tied module) reuse the first's parameters, and the
    checkpoint holds each parameter once."""
    import tensorflow as tf

    spec = os.path.join(SPECS, "shared_params.py:model_func")
    result = assert_converts(spec, tmp_path, randn(2, 7, 6), {"shape": [None, 6], "dtype": "float32",
                                                              "seq_lens": [7, 4]})
    net = result.net_dict["Tied"]["subnetwork"]
    first, second, decoder = (net[name]["subnetwork"] for name in ("encoder", "encoder_1", "decoder"))
    assert "reuse_params" not in first["proj.weight"]
    assert second["proj.weight"]["reuse_params"] == "base:encoder/proj.weight"
    assert second["proj.bias"]["reuse_params"] == "base:encoder/proj.bias"
    tied = [layer for layer in decoder.values() if layer.get("reuse_params")]
    assert [layer["reuse_params"] for layer in tied] == ["base:encoder/proj.weight"]
    stored = sorted(name for name, _ in tf.train.list_variables(result.checkpoint_prefix) if name != "global_step")
    assert stored == ["Tied/decoder/out.bias/param", "Tied/encoder/proj.bias/param", "Tied/encoder/proj.weight/param"]
    with open(os.path.join(result.out_dir, "params.json")) as f:
        keys = sorted(v["torch"] for v in json.load(f)["variables"])
    assert keys == ["decoder.out.bias", "encoder.proj.bias", "encoder.proj.weight"]


def test_convert_runs_both_phases_and_embedded_source_replays(tmp_path):
    out = str(tmp_path / "out")
    np.save(tmp_path / "x.npy", randn(2, 5, 9))
    proc = run_pt2r("convert", op_spec("activation", "weight_norm_then_leaky_relu"), "--inputs", str(tmp_path / "x.npy"),
                    "-o", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "recorded" in proc.stdout and "every check passes" in proc.stdout
    assert os.path.exists(os.path.join(out, "trace.h5")) and os.path.exists(os.path.join(out, "returnn.config"))
    # the spec file is gone: only the source embedded in the trace can run the model
    moved = str(tmp_path / "elsewhere.h5")
    os.rename(os.path.join(out, "trace.h5"), moved)
    proc = run_pt2r("replay", moved, "-o", str(tmp_path / "again"), "--model", "no/such/spec.py:model_func",
                    blocked=NO_TORCH)
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    proc = run_pt2r("replay", moved, "-o", str(tmp_path / "again"), "--use-embedded-source", blocked=NO_TORCH)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_frontier_feeds_cut_the_graph_at_what_earlier_chunks_fetched():
    import tensorflow as tf

    from pt2r.replay.verify import frontier_feeds

    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, [3])
        a = x * 2.0
        b = a + 1.0
        c = tf.reduce_sum(b * a)  # needs a and b, both fetched before
        d = c * 3.0
        plan = frontier_feeds([[a], [b], [c, d]], {x: None})
    assert plan[0] == [] and plan[1] == [a] and set(plan[2]) == {a, b}


def test_accumulated_checks_in_tiny_chunks_equal_one_run(tmp_path, monkeypatch):
    """Every accumulated value is the same whether the net runs in one piece or call by call."""
    from pt2r.record import record
    from pt2r.replay import replay, verify

    trace = tmp_path / "trace.h5"
    record("pt2r.examples.vocoder:model_func", str(trace))
    one = replay(str(trace), str(tmp_path / "one"))
    monkeypatch.setattr(verify, "CHUNK_BYTES", 1)
    chunked = replay(str(trace), str(tmp_path / "chunked"))
    assert one.passed and chunked.passed
    for a, b in zip(one.results, chunked.results):
        assert a.accumulated["max_abs"] == pytest.approx(b.accumulated["max_abs"], abs=1e-7)


def test_native_share_counts_computing_layers():
    from pt2r.replay.report import native_share

    net = {"w": {"class": "variable"}, "c": {"class": "constant"}, "x": {"class": "conv"},
           "y": {"class": "eval"}, "z": {"class": "combine"}, "o": {"class": "copy"},
           "r": {"class": "reinterpret_data"}}
    share = native_share(net)
    assert (share["computing_layers"], share["native_layers"], share["eval_layers"]) == (3, 2, ["y"])


def test_bundled_example_is_native_returnn_layers(two_phase):
    import json
    _, out, _ = two_phase
    with open(os.path.join(out, "report.json")) as f:
        share = json.load(f)["summary"]["native_share"]
    assert share["share"] >= 0.9, share["eval_layers"]


def test_the_drop_in_does_not_import_the_replay():
    """The dependency runs one way, replay -> torch (DESIGN.md): the drop-in and every op family import,
    and no module of pt2r/torch names pt2r.replay in an import, with pt2r.replay made unimportable."""
    import ast

    for folder, _, files in os.walk(os.path.join(REPO, "pt2r", "torch")):
        for file in files:
            if file.endswith(".py"):
                with open(os.path.join(folder, file), encoding="utf-8") as f:
                    tree = ast.parse(f.read())
                for node in ast.walk(tree):
                    names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                        [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                    assert not any(n.startswith("pt2r.replay") for n in names), (file, names)
    code = """
import sys
class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.startswith("pt2r.replay"):
            raise ImportError(name + " is blocked")
sys.meta_path.insert(0, _Blocker())
import pt2r.torch, pt2r.torch.ops
from pt2r.torch.ops import registry
assert len(registry.OPS) > 400
"""
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr


def test_op_families_share_only_public_helpers():
    """No op family imports another's private names (shared helpers are public, in build.py mostly)."""
    import ast

    folder = os.path.join(REPO, "pt2r", "torch", "ops")
    for file in os.listdir(folder):
        if file.endswith(".py"):
            with open(os.path.join(folder, file), encoding="utf-8") as f:
                tree = ast.parse(f.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pt2r.torch.ops."):
                    assert not [a.name for a in node.names if a.name.startswith("_")], (file, node.module)
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                        node.attr.startswith("_") and not node.attr.startswith("__") and \
                        os.path.exists(os.path.join(folder, node.value.id + ".py")) and node.value.id + ".py" != file:
                    raise AssertionError(f"{file} uses {node.value.id}.{node.attr}")


def test_buffers_and_folded_constants_are_named_by_what_they_are(tmp_path):
    """A buffer is named by its module (by its path once the module is called, else by its class), a constant
    computed from one by the buffer and the op: not by the op call that happened to make it."""
    result = assert_converts(os.path.join(SPECS, "named_constants.py:model_func"), tmp_path, None)
    variables = {name: layer for name, layer in _layers(result.net_dict) if layer["class"] == "variable"}
    assert set(variables) == {"Bank.filters.mul", "Net/conv.weight", "Net/conv.bias", "Net/scale.getitem"}
    # its out-channel and kernel dims are its own, its in-channels those of the conv's input
    assert {d.description for d in variables["Bank.filters.mul"]["shape"]} == \
        {"Bank.filters.mul:0", "conv:out_channels", "Bank.filters.mul:2"}


def _layers(net, prefix=""):
    for name, layer in net.items():
        yield prefix + name, layer
        if layer.get("class") == "subnetwork":
            yield from _layers(layer["subnetwork"], f"{prefix}{name}/")
