"""The drop-in ``torch.autograd``: enough for model code that defines custom ``Function``s.

A conversion has no backward pass: ``Function.apply`` runs ``forward`` on the
drop-in, so the ops inside are recorded and replayed like any other user code
(the record phase sees them the same way).
"""

from __future__ import annotations

from typing import Any

from pt2r.torch import no_grad  # noqa: F401  (torch.autograd.no_grad)

#: a package, so torch.autograd's other submodules (``torch.autograd.graph``) come from pt2r.torch._platform
__path__: list[str] = []


class FunctionCtx:
    """What ``forward(ctx, ...)`` may call on its context; gradients do not exist here."""

    def save_for_backward(self, *tensors: Any) -> None:
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors: Any) -> None:
        pass

    def mark_dirty(self, *tensors: Any) -> None:
        pass

    def set_materialize_grads(self, value: bool) -> None:
        pass


class Function:
    """``torch.autograd.Function``: subclasses define static ``forward`` (and ``backward``)."""

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        return cls.forward(FunctionCtx(), *args, **kwargs)
