# SPDX-License-Identifier: BSD-3-Clause
"""DMA decision table (§7.5, §9.11 #13), ioremap coverage (§7.3, #12), device accesses."""

from __future__ import annotations

from dataclasses import replace

import pytest

from devtrust.kernel.access import AccessOutcome, cpu_mmio, device_dma
from devtrust.kernel.actions import Accept, Buffer, Ioremap, Lock, SetTrust
from devtrust.kernel.boot import cc_vm_topology, initial_state
from devtrust.kernel.core import step
from devtrust.kernel.dma import DmaOutcome, dma_map, force_dma_unencrypted, is_swiotlb_force_bounce
from devtrust.kernel.iomem import MapMode, ioremap_mode, mmio_setup
from devtrust.kernel.levels import DmaScope
from devtrust.kernel.state import Topology
from devtrust.kernel.variants import DmaGranularity, last_design, v2
from devtrust.testing.kernel_helpers import ccvm_state, devsec_state, run

NIC = "0000:01:00.0"


def _topo(cc: bool, force: bool) -> Topology:
    t = cc_vm_topology(swiotlb_force=force)
    return Topology(t.devices, t.drivers, t.host_bridges, cc_guest=cc, swiotlb_force=force)


@pytest.mark.parametrize(("cc", "force", "accepted", "bounce", "unencrypted"), [
    (True, False, False, True, True),
    (True, False, True, False, False),
    (True, True, False, True, True),
    (True, True, True, True, False),
    (False, False, False, False, False),
    (False, False, True, False, False),
    (False, True, False, True, False),
    (False, True, True, True, False),
])
def test_swiotlb_and_force_dma_unencrypted_table(cc: bool, force: bool, accepted: bool,
                                                 bounce: bool, unencrypted: bool) -> None:
    state = initial_state(_topo(cc, force), v2())
    dev = replace(state.dev(NIC), cc_accepted=accepted)
    assert is_swiotlb_force_bounce(state, dev) is bounce
    assert force_dma_unencrypted(state, dev) is unencrypted


def test_d1_truncation_disables_bounce_unaccepted() -> None:
    state = initial_state(_topo(True, False), v2(bug_bounce_unaccepted_truncated=True))
    assert not is_swiotlb_force_bounce(state, state.dev(NIC))
    assert dma_map(state, state.dev(NIC), coherent=False, decrypted=False) \
        is DmaOutcome.DIRECT_PRIVATE


def test_dma_outcomes_per_mapping() -> None:
    state, _ = run(ccvm_state(), Lock(NIC, "tsm0"), Accept(NIC, "1"))
    blocked = state.dev(NIC)
    assert dma_map(state, blocked, coherent=False, decrypted=False) is DmaOutcome.ERROR
    state, _ = run(state, SetTrust(NIC, "4"))
    dev = state.dev(NIC)
    assert dma_map(state, dev, coherent=False, decrypted=False) is DmaOutcome.DIRECT_PRIVATE
    assert dma_map(state, dev, coherent=False, decrypted=True) is DmaOutcome.DIRECT_SHARED
    assert dma_map(state, dev, coherent=True, decrypted=False) is DmaOutcome.DIRECT_PRIVATE
    per_device = replace(state, variant=replace(state.variant,
                                                dma_granularity=DmaGranularity.PER_DEVICE))
    assert dma_map(per_device, dev, coherent=False, decrypted=True) is DmaOutcome.DIRECT_PRIVATE


def test_ioremap_coverage_rules() -> None:
    state, _ = run(devsec_state(), Lock("10000:01:00.0", "tsm1"), Accept("10000:01:00.0", "1"))
    base = 0x380002000000
    # Not a CC guest: any mapping touching the descriptor fails.
    assert ioremap_mode(state, "10000:01:00.0", base, 0x1000) is MapMode.FAIL
    cc = replace(state, topology=Topology(state.topology.devices, state.topology.drivers,
                                          state.topology.host_bridges, cc_guest=True))
    assert ioremap_mode(cc, "10000:01:00.0", base, 0x200000) is MapMode.ENCRYPTED
    assert ioremap_mode(cc, "10000:01:00.0", base + 0x1ff000, 0x2000) is MapMode.FAIL
    assert ioremap_mode(cc, "10000:01:00.1", 0x380002200000, 0x1000) is MapMode.PLAIN
    assert step(cc, Ioremap("10000:01:00.0", base, 0x100))[1].value == "encrypted"


def test_msix_hole_makes_whole_bar_ioremap_fail() -> None:
    """D22: a shared hole inside an encrypted BAR fails the whole-BAR coverage test."""
    state = ccvm_state()
    dev = state.dev(NIC)
    bar = state.spec(NIC).bars[0]
    err, dev = mmio_setup(state, NIC, dev, ((bar.start + 0x1000, bar.end),))
    assert err == 0
    state = state.with_device(NIC, dev)
    assert ioremap_mode(state, NIC, bar.start, bar.size) is MapMode.FAIL
    assert ioremap_mode(state, NIC, bar.start, 0x1000) is MapMode.PLAIN   # the hole stays shared
    assert ioremap_mode(state, NIC, bar.start + 0x1000, 0x1000) is MapMode.ENCRYPTED


def test_mmio_setup_all_or_nothing() -> None:
    state = ccvm_state()
    dev = state.dev(NIC)
    bar = state.spec(NIC).bars[0]
    err, same = mmio_setup(state, NIC, dev, ((bar.start, bar.end), (0x1000, 0x1fff)))
    assert err == 22 and same == dev


def test_refuse_encrypted_below_tcb() -> None:
    variant = replace(last_design(), refuse_encrypted_below_tcb=True)
    state, _ = run(ccvm_state(variant), Lock(NIC, "tsm0"), Accept(NIC, "1"), SetTrust(NIC, "1"))
    bar = state.spec(NIC).bars[0]
    assert ioremap_mode(state, NIC, bar.start, bar.size) is MapMode.FAIL
    relaxed, _ = run(ccvm_state(), Lock(NIC, "tsm0"), Accept(NIC, "1"), SetTrust(NIC, "1"))
    assert ioremap_mode(relaxed, NIC, bar.start, bar.size) is MapMode.ENCRYPTED


def test_device_initiated_accesses() -> None:
    state = ccvm_state()
    assert device_dma(state, NIC, Buffer.SHARED, False) is AccessOutcome.BLOCKED   # level 0
    state, _ = run(state, Lock(NIC, "tsm0"))
    assert device_dma(state, NIC, Buffer.PRIVATE, True) is AccessOutcome.FAULTED   # S18
    state, _ = run(state, Accept(NIC, "1"))
    assert device_dma(state, NIC, Buffer.PRIVATE, True) is AccessOutcome.BLOCKED   # B4
    state, _ = run(state, SetTrust(NIC, "4"))
    assert state.dev(NIC).iommu is DmaScope.PRIVATE
    assert device_dma(state, NIC, Buffer.PRIVATE, True) is AccessOutcome.ALLOWED
    assert device_dma(state, NIC, Buffer.PRIVATE, False) is AccessOutcome.BLOCKED
    assert device_dma(state, NIC, Buffer.SHARED, False) is AccessOutcome.ALLOWED
    bar = state.spec(NIC).bars[0]
    assert cpu_mmio(state, NIC, bar.start, True) is AccessOutcome.ALLOWED
    assert cpu_mmio(state, NIC, bar.start, False) is AccessOutcome.FAULTED
    assert cpu_mmio(state, "0000:00:04.0", 0xFE00_0000, True) is AccessOutcome.FAULTED
    assert cpu_mmio(state, "0000:00:04.0", 0xFE00_0000, False) is AccessOutcome.ALLOWED
