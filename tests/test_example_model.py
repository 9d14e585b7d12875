"""Fast checks of the bundled example (pt2r.examples.vocoder) with plain torch.

The example is the tool's default job, so its behaviour must be pinned down
before record/replay are judged against it: shapes, determinism under seeded
init, weight-norm folding, PQMF reconstruction, and the size bound.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from pt2r.examples import vocoder
from pt2r.examples.melgan import generator as melgan_generator, pqmf as melgan_pqmf

# torch.nn.utils.weight_norm is deprecated but is what third-party MelGAN code uses.
pytestmark = pytest.mark.filterwarnings("ignore:.*weight_norm.*deprecated:FutureWarning")


def run_example(num_frames=50):
    torch.manual_seed(0)
    with torch.no_grad():
        return vocoder.model_func(None, torch.from_numpy(vocoder.example_inputs(num_frames))).numpy()


def test_example_inputs_match_spec():
    x = vocoder.example_inputs()
    assert x.dtype == np.float32 and x.dtype.name == vocoder.INPUT_SPEC["dtype"]
    assert x.shape == (1, 80, 50)
    assert x.shape[vocoder.INPUT_SPEC["feature_dim_axis"]] == vocoder.INPUT_SPEC["shape"][0]
    np.testing.assert_array_equal(x, vocoder.example_inputs())  # fixed RNG


@pytest.mark.parametrize("num_frames", [50, 23])
def test_output_shape_and_finite(num_frames):
    y = run_example(num_frames)
    assert y.shape == (1, 1, num_frames * vocoder.HOP_LENGTH)
    assert y.dtype == np.float32
    assert np.all(np.isfinite(y))
    assert 0.0 < np.abs(y).max() <= 1.0  # not silent; tanh bounds subbands, PQMF keeps it modest


def test_deterministic_under_seed():
    np.testing.assert_array_equal(run_example(), run_example())


def test_remove_weight_norm_keeps_outputs():
    torch.manual_seed(0)
    gen = melgan_generator.MelGANGenerator(**vocoder.GENERATOR_PARAMS).eval()
    x = torch.from_numpy(vocoder.example_inputs())
    with torch.no_grad():
        before = gen(x)
        gen.remove_weight_norm()
        after = gen(x)
    assert not any(name.endswith(("weight_g", "weight_v")) for name, _ in gen.named_parameters())
    torch.testing.assert_close(after, before, rtol=1e-5, atol=1e-6)


def test_pqmf_analysis_synthesis_reconstructs():
    """Near-perfect reconstruction: measured ~64 dB SNR on white noise once taps/2 edge samples are cut."""
    pqmf = melgan_pqmf.PQMF(4)
    torch.manual_seed(0)
    x = torch.randn(2, 1, 4000)
    with torch.no_grad():
        bands = pqmf.analysis(x)
        y = pqmf.synthesis(bands)
    assert bands.shape == (2, 4, 1000)
    assert y.shape == x.shape
    edge = 62  # filter length; zero padding disturbs the borders
    ref, err = x[..., edge:-edge], (y - x)[..., edge:-edge]
    snr_db = 10 * torch.log10(ref.pow(2).sum() / err.pow(2).sum()).item()
    assert snr_db > 50.0


def test_parameter_size_bound():
    torch.manual_seed(0)
    gen = melgan_generator.MelGANGenerator(**vocoder.GENERATOR_PARAMS)
    with_wn = sum(p.numel() * p.element_size() for p in gen.parameters())
    gen.remove_weight_norm()
    tensors = list(gen.state_dict().values()) + list(melgan_pqmf.PQMF(4).state_dict().values())
    total = sum(t.numel() * t.element_size() for t in tensors)
    assert sum(t.numel() for t in tensors) == 212388 + 568  # documented configuration
    assert max(with_wn, total) <= 4 * 2**20


def test_vocoder_module_imports_without_torch():
    """The replay machine has no torch: the spec module must import torch only inside model_func."""
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from pt2r.examples import vocoder\n"
        "assert vocoder.example_inputs().shape == (1, 80, 50)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])
