"""Op mappings, one module per op family, registered in `registry` by torch's qualified names."""

from pt2r.torch._tensor import Tensor
from pt2r.torch.ops import registry
from pt2r.torch.ops import (  # noqa: F401  (each registers its ops)
    activation, assign, attention, conv, creation, elementwise, embedding, linear, losses, norm, padding, pooling,
    parametrize, random, readout, rearrange, recurrent, reduce, scans, shape, special, spectral, transformer, view)

registry.install_tensor_methods(Tensor)
