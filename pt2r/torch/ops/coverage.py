"""docs/supported-ops.md, generated from the registry (never kept by hand).

``python -m pt2r.torch.ops.coverage > docs/supported-ops.md`` (scripts/gen-supported-ops);
a test checks the file is current.
"""

from __future__ import annotations

from collections import defaultdict

from pt2r.torch.ops import registry


def markdown() -> str:
    families: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"modules": [], "ops": []})
    for name, cls in registry.MODULES.items():
        families[cls.__module__.rpartition(".")[2]]["modules"].append(name)
    for name, builder in registry.OPS.items():
        families[builder.__module__.rpartition(".")[2]]["ops"].append(name)
    for alias, name in registry.ALIASES.items():
        families[registry.OPS[name].__module__.rpartition(".")[2]]["ops"].append(f"{alias} (= {name})")
    lines = ["# Supported ops", "",
             "Generated from the op registry (`pt2r/torch/ops/`) by `scripts/gen-supported-ops`; do not edit.",
             "Names are the qualified torch names the trace records. Calls inside a supported leaf module",
             "are not recorded and need no entry here.", ""]
    for family in sorted(families):
        entry = families[family]
        lines += [f"## {family}", ""]
        if entry["modules"]:
            lines += ["Modules: " + ", ".join(f"`{n}`" for n in sorted(entry["modules"])), ""]
        if entry["ops"]:
            lines += ["Ops: " + ", ".join(f"`{n}`" for n in sorted(entry["ops"])), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
