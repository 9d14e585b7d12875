"""report.html: a self-contained page made from the report.json dict alone.

The unit tests load ``report_html.py`` by its path (it is stdlib only), so they need neither
TensorFlow nor torch; the last test runs the real record and replay of the bundled example.
"""

import importlib.util
import json
import math
import os
from html.parser import HTMLParser

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("report_html_alone",
                                               os.path.join(REPO, "pt2r", "replay", "report_html.py"))
report_html = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report_html)
fmt = report_html.fmt

VOID = {"meta", "br", "hr", "img", "input", "link"}


class Page(HTMLParser):
    """Tags (checked to nest properly), the text of every element with an id, and the SVG points."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.stack, self.tags, self.by_id, self.points = [], [], {}, {}
        self._open_ids, self._title = [], None
        self.feed(text)
        self.close()
        assert not self.stack, f"unclosed tags: {self.stack}"

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag in VOID:
            return
        self.stack.append((tag, attrs))
        if "id" in attrs:
            assert attrs["id"] not in self.by_id, f"duplicate id {attrs['id']}"
            self.by_id[attrs["id"]] = {"attrs": attrs, "text": ""}
        if tag == "title" and len(self.stack) > 1 and self.stack[-2][0] == "circle":
            self._title = self.stack[-2][1].get("class", "")
            self.points.setdefault(self._title, []).append("")

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1][0] == tag, f"</{tag}> closes {self.stack[-1:]}"
        if tag == "title":
            self._title = None
        self.stack.pop()

    def handle_data(self, data):
        for _, attrs in self.stack:
            if "id" in attrs:
                self.by_id[attrs["id"]]["text"] += " " + data
        if self._title is not None:
            self.points[self._title][-1] += data

    def text(self, element_id):
        return " ".join(self.by_id[element_id]["text"].split())

    def names(self, series):
        """The call names of a series' plotted points (each point's <title> starts with it)."""
        return [t.split("\n")[0] for t in self.points.get(f"pt-{series}", [])]


def metrics(max_abs, passed=True, max_rel=None, cosine=1.0):
    return {"max_abs": max_abs, "max_rel": max_abs if max_rel is None else max_rel, "cosine": cosine,
            "passed": passed, "worst_index": [0, 0], "worst_actual": 1.0, "worst_expected": 1.0,
            "atol": 1e-4, "rtol": 1e-3}


def call(index, name, iso, acc, passed=True, kind="module", source=("/x/model.py", 10)):
    return {"index": index, "name": name, "kind": kind, "target": "torch.nn.Conv1d",
            "source": list(source) if source else None, "torch_shapes": [[1, 4, 7]],
            "returnn_layers": [name.replace("/", ".")], "axis_mappings": ["0->0:batch"],
            "isolated": iso, "accumulated": acc, "passed": passed}


CALLS = [
    call(3, "Net", metrics(1e-7), metrics(2e-7)),
    call(4, "Net/enc/0", metrics(0.0), metrics(3e-7)),  # its parent Net/enc was not checked
    call(5, "Net/enc/0/add", metrics(0.5, passed=False), metrics(0.6, passed=False), passed=False, kind="op",
         source=("/x/model.py", 42)),
    call(6, "Net/enc/1", metrics(0.0, max_rel=math.nan, cosine=math.nan), metrics(math.inf, passed=False),
         passed=False),
    call(7, "Net/dec", None, metrics(1e-5), kind="op", source=None),
]
SUMMARY = {"spec": "toy.py:model_func", "trace": "/x/trace.h5", "calls": 9, "checked_calls": 5, "failed_calls": 2,
           "passed": False, "largest_isolated_abs": 0.5, "largest_accumulated_abs": math.inf,
           "standalone": "pass", "standalone_checks": {}, "dynamic_branches": ["Net/enc: size 7 <branch>"],
           "first_divergence": "call 'Net/enc/0/add' (op torch.add) (/x/model.py:42): isolated check fails",
           "tolerances": {"float32": {"atol": 1e-4, "rtol": 1e-3}}, "seconds": {"total": 1.0}, "layers": 6}


@pytest.fixture
def page(tmp_path):
    path = report_html.write_html(str(tmp_path), {"summary": SUMMARY, "calls": CALLS})
    assert path == str(tmp_path / "report.html") and os.path.isfile(path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return text, Page(text)


def test_self_contained(page):
    text, parsed = page
    assert "<script" not in text.lower() and "http://" not in text and "https://" not in text
    assert all(attrs.get("href", "#").startswith("#") for _, attrs in parsed.tags)
    assert not any("src" in attrs for _, attrs in parsed.tags)


def test_summary_numbers_are_the_dicts(page):
    _, parsed = page
    assert parsed.text("s-calls") == f"{fmt(5)} / {fmt(9)}"
    assert parsed.text("s-failed") == fmt(2)
    assert parsed.text("s-iso") == fmt(0.5)
    assert parsed.text("s-acc") == fmt(math.inf) == "inf"
    assert parsed.text("status") == "FAIL"
    assert parsed.text("s-standalone") == "pass"
    assert "atol 0.0001, rtol 0.001" in parsed.text("s-tol")
    assert parsed.text("s-branch-0") == "Net/enc: size 7 <branch>"  # escaped in the page, text again here


def test_first_failing_call_boxed_and_anchored(page):
    _, parsed = page
    box = parsed.text("box")
    assert "Net/enc/0/add" in box and "/x/model.py:42" in box and SUMMARY["first_divergence"] in box
    assert parsed.text("box-source") == "/x/model.py:42"
    assert any(tag == "a" and attrs.get("href") == "#first-failure" for tag, attrs in parsed.tags)
    row = parsed.by_id["first-failure"]
    assert row["attrs"]["title"].startswith("Net/enc/0/add at /x/model.py:42") and "bad" in row["attrs"]["class"]
    assert "FAIL" in parsed.text("first-failure")


def test_plot_has_one_point_per_call_per_series(page):
    text, parsed = page
    assert parsed.names("accumulated") == [c["name"] for c in CALLS]
    assert parsed.names("isolated") == [c["name"] for c in CALLS if c["isolated"]]  # Net/dec: no isolated check
    assert "<svg" in text and f"drawn at {report_html.FLOOR:g}" in text
    failing_points = [a for t, a in parsed.tags if t == "circle" and a.get("fill") == report_html.FAIL
                      and a.get("class", "").startswith("pt-")]
    assert len(failing_points) == 3  # Net/enc/0/add in both series, Net/enc/1 accumulated (inf)


def test_call_tree_rows_and_group_nodes(page):
    text, parsed = page
    for i, c in enumerate(CALLS):
        rid = "first-failure" if i == 2 else f"call-{i}"
        assert parsed.by_id[rid]["attrs"]["title"].startswith(c["name"] + " at ")
    assert "NaN" in parsed.text("call-3") and "inf" in parsed.text("call-3")
    assert parsed.text("call-1").startswith("0 module torch.nn.Conv1d (1, 4, 7) Net.enc.0 0 / 0 / 1.000000")
    groups = [a for t, a in parsed.tags if t == "span" and a.get("class") == "r grp"]
    assert len(groups) == 1 and '<span class="r grp"><span class="n"' in text  # Net/enc, with children
    assert text.count("<details") == 3  # Net, Net/enc, Net/enc/0


def test_fmt():
    assert [fmt(x) for x in (None, math.nan, -math.inf, 3, 1.6689e-06, True)] == \
        ["-", "NaN", "-inf", "3", "1.67e-06", "True"]
    assert fmt(1.0, ".6f") == "1.000000"


def test_passing_and_empty_reports(tmp_path):
    ok = dict(SUMMARY, passed=True, failed_calls=0, first_divergence=None, dynamic_branches=[],
              largest_accumulated_abs=0.0)
    calls = [dict(c, passed=True, isolated=c["isolated"] and dict(c["isolated"], passed=True),
                  accumulated=dict(c["accumulated"], max_abs=0.0, passed=True)) for c in CALLS]
    with open(report_html.write_html(str(tmp_path), {"summary": ok, "calls": calls}), encoding="utf-8") as f:
        parsed = Page(f.read())
    assert parsed.by_id["box"]["attrs"]["class"] == "box ok" and "first-failure" not in parsed.by_id
    assert parsed.text("status") == "all checks pass"
    assert parsed.names("accumulated") == [c["name"] for c in CALLS]  # all zero: drawn at the floor
    with open(report_html.write_html(str(tmp_path), {"summary": {}, "calls": []}), encoding="utf-8") as f:
        Page(f.read())


def test_replay_writes_report_html_matching_report_json(tmp_path):
    from pt2r.record import record
    from pt2r.replay import replay

    trace, out = str(tmp_path / "trace.h5"), str(tmp_path / "out")
    record("pt2r.examples.vocoder:model_func", trace)
    replay(trace, out)
    with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
        data = json.load(f)
    with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
        parsed = Page(f.read())
    s = data["summary"]
    assert parsed.text("s-calls") == f"{fmt(s['checked_calls'])} / {fmt(s['calls'])}"
    assert parsed.text("s-failed") == fmt(s["failed_calls"])
    assert parsed.text("s-iso") == fmt(s["largest_isolated_abs"])
    assert parsed.text("s-acc") == fmt(s["largest_accumulated_abs"])
    names = [c["name"] for c in data["calls"]]
    assert parsed.names("accumulated") == names and len(names) == s["checked_calls"] > 0
