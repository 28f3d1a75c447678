# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for kernel-model tests: apply a list of actions, build common states."""

from __future__ import annotations

from devtrust.kernel.actions import Action, RegisterTsm, Result
from devtrust.kernel.boot import cc_vm_topology, devsec_topology, initial_state
from devtrust.kernel.core import step
from devtrust.kernel.state import KernelState
from devtrust.kernel.variants import Variant, last_design, v2

__all__ = ["ccvm_state", "devsec_state", "run"]


def run(state: KernelState, *actions: Action) -> tuple[KernelState, Result]:
    """Apply actions in order; every one but the last must succeed."""
    result = Result()
    for i, action in enumerate(actions):
        state, result = step(state, action)
        if i < len(actions) - 1:
            assert result.errno == 0, (action, result)
    return state, result


def devsec_state(variant: Variant | None = None) -> KernelState:
    """devsec topology with the link TSM as tsm0 and the devsec TSM as tsm1."""
    state = initial_state(devsec_topology(), variant or v2())
    state, _ = run(state, RegisterTsm("link"), RegisterTsm("devsec"))
    return state


def ccvm_state(variant: Variant | None = None, **kw: bool) -> KernelState:
    """CC VM topology with the devsec TSM as tsm0."""
    state = initial_state(cc_vm_topology(**kw), variant or last_design())
    state, _ = run(state, RegisterTsm("devsec"))
    return state
