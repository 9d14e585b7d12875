"""Op test models for values read into Python (pt2r/torch/ops/readout.py): ``float(x)``,
``bool(x)``, ``x.item()``, ... Each function is a tiny model ``f(wrapped_import, x)``.
"""

from opcases import BATCH_MAJOR, Inputs, case, torch_of

#: (batch, time, 5), time dynamic
BM = Inputs("batch_major", (2, 9, 5), BATCH_MAJOR, lengths=[9, 5])


@case(["Tensor.__bool__", "Tensor.__float__"], on=(BM, BM.lens))
def branch_on_value(w, x):  # Python control flow on a value read from the net
    y = x * 2
    if (y > -100).all():
        y = y + 1
    return y * float(x.abs().max() > 0)


@case(["Tensor.__int__", "Tensor.tolist", "Tensor.item", "Tensor.__contains__"], on=(BM, BM.lens))
def values_read_into_python(w, x):
    """Numbers and lists read from the net, computed with in Python (the net keeps the recorded ones); a
    membership test (transformers' ``pad_token_id in input_ids[:, [-1, 0]]``)."""
    n = int((x > -100).sum())
    flags = (x.abs().amax(dim=(0, 1)) > -1).tolist()  # one per feature
    scale = (x.abs().max() > 0).item()
    found = 1000.0 in x[:, 0]
    return x * min(n, 1) + sum(flags) + scale + found


@case(["Tensor.__getitem__", "Tensor.__setitem__"], on=(BM,))
def loop_over_the_length(w, x):
    """A Python loop over the time axis (RWKV's scan without its CUDA kernel): ``range`` takes the
    length as the recorded int, so the net is tied to it, which the report says (test_ops_readout.py)."""
    torch = torch_of(w)
    out, state = torch.zeros_like(x), torch.zeros_like(x[:, 0])
    for i in range(x.size(1)):
        state = 0.5 * state + x[:, i]
        out[:, i] = state
    return out


@case(["torch.nn.functional.pad"], on=(BM,))
def size_arithmetic_without_a_dim(w, x):
    """Padding to a whole number of blocks by ``-t % 4`` (LongT5's blocks, EnCodec's frames): RETURNN has no
    dim for a remainder, so it stays the recorded int, which the report says (test_ops_readout.py)."""
    torch = torch_of(w)
    return torch.nn.functional.pad(x, (0, 0, 0, -x.shape[1] % 4)) * (x.shape[1] / 2)
