#!/usr/bin/env python3
"""The benchmark: full-size MB-MelGAN at T = 80 and T = 800 frames.

Prints, per length: `pt2r convert` wall time (both phases, every check), record and
replay wall time and peak memory (each phase in its own process, as `convert` runs them;
the replay's beside the memory that importing TensorFlow and RETURNN alone takes), the plain PyTorch forward time, trace size against its unique tensor bytes, and the
converted net's forward time in a TF session against PyTorch's on the same input
(medians of several runs, measured in this run). Run through scripts/bench [FRAMES ...].
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = "pt2r.examples.mb_melgan:model_func"
RUNS = 21  # forward runs are short: enough of them for a steady median on a busy machine
CONVERT_RUNS = 3  # whole conversions, for their median (the first one after a code change also compiles bytecode)

# Runs a pt2r command in this interpreter and reports its peak memory (resident set, KiB).
PHASE = """
import resource, sys
from pt2r.cli import main
code = main(sys.argv[1:])
print("PEAK_RSS_KIB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""

# The replay's memory floor: importing pt2r's replay side (TensorFlow, RETURNN).
IMPORT_FLOOR = """
import resource, sys
import pt2r.replay
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


def run(args: list[str], env: dict | None = None) -> tuple[float, int | None, str]:
    """Wall seconds, peak RSS (KiB) if reported, stdout."""
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, cwd=REPO, env=env)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{proc.stdout}\n{proc.stderr}")
    peak = None
    for line in proc.stderr.splitlines():
        if line.startswith("PEAK_RSS_KIB"):
            peak = int(line.split()[1])
    return seconds, peak, proc.stdout


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


def mib(kib: int | None) -> str:
    return f"{kib / 1024:.0f} MiB" if kib else "?"


def bench(frames: int, folder: str, checkpoint: str, env: dict) -> dict:
    from pt2r.examples import mb_melgan
    from pt2r.trace import TraceReader

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
    with TraceReader(trace) as reader:
        trace_bytes, unique = reader.file_size, reader.unique_bytes
        timing = reader.meta["timing"]
    torch_times, tf_times = forward_times([[py, "-c", TORCH_FORWARD, checkpoint, inputs],
                                           [py, "-c", TF_FORWARD, out, inputs]], env)
    torch_fwd, tf_fwd = statistics.median(torch_times), statistics.median(tf_times)
    return {
        "frames": frames, "convert_s": statistics.median(convert_runs), "convert_runs": convert_runs, "record_s": record_s, "record_peak": record_peak,
        "replay_s": replay_s, "replay_peak": replay_peak,
        "trace_bytes": trace_bytes, "unique_bytes": unique,
        "plain_model_func_s": timing["reference_seconds"], "torch_forward_s": torch_fwd,
        "returnn_forward_s": tf_fwd, "forward_ratio": tf_fwd / torch_fwd,
    }


def main() -> None:
    from pt2r.examples import mb_melgan

    folder = tempfile.mkdtemp(prefix="pt2r-bench-")
    checkpoint = os.path.join(folder, "checkpoint.pkl")
    mb_melgan.make_checkpoint(checkpoint, seed=0)
    env = {**os.environ, mb_melgan.CHECKPOINT_ENV: checkpoint, "TF_CPP_MIN_LOG_LEVEL": "3"}
    print(f"MB-MelGAN (parallel-wavegan 0.6.1, v2 settings, channels 384), {os.cpu_count()} cores; "
          f"forward times: medians of {RUNS} warm runs taken in turn, each framework with its default threads")
    _, import_peak, _ = run([sys.executable, "-c", IMPORT_FLOOR], env)
    for frames in [int(a) for a in sys.argv[1:]] or [80, 800]:
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


if __name__ == "__main__":
    main()
