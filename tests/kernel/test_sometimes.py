# SPDX-License-Identifier: BSD-3-Clause
"""STYLE 19: every S1..S24 sometimes-partner is reached (random walks + directed flows)."""

from __future__ import annotations

import random

from devtrust.kernel.actions import (
    Accept,
    Connect,
    LoadModule,
    Lock,
    RegisterTsm,
    SetTrust,
    UserValidate,
)
from devtrust.kernel.boot import cc_vm_topology, devsec_topology, initial_state
from devtrust.kernel.core import step
from devtrust.kernel.enabled import enabled_actions
from devtrust.kernel.sometimes import SOMETIMES, reached
from devtrust.kernel.state import KernelState
from devtrust.kernel.variants import last_design
from devtrust.testing.kernel_helpers import ccvm_state


def _directed() -> list[KernelState]:
    nic = "0000:01:00.0"
    out = []
    state = ccvm_state()
    for action in (Lock(nic, "tsm0"), UserValidate(nic, 1), Accept(nic, "1"),
                   SetTrust(nic, "4"), LoadModule("mlx5_core", "1")):
        state, result = step(state, action)
        assert result.errno == 0, action
        out.append(state)
    link = initial_state(devsec_topology(), last_design())
    for action in (RegisterTsm("link"), Connect("10000:01:00.0", "tsm0"),
                   SetTrust("10000:01:00.0", "3")):
        link, result = step(link, action)
        out.append(link)
    return out


def test_every_sometimes_property_is_reached() -> None:
    hit: set[str] = set()
    for state in _directed():
        hit |= reached(state)
    for seed in range(120):
        rng = random.Random(seed)
        state = initial_state(cc_vm_topology() if seed % 2 else devsec_topology(), last_design())
        for _ in range(30):
            hit |= reached(state)
            state, _ = step(state, rng.choice(enabled_actions(state)))
    assert hit == set(SOMETIMES), sorted(set(SOMETIMES) - hit)
