"""Run pt2r in a subprocess in which some imports raise: the phase boundaries of DESIGN.md."""

import os
import subprocess
import sys

TESTS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TESTS)

BLOCKER = """
import sys
class _Blocker:
    def __init__(self, names): self.names = names
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.names:
            raise ImportError(name + " is blocked in this phase")
        return None
sys.meta_path.insert(0, _Blocker({blocked!r}))
# as an absent package looks: importlib.util.find_spec(name) is None (torch._dynamo probes tensorflow so)
sys.modules.update(dict.fromkeys({blocked!r}))
"""


def run_python(code, *, blocked=(), timeout=300, env=None, **kwargs):
    """Run ``code`` in a fresh interpreter where importing any of ``blocked`` raises. The tests' folder
    is on its path, as in pytest: the op specs import ``opcases`` from it."""
    prelude = BLOCKER.replace("{blocked!r}", repr(set(blocked))) if blocked else ""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [TESTS, env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, env=env, **kwargs)


def run_pt2r(*args, blocked=(), **kwargs):
    """``pt2r ARGS`` in a fresh interpreter where importing any of ``blocked`` raises."""
    code = f"import sys\nfrom pt2r.cli import main\nsys.exit(main({list(args)!r}))\n"
    return run_python(code, blocked=blocked, **kwargs)
