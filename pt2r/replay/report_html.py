"""``report.html``: the replay report as one self-contained page (no JavaScript, no external files).

It shows, from the ``report.json`` dict alone: a header with the summary (spec, pass/fail, calls
checked of recorded, failing calls, largest isolated and accumulated error, the standalone check,
tolerances, dynamic branches); the first failing call in a box, with its source file:line and a
link to its row; an inline SVG plot of the isolated and accumulated max abs error along the call
order (log scale, failing calls in red); and the call tree (nested ``<details>`` built from the
"/"-separated call names, with group rows for parents that were not checked themselves), each
call with its kind, target, torch shape, RETURNN layers, both checks' abs / rel / cos and pass/fail.
"""

from __future__ import annotations

import math
import os
from html import escape
from typing import Any

FLOOR = 1e-12  # the plot's log scale draws smaller errors (and exact zeros) here
SERIES = (("accumulated", "#1f77b4"), ("isolated", "#ff9f1c"))
FAIL = "#d62728"
STYLE = """body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}code{font-size:12px}
table.sum td{padding:1px 10px 1px 0;vertical-align:top}.pass{color:#1a7f37;font-weight:bold}
.fail{color:#d62728;font-weight:bold}.box{border:2px solid #d62728;background:#fff0f0;padding:.6em 1em;margin:1em 0}
.box.ok{border-color:#1a7f37;background:#effaf1}figure{margin:1em 0}figcaption{font-size:12px;color:#555}
.r{display:grid;grid-template-columns:minmax(22em,3fr) 4em minmax(10em,2fr) 8em minmax(10em,2fr) 16.5em 16.5em 3em;
gap:0 8px;font-size:12px;padding:1px 0;border-bottom:1px solid #eee}.r>span{overflow-wrap:anywhere}
.h{font-weight:bold;border-bottom:2px solid #999}.bad{background:#ffe3e3}.grp{color:#777;font-style:italic}
summary{list-style:none;cursor:pointer}summary::-webkit-details-marker{display:none}
summary .n::before{content:"\\25B8  "}.l::before{content:"\\2003"}details[open]>summary .n::before{content:"\\25BE  "}
:target{outline:2px solid #d62728}"""


def fmt(value: Any, spec: str = ".3g") -> str:
    """How the page prints a number (NaN, inf and None included)."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return str(value) if isinstance(value, int) else format(value, spec)


def first_failing(calls: list[dict[str, Any]]) -> int | None:
    """Position of the first call whose isolated check fails, else of the first failing call (as report.py)."""
    for i, call in enumerate(calls):
        if call.get("isolated") and not call["isolated"].get("passed", True):
            return i
    return next((i for i, call in enumerate(calls) if not call.get("passed", True)), None)


def row_id(i: int, first: int | None) -> str:
    return "first-failure" if i == first else f"call-{i}"


def _source(call: dict[str, Any]) -> str:
    src = call.get("source")
    return f"{src[0]}:{src[1]}" if src else "(source unknown)"


def _summary(s: dict[str, Any]) -> str:
    status = ('<span class="pass">all checks pass</span>' if s.get("passed")
              else '<span class="fail">FAIL</span>')
    tolerances = "; ".join(f"{escape(str(dt))}: atol {fmt(t.get('atol'))}, rtol {fmt(t.get('rtol'))}"
                           for dt, t in (s.get("tolerances") or {}).items())
    rows = [("result", "status", status),
            ("calls checked / recorded", "s-calls", f"{fmt(s.get('checked_calls'))} / {fmt(s.get('calls'))}"),
            ("failing calls", "s-failed", fmt(s.get("failed_calls"))),
            ("largest isolated error (abs)", "s-iso", fmt(s.get("largest_isolated_abs"))),
            ("largest accumulated error (abs)", "s-acc", fmt(s.get("largest_accumulated_abs"))),
            ("standalone check (fresh graph from returnn.config + checkpoint)", "s-standalone",
             f"<code>{escape(str(s.get('standalone')))}</code>"),
            ("tolerances", "s-tol", tolerances or "-")]
    rows += [("dynamic branch (net tied to the recorded size)", f"s-branch-{k}", f"<code>{escape(str(b))}</code>")
             for k, b in enumerate(s.get("dynamic_branches") or [])]
    rows += [("user converter", f"s-converter-{k}",
              f"<code>{escape(c['name'])}</code> ({escape(c['file'])}:{c['line']}"
              f"{', replacing pt2r&#x27;s own' if c.get('replaces_pt2r') else ''}): {fmt(c['calls'])} calls")
             for k, c in enumerate(s.get("user_converters") or [])]
    body = "".join(f'<tr><td>{escape(k)}</td><td id="{i}">{v}</td></tr>' for k, i, v in rows)
    return f"<h1>pt2r replay report: <code>{escape(str(s.get('spec')))}</code></h1><table class=\"sum\">{body}</table>"


def _box(s: dict[str, Any], calls: list[dict[str, Any]], first: int | None) -> str:
    if first is None:
        text = "every checked call passes" + ("" if s.get("passed") else "; see the standalone check above")
        return f'<div class="box ok" id="box">{escape(text)}</div>'
    call = calls[first]
    detail = s.get("first_divergence") or ""
    return (f'<div class="box" id="box"><b>first failing call:</b> <a href="#first-failure"><code>'
            f'{escape(call.get("name", ""))}</code></a> ({escape(str(call.get("kind")))} '
            f'<code>{escape(str(call.get("target")))}</code>) at <code id="box-source">{escape(_source(call))}</code>'
            f'<br><small>{escape(detail)}</small></div>')


def _plot(calls: list[dict[str, Any]], first: int | None) -> str:
    if not calls:
        return "<p>(no checked calls to plot)</p>"
    W, H, L, R, T, B = 960, 300, 64, 150, 12, 44
    pw, ph = W - L - R, H - T - B
    finite = [max(m["max_abs"], FLOOR) for c in calls for key, _ in SERIES for m in [c.get(key)]
              if m and isinstance(m.get("max_abs"), (int, float)) and math.isfinite(m["max_abs"])]
    lo = math.floor(math.log10(min(finite, default=FLOOR)))
    hi = max(math.ceil(math.log10(max(finite, default=FLOOR))), lo + 1)
    n = len(calls)

    def x(i: int) -> float:
        return L + (i / (n - 1) if n > 1 else 0.5) * pw

    def y(v: float) -> float:  # NaN and inf: the top edge; below FLOOR: FLOOR
        return T + (hi - (math.log10(max(v, FLOOR)) if math.isfinite(v) else hi)) / (hi - lo) * ph

    out = [f'<svg width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-size="11" role="img">',
           f'<rect x="{L}" y="{T}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>']
    step = max(1, math.ceil((hi - lo) / 10))
    for e in range(lo, hi + 1, step):
        out.append(f'<line x1="{L}" x2="{L + pw}" y1="{y(10.0 ** e):.1f}" y2="{y(10.0 ** e):.1f}" stroke="#eee"/>'
                   f'<text x="{L - 4}" y="{y(10.0 ** e) + 4:.1f}" text-anchor="end">10'
                   f'<tspan dy="-5" font-size="8">{e}</tspan></text>')
    tick = max(1, math.ceil(n / 10))
    for i in sorted({0, n - 1, *range(0, n - tick // 2, tick)}):
        out.append(f'<text x="{x(i):.1f}" y="{T + ph + 14}" text-anchor="middle">{i}</text>')
    out += [f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{T}" y2="{T + ph}" stroke="{FAIL}" stroke-opacity=".25"/>'
            for i, c in enumerate(calls) if not c.get("passed", True)]
    for key, color in SERIES:
        pts, segment, segments = [], [], []
        for i, c in enumerate(calls):
            m = c.get(key)
            v = m.get("max_abs") if m else None
            if not isinstance(v, (int, float)):
                segments, segment = segments + [segment], []
                continue
            v = float(v)
            segment.append(f"{x(i):.1f},{y(v):.1f}")
            fill = FAIL if not m.get("passed", True) else color
            pts.append(f'<a href="#{row_id(i, first)}"><circle class="pt-{key}" cx="{x(i):.1f}" cy="{y(v):.1f}" '
                       f'r="{2.5 if fill == color else 3.5}" fill="{fill}" stroke="{color}">'
                       f'<title>{escape(c.get("name", ""))}\n{key} max abs {fmt(v)}</title></circle></a>')
        out += [f'<polyline fill="none" stroke="{color}" stroke-width="1" points="{" ".join(s)}"/>'
                for s in segments + [segment] if s] + pts
    legend = [(c, k) for k, c in SERIES] + [(FAIL, "check fails")]
    for k, (color, label) in enumerate(legend):
        out.append(f'<circle cx="{L + pw + 14}" cy="{T + 10 + 16 * k}" r="4" fill="{color}"/>'
                   f'<text x="{L + pw + 22}" y="{T + 14 + 16 * k}">{label}</text>')
    out += [f'<text x="{L + pw / 2}" y="{H - 6}" text-anchor="middle">position in call order (checked calls)</text>',
            f'<text transform="translate(14,{T + ph / 2}) rotate(-90)" text-anchor="middle">max abs error</text>',
            "</svg>"]
    caption = (f"Max abs error of each checked call against PyTorch, isolated (fed the recorded inputs) and "
               f"accumulated (the net run from the model input). Log scale: errors below {FLOOR:g}, exact zeros "
               f"included, are drawn at {FLOOR:g}; NaN/inf at the top edge. Red: the check fails.")
    return f"<figure>{''.join(out)}<figcaption>{escape(caption)}</figcaption></figure>"


def _metrics(m: dict[str, Any] | None) -> str:
    if not m:
        return "<span>-</span>"
    text = f"{fmt(m.get('max_abs'))} / {fmt(m.get('max_rel'))} / {fmt(m.get('cosine'), '.6f')}"
    return f'<span class="{"" if m.get("passed", True) else "fail"}">{text}</span>'


def _row(call: dict[str, Any] | None, label: str, depth: int, rid: str | None, summary: bool) -> str:
    pad = f'style="padding-left:{depth * 1.2:.1f}em"'
    name = f'<span class="{"n" if summary else "l"}" {pad}>{escape(label)}</span>'
    if call is None:
        return f'<span class="r grp">{name}</span>'
    shapes = " ".join(str(tuple(s)) for s in call.get("torch_shapes") or [])
    ok = call.get("passed", True)
    cells = [escape(str(call.get("kind"))), f"<code>{escape(str(call.get('target')))}</code>", escape(shapes),
             f"<code>{escape(', '.join(call.get('returnn_layers') or []))}</code>"]
    return (f'<span class="r{"" if ok else " bad"}" id="{rid}" title="{escape(call.get("name", ""))} at '
            f'{escape(_source(call))}">{name}{"".join(f"<span>{c}</span>" for c in cells)}'
            f'{_metrics(call.get("isolated"))}{_metrics(call.get("accumulated"))}'
            f'<span class="{"pass" if ok else "fail"}">{"pass" if ok else "FAIL"}</span></span>')


def _tree(calls: list[dict[str, Any]], first: int | None) -> str:
    root: dict[str, Any] = {"kids": {}, "calls": [], "bad": False}
    for i, call in enumerate(calls):
        node = root
        for part in str(call.get("name", "")).split("/"):
            node = node["kids"].setdefault(part, {"kids": {}, "calls": [], "bad": False})
            node["bad"] |= not call.get("passed", True)
        node["calls"].append(i)

    def render(label: str, node: dict[str, Any], depth: int) -> str:
        own = node["calls"]
        head = (_row(calls[own[0]], label, depth, row_id(own[0], first), bool(node["kids"])) if own
                else _row(None, label, depth, None, bool(node["kids"])))
        extra = "".join(_row(calls[i], label, depth, row_id(i, first), False) for i in own[1:])
        if not node["kids"]:
            return head + extra
        kids = "".join(render(k, v, depth + 1) for k, v in node["kids"].items())
        is_open = " open" if depth < 2 or node["bad"] else ""
        return f"<details{is_open}><summary>{head}</summary>{extra}{kids}</details>"

    header = "".join(f"<span>{h}</span>" for h in ("call", "kind", "target", "torch shape", "RETURNN layer(s)",
                                                      "isolated abs / rel / cos", "accumulated abs / rel / cos", ""))
    return (f'<h2>calls</h2><span class="r h">{header}</span>'
            + "".join(render(k, v, 0) for k, v in root["kids"].items()))


def write_html(out_dir: str, data: dict[str, Any]) -> str:
    """Writes ``report.html`` for the ``report.json`` dict ``data``; returns its path."""
    summary, calls = data.get("summary") or {}, list(data.get("calls") or [])
    first = first_failing(calls)
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>pt2r report: {escape(str(summary.get('spec')))}</title><style>{STYLE}</style></head><body>"
            f"{_summary(summary)}{_box(summary, calls, first)}{_plot(calls, first)}{_tree(calls, first)}"
            "</body></html>\n")
    path = os.path.join(out_dir, "report.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path
