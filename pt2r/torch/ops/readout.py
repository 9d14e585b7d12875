"""Op family readout: a tensor's values read into Python (``bool(x)``, ``x.item()``, ``int(x)``,
``float(x)``, ``x.tolist()``, ``value in x``).

Model code branches on such values (transformers skips building an attention mask when
``padding_mask.all()``, and warns when ``pad_token_id in input_ids``). The net cannot hand a value
to Python while it is being built, so the replay takes the value the recording read, and where the
tensor came from the net the report notes that the exported net follows the branch the recorded
input took.
"""

from __future__ import annotations

from typing import Any

from pt2r.torch._tensor import Tensor
from pt2r.torch.ops.build import ctx
from pt2r.torch.ops.registry import op


@op("Tensor.__bool__", "Tensor.item", "Tensor.__int__", "Tensor.__float__", "Tensor.tolist",
    "Tensor.__contains__")
def read_value(input: Tensor, *args: Any) -> Any:  # noqa: A002
    """The recorded value; a dim's size (``lengths.max().item()``) as that size, which stays the dim."""
    context = ctx()
    size = input.as_size()
    if size is not input and context.current_target() == "Tensor.item":  # (int() makes a plain int of it)
        return size
    value = context.recorded_output()
    context.note_dynamic_branch(f"{context.current_target()} read {value!r} from the net; the exported net follows the "
                                f"recorded input's value here")
    return value
