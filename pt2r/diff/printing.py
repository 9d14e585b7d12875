"""print_diff: the readable summary of a TraceDiff on a rich console."""

from __future__ import annotations

import math

from pt2r.diff.result import TraceDiff, ValueDifference


def print_diff(diff: TraceDiff, console, *, max_structural: int = 10, max_values: int = 10) -> None:
    """A readable summary: verdict, first structural differences, worst value differences, counts."""
    from rich.markup import escape

    c = diff.counts
    if diff.equal:
        how = ("every tensor identical" if not c["tensors_within_tolerance"] else
               f"{c['tensors_identical']} tensors identical, {c['tensors_within_tolerance']} within tolerance "
               f"(largest difference {diff.largest_within_tolerance:.3g})")
        console.print(f"[green]the traces are equal[/green]: same structure ({c['calls_a']} calls), {how}",
                      soft_wrap=True)
    else:
        parts = []
        if diff.structural:
            parts.append(f"{len(diff.structural)} structural difference{'s' * (len(diff.structural) != 1)}")
        if diff.values:
            parts.append(f"{len(diff.values)} of {c['tensors_compared']} tensors differ beyond tolerance")
        console.print(f"[bold red]the traces differ[/bold red]: {', '.join(parts)}", soft_wrap=True)
    console.print(f"  A: {escape(diff.path_a)}", soft_wrap=True)
    console.print(f"  B: {escape(diff.path_b)}", soft_wrap=True)

    if diff.structural:
        shown = diff.structural[:max_structural]
        more = f" (first {len(shown)} of {len(diff.structural)})" if len(shown) < len(diff.structural) else ""
        console.print(f"[bold]structural differences{more}:[/bold]")
        for n, d in enumerate(shown, 1):
            src = d.source_b or d.source_a
            at = f" [dim](at {escape(str(src[0]))}:{src[1]})[/dim]" if src else ""
            console.print(f"  {n}. [yellow]{escape(d.category)}[/yellow]: {escape(d.message)}{at}", soft_wrap=True)

    if diff.values:
        first = diff.first_value_difference
        console.print(f"[bold]first value difference[/bold] (in call order): {escape(first.name)} "
                      f"{tuple(first.shape)} {first.dtype}: {_value_text(first)}", soft_wrap=True)
        shown = diff.values[:max_values]
        console.print(f"[bold]worst value differences[/bold] ({len(shown)} of {len(diff.values)}, by how far "
                      "beyond tolerance):", soft_wrap=True)
        for n, d in enumerate(shown, 1):
            console.print(f"  {n}. {escape(d.name)} {tuple(d.shape)} {d.dtype}: [red]{_beyond(d)}[/red] "
                          f"(max abs {d.max_abs:.3g}, max rel {d.max_rel:.3g}{_tolerance_text(d, '; ')})",
                          soft_wrap=True)

    console.print(
        f"calls: {c['calls_a']} in A, {c['calls_b']} in B, {c['calls_matched']} matched "
        f"({c['calls_renamed']} renamed), {c['calls_removed']} removed, {c['calls_added']} added; "
        f"tensors: {c['tensors_compared']} compared: {c['tensors_identical']} identical, "
        f"{c['tensors_within_tolerance']} within tolerance, {c['tensors_beyond_tolerance']} beyond"
        + (f"; {c['not_compared']} not comparable (missing, or another shape or dtype)" if c["not_compared"] else ""),
        soft_wrap=True)
    info = diff.info
    notes = [f"{k} {a} -> {b}" for k, (a, b) in info["versions_changed"].items()]
    if info["spec"][0] != info["spec"][1]:
        notes.append(f"spec {info['spec'][0]} -> {info['spec'][1]}")
    if info["spec_source_changed"]:
        notes.append("the spec's source changed")
    if info["seeds"][0] != info["seeds"][1]:
        notes.append(f"seeds {info['seeds'][0]} -> {info['seeds'][1]}")
    notes.append(f"recorded {info['created'][0]} and {info['created'][1]}")
    seconds = [(t or {}).get("traced_seconds") for t in info["timing"]]
    if all(isinstance(t, (int, float)) for t in seconds):
        notes.append(f"traced run {seconds[0]:.3f} s and {seconds[1]:.3f} s")
    console.print(f"[dim]info (not differences): {escape('; '.join(notes))}[/dim]", soft_wrap=True)


def _beyond(d: ValueDifference) -> str:
    """How far beyond tolerance, in words."""
    if d.atol == d.rtol == 0:
        return "not equal (must be)"
    if math.isinf(d.times_tolerance):
        return "NaN or inf against another value"
    return f"{d.times_tolerance:.3g}x tolerance"


def _tolerance_text(d: ValueDifference, sep: str) -> str:
    return "" if d.atol == d.rtol == 0 else f"{sep}atol {d.atol:g}, rtol {d.rtol:g}"


def _value_text(d: ValueDifference) -> str:
    text = f"{_beyond(d)} (max abs {d.max_abs:.3g}, max rel {d.max_rel:.3g}{_tolerance_text(d, '; ')})"
    if d.worst_index is not None:
        text += f"; worst at {d.worst_index}: {d.value_a:.6g} in A, {d.value_b:.6g} in B"
    return text
