"""Linear, products and reductions: one line per op, recorded on PyTorch and replayed on RETURNN."""

import pytest

from pt2r.errors import UnsupportedOpError
from roundtrip import BATCH_MAJOR, TIME_MAJOR, assert_converts, convert, op_spec, randn

CASES = [
    "linear", "linear_no_bias", "linear_functional", "linear_square_twice", "linear_shared_weight",
    "linear_reused_on_other_dim", "linear_on_reduced",
    "sum_dim", "sum_dims_keepdim", "sum_dtype_axis", "sum_all", "mean_dim", "mean_keepdim", "mean_all",
    "max_dim", "max_dim_indices", "min_dim", "max_min_all", "max_min_elementwise", "amax_amin",
    "logsumexp", "argmax_argmin", "argmax_vector",
    "any_all", "prod_dim", "prod_all_dtype", "std_var_dim", "std_var_unbiased_correction", "std_var_all",
    "std_var_mean", "norm_p", "norm_all", "vector_norm", "normalize", "cumsum", "cumprod",
    "reduce_scan_transposed",
    "matmul_weight", "matmul_vector", "matmul_time_by_time", "matmul_param_first", "bmm_over_time", "mm_mv",
    "matmul_broadcast", "dot_outer_addmm", "baddbmm_attention",
    "einsum_attention", "einsum_attention_values", "einsum_weight", "einsum_implicit_ellipsis",
    "einsum_sum_and_outer", "einsum_three_operands", "einsum_list_operands",
]
#: the cases that reduce or contract over time, or put time on a new axis
OVER_TIME = [
    "linear", "linear_on_reduced", "sum_dim", "sum_dims_keepdim", "sum_dtype_axis", "sum_all", "mean_dim",
    "mean_keepdim", "mean_all", "max_dim", "max_dim_indices", "min_dim", "max_min_all", "amax_amin", "logsumexp",
    "argmax_argmin", "argmax_vector",
    "any_all", "prod_dim", "prod_all_dtype", "std_var_dim", "std_var_unbiased_correction", "std_var_all",
    "std_var_mean", "norm_p", "norm_all", "vector_norm", "normalize", "cumsum", "cumprod",
    "reduce_scan_transposed",
    "matmul_time_by_time", "matmul_param_first", "bmm_over_time", "mm_mv",
    "dot_outer_addmm", "baddbmm_attention", "einsum_attention", "einsum_attention_values", "einsum_implicit_ellipsis",
    "einsum_sum_and_outer", "einsum_list_operands",
]
TIME_MAJOR_CASES = ["tm_reduce_time", "tm_reduce_more", "tm_attention", "tm_bmm", "linear", "sum_dims_keepdim",
                    "matmul_weight"]
DIFFERENT_LENGTHS = {"seq_lens": [7, 4]}


@pytest.mark.parametrize("func", CASES)
def test_op(func, tmp_path):
    assert_converts(op_spec("reduce", func), tmp_path, randn(2, 7, 5), BATCH_MAJOR)


@pytest.mark.parametrize("func", OVER_TIME)
def test_different_lengths(func, tmp_path):
    assert_converts(op_spec("reduce", func), tmp_path, randn(2, 7, 5), {**BATCH_MAJOR, **DIFFERENT_LENGTHS})


@pytest.mark.parametrize("func", TIME_MAJOR_CASES)
def test_time_major_different_lengths(func, tmp_path):
    assert_converts(op_spec("reduce", func), tmp_path, randn(7, 2, 5), {**TIME_MAJOR, **DIFFERENT_LENGTHS})


REFUSED = [("argmax_flat", "argmax over all axes"), ("einsum_diagonal", "diagonal"),
           ("einsum_batch_by_batch", "two batch axes"), ("linear_over_time", "linear over a dynamic"),
           ("norm_nuclear", "matrix norm")]


@pytest.mark.parametrize("func, what", REFUSED)
def test_refused(func, what, tmp_path):
    with pytest.raises(UnsupportedOpError, match=f"{what}.*not supported"):
        convert(op_spec("reduce", func), tmp_path, randn(2, 7, 5), BATCH_MAJOR)
