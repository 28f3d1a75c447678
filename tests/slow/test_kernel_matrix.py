# SPDX-License-Identifier: BSD-3-Clause
"""The kernel model's variant matrix: longer stateful runs under many variant combinations."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, settings

from devtrust.kernel.boot import cc_vm_topology, devsec_topology
from devtrust.kernel.levels import LevelSet
from devtrust.kernel.variants import (
    AttachGate,
    BootDefault,
    Consistency,
    DmaGranularity,
    EvidenceBinding,
    FlagRelation,
    Unblock,
    Variant,
    last_design,
    presets,
)
from devtrust.testing.kernel_machine import kernel_machine

pytestmark = pytest.mark.slow



SLOW = settings(max_examples=60, stateful_step_count=50, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def _matrix() -> list[Variant]:
    """The presets plus every single-axis change from the last design state (03-26)."""
    base = last_design()
    out = list(presets())
    axes: dict[str, tuple[object, ...]] = {
        "levels": tuple(LevelSet), "consistency": tuple(Consistency),
        "attach_gate": tuple(AttachGate), "boot_default": tuple(BootDefault),
        "evidence_binding": tuple(EvidenceBinding), "synchronous": (False,),
        "refuse_encrypted_below_tcb": (True,), "unbound_implies_zero": (True,),
        "lower_on_link_withdrawal": (False,), "flags": tuple(FlagRelation),
        "dma_granularity": tuple(DmaGranularity), "unblock": tuple(Unblock),
        "level_names": (True,),
    }
    for field, values in axes.items():
        for value in values:
            if getattr(base, field) != value:
                name = f"last-{field}-{getattr(value, 'value', value)}"
                out.append(replace(base, name=name, **{field: value}))
    out.append(replace(presets()[3], name="dan-b2-relaxed", consistency=Consistency.RELAXED))
    return out


@pytest.mark.parametrize("variant", _matrix(), ids=lambda v: v.name)
@pytest.mark.parametrize("topology", [cc_vm_topology, devsec_topology], ids=["ccvm", "devsec"])
def test_matrix(variant: Variant, topology: object) -> None:
    machine = kernel_machine(variant, topology())  # type: ignore[operator]
    machine.TestCase.settings = SLOW
    machine.TestCase().runTest()
