# SPDX-License-Identifier: BSD-3-Clause
"""RuleBasedStateMachine over the core under each preset variant (few examples)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from devtrust.kernel.boot import cc_vm_topology, devsec_topology
from devtrust.kernel.variants import Variant, presets
from devtrust.testing.kernel_machine import kernel_machine

FAST = settings(max_examples=12, stateful_step_count=25, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("variant", presets(), ids=lambda v: v.name)
@pytest.mark.parametrize("topology", [cc_vm_topology, devsec_topology],
                         ids=["ccvm", "devsec"])
def test_invariants_hold_after_every_step(variant: Variant, topology: object) -> None:
    machine = kernel_machine(variant, topology())  # type: ignore[operator]
    machine.TestCase.settings = FAST
    machine.TestCase().runTest()
