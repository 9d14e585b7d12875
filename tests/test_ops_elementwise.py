"""Elementwise and creation ops: one line per op model, recorded on PyTorch and replayed on RETURNN.

Dynamic cases also run the exported net on inputs of other lengths and compare with PyTorch, so
sizes taken from a dynamic axis (``torch.arange(t)``, ``x / t``) are shown to stay dynamic.
"""

import numpy as np
import pytest
import torch

from roundtrip import TIME_MAJOR, assert_converts, convert, op_spec, randn
from pt2r.errors import UnsupportedOpError
from pt2r.replay.standalone import run_exported
from pt2r.spec import load_spec

#: input (batch, 5 features, dynamic time) by default
CASES = [
    "broadcast_param", "scalar_forms", "integer_promotion", "zero_dim_promotion", "powers", "unary", "unary_integer",
    "activations", "minimum_maximum", "clamp_scalar", "clamp_tensor", "clamp_integer", "comparisons",
    "compare_with_none", "logic", "where", "masked_fill", "casts", "in_place", "fill_in_place", "creation_like",
    "constants_folded", "empty_placeholders", "merged_batches",
]
#: models whose sizes come from the dynamic time axis
DYNAMIC = ["creation_dynamic", "divide_by_length", "tensor_of_sizes", "arange_time", "arange_step",
           "arange_float_step", "mask_from_lengths", "arange_indexed", "mask_from_data_lengths", "causal_mask",
           "triangles", "square_masks"]
#: models that run on either layout (see the spec's ``_layout``)
BOTH_LAYOUTS = ["creation_dynamic", "divide_by_length", "creation_like", "broadcast_param", "arange_indexed"]
#: blocked by the core: compare.compare fails equal infinities (inf - inf is nan) and NaN vs NaN (nan tolerance)
BLOCKED = ["masked_fill_inf", "full_inf"]  # infinities: equal ones agree exactly

DEFAULT = {"shape": [5, None], "batch_dim_axis": 0, "feature_dim_axis": 1, "time_dim_axis": 2, "dtype": "float32"}
LENGTHS = {**DEFAULT, "seq_lens": [11, 6]}


@pytest.mark.parametrize("func", CASES + DYNAMIC + BLOCKED)
def test_op(func, tmp_path):
    assert_converts(op_spec("elementwise", func), tmp_path, randn(2, 5, 11))


@pytest.mark.parametrize("func", DYNAMIC + ["masked_fill", "in_place", "merged_batches"])
def test_different_lengths(func, tmp_path):
    assert_converts(op_spec("elementwise", func), tmp_path, randn(2, 5, 11), LENGTHS)


@pytest.mark.parametrize("lengths", [None, [11, 6]], ids=["full", "different_lengths"])
@pytest.mark.parametrize("func", BOTH_LAYOUTS)
def test_time_major(func, lengths, tmp_path):
    spec = {**TIME_MAJOR, "seq_lens": lengths} if lengths else TIME_MAJOR
    assert_converts(op_spec("elementwise", func), tmp_path, randn(11, 2, 5), spec)


@pytest.mark.parametrize("func, time_major", [(f, False) for f in DYNAMIC]
                         + [(f, True) for f in DYNAMIC if f in BOTH_LAYOUTS])
def test_stays_dynamic(func, time_major, tmp_path):
    """The net exported from a recording at length 11 computes PyTorch's result at lengths 7 and 16."""
    spec = op_spec("elementwise", func)
    shape, input_spec, time_axis = ((11, 2, 5), {**TIME_MAJOR, "seq_lens": [11, 6]}, 0) if time_major else \
        ((2, 5, 11), LENGTHS, 2)
    result = assert_converts(spec, tmp_path, randn(*shape), input_spec)
    for length in (7, 16):
        new_shape = [3 if axis != time_axis else length for axis in range(3)]
        new_shape[2 if time_major else 1] = 5
        x = randn(*new_shape, seed=length)
        expected = load_spec(spec).func(None, torch.from_numpy(x))
        got = run_exported(result.config_path, result.checkpoint_prefix, x, {time_axis: [length] * 3})
        np.testing.assert_allclose(got["output"], expected.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("func", ["leading_one_param", "broadcast_param"])
def test_batch_of_one(func, tmp_path):
    """A batch axis recorded with size 1 is the batch, not a size-1 axis: other size-1 axes broadcast to it."""
    assert_converts(op_spec("elementwise", func), tmp_path, randn(1, 5, 11), DEFAULT)


def test_unsupported_variant_is_named(tmp_path):
    with pytest.raises(UnsupportedOpError, match=r"torch.where\(condition\).*not supported"):
        convert(op_spec("elementwise", "unsupported_where"), tmp_path, randn(2, 5, 11))
