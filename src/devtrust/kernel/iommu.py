# SPDX-License-Identifier: BSD-3-Clause
"""IOMMU domains per device and the trust responder (trust-model.md §5 B1/B4, V5, V6).

Domains are ordered by privilege (:class:`~devtrust.kernel.levels.DmaScope`):
blocked, strict shared, relaxed shared, private-capable. The shared part always
follows the level (S2: level 0 is blocked from IOMMU attach). Private memory is
opened either by the bus callback together with RUN (V5 a) or by the responder
when the level is TCB and the TSM reports RUN (V5 b). Under V6 (b) the responder
runs later, in an :class:`~devtrust.kernel.actions.IommuSync` step.
"""

from __future__ import annotations

from dataclasses import replace

from devtrust.kernel.levels import DmaScope, permissions
from devtrust.kernel.state import DeviceState, TdiState
from devtrust.kernel.variants import Unblock, Variant

__all__ = ["bus_unblock_private", "private_dma_allowed", "respond", "sync", "target_domain"]


def target_domain(variant: Variant, dev: DeviceState) -> tuple[DmaScope, bool]:
    """The domain and ATS state the level (and, for V5 b, the TDISP state) call for."""
    perms = permissions(variant.levels, dev.level)
    scope = min(perms.dma, DmaScope.RELAXED_SHARED)
    if perms.dma is DmaScope.PRIVATE:
        if variant.unblock is Unblock.IOMMU_RESPONDER:
            if dev.tdi is TdiState.RUN:
                scope = DmaScope.PRIVATE
        elif dev.iommu is DmaScope.PRIVATE:
            # Bus-callback design: private stays open until the trust core revokes it.
            scope = DmaScope.PRIVATE
    return scope, perms.ats


def respond(variant: Variant, dev: DeviceState) -> DeviceState:
    """Context: device lock held; called after every level change.

    Installs the domain for the current level, or, under V6 (b), only marks the
    responder as pending (the grant or the revocation lags the published level).
    """
    scope, ats = target_domain(variant, dev)
    if scope == dev.iommu and ats == dev.ats:
        return replace(dev, iommu_pending=False)
    if not variant.synchronous:
        return replace(dev, iommu_pending=True)
    return replace(dev, iommu=scope, ats=ats, iommu_pending=False)


def sync(variant: Variant, dev: DeviceState) -> DeviceState:
    """The deferred responder runs (V6 b)."""
    scope, ats = target_domain(variant, dev)
    return replace(dev, iommu=scope, ats=ats, iommu_pending=False)


def bus_unblock_private(dev: DeviceState) -> DeviceState:
    """B1/B2: the TSM-local "unblock DMA to private memory" performed with RUN."""
    return replace(dev, iommu=DmaScope.PRIVATE)


def private_dma_allowed(dev: DeviceState) -> bool:
    """Hardware and IOMMU together: T=1 DMA to private memory would be accepted."""
    return dev.iommu is DmaScope.PRIVATE and dev.tdi is TdiState.RUN

