"""Op test models for conv edge cases: a zero pad right before a conv, polyphase transposed convs,
reflect pads (pt2r/torch/ops/conv.py, padding.py)."""


def _torch(w):
    if w:
        return w("torch")
    import torch
    return torch


def zero_pad_conv(w, x):
    t = _torch(w)
    y = t.nn.functional.pad(x, (3, 2))
    return t.nn.Conv1d(5, 4, 3, stride=2, padding=1, dilation=2)(y)


def zero_pad_conv_same(w, x):
    t = _torch(w)
    y = t.nn.functional.pad(x, (1, 2))
    return t.nn.Conv1d(5, 4, 4, padding="same", dilation=3)(y)


def value_pad_conv(w, x):
    t = _torch(w)
    y = t.nn.functional.pad(x, (1, 2), value=0.5)
    return t.nn.Conv1d(5, 4, 3)(y)


def pad_used_twice(w, x):
    t = _torch(w)
    y = t.nn.functional.pad(x, (1, 2))
    return t.nn.Conv1d(5, 4, 3)(y) + y[:, :4, 2:]


def conv_transpose_twice(w, x):
    t = _torch(w)
    m = t.nn.ConvTranspose1d(5, 5, 4, stride=2, padding=1)
    return m(t.nn.functional.leaky_relu(m(x)))


def conv_transpose_variants(w, x):
    t = _torch(w)
    a = t.nn.ConvTranspose1d(5, 3, 3, stride=3)(x)          # k = s: m = 1
    b = t.nn.ConvTranspose1d(5, 3, 3, stride=1, padding=1)(x)  # stride 1
    c = t.nn.ConvTranspose1d(5, 3, 5, stride=2, padding=1)(x)  # k % s != 0: RETURNN's layer
    d = t.nn.ConvTranspose1d(5, 3, 4, stride=2, padding=0, output_padding=1)(x)  # output_padding > padding
    e = t.nn.ConvTranspose1d(5, 3, 6, stride=2, padding=2, output_padding=1, bias=False)(x)
    return a.sum(2) + b.sum(2) + c.sum(2) + d.sum(2) + e.sum(2)


def conv_transpose_functional(w, x):
    t = _torch(w)
    weight = t.nn.Parameter(t.randn(5, 3, 4))
    return t.nn.functional.conv_transpose1d(x, weight, stride=2, padding=1)


def reflect_asym(w, x):
    t = _torch(w)
    return t.nn.functional.pad(x, (2, 3), mode="reflect") * 2


def reflect_conv_chain(w, x):
    t = _torch(w)
    y = t.nn.ReflectionPad1d(3)(x)
    y = t.nn.Conv1d(5, 6, 7)(y)
    y = t.nn.ConvTranspose1d(6, 4, 10, stride=5, padding=3, output_padding=1)(t.nn.functional.leaky_relu(y, 0.2))
    y = t.nn.ReflectionPad1d(2)(y)
    return t.nn.Conv1d(4, 4, 3, dilation=2)(y)


def conv2d_zero_pad(w, x):  # x: (batch, 3, h, time)
    t = _torch(w)
    y = t.nn.functional.pad(x, (1, 2, 3, 0))
    return t.nn.Conv2d(3, 4, 3, dilation=(1, 2))(y)


def conv2d_reflect_pad(w, x):
    t = _torch(w)
    return t.nn.functional.pad(x, (1, 2, 2, 1), mode="reflect")


def time_major_chain(w, x):  # x: (time, batch, 5)
    t = _torch(w)
    y = x.permute(1, 2, 0)
    y = t.nn.ReflectionPad1d(2)(y)
    y = t.nn.Conv1d(5, 6, 3, dilation=2)(y)
    y = t.nn.ConvTranspose1d(6, 4, 4, stride=2, padding=1)(y)
    return t.nn.Conv1d(4, 3, 1)(t.nn.functional.pad(y, (1, 1)))
