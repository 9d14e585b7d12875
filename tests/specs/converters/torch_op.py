"""A torch function pt2r lacks, added by the user."""

import pt2r


@pt2r.converter("torch.special.erfcx")
def erfcx(input):
    from pt2r.converters import eval_layer
    return eval_layer("tf.exp(source(0) ** 2) * tf.math.erfc(source(0))", [input], input.dims, input.dtype)
