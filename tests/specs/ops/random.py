"""Op test models for random ops sized by the input: the net draws them itself. Each function is a
tiny model ``f(wrapped_import, x)``, x of shape (batch, time, 5), time dynamic.
"""

from opcases import BATCH_MAJOR, TIME_MAJOR, Inputs, case, refused, torch_of

#: (batch, time, 5) and (time, batch, 5), time dynamic
BM = Inputs("batch_major", (2, 7, 5), BATCH_MAJOR, lengths=[7, 4])
TM = Inputs("time_major", (7, 2, 5), TIME_MAJOR, lengths=[7, 4])


@case(["torch.randint"], on=(BM.lens,), other_lengths=[[9, 3, 6]], compared="shapes")
def randint_only(w, x):  # the output is a random op's result only
    torch = torch_of(w)
    return torch.randint(0, 5, (x.shape[0], x.shape[1]))


@case(["torch.randint"], on=(BM.lens,), other_lengths=[[9, 3, 6]], compared="shapes")
def batch_offsets(w, x):  # a batch-sized arange plus random integers over the batch
    torch = torch_of(w)
    return torch.arange(x.shape[0]).unsqueeze(1) + torch.randint(0, 10, (x.shape[0], 4))


@case([
    "Tensor.normal_",
    "Tensor.uniform_",
    "torch.bernoulli",
    "torch.empty",
    "torch.rand",
    "torch.randint",
    "torch.randn_like",
], on=(BM.lens, TM.lens), other_lengths=[[9, 3, 6]], compared="shapes")
def noise(w, x):  # the draws a training-time augmentation makes, then computed with
    torch = torch_of(w)
    b, t = x.shape[:2]
    noisy = x + torch.rand(b, t, 1) * 0.1 + torch.randn_like(x) + torch.empty(b, t, 5).uniform_(-1, 1)
    keep = torch.bernoulli(torch.full((b, t, 1), 0.5))
    return noisy * keep + torch.zeros_like(x).normal_(2.0, 0.5), torch.randint(3, 9, (b,))


@case(["Tensor.random_", "torch.randint_like"], on=(BM.lens,), other_lengths=[[9, 3, 6]], compared="shapes")
def randint_like_(w, x):
    torch = torch_of(w)
    return torch.randint_like(x, 2, 6) + torch.zeros_like(x).random_(0, 3)


def constant_sizes(w, x):  # sizes the input does not give: PyTorch's very numbers, as constants
    torch = torch_of(w)
    return x + torch.randn(5) + torch.multinomial(torch.tensor([0.2, 0.8]), 5, replacement=True)


@refused("torch.multinomial with a size taken from the input", on=BM.lens)
def multinomial_sized_by_input(w, x):
    torch = torch_of(w)
    return torch.multinomial(torch.ones(x.shape[0], 3), 2)


@case(["torch.rand_like", "torch.randn", "torch.bernoulli", "Tensor.bernoulli", "Tensor.bernoulli_"],
      on=(BM.lens, TM.lens), other_lengths=[[9, 3, 6]], compared="shapes")
def drawn_like_the_input(w, x):
    torch = torch_of(w)
    p, noise = torch.rand_like(x), torch.randn(x.shape)
    return p + noise + torch.bernoulli(p) + p.bernoulli() * 2 + torch.zeros_like(x).bernoulli_(0.3) * 3


@case(["torch.normal", "torch.poisson", "torch.randperm", "torch.multinomial", "Tensor.multinomial",
       "Tensor.exponential_", "Tensor.geometric_", "Tensor.cauchy_", "Tensor.log_normal_",
       "torch.nn.functional.gumbel_softmax"], on=(BM.lens,))
def undrawn_constant_sizes(w, x):
    """Random ops the net cannot draw itself, on constant sizes: PyTorch's very numbers, from the trace."""
    torch = torch_of(w)
    c = torch.ones(5)
    y = torch.normal(c, 0.5) + torch.poisson(c) + torch.randperm(5) + torch.multinomial(c, 5, replacement=True)
    y = y + c.multinomial(5, replacement=True) + c.clone().exponential_() + c.clone().geometric_(0.5)
    y = y + c.clone().cauchy_().clamp(-5, 5) + c.clone().log_normal_().clamp(max=5)
    return x + y + torch.nn.functional.gumbel_softmax(c)
