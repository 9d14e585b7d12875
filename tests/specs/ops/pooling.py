"""Op test models for pooling and resampling: max/avg pools, adaptive pools, interpolate / Upsample.

Each function is a tiny model ``f(wrapped_import, x)``. Input (batch, 6 channels, time), time
dynamic, unless the name ends in ``_2d``: (batch, 3 channels, 7 features, time), features static;
``time_major`` takes (time, batch, 5).
"""

from opcases import TIME_MAJOR, Inputs, case, refused, torch_of

#: (batch, 6 channels, time), time dynamic; lengths: the short one's windows near its end read padding frames
BCT = Inputs("channels_first", (2, 6, 12), {"shape": [6, None], "batch_dim_axis": 0, "feature_dim_axis": 1,
                                            "time_dim_axis": 2, "dtype": "float32"}, lengths=[12, 7])
#: (batch, 3 channels, 7 features, time): features static, time dynamic
IMAGE = Inputs("image", (2, 3, 7, 9), {"shape": [3, 7, None], "batch_dim_axis": 0, "feature_dim_axis": 1,
                                       "time_dim_axis": 3, "dtype": "float32"}, lengths={3: [9, 5]})
TM = Inputs("time_major", (9, 2, 5), TIME_MAJOR, lengths=[9, 4])


def _nn(w):
    return torch_of(w).nn


def _f(w):
    return torch_of(w).nn.functional


# -- max / avg pools over time -------------------------------------------------------


@case(["torch.nn.MaxPool1d"], on=(BCT, BCT.lens))
def max_pool(w, x):
    return _nn(w).MaxPool1d(3)(x)


@case(["torch.max_pool1d", "torch.nn.MaxPool1d"], on=(BCT, BCT.lens))
def max_pool_strided_padded(w, x):
    return _nn(w).MaxPool1d(4, stride=2, padding=2)(x) + torch_of(w).max_pool1d(x * 2.0, 4, 2, 2)


@case(["torch.nn.MaxPool1d"], on=(BCT, BCT.lens), other_lengths=[[17, 9, 17]])
def max_pool_ceil(w, x):
    return _nn(w).MaxPool1d(3, stride=2, padding=1, ceil_mode=True)(x)


@case(["torch.nn.MaxPool1d"], on=(BCT, BCT.lens))
def max_pool_ceil_no_padding(w, x):  # the last window runs past the end for odd lengths
    return _nn(w).MaxPool1d(2, ceil_mode=True)(x)


@case(["torch.nn.MaxPool1d"], on=(BCT, BCT.lens))
def max_pool_dilated(w, x):
    return _nn(w).MaxPool1d(3, stride=2, padding=1, dilation=2)(x)


@case(["torch.adaptive_avg_pool1d"], on=(BCT, BCT.lens))
def adaptive_pool_alias(w, x):
    """``torch.adaptive_avg_pool1d`` is ``F.adaptive_avg_pool1d``: recorded under the functional's name."""
    return torch_of(w).adaptive_avg_pool1d(x, 1) * 2


@case(["torch.nn.AvgPool1d", "torch.nn.functional.avg_pool1d", "torch.avg_pool1d"], on=(BCT, BCT.lens))
def avg_pool(w, x):
    torch = torch_of(w)
    return _nn(w).AvgPool1d(3, stride=2)(x) + _f(w).avg_pool1d(x * 2.0, 3, 2) + torch.avg_pool1d(x, 3, 2)


@case(["torch.nn.AvgPool1d", "torch.nn.functional.avg_pool1d"], on=(BCT, BCT.lens))
def avg_pool_padded(w, x):
    return _nn(w).AvgPool1d(4, 2, padding=2)(x) + _f(w).avg_pool1d(x * 2.0, 4, 2, 2, count_include_pad=False)


@case(["torch.nn.AvgPool1d", "torch.nn.functional.avg_pool1d"], on=(BCT, BCT.lens), other_lengths=[[17, 9, 17]])
def avg_pool_ceil(w, x):
    return _nn(w).AvgPool1d(3, 2, padding=1, ceil_mode=True)(x) + _f(w).avg_pool1d(x * 2.0, 3, 2, 1, True, False)


@case(["torch.nn.AvgPool1d"], on=(BCT, BCT.lens))
def avg_pool_ceil_no_padding(w, x):
    return _nn(w).AvgPool1d(2, ceil_mode=True)(x)


@case([
    "torch.nn.functional.adaptive_max_pool1d",
    "torch.nn.functional.adaptive_max_pool2d",
    "torch.nn.functional.max_pool1d",
    "torch.nn.functional.max_pool2d",
], on=(BCT.lens,))
def functional_max_pools(w, x):  # torch's F.max_pool1d etc. are boolean_dispatch wrappers
    f = _f(w)
    y = f.max_pool1d(x, 3, 2, 1) + f.adaptive_max_pool1d(x, 1)
    z = x[:, :, None]
    return y + f.max_pool2d(z, (1, 3), 2, (0, 1))[:, :, 0] + f.adaptive_max_pool2d(z, 1)[:, :, 0]


# -- adaptive pools --------------------------------------------------------------------


@case([
    "torch.nn.AdaptiveAvgPool1d",
    "torch.nn.AdaptiveMaxPool1d",
    "torch.nn.functional.adaptive_avg_pool1d",
], on=(BCT, BCT.lens))
def adaptive_pool_time(w, x):  # over the whole padded time axis
    nn, f = _nn(w), _f(w)
    return nn.AdaptiveAvgPool1d(1)(x) + f.adaptive_avg_pool1d(x * 2.0, 1) + nn.AdaptiveMaxPool1d(1)(x)


@case([
    "torch.nn.AdaptiveAvgPool1d",
    "torch.nn.AdaptiveMaxPool1d",
    "torch.nn.functional.adaptive_avg_pool1d",
], on=(BCT, BCT.lens))
def adaptive_pool_static(w, x):  # over the 6 channels: windows of different sizes
    y = x.transpose(1, 2)
    nn, f = _nn(w), _f(w)
    return nn.AdaptiveAvgPool1d(4)(y) + f.adaptive_avg_pool1d(y * 2.0, 4) + nn.AdaptiveMaxPool1d(4)(y)


# -- interpolate -----------------------------------------------------------------------


@case(["torch.nn.Upsample", "torch.nn.functional.interpolate"], on=(BCT, BCT.lens))
def upsample_nearest(w, x):
    f = _f(w)
    return (f.interpolate(x, scale_factor=2) + _nn(w).Upsample(scale_factor=2.0)(x)
            + f.interpolate(x, scale_factor=2, mode="nearest-exact") + f.interpolate(x, size=x.shape[-1] * 2))


@case(["torch.nn.functional.interpolate"], on=(BCT, BCT.lens), other_lengths=[[17, 9, 17]])
def upsample_nearest_by_3(w, x):
    f = _f(w)
    return f.interpolate(x, scale_factor=3) + f.interpolate(x, scale_factor=3, mode="nearest-exact")


@case(["torch.nn.Upsample", "torch.nn.functional.interpolate"], on=(BCT, BCT.lens), other_lengths=[[17, 9, 17]])
def upsample_linear(w, x):
    f = _f(w)
    return (f.interpolate(x, scale_factor=2, mode="linear") + f.interpolate(x, scale_factor=2, mode="linear",
                                                                              align_corners=True)
            + _nn(w).Upsample(scale_factor=2, mode="linear", align_corners=False)(x))


@case(["torch.nn.functional.interpolate"], on=(BCT, BCT.lens))
def upsample_linear_by_3(w, x):
    f = _f(w)
    return (f.interpolate(x, scale_factor=3, mode="linear") + f.interpolate(x, scale_factor=3, mode="linear",
                                                                              align_corners=True)
            + f.interpolate(x, scale_factor=3, mode="linear", recompute_scale_factor=True))


@case(["torch.nn.functional.interpolate"], on=(BCT, BCT.lens), other_lengths=[[17, 9, 17]])
def upsample_linear_size_from_shape(w, x):
    return _f(w).interpolate(x, size=x.shape[2] * 2, mode="linear")


@case(["torch.nn.functional.interpolate"], on=(BCT, BCT.lens))
def interpolate_static(w, x):  # along the 6 channels, to other sizes
    y = x.transpose(1, 2)
    f = _f(w)
    return [f.interpolate(y, size=9, mode="linear"), f.interpolate(y, size=10, mode="linear", align_corners=True),
            f.interpolate(y, scale_factor=1.5), f.interpolate(y, size=4, mode="nearest-exact"),
            f.interpolate(y, size=4), f.interpolate(y, scale_factor=0.5, mode="linear"),
            f.interpolate(y, size=3, mode="area")]


# -- 2-d: (batch, 3, 7 static, time) -----------------------------------------------------


@case([
    "torch.max_pool2d",
    "torch.nn.AvgPool2d",
    "torch.nn.MaxPool2d",
    "torch.nn.functional.avg_pool2d",
], on=(IMAGE.lens,))
def pools_2d(w, x):
    nn, f, torch = _nn(w), _f(w), torch_of(w)
    return [nn.MaxPool2d((2, 3), stride=(2, 1), padding=(1, 1))(x), torch.max_pool2d(x, 2),
            nn.MaxPool2d(3, 2, padding=1, dilation=(2, 1), ceil_mode=True)(x), nn.MaxPool2d((2, 3), dilation=(1, 2))(x),
            nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)(x),
            f.avg_pool2d(x, (3, 2), padding=1), nn.AvgPool2d(2, divisor_override=3)(x)]


@case([
    "torch.nn.AdaptiveAvgPool2d",
    "torch.nn.AdaptiveMaxPool2d",
    "torch.nn.functional.adaptive_avg_pool2d",
], on=(IMAGE.lens,))
def adaptive_pools_2d(w, x):
    nn, f = _nn(w), _f(w)
    return [nn.AdaptiveAvgPool2d((3, 1))(x), nn.AdaptiveMaxPool2d((None, 1))(x), f.adaptive_avg_pool2d(x, (4, None)),
            f.adaptive_avg_pool2d(x, 1)]


@case([
    "torch.nn.UpsamplingBilinear2d",
    "torch.nn.UpsamplingNearest2d",
    "torch.nn.functional.interpolate",
], on=(IMAGE.lens,))
def interpolate_2d(w, x):
    nn, f = _nn(w), _f(w)
    return [f.interpolate(x, scale_factor=2, mode="bilinear"), f.interpolate(x, scale_factor=(1.5, 3)),
            f.interpolate(x, scale_factor=(0.5, 2), mode="bilinear", align_corners=True),
            nn.UpsamplingNearest2d(scale_factor=2)(x), nn.UpsamplingBilinear2d(scale_factor=(2, 3))(x),
            f.interpolate(x, size=(3, x.shape[3]), mode="area")]


# -- time-major: (time, batch, 5) ---------------------------------------------------------


@case([
    "torch.nn.AdaptiveMaxPool1d",
    "torch.nn.MaxPool1d",
    "torch.nn.Upsample",
    "torch.nn.functional.avg_pool1d",
    "torch.nn.functional.interpolate",
], on=(TM.lens,))
def time_major(w, x):
    y = x.permute(1, 2, 0)
    nn, f = _nn(w), _f(w)
    return [nn.MaxPool1d(3, 2, padding=1, ceil_mode=True)(y), f.avg_pool1d(y, 2), nn.AdaptiveMaxPool1d(1)(y),
            f.interpolate(y, scale_factor=2, mode="linear"), nn.Upsample(scale_factor=3)(y)]


# -- refused ---------------------------------------------------------------------------


@refused("interpolate to size 24 along the dynamic axis .* is not supported", on=BCT)
def interpolate_to_recorded_size(w, x):
    return _f(w).interpolate(x, size=24)


@refused("interpolate by scale_factor 1.5 along the dynamic axis .* is not supported", on=BCT)
def interpolate_fractional(w, x):
    return _f(w).interpolate(x, scale_factor=1.5)


@refused("adaptive_avg_pool1d to size 4 along the dynamic axis .* is not supported", on=BCT)
def adaptive_to_size_4(w, x):
    return _nn(w).AdaptiveAvgPool1d(4)(x)


@refused("max_pool1d with return_indices=True is not supported", on=BCT)
def max_pool_indices(w, x):
    return _nn(w).MaxPool1d(2, return_indices=True)(x)[0]


@refused("interpolate with mode='bicubic' on 4-d input is not supported", on=BCT)
def interpolate_bicubic(w, x):
    return _f(w).interpolate(x[:, :, None], scale_factor=2, mode="bicubic")


@refused("interpolate with antialias=True is not supported", on=BCT)
def interpolate_antialias(w, x):
    return _f(w).interpolate(x[:, :, None], scale_factor=2, mode="bilinear", antialias=True)


@case([
    "torch.nn.functional.upsample",
    "torch.nn.functional.upsample_bilinear",
    "torch.nn.functional.upsample_nearest",
], on=(BCT, BCT.lens))
def deprecated_upsample(w, x):  # F.upsample* call interpolate from torch: recorded under their own names
    f = _f(w)
    return [f.upsample(x, scale_factor=2, mode="linear"), f.upsample_nearest(x, scale_factor=3),
            f.upsample_bilinear(x[:, :, None], scale_factor=(1, 2))[:, :, 0]]
