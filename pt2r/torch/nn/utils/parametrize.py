"""The drop-in ``torch.nn.utils.parametrize`` (built in `pt2r.torch.ops.parametrize`)."""

from pt2r.torch.ops.parametrize import (  # noqa: F401
    ParametrizationList, cached, is_parametrized, register_parametrization, remove_parametrizations,
    type_before_parametrizations)
