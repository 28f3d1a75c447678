# SPDX-License-Identifier: BSD-3-Clause
"""Imports only point down the layer picture of DESIGN.md, and there are no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "devtrust"

# What each layer may import from devtrust (besides itself).
ALLOWED: dict[str, set[str]] = {
    "wire": set(),
    "hw": {"wire"},
    "kernel": {"wire"},
    "appraise": {"wire"},
    "platform": {"wire", "kernel", "hw"},
    "agent": {"wire", "kernel", "hw", "platform", "appraise"},
    "check": {"wire", "kernel"},
    "testing": {"wire", "kernel", "hw", "platform", "appraise", "agent", "check"},
    "cli": {"wire", "kernel", "hw", "platform", "appraise", "agent", "check"},
    "": set(),
}


def _layer(path: Path) -> str:
    rel = path.relative_to(SRC)
    if len(rel.parts) == 1:
        return rel.stem if rel.stem == "cli" else ""
    return rel.parts[0]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "devtrust" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_imports_point_down() -> None:
    bad = []
    for path in SRC.rglob("*.py"):
        layer = _layer(path)
        for target in _imports(path):
            if target in ("__init__", "py"):
                continue
            if target != layer and target not in ALLOWED.get(layer, set()):
                bad.append(f"{path.relative_to(SRC)} imports devtrust.{target}")
    assert not bad, "upward or sideways imports:\n" + "\n".join(sorted(bad))


def test_no_module_import_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        mod = ".".join(("devtrust", *path.relative_to(SRC).with_suffix("").parts))
        mod = mod.removesuffix(".__init__")
        tree = ast.parse(path.read_text())
        deps = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.startswith("devtrust"):
                deps.add(node.module)
        graph[mod] = deps
    seen: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state = seen.get(node)
        if state == 1:
            cycle = [*stack[stack.index(node):], node]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if state == 2:
            return
        seen[node] = 1
        for dep in sorted(graph.get(node, ())):
            if dep in graph:
                visit(dep, [*stack, node])
        seen[node] = 2

    for mod in sorted(graph):
        visit(mod, [])
