"""Recurrent modules: LSTM, GRU, RNN (tanh, relu), and the cells LSTMCell, GRUCell, RNNCell.

Each layer and direction of an ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` is one ``eval`` layer
(`_RNNBase._direction`): the input projection of all frames is one matmul, then ``tf.scan`` runs the
recurrence over the time-major sequence with only the recurrent matmul and the gates per step. The
graph has no Python loop over frames, so time stays dynamic. Weights enter the net from the trace
transposed as the matmuls want them (`build.enter_as`); LSTM's and RNN's two biases are summed into
the input projection, GRU's ``b_hh`` stays in the step (``n`` needs ``r * (W_hn h + b_hn)``).
TF's fused ``BlockLSTMV2`` (torch's gate order too) was at most ~10% faster on CPU, as its step multiplies
``[x, h]`` by both weights, and it has no projection (``proj_size``): one loop serves all modes.

Padding: torch, given a padded tensor (not a PackedSequence), runs every direction over the full padded
length; the backward direction starts at the last padded frame, so even valid frames depend on the
padding, and ``h_n`` is the state after all frames. The loop does the same: nothing is masked.

An eval layer has one output: an LSTM direction's has its h and c sequences side by side on the
feature axis. The module's output and ``h_n`` / ``c_n`` are slices of the directions' layers: ``h_n``
the last frame of a forward direction, the first of a backward one.
"""

from __future__ import annotations

from typing import Any, Sequence

from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._tensor import Parameter, Tensor
from pt2r.torch.nn.module import Module
from pt2r.torch.ops.build import ctx, enter_as, make
from pt2r.torch.ops.registry import module
from pt2r.torch.values import static_dims

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _param(*shape: int) -> Parameter:
    return Parameter(Tensor(static_dims(shape, "param"), _dtype.float32))


class _Eval:
    """An ``eval`` layer's sources, each bound to a name by an outer lambda:
    ``(lambda x, w: body)(source(0, ...), source(1, ...))``, every source with its raw axes in the
    order asked for."""

    def __init__(self) -> None:
        self.sources: list[Tensor] = []
        self.names: list[str] = []
        self.terms: list[str] = []

    def add(self, name: str, x: Tensor, order: Sequence[Dim]) -> str:
        raw = list(x.layer.output.dims)
        perm = [raw.index(d) for d in order]
        term = f"source({len(self.sources)}, auto_convert=False)"
        self.terms.append(term if perm == sorted(perm) else f"tf.transpose({term}, {perm})")
        self.sources.append(x)
        self.names.append(name)
        return name

    def weight(self, name: str, w: Tensor) -> str:
        """A torch weight (out, in), transposed (in, out) for ``tf.matmul(x, w)``."""
        order = list(reversed(w.dims))
        return self.add(name, enter_as(w, order), order)

    def make(self, body: str, raw_dims: list[Dim], dims: Sequence[Dim], dtype: _dtype.dtype,
             name: str | None = None) -> Tensor:
        """The layer computing ``body`` with raw axes ``raw_dims``; a tensor with ``dims`` (torch order)."""
        expr = f"(lambda {', '.join(self.names)}: {body})({', '.join(self.terms)})"
        return make({"class": "eval", "from": self.sources, "eval": expr,
                     "out_type": {"dim_tags": raw_dims, "dtype": dtype.name}}, dims, dtype=dtype, name=name)


def _step(mode: str, hidden: int, b_hh: bool, proj: bool) -> str:
    """One step, ``lambda state, a: new state`` (LSTM's state: ``(h, c)``), ``a`` being the frame's
    input projection with its biases (but GRU's ``b_hh``); ``w_hh``, ``b_hh`` and ``w_hr`` are bound by
    the enclosing lambda. As torch: gates i, f, g, o for LSTM (``h = W_hr (o * tanh(c))`` with a
    projection), r, z, n for GRU with ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`` and
    ``h' = n + z * (h - n)``."""
    if mode == "LSTM":
        h = "tf.sigmoid(o) * tf.tanh(c)"
        h = f"tf.matmul({h}, w_hr)" if proj else h
        return (f"lambda s, a: (lambda i, f, g, o: (lambda c: ({h}, c))(tf.sigmoid(f) * s[1] + tf.sigmoid(i) * "
                f"tf.tanh(g)))(*tf.split(a + tf.matmul(s[0], w_hh), 4, axis=-1))")
    if mode == "GRU":
        gh = "tf.matmul(h, w_hh)" + (" + b_hh" if b_hh else "")
        sizes = [2 * hidden, hidden]
        return (f"lambda h, a: (lambda ax, ah: (lambda r, z: (lambda n: n + z * (h - n))(tf.tanh(ax[1] + r * ah[1])))"
                f"(*tf.split(tf.sigmoid(ax[0] + ah[0]), 2, axis=-1)))"
                f"(tf.split(a, {sizes}, axis=-1), tf.split({gh}, {sizes}, axis=-1))")
    act = "tf.tanh" if mode == "RNN_TANH" else "tf.nn.relu"
    return f"lambda h, a: {act}(a + tf.matmul(h, w_hh))"


def _projection(ev: _Eval, mode: str, product: str, params: dict[str, Tensor | None]) -> str:
    """The input projection ``x W_ih^T + b`` for `_step` (``product`` of the input and ``{w}``, the
    transposed ``W_ih``); binds the step's weights in ``ev``."""
    a = product.format(w=ev.weight("w_ih", params["weight_ih"]))
    biases = []
    if params.get("bias_ih") is not None:
        biases.append(ev.add("b_ih", params["bias_ih"], params["bias_ih"].dims))
    ev.weight("w_hh", params["weight_hh"])
    if params.get("bias_hh") is not None:
        b_hh = ev.add("b_hh", params["bias_hh"], params["bias_hh"].dims)
        if mode != "GRU":
            biases.append(b_hh)
    if params.get("weight_hr") is not None:
        ev.weight("w_hr", params["weight_hr"])
    return f"{a} + ({' + '.join(biases)})" if biases else a


def _check_input(module: Module, input: Any, ndim: int) -> None:  # noqa: A002
    name = type(module).__name__
    if not isinstance(input, Tensor):
        raise UnsupportedOpError(f"{name} on a {type(input).__name__} (PackedSequence) is not supported: pass the "
                                 f"padded tensor (torch then runs every direction over the padding too)")
    if input.ndim != ndim:  # torch takes unbatched input too (one axis less), nothing else
        error = UnsupportedOpError if input.ndim == ndim - 1 else ModelError
        raise error(f"{name} on {input.ndim}-d input is not supported (only batched {ndim}-d input)")
    if input.dtype != _dtype.float32:  # torch wants the weights' dtype: a float (or complex) one
        error = UnsupportedOpError if input.dtype.is_floating_point or input.dtype.is_complex else ModelError
        raise error(f"{name} on {input.dtype} input is not supported (float32 only)")


class _RNNBase(Module):
    """nn.LSTM / nn.GRU / nn.RNN (torch's ``RNNBase``): see the module docstring."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: Any = None, dtype: Any = None):
        super().__init__()
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
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

    def forward(self, input: Tensor, hx: Any = None) -> Any:  # noqa: A002
        _check_input(self, input, 3)
        if self.training and self.dropout > 0 and self.num_layers > 1:
            raise UnsupportedOpError(f"{type(self).__name__} with dropout={self.dropout} between layers in training "
                                     f"mode is not supported: call .eval() on the model")
        h0, c0 = (hx if hx is not None else (None, None)) if self.mode == "LSTM" else (hx, None)
        time, batch = (input.dims[1], input.dims[0]) if self.batch_first else (input.dims[0], input.dims[1])
        call = ctx().layer_name_for()
        n_dirs, hidden = 2 if self.bidirectional else 1, self.hidden_size
        out_size = self.proj_size or hidden
        h_dim = Dim(out_size, name=f"{call}:hidden")
        c_dim = Dim(hidden, name=f"{call}:cell") if self.proj_size else h_dim
        # a direction's layer: its h sequence, for an LSTM followed by its c sequence
        seq_dim = Dim(out_size + hidden, name=f"{call}:h_c") if self.mode == "LSTM" else h_dim
        layers: list[Tensor] = []
        inputs = [input]
        for layer in range(self.num_layers):
            inputs = [self._direction(layer, d, inputs, time, batch, h0, c0, [time, batch, seq_dim])
                      for d in range(n_dirs)]
            layers += inputs

        order = [batch, time] if self.batch_first else [time, batch]
        if n_dirs == 1 and self.mode != "LSTM":
            output = Tensor([*order, h_dim], input.dtype, layer=inputs[0].layer)
        else:
            ev = _Eval()
            parts = [ev.add(f"s{i}", s, s.dims) + f"[:, :, :{out_size}]" for i, s in enumerate(inputs)]
            out_dim = Dim(n_dirs * out_size, name=f"{call}:out") if n_dirs > 1 else h_dim
            body = parts[0] if n_dirs == 1 else f"tf.concat([{', '.join(parts)}], axis=-1)"
            output = ev.make(body, [time, batch, out_dim], [*order, out_dim], input.dtype)

        def final(cut: str, dim: Dim, name: str) -> Tensor:
            """The directions' final states (after the last frame, backwards after the first), stacked."""
            ev = _Eval()
            states = [f"{ev.add(f's{i}', s, s.dims)}[{0 if i % n_dirs else -1}, :, {cut}]"
                      for i, s in enumerate(layers)]
            layers_dim = Dim(len(layers), name=f"{call}:layers")
            return ev.make(f"tf.stack([{', '.join(states)}])", [layers_dim, batch, dim], [layers_dim, batch, dim],
                           input.dtype, name=f"{call}.{name}")

        h_n = final(f":{out_size}", h_dim, "h_n")
        if self.mode != "LSTM":
            return output, h_n
        return output, (h_n, final(f"{out_size}:", c_dim, "c_n"))

    def _direction(self, layer: int, direction: int, inputs: list[Tensor], time: Dim, batch: Dim,
                   h0: Tensor | None, c0: Tensor | None, dims: list[Dim]) -> Tensor:
        """One layer and direction: the sequence of its states, (time, batch, features), as one ``eval``
        layer running ``tf.scan`` (backwards for the reverse direction)."""
        ev = _Eval()
        out_size = self.proj_size or self.hidden_size
        if layer == 0:
            x = ev.add("x", inputs[0], [time, batch, inputs[0].dims[2]])
        else:  # the previous layer's h sequences
            parts = [ev.add(f"x{i}", s, s.dims) for i, s in enumerate(inputs)]
            if self.mode == "LSTM":
                parts = [f"{p}[:, :, :{out_size}]" for p in parts]
            x = parts[0] if len(parts) == 1 else f"tf.concat([{', '.join(parts)}], axis=-1)"
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        params = {p: getattr(self, p + suffix, None)
                  for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")}
        a = _projection(ev, self.mode, "tf.tensordot(x, {w}, 1)", params)
        k = layer * (2 if self.bidirectional else 1) + direction

        def initial(state: Tensor | None, name: str, size: int) -> str:
            if state is None:
                return f"tf.zeros([tf.shape(x)[1], {size}], x.dtype)"
            return f"{ev.add(name, state, state.dims)}[{k}]"

        init = initial(h0, "h0", out_size)
        if self.mode == "LSTM":
            init = f"({init}, {initial(c0, 'c0', self.hidden_size)})"
        step = _step(self.mode, self.hidden_size, params["bias_hh"] is not None, self.proj_size > 0)
        body = f"tf.scan({step}, {a}, initializer={init}, reverse={bool(direction)})"
        if self.mode == "LSTM":
            body = f"tf.concat({body}, axis=-1)"
        body = body if x == "x" else f"(lambda x: {body})({x})"
        return ev.make(body, dims, dims, inputs[0].dtype,
                       name=f"{ctx().layer_name_for()}.l{layer}" + ("_reverse" if direction else ""))


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


class _RNNCellBase(Module):
    """nn.LSTMCell / nn.GRUCell / nn.RNNCell: one step of `_step`, as one ``eval`` layer (for LSTMCell
    with h and c side by side, then sliced)."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.mode, self.input_size, self.hidden_size, self.bias = mode, input_size, hidden_size, bias
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
        batch, hidden, call = input.dims[0], self.hidden_size, ctx().layer_name_for()
        ev = _Eval()
        ev.add("x", input, input.dims)
        a = _projection(ev, self.mode, "tf.matmul(x, {w})", {p: getattr(self, p) for p in (
            "weight_ih", "weight_hh", "bias_ih", "bias_hh")})

        def initial(state: Tensor | None, name: str) -> str:
            return ev.add(name, state, state.dims) if state is not None else \
                f"tf.zeros([tf.shape(x)[0], {hidden}], x.dtype)"

        step = _step(self.mode, hidden, self.bias, False)
        h_dim = Dim(hidden, name=f"{call}:hidden")
        if self.mode != "LSTM":
            return ev.make(f"({step})({initial(h0, 'h0')}, {a})", [batch, h_dim], [batch, h_dim], input.dtype)
        h_c_dim = Dim(2 * hidden, name=f"{call}:h_c")
        h_c = ev.make(f"tf.concat(({step})(({initial(h0, 'h0')}, {initial(c0, 'c0')}), {a}), axis=-1)",
                      [batch, h_c_dim], [batch, h_c_dim], input.dtype, name=f"{call}.h_c")
        outputs = []
        for part, cut in (("h", f":{hidden}"), ("c", f"{hidden}:")):
            ev = _Eval()
            ev.add("s", h_c, h_c.dims)
            outputs.append(ev.make(f"s[:, {cut}]", [batch, h_dim], [batch, h_dim], input.dtype,
                                   name=None if part == "h" else f"{call}.c"))
        return tuple(outputs)


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
