# SPDX-License-Identifier: BSD-3-Clause
"""Kernel core vs platform size: ``step`` and ``sysfs_read`` with 1, 100, 1000, 5000 devices.

``test_step`` is the guest (devsec) cycle, ``test_step_link`` the host (link)
one. Per-step cost should not grow with N (DESIGN: "a platform of thousands of
devices must not copy the world on every step"). Compare the means across N:
a flat line is O(1) per step, a rising one is per-step work linear in N.
"""

from __future__ import annotations

from typing import Any

import pytest
from _kernel import booted, cycle_actions, generated_topology, link_actions
from _util import throughput

from devtrust.kernel.boot import initial_state
from devtrust.kernel.core import step
from devtrust.kernel.sysfs import PCI_DEVICES, sysfs_read
from devtrust.kernel.variants import last_design

SIZES = (1, 100, 1000, 5000)


@pytest.mark.parametrize("n", SIZES)
def test_step(benchmark: Any, n: int) -> None:
    """Lock, accept, trust 1, trust 0, unlock on the middle device (5 steps per round)."""
    state = booted(n)
    actions = cycle_actions(state)

    def cycle() -> Any:
        s = state
        for action in actions:
            s, result = step(s, action)
            assert not result.errno, (action, result)
        return s

    final = benchmark(cycle)
    assert final.dev(actions[0].device).tdi.value == "UNLOCKED"
    throughput(benchmark, messages=len(actions), devices=n)


@pytest.mark.parametrize("n", SIZES)
def test_step_link(benchmark: Any, n: int) -> None:
    """Connect and disconnect a PF0 with a link TSM (2 steps per round)."""
    state = booted(n, "link")
    actions = link_actions(state)

    def cycle() -> Any:
        s = state
        for action in actions:
            s, result = step(s, action)
            assert not result.errno, (action, result)
        return s

    final = benchmark(cycle)
    assert final.dev(actions[0].device).ctx is None
    throughput(benchmark, messages=len(actions), devices=n)


@pytest.mark.parametrize("n", SIZES)
def test_sysfs_read(benchmark: Any, n: int) -> None:
    """Device attributes of the middle device: trust, authorized, tsm/lock, tsm/accept."""
    state = booted(n)
    name = state.topology.devices[n // 2].name
    paths = [f"{PCI_DEVICES}{name}/{attr}" for attr in
             ("trust", "authorized", "tsm/lock", "tsm/accept")]

    def read_all() -> int:
        return sum(len(sysfs_read(state, p)) for p in paths)

    benchmark(read_all)
    throughput(benchmark, messages=len(paths), devices=n)


@pytest.mark.parametrize("n", SIZES)
def test_boot(benchmark: Any, n: int) -> None:
    """``initial_state`` of a generated topology (per-device discovery and autoprobe)."""
    topology = generated_topology(n)
    benchmark(initial_state, topology, last_design())
    throughput(benchmark, messages=n, devices=n)
