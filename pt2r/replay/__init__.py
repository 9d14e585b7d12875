"""Steps 3 and 4 of DESIGN.md: the drop-in run, verification, export, standalone check.

Needs TensorFlow and RETURNN, never the real torch. `replay` runs the
model function on `pt2r.torch` with the trace's input as RETURNN extern data,
checks every call against the trace (isolated and accumulated), writes
``returnn.config`` and the checkpoint ``model.*`` into the output folder,
rebuilds the net from those files alone to check them, and writes
``report.md`` / ``report.json``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
import types
from dataclasses import dataclass
from typing import Any, Callable

from pt2r.replay import quiet  # noqa: F401  (first: it imports TensorFlow quietly)

import numpy as np
import tensorflow as tf

from pt2r import compare, converters as converters_mod
from pt2r.errors import ModelError, OutputPathError, Pt2rError, SpecError, UnsupportedOpError
from pt2r.import_wrapper import make_wrapped_import
from pt2r.replay import export, report, standalone
from pt2r.replay.context import ReplayContext, activate
from pt2r.replay.verify import CallResult, Verifier, recorded_draws, torch_order
from pt2r.spec import ModelSpec, load_spec
from pt2r.trace import TraceReader

DROP_IN = "pt2r.torch"
Progress = Callable[[str, int, int], None]


@dataclass
class ReplayResult:
    out_dir: str
    passed: bool
    results: list[CallResult]
    summary: dict[str, Any]
    config_path: str
    checkpoint_prefix: str
    net_dict: dict[str, Any]
    outputs: dict[str, np.ndarray]
    config_text: str


def _load_model(meta: dict[str, Any], model: str | Callable | None, use_embedded_source: bool) -> ModelSpec:
    if model:
        return load_spec(model)
    spec = meta["spec"]
    target, _, func = spec.rpartition(":")
    if use_embedded_source:
        if not meta.get("spec_source"):
            raise SpecError("The trace has no embedded model source; give the model with --model.")
        folder = tempfile.mkdtemp(prefix="pt2r-embedded-")
        path = os.path.join(folder, os.path.basename(meta.get("spec_file") or "model_spec.py"))
        with open(path, "w", encoding="utf-8") as f:
            f.write(meta["spec_source"])
        return load_spec(f"{path}:{func}")
    is_file = target.endswith(".py") or "/" in target
    if is_file and not os.path.isfile(target) and meta.get("spec_file") and os.path.isfile(meta["spec_file"]):
        return load_spec(f"{meta['spec_file']}:{func}")
    try:
        return load_spec(spec)
    except SpecError as exc:
        raise SpecError(f"{exc.message} The trace was recorded from {spec!r}; give the model with --model, "
                        f"or pass --use-embedded-source to run the source embedded in the trace.",
                        detail=exc.detail) from exc


def _unsupported_message(missing: list[dict[str, Any]]) -> str:
    parts = []
    for m in missing:
        at = f" at {m['source'][0]}:{m['source'][1]}" if m.get("source") else ""
        parts.append(f"{m['target']} ({m['kind']}, {m['count']} call{'s' if m['count'] > 1 else ''}; first "
                     f"{m['call']!r}{at})")
    return (f"The trace uses {len(missing)} op{'s' if len(missing) > 1 else ''} or module"
            f"{'s' if len(missing) > 1 else ''} that pt2r cannot convert yet: " + "; ".join(parts)
            + ". Nothing was built. See docs/supported-ops.md for what is supported; for what is not, "
              "write a converter (@pt2r.converter, see the README).")


def _prepare_out_dir(out_dir: str) -> None:
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"Cannot create the output folder {out_dir!r}: {exc.strerror}.") from exc
    if not os.access(out_dir, os.W_OK):
        raise OutputPathError(f"The output folder {out_dir!r} is not writable.")


def _seq_lens(ctx: ReplayContext, model: ModelSpec) -> Any:
    """What a model function that takes ``seq_lens`` gets: the lengths of the input's time axis,
    RETURNN's own (a ``length`` layer), so the net follows the lengths of any input."""
    from returnn.tensor import batch_dim

    from pt2r.inputs import resolve
    from pt2r.torch import _dtype
    from pt2r.torch._tensor import Tensor

    if not model.wants_seq_lens:
        return None
    if "seq_lens" not in ctx.meta["input"]:
        raise ModelError(f"The model function takes seq_lens, but the trace was recorded without them "
                         f"(by a model function without that parameter, or an input without a time axis): "
                         f"record it again with {model.spec}.")
    time_dim = ctx.input_dims[resolve(ctx.meta["input"]["description"])["time_dim_axis"]]
    # (RETURNN's length layer gives a dynamic dim's sizes as int32 whatever its dtype option says)
    length = ctx.add_layer({"class": "length", "from": "data", "axis": time_dim}, name="seq_lens_int32")
    layer = ctx.add_layer({"class": "cast", "from": length.name, "dtype": "int64"}, name="seq_lens")
    seq_lens = Tensor([batch_dim], _dtype.int64, layer=layer)
    seq_lens.lengths_of = seq_lens.size_of = time_dim
    return seq_lens


def _run_model(ctx: ReplayContext, model: ModelSpec, patches: converters_mod.Patches | None = None) -> Any:
    from pt2r.torch import _dtype
    from pt2r.torch._tensor import Tensor
    patches = patches or converters_mod.Patches()

    description = ctx.meta["input"]["description"]
    with ctx.graph.as_default():
        data = ctx.network.get_layer("data")
        inputs = Tensor(ctx.input_dims, _dtype.by_name(description["dtype"]), layer=data)
        seq_lens = _seq_lens(ctx, model)
        try:
            with patches.hooked(make_wrapped_import(DROP_IN, stands_for_torch=True)) as wrapped_import, \
                    wrapped_import.active():
                output = model.call(wrapped_import, inputs, seq_lens)
        except Pt2rError:
            raise
        except Exception as exc:
            raise ModelError(
                f"The model function raised {type(exc).__name__} during replay on pt2r's drop-in torch: {exc}. "
                f"The model's traceback follows.",
                detail="".join(traceback.format_exception(type(exc), exc, exc.__traceback__))) from exc
    ctx.finish()
    return output


def replay(trace: str, out_dir: str, *, model: str | Callable | None = None, use_embedded_source: bool = False,
           tolerances: dict[str, dict[str, float]] | None = None, progress: Progress | None = None,
           override: dict[str, Callable] | None = None, converters: list[str] | None = None) -> ReplayResult:
    """Convert the trace at ``trace`` into ``out_dir``; see the module docstring.

    ``converters`` names converters files or modules; with the ``@pt2r.converter``s of the model's
    spec file they convert what they name (`pt2r.converters`). ``override`` maps op or leaf-module
    names to replacement builders (tests use it to plant a wrong mapping and check that verification
    finds it).
    """
    from pt2r.replay import values
    from pt2r.torch.ops import registry

    start = time.perf_counter()
    with TraceReader(trace) as reader:
        meta = reader.meta
        model_spec = _load_model(meta, model, use_embedded_source)
        user = converters_mod.for_run(model_spec.file, converters)
        plan = converters_mod.plan_replay(
            user, meta, lambda name: name in registry.OPS or name in registry.ALIASES or name in registry.MODULES)
        missing = [m for m in registry.missing(meta) if m["target"] not in user]
        if missing:
            raise UnsupportedOpError(_unsupported_message(missing))
        _prepare_out_dir(out_dir)
        tolerances = {**meta.get("tolerances", {}), **(tolerances or {})}
        ctx = ReplayContext(reader, override={**plan.override, **(override or {})}, progress=progress)
        activate(ctx)
        try:
            with registry.user_ops(plan.torch_ops):
                output = _run_model(ctx, model_spec, plan.patches)
            build_seconds = time.perf_counter() - start
            pairs = values.pair_tensors(output, meta["output"])
            if not pairs:
                raise ModelError("The model function's output holds no tensor computed by the network.")
            outputs_dims = {}
            for i, (tensor, _) in enumerate(pairs):
                name = "output" if i == 0 else f"output_{i}"
                ctx.net_dict[name] = {"class": "copy", "from": tensor.layer_name, "is_output_layer": True}
                with ctx.graph.as_default():
                    ctx.network.construct_layer(ctx.net_dict, name)
                outputs_dims[name] = list(tensor.dims)
            exported = export.Exported(ctx, list(outputs_dims))
            saver = export.make_saver(ctx, exported)
            session = tf.compat.v1.Session(graph=ctx.graph, config=standalone.session_config(optimize=False))
            try:
                ctx.initialize_variables(session)
                input_array = ctx.array(meta["input"]["value"]["$t"])
                seq_lens = meta["input"]["description"].get("seq_lens")
                feed = standalone.input_feed(ctx.network, input_array, seq_lens)
                draw_feed = recorded_draws(ctx)
                feed.update(draw_feed)
                verifier = Verifier(ctx, session, feed, tolerances, keep=[tensor for tensor, _ in pairs])
                results = verifier.run(progress)
                final = {}
                for name, (tensor, _) in zip(outputs_dims, pairs):
                    value = verifier.kept.get(tensor.layer.output.placeholder)
                    if value is None:  # no call's check has it
                        value = session.run(tensor.layer.output.placeholder, feed_dict=feed)
                    final[name] = np.transpose(value, torch_order(tensor))
                paths = export.write(ctx, exported, session, saver, out_dir, outputs_dims)
            finally:
                session.close()
        finally:
            activate(None)
    verify_seconds = time.perf_counter() - start - build_seconds
    draws = {exported.paths[d.tensor.layer_name]: draw_feed[d.tensor.layer.output.placeholder] for d in ctx.draws
             if d.tensor.layer_name in exported.paths}  # by path in the exported net
    rerun = standalone.run_exported(paths["config"], paths["checkpoint"], input_array, seq_lens, draws)
    standalone_checks = {}
    for name, value in final.items():
        tol = compare.tolerance_for(str(value.dtype), tolerances)
        standalone_checks[name] = compare.compare(rerun[name], value, **tol).as_dict()
    standalone_ok = all(c["passed"] for c in standalone_checks.values())
    divergence = report.first_divergence(results)
    summary = {
        "spec": meta["spec"], "trace": os.path.abspath(trace), "calls": len(meta["calls"]),
        "checked_calls": len(results), "failed_calls": sum(not r.passed for r in results),
        "passed": divergence is None and standalone_ok,
        "largest_isolated_abs": max((r.isolated["max_abs"] for r in results if r.isolated), default=0.0),
        "largest_accumulated_abs": max((r.accumulated["max_abs"] for r in results if r.accumulated), default=0.0),
        "standalone": "pass" if standalone_ok else f"FAIL {standalone_checks}",
        "standalone_checks": standalone_checks,
        "first_divergence": report.describe_failure(divergence) if divergence else None,
        "dynamic_branches": ctx.dynamic_branches, "tolerances": tolerances,
        "seconds": {"build": build_seconds, "verify_and_export": verify_seconds,
                    "total": time.perf_counter() - start},
        "layers": len(ctx.net_dict),
        "native_share": report.native_share(exported.net_dict),
        "user_converters": plan.listed,
    }
    report.write(out_dir, summary, results)
    return ReplayResult(out_dir=out_dir, passed=summary["passed"], results=results, summary=summary,
                        config_path=paths["config"], checkpoint_prefix=paths["checkpoint"],
                        net_dict=exported.net_dict, outputs=final, config_text=paths["config_text"])


class _CallableModule(types.ModuleType):
    """``pt2r.replay(...)`` calls `replay` while ``pt2r.replay`` stays this package."""

    def __call__(self, *args: Any, **kwargs: Any) -> ReplayResult:
        return replay(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
