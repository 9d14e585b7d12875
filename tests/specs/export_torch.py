"""The bundled example's generator, kept where a test can read its PyTorch parameters
(``MODELS``, filled by each run) to check `pt2r export-torch` against them."""

import typing

from pt2r.examples.vocoder import GENERATOR_PARAMS, INPUT_SPEC, example_inputs  # noqa: F401

MODELS = {}


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        from pt2r.examples.melgan import generator as melgan_generator
    else:
        melgan_generator = wrapped_import("pt2r.examples.melgan.generator")
    generator = melgan_generator.MelGANGenerator(**GENERATOR_PARAMS)
    generator.remove_weight_norm()
    MODELS["generator"] = generator
    return generator.eval()(inputs)
