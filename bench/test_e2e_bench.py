# SPDX-License-Identifier: BSD-3-Clause
"""End to end on the default scenario: platform build, agent per device, ``run_emulated``."""

from __future__ import annotations

from typing import Any

from _util import throughput

from devtrust.agent.acceptance import AcceptanceAgent
from devtrust.agent.runner import EMULATED_POLICY, run_emulated
from devtrust.agent.vendor import vendor_reference_values, vendor_trust_store
from devtrust.appraise.engine import Appraiser
from devtrust.appraise.policy import load_policy
from devtrust.kernel.levels import tcb_level
from devtrust.platform.emulated import EmulatedPlatform


def test_run_emulated(benchmark: Any, rounds: int = 3) -> None:
    """The whole default scenario: build, accept every function, one watch pass."""
    report = benchmark.pedantic(run_emulated, rounds=rounds, iterations=1, warmup_rounds=0)
    assert report.ok
    throughput(benchmark, messages=len(report.outcomes), devices=len(report.outcomes))


def test_platform_build(benchmark: Any, rounds: int = 3) -> None:
    """``EmulatedPlatform()``: scenario, emulated machine (keys, PKI, DSMs), kernel boot,
    host-side connect/bind and TSM registration."""
    platform = benchmark.pedantic(EmulatedPlatform, rounds=rounds, iterations=1,
                                  warmup_rounds=0)
    throughput(benchmark, devices=len(platform.state.topology.devices))


def _fresh_agent() -> tuple[tuple[Any, ...], dict[str, Any]]:
    platform = EmulatedPlatform()
    fleet = platform.fleet
    appraiser = Appraiser(load_policy(EMULATED_POLICY), vendor_trust_store(fleet),
                          vendor_reference_values(fleet))
    agent = AcceptanceAgent(platform, appraiser, clock=lambda: fleet.now,
                            kernel_levels=tcb_level(platform.state.variant.levels) + 1)
    tsm, mode = next((t, m) for t, m in sorted(agent.tsms().items()))
    return (agent, agent.devices(mode), tsm, mode), {}


def _accept_all(agent: AcceptanceAgent, devices: tuple[str, ...], tsm: str, mode: str) -> int:
    return sum(1 for d in devices if agent.accept_device(d, tsm, mode).error == "")


def test_agent_per_device(benchmark: Any, rounds: int = 3) -> None:
    """The agent's flow over every function of a fresh platform (build excluded);
    ``extra_info`` gives the per-device figure."""
    count = len(_fresh_agent()[0][1])
    benchmark.pedantic(_accept_all, setup=_fresh_agent, rounds=rounds, iterations=1)
    throughput(benchmark, messages=count, devices=count)
    median = getattr(getattr(benchmark.stats, "stats", None), "median", None) \
        if getattr(benchmark, "stats", None) else None
    if median:
        benchmark.extra_info["ms_per_device"] = round(median / count * 1e3, 2)
