"""Op test models for creation ops (pt2r/torch/ops/creation.py) beyond those the elementwise models
use: tensors made from tensors, uninitialized ones filled, values from outside, parameter initialisers.

Each function is a tiny model ``f(wrapped_import, x)``; its ``@case`` says the inputs it takes.
"""

import os
import tempfile

from opcases import BATCH_MAJOR, TIME_MAJOR, Inputs, case, torch_of

#: (batch, time, 5) and (time, batch, 5), time dynamic
BM = Inputs("batch_major", (2, 7, 5), BATCH_MAJOR, lengths=[7, 4])
TM = Inputs("time_major", (7, 2, 5), TIME_MAJOR, lengths=[7, 4])


@case(["torch.as_tensor", "torch.empty_like", "Tensor.new_empty"], on=(BM, BM.lens, TM.lens))
def from_tensors(w, x):
    """``as_tensor`` of a tensor; ``empty_like``/``new_empty`` sized by the input, filled in place."""
    torch = torch_of(w)
    y = torch.as_tensor(x) * 2 + torch.as_tensor(x, dtype=torch.float32)
    return y + torch.empty_like(x).fill_(0.5) + x.new_empty(x.shape).fill_(1.5)


@case(["torch.load", "torch.from_numpy"], on=(BM, BM.lens))
def external_values(w, x):
    """What a model takes from outside (a loaded file, a numpy array): PyTorch's values, from the trace.
    The reference run (real torch) saves the file the traced run loads; replay needs no file."""
    import numpy as np

    torch = torch_of(w)
    path = os.path.join(tempfile.gettempdir(), f"pt2r-op-case-{os.getpid()}.pt")
    if not w:
        torch.save({"scale": torch.arange(1.0, 6.0)}, path)
    scale = torch.load(path)["scale"]
    return x * scale + torch.from_numpy(np.linspace(0, 1, 5, dtype="float32"))


@case(["torch.nn.init.constant_", "torch.nn.init.kaiming_uniform_", "torch.nn.init.normal_",
       "torch.nn.init.uniform_"], on=(BM, BM.lens))
def initialisers(w, x):
    """Parameters initialised in the model code: their values come from the trace."""
    torch = torch_of(w)
    first, second = torch.nn.Linear(5, 4), torch.nn.Linear(4, 3)
    torch.nn.init.constant_(first.bias, 0.5)
    torch.nn.init.kaiming_uniform_(first.weight, a=1.0)
    torch.nn.init.normal_(second.weight, 0.0, 0.2)
    torch.nn.init.uniform_(second.bias, -0.1, 0.1)
    return second(first(x).tanh())


@case(["torch.nn.functional.one_hot"], on=(BM.lens, TM.lens), other_lengths=[[3, 8, 5]])
def one_hot(w, x):
    """Class indices (from the input) as one-hot int64 vectors, used as floats."""
    torch = torch_of(w)
    indices = (x.abs() * 2).long().clamp(max=3)
    return torch.nn.functional.one_hot(indices, 4).float() * x.unsqueeze(-1) + torch.nn.functional.one_hot(
        indices[..., 0], num_classes=6).sum(-1, keepdim=True).unsqueeze(-1)


@case(["torch.eye"], on=(BM.lens,), other_lengths=[[11, 6, 9]])
def eye_over_time(w, x):
    """A (t, t) identity from the length (a time-by-time mask's diagonal) and a (t, 5) one."""
    torch = torch_of(w)
    t = x.size(1)
    return torch.matmul(torch.eye(t), x) + torch.eye(t, 5, dtype=torch.float64).float()


@case(["torch.linspace"], on=(BM.lens,), other_lengths=[[11, 6, 9]])
def linspace_over_time(w, x):
    """Evenly spaced weights over the length (and one more), as torch computes them."""
    torch = torch_of(w)
    ramp = torch.linspace(-2, 3, x.size(1) + 1)[:-1]
    return x * ramp[None, :, None] + torch.linspace(0, 1, 5)


@case(["Tensor.gt", "Tensor.mul"], on=(BM.lens,))
def buffer_operands(w, x):
    """An nn.Buffer on the right of an operator (EnCodec's padding arithmetic): torch makes it a plain tensor,
    so ``x > buffer`` is ``x.gt``, not the buffer's reflected ``lt`` (the recorded op names must match)."""
    torch = torch_of(w)

    class Scaled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.k = torch.nn.Buffer(torch.tensor(0.5), persistent=False)

        def forward(self, h):
            return (h > self.k).float() + h * self.k - self.k

    return Scaled()(x)


@case(["Tensor.type"], on=(BM.lens,), other_lengths=[[11, 6, 9]])
def legacy_tensor_types(w, x):
    """torch's legacy tensor types as older model code uses them (XLNet): ``nn.Parameter(torch.FloatTensor(1, 1,
    d))`` (its values from the trace), ``torch.LongTensor([...])`` data, isinstance checks, ``.type(...)``."""
    torch = torch_of(w)

    class Embedded(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mask_emb = torch.nn.Parameter(torch.FloatTensor(1, 1, 5))
            torch.nn.init.normal_(self.mask_emb)

        def forward(self, h):
            ids = torch.LongTensor([0, 2])
            typed = isinstance(ids, torch.LongTensor) and not isinstance(h, torch.LongTensor)
            return h + self.mask_emb + ids.type(torch.FloatTensor).sum() * typed + (h > 0).type(torch.FloatTensor)

    return Embedded()(x)


@case(["torch.arange"], on=(BM.lens,), other_lengths=[[11, 6, 9]])
def arange_between_sizes(w, x):
    """Ranges whose bounds come from the length: Transformer-XL's reversed relative positions
    ``arange(t - 1, -1, -1.0)``, XLNet's ``arange(t, -t, -1)`` and an ascending one from ``t - 2``."""
    torch = torch_of(w)
    t = x.size(1)
    reversed_positions = torch.arange(t - 1, -1, -1.0)
    both_ways = torch.arange(t, -t, -1.0, dtype=torch.int64).float()
    ascending = torch.arange(t - 2, 2 * t - 2)
    return x * reversed_positions[None, :, None] + both_ways[None, :t, None] + ascending[None, :, None].float()
