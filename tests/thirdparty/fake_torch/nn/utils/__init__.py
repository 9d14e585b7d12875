"""fake_torch.nn.utils (loaded on demand, not by fake_torch.nn)."""

IS_FAKE = True


def weight_norm(module, name="weight", dim=0):
    module.weight_normed = True
    return module


def remove_weight_norm(module, name="weight"):
    module.weight_normed = False
    return module
