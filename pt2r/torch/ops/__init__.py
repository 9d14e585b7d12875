"""Op mappings, one module per op family, registered in `registry` by torch's qualified names."""

from pt2r.torch._tensor import Tensor
from pt2r.torch.ops import registry
from pt2r.torch.ops import activation, conv, creation, elementwise, padding  # noqa: F401

registry.install_tensor_methods(Tensor)
