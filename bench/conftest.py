# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark fixtures: the spdm-emu vectors in ../shared (benchmarks skip when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _util import SPDM_EMU


@pytest.fixture(scope="session")
def spdm_emu() -> Path:
    """Root of ../shared/vectors/spdm-emu (read in place, never copied)."""
    if not (SPDM_EMU / "manifest.json").is_file():
        pytest.skip(f"spdm-emu vectors not found at {SPDM_EMU} (set DEVTRUST_SHARED)")
    return SPDM_EMU
