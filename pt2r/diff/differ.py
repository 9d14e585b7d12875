"""The walk over both traces: aligned calls compared for structure, their tensors queued for values."""

from __future__ import annotations

from pt2r.diff.align import _align, _ends_and_depths, _nested_counts, _rename_implied
from pt2r.diff.encoded import _Missing, _arg_path, _first_difference, _norm, _show, _small, _union, _value_path
from pt2r.diff.reading import _describe_value, _entry, _info, _tdesc, _tensor_id
from pt2r.diff.result import StructuralDifference, TraceDiff
from pt2r.diff.values import _compare_values
from pt2r.inspect import tensor_refs
from pt2r.trace import TraceReader


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
        values, first, largest, tensor_counts = _compare_values(self.a, self.b, self.table, self.jobs)
        self.counts.update(tensor_counts)
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


def _what(call: dict) -> str:
    return f"{call['kind']} {call['target']}"


def _inside(n: int) -> str:
    return f", with {n} call{'s' if n != 1 else ''} inside" if n else ""

