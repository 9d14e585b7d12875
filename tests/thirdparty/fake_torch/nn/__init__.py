"""fake_torch.nn: module classes that only remember their constructor arguments."""

IS_FAKE = True


class Module:
    """Stand-in for ``torch.nn.Module``: no parameters, no hooks."""

    def __init__(self, *args, **kwargs):
        self.args = args
        self.kwargs = kwargs

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} is a fake module")


class Sequential(Module):
    def __init__(self, *modules):
        super().__init__()
        self.modules_ = list(modules)

    def __getitem__(self, index):
        return self.modules_[index]

    def __len__(self):
        return len(self.modules_)


class ModuleList(Module):
    def __init__(self, modules=()):
        super().__init__()
        self.modules_ = list(modules)

    def __getitem__(self, index):
        return self.modules_[index]

    def __iter__(self):
        return iter(self.modules_)

    def __len__(self):
        return len(self.modules_)


class Linear(Module):
    pass


class Conv1d(Module):
    pass


class ReLU(Module):
    pass


class LeakyReLU(Module):
    pass


class Tanh(Module):
    pass


class GELU(Module):
    pass


class LayerNorm(Module):
    pass
