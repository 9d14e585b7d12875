"""The comparison metrics, including arrays larger than one block."""

import numpy as np

from pt2r.compare import compare


def test_large_array_worst_index_and_metrics():
    expected = np.random.RandomState(0).randn(3, 700_000).astype("float32")  # spans several blocks
    actual = expected.copy()
    actual[2, 654_321] += 0.5
    result = compare(actual, expected, atol=1e-4, rtol=1e-3)
    assert not result.passed
    assert result.worst_index == (2, 654_321)
    assert abs(result.max_abs - 0.5) < 1e-6
    assert result.worst_actual == float(actual[2, 654_321])
    assert 0.99 < result.cosine < 1.0


def test_mask_ignores_padding_and_infinities_agree():
    expected = np.array([[1.0, -np.inf, 3.0], [1.0, 2.0, np.nan]], dtype="float32")
    actual = np.array([[1.0, -np.inf, 3.0], [1.0, 2.0, np.nan]], dtype="float32")
    assert compare(actual, expected, atol=0, rtol=0).passed
    actual[1, 2] = 99.0
    assert not compare(actual, expected, atol=0, rtol=0).passed
    mask = np.array([[True, True, True], [True, True, False]])
    result = compare(actual, expected, atol=0, rtol=0, mask=mask)
    assert result.passed and result.max_abs == 0.0


def test_tolerance_is_relative_to_the_reference():
    expected = np.array([100.0, 1.0])
    assert compare(expected + [0.09, 0.0], expected, atol=0.0, rtol=1e-3).passed
    assert not compare(expected + [0.0, 0.09], expected, atol=0.0, rtol=1e-3).passed


def test_nan_or_inf_in_one_block_of_many_is_found():
    expected = np.random.RandomState(1).randn(400_000).astype("float32")
    actual = expected.copy()
    actual[300_001] = np.nan
    result = compare(actual, expected, atol=1e-4, rtol=1e-3)
    assert not result.passed and result.worst_index == (300_001,) and result.max_abs == float("inf")
    assert result.cosine > 0.999  # over the finite values
    actual[300_001], actual[5] = expected[300_001], np.inf
    result = compare(actual, expected, atol=1e-4, rtol=1e-3)
    assert not result.passed and result.worst_index == (5,)
