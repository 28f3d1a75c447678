# SPDX-License-Identifier: BSD-3-Clause
"""Helpers shared by the benchmarks: vector paths and throughput figures in ``extra_info``."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["REPO_ROOT", "SPDM_EMU", "config", "manifest", "throughput"]

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DEVTRUST_SHARED", REPO_ROOT.parent / "shared"))
SPDM_EMU = SHARED / "vectors" / "spdm-emu"


@cache
def manifest(root: Path = SPDM_EMU) -> dict[str, Any]:
    """The spdm-emu corpus manifest (read in place, never copied)."""
    return json.loads((root / "manifest.json").read_text())


def config(root: Path, name: str) -> dict[str, Any]:
    """One configuration of the manifest by name."""
    (found,) = [c for c in manifest(root)["configurations"] if c["name"] == name]
    return found


def throughput(benchmark: Any, *, nbytes: int = 0, messages: int = 0, **extra: Any) -> None:
    """Record bytes and messages per round; after a timed run, also MB/s and messages/s
    (from the median round, which shared CI/dev machines disturb least).

    ``benchmark`` is pytest-benchmark's fixture (or the smoke test's stand-in,
    whose ``stats`` is None): figures go to ``extra_info`` and so into the JSON.
    """
    info = benchmark.extra_info
    info.update(extra)
    if nbytes:
        info["bytes_per_round"] = nbytes
    if messages:
        info["messages_per_round"] = messages
    stats = getattr(benchmark, "stats", None)
    median = getattr(getattr(stats, "stats", None), "median", None)
    if not median:
        return
    if nbytes:
        info["MB_per_s"] = round(nbytes / median / 1e6, 3)
    if messages:
        info["messages_per_s"] = round(messages / median, 1)
