"""Derived dims in canonical form: the same sizes as the shortest arithmetic (pt2r.torch.dims)."""

import pytest

pytest.importorskip("returnn")
from returnn.tensor import Dim  # noqa: E402

from pt2r.torch.dims import canonical, canonical_in  # noqa: E402


@pytest.fixture
def time():
    return Dim(None, name="time")


def test_padding_then_valid_conv_is_the_input_dim_again(time):
    out = (time + 6).sub_right(3).sub_left(3)  # as RETURNN's valid conv of width 7 computes it
    assert out.description == "-3+(time+3)"
    assert canonical(out) is time


def test_offsets_on_both_sides_merge_and_equal_forms_give_one_dim(time):
    a = canonical((3 + (time * 5)) + 4)
    b = canonical((time * 5 + 10) - 3)
    assert a is b
    assert a.derived_from_op.kind == "add" and a.derived_from_op.inputs[0] is time * 5
    assert canonical(time * 5 - 2 + 2) is time * 5


def test_divisions_simplify_only_where_they_come_out_even(time):
    assert canonical((time * 4 + 8) // 2) is time * 2 + 4
    uneven = canonical((time + 6 - 1) // 2)
    assert uneven.derived_from_op.kind == "floordiv" and uneven.derived_from_op.inputs[0] is time + 5
    assert canonical((time * 3).ceildiv_right(3)) is time


def test_merged_axes_keep_their_parts(time):
    channels = Dim(6, name="channels")
    merged = time * channels
    assert canonical(merged) is merged
    assert canonical(merged).derived_from_op.inputs[1] is channels


def test_static_root_and_negative_dims_are_left_alone(time):
    channels = Dim(6, name="channels")
    assert canonical(channels) is channels and canonical(time) is time
    shrinking = (time * 2) - time * 3  # no dim RETURNN can build: kept as it was
    assert canonical(shrinking) is shrinking


def test_layer_dicts_are_made_canonical_throughout(time):
    out = time + 2 - 2
    entry = {"out_type": {"dim_tags": [out]}, "set_dim_tags": {out: out}, "axes": (out, "T")}
    assert canonical_in(entry) == {"out_type": {"dim_tags": [time]}, "set_dim_tags": {time: time},
                                   "axes": (time, "T")}
