"""The replay report: ``report.json`` (everything) and ``report.md`` (for people)."""

from __future__ import annotations

import json
import os
from typing import Any

from pt2r.replay import report_html
from pt2r.replay.verify import CallResult


def _metrics(m: dict[str, Any] | None) -> str:
    if not m:
        return "-"
    return f"{m['max_abs']:.2e} / {m['max_rel']:.2e} / {m['cosine']:.6f}"


def first_divergence(results: list[CallResult]) -> CallResult | None:
    """The first call (in call order) whose isolated check fails: where the conversion goes wrong."""
    for result in results:
        if result.isolated and not result.isolated["passed"]:
            return result
    for result in results:
        if not result.passed:
            return result
    return None


def describe_failure(result: CallResult) -> str:
    where = f" ({result.source[0]}:{result.source[1]})" if result.source else ""
    if result.drawn and not result.drawn["passed"]:
        d = result.drawn
        return (f"call {result.name!r} ({result.kind} {result.target}){where}: the net's own random draw has shape "
                f"{d['shape']} (PyTorch's: {d['expected_shape']}) and is {'' if d['in_range'] else 'not '}within "
                f"{d['range']}")
    kind = "isolated" if result.isolated and not result.isolated["passed"] else "accumulated"
    m = result.isolated if kind == "isolated" else result.accumulated
    worst = ""
    if m and m.get("worst_index") is not None:
        worst = (f"; largest difference at index {m['worst_index']}: RETURNN {m['worst_actual']:.6g}, "
                 f"PyTorch {m['worst_expected']:.6g}")
    return (f"call {result.name!r} ({result.kind} {result.target}){where}: {kind} check fails, max abs "
            f"{m['max_abs']:.3g}, max rel {m['max_rel']:.3g} (atol {m['atol']}, rtol {m['rtol']}); torch shape "
            f"{result.torch_shapes}, RETURNN layer {result.returnn_layers}, axis mapping (torch->RETURNN) "
            f"{result.axis_mappings}{worst}")


#: layer classes that compute nothing: parameters, constants, copies, new names for dims
NOT_COMPUTING = frozenset({"variable", "constant", "copy", "reinterpret_data"})


def _layers(net_dict: dict[str, dict[str, Any]], prefix: str = "") -> dict[str, str]:
    """Every layer's path and class, subnetworks' layers included (the subnetwork layers not)."""
    out = {}
    for name, layer in net_dict.items():
        if layer["class"] == "subnetwork":
            out.update(_layers(layer["subnetwork"], f"{prefix}{name}/"))
        else:
            out[prefix + name] = layer["class"]
    return out


def native_share(net_dict: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """How much of the net is RETURNN's own layers: computing layers that are not ``eval`` layers,
    over all computing layers (`NOT_COMPUTING` excluded), with the eval layers' paths."""
    computing = {name: cls for name, cls in _layers(net_dict).items() if cls not in NOT_COMPUTING}
    evals = sorted(name for name, cls in computing.items() if cls == "eval")
    return {"computing_layers": len(computing), "native_layers": len(computing) - len(evals),
            "share": (len(computing) - len(evals)) / len(computing) if computing else 1.0, "eval_layers": evals}


def write(out_dir: str, summary: dict[str, Any], results: list[CallResult]) -> None:
    data = {"summary": summary, "calls": [r.as_dict() for r in results]}
    with open(os.path.join(out_dir, "report.json"), "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, default=str)
    lines = [f"# pt2r replay report: {summary['spec']}", ""]
    status = "all checks pass" if summary["passed"] else f"{summary['failed_calls']} calls fail"
    lines += [f"- **{status}**: {summary['checked_calls']} calls checked of {summary['calls']} recorded",
              f"- largest isolated error: {summary['largest_isolated_abs']:.3g} (abs), "
              f"largest accumulated error: {summary['largest_accumulated_abs']:.3g} (abs)",
              f"- standalone check (fresh graph from `returnn.config` + checkpoint): "
              f"{summary['standalone']}"]
    native = summary.get("native_share")
    if native:
        lines.append(f"- native RETURNN layers: {native['native_layers']} of {native['computing_layers']} computing "
                     f"layers ({native['share']:.0%}); eval layers: {len(native['eval_layers'])}")
    if summary.get("first_divergence"):
        lines.append(f"- first divergence: {summary['first_divergence']}")
    for branch in summary.get("dynamic_branches", []):
        lines.append(f"- the net is tied to the recorded size where code branched on it: {branch}")
    user = summary.get("user_converters") or []
    for conv in user:
        what = f"{conv['kind']} call" if conv["kind"] else "call"
        replacing = ", replacing pt2r's own" if conv["replaces_pt2r"] else ""
        lines.append(f"- user converter: `{conv['name']}` ({conv['file']}:{conv['line']}{replacing}): "
                     f"{conv['calls']} {what}{'' if conv['calls'] == 1 else 's'}")
    by_user = {conv["name"] for conv in user}
    drawn = [r.name for r in results if r.drawn]
    if drawn:
        lines.append(f"- drawn by the net itself (random, or torch.empty's undefined memory): {', '.join(drawn)}; "
                     f"checked for shape and range, and later calls checked on PyTorch's values")
    lines += ["", "| call | module/op | torch shape | RETURNN layer | isolated abs / rel / cos "
              "| accumulated abs / rel / cos | |", "|---|---|---|---|---|---|---|"]
    for r in results:
        target = f"{r.target} (user converter)" if r.target in by_user else r.target
        lines.append(f"| `{r.name}` | {target} | {' '.join(str(tuple(s)) for s in r.torch_shapes)} | "
                     f"`{', '.join(r.returnn_layers)}` | {_metrics(r.isolated)} | {_metrics(r.accumulated)} | "
                     f"{'pass' if r.passed else '**FAIL**'} |")
    with open(os.path.join(out_dir, "report.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    report_html.write_html(out_dir, data)
