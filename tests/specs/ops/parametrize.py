"""Op test models for parametrized modules (pt2r/torch/ops/parametrize.py). Each function is a
tiny model ``f(wrapped_import, x)``.
"""

from opcases import BATCH_MAJOR, Inputs, case, torch_of

#: (batch, time, 5), time dynamic
BM = Inputs("batch_major", (2, 9, 5), BATCH_MAJOR, lengths=[9, 5])


@case(["torch.nn.utils.parametrize.ParametrizationList"], on=(BM, BM.lens))
def weight_norm_parametrization(w, x):
    torch = torch_of(w)
    torch.manual_seed(0)
    conv = torch.nn.Conv1d(5, 3, 3, padding=1)
    conv = torch.nn.utils.parametrizations.weight_norm(conv, dim=0)
    linear = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 4), name="weight", dim=1)
    y = conv(x.transpose(1, 2)).transpose(1, 2)
    return linear(y) + conv.weight.sum()  # conv.weight: computed from its parametrization, a recorded call
