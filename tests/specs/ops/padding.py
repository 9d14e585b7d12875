"""Op test models for pads (pt2r/torch/ops/padding.py). Each function is a tiny model
``f(wrapped_import, x)``; its ``@case`` says the inputs it takes.
"""

from opcases import Inputs, case, refused, torch_of


def _nn(w):
    return torch_of(w).nn


#: (batch, 5 channels, time), time dynamic
CHANNELS_FIRST = Inputs("channels_first", (2, 5, 11), {"shape": [5, None], "batch_dim_axis": 0, "time_dim_axis": 2,
                                                       "feature_dim_axis": 1, "dtype": "float32"}, lengths=[11, 6])
#: the same array with pt2r's default description
DEFAULT = Inputs("default", (2, 5, 11))
#: (batch, 3 channels, height, width), height and width dynamic: the default description of a 4-d input
IMAGE = Inputs("image", (2, 3, 7, 9), lengths={2: [7, 4], 3: [9, 6]})


@case(["torch.nn.ReflectionPad1d"], on=(DEFAULT,))
def reflection_pad(w, x):
    return _nn(w).ReflectionPad1d((2, 3))(x)


@case(["torch.nn.ReplicationPad1d"], on=(DEFAULT,))
def replication_pad(w, x):
    return _nn(w).ReplicationPad1d(2)(x)


@case(["torch.nn.ConstantPad1d"], on=(DEFAULT,))
def constant_pad(w, x):
    return _nn(w).ConstantPad1d((1, 2), 0.5)(x)


@case(["torch.nn.functional.pad"], on=(DEFAULT,))
def functional_pad(w, x):
    return _nn(w).functional.pad(x, (2, 1), mode="reflect")


@case(["torch.nn.functional.pad"], on=(CHANNELS_FIRST, CHANNELS_FIRST.lens))
def reflect_asym(w, x):
    t = torch_of(w)
    return t.nn.functional.pad(x, (2, 3), mode="reflect") * 2


@case(["torch.nn.functional.pad"], on=(IMAGE,))
def conv2d_reflect_pad(w, x):
    t = torch_of(w)
    return t.nn.functional.pad(x, (1, 2, 2, 1), mode="reflect")


@case(["torch.nn.ConstantPad2d", "torch.nn.ReflectionPad2d", "torch.nn.ReplicationPad2d", "torch.nn.ZeroPad1d",
       "torch.nn.ZeroPad2d"], on=(IMAGE,))
def pad_modules_2d(w, x):
    """The 2-d padding modules (an int pads all four sides, a tuple each), and zero padding in 1-d."""
    nn = _nn(w)
    return (nn.ReflectionPad2d((1, 2, 2, 1))(x), nn.ReplicationPad2d(2)(x), nn.ConstantPad2d((0, 1, 3, 0), -1.0)(x),
            nn.ZeroPad2d(1)(x), nn.ZeroPad1d((2, 0))(x))


@refused("padding by amounts computed in the net", on=CHANNELS_FIRST)
def pad_by_tensor_from_length(w, x):
    """EnCodec pads to whole frames by amounts it computes as tensors from the length."""
    torch = torch_of(w)
    extra = (4 - torch.tensor(x.shape[-1]) % 4) % 4
    return torch.nn.functional.pad(x, (0, extra))


@case(["torch.nn.ZeroPad2d", "torch.nn.functional.pad"], on=(DEFAULT, CHANNELS_FIRST.lens),
      other_lengths=[[13, 8], [5, 5]])
def negative_padding_crops(w, x):
    """Negative amounts crop that side: RWKV's time shift ``ZeroPad2d((0, 0, 1, -1))`` of (batch, time,
    channels), and a crop on one side with a pad on the other."""
    nn = _nn(w)
    shifted = nn.ZeroPad2d((0, 0, 1, -1))(x.transpose(1, 2)).transpose(1, 2)
    return shifted + x, nn.functional.pad(x, (-2, 1), value=0.5), nn.functional.pad(x, (1, 0, -1, -2))
