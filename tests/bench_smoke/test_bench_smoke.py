# SPDX-License-Identifier: BSD-3-Clause
"""Every benchmark in ``bench/`` runs once at minimal size, untimed, so none can rot.

A stand-in for pytest-benchmark's fixture calls the workload exactly once.
:func:`test_every_benchmark_is_covered` fails when a benchmark is added to
``bench/`` without an entry here. No timing is asserted anywhere.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))


class OnceBenchmark:
    """Runs the benchmarked callable once; ``stats`` is None as with --benchmark-disable."""

    def __init__(self) -> None:
        self.extra_info: dict[str, Any] = {}
        self.stats = None
        self.calls = 0

    def __call__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return fn(*args, **kwargs)

    def pedantic(self, target: Callable[..., Any], args: tuple[Any, ...] = (),
                 kwargs: dict[str, Any] | None = None, setup: Callable[[], Any] | None = None,
                 **_timing: Any) -> Any:
        if setup is not None:
            made = setup()
            if made is not None:
                args, kwargs = made
        self.calls += 1
        return target(*args, **(kwargs or {}))


def _module(name: str) -> Any:
    return importlib.import_module(name)


#: (module, benchmark function, keyword arguments at minimal size, needs the vectors)
CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    *[("test_wire_bench", f, {}, True) for f in (
        "test_vca", "test_measurements", "test_certificate_responses", "test_cert_chain",
        "test_tdisp_report", "test_tdisp_messages", "test_doe")],
    ("test_appraise_bench", "test_measurement_signature", {"key_type": "p256"}, True),
    ("test_appraise_bench", "test_measurement_signature", {"key_type": "rsassa3072"}, True),
    ("test_appraise_bench", "test_chain_validation", {"key_type": "p384", "caches": "cold"},
     True),
    ("test_appraise_bench", "test_chain_validation", {"key_type": "p256", "caches": "warm"},
     True),
    ("test_appraise_bench", "test_appraiser_one_device", {"caches": "cold"}, False),
    ("test_kernel_bench", "test_step", {"n": 3}, False),
    ("test_kernel_bench", "test_step_link", {"n": 3}, False),
    ("test_kernel_bench", "test_sysfs_read", {"n": 3}, False),
    ("test_kernel_bench", "test_boot", {"n": 3}, False),
    ("test_netlink_bench", "test_dump_16mib", {"size": 70_000}, False),
    ("test_e2e_bench", "test_platform_build", {"rounds": 1}, False),
    ("test_e2e_bench", "test_agent_per_device", {"rounds": 1}, False),
    ("test_e2e_bench", "test_run_emulated", {"rounds": 1}, False),
]


@pytest.mark.parametrize(("module", "func", "kwargs", "vectors"), CASES,
                         ids=[f"{m}.{f}-{'-'.join(map(str, k.values()))}"
                              for m, f, k, _ in CASES])
def test_benchmark_runs_once(module: str, func: str, kwargs: dict[str, Any], vectors: bool,
                             request: pytest.FixtureRequest) -> None:
    fn = getattr(_module(module), func)
    if vectors:
        kwargs = {**kwargs, "spdm_emu": request.getfixturevalue("spdm_emu")}
    bench = OnceBenchmark()
    fn(bench, **kwargs)
    assert bench.calls == 1


def test_every_benchmark_is_covered() -> None:
    covered = {(m, f) for m, f, _, _ in CASES}
    found = set()
    for path in sorted(BENCH.glob("test_*.py")):
        mod = _module(path.stem)
        found |= {(path.stem, name) for name, obj in inspect.getmembers(mod, inspect.isfunction)
                  if name.startswith("test_") and obj.__module__ == path.stem}
    assert found and found <= covered, f"benchmarks without a smoke case: {found - covered}"
