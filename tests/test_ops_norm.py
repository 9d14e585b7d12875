"""One line per op: norms, regularizers and embedding, recorded on PyTorch and replayed on RETURNN."""

import numpy as np
import pytest

from pt2r.errors import UnsupportedOpError
from roundtrip import BATCH_MAJOR, TIME_MAJOR, assert_converts, convert, op_spec, randn

CHANNELS_FIRST = ["group_norm_one_group", "group_norm_per_channel_no_affine", "batch_norm_1d",
                  "batch_norm_1d_no_affine", "batch_norm_functional", "batch_norm_torch", "dropout_eval",
                  "dropout_train", "dropout1d_train", "alpha_dropout_eval"]
SIX_CHANNELS = ["group_norm", "group_norm_functional"]
CHANNELS_LAST = ["layer_norm", "layer_norm_no_affine", "layer_norm_no_bias", "layer_norm_functional",
                 "layer_norm_torch"]
EMBEDDINGS = ["embedding", "embedding_padding_idx", "embedding_functional", "embedding_torch",
              "embedding_from_pretrained", "embedding_layer_norm"]
VOCAB = 7


def norm(func):
    return op_spec("norm", func)


def channels_first(channels, lens=None, extra=()):
    """(batch, channels, time, *extra): dynamic time, maybe with per-sequence lengths."""
    spec = {"shape": [channels, None, *extra], "batch_dim_axis": 0, "time_dim_axis": 2, "feature_dim_axis": 1,
            "dtype": "float32"}
    return {**spec, "seq_lens": lens} if lens else spec


def indices(shape, time_major=False, lens=None):
    """int64 class indices below VOCAB, with their sparse input description."""
    spec = {"shape": [None], "batch_dim_axis": 1 if time_major else 0, "time_dim_axis": 0 if time_major else 1,
            "feature_dim_axis": None, "sparse": True, "dim": VOCAB, "dtype": "int64"}
    if lens:
        spec["seq_lens"] = lens
    return np.random.RandomState(0).randint(0, VOCAB, size=shape).astype("int64"), spec


@pytest.mark.parametrize("func", CHANNELS_FIRST)
def test_channels_first(func, tmp_path):
    assert_converts(norm(func), tmp_path, randn(2, 5, 11))


@pytest.mark.parametrize("func", SIX_CHANNELS)
def test_six_channels(func, tmp_path):
    assert_converts(norm(func), tmp_path, randn(2, 6, 11))


@pytest.mark.parametrize("func", CHANNELS_LAST)
@pytest.mark.parametrize("layout", [BATCH_MAJOR, TIME_MAJOR], ids=["batch_major", "time_major"])
def test_channels_last(func, layout, tmp_path):
    shape = (2, 7, 5) if layout is BATCH_MAJOR else (7, 2, 5)
    assert_converts(norm(func), tmp_path, randn(*shape), layout)


@pytest.mark.parametrize("func", EMBEDDINGS)
@pytest.mark.parametrize("time_major", [False, True], ids=["batch_major", "time_major"])
def test_embedding(func, time_major, tmp_path):
    assert_converts(norm(func), tmp_path, *indices((9, 2) if time_major else (2, 9), time_major))


def test_layer_norm_last_two_axes(tmp_path):
    spec = {"shape": [None, 3, 4], "batch_dim_axis": 0, "time_dim_axis": 1, "feature_dim_axis": 3,
            "dtype": "float32"}
    assert_converts(norm("layer_norm_last_two"), tmp_path, randn(2, 6, 3, 4), spec)


def test_group_norm_4d(tmp_path):
    assert_converts(norm("group_norm_4d"), tmp_path, randn(2, 6, 7, 4), channels_first(6, extra=[4]))


def test_batch_norm_2d(tmp_path):
    assert_converts(norm("batch_norm_2d"), tmp_path, randn(2, 3, 7, 4), channels_first(3, extra=[4]))


def test_dropout2d(tmp_path):
    assert_converts(norm("dropout2d_eval"), tmp_path, randn(2, 3, 7, 4), channels_first(3, extra=[4]))


def test_batch_norm_1d_on_2d_input(tmp_path):
    assert_converts(norm("batch_norm_1d_2d_input"), tmp_path, randn(4, 5))


# -- dynamic time with different lengths: padding frames count in the statistics, as in torch

@pytest.mark.parametrize("func", ["group_norm_one_group", "group_norm_per_channel_no_affine", "batch_norm_1d",
                                  "dropout_train"])
def test_different_lengths_channels_first(func, tmp_path):
    assert_converts(norm(func), tmp_path, randn(2, 5, 11), channels_first(5, [11, 6]))


def test_different_lengths_group_norm(tmp_path):
    assert_converts(norm("group_norm"), tmp_path, randn(3, 6, 11), channels_first(6, [11, 4, 8]))


@pytest.mark.parametrize("layout", [BATCH_MAJOR, TIME_MAJOR], ids=["batch_major", "time_major"])
def test_different_lengths_layer_norm(layout, tmp_path):
    shape = (2, 7, 5) if layout is BATCH_MAJOR else (7, 2, 5)
    assert_converts(norm("layer_norm"), tmp_path, randn(*shape), {**layout, "seq_lens": [7, 3]})


@pytest.mark.parametrize("time_major", [False, True], ids=["batch_major", "time_major"])
def test_different_lengths_embedding(time_major, tmp_path):
    shape = (9, 2) if time_major else (2, 9)
    assert_converts(norm("embedding_layer_norm"), tmp_path, *indices(shape, time_major, [9, 5]))


# -- unsupported variants fail with a clear error

@pytest.mark.parametrize("func, inputs, what", [
    ("batch_norm_train", randn(2, 5, 11), "training mode"),
    ("batch_norm_functional_train", randn(2, 5, 11), "batch statistics"),
    ("alpha_dropout_train", randn(2, 5, 11), "AlphaDropout in training mode"),
    ("embedding_max_norm", indices((2, 9))[0], "max_norm"),
])
def test_unsupported(func, inputs, what, tmp_path):
    spec = indices((2, 9))[1] if inputs.dtype == np.int64 else None
    with pytest.raises(UnsupportedOpError, match=f"{what}.*not supported"):
        convert(norm(func), tmp_path, inputs, spec)


# -- functional dropout and in-place dropout


def test_functional_dropout_train(tmp_path):
    assert_converts(norm("dropout_functional_train"), tmp_path, randn(2, 5, 11))


def test_functional_dropout_eval_stays_in_the_net(tmp_path):
    result = assert_converts(norm("dropout_functional_eval"), tmp_path, randn(2, 5, 11))
    assert not any(layer["class"] == "variable" for layer in result.net_dict.values())


def test_dropout_train_inplace(tmp_path):
    assert_converts(norm("dropout_train_inplace"), tmp_path, randn(2, 5, 11))
