"""Input descriptions mean exactly what the same RETURNN ``Data`` kwargs mean.

Each row of the table is checked against RETURNN itself (``returnn.tensor.Tensor("data", **kwargs)``):
the batch, time and feature axes, sparsity, ``dim``, dtype and shape that `pt2r.inputs.describe`
resolves, and the dims the replay builds for the input. Then the layouts RETURNN's defaults give
(raw audio, time-major, sparse token ids) convert end to end, record then replay.
"""

import json
import os

import numpy as np
import pytest

from pt2r.errors import InputSpecError
from pt2r.inputs import data_dim, describe, parse_json, resolve
from roundtrip import TESTS, assert_converts, randn

LSTM_LM = os.path.join(TESTS, "specs", "lstm_lm.py")
TRANSFORMER_LM = os.path.join(TESTS, "specs", "transformer_lm.py")


def ids(*shape, dtype="int64"):
    return np.random.RandomState(0).randint(0, 100, size=shape).astype(dtype)


# (id, input array shape, dtype, Data kwargs)
TABLE = [
    ("batch_major_feature_last", (2, 7, 5), "float32", {"shape": (None, 5)}),
    ("time_major", (7, 2, 11), "float32", {"shape": (None, 11), "batch_dim_axis": 1}),
    ("channels_first_explicit_time", (2, 80, 50), "float32", {"shape": (80, None), "time_dim_axis": 2}),
    ("raw_audio", (2, 300), "float32", {"shape": (None,), "feature_dim_axis": None}),
    ("raw_audio_feature_left_out", (2, 300), "float32", {"shape": (None,)}),
    ("sparse_batch_major_int32_default", (2, 9), "int32", {"shape": (None,), "sparse": True, "dim": 100}),
    ("sparse_time_major_int64", (9, 2), "int64",
     {"shape": (None,), "sparse": True, "dim": 100, "batch_dim_axis": 1, "dtype": "int64"}),
    ("sparse_time_major_no_dtype", (9, 2), "int32", {"shape": (None,), "sparse": True, "dim": 100,
                                                     "batch_dim_axis": 1}),
    ("sparse_no_shape", (2, 9), "int32", {"sparse": True, "dim": 100}),
    ("two_dynamic_axes", (2, 7, 9), "float32", {"shape": (None, None)}),
    ("static_and_two_dynamic", (2, 3, 7, 9), "float32", {"shape": (3, None, None)}),
    ("explicit_time_second_dynamic", (2, 3, 7, 9), "float32", {"shape": (3, None, None), "time_dim_axis": 3}),
    ("feature_dim_axis_none", (2, 7, 5), "float32", {"shape": (None, 5), "feature_dim_axis": None}),
    ("no_dynamic_axis", (2, 80), "float32", {"shape": (80,)}),
    ("no_dynamic_axis_two_static", (2, 4, 6), "float32", {"shape": (4, 6)}),
    ("time_dim_axis_none", (2, 9), "float32", {"shape": (None,), "time_dim_axis": None}),
    ("time_on_a_static_axis", (2, 7, 80), "float32", {"shape": (None, 80), "time_dim_axis": 2}),
    ("feature_on_the_first_dynamic_axis", (2, 7, 9), "float32", {"shape": (None, None), "feature_dim_axis": 1}),
    ("negative_feature_axis", (2, 7, 5), "float32", {"shape": (None, 5), "feature_dim_axis": -1}),
    ("batch_last", (7, 5, 2), "float32", {"shape": (None, 5), "batch_dim_axis": 2}),
    ("int_dense", (2, 7, 5), "int64", {"shape": (None, 5), "dtype": "int64"}),
    ("dense_with_dim", (2, 7, 5), "float32", {"shape": (None, 5), "sparse": False, "dim": 5}),
    ("no_shape_dim_only", (2, 7, 80), "float32", {"dim": 80}),
    ("no_shape_feature_first", (2, 80, 7), "float32", {"feature_dim_axis": 1, "dim": 80}),
    ("no_shape_time_major", (7, 2, 80), "float32", {"batch_dim_axis": 1, "dim": 80}),
    ("no_shape_no_feature", (2, 7), "float32", {"feature_dim_axis": None}),
]


@pytest.mark.parametrize("shape, dtype, kwargs", [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_description_means_what_returnn_means(shape, dtype, kwargs):
    from returnn.tensor import Tensor

    from pt2r.replay.context import input_dims

    array = np.zeros(shape, dtype)
    desc = describe(array, kwargs)
    data = Tensor("data", **kwargs)
    assert desc["batch_dim_axis"] == data.batch_dim_axis
    assert desc["time_dim_axis"] == data.time_dim_axis
    assert desc["feature_dim_axis"] == data.feature_dim_axis
    assert desc.get("sparse", False) == data.sparse
    assert data_dim(desc) == data.dim
    assert desc["dtype"] == data.dtype == str(array.dtype)
    batch = desc["batch_dim_axis"]
    assert tuple(desc["shape"][:batch] + [None] + desc["shape"][batch:]) == data.batch_shape
    # the trace's description resolves to the same again (replay re-resolves it), also from JSON
    assert resolve(desc) == resolve(kwargs)
    assert describe(array, parse_json(json.dumps(kwargs))) == desc
    # the dims replay builds: the batch where RETURNN has it, static and dynamic sizes alike
    dims = input_dims(desc)
    assert [d.dimension for d in dims] == [d.dimension for d in data.dims]
    assert [d.is_batch_dim() for d in dims] == [d.is_batch_dim() for d in data.dims]
    if data.time_dim_axis is not None:
        assert dims[data.time_dim_axis].description == "time"


def test_the_layouts_that_were_refused_now_have_returnn_defaults():
    """Time-major and sparse ids leave the feature axis to RETURNN (it was pt2r's axis 1 before)."""
    desc = describe(np.zeros((7, 2, 11), "float32"), {"shape": (None, 11), "batch_dim_axis": 1})
    assert (desc["time_dim_axis"], desc["feature_dim_axis"]) == (0, 2)
    desc = describe(ids(9, 2, dtype="int32"), {"shape": (None,), "sparse": True, "dim": 100, "batch_dim_axis": 1})
    assert (desc["time_dim_axis"], desc["feature_dim_axis"], desc["dim"], desc["dtype"]) == (0, None, 100, "int32")


def test_no_description_keeps_pt2rs_default():
    """No description, or one with nothing but seq_lens: batch-major, axis 1 static feature, the rest dynamic."""
    desc = describe(np.zeros((2, 3, 7, 9), "float32"), {"seq_lens": {2: [7, 4], 3: [9, 6]}})
    assert desc == {"batch_dim_axis": 0, "feature_dim_axis": 1, "time_dim_axis": 2, "shape": [3, None, None],
                    "dtype": "float32", "seq_lens": {2: [7, 4], 3: [9, 6]}}
    assert describe(np.zeros((2, 5), "int64"), None) == {
        "batch_dim_axis": 0, "feature_dim_axis": 1, "time_dim_axis": None, "shape": [5], "dtype": "int64"}


@pytest.mark.parametrize("shape, dtype, kwargs, words", [
    ((2, 7, 5), "float32", {"shape": (None, 5), "dims": ["time", "feature"]}, "['dims']"),
    ((2, 7, 5), "float32", {"dim_tags": [], "vocab": "v.txt"}, "['dim_tags', 'vocab']"),
    ((2, 7, 5), "float32", {"shape": (None, 5), "sparse_dim": 5}, "['sparse_dim']"),
    ((2, 9), "int64", {"shape": (None,), "sparse": True, "dim": 100, "feature_dim_axis": 1, "dtype": "int64"},
     "no feature axis"),
    ((2, 9), "int64", {"shape": (None,), "sparse": True, "dtype": "int64"}, "needs 'dim'"),
    ((2, 9), "int64", {"shape": (None,), "sparse": True, "dim": None, "dtype": "int64"}, "needs 'dim'"),
    ((2, 9), "int64", {"shape": (None,), "sparse": True, "dim": 100}, "leaves out 'dtype'"),
    ((2, 7, 5), "float32", {"shape": (None, 5), "batch_dim_axis": None}, "needs a batch axis"),
    ((2, 7, 5), "float32", {"shape": (None, 5), "dim": 40}, "says dim=40"),
    ((2, 7, 5), "float32", {"shape": (None, 5), "feature_dim_axis": None, "dim": 5}, "no feature axis"),
    ((2, 7, 5), "float32", {"time_dim_axis": 1}, "gives no 'shape'"),
    ((2, 7, 5), "float32", {"shape": (None, 5), "time_dim_axis": 0}, "time_dim_axis=0 is not a non-batch axis"),
    ((7, 2, 5), "float32", {"shape": (None, 5), "batch_dim_axis": 1, "feature_dim_axis": 1},
     "feature_dim_axis=1 is not a non-batch axis"),
    ((2, 7, 5), "float32", {"shape": (None, 5), "time_dim_axis": -1}, "time_dim_axis=-1"),
    ((2, 7, 5), "float32", {"shape": (None, 5), "sparse": "yes"}, "sparse='yes'"),
    ((2, 7, 5), "float32", {"shape": "None, 5"}, "shape='None, 5'"),
    ((2, 7, 5), "float32", {"shape": (None, 5), "dtype": "floaty"}, "dtype='floaty'"),
    ((2, 7, 5), "float32", {"dim": 5, "seq_lens": [7, 9]}, "each length must lie in 0..7"),
    ((2, 9), "float32", {"shape": (None,), "time_dim_axis": None, "seq_lens": [9, 4]}, "no time axis"),
], ids=lambda v: None if isinstance(v, (tuple, dict)) or v in ("float32", "int64") else v)
def test_descriptions_refused_name_the_key(shape, dtype, kwargs, words):
    with pytest.raises(InputSpecError) as info:
        describe(np.zeros(shape, dtype), kwargs)
    assert words in info.value.message


# -- end to end: record on PyTorch, replay on RETURNN --------------------------------------------


def raw_audio_conv(wrapped_import, inputs):
    """(batch, samples) -> a strided Conv1d over the samples."""
    if not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    conv = torch.nn.Conv1d(1, 4, 5, stride=2)
    return torch.tanh(conv(inputs.unsqueeze(1)))


def time_major_features(wrapped_import, inputs):
    """(time, batch, 11) -> Linear over the features, Conv1d over time."""
    if not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    x = torch.nn.Linear(11, 6)(inputs)
    y = torch.nn.Conv1d(6, 4, 3, padding=1)(x.permute(1, 2, 0))
    return torch.relu(y).transpose(1, 2)


def test_raw_audio(tmp_path):
    desc = {"shape": (None,), "feature_dim_axis": None, "seq_lens": [300, 217]}
    assert_converts(raw_audio_conv, tmp_path, randn(2, 300), desc, model=raw_audio_conv)


def test_time_major_float_input(tmp_path):
    desc = {"shape": (None, 11), "batch_dim_axis": 1, "seq_lens": [9, 5]}
    assert_converts(time_major_features, tmp_path, randn(9, 2, 11), desc, model=time_major_features)


def _extern_data(result):
    from returnn.config import Config

    config = Config()
    config.load_file(result.config_path)
    return config.typed_value("extern_data")["data"]


def test_lstm_language_model_time_major_sparse_ids(tmp_path):
    """The acceptance case: (time, batch) int64 token ids of different lengths, time-major and sparse."""
    desc = {"shape": (None,), "sparse": True, "dim": 100, "batch_dim_axis": 1, "dtype": "int64",
            "seq_lens": [11, 6, 9]}
    result = assert_converts(f"{LSTM_LM}:model_func", tmp_path, ids(11, 3), desc)
    extern = _extern_data(result)
    assert [d.is_batch_dim() for d in extern["dims"]] == [False, True]
    assert extern["sparse_dim"].dimension == 100 and extern["dtype"] == "int64"
    assert result.outputs["output"].shape == (11, 3, 100)


def test_lstm_language_model_batch_major_sparse_ids(tmp_path):
    desc = {"shape": (None,), "sparse": True, "dim": 100, "dtype": "int64", "seq_lens": [11, 6, 9]}
    result = assert_converts(f"{LSTM_LM}:model_func_batch_major", tmp_path, ids(3, 11), desc)
    extern = _extern_data(result)
    assert [d.is_batch_dim() for d in extern["dims"]] == [True, False]
    assert extern["sparse_dim"].dimension == 100
    assert result.outputs["output"].shape == (3, 11, 100)


def test_transformer_language_model_follows_other_lengths(tmp_path):
    """PyTorch's word_language_model Transformer: time-major token ids, sinusoidal positions sliced to
    the length, a causal mask made for the length, the output layer tied to the embedding. The exported
    net, run on a longer batch of other lengths, computes what PyTorch computes there."""
    import torch

    from pt2r.record import DEFAULT_SEED, reset_seeds
    from pt2r.replay.standalone import run_exported
    from pt2r.spec import load_spec

    spec = f"{TRANSFORMER_LM}:model_func"
    desc = {"shape": (None,), "sparse": True, "dim": 50, "batch_dim_axis": 1, "dtype": "int64",
            "seq_lens": [9, 6]}
    result = assert_converts(spec, tmp_path, ids(9, 2) % 50, desc)
    assert result.summary["native_share"]["share"] >= 0.9
    x = np.random.RandomState(1).randint(0, 50, size=(14, 3)).astype("int64")
    got = run_exported(result.config_path, result.checkpoint_prefix, x, {0: [14, 5, 10]})["output"]
    reset_seeds(DEFAULT_SEED)  # the parameters the record phase created
    with torch.no_grad():
        want = load_spec(spec).call(None, torch.from_numpy(x), None).numpy()
    assert got.shape == want.shape == (14, 3, 50)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
