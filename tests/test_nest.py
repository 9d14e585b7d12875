"""The export's nesting of the verified flat network into a subnetwork per module call."""

from pt2r.replay.nest import needed, nest
from pt2r.torch.ops.build import LayerRef


def test_module_calls_become_subnetworks_with_relative_references():
    flat = {  # "output" (below) depends on every layer
        "M.enc.lin.weight": {"class": "variable", "shape": []},
        "M.enc.lin": {"class": "dot", "from": ["data", LayerRef("M.enc.lin.weight")]},
        "M.enc.act": {"class": "activation", "from": "M.enc.lin", "activation": "relu"},
        "M.enc.output": {"class": "activation", "from": "M.enc.act", "activation": "tanh"},  # attribute "output"
        "M.dec.add": {"class": "combine", "kind": "add", "from": ["M.enc.output", "M.enc.lin"]},
        "M.dec.scaled": {"class": "switch", "condition": LayerRef("M.dec.add"), "true_from": LayerRef("M.dec.add"),
                         "false_from": 0.0},
        "M.dec.sum": {"class": "combine", "kind": "M.dec.add", "from": ["M.dec.scaled"]},  # a string, not a layer
        "output": {"class": "copy", "from": "M.dec.sum"},
    }
    scopes = {name: () for name in flat}
    scopes.update({n: ("M", "M/enc") for n in flat if n.startswith("M.enc")})
    scopes.update({n: ("M", "M/dec") for n in flat if n.startswith("M.dec")})
    outputs = {"M": ["M.dec.sum"], "M/enc": ["M.enc.output"], "M/dec": ["M.dec.sum"]}
    net, paths = nest(flat, scopes, outputs)

    enc = net["M"]["subnetwork"]["enc"]["subnetwork"]
    dec = net["M"]["subnetwork"]["dec"]["subnetwork"]
    assert enc["lin"]["from"] == ["base:base:data", "lin.weight"]
    assert enc["output.layer"]["from"] == "act"  # the module attribute "output" is not the subnetwork's output
    assert enc["output"] == {"class": "copy", "from": "output.layer"}
    assert dec["add"]["from"] == ["base:enc", "base:enc/lin"]  # a call's result is the subnetwork layer itself
    assert dec["scaled"]["condition"] == "add" and dec["scaled"]["true_from"] == "add"
    assert dec["sum"]["kind"] == "M.dec.add" and dec["sum"]["from"] == ["scaled"]
    assert net["output"]["from"] == "M"
    assert net["M"]["subnetwork"]["output"] == {"class": "copy", "from": "dec"}
    assert paths["M.enc.lin.weight"] == "M/enc/lin.weight" and paths["output"] == "output"


def test_needed_drops_layers_no_output_depends_on():
    flat = {"w": {"class": "variable"}, "dead": {"class": "activation", "from": "w"},
            "used": {"class": "dot", "from": ["data", LayerRef("w")]}, "output": {"class": "copy", "from": "used"}}
    assert list(needed(flat, ["output"])) == ["w", "used", "output"]


def test_a_call_whose_outputs_the_net_does_not_need():
    flat = {"M.a": {"class": "activation", "from": "data", "activation": "relu"},
            "output": {"class": "copy", "from": "M.a"}}
    net, _ = nest(flat, {"M.a": ("M",), "output": ()}, {"M": ["M.unused"]})
    assert net["M"]["subnetwork"]["output"] == {"class": "copy", "from": "a"}
    assert net["output"]["from"] == "M/a"
