"""The invariants stated in pt2r.naming's docstring, on plain Python objects (no torch)."""

import re

import pytest

from pt2r.naming import Namer, op_short_name, unique


class Mod:
    """A stand-in module: children in attribute order, like ``_modules``."""

    def __init__(self, **children):
        self._modules = dict(children)


def make_namer():
    return Namer(children_of=lambda m: m._modules.items())


def call(namer, module, body=()):
    """Simulate a module call whose forward performs ``body`` (ops as str, calls as (module, body))."""
    name, _ = namer.enter_module_call(module)
    names = [name]
    for item in body:
        if isinstance(item, str):
            names.append(namer.op_call(item))
        else:
            names.extend(call(namer, *item))
    namer.exit_call()
    return names


class Generator(Mod):
    pass


class Block(Mod):
    pass


def build():
    conv = Mod()
    block0, block1 = Block(conv=Mod(), act=Mod()), Block(conv=Mod(), act=Mod())
    seq = Mod(**{"0": block0, "1": block1})
    return Generator(pre=conv, blocks=seq, post=Mod()), conv, block0, block1, seq


def run_model(namer):
    gen, conv, block0, block1, seq = build()
    names = call(namer, gen, [
        (conv, []), "Tensor.transpose",
        (seq, [(block0, [(block0._modules["conv"], []), "Tensor.add"]),
               (block1, [(block1._modules["conv"], []), "Tensor.add"])]),
        (conv, []),  # the same module called twice
        "torch.nn.functional.pad", "torch.nn.functional.pad", "Tensor.__rsub__",
    ])
    return gen, names


def test_call_names_follow_the_module_tree_and_call_order():
    namer = make_namer()
    _, names = run_model(namer)
    assert names == [
        "Generator",
        "Generator/pre",
        "Generator/transpose",
        "Generator/blocks",
        "Generator/blocks/0", "Generator/blocks/0/conv", "Generator/blocks/0/add",
        "Generator/blocks/1", "Generator/blocks/1/conv", "Generator/blocks/1/add",
        "Generator/pre_1",
        "Generator/pad", "Generator/pad_1", "Generator/rsub",
    ]


def test_module_names_are_attribute_paths_and_stable():
    namer = make_namer()
    gen, _ = run_model(namer)
    seq = gen._modules["blocks"]
    assert namer.module_name(gen) == "Generator"
    assert namer.module_name(seq._modules["1"]._modules["conv"]) == "Generator.blocks.1.conv"
    # named with the subtree even though never called
    assert namer.module_name(seq._modules["0"]._modules["act"]) == "Generator.blocks.0.act"
    assert namer.module_name(gen._modules["post"]) == "Generator.post"


def test_same_code_same_names_independent_of_object_identity():
    first = run_model(make_namer())[1]
    second = run_model(make_namer())[1]
    assert first == second


def test_names_are_unique_and_use_the_allowed_characters():
    namer = make_namer()
    gen, names = run_model(namer)
    names += call(namer, gen)  # a second root call of the same module
    assert len(names) == len(set(names))
    assert names[-1] == "Generator_1"
    assert all(re.fullmatch(r"[A-Za-z0-9_./]+", n) for n in names)


def test_roots_are_named_by_class_and_made_unique():
    namer = make_namer()
    a, b = Block(), Block()
    assert call(namer, a) == ["Block"]
    assert call(namer, b) == ["Block_1"]
    assert namer.module_name(a) == "Block" and namer.module_name(b) == "Block_1"


def test_ad_hoc_module_inside_a_call_is_named_under_the_caller():
    namer = make_namer()
    gen = Generator(conv=Mod())
    adhoc = Block()
    names = call(namer, gen, [(adhoc, []), (gen._modules["conv"], [])])
    assert names == ["Generator", "Generator/Block", "Generator/conv"]
    assert namer.module_name(adhoc) == "Generator.Block"


def test_child_added_after_first_call_gets_its_attribute_path():
    namer = make_namer()
    gen = Generator(a=Mod())
    call(namer, gen)
    late = Mod()
    gen._modules["late"] = late
    call(namer, gen, [(late, [])])
    assert namer.module_name(late) == "Generator.late"


def test_shared_module_gets_the_first_path_found():
    shared = Mod()
    gen = Generator(x=Mod(inner=shared), y=shared)
    namer = make_namer()
    call(namer, gen)
    assert namer.module_name(shared) == "Generator.y"  # direct children are named first


def test_invalid_characters_are_replaced():
    namer = make_namer()
    weird = Mod()
    gen = Generator(**{"a-b c": weird})
    assert call(namer, gen, [(weird, [])]) == ["Generator", "Generator/a_b_c"]


def test_suffixed_names_never_collide_with_siblings():
    taken = set()
    assert [unique(n, taken) for n in ["conv", "conv_1", "conv", "conv"]] == ["conv", "conv_1", "conv_2", "conv_3"]


@pytest.mark.parametrize("op, short", [("Tensor.transpose", "transpose"), ("torch.nn.functional.pad", "pad"),
                                       ("Tensor.__rsub__", "rsub"), ("torch.cat", "cat"),
                                       ("Tensor.mul_", "mul_")])
def test_op_short_names(op, short):
    assert op_short_name(op) == short


def test_exit_without_enter_is_an_error():
    with pytest.raises(RuntimeError):
        make_namer().exit_call()
