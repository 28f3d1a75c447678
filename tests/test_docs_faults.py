# SPDX-License-Identifier: BSD-3-Clause
"""docs/faults.md is generated from the fault catalogue and must match it exactly."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from devtrust.hw.faults import CATALOGUE, FaultSpec

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_faults", DOCS / "gen_faults.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_page_matches_the_catalogue() -> None:
    committed = (DOCS / "faults.md").read_text(encoding="utf-8")
    assert committed == _generator().render(), (
        "docs/faults.md is out of date: run .venv/bin/python docs/gen_faults.py")


def test_every_fault_has_a_section_and_a_valid_snippet() -> None:
    import yaml

    page = _generator().render()
    for fault, info in CATALOGUE.items():
        assert f"## `{fault.value}`" in page
        for param in info.params:
            assert f"| `{param.name}` |" in page
    # Every YAML snippet on the page is a valid scenario fault list.
    snippets = page.split("```yaml\n")[1:]
    assert len(snippets) == len(CATALOGUE)
    for text in snippets:
        (entry,) = yaml.safe_load(text.split("```")[0])["faults"]
        FaultSpec.of(entry["fault"], **entry.get("params", {}))


def test_header_says_generated_and_how_to_regenerate() -> None:
    head = (DOCS / "faults.md").read_text(encoding="utf-8").splitlines()[:3]
    assert "GENERATED FILE" in head[0]
    assert "docs/gen_faults.py" in head[1]
