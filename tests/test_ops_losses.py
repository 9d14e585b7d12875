"""Losses, distances, scans, order statistics and counts: one line per op, recorded on PyTorch and
replayed on RETURNN."""

import pytest

from pt2r.errors import UnsupportedOpError
from roundtrip import BATCH_MAJOR, TIME_MAJOR, assert_converts, convert, op_spec, randn

CASES = [
    "mse_l1", "mse_l1_broadcast_legacy", "mse_weighted", "loss_modules",
    "kl_div", "kl_div_log_target_zeros", "kl_div_module",
    "nll_loss", "nll_loss_ignore_weight", "nll_loss_module_vector",
    "cross_entropy", "cross_entropy_ignore_weight", "cross_entropy_label_smoothing", "cross_entropy_probabilities",
    "cross_entropy_flat", "cross_entropy_4d", "cross_entropy_random_target", "cross_entropy_module",
    "cosine_similarity", "cosine_similarity_pairs", "pairwise_distance", "distance_modules",
    "logcumsumexp", "cummax_cummin", "cummax_ties_nan",
    "median", "median_nan_int", "nansum", "count_nonzero", "linalg_norm", "vector_norm", "rot90",
]
#: the cases that reduce, scan or flip over time (all but the one on a static slice)
OVER_TIME = [c for c in CASES if c != "cross_entropy_random_target"]
TIME_MAJOR_CASES = ["tm_losses", "tm_scans", "cross_entropy_flat", "cross_entropy_4d", "cummax_cummin", "median"]
DIFFERENT_LENGTHS = {"seq_lens": [7, 4]}


@pytest.mark.parametrize("func", CASES)
def test_op(func, tmp_path):
    assert_converts(op_spec("losses", func), tmp_path, randn(2, 7, 5), BATCH_MAJOR)


@pytest.mark.parametrize("func", OVER_TIME)
def test_different_lengths(func, tmp_path):
    assert_converts(op_spec("losses", func), tmp_path, randn(2, 7, 5), {**BATCH_MAJOR, **DIFFERENT_LENGTHS})


@pytest.mark.parametrize("func", TIME_MAJOR_CASES)
def test_time_major_different_lengths(func, tmp_path):
    assert_converts(op_spec("losses", func), tmp_path, randn(7, 2, 5), {**TIME_MAJOR, **DIFFERENT_LENGTHS})


REFUSED = [("cosine_similarity_broadcast_dim", "along a dim that one operand broadcasts"),
           ("linalg_norm_nuclear", "ord='nuc'"), ("linalg_norm_two", "ord=2 over two dims"),
           ("cross_entropy_dynamic_classes", "dynamic class axis")]


@pytest.mark.parametrize("func, what", REFUSED)
def test_refused(func, what, tmp_path):
    with pytest.raises(UnsupportedOpError, match=f"{what}.*not supported"):
        convert(op_spec("losses", func), tmp_path, randn(2, 7, 5), BATCH_MAJOR)
