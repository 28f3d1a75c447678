# SPDX-License-Identifier: BSD-3-Clause
"""DMA API outcomes per mapping: swiotlb bounce, direct shared, direct private (§7.5).

Mirrors ``is_swiotlb_force_bounce()`` and ``force_dma_unencrypted()`` as
changed by v2 patches 10 and 11, with the D1 truncation bug as a variant flag,
and the V14 choice between a per-device flag and a per-mapping "decrypted"
attribute.
"""

from __future__ import annotations

from enum import Enum

from devtrust.kernel.levels import DmaScope
from devtrust.kernel.state import DeviceState, KernelState
from devtrust.kernel.variants import DmaGranularity

__all__ = ["DmaOutcome", "dma_map", "force_dma_unencrypted", "is_swiotlb_force_bounce",
           "swiotlb_pool"]


class DmaOutcome(Enum):
    BOUNCE = "bounce"                  # through the shared swiotlb pool
    DIRECT_SHARED = "direct-shared"    # decrypted / plain memory, no bounce
    DIRECT_PRIVATE = "direct-private"  # CC private memory, device must be T=1
    ERROR = "error"                    # DMA_MAPPING_ERROR: the IOMMU blocks the device


def swiotlb_pool(state: KernelState) -> tuple[bool, bool, bool]:
    """(device has a pool, force_bounce, bounce_unaccepted) after ``pci_swiotlb_detect()``.

    In a CC guest swiotlb is set up with SWIOTLB_UNACCEPTED (value 8); the D1 bug
    stores it into a 1-bit field, which truncates to 0.
    """
    topo = state.topology
    has_pool = topo.cc_guest or topo.swiotlb_force
    unaccepted = topo.cc_guest
    if state.variant.bug_bounce_unaccepted_truncated:
        unaccepted = bool((8 if unaccepted else 0) & 1)
    return has_pool, topo.swiotlb_force, unaccepted


def is_swiotlb_force_bounce(state: KernelState, dev: DeviceState) -> bool:
    """No pool -> no; force_bounce -> yes; bounce_unaccepted and not accepted -> yes."""
    has_pool, force, unaccepted = swiotlb_pool(state)
    if not has_pool:
        return False
    if force:
        return True
    return unaccepted and not dev.cc_accepted


def force_dma_unencrypted(state: KernelState, dev: DeviceState) -> bool:
    """x86 CC guest: coherent memory must be decrypted unless the device is accepted."""
    return state.topology.cc_guest and not dev.cc_accepted


def dma_map(state: KernelState, dev: DeviceState, *, coherent: bool,
            decrypted: bool) -> DmaOutcome:
    """Outcome of one mapping of a driver buffer (private unless ``decrypted``)."""
    if dev.iommu is DmaScope.NONE:
        return DmaOutcome.ERROR
    cc = state.topology.cc_guest
    per_mapping = state.variant.dma_granularity is DmaGranularity.PER_MAPPING
    if coherent:
        if force_dma_unencrypted(state, dev) or (decrypted and per_mapping):
            return DmaOutcome.DIRECT_SHARED
        return DmaOutcome.DIRECT_PRIVATE if cc else DmaOutcome.DIRECT_SHARED
    if is_swiotlb_force_bounce(state, dev):
        return DmaOutcome.BOUNCE
    if not cc:
        return DmaOutcome.DIRECT_SHARED
    if dev.cc_accepted:
        if decrypted and per_mapping:
            return DmaOutcome.DIRECT_SHARED
        return DmaOutcome.DIRECT_PRIVATE
    # Not bounced and not accepted in a CC guest: only reachable with the D1 bug;
    # the buffer is private and the T=0 device is handed its address directly.
    return DmaOutcome.DIRECT_SHARED if decrypted else DmaOutcome.DIRECT_PRIVATE
