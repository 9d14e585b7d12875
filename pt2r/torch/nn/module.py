"""The drop-in ``torch.nn.Module`` and containers.

A module keeps parameters, buffers and submodules like torch's (so
``state_dict`` keys, ``named_modules`` and attribute access behave the
same), but parameter values are not computed here: each call binds them to
the trace's values for that call (`pt2r.replay.values.bind_module_state`).
Calling a module hands the call to the replay context, which names it,
checks it against the trace and verifies its output.
"""

from __future__ import annotations

import sys
from collections import OrderedDict, namedtuple
from typing import Any, Callable, Iterable, Iterator

from pt2r.import_wrapper import original_module_name
from pt2r.torch._tensor import Buffer, Parameter, Tensor
from pt2r.torch.values import name_state

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class _RemovableHandle:
    def __init__(self, hooks: dict, key: int):
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


class Module:
    _pt2r_torch_name = "torch.nn.Module"
    #: what each axis of a parameter or buffer is (``{"weight": ("out_features", "in_features")}``): the
    #: names of its dims in the exported config, ``<module path>:<role>``
    axis_roles: dict[str, tuple[str, ...]] = {}
    _hook_ids = iter(range(1 << 62))

    def __init__(self, *args: Any, **kwargs: Any):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    # -- attributes ----------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        params, buffers, modules = self.__dict__.get("_parameters"), self.__dict__.get("_buffers"), \
            self.__dict__.get("_modules")
        if params is None:  # as torch: plain attributes may be set before Module.__init__ (OPT's decoder does)
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(f"cannot assign {'parameters' if isinstance(value, Parameter) else 'module'} "
                                     "before Module.__init__() call")
            object.__setattr__(self, name, value)
            return
        for table in (params, buffers, modules):
            if name in table and not (table is params and isinstance(value, Parameter)) \
                    and not (table is modules and isinstance(value, Module)) \
                    and not (table is buffers and (isinstance(value, Tensor) or value is None)):
                del table[name]
        if isinstance(value, Buffer):
            self.register_buffer(name, value, persistent=value.persistent)
        elif isinstance(value, Parameter):
            self.__dict__.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            self.__dict__.pop(name, None)
            modules[name] = value
        elif name in buffers:
            self.register_buffer(name, value, persistent=name not in self._non_persistent_buffers_set)
        elif name in params and value is None:
            params[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        for table in ("_parameters", "_buffers", "_modules"):
            d = self.__dict__.get(table)
            if d is not None and name in d:
                return d[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers_set.add(name)
        # the constant's name says what it is, also when the module is never called (e.g. a filter bank
        # used by a method other than forward); a call names it by the module's path
        name_state(tensor, f"{type(self).__name__}.{name}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self.__dict__.pop(name, None)
        self._parameters[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        module = self
        for part in target.split(".") if target else []:
            if not hasattr(module, part):
                raise AttributeError(f"{module._get_name()} has no attribute `{part}`")
            module = getattr(module, part)
            if not isinstance(module, Module):
                raise AttributeError(f"`{part}` is not an nn.Module")
        return module

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        path, _, name = target.rpartition(".")
        parent = self.get_submodule(path)
        if strict and name not in parent._modules:
            raise AttributeError(f"{type(parent).__name__} has no attribute `{name}`")
        setattr(parent, name, module)

    def _state_at(self, target: str, table: str, what: str) -> Tensor:
        """``get_parameter``/``get_buffer``: the entry ``target`` (a dotted path) of a module's ``table``,
        or torch's AttributeError (which callers such as transformers' ``get_parameter_or_buffer`` catch)."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in getattr(module, table):
            raise AttributeError(f"`{name}` is not {what}" if hasattr(module, name)
                                 else f"{module._get_name()} has no attribute `{name}`")
        return getattr(module, table)[name]

    def get_parameter(self, target: str) -> Parameter:
        return self._state_at(target, "_parameters", "an nn.Parameter")

    def get_buffer(self, target: str) -> Tensor:
        return self._state_at(target, "_buffers", "a buffer")

    def get_extra_state(self) -> Any:
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called.")

    def set_extra_state(self, state: Any) -> None:
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called.")

    def _get_name(self) -> str:
        return type(self).__name__

    # -- calls ---------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required \"forward\" function")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from pt2r.torch.backend import current
        return current().module_call(self, args, kwargs, sys._getframe(1))

    def _call_with_hooks(self, *args: Any, **kwargs: Any) -> Any:
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook: Callable) -> _RemovableHandle:
        key = next(Module._hook_ids)
        self._forward_pre_hooks[key] = hook
        return _RemovableHandle(self._forward_pre_hooks, key)

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False) -> _RemovableHandle:
        """Kept and never called: the replay runs the forward only (the exported net's gradients are
        RETURNN's)."""
        return _RemovableHandle({}, next(Module._hook_ids))

    register_backward_hook = register_full_backward_pre_hook = register_full_backward_hook

    def register_load_state_dict_pre_hook(self, hook: Callable, *args: Any, **kwargs: Any) -> _RemovableHandle:
        """Kept and never called: the parameters come from the trace (``load_state_dict`` sets nothing), and
        ``state_dict`` gives them under their own names."""
        return _RemovableHandle({}, next(Module._hook_ids))

    _register_load_state_dict_pre_hook = register_load_state_dict_post_hook = register_load_state_dict_pre_hook
    _register_state_dict_hook = register_state_dict_pre_hook = register_state_dict_post_hook = \
        register_load_state_dict_pre_hook

    def register_forward_hook(self, hook: Callable) -> _RemovableHandle:
        key = next(Module._hook_ids)
        self._forward_hooks[key] = hook
        return _RemovableHandle(self._forward_hooks, key)

    @classmethod
    def _pt2r_defining_class(cls) -> type:
        for klass in cls.__mro__:
            if "forward" in klass.__dict__:
                return klass
        return Module

    def _pt2r_is_leaf(self) -> bool:
        """A torch-defined computation, as the record phase decides (pt2r.record.ops.is_leaf): its
        forward is the drop-in's own, and it is not a container."""
        return self._pt2r_defining_class().__module__.startswith("pt2r.torch.") and not isinstance(self, Sequential)

    def _pt2r_target(self) -> str:
        """The name the trace gives this module's calls (see pt2r.record.ops.class_name): for a leaf,
        the first torch class in its MRO (pt2r.record.ops.torch_base)."""
        if self._pt2r_is_leaf():
            return next(k._pt2r_torch_name for k in type(self).__mro__ if "_pt2r_torch_name" in k.__dict__)
        cls = type(self)
        if "_pt2r_torch_name" in cls.__dict__:
            return cls._pt2r_torch_name
        return f"{original_module_name(cls.__module__)}.{cls.__qualname__}"

    # -- the module tree -----------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True):
        memo = set() if memo is None else memo
        if self in memo and remove_duplicate:
            return
        memo.add(self)
        yield prefix, self
        for name, m in self.named_children():
            yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def _named_members(self, table: str, prefix: str, recurse: bool,
                       remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def state_dict(self, destination: dict | None = None, prefix: str = "", keep_vars: bool = False) -> dict:
        out = OrderedDict() if destination is None else destination
        for name, p in self._parameters.items():
            if p is not None:
                out[prefix + name] = p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                out[prefix + name] = b
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(out, prefix + name + ".")
        return out

    def load_state_dict(self, state_dict: dict, strict: bool = True, assign: bool = False) -> _IncompatibleKeys:
        """Checks the keys like torch; the values themselves come from the trace at each call."""
        own = set(self.state_dict())
        given = set(state_dict)
        result = _IncompatibleKeys(sorted(own - given), sorted(given - own))
        if strict and (result.missing_keys or result.unexpected_keys):
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}: missing keys "
                               f"{result.missing_keys}, unexpected keys {result.unexpected_keys}")
        return result

    def apply(self, fn: Callable[[Module], None]) -> Module:
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        pass

    def _device_no_op(self, *args: Any, **kwargs: Any) -> Module:
        return self

    to = cpu = cuda = float = double = half = _device_no_op  # noqa: A003

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): {m!r}".replace("\n", "\n  ") for name, m in self.named_children()]
        body = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({body})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(([body] if body else []) + lines) + "\n)"


class Sequential(Module):
    _pt2r_torch_name = "torch.nn.Sequential"

    def __init__(self, *args: Any):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def forward(self, input: Any) -> Any:  # noqa: A002
        for m in self._modules.values():
            input = m(input)
        return input

    def __getitem__(self, idx: int | slice) -> Any:
        items = list(self._modules.values())
        return Sequential(*items[idx]) if isinstance(idx, slice) else items[idx]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    _pt2r_torch_name = "torch.nn.ModuleList"

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        for m in modules or ():
            self.append(m)

    def __getitem__(self, idx: int | slice) -> Any:
        items = list(self._modules.values())
        return ModuleList(items[idx]) if isinstance(idx, slice) else items[idx]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(list(self._modules)[idx], module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)


class ModuleDict(Module):
    _pt2r_torch_name = "torch.nn.ModuleDict"

    def __init__(self, modules: dict[str, Module] | None = None):
        super().__init__()
        for name, m in (modules or {}).items():
            self.add_module(name, m)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()
