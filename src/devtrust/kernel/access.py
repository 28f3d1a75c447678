# SPDX-License-Identifier: BSD-3-Clause
"""Device-initiated DMA and CPU MMIO attempts: allowed, blocked or faulted.

These make the safety properties observable: a device at level 0 cannot reach
memory, a LOCKED device's T=1 traffic faults (S18), private memory is reachable
only at TCB in RUN (S4), T=1 MMIO only reaches RUN devices' TEE ranges.
"""

from __future__ import annotations

from enum import Enum

from devtrust.kernel.actions import Buffer
from devtrust.kernel.levels import DmaScope
from devtrust.kernel.state import KernelState, TdiState
from devtrust.kernel.variants import DmaGranularity

__all__ = ["AccessOutcome", "cpu_mmio", "device_dma"]


class AccessOutcome(Enum):
    ALLOWED = "allowed"
    BLOCKED = "blocked"   # the IOMMU (or page tables) refuses it
    FAULTED = "faulted"   # the TSM / secure IOMMU rejects the TLP (TDISP violation)


def device_dma(state: KernelState, name: str, target: Buffer, t_bit: bool) -> AccessOutcome:
    """The device issues a DMA write to ``target`` memory with or without the TEE bit."""
    dev = state.dev(name)
    if t_bit and dev.tdi is not TdiState.RUN:
        # LOCKED/UNLOCKED/ERROR interfaces may not emit T=1 (S18, I18).
        return AccessOutcome.FAULTED
    if dev.iommu is DmaScope.NONE:
        return AccessOutcome.BLOCKED
    cc = state.topology.cc_guest
    if target is Buffer.PRIVATE and cc:
        if t_bit and dev.iommu is DmaScope.PRIVATE:
            return AccessOutcome.ALLOWED
        return AccessOutcome.BLOCKED
    # Shared (or non-CC) memory.
    if (cc and dev.iommu is DmaScope.PRIVATE
            and state.variant.dma_granularity is DmaGranularity.PER_DEVICE):
        # V14 (a): a whole-device private switch (AMD sDTE) locks RUN devices to private.
        return AccessOutcome.BLOCKED
    return AccessOutcome.ALLOWED


def cpu_mmio(state: KernelState, name: str, addr: int, t_bit: bool) -> AccessOutcome:
    """The CPU touches the device's MMIO at ``addr`` with T=1 (encrypted) or T=0."""
    spec = state.spec(name)
    dev = state.dev(name)
    if not any(b.is_memory and b.size and b.start <= addr <= b.end for b in spec.bars):
        return AccessOutcome.BLOCKED
    in_tee = any(s <= addr <= e for s, e in dev.encrypted)
    if t_bit:
        if dev.tdi is not TdiState.RUN or not in_tee:
            return AccessOutcome.FAULTED
        return AccessOutcome.ALLOWED
    if dev.tdi is TdiState.RUN and in_tee:
        # T=0 access to a TEE range of a RUN interface is rejected by the device.
        return AccessOutcome.FAULTED
    return AccessOutcome.ALLOWED
