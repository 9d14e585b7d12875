"""The bundled example job: a multi-band MelGAN vocoder, mel frames -> waveform.

Use it as ``pt2r.examples.vocoder:model_func``. The model code lives in
``pt2r.examples.melgan`` and is written like third-party PyTorch code; this
module only builds and runs it, the way a user's model function would. Torch
is imported only inside ``model_func`` (the replay machine has no torch).
"""

import typing

import numpy

# Mel features (batch, 80, time), as the generator consumes them.
INPUT_SPEC = {"shape": (80, None), "batch_dim_axis": 0, "time_dim_axis": 2, "feature_dim_axis": 1, "dtype": "float32"}

# Small, but with the full structure: even and odd upsampling scales (so
# ConvTranspose1d both with and without output_padding), 3 dilations per stack.
GENERATOR_PARAMS = dict(
    in_channels=80,
    out_channels=4,
    kernel_size=7,
    channels=128,
    upsample_scales=(2, 5, 5),
    stack_kernel_size=3,
    stacks=3,
    use_weight_norm=True,
)
SUBBANDS = 4
HOP_LENGTH = 2 * 5 * 5 * SUBBANDS  # output samples per input frame


def example_inputs(num_frames: int = 50, seed: int = 42) -> numpy.ndarray:
    """Normalised log-mel-like features (1, 80, num_frames), float32, from a fixed RNG.

    Zero-mean, unit-variance noise smoothed over time and frequency, so that
    neighbouring frames and bins correlate like real (normalised) mel features.
    """
    rng = numpy.random.RandomState(seed)
    x = rng.randn(1, 80, num_frames + 2)
    x = (x[:, :, :-2] + x[:, :, 1:-1] + x[:, :, 2:]) / numpy.sqrt(3.0)
    x[:, 1:] = (x[:, 1:] + x[:, :-1]) / numpy.sqrt(2.0)
    return x.astype(numpy.float32)


def model_func(wrapped_import, inputs):
    """Build the generator (seeded init), fold weight norm, run it, merge the 4 subbands.

    ``inputs``: (1, 80, T) mel features; returns the waveform (1, 1, T * HOP_LENGTH).
    """
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch  # noqa: F401  (kept parallel to the wrapped branch)
        from pt2r.examples.melgan import generator as melgan_generator, pqmf as melgan_pqmf
    else:
        torch = wrapped_import("torch")  # noqa: F841
        melgan_generator = wrapped_import("pt2r.examples.melgan.generator")
        melgan_pqmf = wrapped_import("pt2r.examples.melgan.pqmf")
    generator = melgan_generator.MelGANGenerator(**GENERATOR_PARAMS)
    generator.remove_weight_norm()
    pqmf = melgan_pqmf.PQMF(SUBBANDS)
    subbands = generator.eval()(inputs)
    return pqmf.synthesis(subbands)
