"""The drop-in ``torch.nn.utils.rnn``: the registry's ``torch.nn.utils.rnn.*`` ops (none yet: packed
sequences are not supported, and using one says so, naming the function and the user's line)."""

from typing import Any


def __getattr__(name: str) -> Any:
    from pt2r.torch.namespace import resolve
    value = resolve(f"torch.nn.utils.rnn.{name}")
    globals()[name] = value
    return value
