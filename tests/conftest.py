# SPDX-License-Identifier: BSD-3-Clause
"""Shared fixtures: Hypothesis profiles and the read-only vector corpus in ../shared."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "slow", max_examples=2000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long runs (``@pytest.mark.slow``) stay out of the default run; ``-m slow`` selects
    them (the variant matrices, the full-scope checker, long fuzzing)."""
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DEVTRUST_SHARED", REPO_ROOT.parent / "shared"))
SPDM_EMU = SHARED / "vectors" / "spdm-emu"


@pytest.fixture(scope="session")
def spdm_emu() -> Path:
    """Root of ../shared/vectors/spdm-emu (read in place, never copied)."""
    if not (SPDM_EMU / "manifest.json").is_file():
        pytest.skip(f"spdm-emu vectors not found at {SPDM_EMU} (set DEVTRUST_SHARED)")
    return SPDM_EMU


@pytest.fixture(scope="session")
def spdm_emu_manifest(spdm_emu: Path) -> dict:
    """The parsed manifest.json of the spdm-emu corpus."""
    return json.loads((spdm_emu / "manifest.json").read_text())
