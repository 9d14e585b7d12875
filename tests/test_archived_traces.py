"""The archived regression traces (traces/) replay without torch, every check passing.

All traces are replayed in one subprocess where importing torch raises (TensorFlow takes seconds to
import, so one process for all of them), each into its own output folder, from the repo root as
``scripts/record-traces`` recorded them (their specs are repo-relative). The subprocess prints one
JSON result per trace; each trace is then its own test, so a failure names the trace and its first
divergence. ``scripts/record-traces`` regenerates the traces; traces/README.md says how each was made.
"""

import glob
import json
import os

import pytest

from phases import REPO, run_python

TRACES_DIR = os.path.join(REPO, "traces")
TRACES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(TRACES_DIR, "*.h5")))
#: what the archive must hold: one trace per op family, the bundled example, the reduced MB-MelGAN,
#: a small Hugging Face Wav2Vec2Model
FAMILIES = ("basics", "activation", "norm", "shape", "reduce", "elementwise", "special", "pooling", "recurrent",
            "attention", "assign", "rearrange", "transformer")
EXPECTED = {f"ops_{family}.h5" for family in FAMILIES} \
    | {"vocoder.h5", "mb_melgan_small.h5", "wav2vec2_small.h5"}
MAX_BYTES = 30_000_000
MARKER = "ARCHIVED-TRACE-RESULTS "

REPLAY_ALL = """
import json, os, sys, traceback
from pt2r.replay import replay

results = {}
for name in NAMES:
    try:
        result = replay(os.path.join("traces", name), os.path.join(OUT, name[:-3]))
        s = result.summary
        results[name] = {
            "error": None, "passed": result.passed, "calls": s["calls"], "checked_calls": s["checked_calls"],
            "failed_calls": s["failed_calls"], "standalone": s["standalone"],
            "first_divergence": s["first_divergence"],
            "not_checked_both_ways": [r.name for r in result.results if r.isolated is None or r.accumulated is None],
            "largest_isolated_abs": s["largest_isolated_abs"], "largest_accumulated_abs": s["largest_accumulated_abs"],
            "seconds": round(s["seconds"]["total"], 1),
        }
    except Exception as exc:
        results[name] = {"error": f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}",
                         "traceback": traceback.format_exc()[-3000:]}
results["$torch_imported"] = sys.modules.get("torch") is not None
print(MARKER + json.dumps(results))
"""


def test_the_archive_holds_every_expected_trace():
    assert EXPECTED <= set(TRACES), f"missing from traces/: {sorted(EXPECTED - set(TRACES))}; run scripts/record-traces"


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    """Every archived trace replayed in one torch-less process: {trace file name: result}."""
    out = str(tmp_path_factory.mktemp("archived"))
    code = f"NAMES = {TRACES!r}\nOUT = {out!r}\nMARKER = {MARKER!r}\n" + REPLAY_ALL
    proc = run_python(code, blocked=("torch",), timeout=1800)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(MARKER)]
    assert proc.returncode == 0 and lines, f"the replay process failed (exit {proc.returncode}):\n" \
        f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    results = json.loads(lines[-1][len(MARKER):])
    assert results.pop("$torch_imported") is False
    for name, r in sorted(results.items()):  # shown with -s, and in the captured output of a failure
        print(name, json.dumps({k: v for k, v in r.items() if k != "traceback"}))
    return results


@pytest.mark.parametrize("name", TRACES)
def test_archived_trace_replays_without_torch(name, replayed):
    r = replayed[name]
    assert r["error"] is None, f"{name}: replay raised {r['error']}\n{r.get('traceback', '')}"
    assert r["passed"], f"{name}: first divergence: {r['first_divergence']}; standalone: {r['standalone']}"
    assert r["checked_calls"] > 0 and r["failed_calls"] == 0, f"{name}: {r}"
    assert not r["not_checked_both_ways"], f"{name}: calls not checked isolated and accumulated: " \
        f"{r['not_checked_both_ways']}"
    assert r["standalone"] == "pass", f"{name}: standalone check of the exported net: {r['standalone']}"


def test_the_archive_stays_under_30_mb():
    total = sum(os.path.getsize(os.path.join(folder, f)) for folder, _, files in os.walk(TRACES_DIR) for f in files)
    assert total < MAX_BYTES, f"traces/ holds {total / 1e6:.1f} MB; keep it under {MAX_BYTES / 1e6:.0f} MB"


def test_every_trace_is_described_in_the_readme():
    with open(os.path.join(TRACES_DIR, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    missing = [name for name in TRACES if f"`{name}`" not in readme]
    assert not missing, f"traces/README.md does not list {missing}"
