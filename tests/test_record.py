"""The record phase: what a trace holds for real model code (needs torch, never TensorFlow)."""

import os

import numpy as np
import pytest
import torch

from pt2r.errors import InputSpecError, ModelError, SpecError
from pt2r.record import DEFAULT_SEED, record, reset_seeds
from pt2r.trace import TraceReader

SPECS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "specs")


def spec(name):
    return os.path.join(SPECS, name)


def tensor(reader, value):
    """The array an encoded tensor reference stands for."""
    entry = reader.meta["tensors"][value["$t"]]
    return reader.array(entry["blob"])


@pytest.fixture(scope="module")
def toy_trace(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("toy") / "toy.h5")
    result = record(spec("toy.py:model_func"), path)
    with TraceReader(path) as reader:
        yield result, reader


def calls_by_name(reader):
    return {c["name"]: c for c in reader.meta["calls"]}


def plain_toy_model():
    """The toy model as the record step built it: same seed, imported normally."""
    from toypkg import models
    reset_seeds(DEFAULT_SEED)
    return models.ToyModel().eval()


def test_toy_call_tree_names_and_kinds(toy_trace):
    _, reader = toy_trace
    calls = calls_by_name(reader)
    expected = {
        "ToyModel": ("module", "toypkg.models.ToyModel"),
        "ToyModel/input_conv": ("module", "torch.nn.Conv1d"),
        "ToyModel/gate": ("module", "toypkg.layers.Gate"),
        "ToyModel/gate/fc": ("module", "torch.nn.Linear"),
        "ToyModel/gate/tanh": ("op", "torch.tanh"),
        "ToyModel/blocks.0": ("module", "toypkg.layers.ResidualBlock"),
        "ToyModel/blocks.0/pad": ("op", "torch.nn.functional.pad"),
        "ToyModel/blocks.0/stack": ("module", "torch.nn.Sequential"),
        "ToyModel/blocks.0/stack/1": ("module", "torch.nn.Conv1d"),
        "ToyModel/blocks.0/proj/transpose": ("op", "Tensor.transpose"),
        "ToyModel/blocks.1/stack/2": ("module", "torch.nn.GELU"),
        "ToyModel/gate_1": ("module", "toypkg.layers.Gate"),
        "ToyModel/view": ("op", "Tensor.view"),
        "ToyModel/sum": ("op", "Tensor.sum"),
        "ToyModel/cat": ("op", "torch.cat"),
        "ToyModel/permute": ("op", "Tensor.permute"),
        "ToyModel/output": ("module", "torch.nn.Linear"),
        "ToyModel/tanh": ("op", "torch.tanh"),
        "ToyModel/transpose": ("op", "Tensor.transpose"),
    }
    for name, (kind, target) in expected.items():
        assert (calls[name]["kind"], calls[name]["target"]) == (kind, target), name
    # the gate module is one instance called twice
    assert calls["ToyModel/gate"]["module"] == calls["ToyModel/gate_1"]["module"] == "ToyModel.gate"
    # torch leaf modules are leaves: nothing inside them is recorded
    assert not [n for n in calls if n.startswith("ToyModel/input_conv/")]
    # parents point at the enclosing call
    names = [c["name"] for c in reader.meta["calls"]]
    for call in reader.meta["calls"]:
        if "/" in call["name"]:
            assert names[call["parent"]] == call["name"].rsplit("/", 1)[0]
    assert len(names) == len(set(names))
    # op calls carry the user's source line
    source = calls["ToyModel/cat"]["source"]
    assert source[0].endswith(os.path.join("toypkg", "models.py"))
    with open(source[0]) as f:
        assert "torch.cat" in f.readlines()[source[1] - 1]


def test_toy_shapes_and_values_match_plain_pytorch(toy_trace):
    _, reader = toy_trace
    calls = calls_by_name(reader)
    model = plain_toy_model()
    x = torch.from_numpy(reader.array(reader.meta["tensors"][reader.meta["input"]["value"]["$t"]]["blob"]))
    seen = {}
    hooks = [model.input_conv.register_forward_hook(lambda m, i, o: seen.setdefault("conv", o)),
             model.blocks[1].register_forward_hook(lambda m, i, o: seen.setdefault("block1", o))]
    with torch.no_grad():
        out = model(x)
    for h in hooks:
        h.remove()
    conv = tensor(reader, calls["ToyModel/input_conv"]["output"])
    assert conv.shape == (2, 8, 11)
    np.testing.assert_array_equal(conv, seen["conv"].numpy())
    np.testing.assert_array_equal(tensor(reader, calls["ToyModel/blocks.1"]["output"]), seen["block1"].numpy())
    final = tensor(reader, reader.meta["output"])
    assert final.shape == (2, 3, 11)
    np.testing.assert_array_equal(final, out.numpy())
    # the call's input is the previous call's output: the same tensor id
    assert calls["ToyModel/gate"]["args"][0] == calls["ToyModel/input_conv"]["output"]
    # scalars and shapes are plain data
    assert calls["ToyModel/sum"]["kwargs"] == {"dim": 2}
    assert calls["ToyModel/view"]["args"][1:] == [2, 4, 2, 11]


def test_parameters_equal_state_dict_bit_for_bit(toy_trace):
    _, reader = toy_trace
    state = plain_toy_model().state_dict()
    found = {}
    for call in reader.meta["calls"]:
        if call["kind"] != "module":
            continue
        prefix = call["module"].partition(".")[2]
        for kind in ("params", "buffers"):
            for pname, ref in call[kind].items():
                found[f"{prefix}.{pname}" if prefix else pname] = tensor(reader, ref)
    assert sorted(found) == sorted(state)
    for key, value in state.items():
        assert found[key].dtype == value.numpy().dtype
        assert found[key].tobytes() == value.numpy().tobytes(), key


def test_module_attributes_are_recorded(toy_trace):
    _, reader = toy_trace
    conv = reader.meta["modules"]["ToyModel.blocks.1.stack.1"]
    assert conv["class"] == "torch.nn.Conv1d" and conv["leaf"]
    attrs = conv["attributes"]
    assert (attrs["kernel_size"], attrs["dilation"], attrs["stride"], attrs["padding"], attrs["groups"]) == \
        ([3], [2], [1], [0], 1)
    assert reader.meta["modules"]["ToyModel.gate"]["leaf"] is False


def test_trace_meta(toy_trace):
    result, reader = toy_trace
    meta = reader.meta
    assert set(meta["versions"]) >= {"pt2r", "torch", "numpy", "python"}
    assert meta["versions"]["torch"] == torch.__version__
    assert meta["spec"].endswith("toy.py:model_func")
    assert "def model_func" in meta["spec_source"]
    assert meta["seeds"] == {"python": DEFAULT_SEED, "numpy": DEFAULT_SEED, "torch": DEFAULT_SEED}
    assert meta["tolerances"]["float32"] == {"atol": 1e-4, "rtol": 1e-3}
    desc = meta["input"]["description"]
    assert desc["shape"] == [4, None] and desc["time_dim_axis"] == 2 and desc["seq_lens"] == {2: [11, 7]}
    assert meta["output_check"][0]["passed"] and meta["output_check"][0]["max_abs"] == 0.0
    assert result.num_calls == len(meta["calls"])


def test_torch_load_random_and_in_place_ops(tmp_path, monkeypatch):
    checkpoint = tmp_path / "ckpt.pt"
    torch.manual_seed(1)
    weights = {"proj.weight": torch.randn(2, 3, 1), "proj.bias": torch.randn(2)}
    torch.save({"model": weights, "step": 7}, checkpoint)
    monkeypatch.setenv("PT2R_TEST_CHECKPOINT", str(checkpoint))
    path = str(tmp_path / "ext.h5")
    record(spec("externals.py:model_func"), path)
    with TraceReader(path) as reader:
        calls = calls_by_name(reader)
        load = calls["load"]
        assert load["kind"] == "op" and load["target"] == "torch.load"
        assert load["args"] == [str(checkpoint)]
        loaded = dict(load["output"]["$dict"])
        state = dict(loaded["model"]["$dict"])
        assert loaded["step"] == 7
        np.testing.assert_array_equal(tensor(reader, state["proj.weight"]), weights["proj.weight"].numpy())
        randn = calls["Noisy/randn"]
        assert randn["random"] and randn["args"] == [{"$size": [1, 3, 4]}]
        noise = tensor(reader, randn["output"])
        assert noise.std() > 0.5  # really random numbers, not a placeholder
        mul = calls["Noisy/mul_"]
        assert mul["mutated"] != mul["args"][0]  # a new state of the same tensor
        before, after = tensor(reader, mul["args"][0]), tensor(reader, mul["mutated"])
        np.testing.assert_array_equal(after, before * 2)
        np.testing.assert_array_equal(before, np.arange(12, dtype="float32").reshape(1, 3, 4) + noise)
        assert calls["from_numpy"]["target"] == "torch.from_numpy"
        # the conv ran with the loaded weights
        np.testing.assert_array_equal(tensor(reader, calls["Noisy/proj"]["params"]["weight"]),
                                      weights["proj.weight"].numpy())


def test_record_reports_model_errors_with_the_users_traceback(tmp_path):
    with pytest.raises(ModelError) as info:
        record(spec("failing.py:model_raises"), str(tmp_path / "x.h5"))
    assert "ValueError" in info.value.message and "the model's own error message" in info.value.message
    assert "helper_that_raises" in info.value.detail and "failing.py" in info.value.detail
    assert not os.listdir(tmp_path)


def test_record_refuses_a_model_returning_no_tensor(tmp_path):
    with pytest.raises(ModelError, match="holds no tensor"):
        record(spec("failing.py:model_returns_no_tensor"), str(tmp_path / "x.h5"))


@pytest.mark.parametrize("bad_spec, words", [
    ("no_colon_here", "not a model spec"),
    ("does/not/exist.py:model_func", "does not exist"),
    ("no_such_package_xyz.models:model_func", "cannot be found"),
    (spec("failing.py:no_such_function"), "has no function 'no_such_function'"),
    (spec("failing.py:NOT_A_FUNCTION"), "not a function"),
])
def test_bad_specs(tmp_path, bad_spec, words):
    with pytest.raises(SpecError, match=words):
        record(bad_spec, str(tmp_path / "x.h5"))


def test_input_description_must_fit_the_input(tmp_path):
    with pytest.raises(InputSpecError, match="has size 5"):
        record(spec("toy.py:model_func"), str(tmp_path / "x.h5"), input_spec={"shape": [5, None]})


def test_bundled_example_records_compactly(tmp_path):
    path = str(tmp_path / "vocoder.h5")
    record("pt2r.examples.vocoder:model_func", path)
    with TraceReader(path) as reader:
        assert reader.file_size <= 1.1 * reader.unique_bytes
        calls = calls_by_name(reader)
        assert calls["MelGANGenerator/upsamples.0/1"]["target"] == "torch.nn.ConvTranspose1d"
        assert calls["conv1d"]["target"] == "torch.nn.functional.conv1d"
        assert tensor(reader, reader.meta["output"]).shape == (1, 1, 10000)


def test_dispatched_initialisers_are_torchs():
    """The initialisers the drop-in records as calls are those torch dispatches through
    ``__torch_function__`` (the record phase sees no others), so both phases name the same calls."""
    import inspect

    from pt2r.calls import DISPATCHED_INITIALISERS, INITIALISERS

    dispatched = {name for name in INITIALISERS
                  if "handle_torch_function" in inspect.getsource(getattr(torch.nn.init, name.rsplit(".", 1)[1]))}
    assert dispatched == DISPATCHED_INITIALISERS
