"""Op test models for ``torch.special``.

Each function is a tiny model ``f(wrapped_import, x)`` on (batch, time, 6), time dynamic, or
time-major (time, batch, 6) for the ``*_tbc`` ones.
"""


def _torch(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


def _special(w):
    return _torch(w).special


def expit(w, x):
    return _special(w).expit(x) * 2


def logit(w, x):
    """Without eps, and with eps clamping the probabilities below 0.2 or above 0.8."""
    special = _special(w)
    p = x.sigmoid()
    return special.logit(p) + special.logit(p, eps=0.2) * 2 + special.logit(p, 0.3) + special.logit(p, eps=-1.0)


def erf_erfc(w, x):
    special = _special(w)
    return special.erf(x) + special.erfc(x) * 2


def erfinv(w, x):
    return _special(w).erfinv(x.tanh() * 0.9) * 2


def exp2_expm1_log1p(w, x):
    special = _special(w)
    return special.exp2(x) + special.expm1(x) * special.log1p(x.abs())


def xlogy(w, x):
    """Zeros in the first operand, a broadcast second one, Python numbers on either side."""
    special = _special(w)
    return special.xlogy(x.clamp(min=0), x[:, :, :1].abs()) + special.xlogy(2.0, x.abs()) + special.xlogy(x, 3.0)


def xlogy_nan(w, x):
    """NaN where the second operand is NaN, even where the first is 0 (TF's xlogy gives 0 there)."""
    return _special(w).xlogy(x.clamp(min=0), (x - 0.5).sqrt())


def sinc(w, x):
    special = _special(w)
    return special.sinc(x) + special.sinc(x.clamp(min=0)) * 2


def i0(w, x):
    return _special(w).i0(x) * 2


def integer_input(w, x):
    """Integer inputs give float32 results."""
    special = _special(w)
    n = (x * 3).long()
    return special.expit(n) + special.erf(n) + special.i0(n) + special.exp2(n) + special.xlogy(n, 2)


def softmax_feature(w, x):
    special = _special(w)
    return special.softmax(x, -1) + special.log_softmax(x, dim=2)


def softmax_time(w, x):
    """Over the dynamic time axis: padding frames included, as torch does."""
    torch = _torch(w)
    special = _special(w)
    return special.softmax(x, 1) + special.log_softmax(x, 1, dtype=torch.float32)


def softmax_time_tbc(w, x):
    special = _special(w)
    return special.softmax(x, 0) * 2 + special.log_softmax(x, dim=0)
