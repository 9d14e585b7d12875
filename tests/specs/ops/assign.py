"""Op test models for assignment and copies: ``x[index] = value``, clone, detach, copy_.

Each function is a tiny model ``f(wrapped_import, x)``, x of shape (batch, time, 5), time dynamic.
"""

from opcases import BATCH_MAJOR, TIME_MAJOR, Inputs, case, refused, torch_of

#: (batch, time, 5) and (time, batch, 5), time dynamic
BM = Inputs("batch_major", (2, 9, 5), BATCH_MAJOR, lengths=[9, 5])
TM = Inputs("time_major", (9, 2, 5), TIME_MAJOR, lengths=[9, 5])


@case(["Tensor.__setitem__"], on=(BM, BM.lens, TM.lens))
def setitem_slices(w, x):
    y = x * 2
    y[:, :, 0] = 0.0  # a feature
    y[:, 1:3] = -1.0  # frames 1 and 2
    y[..., 3:] = 5.0
    y[:, ::3, 1] = 7.0  # every third frame
    return y


@case(["Tensor.__setitem__"], on=(BM, BM.lens), other_lengths=[[6] * 3, [13] * 3])
def setitem_from_the_end(w, x):  # bounds relative to the time axis' own length
    y = x + 1
    t = x.shape[1]
    y[:, t - 2:] = 0.0
    y[:, -1, :2] = 3.0
    y[:, : t - 1, 4] = x.amax()  # a 0-d tensor value
    return y


@case(["Tensor.__setitem__", "Tensor.clone"], on=(BM, BM.lens))
def setitem_mask(w, x):
    y = x.clone()
    y[x < 0] = 0.0
    frames = x.sum(-1) > 0  # a mask over the leading axes
    y[frames] = -2.0
    return y + x  # x itself is unchanged


@case(["Tensor.clone", "Tensor.copy_", "Tensor.detach", "torch.clone"], on=(BM, BM.lens))
def clone_detach_copy(w, x):
    torch = torch_of(w)
    y = x.clone()
    y.mul_(2)
    z = torch.zeros_like(x)
    z.copy_(y[:, :, :1])  # broadcast over the features
    return x + y.detach() + z + torch.clone(x)


@refused("assigning a tensor into a slice with a step is not supported", on=BM)
def setitem_tensor_value_with_step(w, x):  # refused: a tensor into a slice with a step
    y = x * 1
    y[:, ::2] = x[:, ::2] * 2
    return y


@case(["Tensor.__setitem__"], on=(BM, BM.lens), other_lengths=[[6] * 3, [13] * 3])
def setitem_tensor_values(w, x):  # tensors into parts: broadcast to the part, placed by the slices' bounds
    torch = torch_of(w)
    y = x * 1
    y[:, 0] = x[:, 1]  # a frame
    y[:, 2:5, 1:3] = torch.ones(2) * 7  # broadcast over frames
    t = x.shape[1]
    y[:, t - 3:, 4] = x[:, :3, 0] * 2  # bounds from the time axis' own length
    y[..., :2] = x[:, :, 3:4]  # a size-1 axis broadcast
    return y


@case(["Tensor.__setitem__"], on=(TM.lens,))
def tm_setitem_tensor_values(w, x):  # x: (time, batch, 5)
    y = x * 1
    y[2:5] = x[:3] * 2
    y[:, :, 0] = x[:, :, 1]
    y[-1] = x[0, :, :1]
    return y


@case(["Tensor.__setitem__"], on=(BM, BM.lens), other_lengths=[[4, 11, 7]], compared="valid")
def assign_last_frames(w, x, seq_lens):  # transformers' attention-mask idiom
    torch = torch_of(w)
    mask = torch.zeros(x.shape[0], x.shape[1], dtype=torch.long)
    mask[(torch.arange(x.shape[0]), seq_lens - 1)] = 1
    mask = mask.flip([-1]).cumsum(-1).flip([-1]).bool()
    return x * mask[:, :, None]


@case(["Tensor.scatter_", "Tensor.scatter", "torch.scatter", "torch.scatter_add", "Tensor.scatter_add",
       "Tensor.scatter_add_"], on=(BM.lens,), other_lengths=[[11, 6, 9]])
def scatter_along_features(w, x):
    """One-hot targets by scatter_ of a value (the classic idiom), values written and added at computed
    positions along the features, per frame."""
    torch = torch_of(w)
    labels = x.argmax(-1, keepdim=True)
    one_hot = torch.zeros_like(x).scatter_(-1, labels, 1.0)
    order = x.argsort(-1)
    written = x.scatter(2, order, x * 2)
    added = torch.scatter_add(torch.ones_like(x), 2, order, x) + x.scatter_add(-1, order, x)
    total = torch.zeros_like(x)
    total.scatter_add_(2, order, x)
    return one_hot + written + added + total + torch.scatter(x, 2, order, 0.5, reduce="add")


@case(["Tensor.index_put_", "Tensor.index_put", "torch.index_put", "Tensor.masked_scatter",
       "Tensor.masked_scatter_", "torch.masked_scatter"], on=(BM.lens,), other_lengths=[[11, 6, 9]])
def index_put_and_masked_scatter(w, x):
    """index_put_ with an index tensor, and masked_scatter filling the marked features of each frame in
    row-major order from a source (as multimodal models put embeddings at placeholder tokens)."""
    torch = torch_of(w)
    y = x.permute(2, 1, 0).clone()  # (features, time, batch): the index picks features
    y.index_put_((torch.tensor([0, 2]),), torch.tensor(0.5))
    z = torch.index_put(y, (torch.tensor([1]),), torch.tensor(2.0)) + y.index_put((torch.tensor([3]),),
                                                                                   torch.tensor(-1.0))
    mask = x > 0
    filled = x.clone()
    filled.masked_scatter_(mask[:, :, :1], torch.sin(x))
    scattered = x.masked_scatter(mask, torch.cos(x) * 3) + torch.masked_scatter(x, ~mask, x)
    return (y + z).permute(2, 1, 0) + scattered + filled
