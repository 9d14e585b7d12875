"""A model built and run the way transformers builds and runs its models."""

import torch
import torch.utils.checkpoint
from torch import nn
from torch.nn import CrossEntropyLoss  # noqa: F401  (imported, never used for inference)

from . import initialization as init

NEG_INF = torch.finfo(torch.float32).min


class Config:
    def __init__(self, hidden=8, features=5):
        self.hidden, self.features = hidden, features


class PreTrained(nn.Module):
    def is_custom_code(self):
        return not type(self).__module__.startswith("hfstyle.")

    def post_init(self):
        if self.is_custom_code():  # a wrapped copy that does not look like the package itself: no init
            return
        with torch.no_grad(), init.guard_torch_init():
            for module in self.modules():
                if isinstance(module, nn.Linear):
                    init.normal_(module.weight, std=0.5)
                    module.weight._is_initialized = True
                    init.zeros_(module.bias)
            for module in self.modules():  # a second pass leaves tagged tensors alone
                if isinstance(module, nn.Linear):
                    init.normal_(module.weight, std=10.0)


class Model(PreTrained):
    def __init__(self, config):
        super().__init__()
        self.proj = nn.Linear(config.features, config.hidden)
        self.out = nn.Linear(config.hidden, config.features)
        self.post_init()

    @torch.no_grad
    def forward(self, x, mask=None):
        assert not torch.cuda.is_available() and not torch.compiler.is_compiling()
        assert not hasattr(torch, "no_such_thing_in_torch") and hasattr(torch, "float8_e4m3fn")
        h = torch.utils.checkpoint.checkpoint(self.proj, x, use_reentrant=False)
        if mask is not None:
            h = h.masked_fill(~mask[:, :, None], 0.0)
        return self.out(torch.tanh(h))
