"""Input descriptions (RETURNN Data kwargs) checked against the input array."""

import numpy as np
import pytest

from pt2r.errors import InputSpecError
from pt2r.inputs import describe, dynamic_axes, parse_json


def test_default_is_batch_major_with_static_feature_axis_1():
    desc = describe(np.zeros((2, 80, 50), "float32"), None)
    assert desc == {"batch_dim_axis": 0, "feature_dim_axis": 1, "time_dim_axis": 2,
                    "shape": [80, None], "dtype": "float32"}
    assert dynamic_axes(desc) == [2]
    four = describe(np.zeros((1, 3, 5, 7), "float32"), None)
    assert four["shape"] == [3, None, None] and dynamic_axes(four) == [2, 3]


def test_time_major_description_and_seq_lens():
    array = np.zeros((50, 2, 80), "float32")
    desc = describe(array, {"shape": [None, 80], "batch_dim_axis": 1, "time_dim_axis": 0,
                            "feature_dim_axis": 2, "seq_lens": [50, 31]})
    assert desc["seq_lens"] == {0: [50, 31]}
    assert dynamic_axes(desc) == [0]


def test_sparse_needs_dim():
    ids = np.zeros((2, 7), "int64")
    assert describe(ids, {"shape": [None], "time_dim_axis": 1, "feature_dim_axis": None, "sparse": True,
                          "dim": 100, "dtype": "int64"})["dim"] == 100
    with pytest.raises(InputSpecError, match="needs 'dim'"):
        describe(ids, {"shape": [None], "time_dim_axis": 1, "feature_dim_axis": None, "sparse": True,
                       "dtype": "int64"})


@pytest.mark.parametrize("desc, words", [
    ({"shape": [81, None]}, "has size 81"),
    ({"shape": [80]}, "has 1 axes besides batch"),
    ({"dtype": "int32"}, "says dtype int32"),
    ({"time_dim_axis": 7}, "time_dim_axis=7"),
    ({"colour": "red"}, "unknown keys ['colour']"),
    ({"seq_lens": [60, 10]}, "each length must lie in 0..50"),
    ({"seq_lens": [10]}, "has 1 entries for a batch of 2"),
    ({"seq_lens": {"1": [80, 80]}}, "not a dynamic axis"),
])
def test_descriptions_that_do_not_fit(desc, words):
    with pytest.raises(InputSpecError) as info:
        describe(np.zeros((2, 80, 50), "float32"), desc)
    assert words in info.value.message


def test_parse_json():
    assert parse_json('{"shape": [80, null]}') == {"shape": [80, None]}
    with pytest.raises(InputSpecError, match="not valid JSON"):
        parse_json("{shape")
    with pytest.raises(InputSpecError, match="JSON object"):
        parse_json("[1, 2]")
