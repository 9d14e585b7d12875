"""Parallel WaveGAN's multi-band MelGAN vocoder (``parallel-wavegan`` 0.6.1), unmodified.

The model function does what a user of the package writes: build the
``MelGANGenerator`` with the MB-MelGAN v2 settings, load a checkpoint in the
package's layout, remove weight norm, and run PQMF synthesis on the four
bands. The checkpoint path comes from ``PT2R_MB_MELGAN_CHECKPOINT``; make one
with random weights (the package's layout, a fixed seed) by

    python -m pt2r.examples.mb_melgan CHECKPOINT.pkl [--small]

Only the record phase reads the checkpoint (replay takes what ``torch.load``
returned from the trace). Spec: ``pt2r.examples.mb_melgan:model_func``.
"""

from __future__ import annotations

import os
import sys
import typing

import numpy as np

#: MB-MelGAN v2 (parallel_wavegan/egs/*/voc1/conf/multi_band_melgan.v2.yaml)
GENERATOR_PARAMS = dict(in_channels=80, out_channels=4, kernel_size=7, channels=384, upsample_scales=[5, 5, 2],
                        stack_kernel_size=3, stacks=4, use_weight_norm=True, use_causal_conv=False)
#: the same structure at a smaller width, for the archived regression trace (traces/)
SMALL_PARAMS = {**GENERATOR_PARAMS, "channels": 64}
SUBBANDS = 4
HOP_LENGTH = 5 * 5 * 2 * SUBBANDS
CHECKPOINT_ENV = "PT2R_MB_MELGAN_CHECKPOINT"

INPUT_SPEC = {"shape": (80, None), "batch_dim_axis": 0, "time_dim_axis": 2, "feature_dim_axis": 1,
              "dtype": "float32"}


def provide_scipy_kaiser() -> None:
    """``parallel_wavegan.layers.pqmf`` imports ``scipy.signal.kaiser``, which SciPy 1.13 moved to
    ``scipy.signal.windows`` only. Putting the name back lets the package load unmodified with a
    SciPy that works with the NumPy TensorFlow needs."""
    import scipy.signal
    import scipy.signal.windows
    if not hasattr(scipy.signal, "kaiser"):
        scipy.signal.kaiser = scipy.signal.windows.kaiser


def example_inputs(num_frames: int = 80, seed: int = 0) -> np.ndarray:
    """Mel-like features (1, 80, T): smooth in time and frequency, roughly normalised."""
    noise = np.random.RandomState(seed).randn(1, 80, num_frames + 4)
    smooth = (noise[..., :-4] + noise[..., 1:-3] + noise[..., 2:-2] + noise[..., 3:-1] + noise[..., 4:]) / 5
    return smooth.astype("float32")


def model_func(wrapped_import, inputs, params=None):
    provide_scipy_kaiser()
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
        from parallel_wavegan import models as pwg_models
        from parallel_wavegan.layers import PQMF
    else:
        torch = wrapped_import("torch")
        pwg_models = wrapped_import("parallel_wavegan.models")
        PQMF = wrapped_import("parallel_wavegan.layers").PQMF
    generator = pwg_models.MelGANGenerator(**(params or GENERATOR_PARAMS))
    checkpoint = os.environ.get(CHECKPOINT_ENV, "mb_melgan_checkpoint.pkl")
    generator.load_state_dict(torch.load(checkpoint, map_location="cpu")["model"]["generator"])
    generator.remove_weight_norm()
    bands = generator.eval()(inputs)
    return PQMF(SUBBANDS).synthesis(bands)


def model_func_small(wrapped_import, inputs):
    """The MB-MelGAN at width 64 (checkpoint made with ``make_checkpoint(path, small=True)``)."""
    return model_func(wrapped_import, inputs, SMALL_PARAMS)


def make_checkpoint(path: str, seed: int = 0, small: bool = False) -> None:
    """A checkpoint in the package's layout with random weights (needs torch)."""
    provide_scipy_kaiser()
    import torch
    from parallel_wavegan.models import MelGANGenerator
    torch.manual_seed(seed)
    generator = MelGANGenerator(**(SMALL_PARAMS if small else GENERATOR_PARAMS))
    torch.save({"model": {"generator": generator.state_dict()}, "steps": 0}, path)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or sys.argv[2:] not in ([], ["--small"]):
        sys.exit("usage: python -m pt2r.examples.mb_melgan CHECKPOINT.pkl [--small]")
    make_checkpoint(sys.argv[1], small=sys.argv[2:] == ["--small"])
