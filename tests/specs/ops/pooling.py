"""Op test models for pooling and resampling: max/avg pools, adaptive pools, interpolate / Upsample.

Each function is a tiny model ``f(wrapped_import, x)``. Input (batch, 6 channels, time), time
dynamic, unless the name ends in ``_2d``: (batch, 3 channels, 7 features, time), features static;
``time_major`` takes (time, batch, 5).
"""


def _torch(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


def _nn(w):
    return _torch(w).nn


def _f(w):
    return _torch(w).nn.functional


# -- max / avg pools over time -------------------------------------------------------


def max_pool(w, x):
    return _nn(w).MaxPool1d(3)(x)


def max_pool_strided_padded(w, x):
    return _nn(w).MaxPool1d(4, stride=2, padding=2)(x) + _torch(w).max_pool1d(x * 2.0, 4, 2, 2)


def max_pool_ceil(w, x):
    return _nn(w).MaxPool1d(3, stride=2, padding=1, ceil_mode=True)(x)


def max_pool_ceil_no_padding(w, x):  # the last window runs past the end for odd lengths
    return _nn(w).MaxPool1d(2, ceil_mode=True)(x)


def max_pool_dilated(w, x):
    return _nn(w).MaxPool1d(3, stride=2, padding=1, dilation=2)(x)


def avg_pool(w, x):
    torch = _torch(w)
    return _nn(w).AvgPool1d(3, stride=2)(x) + _f(w).avg_pool1d(x * 2.0, 3, 2) + torch.avg_pool1d(x, 3, 2)


def avg_pool_padded(w, x):
    return _nn(w).AvgPool1d(4, 2, padding=2)(x) + _f(w).avg_pool1d(x * 2.0, 4, 2, 2, count_include_pad=False)


def avg_pool_ceil(w, x):
    return _nn(w).AvgPool1d(3, 2, padding=1, ceil_mode=True)(x) + _f(w).avg_pool1d(x * 2.0, 3, 2, 1, True, False)


def avg_pool_ceil_no_padding(w, x):
    return _nn(w).AvgPool1d(2, ceil_mode=True)(x)


def functional_max_pools(w, x):  # torch's F.max_pool1d etc. are boolean_dispatch wrappers
    f = _f(w)
    y = f.max_pool1d(x, 3, 2, 1) + f.adaptive_max_pool1d(x, 1)
    z = x[:, :, None]
    return y + f.max_pool2d(z, (1, 3), 2, (0, 1))[:, :, 0] + f.adaptive_max_pool2d(z, 1)[:, :, 0]


# -- adaptive pools --------------------------------------------------------------------


def adaptive_pool_time(w, x):  # over the whole padded time axis
    nn, f = _nn(w), _f(w)
    return nn.AdaptiveAvgPool1d(1)(x) + f.adaptive_avg_pool1d(x * 2.0, 1) + nn.AdaptiveMaxPool1d(1)(x)


def adaptive_pool_static(w, x):  # over the 6 channels: windows of different sizes
    y = x.transpose(1, 2)
    nn, f = _nn(w), _f(w)
    return nn.AdaptiveAvgPool1d(4)(y) + f.adaptive_avg_pool1d(y * 2.0, 4) + nn.AdaptiveMaxPool1d(4)(y)


# -- interpolate -----------------------------------------------------------------------


def upsample_nearest(w, x):
    f = _f(w)
    return (f.interpolate(x, scale_factor=2) + _nn(w).Upsample(scale_factor=2.0)(x)
            + f.interpolate(x, scale_factor=2, mode="nearest-exact") + f.interpolate(x, size=x.shape[-1] * 2))


def upsample_nearest_by_3(w, x):
    f = _f(w)
    return f.interpolate(x, scale_factor=3) + f.interpolate(x, scale_factor=3, mode="nearest-exact")


def upsample_linear(w, x):
    f = _f(w)
    return (f.interpolate(x, scale_factor=2, mode="linear") + f.interpolate(x, scale_factor=2, mode="linear",
                                                                              align_corners=True)
            + _nn(w).Upsample(scale_factor=2, mode="linear", align_corners=False)(x))


def upsample_linear_by_3(w, x):
    f = _f(w)
    return (f.interpolate(x, scale_factor=3, mode="linear") + f.interpolate(x, scale_factor=3, mode="linear",
                                                                              align_corners=True)
            + f.interpolate(x, scale_factor=3, mode="linear", recompute_scale_factor=True))


def upsample_linear_size_from_shape(w, x):
    return _f(w).interpolate(x, size=x.shape[2] * 2, mode="linear")


def interpolate_static(w, x):  # along the 6 channels, to other sizes
    y = x.transpose(1, 2)
    f = _f(w)
    return [f.interpolate(y, size=9, mode="linear"), f.interpolate(y, size=10, mode="linear", align_corners=True),
            f.interpolate(y, scale_factor=1.5), f.interpolate(y, size=4, mode="nearest-exact"),
            f.interpolate(y, size=4), f.interpolate(y, scale_factor=0.5, mode="linear"),
            f.interpolate(y, size=3, mode="area")]


# -- 2-d: (batch, 3, 7 static, time) -----------------------------------------------------


def pools_2d(w, x):
    nn, f, torch = _nn(w), _f(w), _torch(w)
    return [nn.MaxPool2d((2, 3), stride=(2, 1), padding=(1, 1))(x), torch.max_pool2d(x, 2),
            nn.MaxPool2d(3, 2, padding=1, dilation=(2, 1), ceil_mode=True)(x), nn.MaxPool2d((2, 3), dilation=(1, 2))(x),
            nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)(x),
            f.avg_pool2d(x, (3, 2), padding=1), nn.AvgPool2d(2, divisor_override=3)(x)]


def adaptive_pools_2d(w, x):
    nn, f = _nn(w), _f(w)
    return [nn.AdaptiveAvgPool2d((3, 1))(x), nn.AdaptiveMaxPool2d((None, 1))(x), f.adaptive_avg_pool2d(x, (4, None)),
            f.adaptive_avg_pool2d(x, 1)]


def interpolate_2d(w, x):
    nn, f = _nn(w), _f(w)
    return [f.interpolate(x, scale_factor=2, mode="bilinear"), f.interpolate(x, scale_factor=(1.5, 3)),
            f.interpolate(x, scale_factor=(0.5, 2), mode="bilinear", align_corners=True),
            nn.UpsamplingNearest2d(scale_factor=2)(x), nn.UpsamplingBilinear2d(scale_factor=(2, 3))(x),
            f.interpolate(x, size=(3, x.shape[3]), mode="area")]


# -- time-major: (time, batch, 5) ---------------------------------------------------------


def time_major(w, x):
    y = x.permute(1, 2, 0)
    nn, f = _nn(w), _f(w)
    return [nn.MaxPool1d(3, 2, padding=1, ceil_mode=True)(y), f.avg_pool1d(y, 2), nn.AdaptiveMaxPool1d(1)(y),
            f.interpolate(y, scale_factor=2, mode="linear"), nn.Upsample(scale_factor=3)(y)]


# -- refused ---------------------------------------------------------------------------


def interpolate_to_recorded_size(w, x):
    return _f(w).interpolate(x, size=24)


def interpolate_fractional(w, x):
    return _f(w).interpolate(x, scale_factor=1.5)


def adaptive_to_size_4(w, x):
    return _nn(w).AdaptiveAvgPool1d(4)(x)


def max_pool_indices(w, x):
    return _nn(w).MaxPool1d(2, return_indices=True)(x)[0]


def interpolate_bicubic(w, x):
    return _f(w).interpolate(x[:, :, None], scale_factor=2, mode="bicubic")


def interpolate_antialias(w, x):
    return _f(w).interpolate(x[:, :, None], scale_factor=2, mode="bilinear", antialias=True)



def deprecated_upsample(w, x):  # F.upsample* call interpolate from torch: recorded under their own names
    f = _f(w)
    return [f.upsample(x, scale_factor=2, mode="linear"), f.upsample_nearest(x, scale_factor=3),
            f.upsample_bilinear(x[:, :, None], scale_factor=(1, 2))[:, :, 0]]
