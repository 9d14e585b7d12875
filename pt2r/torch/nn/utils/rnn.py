"""The drop-in ``torch.nn.utils.rnn``: the registry's ``torch.nn.utils.rnn.*`` names (packed sequences:
`pt2r.torch.ops.recurrent`); a name it lacks says so when used, naming it and the user's line."""

from typing import Any


def __getattr__(name: str) -> Any:
    from pt2r.torch.namespace import resolve
    value = resolve(f"torch.nn.utils.rnn.{name}")
    globals()[name] = value
    return value
