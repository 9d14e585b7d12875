"""Recurrent modules: LSTM, GRU, RNN (tanh, relu), the cells LSTMCell, GRUCell, RNNCell, and packed
sequences (``torch.nn.utils.rnn.pack_padded_sequence`` / ``pad_packed_sequence``).

Each layer and direction of an ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` is a RETURNN ``rec`` layer whose
unit is a subnetwork of native layers computing torch's formulas (`_lstm_unit`, `_gru_unit`,
`_rnn_unit`): the recurrent ``dot`` with ``W_hh`` on ``prev:h``, ``combine`` and ``activation`` layers
for the gates, ``slice`` layers cutting the gates apart. RETURNN's own cells do not fit: its fused
LSTM kernels (NativeLstm2, LSTMBlock) do not build against this TF, ``standardlstm`` keeps its weights
inside the rec layer (not as the net's variables that pt2r maps to torch's names), and TF's GRU cell
applies the reset gate before ``W_hn`` where torch applies it after (``r * (W_hn h + b_hn)``). The
input projection of all frames (``x W_ih^T + b``) is one ``dot`` before the loop; the unit reaches the
recurrent weights and the initial states around it as ``base:`` layers. The weights enter the net
transposed as the ``dot`` layers want them (`build.enter_as`; ``pt2r export-torch`` undoes it).
A cell is one step of the same unit, its layers built once outside a loop (`_one_step`). RETURNN's rec
layer loops over a dynamic axis only: over a static axis (up to `MAX_UNROLLED` frames) the loop is
unrolled, a step per frame (`_one_step` on the frame's input projection), the steps' states stacked
back along the axis.

Padding: torch, given a padded tensor, runs every direction over the full padded length; the backward
direction starts at the last padded frame, so even valid frames depend on the padding, and ``h_n`` is
the state after all frames. The net does the same: the backward direction's input is the padded axis
reversed, and the final states are those of the last padded frame. RETURNN's ``rec`` layer computes
every frame of the padded batch (it masks nothing unless asked to), so nothing else is needed.

Packed sequences: ``pack_padded_sequence`` with the model's ``seq_lens`` (the lengths of the input's time
dim) gives a `PackedSequence` holding the padded tensor, not torch's flat layout. On it the backward
direction reverses each sequence within its own length (``tf.reverse_sequence``), and the final states
are taken at each sequence's own last frame; ``pad_packed_sequence`` zeroes the frames past each length.
The loops still run over the padding frames, but nothing computed there is used.
The batch order is the given one throughout: torch's sorting (``enforce_sorted=False``) is internal
and undone in everything it returns.
"""

from __future__ import annotations

from typing import Any

from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._tensor import Parameter, Tensor
from pt2r.torch.nn.module import Module
from pt2r.torch.ops.build import LayerRef, aux_name, ctx, enter_as, eval_layer, make, unify
from pt2r.torch.ops.registry import module
from pt2r.torch.values import static_dims

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
#: the longest static axis a loop is unrolled over (each frame is a copy of the unit's layers)
MAX_UNROLLED = 64


def _param(*shape: int) -> Parameter:
    return Parameter(Tensor(static_dims(shape, "param"), _dtype.float32))


def _base(x: Tensor) -> LayerRef:
    """A layer of the net, as a rec layer's unit refers to it."""
    return LayerRef("base:" + x.layer_name)


# -- the units: one step of torch's formulas, as RETURNN layers ---------------------------------------
# In a unit, "data:source" is the frame's input projection (x W_ih^T + b_ih, for LSTM and RNN + b_hh too),
# "prev:h" the state after the previous frame; each returns the unit's layers, "output" being what the
# rec layer's sequence holds.


def _gate(source: str, gates: Dim, k: int, out_dim: Dim) -> dict[str, Any]:
    """Gate ``k`` (torch's order) of the gates axis, each of size ``out_dim``."""
    n = out_dim.dimension
    return {"class": "slice", "from": source, "axis": gates, "slice_start": k * n, "slice_end": (k + 1) * n,
            "out_dim": out_dim}


def _initial(state: Tensor | None) -> dict[str, Any]:
    return {"initial_output": _base(state)} if state is not None else {}


def _recurrent(w_hh: Tensor, h_dim: Dim, gates: Dim) -> dict[str, Any]:
    """``W_hh h`` of the previous state (``W_hh`` enters the net as (hidden, gates))."""
    return {"class": "dot", "from": ["prev:h", _base(enter_as(w_hh, [h_dim, gates]))], "reduce": h_dim}


def _lstm_unit(d: _Dims, w_hh: Tensor, w_hr: Tensor | None, h0: Tensor | None, c0: Tensor | None) -> dict:
    """Gates i, f, g, o; ``c = f * c + i * g``, ``h = o * tanh(c)`` (times ``W_hr`` with a projection);
    the output holds h and c side by side."""
    unit = {
        "W_hh_h": _recurrent(w_hh, d.h, d.gates),
        "z": {"class": "combine", "kind": "add", "from": ["data:source", "W_hh_h"]},
        "sigmoid_z": {"class": "activation", "from": "z", "activation": "sigmoid"},
        "i": _gate("sigmoid_z", d.gates, 0, d.cell),
        "f": _gate("sigmoid_z", d.gates, 1, d.cell),
        "g_in": _gate("z", d.gates, 2, d.cell),
        "o": _gate("sigmoid_z", d.gates, 3, d.cell),
        "g": {"class": "activation", "from": "g_in", "activation": "tanh"},
        "f_c": {"class": "combine", "kind": "mul", "from": ["f", "prev:c"]},
        "i_g": {"class": "combine", "kind": "mul", "from": ["i", "g"]},
        "c": {"class": "combine", "kind": "add", "from": ["f_c", "i_g"], **_initial(c0)},
        "tanh_c": {"class": "activation", "from": "c", "activation": "tanh"},
    }
    if w_hr is None:
        unit["h"] = {"class": "combine", "kind": "mul", "from": ["o", "tanh_c"], **_initial(h0)}
    else:
        unit["o_tanh_c"] = {"class": "combine", "kind": "mul", "from": ["o", "tanh_c"]}
        unit["h"] = {"class": "dot", "from": ["o_tanh_c", _base(enter_as(w_hr, [d.cell, d.h]))], "reduce": d.cell,
                     **_initial(h0)}
    unit["output"] = {"class": "concat", "from": [("h", d.h), ("c", d.cell)], "out_dim": d.h_c}
    return unit


def _gru_unit(d: _Dims, w_hh: Tensor, b_hh: Tensor | None, h0: Tensor | None) -> dict:
    """Gates r, z, n: ``r, z = sigmoid(W_irz x + b_irz + W_hrz h + b_hrz)``,
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h = n + z * (h - n)`` (the input's terms, with
    ``b_ih``, come from the projection before the loop)."""
    unit = {"W_hh_h": _recurrent(w_hh, d.h, d.gates)}
    gh = "W_hh_h"
    if b_hh is not None:
        unit["W_hh_h_b"] = {"class": "combine", "kind": "add", "from": ["W_hh_h", _base(b_hh)]}
        gh = "W_hh_h_b"
    unit.update({
        "W_irz_x": _gate("data:source", d.gates, 0, d.rz),
        "W_hrz_h": _gate(gh, d.gates, 0, d.rz),
        "rz": {"class": "combine", "kind": "add", "from": ["W_irz_x", "W_hrz_h"], "activation": "sigmoid"},
        "r": _gate("rz", d.rz, 0, d.h),
        "z": _gate("rz", d.rz, 1, d.h),
        "W_in_x": _gate("data:source", d.gates, 2, d.h),
        "W_hn_h": _gate(gh, d.gates, 2, d.h),
        "r_W_hn_h": {"class": "combine", "kind": "mul", "from": ["r", "W_hn_h"]},
        "n": {"class": "combine", "kind": "add", "from": ["W_in_x", "r_W_hn_h"], "activation": "tanh"},
        "h_minus_n": {"class": "combine", "kind": "sub", "from": ["prev:h", "n"]},
        "z_h_minus_n": {"class": "combine", "kind": "mul", "from": ["z", "h_minus_n"]},
        "h": {"class": "combine", "kind": "add", "from": ["n", "z_h_minus_n"], **_initial(h0)},
        "output": {"class": "copy", "from": "h"},
    })
    return unit


def _rnn_unit(d: _Dims, activation: str, w_hh: Tensor, h0: Tensor | None) -> dict:
    """``h = act(W_ih x + b_ih + W_hh h + b_hh)`` (its one gate is the new state, on the state's dim)."""
    return {
        "W_hh_h": _recurrent(w_hh, d.h, d.gates),
        "a": {"class": "combine", "kind": "add", "from": ["data:source", "W_hh_h"], "activation": activation},
        "h": {"class": "reinterpret_data", "from": "a", "set_dim_tags": {d.gates: d.h}, **_initial(h0)},
        "output": {"class": "copy", "from": "h"},
    }


class _Dims:
    """The dims of one recurrent module, made at its first call: every layer and direction shares them
    (``h_n`` stacks their states), and so do later calls (the weights, once in the net, keep them)."""

    def __init__(self, call: str, mode: str, hidden: int, out_size: int, n_dirs: int):
        self.gates = Dim(_GATES[mode] * hidden, name=f"{call}:gates")
        self.h = Dim(out_size, name=f"{call}:hidden")
        self.cell = Dim(hidden, name=f"{call}:cell") if out_size != hidden else self.h
        self.rz = Dim(2 * hidden, name=f"{call}:rz") if mode == "GRU" else None  # GRU's gates r and z
        # an LSTM direction's output: h and c side by side
        self.h_c = Dim(out_size + hidden, name=f"{call}:h_c") if mode == "LSTM" else None
        self.out = Dim(n_dirs * out_size, name=f"{call}:out") if n_dirs > 1 else self.h  # the directions' h


# -- packed sequences ----------------------------------------------------------------------------------


@module("torch.nn.utils.rnn.PackedSequence")
class PackedSequence:
    """What ``pack_padded_sequence`` gives in the drop-in: the padded tensor ``padded`` (batch-first or
    time-major as ``batch_first`` says) whose time dim has the packed lengths, and the ``lengths`` given.
    Torch's flat layout (``data``, ``batch_sizes``) is not built: only the recurrent modules and
    ``pad_packed_sequence`` take it. Like the other helpers of ``torch.nn.utils.rnn`` it is not recorded
    (torch computes it with its internal ops)."""

    def __init__(self, padded: Tensor, batch_first: bool, lengths: Tensor):
        self.padded, self.batch_first, self.lengths = padded, batch_first, lengths

    @property
    def time(self) -> Dim:
        return self.padded.dims[1 if self.batch_first else 0]

    def __getattr__(self, name: str) -> Any:
        if name in ("data", "batch_sizes", "sorted_indices", "unsorted_indices"):
            raise UnsupportedOpError(f"PackedSequence.{name} is not supported (pt2r keeps packed sequences padded: "
                                     f"pass them to LSTM/GRU/RNN and pad_packed_sequence)")
        raise AttributeError(name)


@module("torch.nn.utils.rnn.pack_padded_sequence")
def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,  # noqa: A002
                         enforce_sorted: bool = True) -> PackedSequence:
    """Packing by the lengths of the input's time dim (``seq_lens``, also after ``.cpu()``, casts, ...):
    each sequence's real length is then the one RETURNN tracks, for any input. Sorted or not, the
    result is the same to the modules (torch sorts internally and returns everything unsorted)."""
    if not isinstance(input, Tensor) or input.ndim < 2:
        raise ModelError("pack_padded_sequence expects a tensor of at least 2 dims (time and batch)")
    time = input.dims[1 if batch_first else 0]
    dim = None
    if isinstance(lengths, Tensor):  # the dim whose sequence lengths the tensor holds (seq_lens, casts of it)
        dim = getattr(lengths, "seq_lengths_of", None) or getattr(lengths, "lengths_of", None)
    if dim is None:
        what = f"a {type(lengths).__name__}" if not isinstance(lengths, Tensor) else "a tensor computed in the model"
        raise UnsupportedOpError(f"pack_padded_sequence with lengths that are not the input's sequence lengths "
                                 f"(the seq_lens parameter of the model function) is not supported: lengths are "
                                 f"{what}")
    if dim != time:
        raise UnsupportedOpError(f"pack_padded_sequence of an axis other than the one the lengths are of is not "
                                 f"supported: lengths of {dim.description}, packed axis {time.description}")
    return PackedSequence(input, bool(batch_first), lengths)


@module("torch.nn.utils.rnn.pad_packed_sequence")
def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The padded tensor, ``padding_value`` past each length, and the lengths."""
    if not isinstance(sequence, PackedSequence):
        raise UnsupportedOpError(f"pad_packed_sequence of a {type(sequence).__name__} is not supported (only of "
                                 f"what pack_padded_sequence and the recurrent modules give)")
    if total_length is not None and getattr(total_length, "dim", None) != sequence.time:
        # the padded input's own length (``total_length=x.size(1)``, for DataParallel) is the time dim itself
        raise UnsupportedOpError(f"pad_packed_sequence with total_length={total_length!r} is not supported (only "
                                 f"the padded input's length, e.g. x.size(1))")
    x = sequence.padded
    masked = make({"class": "seq_len_mask", "from": x, "axis": sequence.time, "mask_value": float(padding_value)},
                  x.dims, dtype=x.dtype)
    if bool(batch_first) != sequence.batch_first:  # (time, batch) <-> (batch, time): no layer, only the order
        masked = Tensor([masked.dims[1], masked.dims[0], *masked.dims[2:]], x.dtype, layer=masked.layer)
    return masked, sequence.lengths


# -- the modules ---------------------------------------------------------------------------------------


def _check_input(module: Module, input: Any, ndim: int) -> None:  # noqa: A002
    name = type(module).__name__
    if not isinstance(input, Tensor):
        raise UnsupportedOpError(f"{name} on a {type(input).__name__} is not supported")
    if input.ndim != ndim:  # torch takes unbatched input too (one axis less), nothing else
        error = UnsupportedOpError if input.ndim == ndim - 1 else ModelError
        raise error(f"{name} on {input.ndim}-d input is not supported (only batched {ndim}-d input)")
    if input.dtype != _dtype.float32:  # torch wants the weights' dtype: a float (or complex) one
        error = UnsupportedOpError if input.dtype.is_floating_point or input.dtype.is_complex else ModelError
        raise error(f"{name} on {input.dtype} input is not supported (float32 only)")


def _lengths(time: Dim, x: Tensor) -> Tensor:
    """The sequence lengths of ``time`` (batch,), int32, one layer per dim."""
    memo = ctx().memo("recurrent.lengths")
    if time not in memo:
        memo[time] = make({"class": "length", "from": x, "axis": time}, [x.dims[0 if x.dims[1] == time else 1]],
                          dtype=_dtype.int32, name=aux_name("lengths"))  # (a dim's description may hold a "/")
    return memo[time]


def _last_frame(time: Dim, x: Tensor, packed: bool) -> Tensor:
    """Where the final states are: each sequence's last frame (packed), or the last padded frame."""
    memo = ctx().memo("recurrent.last_frame")
    if (time, packed) not in memo:
        lengths = _lengths(time, x)
        batch = lengths.dims[0]
        if packed:
            end, dims = lengths, [batch]
        else:
            end = make({"class": "reduce", "mode": "max", "from": lengths, "axis": batch}, [], dtype=_dtype.int32,
                       name=aux_name("padded_length"))
            dims = []
        one = make({"class": "constant", "value": 1, "dtype": "int32"}, [], dtype=_dtype.int32,
                   name=aux_name("one"))
        memo[(time, packed)] = make({"class": "combine", "kind": "sub", "from": [end, one]}, dims, dtype=_dtype.int32,
                                    name=aux_name("last_frame" + ("" if packed else "_padded")))
    return memo[(time, packed)]


def _reversed(x: Tensor, time: Dim, batch: Dim, lengths: Tensor | None, name: str) -> Tensor:
    """``x`` with time reversed: the whole padded axis, or each sequence within its length (``lengths``;
    the padding frames then stay where they are). RETURNN has no layer for it."""
    raw = list(x.layer.output.dims)
    t, b = raw.index(time), raw.index(batch)
    if lengths is None:
        code, sources = f"tf.reverse(source(0, auto_convert=False), [{t}])", [x]
    else:
        code, sources = (f"tf.reverse_sequence(source(0, auto_convert=False), source(1, auto_convert=False), "
                         f"seq_axis={t}, batch_axis={b})"), [x, lengths]
    return eval_layer(code, sources, x.dims, x.dtype, raw_dims=raw, name=name)


_PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")


def _projection(mode: str, d: _Dims, x: Tensor, params: dict[str, Tensor | None], dims: list[Dim],
                name: str) -> tuple[Tensor, dict[str, Tensor | None]]:
    """``x W_ih^T + b_ih`` (+ ``b_hh``, but for GRU, whose ``b_hn`` is inside ``r * (...)``), with ``dims``;
    and the step's parameters (``weight_hh``, GRU's ``bias_hh``, ``weight_hr``) on the module's dims."""
    in_dim = x.dims[-1]
    w_ih = enter_as(unify(unify(params["weight_ih"], 0, d.gates), 1, in_dim), [in_dim, d.gates])
    biases = [unify(params[b], 0, d.gates) for b in ("bias_ih", "bias_hh") if params[b] is not None]
    step = {"weight_hh": unify(unify(params["weight_hh"], 0, d.gates), 1, d.h), "bias_hh": None, "weight_hr": None}
    if mode == "GRU" and params["bias_hh"] is not None:
        step["bias_hh"] = biases.pop()
    if params["weight_hr"] is not None:
        step["weight_hr"] = unify(unify(params["weight_hr"], 0, d.h), 1, d.cell)
    a = make({"class": "dot", "from": [x, w_ih], "reduce": in_dim}, dims, dtype=x.dtype, name=f"{name}.input")
    if biases:
        a = make({"class": "combine", "kind": "add", "from": [a, *biases]}, dims, dtype=x.dtype,
                 name=f"{name}.input_bias")
    return a, step


def _unit(mode: str, d: _Dims, step: dict[str, Tensor | None], states: dict[str, Tensor | None]) -> dict:
    """The unit of ``mode`` (see `_projection` for ``step``; ``states``: the initial h and c, or None)."""
    if mode == "LSTM":
        return _lstm_unit(d, step["weight_hh"], step["weight_hr"], states["h"], states["c"])
    if mode == "GRU":
        return _gru_unit(d, step["weight_hh"], step["bias_hh"], states["h"])
    return _rnn_unit(d, "tanh" if mode == "RNN_TANH" else "relu", step["weight_hh"], states["h"])


class _RNNBase(Module):
    """nn.LSTM / nn.GRU / nn.RNN (torch's ``RNNBase``): see the module docstring."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: Any = None, dtype: Any = None):
        super().__init__()
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        self._dims: _Dims | None = None
        gates, out_size = _GATES[mode] * hidden_size, proj_size or hidden_size
        for layer in range(num_layers):
            for suffix in ("", "_reverse") if bidirectional else ("",):
                in_size = input_size if layer == 0 else out_size * (2 if bidirectional else 1)
                setattr(self, f"weight_ih_l{layer}{suffix}", _param(gates, in_size))
                setattr(self, f"weight_hh_l{layer}{suffix}", _param(gates, out_size))
                if bias:
                    setattr(self, f"bias_ih_l{layer}{suffix}", _param(gates))
                    setattr(self, f"bias_hh_l{layer}{suffix}", _param(gates))
                if proj_size:
                    setattr(self, f"weight_hr_l{layer}{suffix}", _param(proj_size, hidden_size))

    def reset_parameters(self) -> None:
        """Parameters come from the trace."""

    def flatten_parameters(self) -> None:
        """torch's re-layout of the weights for cuDNN: nothing to do here."""

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"

    def forward(self, input: Any, hx: Any = None) -> Any:  # noqa: A002
        packed = input if isinstance(input, PackedSequence) else None
        x = packed.padded if packed is not None else input
        _check_input(self, x, 3)
        if self.training and self.dropout > 0 and self.num_layers > 1:
            raise UnsupportedOpError(f"{type(self).__name__} with dropout={self.dropout} between layers in training "
                                     f"mode is not supported: call .eval() on the model")
        h0, c0 = (hx if hx is not None else (None, None)) if self.mode == "LSTM" else (hx, None)
        batch_first = packed.batch_first if packed is not None else self.batch_first
        time, batch = (x.dims[1], x.dims[0]) if batch_first else (x.dims[0], x.dims[1])
        if time.dimension is not None and time.dimension > MAX_UNROLLED:
            raise UnsupportedOpError(f"{type(self).__name__} over a static axis of size {time.dimension} is not "
                                     f"supported: RETURNN's rec layer loops over a dynamic axis, and a loop over a "
                                     f"static one is unrolled up to {MAX_UNROLLED} frames")
        call = ctx().layer_name_for()
        n_dirs = 2 if self.bidirectional else 1
        if self._dims is None:
            self._dims = _Dims(call, self.mode, self.hidden_size, self.proj_size or self.hidden_size, n_dirs)
        d = self._dims
        last = _last_frame(time, x, packed is not None) if time.dimension is None else None
        lengths = _lengths(time, x) if packed is not None else None
        finals: list[Tensor] = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(n_dirs):
                output, final = self._direction(layer, direction, x, time, batch, h0, c0, lengths, last, call)
                outputs.append(output)
                finals.append(final)
            x = outputs[0] if n_dirs == 1 else make(
                {"class": "concat", "from": [(o, d.h) for o in outputs], "out_dim": d.out},
                [time, batch, d.out], dtype=x.dtype, name=f"{call}.l{layer}.out")
        output = Tensor([batch, time, d.out] if batch_first else [time, batch, d.out], x.dtype, layer=x.layer)
        if packed is not None:
            output = PackedSequence(output, batch_first, packed.lengths)
        layers_dim = Dim(len(finals), name=f"{call}:layers")

        def stacked(states: list[Tensor], name: str) -> Tensor:
            return make({"class": "stack", "from": states, "out_spatial_dim": layers_dim},
                        [layers_dim, batch, states[0].dims[-1]], dtype=x.dtype, name=f"{call}.{name}")

        if self.mode != "LSTM":
            return output, stacked(finals, "h_n")
        h_n = stacked([self._cut(f, d.h, 0, f"{f.layer.name}.h") for f in finals], "h_n")
        c_n = stacked([self._cut(f, d.cell, d.h.dimension, f"{f.layer.name}.c") for f in finals], "c_n")
        return output, (h_n, c_n)

    def _cut(self, x: Tensor, dim: Dim, start: int, name: str) -> Tensor:
        """An LSTM's h or c from its output (h and c side by side)."""
        axis = x.dims[-1]
        return make({"class": "slice", "from": x, "axis": axis, "slice_start": start,
                     "slice_end": start + dim.dimension, "out_dim": dim}, [*x.dims[:-1], dim], dtype=x.dtype,
                    name=name)

    def _initial_state(self, state: Tensor | None, k: int, batch: Dim, dim: Dim, name: str) -> Tensor | None:
        """Layer and direction ``k``'s initial state (batch, ``dim``) of ``state`` (h0 or c0)."""
        if state is None:
            return None
        state = unify(state, 2, dim)
        if state.dims[1] != batch:  # a constant of the recorded batch size (torch.randn(layers, 2, hidden)):
            # the net is then tied to that batch size, as the model is
            raw = list(state.layer.output.dims)
            source = "source(0, auto_convert=False)"
            if raw != list(state.dims):
                source = f"tf.transpose({source}, {[raw.index(a) for a in state.dims]})"
            return eval_layer(f"{source}[{k}]", [state], [batch, dim], state.dtype, raw_dims=[batch, dim], name=name)
        return make({"class": "gather", "from": state, "axis": state.dims[0], "position": k}, [batch, dim],
                    dtype=state.dtype, name=name)

    def _direction(self, layer: int, direction: int, x: Tensor, time: Dim, batch: Dim, h0: Tensor | None,
                   c0: Tensor | None, lengths: Tensor | None, last: Tensor | None,
                   call: str) -> tuple[Tensor, Tensor]:
        """One layer and direction: its output sequence (time, batch, h) and its final state (batch, h; for
        an LSTM h and c side by side), a ``rec`` layer, unrolled over a static axis (see the module
        docstring)."""
        d = self._dims
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        name = f"{call}.l{layer}" + ("_reverse" if direction else "")
        params = {p: getattr(self, p + suffix, None) for p in _PARAMS}
        a, params = _projection(self.mode, d, x, params, [time, batch, d.gates], name)
        k = layer * (2 if self.bidirectional else 1) + direction
        states = {"h": self._initial_state(h0, k, batch, d.h, f"{name}.h0"),
                  "c": self._initial_state(c0, k, batch, d.cell, f"{name}.c0")}
        if time.dimension is not None:
            return self._unrolled(a, params, states, time, batch, bool(direction), name)
        if direction:
            a = _reversed(a, time, batch, lengths, f"{name}.input_reversed")
        unit = _unit(self.mode, d, params, states)
        feature = d.h_c if self.mode == "LSTM" else d.h
        seq = make({"class": "rec", "from": a, "axis": time, "unit": unit}, [time, batch, feature], dtype=x.dtype,
                   name=name)
        final = make({"class": "gather", "from": seq, "axis": time, "position": last}, [batch, feature],
                     dtype=x.dtype, name=f"{name}.final")
        output = self._cut(seq, d.h, 0, f"{name}.h") if self.mode == "LSTM" else seq
        if direction:
            output = _reversed(output, time, batch, lengths, f"{name}.h_reversed")
        return output, final

    def _unrolled(self, a: Tensor, step: dict[str, Tensor | None], states: dict[str, Tensor | None], time: Dim,
                  batch: Dim, reverse: bool, name: str) -> tuple[Tensor, Tensor]:
        """`_direction` over the static axis ``time`` of the input projection ``a``: a step per frame,
        backwards for ``reverse``."""
        d = self._dims
        unit = _unit(self.mode, d, step, {"h": None, "c": None})
        state = {"h": states["h"] if states["h"] is not None else _zeros(a, batch, d.h, f"{name}.h0")}
        if self.mode == "LSTM":
            state["c"] = states["c"] if states["c"] is not None else _zeros(a, batch, d.cell, f"{name}.c0")
        outputs: list[Tensor | None] = [None] * time.dimension
        for t in reversed(range(time.dimension)) if reverse else range(time.dimension):
            frame = make({"class": "gather", "from": a, "axis": time, "position": t}, [batch, d.gates],
                         dtype=a.dtype, name=f"{name}.t{t}.input")
            layers = _one_step(unit, frame, state, list(step.values()), batch, f"{name}.t{t}")
            state = {key: layers[key] for key in state}
            outputs[t] = state["h"]
        seq = make({"class": "stack", "from": outputs, "out_spatial_dim": time}, [time, batch, d.h],
                   dtype=a.dtype, name=name)
        if self.mode != "LSTM":
            return seq, state["h"]
        final = make({"class": "concat", "from": [(state["h"], d.h), (state["c"], d.cell)], "out_dim": d.h_c},
                     [batch, d.h_c], dtype=a.dtype, name=f"{name}.final")
        return seq, final


@module("torch.nn.LSTM")
class LSTM(_RNNBase):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__("LSTM", *args, **kwargs)


@module("torch.nn.GRU")
class GRU(_RNNBase):
    def __init__(self, *args: Any, **kwargs: Any):
        if "proj_size" in kwargs:
            raise ModelError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


@module("torch.nn.RNN")
class RNN(_RNNBase):
    def __init__(self, *args: Any, **kwargs: Any):
        if "proj_size" in kwargs:
            raise ModelError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:  # torch's positional order: input_size, hidden_size, num_layers, nonlinearity, ...
            nonlinearity, args = args[3], args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ModelError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)
        self.nonlinearity = nonlinearity


# -- cells: one step of the same units, outside a loop ----------------------------------------------------


def _zeros(like: Tensor, batch: Dim, dim: Dim, name: str) -> Tensor:
    """A state not given: zeros (batch, ``dim``), the batch that of ``like``."""
    return make({"class": "constant", "value": 0.0, "shape": [batch, dim], "dtype": like.dtype.name,
                 "shape_deps": [like]}, [batch, dim], dtype=like.dtype, name=name)


def _one_step(unit: dict, source: Tensor, states: dict[str, Tensor], outer: list[Tensor | None],
              batch: Dim, call: str) -> dict[str, Tensor]:
    """A unit's layers built once, each a layer of the net: ``data:source`` is ``source``, ``prev:<x>``
    the state ``states[x]``, a ``base:`` reference one of the ``outer`` tensors. Every layer of a unit is
    (batch, one feature dim): its ``out_dim``, a ``dot``'s non-reduced weight axis, a retagged dim, or
    its first source's."""
    outer_by_ref = {_base(t): t for t in outer if t is not None}
    built: dict[str, Tensor] = {}

    def resolve(ref: Any) -> Any:
        if isinstance(ref, tuple):  # a concat source: (layer, dim)
            return resolve(ref[0]), ref[1]
        if ref == "data:source":
            return source
        if ref.startswith("prev:"):
            return states[ref[len("prev:"):]]
        return outer_by_ref[ref] if ref in outer_by_ref else built[ref]

    for key, layer in unit.items():
        if key == "output":
            continue
        sources = [resolve(r) for r in (layer["from"] if isinstance(layer["from"], list) else [layer["from"]])]
        layer = {**{k: v for k, v in layer.items() if k != "initial_output"}, "from": sources}
        if "out_dim" in layer:
            feature = layer["out_dim"]
        elif layer["class"] == "dot":
            feature = next(a for a in sources[1].dims if a != layer["reduce"])
        elif layer["class"] == "reinterpret_data":
            feature = next(iter(layer["set_dim_tags"].values()))
        else:
            feature = sources[0].dims[-1]
        built[key] = make(layer, [batch, feature], dtype=source.dtype, name=f"{call}.{key}")
    return built


class _RNNCellBase(Module):
    """nn.LSTMCell / nn.GRUCell / nn.RNNCell: one step of the unit of `_RNNBase`'s layers, as plain
    layers (`_one_step`); a state not given is zeros."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.mode, self.input_size, self.hidden_size, self.bias = mode, input_size, hidden_size, bias
        self._dims: _Dims | None = None
        gates = _GATES[mode] * hidden_size
        self.weight_ih, self.weight_hh = _param(gates, input_size), _param(gates, hidden_size)
        if bias:
            self.bias_ih, self.bias_hh = _param(gates), _param(gates)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)

    def reset_parameters(self) -> None:
        """Parameters come from the trace."""

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}"

    def forward(self, input: Tensor, hx: Any = None) -> Any:  # noqa: A002
        _check_input(self, input, 2)
        h0, c0 = (hx if hx is not None else (None, None)) if self.mode == "LSTM" else (hx, None)
        batch, call = input.dims[0], ctx().layer_name_for()
        if self._dims is None:
            self._dims = _Dims(call, self.mode, self.hidden_size, self.hidden_size, 1)
        d = self._dims

        def state(value: Tensor | None, name: str) -> Tensor:
            if value is None:
                return _zeros(input, batch, d.h, f"{call}.{name}")
            return unify(unify(value, 0, batch), 1, d.h)

        params = {p: getattr(self, p, None) for p in _PARAMS}
        a, step = _projection(self.mode, d, input, params, [batch, d.gates], call)
        states = {"h": state(h0, "h0"), "c": state(c0, "c0") if self.mode == "LSTM" else None}
        layers = _one_step(_unit(self.mode, d, step, {"h": None, "c": None}), a, states, list(step.values()),
                           batch, call)
        return (layers["h"], layers["c"]) if self.mode == "LSTM" else layers["h"]


@module("torch.nn.LSTMCell")
class LSTMCell(_RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None, dtype: Any = None):
        super().__init__("LSTM", input_size, hidden_size, bias)


@module("torch.nn.GRUCell")
class GRUCell(_RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None, dtype: Any = None):
        super().__init__("GRU", input_size, hidden_size, bias)


@module("torch.nn.RNNCell")
class RNNCell(_RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: Any = None, dtype: Any = None):
        if nonlinearity not in ("tanh", "relu"):
            raise ModelError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity
