"""Aligning the two call lists: matched by name, leftovers paired by kind and target, nesting counted."""

from __future__ import annotations

import difflib
from typing import Iterator

#: above this many (removed x added) calls in one unmatched stretch, pair by position only
_ALIGN_LIMIT = 1_000_000


def _align(calls_a: list[dict], calls_b: list[dict]) -> tuple[list[tuple[str, int, int]], dict[int, int]]:
    """Events ("pair", i, j), ("removed", i, -1), ("added", -1, j) in order, and the pairs i -> j."""
    names_a, names_b = [c["name"] for c in calls_a], [c["name"] for c in calls_b]
    events: list[tuple[str, int, int]] = []
    if names_a == names_b:
        events = [("pair", i, i) for i in range(len(names_a))]
    else:
        matcher = difflib.SequenceMatcher(None, names_a, names_b, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                events += [("pair", i, j) for i, j in zip(range(i1, i2), range(j1, j2))]
            else:
                events += _pair_leftovers(calls_a, calls_b, i1, i2, j1, j2)
    return events, {i: j for kind, i, j in events if kind == "pair"}


def _pair_leftovers(calls_a, calls_b, i1, i2, j1, j2) -> Iterator[tuple[str, int, int]]:
    """Unmatched calls between two matched ones: pair those of equal kind and target in order."""
    targets_a = [(calls_a[i]["kind"], calls_a[i]["target"]) for i in range(i1, i2)]
    targets_b = [(calls_b[j]["kind"], calls_b[j]["target"]) for j in range(j1, j2)]
    if len(targets_a) * len(targets_b) > _ALIGN_LIMIT:  # too many to align: position only
        n = 0
        while n < min(len(targets_a), len(targets_b)) and targets_a[n] == targets_b[n]:
            n += 1
        blocks = [("equal", 0, n, 0, n), ("replace", n, len(targets_a), n, len(targets_b))]
    else:
        blocks = difflib.SequenceMatcher(None, targets_a, targets_b, autojunk=False).get_opcodes()
    for tag, k1, k2, l1, l2 in blocks:
        if tag == "equal":
            yield from (("pair", i1 + k, j1 + l) for k, l in zip(range(k1, k2), range(l1, l2)))
        else:
            yield from (("removed", i1 + k, -1) for k in range(k1, k2))
            yield from (("added", -1, j1 + l) for l in range(l1, l2))


def _ends_and_depths(calls: list[dict]) -> tuple[list[int], list[int]]:
    """For each call: the index of its last inner call (itself if none), and its nesting depth."""
    end, depth = list(range(len(calls))), [0] * len(calls)
    for j, call in enumerate(calls):
        if call.get("parent") is not None:
            depth[j] = depth[call["parent"]] + 1
    for j in range(len(calls) - 1, -1, -1):
        parent = calls[j].get("parent")
        if parent is not None:
            end[parent] = max(end[parent], end[j])
    return end, depth


def _nested_counts(calls: list[dict], chosen: set[int], implied: set[int] | None = None) -> dict[int, int]:
    """For calls in ``chosen`` that are reported (not inside another chosen one, or not ``implied``
    by it): the number of chosen calls inside them."""
    implied = chosen if implied is None else implied
    top: dict[int, int] = {}
    counts: dict[int, int] = {}
    for i in sorted(chosen):
        parent = calls[i].get("parent")
        if i in implied and parent in top:
            top[i] = top[parent]
            counts[top[i]] += 1
        else:
            top[i] = i
            counts[i] = 0
    return counts


def _rename_implied(calls_a, calls_b, pairs, i) -> bool:
    """Whether the rename of call ``i`` follows from its parent's rename (same local name)."""
    pa, pb = calls_a[i].get("parent"), calls_b[pairs[i]].get("parent")
    if pa is None or pb is None or pairs.get(pa) != pb:
        return False
    parent_a, parent_b = calls_a[pa]["name"], calls_b[pb]["name"]
    return parent_a != parent_b and calls_a[i]["name"][len(parent_a):] == calls_b[pairs[i]]["name"][len(parent_b):]

