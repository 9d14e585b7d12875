#!/usr/bin/env python3
"""The benchmarks: full-size MB-MelGAN at T = 80 and T = 800 frames, and wav2vec 2.0 (base, large).

``scripts/bench [FRAMES ...]`` (MB-MelGAN) prints, per length: `pt2r convert` wall time (both phases, every
check), record and replay wall time and peak memory (each phase in its own process, as `convert` runs them;
the replay's beside the memory that importing TensorFlow and RETURNN alone takes), the plain PyTorch forward
time, trace size against its unique tensor bytes, and the converted net's forward time in a TF session
against PyTorch's on the same input (medians of runs taken in turn; the ratio the median of paired ratios).

``scripts/bench wav2vec2 [base|large ...]`` converts Hugging Face's ``Wav2Vec2Model`` at its real sizes
(random weights; spec module ``pt2r.examples.wav2vec2``) on 5 s of 16 kHz audio and prints the same
figures against their targets, with each phase's wall time and peak memory split into its steps
(import, plain run, traced run, trace write; build, verification, export, standalone check), and
the forward times at base size.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = "pt2r.examples.mb_melgan:model_func"
RUNS = 41  # forward runs are short: enough of them for a steady median on a busy machine
CONVERT_RUNS = 3  # whole conversions, for their median (the first one after a code change also compiles bytecode)

# Runs a pt2r command in this interpreter and reports its peak memory (resident set, KiB). For
# `record` and `replay` it also times the steps of the phase (wrapping pt2r's own functions, so
# pt2r is unchanged) and reports, as each step ends, its seconds and the peak and current memory
# then, as "PT2R_STEP {json}" lines on stderr; steps called many times are summed, reported at the end.
PHASE = r"""
import json, os, resource, sys, time
START = time.perf_counter()
TOTALS = {}

def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024

def peak_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

def emit(label, seconds, count=1, peak_before=None):
    end = time.perf_counter() - START
    print("PT2R_STEP " + json.dumps({"label": label, "seconds": seconds, "count": count, "start": end - seconds,
                                     "end": end, "peak_before_kib": peak_before, "peak_kib": peak_kib(),
                                     "rss_kib": rss_kib()}), file=sys.stderr, flush=True)

def timed(owner, attr, label, summed=False):
    func = getattr(owner, attr, None)
    if func is None:  # pt2r changed: that step is not reported
        print(f"PT2R_STEP_MISSING {label}", file=sys.stderr)
        return
    depth, calls = [0], [0]
    def wrapper(*args, **kwargs):
        depth[0] += 1
        start = time.perf_counter()
        before = peak_kib() if depth[0] == 1 and not summed else None
        try:
            return func(*args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:  # nested calls of the same step count once
                seconds = time.perf_counter() - start
                # a list of labels names the 1st, 2nd, ... call (the last one names the later ones)
                name = label[min(calls[0], len(label) - 1)] if isinstance(label, list) else label
                calls[0] += 1
                if summed:
                    total = TOTALS.setdefault(name, [0.0, 0])
                    total[0] += seconds
                    total[1] += 1
                else:
                    emit(name, seconds, peak_before=before)
    setattr(owner, attr, wrapper)

command = sys.argv[1] if len(sys.argv) > 1 else ""
if command in ("record", "replay"):
    import pt2r.import_wrapper, pt2r.trace.reader, pt2r.trace.writer
    start, before = time.perf_counter(), peak_kib()
    if command == "record":
        import pt2r.record
        emit("import torch", time.perf_counter() - start, peak_before=before)
        timed(pt2r.record, "_run_model", ["plain (reference) run", "traced run"])
        timed(pt2r.record, "_check_outputs", "output check")
        timed(pt2r.trace.writer.TraceWriter, "finish", "trace finish")
        timed(pt2r.trace.writer.TraceWriter, "add_array", "trace tensor writes", summed=True)
    else:
        import pt2r.cli
        pt2r.cli.lean_replay_process()  # as the pt2r command's replay does, before TensorFlow is imported
        import pt2r.replay, pt2r.replay.context, pt2r.replay.verify
        emit("import TensorFlow, RETURNN", time.perf_counter() - start, peak_before=before)
        timed(pt2r.trace.reader.TraceReader, "_read_meta", "trace meta read")
        timed(pt2r.replay.context.ReplayContext, "__init__", "replay context")
        timed(pt2r.replay, "_run_model", "drop-in run")
        timed(pt2r.replay.export, "make_saver", "saver")
        timed(pt2r.replay.verify.Verifier, "run", "verification")
        timed(pt2r.replay.verify.Verifier, "_accumulated", "accumulated checks")
        timed(pt2r.replay.verify.Verifier, "_isolated", "isolated checks")
        timed(pt2r.replay.verify.Verifier, "_compare", "comparisons", summed=True)
        import tensorflow
        timed(tensorflow.compat.v1.Session, "run", "TF session runs", summed=True)
        timed(pt2r.replay.export, "write", "export")
        timed(pt2r.replay.standalone, "run_exported", "standalone check")
        timed(pt2r.replay.report, "write", "report write")
        timed(pt2r.trace.reader.TraceReader, "array", "trace tensor reads", summed=True)
    timed(pt2r.import_wrapper, "_exec_wrapped", "wrapped module imports", summed=True)
    timed(pt2r.import_wrapper, "_mentions_torch", "scans for torch imports", summed=True)
from pt2r.cli import main
code = main(sys.argv[1:])
for label, (seconds, count) in TOTALS.items():
    emit(label, seconds, count)
print("PEAK_RSS_KIB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)  # as the pt2r command ends (pt2r.cli.run)
"""

# The replay's memory floor: importing pt2r's replay side (TensorFlow, RETURNN).
IMPORT_FLOOR = """
import resource, sys
import pt2r.cli
pt2r.cli.lean_replay_process()
import pt2r.replay
print("PEAK_RSS_KIB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""

# The record's memory floor for a transformers model: importing pt2r's record side (torch) and
# transformers with its Wav2Vec2 modelling code.
TORCH_IMPORT_FLOOR = """
import resource, sys
import pt2r.record
import transformers
transformers.Wav2Vec2Model
print("PEAK_RSS_KIB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""

# Forward workers: each loads its net, runs it once, says "ready", then for each line on stdin
# runs it once more (warm again after the other worker's turn) and times the run after that. The
# bench alternates between the two, so both see the same machine load.
WORKER_LOOP = """
forward()
print("ready", flush=True)
for _ in sys.stdin:
    forward()
    start = time.perf_counter()
    forward()
    print(time.perf_counter() - start, flush=True)
"""

TORCH_FORWARD = """
import sys, time
import numpy as np, torch
from pt2r.examples import mb_melgan
mb_melgan.provide_scipy_kaiser()
from parallel_wavegan.models import MelGANGenerator
from parallel_wavegan.layers import PQMF
generator = MelGANGenerator(**mb_melgan.GENERATOR_PARAMS)
generator.load_state_dict(torch.load(sys.argv[1], map_location="cpu")["model"]["generator"])
generator.remove_weight_norm()
generator.eval()
pqmf = PQMF(mb_melgan.SUBBANDS)
x = torch.from_numpy(np.load(sys.argv[2]))

def forward():
    with torch.no_grad():
        pqmf.synthesis(generator(x))
""" + WORKER_LOOP

TF_FORWARD = """
import sys, time
import numpy as np
from pt2r.replay import standalone  # quiet TF, behavior version
import tensorflow as tf
from returnn.config import Config
from returnn.tf.network import TFNetwork
config = Config(); config.load_file(sys.argv[1] + "/returnn.config")
standalone.set_behavior_version()
graph = tf.Graph()
with graph.as_default():
    net = TFNetwork(config=config, train_flag=False, eval_flag=False, search_flag=False)
    net.construct_from_dict(config.typed_value("network"))
    session = tf.compat.v1.Session(graph=graph, config=standalone.session_config())
    net.load_params_from_file(sys.argv[1] + "/model", session=session)
    feed = standalone.input_feed(net, np.load(sys.argv[2]), None)
    out = net.get_layer("output").output.placeholder

def forward():
    session.run(out, feed_dict=feed)
""" + WORKER_LOOP

# Builds the wav2vec2 model as the record's plain run does (same config, same seed, so the same
# weights), timing the steps of plain PyTorch: import, model creation, one forward. Reports the
# parameter bytes (float32: numel * 4) and its peak memory.
W2V_TORCH_PLAIN = """
import json, resource, sys, time
start = time.perf_counter()
import numpy as np, torch, transformers
from pt2r.examples import wav2vec2
from pt2r.record import DEFAULT_SEED, reset_seeds
transformers.Wav2Vec2Model
imported = time.perf_counter()
reset_seeds(DEFAULT_SEED)
model = transformers.Wav2Vec2Model(wav2vec2.make_config(transformers, sys.argv[1])).eval()
built = time.perf_counter()
with torch.no_grad():
    model(torch.from_numpy(np.load(sys.argv[2]))).last_hidden_state
done = time.perf_counter()
params = list(model.parameters())
print(json.dumps({"import_s": imported - start, "build_s": built - imported, "forward_s": done - built,
                  "param_count": sum(p.numel() for p in params),
                  "param_bytes": sum(p.numel() * 4 for p in params)}))
print("PEAK_RSS_KIB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""

W2V_TORCH_FORWARD = """
import sys, time
import numpy as np, torch, transformers
from pt2r.examples import wav2vec2
from pt2r.record import DEFAULT_SEED, reset_seeds
reset_seeds(DEFAULT_SEED)
model = transformers.Wav2Vec2Model(wav2vec2.make_config(transformers, sys.argv[1])).eval()
x = torch.from_numpy(np.load(sys.argv[2]))

def forward():
    with torch.no_grad():
        model(x).last_hidden_state
""" + WORKER_LOOP


@dataclass
class Phase:
    """One process run: wall seconds, peak RSS (KiB) if reported, its output, and its steps."""
    args: list[str]
    seconds: float
    peak: int | None
    stdout: str
    stderr: str
    returncode: int | None  # None: killed after the time limit
    steps: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def step(self, label: str) -> dict | None:
        return next((s for s in self.steps if s["label"] == label), None)

    def failure(self, lines: int = 25) -> str:
        """What went wrong, in the process' own words (its last lines of output)."""
        if self.returncode is None:
            why = f"killed after {self.seconds:.0f} s (time limit)"
        elif self.returncode < 0:
            why = f"killed by signal {-self.returncode}" + (" (SIGKILL: out of memory?)"
                                                             if self.returncode == -signal.SIGKILL else "")
        else:
            why = f"exit code {self.returncode}"
        text = [line for line in (self.stdout + "\n" + self.stderr).splitlines()
                if line.strip() and not line.startswith(("PT2R_STEP", "PEAK_RSS_KIB"))]
        return f"{why} after {self.seconds:.1f} s\n" + "\n".join("      " + line for line in text[-lines:])


def run_phase(args: list[str], env: dict | None = None, timeout: float | None = None) -> Phase:
    """Run ``args`` (in its own process group, killed whole when over ``timeout``) and collect it."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
        returncode = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        returncode = None
    seconds = time.perf_counter() - start
    peak, steps = None, []
    for line in stderr.splitlines():
        if line.startswith("PEAK_RSS_KIB"):
            peak = int(line.split()[1])
        elif line.startswith("PT2R_STEP "):
            steps.append(json.loads(line[len("PT2R_STEP "):]))
    return Phase(args, seconds, peak, stdout, stderr, returncode, steps)


def run(args: list[str], env: dict | None = None) -> tuple[float, int | None, str]:
    """Wall seconds, peak RSS (KiB) if reported, stdout; exits when the command fails."""
    phase = run_phase(args, env)
    if not phase.ok:
        sys.exit(f"failed: {' '.join(args)}\n{phase.stdout}\n{phase.stderr}")
    return phase.seconds, phase.peak, phase.stdout


def forward_times(workers: list[list[str]], env: dict) -> list[list[float]]:
    """RUNS forward times of each worker (see TORCH_FORWARD), taken in turn."""
    procs = [subprocess.Popen(args, cwd=REPO, env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL) for args in workers]
    try:
        for proc in procs:
            while (line := proc.stdout.readline()) and line.strip() != "ready":
                pass  # libraries may print before the worker is ready
            if not line:
                sys.exit(f"forward worker failed: {proc.args}")
        times: list[list[float]] = [[] for _ in procs]
        for _ in range(RUNS):
            for proc, worker_times in zip(procs, times):
                proc.stdin.write("run\n")
                proc.stdin.flush()
                worker_times.append(float(proc.stdout.readline()))
        return times
    finally:
        for proc in procs:
            proc.stdin.close()
            proc.wait()


def paired_ratio(torch_times: list[float], tf_times: list[float]) -> float:
    """The median of each converted run's time over the PyTorch run just before it: the runs taken in turn
    see the same moment of a shared machine, so this ratio holds where the medians of either drift."""
    return statistics.median(tf / pt for pt, tf in zip(torch_times, tf_times))


def mib(kib: int | None) -> str:
    return f"{kib / 1024:.0f} MiB" if kib else "?"


def trace_sizes(trace: str) -> tuple[int, int, dict]:
    """File size, unique tensor bytes and the recorded timing of a trace."""
    from pt2r.trace import TraceReader
    with TraceReader(trace) as reader:
        return reader.file_size, reader.unique_bytes, reader.meta["timing"]


# --- MB-MelGAN ------------------------------------------------------------------------------------

def bench(frames: int, folder: str, checkpoint: str, env: dict) -> dict:
    from pt2r.examples import mb_melgan

    import numpy as np
    inputs = os.path.join(folder, f"x{frames}.npy")
    np.save(inputs, mb_melgan.example_inputs(frames))
    py = sys.executable
    out = os.path.join(folder, f"T{frames}")
    convert_runs = sorted(run([py, "-m", "pt2r.cli", "convert", SPEC, "--inputs", inputs, "-o", out + "-convert"],
                              env)[0] for _ in range(CONVERT_RUNS))
    trace = os.path.join(folder, f"T{frames}.h5")
    record_s, record_peak, _ = run([py, "-c", PHASE, "record", SPEC, "--inputs", inputs, "-o", trace], env)
    replay_s, replay_peak, _ = run([py, "-c", PHASE, "replay", trace, "-o", out], env)
    trace_bytes, unique, timing = trace_sizes(trace)
    torch_times, tf_times = forward_times([[py, "-c", TORCH_FORWARD, checkpoint, inputs],
                                           [py, "-c", TF_FORWARD, out, inputs]], env)
    torch_fwd, tf_fwd = statistics.median(torch_times), statistics.median(tf_times)
    return {
        "frames": frames, "convert_s": statistics.median(convert_runs), "convert_runs": convert_runs, "record_s": record_s, "record_peak": record_peak,
        "replay_s": replay_s, "replay_peak": replay_peak,
        "trace_bytes": trace_bytes, "unique_bytes": unique,
        "plain_model_func_s": timing["reference_seconds"], "torch_forward_s": torch_fwd,
        "returnn_forward_s": tf_fwd, "forward_ratio": paired_ratio(torch_times, tf_times),
    }


def main_mb_melgan(frame_counts: list[int]) -> None:
    from pt2r.examples import mb_melgan

    folder = tempfile.mkdtemp(prefix="pt2r-bench-")
    checkpoint = os.path.join(folder, "checkpoint.pkl")
    mb_melgan.make_checkpoint(checkpoint, seed=0)
    env = {**os.environ, mb_melgan.CHECKPOINT_ENV: checkpoint, "TF_CPP_MIN_LOG_LEVEL": "3"}
    print(f"MB-MelGAN (parallel-wavegan 0.6.1, v2 settings, channels 384), {os.cpu_count()} cores; "
          f"forward times: medians of {RUNS} warm runs taken in turn, each framework with its default threads; "
          f"the ratio: the median of the {RUNS} paired ratios")
    _, import_peak, _ = run([sys.executable, "-c", IMPORT_FLOOR], env)
    for frames in frame_counts or [80, 800]:
        r = bench(frames, folder, checkpoint, env)
        print(f"\nT = {frames} frames ({frames * mb_melgan.HOP_LENGTH} samples)")
        print(f"  pt2r convert (record + replay, every check):  {r['convert_s']:.1f} s wall, median of "
              f"{', '.join(f'{t:.1f}' for t in r['convert_runs'])} s")
        print(f"  record:  {r['record_s']:.1f} s wall, peak {mib(r['record_peak'])}  "
              f"(plain model function {r['plain_model_func_s']:.2f} s of it)")
        print(f"  replay:  {r['replay_s']:.1f} s wall, peak {mib(r['replay_peak'])}  "
              f"(importing TensorFlow and RETURNN alone: {mib(import_peak)})")
        print(f"  trace:   {r['trace_bytes'] / 2**20:.1f} MiB for {r['unique_bytes'] / 2**20:.1f} MiB of unique "
              f"tensors ({r['trace_bytes'] / r['unique_bytes']:.3f}x)")
        print(f"  forward: PyTorch {r['torch_forward_s'] * 1000:.1f} ms, converted RETURNN net "
              f"{r['returnn_forward_s'] * 1000:.1f} ms: {r['forward_ratio']:.2f}x PyTorch's")
    print(f"\n(work files in {folder})")


# --- wav2vec 2.0 ----------------------------------------------------------------------------------

W2V_SIZES = ("base", "large")
W2V_CONVERT_TARGET_S = {"base": 30, "large": 90}
W2V_TIME_LIMIT_S = 600  # a phase over 10 min counts as failed
# the steps of each phase, in order, that together make its wall time (the rest: process start and exit);
# then the steps within them, summed over all their calls
RECORD_STEPS = ["import torch", "plain (reference) run", "traced run", "output check", "trace finish"]
RECORD_WITHIN = ["trace tensor writes", "wrapped module imports", "scans for torch imports"]
REPLAY_STEPS = ["import TensorFlow, RETURNN", "trace meta read", "replay context", "drop-in run", "saver",
                "verification", "export", "standalone check", "report write"]
REPLAY_WITHIN = ["accumulated checks", "isolated checks", "TF session runs", "comparisons", "trace tensor reads",
                 "wrapped module imports", "scans for torch imports"]


def print_steps(phase: Phase, steps: list[str], within: list[str]) -> None:
    """The phase's wall time split into its steps (and the untimed code between them), and the
    peak memory after each."""
    found = sorted((s for s in (phase.step(label) for label in steps) if s), key=lambda s: s["end"])
    gaps = [(a, b, b["start"] - a["end"]) for a, b in zip(found, found[1:])]
    rest = phase.seconds - sum(s["seconds"] for s in found) - sum(g for _, _, g in gaps)
    print("      " + " | ".join(f"{s['label']} {s['seconds']:.1f} s" for s in found)
          + f" | rest (process start, spec and input loading, exit) {rest:.1f} s")
    gaps = [(a, b, g) for a, b, g in gaps if g >= 0.5]
    if gaps:
        print("      untimed code between steps: " + ", ".join(
            f"{a['label']} -> {b['label']} {g:.1f} s (peak {mib(a['peak_kib'])} -> {mib(b['peak_before_kib'])})"
            for a, b, g in gaps))
    inner = [s for s in (phase.step(label) for label in within) if s]
    if inner:
        print("      within those: " + ", ".join(
            f"{s['label']} {s['seconds']:.1f} s" + (f" ({s['count']} calls)" if s["count"] > 1 else
                                                    f" (peak {mib(s['peak_before_kib'])} -> {mib(s['peak_kib'])})")
            for s in inner))
    print("      peak memory after each step: " + ", ".join(f"{s['label']} {mib(s['peak_kib'])}"
                                                          for s in found))


def bench_wav2vec2(size: str, folder: str, env: dict, floors: dict) -> dict:
    """Record, replay (each timed step by step), convert once, and at base size time the forwards."""
    from pt2r.examples import wav2vec2

    import numpy as np
    py = sys.executable
    spec = f"pt2r.examples.wav2vec2:model_func_{size}"
    inputs = os.path.join(folder, "audio.npy")
    np.save(inputs, wav2vec2.example_inputs())
    r: dict = {"size": size}
    print(f"\nwav2vec2 {size}: {spec}, {wav2vec2.SAMPLE_RATE * wav2vec2.SECONDS} samples "
          f"({wav2vec2.SECONDS} s at {wav2vec2.SAMPLE_RATE // 1000} kHz), batch 1", flush=True)

    plain = run_phase([py, "-c", W2V_TORCH_PLAIN, size, inputs], env, W2V_TIME_LIMIT_S)
    if not plain.ok:
        r["failed"] = f"plain PyTorch run: {plain.failure()}"
        print(f"  FAILED {r['failed']}")
        return r
    r.update(json.loads(plain.stdout.strip().splitlines()[-1]))
    print(f"  plain PyTorch, alone: {r['param_count'] / 1e6:.1f}M parameters ({r['param_bytes'] / 2**20:.0f} MiB "
          f"float32); import torch + transformers {r['import_s']:.1f} s, create the model (random init) "
          f"{r['build_s']:.1f} s, one forward {r['forward_s']:.1f} s; peak {mib(plain.peak)}", flush=True)

    trace = os.path.join(folder, f"{size}.h5")
    record = run_phase([py, "-c", PHASE, "record", spec, "--inputs", inputs, "-o", trace], env, W2V_TIME_LIMIT_S)
    r["record"] = record
    print(f"  record:  {record.seconds:.1f} s wall, peak {mib(record.peak)}  (importing torch and transformers "
          f"alone: {mib(floors['torch'])})")
    print_steps(record, RECORD_STEPS, RECORD_WITHIN)
    if not record.ok:
        r["failed"] = f"record: {record.failure()}"
        print(f"  FAILED {r['failed']}")
        return r
    r["trace_bytes"], r["unique_bytes"], _ = trace_sizes(trace)
    print(f"  trace:   {r['trace_bytes'] / 2**20:.1f} MiB for {r['unique_bytes'] / 2**20:.1f} MiB of unique tensors "
          f"({r['trace_bytes'] / r['unique_bytes']:.3f}x; parameters {r['param_bytes'] / 2**20:.0f} MiB of them)",
          flush=True)

    out = os.path.join(folder, size)
    replay = run_phase([py, "-c", PHASE, "replay", trace, "-o", out], env, W2V_TIME_LIMIT_S)
    r["replay"] = replay
    print(f"  replay:  {replay.seconds:.1f} s wall, peak {mib(replay.peak)}  (importing TensorFlow and RETURNN "
          f"alone: {mib(floors['tf'])})")
    print_steps(replay, REPLAY_STEPS, REPLAY_WITHIN)
    report_path = os.path.join(out, "report.json")
    if os.path.exists(report_path):
        with open(report_path) as f:
            summary = json.load(f)["summary"]
        seconds = summary.get("seconds", {})
        print("      report.json: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items())
              + f"; {summary.get('layers')} layers, {summary.get('checked_calls')} calls checked, "
              f"{summary.get('failed_calls')} failing; largest error isolated "
              f"{summary.get('largest_isolated_abs', 0):.3g}, accumulated {summary.get('largest_accumulated_abs', 0):.3g}; "
              f"standalone {summary.get('standalone')}")
    if not replay.ok:
        r["failed"] = f"replay: {replay.failure()}"
        print(f"  FAILED {r['failed']}")
        return r

    convert = run_phase([py, "-m", "pt2r.cli", "convert", spec, "--inputs", inputs, "-o", out + "-convert"], env,
                        2 * W2V_TIME_LIMIT_S)
    r["convert_s"] = convert.seconds
    print(f"  pt2r convert (record + replay, every check):  {convert.seconds:.1f} s wall (1 run, after the "
          f"phases above)", flush=True)
    if not convert.ok:
        r["failed"] = f"convert: {convert.failure()}"
        print(f"  FAILED {r['failed']}")
        return r

    if size == "base":
        torch_times, tf_times = forward_times([[py, "-c", W2V_TORCH_FORWARD, size, inputs],
                                               [py, "-c", TF_FORWARD, out, inputs]], env)
        r["torch_forward_s"], r["returnn_forward_s"] = statistics.median(torch_times), statistics.median(tf_times)
        r["forward_ratio"] = paired_ratio(torch_times, tf_times)
        print(f"  forward: PyTorch {r['torch_forward_s'] * 1000:.0f} ms, converted RETURNN net "
              f"{r['returnn_forward_s'] * 1000:.0f} ms: {r['forward_ratio']:.2f}x PyTorch's")
    return r


def print_wav2vec2_table(results: list[dict], floors: dict) -> None:
    """The figures against their targets, one column per size."""
    def verdict(value: float | None, limit: float | None) -> str:
        if value is None or limit is None:
            return ""
        return "met" if value <= limit else "MISSED"

    rows = []

    def row(name: str, cell) -> None:
        rows.append([name] + [cell(r) for r in results])

    def convert_cell(r: dict) -> str:
        if "convert_s" not in r:
            return "-"
        limit = W2V_CONVERT_TARGET_S[r["size"]]
        return f"{r['convert_s']:.0f} s (<= {limit} s: {verdict(r['convert_s'], limit)})"

    def memory_cell(phase: str, factor: float, floor: int | None):
        def cell(r: dict) -> str:
            p = r.get(phase)
            if not p or not p.peak or "param_bytes" not in r:
                return "-"
            limit_kib = factor * r["param_bytes"] / 1024 + (floor or 0)
            return f"{mib(p.peak)} (<= {mib(limit_kib)}: {verdict(p.peak, limit_kib)})"
        return cell

    def trace_cell(r: dict) -> str:
        if "trace_bytes" not in r:
            return "-"
        ratio = r["trace_bytes"] / r["unique_bytes"]
        return f"{r['trace_bytes'] / 2**20:.0f} MiB = {ratio:.3f}x (<= 1.1x: {verdict(ratio, 1.1)})"

    row("`pt2r convert`, wall (1 run)", convert_cell)
    row("replay peak memory (<= 1.5x params + TF/RETURNN import)", memory_cell("replay", 1.5, floors["tf"]))
    row("record peak memory (<= 2x params + torch/transformers import)", memory_cell("record", 2.0, floors["torch"]))
    row("trace size (<= 1.1x unique tensor bytes)", trace_cell)
    row("parameters", lambda r: f"{r['param_count'] / 1e6:.1f}M = {r['param_bytes'] / 2**20:.0f} MiB"
        if "param_bytes" in r else "-")
    row("converted net forward vs PyTorch", lambda r: (
        f"{r['returnn_forward_s'] * 1000:.0f} ms vs {r['torch_forward_s'] * 1000:.0f} ms = {r['forward_ratio']:.2f}x"
        if "forward_ratio" in r else "-" if r["size"] == "base" else "(base only)"))
    row("status", lambda r: f"FAILED in {r['failed'].split(':')[0]}" if "failed" in r else "ok")
    header = [""] + [r["size"] for r in results]
    widths = [max(len(str(x[i])) for x in rows + [header]) for i in range(len(header))]
    for line in [header, ["-" * w for w in widths]] + rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(line, widths)) + " |")
    print(f"(targets beside each figure; floors: TF/RETURNN import {mib(floors['tf'])}, "
          f"torch + transformers import {mib(floors['torch'])})")


def main_wav2vec2(sizes: list[str]) -> None:
    unknown = [s for s in sizes if s not in W2V_SIZES]
    if unknown:
        sys.exit(f"usage: scripts/bench wav2vec2 [base|large ...] (unknown: {' '.join(unknown)})")
    import transformers

    folder = tempfile.mkdtemp(prefix="pt2r-bench-w2v-")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    print(f"wav2vec 2.0 (transformers {transformers.__version__} Wav2Vec2Model, random weights, eager attention, "
          f"dropouts 0), {os.cpu_count()} cores; each phase in its own process, figures from one run each "
          f"(convert: 1 run, not a median); forward times: medians of {RUNS} warm runs taken in turn, each "
          f"framework with its default threads, the ratio the median of the paired ratios. The machine is shared: "
          f"figures are indicative.")
    floors = {"tf": run([sys.executable, "-c", IMPORT_FLOOR], env)[1],
              "torch": run([sys.executable, "-c", TORCH_IMPORT_FLOOR], env)[1]}
    results = [bench_wav2vec2(size, folder, env, floors) for size in sizes or list(W2V_SIZES)]
    print()
    print_wav2vec2_table(results, floors)
    for r in results:
        if "failed" in r:
            print(f"\n{r['size']} FAILED in {r['failed']}")
    print(f"\n(work files in {folder})")


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["wav2vec2"]:
        main_wav2vec2(args[1:])
    else:
        main_mb_melgan([int(a) for a in args])


if __name__ == "__main__":
    main()
