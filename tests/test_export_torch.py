"""The parameter map (params.json) and `pt2r export-torch`: RETURNN variables back to PyTorch."""

import json

import numpy as np
import pytest

from phases import run_pt2r

SPEC = "specs.export_torch:model_func"  # by module name: the test reads the module's MODELS


def test_polyphase_filter_goes_back_to_the_transposed_conv_weight():
    from pt2r.replay.params import to_torch

    cin, cout, m, stride = 3, 4, 2, 5
    w = np.random.RandomState(0).randn(cin, cout, m * stride).astype("float32")
    f = np.zeros((m, cin, stride * cout), "float32")  # F[i, in, r * out + o] = w[in, o, (m - 1 - i) * stride + r]
    for i in range(m):
        for r in range(stride):
            f[i, :, r * cout:(r + 1) * cout] = w[:, :, (m - 1 - i) * stride + r]
    np.testing.assert_array_equal(to_torch(f, {"kind": "polyphase", "stride": stride}), w)
    t = np.transpose(w, [2, 0, 1])
    np.testing.assert_array_equal(to_torch(t, {"kind": "transpose", "perm": [2, 0, 1]}), w)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    from pt2r.record import record
    from pt2r.replay import replay
    from specs import export_torch

    folder = tmp_path_factory.mktemp("export_torch")
    trace = str(folder / "trace.h5")
    record(SPEC, trace)
    reference = {k: v.detach().numpy().copy() for k, v in export_torch.MODELS["generator"].state_dict().items()}
    result = replay(trace, str(folder / "out"))
    assert result.passed
    return folder, reference


def test_params_json_maps_every_parameter(converted):
    folder, reference = converted
    with open(folder / "out" / "params.json") as f:
        variables = json.load(f)["variables"]
    mapped = {v["torch"]: v for v in variables if v["torch"]}
    assert set(mapped) == set(reference)
    for key, var in mapped.items():
        assert var["module"] == "MelGANGenerator" and var["returnn"] == var["layer"] + "/param"
        assert np.prod(var["shape"]) == reference[key].size, key  # a layout of the same numbers
    kinds = {v["transform"]["kind"] for v in mapped.values()}
    assert {"identity", "transpose", "polyphase"} <= kinds


def test_export_torch_writes_the_pytorch_state_dict(converted, tmp_path):
    safetensors = pytest.importorskip("safetensors.numpy")
    folder, reference = converted
    out = tmp_path / "weights.safetensors"
    proc = run_pt2r("export-torch", str(folder / "out"), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    weights = safetensors.load_file(str(out))
    assert set(weights) == set(reference)
    for key, value in reference.items():
        np.testing.assert_array_equal(weights[key], value, err_msg=key)


def test_export_torch_refuses_a_folder_without_params(tmp_path):
    proc = run_pt2r("export-torch", str(tmp_path), "-o", str(tmp_path / "w.safetensors"))
    assert proc.returncode == 2 and "params.json" in proc.stderr
