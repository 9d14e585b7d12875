"""The replay context: the RETURNN network being built while model code runs on the drop-in.

One `ReplayContext` is active while the model function runs on `pt2r.torch`.
The drop-in reports every module call and op call here (`module_call`,
`op_call`); the context names the call as the record phase did, checks the
name against the trace's next call, builds RETURNN layers through the op's
registry entry, and keeps what verification needs. It is the one place that
knows both the trace and the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import tensorflow as tf
from returnn.config import Config
from returnn.tensor import Dim, batch_dim
from returnn.tf.network import TFNetwork

from pt2r import calls
from pt2r.errors import InternalError, NameMismatchError, Pt2rError, UnsupportedOpError, locate, where
from pt2r.inputs import resolve as resolve_input_description
from pt2r.naming import Namer, unique
from pt2r.replay import params, values
from pt2r.replay.quiet import returnn_prints_silenced
from pt2r.torch import backend
from pt2r.torch.backend import is_internal_frame, source_of
from pt2r.torch.values import rebind_in_place
from pt2r.trace import TraceReader

BEHAVIOR_VERSION = 21
@dataclass
class Check:
    """One recorded call to verify: its output tensors and the inputs isolated mode feeds."""

    index: int
    outputs: list[tuple[Any, int]]  # (drop-in Tensor, recorded tensor id)
    inputs: list[tuple[Any, int]] = field(default_factory=list)
    built: bool = True  # False: an op that took its recorded output (on constants, external, random)


@dataclass
class Draw:
    """A random op's result that the net draws itself (`pt2r.torch.ops.random`): verification feeds
    it the recorded values and checks the net's own draw for its shape and its range [low, high]."""

    index: int
    tensor: Any
    low: float | None = None
    high: float | None = None


def input_dims(description: dict[str, Any]) -> list[Dim]:
    """RETURNN dims for the input array's axes, in array order.

    ``description`` means what the same RETURNN ``Data`` kwargs mean (`pt2r.inputs.resolve` fills in
    RETURNN's defaults for keys a trace leaves out): the batch axis is `batch_dim`; the time axis is
    named "time", the feature axis (none for a sparse input, whose classes are its ``sparse_dim``)
    "feature", any other axis ``in<axis>``; ``None`` sizes are dynamic."""
    desc = resolve_input_description(description)
    batch_axis = desc["batch_dim_axis"]
    axes = [a for a in range(len(desc["shape"]) + 1) if a != batch_axis]
    dims: dict[int, Dim] = {batch_axis: batch_dim}
    for axis, size in zip(axes, desc["shape"]):
        if axis == desc["time_dim_axis"]:
            name = "time"
        elif axis == desc["feature_dim_axis"]:
            name = "feature"
        else:
            name = f"in{axis}"
        dims[axis] = Dim(size, name=name)
    return [dims[a] for a in range(len(dims))]


def graph_mode() -> None:
    """TF1 graph building, as RETURNN's TF backend does, with tensors and variables equal by
    identity (TF1's equality): RETURNN keeps its parameter lists with ``in`` checks, which TF2's
    equality makes slow, and a nested net's parameters are checked at every subnetwork level
    (2.7 s of building the MB-MelGAN's exported net)."""
    tf.compat.v1.disable_eager_execution()
    tf.compat.v1.disable_tensor_equality()
    _complete_each_dim_once()


def _complete_each_dim_once() -> None:
    """RETURNN's ``Dim.complete_dyn_size`` completes a derived dim's inputs twice, recursively: a dim
    derived through n operations (a wav2vec2 feature encoder's seven strided convs, 14 operations)
    is visited 2^n times while its sizes cannot be computed yet (RETURNN's templates). Within one
    outermost call each dim is visited once: the other visits find nothing new (the state they read
    is the same). 200k calls and about 4 s of building the wav2vec2 base net. The exported config
    needs no such patch; RETURNN only builds it more slowly."""
    from returnn.tensor import _dim_extra

    mixin = _dim_extra._DimMixin
    if getattr(mixin.complete_dyn_size, "pt2r_once", False):
        return
    original = mixin.complete_dyn_size
    visited: list[set | None] = [None]  # the dims visited in the outermost call being made

    def complete_dyn_size(self: Any, *, template_only: bool = False, _backend: Any = None) -> None:
        if visited[0] is None:
            visited[0] = set()
            try:
                return original(self, template_only=template_only, _backend=_backend)
            finally:
                visited[0] = None
        key = (id(self), template_only)
        if key not in visited[0]:
            visited[0].add(key)
            original(self, template_only=template_only, _backend=_backend)

    complete_dyn_size.pt2r_once = True
    mixin.complete_dyn_size = complete_dyn_size


def set_behavior_version() -> None:
    """RETURNN's behavior version of the exported config, for this process (as RETURNN sets it when
    it loads the config): layers are built and verified exactly as they will run."""
    from returnn.util import BehaviorVersion
    BehaviorVersion.set(BEHAVIOR_VERSION)


#: bytes of arrays one session run may load or fetch (the peak memory grows with it)
CHUNK_BYTES = 64 << 20


def chunked(items: list, nbytes: Callable[[Any], int], limit: int = CHUNK_BYTES) -> list[list]:
    """``items`` in consecutive chunks of at most ``limit`` bytes each (``nbytes`` of an item), or
    of one item if it alone is larger."""
    chunks: list[list] = [[]]
    size = 0
    for item in items:
        n = nbytes(item)
        if chunks[-1] and size + n > limit:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += n
    return chunks


class ReplayContext:
    """Builds the RETURNN network for one trace; see the module docstring."""

    def __init__(self, reader: TraceReader, *, override: dict[str, Callable] | None = None,
                 progress: Callable[[str, int, int], None] | None = None):
        self.reader = reader
        self.meta = reader.meta
        self.calls: list[dict[str, Any]] = self.meta["calls"]
        self.override = override or {}
        self.progress = progress
        self.cursor = 0
        self.namer = Namer(children_of=lambda m: m._modules.items())
        self.checks: list[Check] = []
        self.leaf_depth = 0
        self.busy = 0
        self._call_stack: list[int] = []  # recorded indices of the open calls
        self._scopes: list[str] = []  # call names of the open calls of non-leaf modules (subnetworks)
        self.layer_scopes: dict[str, tuple[str, ...]] = {}  # layer name -> the scope it was built in
        self.call_outputs: dict[str, list[str]] = {}  # module call name -> its output layers
        self.layer_targets: dict[str, str | None] = {}  # layer name -> the op or module it was built for
        self.net_dict: dict[str, dict[str, Any]] = {}
        self._layer_names: set[str] = {"data", "output"}  # RETURNN's own meaning
        self.variable_values: dict[str, np.ndarray] = {}  # layer name -> value to load
        self._origins: dict[str, Any] = {}  # variable layer name -> the drop-in tensor it was made of
        self.variables: dict[str, params.Variable] = {}  # layer name -> what it holds
        self.dim_values: dict[Dim, int] = {}
        self.dynamic_branches: list[str] = []
        self.draws: list[Draw] = []  # random draws of the net, by call
        self._memos: dict[str, dict] = {}

        description = self.meta["input"]["description"]
        self.input_dims = input_dims(description)
        input_entry = self.meta["tensors"][self.meta["input"]["value"]["$t"]]
        for d, n in zip(self.input_dims, input_entry["shape"]):
            if d.is_dynamic() or d == batch_dim:
                self.dim_values[d] = n
        data = resolve_input_description(description)
        extern = {"dims": self.input_dims, "dtype": data["dtype"]}
        if data["sparse"]:
            extern["sparse_dim"] = Dim(data["dim"], name="classes")
        self.extern_data = {"data": extern}

        graph_mode()
        set_behavior_version()
        self.graph = tf.Graph()
        with self.graph.as_default():
            config = Config({"extern_data": self.extern_data, "behavior_version": BEHAVIOR_VERSION})
            self.network = TFNetwork(config=config, train_flag=False, eval_flag=False, search_flag=False)

    # -- trace access --------------------------------------------------------

    def array(self, tensor_id: int) -> np.ndarray:
        entry = self.meta["tensors"][tensor_id]
        array = self.reader.array(entry["blob"])
        if entry["dtype"] == "bfloat16":
            raise UnsupportedOpError("bfloat16 tensors are not supported by the replay yet.")
        return array

    def recorded_shape(self, tensor_id: int) -> list[int]:
        return self.meta["tensors"][tensor_id]["shape"]

    # -- the call protocol ---------------------------------------------------

    def expect(self, kind: str, name: str, target: str, source: list | None) -> int:
        """Check that the model's next call is the trace's next call; return its index."""
        if self.cursor >= len(self.calls):
            raise NameMismatchError(
                f"The replay made {kind} call {name!r} ({target}) {where(None, source)}, but the trace ends "
                f"after {len(self.calls)} calls: the model code or its inputs differ from the recording.")
        rec = self.calls[self.cursor]
        if (rec["name"], rec["kind"], rec["target"]) != (name, kind, target):
            raise NameMismatchError(
                f"Call {self.cursor} differs from the trace: expected {rec['kind']} call {rec['name']!r} "
                f"({rec['target']}) recorded {where(None, rec.get('source'))}, but the model code made {kind} "
                f"call {name!r} ({target}) {where(None, source)}. The model code changed since the recording, "
                f"or it runs differently here.")
        self.cursor += 1
        if self.progress:
            self.progress("build", self.cursor, len(self.calls))
        return self.cursor - 1

    def finish(self) -> None:
        params.resolve_keys(self.variables, self.namer.roots())
        self.namer = None  # the run is over: its modules, and the parameter values they hold, may go
        if self.cursor != len(self.calls):
            rec = self.calls[self.cursor]
            raise NameMismatchError(
                f"The replay ended after {self.cursor} calls, but the trace has {len(self.calls)}: the first "
                f"missing call is {rec['kind']} call {rec['name']!r} ({rec['target']}) recorded "
                f"{where(None, rec.get('source'))}.")

    @property
    def recording_active(self) -> bool:
        return not (self.leaf_depth or self.busy)

    def current_call_name(self) -> str:
        return self.calls[self._call_stack[-1]]["name"] if self._call_stack else "net"

    def op_call(self, name: str, impl: Callable, args: tuple, kwargs: dict, caller: Any) -> Any:
        """An op called by model code: name it, check it, build it, keep it for verification."""
        if not self.recording_active or name in calls.NOT_RECORDED or is_internal_frame(caller):
            return impl(*args, **kwargs)
        source = source_of(caller)
        index = self.expect("op", self.namer.op_call(name), name, source)
        rec = self.calls[index]
        impl = self.override.get(name, impl)
        values.bind_inputs(self, (args, kwargs), (rec["args"], rec["kwargs"]), self.layer_name_for(index))
        inputs = self._input_snapshots(args, kwargs, rec)
        self._call_stack.append(index)
        self.busy += 1
        try:
            recorded = built = False
            if name in calls.RANDOM_OPS and calls.is_in_place(name) and getattr(args[0], "trainable", False):
                output = args[0]  # initialising a parameter: its value comes from the trace
            elif name in calls.RANDOM_OPS and values.sized_by_input(args, kwargs):
                output, built = impl(*args, **kwargs), True  # the net draws it (pt2r.torch.ops.random)
            elif name in calls.EXTERNAL or name in calls.RANDOM_OPS or values.foldable(args, kwargs):
                output = self.recorded_output(values.folded_name(args, kwargs, self.layer_name_for(index)))
                recorded = True
            else:
                output, built = impl(*args, **kwargs), True
        except Pt2rError as exc:  # unsupported usage, bad arguments, ...: said by the builder, located here
            locate(exc, "op", name, rec["name"], source)
            raise
        except Exception as exc:  # a bug in pt2r
            raise InternalError.from_exception(
                exc, f"building op {name} for call {rec['name']!r} {where(None, source)}".rstrip()) from exc
        finally:
            self.busy -= 1
            self._call_stack.pop()
        self._add_check(index, output, rec["output"], inputs, built)
        if rec.get("mutated") is not None and args and isinstance(args[0], values.Tensor):
            if recorded:  # e.g. __setitem__ on a constant: the tensor's recorded state after the call
                output = values.decode(self, rec["mutated"], constant_name=self.layer_name_for(index))
            rebind_in_place(args[0], output)
        return output

    def current_call(self) -> dict[str, Any]:
        """The recorded call being built (the innermost open one)."""
        return self.calls[self._call_stack[-1]]

    def current_target(self) -> str:
        return self.current_call()["target"]

    def bind_recorded_inputs(self, args: Any, kwargs: Any) -> None:
        rec = self.current_call()
        kwargs = {k: v for k, v in kwargs.items() if k in rec["kwargs"]}  # those the recording had by keyword
        values.bind_inputs(self, (args, kwargs), (rec["args"], rec["kwargs"]), self.layer_name_for())

    def recorded_output(self, name: str | None = None) -> Any:
        """The current call's recorded output, as drop-in values (tensors not yet in the net, named
        ``name``, by default the call's layer name).

        External inputs, random ops and ops on constants only take it instead of building layers."""
        index = self._call_stack[-1]
        return values.decode(self, self.calls[index]["output"], constant_name=name or self.layer_name_for(index))

    def module_call(self, module: Any, args: tuple, kwargs: dict, caller: Any) -> Any:
        if not self.recording_active:
            return module._call_with_hooks(*args, **kwargs)
        call_name, module_name = self.namer.enter_module_call(module)
        try:
            leaf = module._pt2r_is_leaf()
            index = self.expect("module", call_name, module._pt2r_target(), source_of(caller))
            rec = self.calls[index]
            values.bind_module_state(self, module, module_name, rec)
            values.bind_inputs(self, (args, kwargs), (rec["args"], rec["kwargs"]), self.layer_name_for(index))
            inputs = self._input_snapshots(args, kwargs, rec)
            self._call_stack.append(index)
            self.leaf_depth += leaf
            if not leaf:
                self._scopes.append(call_name)
            try:
                impl = self.override.get(rec["target"]) if leaf else None
                output = impl(module, *args, **kwargs) if impl else module._call_with_hooks(*args, **kwargs)
            except Pt2rError as exc:
                if leaf:
                    locate(exc, "module", rec["target"], call_name, rec.get("source"))
                raise
            except Exception as exc:
                if not leaf:
                    raise  # the model's own code raised: the replay reports it with the model's traceback
                raise InternalError.from_exception(  # a bug in pt2r
                    exc, f"building module {rec['target']} for call {call_name!r} "
                         f"{where(None, rec.get('source'))}".rstrip()) from exc
            finally:
                self.leaf_depth -= leaf
                self._call_stack.pop()
                if not leaf:
                    self._scopes.pop()
        finally:
            self.namer.exit_call()
        self._add_check(index, output, rec["output"], inputs)
        return output

    @staticmethod
    def _input_snapshots(args: tuple, kwargs: dict, rec: dict[str, Any]) -> list[tuple[Any, int]]:
        """The call's input tensors as they are before the call (in-place ops rebind them later)."""
        return [(t.snapshot(), tid) for t, tid in values.pair_tensors((args, kwargs), (rec["args"], rec["kwargs"]))]

    def _add_check(self, index: int, output: Any, rec_output: Any, inputs: list[tuple[Any, int]],
                   built: bool = True) -> None:
        outs = values.pair_tensors(output, rec_output)
        for tensor, tid in outs:
            tensor.learn_dim_values(self, self.recorded_shape(tid))
        if self.calls[index]["kind"] == "module":
            self.call_outputs[self.calls[index]["name"]] = [t._layer.name for t, _ in outs if t._layer is not None]
        if outs:
            self.checks.append(Check(index, [(t.snapshot(), tid) for t, tid in outs], inputs, built))

    # -- network building ----------------------------------------------------

    def layer_name_for(self, index: int | None = None) -> str:
        """A RETURNN layer name for the current (or given) call: its call name, dots for slashes."""
        name = self.calls[index]["name"] if index is not None else self.current_call_name()
        return name.replace("/", ".")

    def add_layer(self, layer_dict: dict[str, Any], name: str | None = None) -> Any:
        """Add a layer to the net dict and construct it; returns the RETURNN layer."""
        name = unique(name or self.layer_name_for(), self._layer_names)
        self.net_dict[name] = layer_dict
        self.layer_scopes[name] = tuple(self._scopes)
        self.layer_targets[name] = self.calls[self._call_stack[-1]]["target"] if self._call_stack else None
        with self.graph.as_default(), returnn_prints_silenced():
            return self.network.construct_layer(self.net_dict, name)

    def add_variable(self, value: np.ndarray | None, dims: list[Dim], dtype: str, name: str,
                     *, trainable: bool, origin: Any = None, transform: dict[str, Any] | None = None) -> Any:
        """A variable layer (a parameter, or a buffer/constant when not trainable) with its value:
        that of the drop-in tensor ``origin``, in the layout ``transform`` makes of it (see
        `pt2r.replay.params`)."""
        layer = self.add_layer({"class": "variable", "shape": list(dims), "dtype": dtype,
                                "trainable": trainable, "param_name": "param"}, name=name)
        if value is not None:
            self.variable_values[layer.name] = value
        if origin is not None:
            self._origins[layer.name] = origin
        self.variables[layer.name] = params.Variable(
            layer.name, [self.dim_value(d) for d in dims], dtype, trainable,
            id(origin) if origin is not None else None, transform or {"kind": "identity"})
        return layer

    def initialize_variables(self, session: Any) -> None:
        """Load the variables with their values, a chunk at a time, each chunk's arrays dropped once
        loaded (the drop-in tensors they came from keep none): the parameters are in memory once, not
        twice (360 MiB of wav2vec2 base)."""
        for check in self.checks:  # snapshots of tensors in the net: their values are loaded below
            for tensor, _ in (*check.outputs, *check.inputs):
                if tensor._layer is not None:
                    tensor.value = None
        chunks = chunked(list(self.variable_values), lambda name: self.variable_values[name].nbytes)
        with self.graph.as_default():
            variables = {name: self.network.get_layer(name).var for name in self.variable_values}
            for chunk in filter(None, chunks):
                feed = {variables[name].initializer.inputs[1]: self.variable_values.pop(name) for name in chunk}
                session.run([variables[name].initializer for name in chunk], feed_dict=feed)
                del feed
                for name in chunk:
                    if name in self._origins and self._origins[name]._layer is not None:
                        self._origins[name].value = None
            loaded = set(variables.values())
            session.run(tf.compat.v1.variables_initializer(
                [v for v in self.network.get_saveable_params_list() if v not in loaded]))

    def memo(self, name: str) -> dict:
        """A dict of op builders' own, kept for this replay (e.g. a layer built once per dim)."""
        return self._memos.setdefault(name, {})

    def dim_value(self, dim: Dim) -> int:
        if dim.dimension is not None:
            return dim.dimension
        if dim.is_batch_dim() and dim.batch is not None and len(dim.batch.virtual_dims) > 1:
            # the batch merged with other axes (RETURNN's merged batch dim equals batch_dim)
            n = 1
            for virtual in dim.batch.virtual_dims:
                tag = getattr(virtual, "dim_tag", None)
                n *= self.dim_values[batch_dim] if tag is None else self.dim_value(tag)
            return n
        value = self.dim_values.get(dim)
        if value is None:
            raise UnsupportedOpError(f"The size of dim {dim} is not known from the trace.")
        return value

    def note_dynamic_branch(self, what: str) -> None:
        call = self.current_call_name()
        self.dynamic_branches.append(f"{call}: {what}")

    def drawn(self, tensor: Any, low: float | None = None, high: float | None = None) -> None:
        self.draws.append(Draw(self._call_stack[-1], tensor.snapshot(), low, high))  # (in-place ops rebind it)


def activate(ctx: ReplayContext | None) -> None:
    """Make ``ctx`` the drop-in's backend (None: none)."""
    backend.activate(ctx)
