"""The seams between real third-party packages and pt2r: a package written the way transformers is
(tests/thirdparty/hfstyle) records with the traced run equal to the plain one and replays, also on a
machine without torch; the drop-in answers platform probes as a CPU-only torch and fails on what it
cannot convert only when model code uses it."""

import os

import numpy as np
import pytest

import pt2r.torch as drop_in
from pt2r.errors import UnsupportedOpError
from pt2r.record import record
from pt2r.replay import replay
from pt2r.trace import TraceReader
from phases import run_pt2r

SPECS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "specs")
SPEC = os.path.join(SPECS, "hfstyle_model.py") + ":model_func"


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("hfstyle") / "trace.h5")
    return path, record(SPEC, path)


def test_traced_run_equals_the_plain_run(trace):
    # A wrapped copy once took itself for custom code (its classes' __module__ was the wrapped name),
    # skipped the package's own initialisation and so computed something else.
    _, result = trace
    assert result.output_check[0]["max_abs"] == 0.0


def test_the_package_initialised_its_parameters_once(trace):
    path, _ = trace
    reader = TraceReader(path)
    proj = next(c for c in reader.meta["calls"] if c["name"].endswith("/proj"))
    weight = reader.array(reader.meta["tensors"][proj["params"]["weight"]["$t"]]["blob"])
    bias = reader.array(reader.meta["tensors"][proj["params"]["bias"]["$t"]]["blob"])
    assert 0.2 < weight.std() < 1.0  # normal(0, 0.5), and the tagged weight was not drawn again (std 10)
    assert not bias.any()  # zeros_ through the patched torch.nn.init


def test_replay_passes(trace, tmp_path):
    path, _ = trace
    result = replay(path, str(tmp_path / "out"))
    assert result.passed, result.summary["first_divergence"]


def test_replay_without_torch(trace, tmp_path):
    # importlib.util.find_spec("torch") must find the drop-in where torch is not importable
    path, _ = trace
    proc = run_pt2r("replay", path, "-o", str(tmp_path / "out"), blocked=("torch",))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "every check passes" in proc.stdout


def test_platform_probes_answer_as_cpu_only_torch():
    assert drop_in.cuda.is_available() is False and drop_in.cuda.device_count() == 0
    assert drop_in.backends.mps.is_available() is False
    assert drop_in.distributed.is_available() is False
    assert drop_in.compiler.is_compiling() is False and drop_in.jit.is_tracing() is False
    assert drop_in.version.cuda is None and drop_in.__version__ == "2.13.0"
    assert drop_in.get_default_dtype() is drop_in.float32
    assert drop_in.finfo(drop_in.float16).max == 65504.0 and drop_in.iinfo(drop_in.int8).min == -128
    assert drop_in.utils.checkpoint.checkpoint(lambda a, b: a + b, 1, 2, use_reentrant=False) == 3

    @drop_in.no_grad
    def bare(x):
        return x + 1

    assert bare(1) == 2


def test_names_torch_has_import_and_fail_only_when_used():
    loss = drop_in.nn.AdaptiveLogSoftmaxWithLoss  # importable, so `from torch.nn import ...` works
    assert issubclass(loss, drop_in.nn.Module)
    with pytest.raises(UnsupportedOpError, match="torch.nn.AdaptiveLogSoftmaxWithLoss"):
        loss()
    from pt2r.torch.distributions import constraints  # a torch submodule the drop-in lacks
    with pytest.raises(UnsupportedOpError, match="torch.distributions.constraints.positive"):
        constraints.positive()
    assert not hasattr(drop_in, "no_such_thing_in_torch")
    assert not hasattr(drop_in.nn, "NoSuchModule")


def test_module_state_lookups_answer_as_torch():
    """transformers ties and initialises weights through these (``get_parameter_or_buffer``), catching
    the AttributeError torch raises; OPT's decoder sets plain attributes before ``Module.__init__``."""
    block = drop_in.nn.Sequential(drop_in.nn.Linear(3, 4), drop_in.nn.BatchNorm1d(4))
    assert block.get_parameter("0.weight") is block[0].weight
    assert block.get_buffer("1.running_mean") is block[1].running_mean
    with pytest.raises(AttributeError, match="is not an nn.Parameter"):
        block.get_parameter("1.running_mean")
    with pytest.raises(AttributeError, match="has no attribute `nothing`"):
        block.get_buffer("0.nothing")
    with pytest.raises(AttributeError, match="has no attribute `2`"):
        block.get_submodule("2")
    block.set_submodule("0", drop_in.nn.Identity())
    assert isinstance(block[0], drop_in.nn.Identity) and block._get_name() == "Sequential"
    with pytest.raises(RuntimeError, match="should never be called"):
        block.get_extra_state()
    tied = drop_in.nn.Sequential(block[1], block[1])
    assert [n for n, _ in tied.named_parameters(remove_duplicate=False)] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert [n for n, _ in tied.named_parameters()] == ["0.weight", "0.bias"]
    block.register_full_backward_hook(lambda *args: None).remove()
    block._register_load_state_dict_pre_hook(lambda *args: None).remove()  # (Mamba registers one)

    class Early(drop_in.nn.Module):
        def __init__(self):
            self.plain = 1
            super().__init__()

    assert Early().plain == 1

    class TooEarly(drop_in.nn.Module):
        def __init__(self):
            self.child = drop_in.nn.Identity()

    with pytest.raises(AttributeError, match="cannot assign module before Module.__init__"):
        TooEarly()


def test_assigning_data_takes_the_shape_of_parameters_only():
    """``p.data = t`` (transformers re-pads a tied output layer's bias at init): a parameter takes the new
    shape and dtype (its value at a call comes from the trace); other uses are refused by name."""
    linear = drop_in.nn.Linear(3, 4)
    linear.bias.data = linear.bias.data
    linear.weight.data = drop_in.nn.Linear(5, 4).weight.data
    assert tuple(linear.weight.shape) == (4, 5) and tuple(linear.bias.shape) == (4,)
    with pytest.raises(UnsupportedOpError, match="assigning .data"):
        linear.bias.data = 1.0
