# SPDX-License-Identifier: BSD-3-Clause
"""STYLE 9: nothing under devtrust/kernel does I/O, reads the clock, uses randomness or logs,
and module-level containers are immutable."""

from __future__ import annotations

import ast
from pathlib import Path

KERNEL = Path(__file__).resolve().parents[2] / "src" / "devtrust" / "kernel"
FORBIDDEN_MODULES = {"time", "random", "logging", "socket", "subprocess", "secrets", "datetime",
                     "pathlib", "io", "threading"}
FORBIDDEN_CALLS = {"open", "print", "input"}
OWN = {"netlink", "mmio_report.py"}   # written by another engineer


def _files() -> list[Path]:
    return [p for p in KERNEL.rglob("*.py") if not (set(p.relative_to(KERNEL).parts) & OWN)]


def test_no_io_clock_random_logging() -> None:
    bad = []
    for path in _files():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                bad += [f"{path.name}: import {a.name}" for a in node.names
                        if a.name.split(".")[0] in FORBIDDEN_MODULES]
            elif isinstance(node, ast.ImportFrom) and node.module:
                if node.module.split(".")[0] in FORBIDDEN_MODULES:
                    bad.append(f"{path.name}: from {node.module}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id in FORBIDDEN_CALLS:
                    bad.append(f"{path.name}: {node.func.id}()")
            elif isinstance(node, ast.Global):
                bad.append(f"{path.name}: global statement")
    assert not bad, bad


def test_no_module_level_mutable_containers() -> None:
    bad = []
    for path in _files():
        for node in ast.parse(path.read_text()).body:
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            if isinstance(value, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if names != ["__all__"]:
                    bad.append(f"{path.name}: {names}")
    assert not bad, bad


def test_every_module_has_all_and_spdx() -> None:
    for path in _files():
        text = path.read_text()
        assert text.startswith("# SPDX-License-Identifier: BSD-3-Clause"), path
        assert "__all__" in text, path
