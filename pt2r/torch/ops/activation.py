"""Activations: modules and functional forms, as RETURNN activation or eval layers."""

from __future__ import annotations

from pt2r.torch._tensor import Tensor
from pt2r.torch.nn.module import Module
from pt2r.torch.ops.build import eval_layer, make
from pt2r.torch.ops.registry import module, op


def _activation(x: Tensor, name: str) -> Tensor:
    return make({"class": "activation", "from": x, "activation": name}, x.dims, dtype=x.dtype)


@op("torch.tanh", "Tensor.tanh", "torch.nn.functional.tanh")
def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return _activation(input, "tanh")


@op("torch.nn.functional.leaky_relu")
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    return eval_layer(f"tf.nn.leaky_relu(source(0), alpha={float(negative_slope)!r})", [input], input.dims,
                      input.dtype)


@op("torch.relu", "Tensor.relu", "torch.nn.functional.relu")
def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _activation(input, "relu")


@module("torch.nn.LeakyReLU")
class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return leaky_relu(input, self.negative_slope)


@module("torch.nn.Tanh")
class Tanh(Module):
    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return tanh(input)


@module("torch.nn.ReLU")
class ReLU(Module):
    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return relu(input)
