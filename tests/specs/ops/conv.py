"""Op test models for convolutions (pt2r/torch/ops/conv.py): 1-d and 2-d, transposed, grouped,
weight-normed, after a zero pad; polyphase transposed convs.

Each function is a tiny model ``f(wrapped_import, x)``; its ``@case`` says the inputs it takes.
"""

from opcases import TIME_MAJOR, Inputs, case, torch_of


def _nn(w):
    return torch_of(w).nn


def _f(w):
    return torch_of(w).nn.functional


#: (batch, 5 channels, time), time dynamic
CHANNELS_FIRST = Inputs("channels_first", (2, 5, 11), {"shape": [5, None], "batch_dim_axis": 0, "time_dim_axis": 2,
                                                       "feature_dim_axis": 1, "dtype": "float32"}, lengths=[11, 6])
#: the same array with pt2r's default description
DEFAULT = Inputs("default", (2, 5, 11))
#: (batch, 3 channels, height, width), height and width dynamic: the default description of a 4-d input
IMAGE = Inputs("image", (2, 3, 7, 9), lengths={2: [7, 4], 3: [9, 6]})
#: the same with 6 channels and 9 frames
CHANNELS_FIRST_6 = Inputs("channels_first", (2, 6, 9), {"shape": [6, None], "batch_dim_axis": 0, "time_dim_axis": 2,
                                                        "feature_dim_axis": 1, "dtype": "float32"})
IMAGE_4_CHANNELS = Inputs("image_4_channels", (2, 4, 7, 9))
#: another RETURNN layout of the same torch image: width is RETURNN's time axis
WIDTH_AS_TIME = Inputs("width_as_time", (2, 3, 7, 9), {"shape": [3, None, None], "time_dim_axis": 3,
                                                       "feature_dim_axis": 1}, lengths={3: [9, 5]})
#: height static, width dynamic
STATIC_HEIGHT = Inputs("static_height", (2, 3, 7, 9), {"shape": [3, 7, None], "time_dim_axis": 3, "feature_dim_axis": 1},
                       lengths={3: [9, 5]})
#: (height, batch, 3, width), height RETURNN's time axis
IMAGE_TIME_MAJOR = Inputs("time_major", (7, 2, 3, 9), {"shape": [None, 3, None], "batch_dim_axis": 1,
                                                       "time_dim_axis": 0, "feature_dim_axis": 2, "dtype": "float32"},
                          lengths={0: [7, 5]})
#: (time, batch, 5)
TIME_MAJOR_9 = Inputs("time_major", (9, 2, 5), TIME_MAJOR)


@case(["torch.nn.Conv1d"], on=(DEFAULT,))
def conv1d(w, x):
    return _nn(w).Conv1d(5, 4, 3)(x)


@case(["torch.nn.Conv1d"], on=(DEFAULT, CHANNELS_FIRST.lens))
def conv1d_strided_padded_dilated(w, x):
    return _nn(w).Conv1d(5, 6, 3, stride=2, padding=2, dilation=2)(x)


@case(["torch.nn.Conv1d"], on=(DEFAULT,))
def conv1d_same_no_bias(w, x):
    return _nn(w).Conv1d(5, 4, 5, padding="same", bias=False)(x)


@case(["torch.nn.Conv1d"], on=(DEFAULT,))
def conv1d_groups(w, x):
    return _nn(w).Conv1d(5, 10, 3, groups=5)(x)


@case(["torch.nn.functional.conv1d"], on=(DEFAULT,))
def conv1d_functional(w, x):
    torch = torch_of(w)
    weight = torch.nn.Parameter(torch.randn(3, 5, 2))
    return torch.nn.functional.conv1d(x, weight, stride=1)


@case(["torch.nn.ConvTranspose1d"], on=(DEFAULT,))
def conv_transpose1d(w, x):
    return _nn(w).ConvTranspose1d(5, 3, 4, stride=2, padding=1)(x)


@case(["torch.nn.ConvTranspose1d"], on=(DEFAULT,))
def conv_transpose1d_output_padding(w, x):
    return _nn(w).ConvTranspose1d(5, 3, 10, stride=5, padding=3, output_padding=1)(x)


@case(["torch.nn.Conv1d"], on=(DEFAULT,))
def weight_norm_conv(w, x):
    nn = _nn(w)
    return nn.utils.weight_norm(nn.Conv1d(5, 4, 3))(x)


@case(["torch.nn.Conv1d"], on=(DEFAULT,))
def weight_norm_removed(w, x):
    nn = _nn(w)
    conv = nn.utils.weight_norm(nn.Conv1d(5, 4, 3))
    nn.utils.remove_weight_norm(conv)
    return conv(x)


@case(["torch.nn.Conv1d"], on=(CHANNELS_FIRST, CHANNELS_FIRST.lens))
def zero_pad_conv(w, x):
    t = torch_of(w)
    y = t.nn.functional.pad(x, (3, 2))
    return t.nn.Conv1d(5, 4, 3, stride=2, padding=1, dilation=2)(y)


@case(["torch.nn.Conv1d"], on=(CHANNELS_FIRST, CHANNELS_FIRST.lens))
def zero_pad_conv_same(w, x):
    t = torch_of(w)
    y = t.nn.functional.pad(x, (1, 2))
    return t.nn.Conv1d(5, 4, 4, padding="same", dilation=3)(y)


@case(["torch.nn.Conv1d"], on=(CHANNELS_FIRST, CHANNELS_FIRST.lens))
def value_pad_conv(w, x):
    t = torch_of(w)
    y = t.nn.functional.pad(x, (1, 2), value=0.5)
    return t.nn.Conv1d(5, 4, 3)(y)


@case(["torch.nn.Conv1d"], on=(CHANNELS_FIRST, CHANNELS_FIRST.lens))
def pad_used_twice(w, x):
    t = torch_of(w)
    y = t.nn.functional.pad(x, (1, 2))
    return t.nn.Conv1d(5, 4, 3)(y) + y[:, :4, 2:]


@case(["torch.nn.ConvTranspose1d"], on=(CHANNELS_FIRST, CHANNELS_FIRST.lens))
def conv_transpose_twice(w, x):
    t = torch_of(w)
    m = t.nn.ConvTranspose1d(5, 5, 4, stride=2, padding=1)
    return m(t.nn.functional.leaky_relu(m(x)))


@case(["torch.nn.ConvTranspose1d"], on=(CHANNELS_FIRST, CHANNELS_FIRST.lens))
def conv_transpose_variants(w, x):
    t = torch_of(w)
    a = t.nn.ConvTranspose1d(5, 3, 3, stride=3)(x)          # k = s: m = 1
    b = t.nn.ConvTranspose1d(5, 3, 3, stride=1, padding=1)(x)  # stride 1
    c = t.nn.ConvTranspose1d(5, 3, 5, stride=2, padding=1)(x)  # k % s != 0: RETURNN's layer
    d = t.nn.ConvTranspose1d(5, 3, 4, stride=2, padding=0, output_padding=1)(x)  # output_padding > padding
    e = t.nn.ConvTranspose1d(5, 3, 6, stride=2, padding=2, output_padding=1, bias=False)(x)
    return a.sum(2) + b.sum(2) + c.sum(2) + d.sum(2) + e.sum(2)


@case(["torch.nn.functional.conv_transpose1d"], on=(CHANNELS_FIRST, CHANNELS_FIRST.lens))
def conv_transpose_functional(w, x):
    t = torch_of(w)
    weight = t.nn.Parameter(t.randn(5, 3, 4))
    return t.nn.functional.conv_transpose1d(x, weight, stride=2, padding=1)


@case(["torch.nn.Conv1d", "torch.nn.ConvTranspose1d"], on=(CHANNELS_FIRST, CHANNELS_FIRST.lens))
def reflect_conv_chain(w, x):
    t = torch_of(w)
    y = t.nn.ReflectionPad1d(3)(x)
    y = t.nn.Conv1d(5, 6, 7)(y)
    y = t.nn.ConvTranspose1d(6, 4, 10, stride=5, padding=3, output_padding=1)(t.nn.functional.leaky_relu(y, 0.2))
    y = t.nn.ReflectionPad1d(2)(y)
    return t.nn.Conv1d(4, 4, 3, dilation=2)(y)


@case(["torch.nn.Conv2d"], on=(IMAGE,))
def conv2d_zero_pad(w, x):  # x: (batch, 3, h, time)
    t = torch_of(w)
    y = t.nn.functional.pad(x, (1, 2, 3, 0))
    return t.nn.Conv2d(3, 4, 3, dilation=(1, 2))(y)


@case(["torch.nn.Conv1d", "torch.nn.ConvTranspose1d"], on=(TIME_MAJOR_9,))
def time_major_chain(w, x):  # x: (time, batch, 5)
    t = torch_of(w)
    y = x.permute(1, 2, 0)
    y = t.nn.ReflectionPad1d(2)(y)
    y = t.nn.Conv1d(5, 6, 3, dilation=2)(y)
    y = t.nn.ConvTranspose1d(6, 4, 4, stride=2, padding=1)(y)
    return t.nn.Conv1d(4, 3, 1)(t.nn.functional.pad(y, (1, 1)))


@case(["torch.nn.Conv2d"], on=(IMAGE,))
def conv2d(w, x):
    return _nn(w).Conv2d(3, 4, 3)(x)


@case(["torch.nn.Conv2d"], on=(IMAGE, IMAGE.lens, WIDTH_AS_TIME.lens, STATIC_HEIGHT.lens))
def conv2d_strided_padded_dilated(w, x):
    return _nn(w).Conv2d(3, 5, (3, 2), stride=(2, 1), padding=(2, 1), dilation=(1, 2))(x)


@case(["torch.nn.Conv2d"], on=(IMAGE,))
def conv2d_stride_and_dilation(w, x):
    return _nn(w).Conv2d(3, 4, 3, stride=2, padding=1, dilation=2)(x)


@case(["torch.nn.Conv2d"], on=(IMAGE, IMAGE.lens))
def conv2d_same_no_bias(w, x):
    return _nn(w).Conv2d(3, 4, (3, 4), padding="same", dilation=(2, 1), bias=False)(x)


@case(["torch.nn.Conv2d"], on=(IMAGE,))
def conv2d_valid(w, x):
    return _nn(w).Conv2d(3, 2, 2, padding="valid")(x)


@case(["torch.nn.Conv2d"], on=(IMAGE,))
def conv2d_depthwise(w, x):
    return _nn(w).Conv2d(3, 6, 3, groups=3, padding=1)(x)


@case(["torch.nn.Conv2d"], on=(IMAGE,))
def conv2d_depthwise_strided_dilated(w, x):
    return _nn(w).Conv2d(3, 3, 3, groups=3, stride=2, dilation=2)(x)


@case(["torch.nn.Conv2d"], on=(IMAGE_4_CHANNELS,))
def conv2d_groups(w, x):  # x: (batch, 4, h, w)
    return _nn(w).Conv2d(4, 6, 3, groups=2)(x)


@case(["torch.nn.Conv2d"], on=(IMAGE, STATIC_HEIGHT.lens))
def conv2d_depthwise_dilated_same(w, x):  # grouped, dilated, size-keeping: the output's axes are the input's
    return _nn(w).Conv2d(3, 6, 3, groups=3, dilation=(2, 1), padding=(2, 1))(x)


@case(["torch.nn.Conv2d"], on=(IMAGE,))
def conv2d_reflect(w, x):
    return _nn(w).Conv2d(3, 4, 3, padding=1, padding_mode="reflect")(x)


@case(["torch.nn.functional.conv2d", "torch.conv2d"], on=(IMAGE,))
def conv2d_functional(w, x):
    torch = torch_of(w)
    weight = torch.nn.Parameter(torch.randn(4, 3, 2, 3))
    bias = torch.nn.Parameter(torch.randn(4))
    y = torch.nn.functional.conv2d(x, weight, bias, stride=(1, 2), padding=(1, 0))
    return y + torch.conv2d(x, weight, None, (1, 2), (1, 0))


@case(["torch.nn.ConvTranspose2d"], on=(IMAGE,))
def conv_transpose2d(w, x):
    return _nn(w).ConvTranspose2d(3, 2, 4, stride=2, padding=1)(x)


@case(["torch.nn.ConvTranspose2d"], on=(IMAGE, STATIC_HEIGHT.lens))
def conv_transpose2d_output_padding(w, x):
    return _nn(w).ConvTranspose2d(3, 4, (3, 5), stride=(2, 3), padding=(1, 2), output_padding=(1, 2))(x)


@case(["torch.nn.ConvTranspose2d"], on=(IMAGE,))
def conv_transpose2d_no_bias(w, x):
    return _nn(w).ConvTranspose2d(3, 2, (2, 3), bias=False)(x)


@case(["torch.nn.ConvTranspose2d"], on=(IMAGE, IMAGE.lens))
def conv_transpose2d_dilated(w, x):
    return _nn(w).ConvTranspose2d(3, 2, 3, stride=2, dilation=(2, 1), padding=1)(x)


@case(["torch.nn.ConvTranspose2d"], on=(IMAGE,))
def conv_transpose2d_groups(w, x):
    return _nn(w).ConvTranspose2d(3, 6, 3, stride=2, groups=3)(x)


@case(["torch.nn.functional.conv_transpose2d"], on=(IMAGE,))
def conv_transpose2d_functional(w, x):
    torch = torch_of(w)
    weight = torch.nn.Parameter(torch.randn(3, 2, 3, 3))
    return torch.nn.functional.conv_transpose2d(x, weight, stride=2, padding=1, output_padding=1)


@case(["torch.nn.ConvTranspose1d"], on=(CHANNELS_FIRST_6,))
def conv_transpose1d_dilated_groups(w, x):  # x: (batch, 6, time)
    return _nn(w).ConvTranspose1d(6, 4, 3, stride=3, dilation=2, groups=2)(x)


@case(["torch.nn.Conv1d"], on=(CHANNELS_FIRST_6,))
def conv1d_same_even(w, x):  # x: (batch, 6, time)
    return _nn(w).Conv1d(6, 4, 4, padding="same")(x)


@case(["torch.nn.Conv2d"], on=(IMAGE_TIME_MAJOR.lens,))
def conv2d_time_major(w, x):  # x: (height, batch, 3, width), height RETURNN's time axis
    return _nn(w).Conv2d(3, 4, 3, stride=(2, 1), padding=1)(x.permute(1, 2, 0, 3))


@case(["torch.conv1d", "torch.conv_transpose1d"], on=(CHANNELS_FIRST, CHANNELS_FIRST.lens))
def torch_aliases(w, x):
    """``torch.conv1d`` is ``F.conv1d`` (and so on): recorded under the functional's name."""
    torch = torch_of(w)
    weight, transposed = torch.nn.Parameter(torch.randn(4, 5, 3)), torch.nn.Parameter(torch.randn(4, 2, 4))
    return torch.conv_transpose1d(torch.conv1d(x, weight, padding=1), transposed, stride=2, padding=1)


@case(["torch.conv_transpose2d"], on=(IMAGE, IMAGE.lens))
def torch_alias_2d(w, x):
    torch = torch_of(w)
    return torch.conv_transpose2d(x, torch.nn.Parameter(torch.randn(3, 2, 3, 3)), stride=(1, 2))
