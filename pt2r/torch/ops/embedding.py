"""Embedding: ``nn.Embedding`` and ``F.embedding`` as a RETURNN ``gather`` layer on the weight.

The output is ``weight[input]``: the input's axes followed by the embedding
axis. ``padding_idx`` only changes gradients and the initial weight (which
comes from the trace), so inference ignores it; ``max_norm`` renormalizes
the weight in place while looking it up and is not supported.
"""

from __future__ import annotations

from typing import Any

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._tensor import Parameter, Tensor
from pt2r.torch.nn.module import Module
from pt2r.torch.ops.build import make
from pt2r.torch.ops.registry import module, op
from pt2r.torch.values import static_dims


@op("torch.nn.functional.embedding")
def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,  # noqa: A002
              max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    if max_norm is not None:
        raise UnsupportedOpError("embedding with max_norm (renormalizing the weight in place) is not supported")
    if input.dtype not in (_dtype.int32, _dtype.int64):  # torch refuses them too
        raise ModelError(f"embedding of {input.dtype} indices is not supported (expected int32 or int64)")
    if weight.ndim != 2:
        raise ModelError(f"embedding with a {weight.ndim}-d weight is not supported")
    vocab, emb = weight.dims
    return make({"class": "gather", "from": weight, "position": input, "axis": vocab},
                list(input.dims) + [emb], dtype=weight.dtype)


@op("torch.embedding")
def torch_embedding(weight: Tensor, indices: Tensor, padding_idx: int = -1, scale_grad_by_freq: bool = False,
                    sparse: bool = False) -> Tensor:
    """``torch.embedding``: F.embedding with the weight first."""
    return embedding(indices, weight)


@module("torch.nn.Embedding")
class Embedding(Module):
    axis_roles = {"weight": ("num_embeddings", "embedding_dim")}

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: Any = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None):
        super().__init__()
        if padding_idx is not None and padding_idx < 0:
            padding_idx += num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self.weight = Parameter(Tensor(static_dims((num_embeddings, embedding_dim), "param"), _dtype.float32),
                                requires_grad=not _freeze)

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        rows, cols = (int(n) for n in embeddings.shape)
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, _freeze=freeze)

    def reset_parameters(self) -> None:
        """Parameters come from the trace."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
