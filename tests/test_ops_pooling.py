"""Pooling and resampling: one line per case, recorded on PyTorch and replayed on RETURNN."""

import numpy as np
import pytest
import torch

from pt2r.errors import UnsupportedOpError
from pt2r.replay.standalone import run_exported
from pt2r.spec import load_spec
from roundtrip import TIME_MAJOR, assert_converts, convert, op_spec, randn

#: (batch, 6 channels, time), time dynamic
BCT = {"shape": [6, None], "batch_dim_axis": 0, "feature_dim_axis": 1, "time_dim_axis": 2, "dtype": "float32"}
#: a batch of different lengths: the short one's windows near its end read padding frames
BCT_LENS = {**BCT, "seq_lens": [12, 7]}
#: (batch, 3 channels, 7 features, time): features static, time dynamic
BCFT_LENS = {"shape": [3, 7, None], "batch_dim_axis": 0, "feature_dim_axis": 1, "time_dim_axis": 3,
             "dtype": "float32", "seq_lens": {3: [9, 5]}}


def spec(func):
    return op_spec("pooling", func)


CASES = [
    "max_pool", "max_pool_strided_padded", "max_pool_ceil", "max_pool_ceil_no_padding", "max_pool_dilated",
    "avg_pool", "avg_pool_padded", "avg_pool_ceil", "avg_pool_ceil_no_padding",
    "adaptive_pool_time", "adaptive_pool_static",
    "upsample_nearest", "upsample_nearest_by_3", "upsample_linear", "upsample_linear_by_3",
    "upsample_linear_size_from_shape", "interpolate_static", "deprecated_upsample",
]


@pytest.mark.parametrize("desc", [BCT, BCT_LENS], ids=["full", "different_lengths"])
@pytest.mark.parametrize("func", CASES)
def test_op(func, desc, tmp_path):
    assert_converts(spec(func), tmp_path, randn(2, 6, 12), desc)


@pytest.mark.parametrize("func", ["pools_2d", "adaptive_pools_2d", "interpolate_2d"])
def test_2d(func, tmp_path):
    assert_converts(spec(func), tmp_path, randn(2, 3, 7, 9), BCFT_LENS)


def test_time_major(tmp_path):
    assert_converts(spec("time_major"), tmp_path, randn(9, 2, 5), {**TIME_MAJOR, "seq_lens": [9, 4]})


@pytest.mark.parametrize("func", ["max_pool_ceil", "avg_pool_ceil", "upsample_linear", "upsample_nearest_by_3",
                                  "upsample_linear_size_from_shape"])
def test_exported_net_runs_on_other_lengths(func, tmp_path):
    """Output sizes are dim arithmetic on time: the exported net, run on another batch size and length
    than recorded, computes what PyTorch computes there."""
    result = assert_converts(spec(func), tmp_path, randn(2, 6, 12), BCT_LENS)
    x = randn(3, 6, 17, seed=1)
    outputs = run_exported(result.config_path, result.checkpoint_prefix, x, {2: [17, 9, 17]})
    expected = load_spec(spec(func)).func(None, torch.from_numpy(x)).numpy()
    assert outputs["output"].shape == expected.shape
    np.testing.assert_allclose(outputs["output"], expected, rtol=1e-5, atol=1e-5)


def test_functional_max_pools(tmp_path):
    """``F.max_pool1d`` and the like are ``boolean_dispatch`` wrappers whose branch dispatches: recorded
    as the function the user called."""
    assert_converts(spec("functional_max_pools"), tmp_path, randn(2, 6, 12), BCT_LENS)


@pytest.mark.parametrize("func, message", [
    ("interpolate_to_recorded_size", "interpolate to size 24 along the dynamic axis .* is not supported"),
    ("interpolate_fractional", "interpolate by scale_factor 1.5 along the dynamic axis .* is not supported"),
    ("adaptive_to_size_4", "adaptive_avg_pool1d to size 4 along the dynamic axis .* is not supported"),
    ("max_pool_indices", "max_pool1d with return_indices=True is not supported"),
    ("interpolate_bicubic", "interpolate with mode='bicubic' on 4-d input is not supported"),
    ("interpolate_antialias", "interpolate with antialias=True is not supported"),
])
def test_refused_with_a_clear_error(func, message, tmp_path):
    with pytest.raises(UnsupportedOpError, match=message):
        convert(spec(func), tmp_path, randn(2, 6, 12), BCT)
