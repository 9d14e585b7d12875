"""What ``pt2r diff`` finds between two traces: did anything change, and where.

The use: archive a trace, later record it again (new torch, changed model
code) and diff the two. Structure is compared exactly, values within the
tolerances of ``pt2r.compare``; trace A is the reference (relative errors are
relative to A's values), B the one under test.

* **Calls** are matched by name, in order (names depend only on the model's
  structure, see ``pt2r.naming``); calls left over between two matched ones
  are paired by position when their kind and target agree (a rename),
  otherwise reported as removed from A / added in B. A renamed or added
  module call is reported once, with the number of calls inside it.
* **Structure** of matched calls: kind and target, the module's class,
  torch class, leaf flag and attributes (once per module), the training and
  random flags, non-tensor arguments (constants such as a slope or a dim),
  the number, shapes and dtypes of input and output tensors, the module's
  parameters and buffers (names, shapes, dtypes); plus the input description,
  the input and the final output.
* **Values**, for every tensor both traces have with equal shape and dtype:
  each matched call's outputs (and the state an in-place op left), each
  module's parameters and buffers, the input and the final output. Tensors
  stored as the same blob are equal (the blob key is a content hash) and are
  not read; the others are read one pair at a time through the reader (so
  every blob read is checked) and compared with ``pt2r.compare.compare``
  (floating dtypes within tolerance, bfloat16/float8 decoded from their bits,
  complex as (real, imaginary) pairs; integers and bools must be equal).
  Blobs that are not read are not checked: ``pt2r inspect --check`` checks
  all. Frames beyond a sequence's length are compared too: both traces
  recorded the same padding, so it must agree as well.

Versions, creation time, timing, seeds and the spec are informational: they
explain a difference but are none. Framework-free: numpy, h5py and msgpack
through ``pt2r.trace`` (rich only for printing), never torch or TensorFlow.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator

import numpy as np

from pt2r import compare as compare_mod
from pt2r.errors import TraceFormatError, UsageError
from pt2r.inspect import tensor_refs
from pt2r.trace import TraceReader

#: dtypes whose values are compared within a tolerance (the rest must be equal);
#: ``--atol``/``--rtol`` on the command line apply to all of them
FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64", "complex64", "complex128",
                "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz")
#: above this many (removed x added) calls in one unmatched stretch, pair by position only
_ALIGN_LIMIT = 1_000_000
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


@dataclass
class StructuralDifference:
    """One way the two traces' structure differs."""

    #: what differs: "call removed", "call added", "call renamed", "kind", "target", "module",
    #: "module class", "module attribute", "training", "random", "arguments", "inputs",
    #: "outputs", "mutated", "param", "buffer", "input", "input description", "output"
    category: str
    #: the call, module or value it concerns (B's name when both have one)
    where: str
    #: one readable sentence
    message: str
    a: Any = None
    b: Any = None
    #: the user's source line ([file, line]) of the call in A and in B, when known
    source_a: Any = None
    source_b: Any = None
    order: tuple = field(default=(0,), repr=False)


@dataclass
class ValueDifference:
    """One tensor whose values differ beyond tolerance."""

    name: str  # e.g. "call 'Net/conv' output 0", "module 'Net.conv' param 'weight'", "input", "output 0"
    dtype: str
    shape: list[int]
    max_abs: float
    max_rel: float
    cosine: float
    atol: float
    rtol: float
    #: how far beyond tolerance: |a - b| / (atol + rtol * |a|) at the worst element (inf for exact dtypes)
    times_tolerance: float
    worst_index: list[int] | None
    value_a: float | None
    value_b: float | None
    #: when B computed it: its call's start (params) or end (outputs), for "first in call order"
    order: tuple = field(default=(0,), repr=False)


@dataclass
class TraceDiff:
    path_a: str
    path_b: str
    #: every structural difference, in call order (the first one first)
    structural: list[StructuralDifference]
    #: tensors that differ beyond tolerance, worst first
    values: list[ValueDifference]
    #: the differing tensor that comes first in call order: where the values start to diverge
    first_value_difference: ValueDifference | None
    #: calls (in A, in B, matched, renamed, removed, added) and tensors (compared, identical,
    #: within_tolerance, beyond_tolerance, not_compared: missing or of another shape or dtype)
    counts: dict[str, int]
    #: the tolerances used, per dtype (others must be equal)
    tolerances: dict[str, dict[str, float]]
    #: informational only: versions, created, timing, spec, seeds, spec source changed
    info: dict[str, Any]
    #: the largest max abs difference among tensors within tolerance (0 when all identical)
    largest_within_tolerance: float = 0.0

    @property
    def structure_equal(self) -> bool:
        return not self.structural

    @property
    def values_equal(self) -> bool:
        return not self.values

    @property
    def equal(self) -> bool:
        """Same structure, and every compared tensor within tolerance."""
        return self.structure_equal and self.values_equal

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (non-finite floats as strings "inf", "-inf", "nan")."""
        data = asdict(self)
        for v in [*data["structural"], *data["values"], data["first_value_difference"] or {}]:
            v.pop("order", None)
        data = {"equal": self.equal, "structure_equal": self.structure_equal,
                "values_equal": self.values_equal, **data}
        return _json_ready(data)


# -- tolerances -----------------------------------------------------------------


def tolerance_table(atol: float | None = None, rtol: float | None = None,
                    tolerances: dict[str, dict[str, float]] | None = None) -> dict[str, dict[str, float]]:
    """The full tolerance table: defaults, then ``tolerances``, then ``atol``/``rtol`` for every
    floating dtype (what ``pt2r diff --atol X --rtol Y`` uses)."""
    table: dict[str, dict[str, float]] = {}
    for dtype in FLOAT_DTYPES:
        table[dtype] = dict(_default_tolerance(dtype))
    for dtype, tol in (tolerances or {}).items():
        if not isinstance(tol, dict) or set(tol) - {"atol", "rtol"}:
            raise UsageError(f"The tolerance for {dtype!r} must be a dict with 'atol' and/or 'rtol', "
                             f"not {tol!r}.")
        table[dtype] = {**table.get(dtype, _default_tolerance(dtype)), **tol}
    for key, value in (("atol", atol), ("rtol", rtol)):
        if value is not None:
            _check_tolerance(key, value, "")
            for dtype in FLOAT_DTYPES:
                table[dtype][key] = value
    for dtype, tol in table.items():
        for key, value in tol.items():
            tol[key] = _check_tolerance(key, value, f" for {dtype}")
    return table


def _check_tolerance(key: str, value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise UsageError(f"The {key}{where} must be a finite number >= 0, not {value!r}.")
    return float(value)


def _default_tolerance(dtype: str) -> dict[str, float]:
    # complex values are compared as (real, imaginary) pairs of their component dtype
    component = {"complex64": "float32", "complex128": "float64"}.get(dtype, dtype)
    return compare_mod.tolerance_for(component)


# -- the diff -------------------------------------------------------------------


def diff_traces(path_a, path_b, *, tolerances: dict[str, dict[str, float]] | None = None) -> TraceDiff:
    """Compare trace ``path_b`` against the reference trace ``path_a``.

    ``tolerances``: dtype name -> {atol, rtol}, over ``pt2r.compare``'s defaults. A missing or
    damaged trace raises TraceFormatError (so does a damaged blob, when it is read).
    """
    table = tolerance_table(tolerances=tolerances)
    with TraceReader(path_a) as a, TraceReader(path_b) as b:
        _check_meta(a)
        _check_meta(b)
        return _Differ(a, b, table).run()


class _Differ:
    def __init__(self, a: TraceReader, b: TraceReader, table: dict[str, dict[str, float]]):
        self.a, self.b = a, b
        self.ma, self.mb = a.meta, b.meta
        self.table = table
        self.structural: list[StructuralDifference] = []
        #: value comparisons to make: (name, order, tensor id in A, tensor id in B)
        self.jobs: list[tuple[str, tuple, int, int]] = []
        #: where in B's run we are: (call index, 0 at its start / 1 at its end, -depth, sequence)
        self.position: tuple = (-1, 0, 0)
        self.counts = {"not_compared": 0}
        self._seen_modules: set[tuple[str, str]] = set()
        self._seen_params: dict[tuple, set[tuple[int, int]]] = {}

    def add(self, category, where, message, a=None, b=None, source_a=None, source_b=None):
        self.structural.append(StructuralDifference(category, where, message, _small(a), _small(b),
                                                    source_a, source_b, (*self.position, len(self.structural))))

    def queue(self, name: str, ta: int, tb: int) -> None:
        self.jobs.append((name, (*self.position, len(self.jobs)), ta, tb))

    # -- walking the traces ------------------------------------------------------

    def run(self) -> TraceDiff:
        calls_a, calls_b = self.ma["calls"], self.mb["calls"]
        self._input()
        events, pairs = _align(calls_a, calls_b)
        renamed = {i for i, j in pairs.items() if calls_a[i]["name"] != calls_b[j]["name"]}
        removed_inside = _nested_counts(calls_a, {i for kind, i, _ in events if kind == "removed"})
        added_inside = _nested_counts(calls_b, {j for kind, _, j in events if kind == "added"})
        implied_renames = {i for i in renamed if _rename_implied(calls_a, calls_b, pairs, i)}
        renamed_inside = _nested_counts(calls_a, renamed, implied_renames)
        self.end, self.depth = _ends_and_depths(calls_b)
        last_j = -1
        for kind, i, j in events:
            last_j = max(last_j, j)
            self.position = (last_j + 0.5 if kind == "removed" else j, 0, 0)
            if kind == "removed" and i in removed_inside:
                c = calls_a[i]
                self.add("call removed", c["name"], f"call {c['name']!r} ({_what(c)}) is not in B"
                         + _inside(removed_inside[i]), a=c["target"], source_a=c.get("source"))
            elif kind == "added" and j in added_inside:
                c = calls_b[j]
                self.add("call added", c["name"], f"call {c['name']!r} ({_what(c)}) is new in B"
                         + _inside(added_inside[j]), b=c["target"], source_b=c.get("source"))
            elif kind == "pair":
                if i in renamed_inside:
                    ca, cb = calls_a[i], calls_b[j]
                    self.add("call renamed", cb["name"], f"call {ca['name']!r} ({_what(ca)}) is named "
                             f"{cb['name']!r} in B" + _inside(renamed_inside[i]), a=ca["name"], b=cb["name"],
                             source_a=ca.get("source"), source_b=cb.get("source"))
                self._call(i, j)
        self.position = (len(calls_b), 0, 0)
        self._final_output()
        self.structural.sort(key=lambda d: d.order)
        self.counts.update({
            "calls_a": len(calls_a), "calls_b": len(calls_b), "calls_matched": len(pairs),
            "calls_renamed": len(renamed), "calls_removed": sum(k == "removed" for k, _, _ in events),
            "calls_added": sum(k == "added" for k, _, _ in events)})
        values, first, largest = self._compare_values()
        return TraceDiff(path_a=self.a.path, path_b=self.b.path, structural=self.structural, values=values,
                         first_value_difference=first, counts=self.counts, tolerances=self.table,
                         info=_info(self.a, self.b), largest_within_tolerance=largest)

    def _input(self) -> None:
        ia, ib = self.ma["input"], self.mb["input"]
        da, db = ia.get("description") or {}, ib.get("description") or {}
        for key in _union(da, db):
            if _norm(da.get(key)) != _norm(db.get(key)):
                self.add("input description", "input description",
                         f"the input description's {key!r} is {_show(da.get(key, _Missing))} in A, "
                         f"{_show(db.get(key, _Missing))} in B", da.get(key), db.get(key))
        self._tensors("input", "input", "input", ia["value"], ib["value"])

    def _final_output(self) -> None:
        self._tensors("output", "output", "output", self.ma["output"], self.mb["output"])

    def _call(self, i: int, j: int) -> None:
        ca, cb = self.ma["calls"][i], self.mb["calls"][j]
        where, src = cb["name"], {"source_a": ca.get("source"), "source_b": cb.get("source")}
        label = f"call {where!r}"
        for key in ("kind", "target"):
            if ca[key] != cb[key]:
                self.add(key, where, f"{label} has {key} {ca[key]!r} in A, {cb[key]!r} in B",
                         ca[key], cb[key], **src)
        for key in ("training", "random"):
            if (key in ca or key in cb) and bool(ca.get(key)) != bool(cb.get(key)):
                self.add(key, where, f"{label} has {key} {ca.get(key)!r} in A, {cb.get(key)!r} in B",
                         ca.get(key), cb.get(key), **src)
        args_a = {"args": ca.get("args") or [], "kwargs": ca.get("kwargs") or {}}
        args_b = {"args": cb.get("args") or [], "kwargs": cb.get("kwargs") or {}}
        found = _first_difference(_norm(args_a), _norm(args_b))
        if found is not None:
            path, va, vb = found
            self.add("arguments", where, f"{label}: {_arg_path(path)} is {_show(va)} in A, {_show(vb)} in B",
                     va, vb, **src)
        self._input_shapes(where, label, list(tensor_refs(args_a)), list(tensor_refs(args_b)), src)
        if ca["kind"] == "module" and cb["kind"] == "module":
            self._module(ca, cb, src)
        self.position = (self.end[j], 1, -self.depth[j])  # outputs exist once the call (and its inner calls) ended
        self._tensors("outputs", where, f"{label} output", ca.get("output"), cb.get("output"), src=src)
        if "mutated" in ca or "mutated" in cb:
            self._tensors("mutated", where, f"{label} mutated", ca.get("mutated"), cb.get("mutated"), src=src)

    def _module(self, ca: dict, cb: dict, src: dict) -> None:
        na, nb = ca.get("module"), cb.get("module")
        where = f"module {nb!r}"
        if na != nb and ca["name"] == cb["name"]:  # a renamed call's module is renamed too: no news
            self.add("module", cb["name"], f"call {cb['name']!r} calls module {na!r} in A, {nb!r} in B",
                     na, nb, **src)
        if (na, nb) not in self._seen_modules:
            self._seen_modules.add((na, nb))
            ra, rb = self.ma["modules"].get(na) or {}, self.mb["modules"].get(nb) or {}
            changed = [key for key in ("class", "torch_class", "leaf") if ra.get(key) != rb.get(key)]
            if changed:
                self.add("module class", where, f"{where} has " + ", ".join(
                    f"{key} {ra.get(key)!r} in A, {rb.get(key)!r} in B" for key in changed),
                    {k: ra.get(k) for k in changed}, {k: rb.get(k) for k in changed}, **src)
            aa, ab = ra.get("attributes") or {}, rb.get("attributes") or {}
            for key in _union(aa, ab):
                if _norm(aa.get(key, _Missing)) != _norm(ab.get(key, _Missing)):
                    self.add("module attribute", where, f"{where} attribute {key!r} is "
                             f"{_show(aa.get(key, _Missing))} in A, {_show(ab.get(key, _Missing))} in B",
                             aa.get(key), ab.get(key), **src)
        for kind, key in (("param", "params"), ("buffer", "buffers")):
            pa, pb = ca.get(key) or {}, cb.get(key) or {}
            for pname in _union(pa, pb):
                self._param(kind, na, nb, pname, pa.get(pname, _Missing), pb.get(pname, _Missing), cb, src)

    def _param(self, kind, na, nb, pname, va, vb, cb, src) -> None:
        """A parameter or buffer: structure once per module pair, values once per pair of tensors."""
        label = f"module {nb!r} {kind} {pname!r}"
        seen = self._seen_params.setdefault((na, nb, kind, pname), set())
        first_time = not seen
        if va is _Missing or vb is _Missing:
            if first_time:
                seen.add((-1, -1))
                self.add(kind, f"module {nb!r}", f"{label} is {'not in B' if vb is _Missing else 'new in B'}",
                         _describe_value(self.ma, va), _describe_value(self.mb, vb), **src)
            return
        ta, tb = _tensor_id(va), _tensor_id(vb)
        if ta is None or tb is None:  # e.g. a buffer registered as None
            if first_time and _norm(va) != _norm(vb):
                seen.add((-1, -1))
                self.add(kind, f"module {nb!r}", f"{label} is {_show(va)} in A, {_show(vb)} in B", va, vb, **src)
            return
        if (ta, tb) in seen:
            return
        seen.add((ta, tb))
        ea, eb = _entry(self.a, ta), _entry(self.b, tb)
        if (ea["shape"], ea["dtype"]) != (eb["shape"], eb["dtype"]):
            self.counts["not_compared"] += 1
            if first_time:
                self.add(kind, f"module {nb!r}", f"{label} is {_tdesc(ea)} in A, {_tdesc(eb)} in B",
                         _tdesc(ea), _tdesc(eb), **src)
            return
        self.queue(label if first_time else f"{label} at call {cb['name']!r}", ta, tb)

    def _tensors(self, category, where, label, value_a, value_b, *, src=None) -> None:
        """The tensors of two values (an output, the input): their structure, then queue their values.

        Tensors are named ``LABEL K`` (``call 'X' output 0``); a single input tensor just ``input``.
        """
        src = src or {}
        ids_a, ids_b = list(tensor_refs(value_a)), list(tensor_refs(value_b))
        if len(ids_a) != len(ids_b):
            self.add(category, where, f"{label}: {len(ids_a)} tensors in A, {len(ids_b)} in B",
                     len(ids_a), len(ids_b), **src)
        else:
            found = _first_difference(_norm(value_a), _norm(value_b))
            if found is not None:  # e.g. a tuple became a list, or a returned constant changed
                path, va, vb = found
                self.add(category, where, f"{label}{_value_path(path)} is {_show(va)} in A, {_show(vb)} in B",
                         va, vb, **src)
        for k in range(max(len(ids_a), len(ids_b))):
            if k >= len(ids_a) or k >= len(ids_b):
                self.counts["not_compared"] += 1
                continue
            ea, eb = _entry(self.a, ids_a[k]), _entry(self.b, ids_b[k])
            name = label if category == "input" and len(ids_a) == 1 else f"{label} {k}"
            if (ea["shape"], ea["dtype"]) != (eb["shape"], eb["dtype"]):
                self.counts["not_compared"] += 1
                self.add(category, where, f"{name} is {_tdesc(ea)} in A, {_tdesc(eb)} in B",
                         _tdesc(ea), _tdesc(eb), **src)
                continue
            self.queue(name, ids_a[k], ids_b[k])

    def _input_shapes(self, where, label, ids_a, ids_b, src) -> None:
        """A call's input tensors: only their count, shapes and dtypes (their values are earlier outputs)."""
        if len(ids_a) != len(ids_b):
            self.add("inputs", where, f"{label} input: {len(ids_a)} tensors in A, {len(ids_b)} in B",
                     len(ids_a), len(ids_b), **src)
            return
        for k, (ta, tb) in enumerate(zip(ids_a, ids_b)):
            ea, eb = _entry(self.a, ta), _entry(self.b, tb)
            if (ea["shape"], ea["dtype"]) != (eb["shape"], eb["dtype"]):
                self.add("inputs", where, f"{label} input {k} is {_tdesc(ea)} in A, {_tdesc(eb)} in B",
                         _tdesc(ea), _tdesc(eb), **src)

    # -- values ------------------------------------------------------------------

    def _compare_values(self) -> tuple[list[ValueDifference], ValueDifference | None, float]:
        results: dict[tuple[str, str], Any] = {}
        differing, first, largest = [], None, 0.0
        identical = within = 0
        for name, order, ta, tb in self.jobs:
            ea, eb = _entry(self.a, ta), _entry(self.b, tb)
            if ea["blob"] == eb["blob"]:
                identical += 1  # same content hash: exactly equal, nothing to read
                continue
            pair = (ea["blob"], eb["blob"])
            if pair not in results:
                results[pair] = self._compare_blobs(ea, eb)
            result = results[pair]
            if result.passed:
                within += 1
                largest = max(largest, result.max_abs)
                continue
            dtype = ea["dtype"]
            diff = ValueDifference(
                name=name, dtype=dtype, shape=list(ea["shape"]), max_abs=result.max_abs, max_rel=result.max_rel,
                cosine=result.cosine, atol=result.atol, rtol=result.rtol, times_tolerance=_times(result),
                worst_index=list(result.worst_index) if result.worst_index is not None else None,
                value_a=result.worst_expected, value_b=result.worst_actual, order=order)
            differing.append(diff)
            if first is None or order < first.order:
                first = diff
        differing.sort(key=lambda d: (-_sortable(d.times_tolerance), -_sortable(d.max_abs), d.order))
        self.counts.update({"tensors_compared": len(self.jobs), "tensors_identical": identical,
                            "tensors_within_tolerance": within, "tensors_beyond_tolerance": len(differing)})
        return differing, first, largest

    def _compare_blobs(self, ea: dict, eb: dict) -> compare_mod.Comparison:
        dtype = ea["dtype"]
        expected = _numbers(_array(self.a, ea), dtype)
        actual = _numbers(_array(self.b, eb), dtype)
        tol = self.table.get(dtype) or compare_mod.EXACT
        result = compare_mod.compare(actual, expected, atol=tol["atol"], rtol=tol["rtol"])
        if result.passed and dtype not in self.table and not np.array_equal(actual, expected):
            result.passed = False  # integers beyond float64's precision: must still be equal
        return result


# -- alignment --------------------------------------------------------------------


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


# -- helpers --------------------------------------------------------------------


def _check_meta(reader: TraceReader) -> None:
    """The parts of the meta document the diff relies on exist and have the right types."""
    meta = reader.meta
    problem = None
    for key, typ in (("calls", list), ("tensors", list), ("modules", dict), ("input", dict)):
        if not isinstance(meta.get(key), typ):
            problem = f"its {key!r} entry is missing or not a {typ.__name__}"
            break
    else:
        if "output" not in meta or "value" not in meta["input"]:
            problem = "it has no output or input value"
        elif not all(isinstance(c, dict) and {"name", "kind", "target"} <= set(c) for c in meta["calls"]):
            problem = "a call record lacks its name, kind or target"
        elif not all(isinstance(t, dict) and {"blob", "dtype", "shape"} <= set(t) for t in meta["tensors"]):
            problem = "a tensor table entry lacks its blob, dtype or shape"
        elif not all(c.get("parent") is None or (type(c["parent"]) is int and 0 <= c["parent"] < i)
                     for i, c in enumerate(meta["calls"])):
            problem = "a call's parent index is invalid"
    if problem:
        raise TraceFormatError(f"The trace {reader.path!r} is not a valid pt2r trace: {problem}. The file "
                               "is damaged or was written by another program; record it again.")


def _entry(reader: TraceReader, tensor_id: Any) -> dict:
    tensors = reader.meta["tensors"]
    if not isinstance(tensor_id, int) or not 0 <= tensor_id < len(tensors):
        raise TraceFormatError(f"The trace {reader.path!r} refers to tensor {tensor_id!r}, which its tensor "
                               f"table (of {len(tensors)} entries) lacks: the file is damaged or inconsistent.")
    return tensors[tensor_id]


def _array(reader: TraceReader, entry: dict) -> np.ndarray:
    """A tensor's stored data, checked against its tensor table entry (and, by the reader, its hash)."""
    array = reader.array(entry["blob"])
    if reader.dtype_name(entry["blob"]) != entry["dtype"] or list(array.shape) != list(entry["shape"]):
        raise TraceFormatError(
            f"The trace {reader.path!r} is inconsistent: its tensor table says tensor {entry['blob']} is "
            f"{_tdesc(entry)}, but the stored tensor is {array.shape} {reader.dtype_name(entry['blob'])}. "
            "The file is damaged or was written by another program; record it again.")
    return array


def _tensor_id(value: Any) -> int | None:
    return value["$t"] if isinstance(value, dict) and set(value) == {"$t"} else None


def _tdesc(entry: dict) -> str:
    return f"{tuple(entry['shape'])} {entry['dtype']}"


def _describe_value(meta: dict, value: Any) -> Any:
    if value is _Missing:
        return None
    tid = _tensor_id(value)
    if tid is not None and isinstance(tid, int) and 0 <= tid < len(meta["tensors"]):
        return _tdesc(meta["tensors"][tid])
    return value


def _what(call: dict) -> str:
    return f"{call['kind']} {call['target']}"


def _inside(n: int) -> str:
    return f", with {n} call{'s' if n != 1 else ''} inside" if n else ""


def _union(a: dict, b: dict) -> list:
    return list(a) + [k for k in b if k not in a]


def _norm(value: Any) -> Any:
    """A value with tensors reduced to a placeholder, object reprs without addresses, NaN == NaN."""
    if isinstance(value, dict):
        if "$t" in value and len(value) == 1:
            return {"$t": "tensor"}
        if "$object" in value:
            return {"$object": value["$object"], "repr": _ADDRESS.sub("0x...", str(value.get("repr", "")))}
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return value


def _first_difference(a: Any, b: Any, path: tuple = ()) -> tuple[tuple, Any, Any] | None:
    """Path to the first place two normalized values differ, and the values there."""
    if a == b and type(a) is type(b):
        return None
    if isinstance(a, dict) and isinstance(b, dict) and len(a) == len(b) == 1 and set(a) == set(b) \
            and next(iter(a)) in ("$tuple", "$dict"):
        tag = next(iter(a))
        return _first_difference(a[tag], b[tag], path)
    if isinstance(a, dict) and isinstance(b, dict) and not any(str(k).startswith("$") for k in [*a, *b]):
        for key in _union(a, b):
            if key not in a or key not in b:
                return path + (key,), a.get(key, _Missing), b.get(key, _Missing)
            found = _first_difference(a[key], b[key], path + (key,))
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for k, (x, y) in enumerate(zip(a, b)):
            found = _first_difference(x, y, path + (k,))
            if found:
                return found
        return None
    if a == b:  # 1 == 1.0, True == 1: equal values of different types
        return None if type(a) is type(b) or not (isinstance(a, bool) or isinstance(b, bool)) else (path, a, b)
    return path, a, b


class _MissingType:
    def __repr__(self) -> str:
        return "missing"


_Missing = _MissingType()


def _arg_path(path: tuple) -> str:
    if not path:
        return "the arguments"
    head, rest = path[0], path[1:]
    if head == "args":
        text = f"argument {rest[0]}" if rest else "the positional arguments"
        rest = rest[1:]
    else:
        text = f"keyword argument {rest[0]!r}" if rest else "the keyword arguments"
        rest = rest[1:]
    return text + "".join(f"[{p!r}]" for p in rest)


def _value_path(path: tuple) -> str:
    return "".join(f"[{p!r}]" for p in path)


def _show(value: Any, limit: int = 60) -> str:
    """A short readable form of an encoded value."""
    text = _render(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _render(value: Any) -> str:
    if value is _Missing:
        return "missing"
    if isinstance(value, dict) and len(value) >= 1:
        tag = next(iter(value))
        inner = value[tag]
        if tag == "$t":
            return "a tensor"
        if tag == "$tuple":
            return "(" + ", ".join(_render(v) for v in inner) + ("," if len(inner) == 1 else "") + ")"
        if tag == "$dict":
            return "{" + ", ".join(f"{_render(k)}: {_render(v)}" for k, v in inner) + "}"
        if tag == "$size":
            return f"torch.Size({list(inner)})"
        if tag == "$dtype":
            return f"torch.{inner}"
        if tag == "$device":
            return f"device({inner!r})"
        if tag == "$slice":
            return "slice(" + ", ".join(_render(v) for v in inner) + ")"
        if tag == "$ellipsis":
            return "..."
        if tag == "$complex":
            return repr(complex(*inner))
        if tag == "$module":
            return f"module {inner!r}"
        if tag == "$object":
            return str(value.get("repr") or inner)
        return "{" + ", ".join(f"{k!r}: {_render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    return repr(value)


def _small(value: Any) -> Any:
    """Values stored in a StructuralDifference: plain, and short."""
    if isinstance(value, (dict, list)) or value is _Missing:
        return _show(value, 200)
    if isinstance(value, bytes):
        return _show(value, 200)
    return value


def _numbers(array: np.ndarray, dtype: str) -> np.ndarray:
    """Stored data as numbers compare() can handle: bit patterns decoded, complex as (re, im) pairs."""
    if dtype == "bfloat16":
        return (array.astype(np.uint32) << 16).view(np.float32)
    if dtype in _FLOAT8:
        return _float8_table(dtype)[array]
    if array.dtype.kind == "c":
        return np.stack([array.real, array.imag], axis=-1)
    return array


#: float8 formats: (exponent bits, mantissa bits, bias, variant); "fn": no inf, NaN all ones,
#: "fnuz": no inf, no -0, NaN is 0x80; "ieee": inf and NaN as IEEE
_FLOAT8 = {"float8_e4m3fn": (4, 3, 7, "fn"), "float8_e4m3fnuz": (4, 3, 8, "fnuz"),
           "float8_e5m2": (5, 2, 15, "ieee"), "float8_e5m2fnuz": (5, 2, 16, "fnuz")}
_FLOAT8_TABLES: dict[str, np.ndarray] = {}


def _float8_table(dtype: str) -> np.ndarray:
    """The float32 value of each of the 256 bit patterns of a float8 format."""
    if dtype not in _FLOAT8_TABLES:
        exp_bits, man_bits, bias, variant = _FLOAT8[dtype]
        codes = np.arange(256, dtype=np.int64)
        sign = np.where(codes & 0x80, -1.0, 1.0)
        exponent = (codes >> man_bits) & ((1 << exp_bits) - 1)
        mantissa = (codes & ((1 << man_bits) - 1)) / float(1 << man_bits)
        values = sign * np.where(exponent == 0, mantissa * 2.0 ** (1 - bias),
                                 (1 + mantissa) * 2.0 ** (exponent - bias))
        top = exponent == (1 << exp_bits) - 1
        if variant == "fnuz":
            values[0x80] = np.nan
        elif variant == "fn":
            values[top & ((codes & ((1 << man_bits) - 1)) == (1 << man_bits) - 1)] = np.nan
        else:
            values[top] = np.where(mantissa[top] == 0, sign[top] * np.inf, np.nan)
        _FLOAT8_TABLES[dtype] = values.astype(np.float32)
    return _FLOAT8_TABLES[dtype]


def _times(result: compare_mod.Comparison) -> float:
    """|a - b| over the allowed difference at the worst element."""
    a, b = result.worst_expected, result.worst_actual
    if a is None or b is None:
        return 0.0
    if math.isnan(a) != math.isnan(b) or (math.isinf(a) or math.isinf(b)) and a != b:
        return math.inf
    if math.isnan(a):
        return 0.0
    allowed = result.atol + result.rtol * abs(a)
    diff = abs(b - a)
    if allowed == 0:
        return math.inf if diff > 0 else 0.0
    return diff / allowed


def _sortable(x: float) -> float:
    return -1.0 if x is None or math.isnan(x) else x


def _info(a: TraceReader, b: TraceReader) -> dict[str, Any]:
    ma, mb = a.meta, b.meta
    va, vb = ma.get("versions") or {}, mb.get("versions") or {}
    return {
        "spec": [ma.get("spec"), mb.get("spec")],
        "spec_source_changed": ma.get("spec_source") != mb.get("spec_source"),
        "created": [ma.get("created"), mb.get("created")],
        "versions": {k: [va.get(k), vb.get(k)] for k in _union(va, vb)},
        "versions_changed": {k: [va.get(k), vb.get(k)] for k in _union(va, vb) if va.get(k) != vb.get(k)},
        "seeds": [ma.get("seeds"), mb.get("seeds")],
        "timing": [ma.get("timing"), mb.get("timing")],
        "format_version": [a.format_version, b.format_version],
        "file_size": [a.file_size, b.file_size],
    }


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return value


# -- printing -------------------------------------------------------------------


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
