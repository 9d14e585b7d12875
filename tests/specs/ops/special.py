"""Op test models for ``torch.special``.

Each function is a tiny model ``f(wrapped_import, x)`` on (batch, time, 6), time dynamic, or
time-major (time, batch, 6) for the ``*_tbc`` ones.
"""

from opcases import BATCH_MAJOR, TIME_MAJOR, Inputs, case, torch_of

#: (batch, time, 6) and (time, batch, 6), time dynamic
BTF = Inputs("batch_major", (2, 9, 6), {**BATCH_MAJOR, "shape": [None, 6]}, lengths=[9, 4])
TBF = Inputs("time_major", (9, 2, 6), {**TIME_MAJOR, "shape": [None, 6]}, lengths=[9, 4])


def _special(w):
    return torch_of(w).special


@case(["torch.special.expit"], on=(BTF,))
def expit(w, x):
    return _special(w).expit(x) * 2


@case(["torch.special.logit"], on=(BTF,))
def logit(w, x):
    """Without eps, and with eps clamping the probabilities below 0.2 or above 0.8."""
    special = _special(w)
    p = x.sigmoid()
    return special.logit(p) + special.logit(p, eps=0.2) * 2 + special.logit(p, 0.3) + special.logit(p, eps=-1.0)


@case(["torch.special.erf", "torch.special.erfc"], on=(BTF,))
def erf_erfc(w, x):
    special = _special(w)
    return special.erf(x) + special.erfc(x) * 2


@case(["torch.special.erfinv"], on=(BTF,))
def erfinv(w, x):
    return _special(w).erfinv(x.tanh() * 0.9) * 2


@case(["torch.special.exp2", "torch.special.expm1", "torch.special.log1p"], on=(BTF,))
def exp2_expm1_log1p(w, x):
    special = _special(w)
    return special.exp2(x) + special.expm1(x) * special.log1p(x.abs())


@case(["torch.special.xlogy"], on=(BTF,))
def xlogy(w, x):
    """Zeros in the first operand, a broadcast second one, Python numbers on either side."""
    special = _special(w)
    return special.xlogy(x.clamp(min=0), x[:, :, :1].abs()) + special.xlogy(2.0, x.abs()) + special.xlogy(x, 3.0)


@case(["torch.special.xlogy"], on=(BTF,))
def xlogy_nan(w, x):
    """NaN where the second operand is NaN, even where the first is 0 (TF's xlogy gives 0 there)."""
    return _special(w).xlogy(x.clamp(min=0), (x - 0.5).sqrt())


@case(["torch.special.sinc"], on=(BTF,))
def sinc(w, x):
    special = _special(w)
    return special.sinc(x) + special.sinc(x.clamp(min=0)) * 2


@case(["torch.special.i0"], on=(BTF,))
def i0(w, x):
    return _special(w).i0(x) * 2


@case(["torch.special.exp2", "torch.special.expit", "torch.special.xlogy"], on=(BTF,))
def integer_input(w, x):
    """Integer inputs give float32 results."""
    special = _special(w)
    n = (x * 3).long()
    return special.expit(n) + special.erf(n) + special.i0(n) + special.exp2(n) + special.xlogy(n, 2)


@case(["torch.special.log_softmax", "torch.special.softmax"], on=(BTF,))
def softmax_feature(w, x):
    special = _special(w)
    return special.softmax(x, -1) + special.log_softmax(x, dim=2)


@case(["torch.special.log_softmax", "torch.special.softmax"], on=(BTF, BTF.lens))
def softmax_time(w, x):
    """Over the dynamic time axis: padding frames included, as torch does."""
    torch = torch_of(w)
    special = _special(w)
    return special.softmax(x, 1) + special.log_softmax(x, 1, dtype=torch.float32)


@case(["torch.special.log_softmax", "torch.special.softmax"], on=(TBF.lens,))
def softmax_time_tbc(w, x):
    special = _special(w)
    return special.softmax(x, 0) * 2 + special.log_softmax(x, dim=0)


@case(["Tensor.exp2", "Tensor.logit", "Tensor.sinc", "Tensor.xlogy", "torch.exp2", "torch.logit", "torch.sinc",
       "torch.xlogy"], on=(BTF,))
def torch_names(w, x):
    """The functions torch.special shares with torch and tensors."""
    torch = torch_of(w)
    p = x.sigmoid()
    return (torch.exp2(x) + x.exp2() + torch.logit(p) + p.logit(0.1) + torch.sinc(x) + x.sinc()
            + torch.xlogy(p, x.abs()) + p.xlogy(2.0))
