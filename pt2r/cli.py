"""The ``pt2r`` command line: record, replay, convert, inspect, diff, export-torch.

Exit codes: 0 success, 1 numeric mismatch, 2 bad usage or bad input (a
one-paragraph message, no traceback unless ``--debug``), 3 an internal error.
Heavy imports (torch, TensorFlow) happen inside the subcommands that need them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from pt2r.errors import InputSpecError, InternalError, Pt2rError
from pt2r.spec import EXAMPLE_SPEC

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return str(n)


def _fmt_tensors(items: list[dict[str, Any]]) -> str:
    return ", ".join(f"{tuple(t['shape'])} {t['dtype']}" for t in items) or "-"


def _load_input_array(path: str):
    import numpy as np
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise InputSpecError(f"--inputs names {path!r}, which does not exist.")
    except (ValueError, OSError, EOFError) as exc:
        raise InputSpecError(f"--inputs {path!r} is not a numpy .npy file that can be read without "
                             f"pickle ({exc}). Save the input with numpy.save(path, array).")


def _load_input_spec(text: str) -> dict:
    from pt2r.inputs import parse_json
    if not text.lstrip().startswith("{"):
        try:
            with open(text, encoding="utf-8") as f:
                text = f.read()
        except OSError as exc:
            raise InputSpecError(f"--input-spec {text!r} is neither a JSON object nor a readable "
                                 f"JSON file ({exc.strerror}).")
    return parse_json(text)


def cmd_record(args: argparse.Namespace) -> int:
    from pt2r.record import record  # imports torch
    inputs = _load_input_array(args.inputs) if args.inputs else None
    input_spec = _load_input_spec(args.input_spec) if args.input_spec else None
    with console.status(f"recording {args.spec} ..."):
        result = record(args.spec, args.output, inputs=inputs, input_spec=input_spec, seed=args.seed,
                        compress=args.compress, leaf_modules=args.leaf_module, converters=args.converters)
    worst = max((c["max_abs"] for c in result.output_check), default=0.0)
    console.print(f"[green]recorded[/green] {result.num_calls} calls, {result.num_tensors} tensors "
                  f"({_fmt_bytes(result.unique_bytes)} unique) to {args.output} in "
                  f"{result.total_seconds:.2f} s (plain run {result.reference_seconds:.3f} s, traced run "
                  f"{result.traced_seconds:.3f} s); traced vs plain output: max abs difference {worst:.3g}")
    return 0


def _progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    return Progress(TextColumn("{task.description:>12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err_console, transient=True)


#: glibc's mallopt parameter for the size from which allocations are mapped (and unmapped when freed)
_M_MMAP_THRESHOLD = -3


def lean_replay_process() -> None:
    """Before TensorFlow is imported: memory the replay frees goes back to the system.

    TF's oneDNN build allocates through a pool that keeps every block it ever held (the working set
    of the largest run stays in the process), and glibc keeps freed blocks of a few MiB in its
    arenas (its mapping threshold rises to the largest block freed). The replay runs the net on many
    different fetches once each, so both grow its peak: for wav2vec2 base, 1431 MiB with TF's
    defaults, 1259 MiB with TF's own allocator and blocks from 1 MiB mapped, at about the same
    speed. The exported net itself runs with whatever the user's process chooses. Left as set
    where the user set ``TF_ENABLE_ONEDNN_OPTS``; on other C libraries only that part applies."""
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import ctypes
    import platform
    if platform.libc_ver()[0] == "glibc":
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, 1 << 20)


def cmd_replay(args: argparse.Namespace) -> int:
    lean_replay_process()
    from pt2r.replay import replay  # imports TensorFlow
    if args.after_record and sys.stdin.readline().strip() != "go":
        return 0  # the record failed: `convert` reports it
    tasks: dict[str, Any] = {}
    with _progress() as progress:
        def report(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(phase, total=total)
            progress.update(tasks[phase], completed=done)

        result = replay(args.trace, args.output, model=args.model, use_embedded_source=args.use_embedded_source,
                        tolerances=_tolerances(args), progress=report, converters=args.converters)
    _print_replay(result)
    return 0 if result.passed else 1


def _tolerances(args: argparse.Namespace) -> dict[str, dict[str, float]] | None:
    if args.atol is None and args.rtol is None:
        return None
    from pt2r.compare import DEFAULT_TOLERANCES
    tol = dict(DEFAULT_TOLERANCES["float32"])
    tol.update({k: v for k, v in (("atol", args.atol), ("rtol", args.rtol)) if v is not None})
    return {"float32": tol}


def _print_replay(result: Any) -> None:
    s = result.summary
    verdict = "[green]every check passes[/green]" if result.passed else "[bold red]checks fail[/bold red]"
    console.print(f"{verdict}: {s['checked_calls']} calls checked ({s['failed_calls']} failing) of "
                  f"{s['calls']} recorded; largest error isolated {s['largest_isolated_abs']:.3g}, accumulated "
                  f"{s['largest_accumulated_abs']:.3g}; standalone check of the exported net: {s['standalone']}")
    if s["first_divergence"]:
        console.print(f"[bold]first divergence:[/bold] {s['first_divergence']}", soft_wrap=True)
    for branch in s["dynamic_branches"]:
        console.print(f"[yellow]tied to the recorded size:[/yellow] {branch}")
    console.print(f"wrote {result.config_path}, {result.checkpoint_prefix}.*, "
                  f"{os.path.join(result.out_dir, 'report.md')} ({s['layers']} layers; {s['seconds']['total']:.1f} s)")


def cmd_convert(args: argparse.Namespace) -> int:
    """Record into OUTDIR/trace.h5, then replay it: each phase in its own process.

    The replay process starts with the record and imports TensorFlow meanwhile; it begins its
    work when told the record succeeded (a line on its stdin) and ends quietly otherwise."""
    import subprocess
    os.makedirs(args.output, exist_ok=True)
    trace = os.path.join(args.output, "trace.h5")
    common = [sys.executable, "-m", "pt2r.cli"] + (["--debug"] if args.debug else [])
    record_cmd = common + ["record", args.spec or EXAMPLE_SPEC, "-o", trace]
    if args.inputs:
        record_cmd += ["--inputs", args.inputs]
    if args.input_spec:
        record_cmd += ["--input-spec", args.input_spec]
    converters = [arg for path in args.converters or () for arg in ("--converters", path)]
    record_cmd += converters + [arg for name in args.leaf_module or () for arg in ("--leaf-module", name)]
    replay = subprocess.Popen(common + ["replay", trace, "-o", args.output, "--after-record"] + converters,
                              stdin=subprocess.PIPE, text=True)
    try:
        code = subprocess.call(record_cmd)
        replay.communicate("go\n" if code == 0 else "")
    except BaseException:
        replay.kill()
        raise
    return code or replay.returncode


def cmd_inspect(args: argparse.Namespace) -> int:
    from pt2r.inspect import call_rows, summary
    from pt2r.trace import TraceReader
    with TraceReader(args.trace) as reader:
        info = summary(reader)
        rows = call_rows(reader.meta)
        checked = reader.verify_all() if args.check else None
    if args.json:
        print(json.dumps({"summary": info, "calls": rows, "checked_tensors": checked}, indent=1))
        return 0
    _print_tree(rows, args.depth)
    _print_summary(info)
    if checked is not None:
        console.print(f"[green]checked {checked} tensors: every checksum matches[/green]")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from pt2r.diff import diff_traces, print_diff, tolerance_table
    diff = diff_traces(args.trace_a, args.trace_b, tolerances=tolerance_table(args.atol, args.rtol))
    if args.json:
        print(json.dumps(diff.as_dict(), indent=1))
    else:
        print_diff(diff, console)
    return 0 if diff.equal else 1


def _print_tree(rows: list[dict[str, Any]], max_depth: int | None) -> None:
    root = Tree("[bold]calls[/bold]")
    nodes = {}
    for row in rows:
        if max_depth is not None and row["depth"] >= max_depth:
            continue
        local = row["name"].rsplit("/", 1)[-1]
        label = f"[bold]{local}[/bold] [cyan]{row['target']}[/cyan]"
        if row["param_count"]:
            label += f" [magenta]{row['param_count']:,} params, {_fmt_bytes(row['param_bytes'])}[/magenta]"
        label += f"  {_fmt_tensors(row['inputs'])} -> {_fmt_tensors(row['outputs'])}"
        if row["random"]:
            label += " [yellow](random)[/yellow]"
        parent = nodes.get(row["parent"], root)
        nodes[row["index"]] = parent.add(label)
    console.print(root)


def _print_summary(info: dict[str, Any]) -> None:
    table = Table(title="trace summary", show_header=False)
    table.add_row("spec", info["spec"])
    table.add_row("calls", f"{info['calls']} ({info['module_calls']} module calls, {info['op_calls']} op calls, "
                           f"{info['modules']} modules)")
    table.add_row("tensors", f"{info['tensors']} referenced, {info['unique_tensors']} unique")
    table.add_row("unique tensor bytes", _fmt_bytes(info["unique_bytes"]))
    ratio = f" ({info['size_ratio']:.3f}x unique bytes)" if info["size_ratio"] else ""
    table.add_row("file size", _fmt_bytes(info["file_size"]) + ratio)
    table.add_row("input", f"{tuple(info['input']['shape'])} {info['input']['dtype']}")
    table.add_row("output", _fmt_tensors(info["outputs"]))
    table.add_row("versions", ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    table.add_row("format version", str(info["format_version"]))
    console.print(table)


def _add_converter_arguments(p: argparse.ArgumentParser, *, leaf: bool) -> None:
    p.add_argument("--converters", action="append", metavar="FILE",
                   help="a Python file (or module) of @pt2r.converter functions for what pt2r lacks, besides "
                        "those in the spec's file (repeatable)")
    if leaf:
        p.add_argument("--leaf-module", action="append", metavar="NAME",
                       help="record the module class (or function) of this qualified name as one call, nothing "
                            "inside (repeatable); the classes the converters name are anyway")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pt2r", description="Convert PyTorch models into RETURNN models, "
                                     "verified call by call.")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks of errors")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("record", help="run a model on PyTorch and write its trace")
    p.add_argument("spec", help="path/to/file.py:FUNC or package.module:FUNC")
    p.add_argument("--inputs", help="input array (.npy); default: the spec's example_inputs()")
    p.add_argument("--input-spec", help="input description: JSON object of RETURNN Data kwargs "
                   "(and seq_lens), or a .json file; default: the spec's INPUT_SPEC")
    p.add_argument("--seed", type=int, default=42, help="seed reset before each run (default 42)")
    p.add_argument("--compress", action="store_true", help="gzip-compress large tensors")
    _add_converter_arguments(p, leaf=True)
    p.add_argument("-o", "--output", required=True, help="trace file to write (.h5)")
    p.set_defaults(func=cmd_record)

    p = sub.add_parser("replay", help="convert a trace into a RETURNN config and checkpoint, checking every call")
    p.add_argument("trace")
    p.add_argument("--model", help="model spec to run (default: the spec the trace was recorded from)")
    p.add_argument("--use-embedded-source", action="store_true",
                   help="run the model source embedded in the trace (it is code: only for traces you trust)")
    p.add_argument("--atol", type=float, help="absolute tolerance for float32 (default 1e-4)")
    p.add_argument("--rtol", type=float, help="relative tolerance for float32 (default 1e-3)")
    _add_converter_arguments(p, leaf=False)
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--after-record", action="store_true", help=argparse.SUPPRESS)  # see cmd_convert
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("convert", help="record and replay (each in its own process)")
    p.add_argument("spec", nargs="?", help=f"model spec (default: the bundled example, {EXAMPLE_SPEC})")
    p.add_argument("--inputs", help="input array (.npy); default: the spec's example_inputs()")
    p.add_argument("--input-spec", help="input description (JSON or .json file); default: the spec's INPUT_SPEC")
    _add_converter_arguments(p, leaf=True)
    p.add_argument("-o", "--output", required=True, help="output folder (the trace goes to OUTPUT/trace.h5)")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("inspect", help="show a trace's call tree and summary")
    p.add_argument("trace")
    p.add_argument("--json", action="store_true", help="print JSON instead of a tree")
    p.add_argument("--check", action="store_true", help="verify every stored tensor's checksum")
    p.add_argument("--depth", type=int, help="show the call tree to this depth only")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("diff", help="compare two traces: structure exactly, values within tolerance "
                       "(exit 0 equal, 1 different)")
    p.add_argument("trace_a", metavar="A.h5", help="the reference trace")
    p.add_argument("trace_b", metavar="B.h5", help="the trace to compare with it")
    p.add_argument("--json", action="store_true", help="print the whole diff as JSON")
    p.add_argument("--atol", type=float, help="absolute tolerance for every float dtype "
                   "(default per dtype, float32 1e-4)")
    p.add_argument("--rtol", type=float, help="relative tolerance for every float dtype "
                   "(default per dtype, float32 1e-3)")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("export-torch", help="write a converted net's (possibly fine-tuned) RETURNN parameters "
                       "under their PyTorch names and layouts, as safetensors (no torch needed)")
    p.add_argument("out_dir", metavar="OUTDIR", help="output folder of pt2r replay or convert (its params.json)")
    p.add_argument("--checkpoint", help="TF checkpoint prefix to read (default: OUTDIR/model)")
    p.add_argument("--scope", help="the subnetwork layer the net ran as in the checkpoint's network "
                   "(default: found in the checkpoint)")
    p.add_argument("-o", "--output", required=True, help="safetensors file to write")
    p.set_defaults(func=cmd_export_torch)
    return parser


def cmd_export_torch(args: argparse.Namespace) -> int:
    from pt2r.replay import quiet  # noqa: F401  (TensorFlow, quietly)
    from pt2r.replay.params import export_torch

    written = export_torch(args.out_dir, args.output, args.checkpoint, args.scope)
    modules = ", ".join(written["modules"]) or "-"
    scope = f" (scope {written['scope']!r} of the checkpoint)" if written["scope"] else ""
    console.print(f"wrote {written['tensors']} tensors of {modules}{scope} to {written['path']}"
                  + (f" ({len(written['left_out'])} constants folded from the trace left out)"
                     if written["left_out"] else ""), soft_wrap=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Pt2rError as exc:
        return _print_error(exc, debug=args.debug)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except Exception as exc:  # a bug in pt2r: say so (exit 3), with the traceback
        return _print_error(InternalError.from_exception(exc), debug=False)


def _print_error(exc: Pt2rError, *, debug: bool) -> int:
    """One paragraph, then the detail (the model's traceback; for an internal error, pt2r's)."""
    if debug:
        traceback.print_exc()
    label = "internal error" if isinstance(exc, InternalError) else "error"
    err_console.print(f"[bold red]{label}:[/bold red] {escape(exc.message)}", soft_wrap=True)
    if exc.detail:
        err_console.print(exc.detail, markup=False, highlight=False, soft_wrap=True)
    return exc.exit_code


def run() -> None:
    """The ``pt2r`` command: `main`, then exit at once. The interpreter's own teardown of a process
    that imported TensorFlow or torch and built a graph takes seconds (1.4 s after replaying the
    MB-MelGAN) and has nothing left to do: every file is written and closed by then."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
