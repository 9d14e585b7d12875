"""toypkg: a tiny third-party-style PyTorch model package.

Test fixture for pt2r: it is written like real model code (think
parallel_wavegan) and, across its modules, uses every import form model code
uses, so that ``wrapped_import`` and the record/replay phases are exercised
on realistic code:

* ``layers.py``: ``import torch``, ``import torch.nn as nn``,
  ``import torch.nn.functional as F``, and an import inside a function body.
* ``models.py``: ``import torch``, ``from torch import nn``,
  ``from torch.nn import Module``, ``from torch.nn.utils import weight_norm``,
  a relative import (``from .layers import ...``) and an absolute
  intra-package import (``import toypkg.layers``).
* this file: relative imports of the submodules, as real packages do.
"""

from . import layers
from .models import ToyModel

__all__ = ["ToyModel", "layers", "models"]
