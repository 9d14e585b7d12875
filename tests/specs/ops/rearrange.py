"""Op test models for rearranging ops: repeat, tile, repeat_interleave, flip, roll, index_select,
gather, take_along_dim, topk, sort, argsort.

Each function is a tiny model ``f(wrapped_import, x)``; x is (batch, 6 channels, time) unless the
name ends in ``_tbc`` (time-major: (time, batch, 5)). Time is dynamic; the tests also run with
sequences of different lengths, where flips, rolls, sorts and topk over time see the padding
frames as torch does.
"""

from opcases import TIME_MAJOR, Inputs, case, refused, torch_of

#: (batch, 6 channels, time), time dynamic
DYNAMIC = Inputs("channels_first", (2, 6, 12), {"shape": [6, None], "batch_dim_axis": 0, "feature_dim_axis": 1,
                                                "time_dim_axis": 2, "dtype": "float32"}, lengths=[12, 7])
TM = Inputs("time_major", (9, 2, 5), TIME_MAJOR, lengths=[9, 4])


# -- repeat, tile, repeat_interleave -------------------------------------------------------------

@case(["Tensor.repeat"], on=(DYNAMIC,))
def repeat_static(w, x):
    return x.repeat(1, 2, 1)


@case(["Tensor.repeat"], on=(DYNAMIC,))
def repeat_leading_axes(w, x):
    return x.repeat(3, 1, 2, 1)


@case(["Tensor.repeat"], on=(DYNAMIC, DYNAMIC.lens))
def repeat_time(w, x):
    return x.repeat(1, 2, 3)  # time * 3


@case(["Tensor.tile", "torch.tile"], on=(DYNAMIC,))
def tile(w, x):
    torch = torch_of(w)
    return torch.tile(x, (2, 1)) + x.tile(1, 2, 1) + torch.tile(x, dims=(1, 2, 1))  # (2, 1) is (1, 2, 1)


@case(["Tensor.repeat_interleave", "torch.repeat_interleave"], on=(DYNAMIC,))
def repeat_interleave_static(w, x):
    torch = torch_of(w)
    return torch.repeat_interleave(x, 2, dim=1) + x.repeat_interleave(2, 1)


@case(["Tensor.repeat", "Tensor.repeat_interleave"], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def repeat_interleave_time(w, x):
    return x.repeat_interleave(2, dim=2) + x.repeat(1, 1, 2)  # both time * 2


@case(["Tensor.repeat_interleave"], on=(DYNAMIC,))
def repeat_interleave_flattened(w, x):
    return x.sum((0, 2)).repeat_interleave(2)


@case(["torch.repeat_interleave"], on=(DYNAMIC,))
def repeat_interleave_tensor(w, x):
    torch = torch_of(w)
    return torch.repeat_interleave(x, torch.tensor([1, 2, 0, 1, 3, 1]), dim=1)


# -- flip, roll -----------------------------------------------------------------------------------

@case(["Tensor.flip", "torch.flip", "torch.fliplr"], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def flip(w, x):
    torch = torch_of(w)
    return torch.flip(x, [1, 2]) + x.flip(2) + torch.fliplr(x)


@case(["Tensor.flipud"], on=(DYNAMIC,))
def flipud(w, x):
    return x.transpose(0, 1).flipud()


@case(["Tensor.roll", "torch.roll"], on=(DYNAMIC, DYNAMIC.lens))
def roll(w, x):
    torch = torch_of(w)
    return torch.roll(x, 2, 2) + x.roll((1, -1), (1, 2)) + torch.roll(x, -5, dims=1)


# -- index_select, gather, take_along_dim -------------------------------------------------------------

@case(["Tensor.argsort", "Tensor.index_select", "Tensor.topk", "torch.index_select"], on=(DYNAMIC, DYNAMIC.lens))
def index_select_static(w, x):
    torch = torch_of(w)
    index = x.sum(dim=(0, 2)).argsort(descending=True)[:4]
    return torch.index_select(x, 1, index) + x.index_select(1, x.mean((0, 2)).topk(4).indices)


@case(["Tensor.argsort", "Tensor.index_select"], on=(DYNAMIC, DYNAMIC.lens))
def index_select_time(w, x):
    return x.index_select(2, x.sum(dim=(0, 1)).argsort())  # frames reordered, padded ones among them


@case(["Tensor.argsort", "Tensor.index_select"], on=(DYNAMIC, DYNAMIC.lens))
def index_select_by_time_index(w, x):  # an index as long as time selects channels: a second time axis
    return x.index_select(1, x.sum((0, 1)).argsort() % 6)


@case(["Tensor.index_select"], on=(DYNAMIC,))
def index_select_0d(w, x):
    return x.index_select(1, x.sum((0, 2)).argmax())


@case(["Tensor.argsort", "Tensor.gather", "torch.gather"], on=(DYNAMIC,))
def gather(w, x):
    torch = torch_of(w)
    return torch.gather(x, 1, x.argmax(1, keepdim=True)) + x.gather(1, x.argsort(1)[:, :1])


@case(["Tensor.argsort", "Tensor.gather"], on=(DYNAMIC, DYNAMIC.lens))
def gather_time(w, x):
    return x.gather(2, x.argsort(2, descending=True))


@case(["Tensor.take_along_dim", "Tensor.topk", "torch.take_along_dim"], on=(DYNAMIC,))
def take_along_dim(w, x):
    torch = torch_of(w)
    return torch.take_along_dim(x, x.topk(2, dim=1).indices, 1) + x.take_along_dim(x.argmin(1, keepdim=True), 1)


@case(["Tensor.argsort", "torch.take_along_dim"], on=(DYNAMIC, DYNAMIC.lens))
def take_along_dim_broadcast(w, x):
    torch = torch_of(w)
    index = x.sum(0, keepdim=True).argmax(1, keepdim=True)  # (1, 1, T)
    return torch.take_along_dim(x, index, dim=1) + torch.take_along_dim(x.mean(0, keepdim=True), x.argsort(1), 1)


# -- topk, sort, argsort ------------------------------------------------------------------------------

@case(["Tensor.topk", "torch.topk"], on=(DYNAMIC,))
def topk_static(w, x):
    torch = torch_of(w)
    values, indices = torch.topk(x, 3, dim=1)
    smallest = x.topk(2, 1, largest=False)
    return values.sum(1) + indices.sum(1) + smallest.values.sum(1) + smallest.indices.sum(1)


@case(["Tensor.topk"], on=(DYNAMIC, DYNAMIC.lens))
def topk_time(w, x):
    values, indices = x.topk(3)
    return values + indices


@case(["Tensor.argsort", "Tensor.sort", "torch.argsort", "torch.sort"], on=(DYNAMIC,))
def sort_static(w, x):
    torch = torch_of(w)
    values, indices = torch.sort(x, 1)
    down = x.sort(dim=1, descending=True, stable=True)
    return values + indices + down.values + down.indices + torch.argsort(x, 1) + x.argsort(dim=1, descending=True)


@case(["Tensor.argsort", "Tensor.sort"], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def sort_time(w, x):
    values, indices = x.sort(2, descending=True)
    return values + indices + x.argsort(-1)


@case(["Tensor.argsort", "Tensor.round", "torch.sort"], on=(DYNAMIC,))
def sort_ties(w, x):
    torch = torch_of(w)
    r = (x * 2).round()  # equal values: stable order
    return torch.sort(r, stable=True, dim=1).indices + r.argsort(dim=1, descending=True, stable=True)


@case(["Tensor.msort"], on=(DYNAMIC,))
def msort(w, x):
    return x.transpose(0, 1).msort()


# -- time-major ----------------------------------------------------------------------------------------

@case(["Tensor.repeat"], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def repeat_to_sizes(w, x):
    """Counts that are dynamic sizes, on new and size-1 axes (WavLM repeats its position bias over the batch):
    the axis becomes the batch or time."""
    b, c, t = x.shape
    profile = x.mean(0)
    return profile.repeat(b, 2, 1) + x.mean(0, keepdim=True).repeat(b, 2, 1) + x[..., :1].repeat(1, 2, t)


@case(["Tensor.repeat", "Tensor.repeat_interleave", "Tensor.roll", "Tensor.sort", "torch.flip"], on=(TM.lens,))
def time_ops_tbc(w, x):
    torch = torch_of(w)
    y = torch.flip(x, [0]) + x.roll(3, 0) + x.sort(0).values
    return y.repeat(2, 1, 1) + y.repeat_interleave(2, 0)


@case(["Tensor.argsort", "Tensor.gather", "Tensor.index_select", "Tensor.topk"], on=(TM.lens,))
def gather_topk_tbc(w, x):
    values, indices = x.topk(2, dim=0, largest=False)
    return (values + x.gather(0, indices)).sum(0) + x.index_select(2, x.sum((0, 1)).argsort())


@case(["Tensor.repeat"], on=(TM.lens,))
def repeat_to_sizes_tbc(w, x):
    t, b, _ = x.shape
    return x[:1].repeat(t, 1, 1) + x.mean(1).unsqueeze(1).repeat(1, b, 2)[..., :5]


# -- refused -------------------------------------------------------------------------------------------

@refused("repeat along the batch axis is not supported", on=DYNAMIC)
def repeat_batch(w, x):
    return x.repeat(2, 1, 1)


@refused("flip along the batch axis is not supported", on=DYNAMIC)
def flip_batch(w, x):
    return x.flip(0)


@refused(r"roll without dims \(over the flattened 3-d tensor\) is not supported", on=DYNAMIC)
def roll_flattened(w, x):
    return x.roll(3)


@refused("a roll shift computed from a dynamic size is not supported", on=DYNAMIC)
def roll_by_length(w, x):
    return x.roll(x.shape[2] // 2, 2)


@refused("topk with sorted=False is not supported", on=DYNAMIC)
def topk_unsorted(w, x):
    return x.topk(2, 1, sorted=False).values


@refused("tensor of repeats along the dynamic axis .* is not supported", on=DYNAMIC)
def repeat_interleave_tensor_time(w, x):
    torch = torch_of(w)
    return x.repeat_interleave(torch.tensor([2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1]), dim=2)


@refused("repeats computed in the net is not supported", on=DYNAMIC)
def repeat_interleave_net_repeats(w, x):
    return x.repeat_interleave(x.sum((0, 2)).argsort(), dim=1)


@case(["Tensor.fliplr", "torch.flipud", "torch.msort"], on=(DYNAMIC, DYNAMIC.lens))
def function_forms(w, x):
    """Function and method forms the other models call in the other form (over the channels)."""
    torch = torch_of(w)
    return x.fliplr() + torch.flipud(x.transpose(0, 1)).transpose(0, 1) + torch.msort(x.transpose(0, 1)).transpose(0, 1)


@case(["torch.bucketize", "torch.searchsorted"], on=(TM,))
def buckets(w, x):
    """Buckets of values between sorted boundaries, from both sides, and int32 ones."""
    torch = torch_of(w)
    edges = torch.tensor([-1.0, -0.25, 0.0, 0.5, 1.0])
    left = torch.bucketize(x, edges)
    right = torch.bucketize(x, edges, right=True, out_int32=True)
    return left + right + torch.searchsorted(edges, x, side="right") + torch.searchsorted(edges, x, right=False)
