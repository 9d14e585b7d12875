"""Random ops: with sizes from the input the net draws its own numbers (checked for shape and range,
later calls checked on PyTorch's); with constant sizes it holds PyTorch's. The tests that fit no op case
(the cases: tests/specs/ops/random.py, run by test_ops.py)."""

import numpy as np

from pt2r.replay.standalone import run_exported
from pt2r.trace import TraceReader
from roundtrip import BATCH_MAJOR, assert_converts, convert, op_spec, randn

MIXED = {**BATCH_MAJOR, "seq_lens": [7, 4]}


def test_constant_sizes_are_pytorchs_numbers(tmp_path):
    """Random ops sized by constants take PyTorch's numbers from the recording: the net builds and draws none."""
    result = assert_converts(op_spec("random", "constant_sizes"), tmp_path, randn(2, 7, 5), MIXED)
    with TraceReader(str(tmp_path / "trace.h5")) as reader:
        assert {"torch.randn", "torch.multinomial"} <= {c["target"] for c in reader.meta["calls"]}
    assert not any(r.built for r in result.results if r.target in ("torch.randn", "torch.multinomial"))
    assert not any(r.drawn for r in result.results)


def test_draws_follow_the_input(tmp_path):
    """The exported net draws for other sizes, within the range PyTorch draws in (RETURNN seeds each
    new graph the same, as torch.manual_seed would)."""
    result = assert_converts(op_spec("random", "randint_only"), tmp_path, randn(2, 7, 5), MIXED)
    drawn = run_exported(result.config_path, result.checkpoint_prefix, randn(3, 12, 5), {1: [12, 9, 2]})["output"]
    assert drawn.shape == (3, 12)
    assert drawn.min() >= 0 and drawn.max() <= 4
    assert len(np.unique(drawn)) == 5


def test_wrong_range_is_found(tmp_path):
    """A draw outside PyTorch's range fails its call's check, named in the report."""
    from pt2r.torch import _dtype
    from pt2r.torch.ops.build import ctx, make, size_dims

    def wrong(low, high, size, **kwargs):  # draws from a range 5 wider than it says
        dims = size_dims((size,))
        out = make({"class": "rand_int", "shape": dims, "minval": low, "maxval": high + 5, "dtype": "int64"},
                   dims, dtype=_dtype.int64)
        ctx().drawn(out, low, high - 1)
        return out
    result = convert(op_spec("random", "randint_only"), tmp_path, randn(2, 7, 5), MIXED,
                     override={"torch.randint": wrong})
    assert not result.passed
    assert "own random draw" in result.summary["first_divergence"] and "not within [0, 4]" in \
        result.summary["first_divergence"]
