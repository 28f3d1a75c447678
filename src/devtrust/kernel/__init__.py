# SPDX-License-Identifier: BSD-3-Clause
"""devtrust.kernel: a pure, deterministic model of the Linux kernel side of device trust.

``step(state, action) -> (state, Result)`` (:mod:`devtrust.kernel.core`) covers
device trust levels, PCI/TSM connect/lock/accept/unlock, the IOMMU trust
responder, DMA API outcomes, encrypted MMIO and ioremap, driver binding and
autoprobe, under a :class:`~devtrust.kernel.variants.Variant`. The virtual
sysfs (:mod:`devtrust.kernel.sysfs`) maps kernel paths onto it; invariants
S1..S24 live in :mod:`devtrust.kernel.invariants`. See docs/kernel-model.md.
Nothing here does I/O, reads the clock, uses randomness or logs.
"""

__all__: list[str] = []
