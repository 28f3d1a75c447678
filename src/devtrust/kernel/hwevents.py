# SPDX-License-Identifier: BSD-3-Clause
"""Hardware events the kernel did not initiate: TDISP ERROR, SPDM/IDE loss, firmware update.

Leaving RUN auto-resets the level and revokes DMA before anything else runs
(S8, I25) unless the variant is v2, which has no ERROR handling (§3.1).
"""

from __future__ import annotations

import errno
from dataclasses import replace

from devtrust.kernel.actions import HwEvent, HwKind, Result
from devtrust.kernel.events import Event
from devtrust.kernel.pci_tsm import drop_link_locked
from devtrust.kernel.state import ContextKind, KernelState, TdiState
from devtrust.kernel.trust import leave_run_locked, recheck_provider_locked

__all__ = ["hw_event_apply", "hw_event_check"]

_TDISP_ACTIVE = (TdiState.LOCKED, TdiState.RUN)


def hw_event_check(state: KernelState, a: HwEvent) -> int:
    """Whether the event can happen in the current hardware state.

    Context: interrupt / TSM notification path, not a userspace call.
    Return: EINVAL (the event makes no sense here: ERROR of an unlocked interface,
    link loss without a link, refresh without a context).
    """
    dev = state.dev(a.device)
    spec = state.spec(a.device)
    match a.kind:
        case HwKind.ERROR | HwKind.FW_UPDATE:
            ok = dev.tdi in _TDISP_ACTIVE
        case HwKind.SPDM_LOSS | HwKind.IDE_LOSS:
            ok = dev.link_secure or dev.tdi in _TDISP_ACTIVE
        case HwKind.IDE_RESTORED:
            ok = (not dev.link_secure and spec.has_ide and dev.ctx is not None
                  and dev.ctx.kind is not ContextKind.DEVSEC)
        case HwKind.EVIDENCE_REFRESH:
            ok = dev.ctx is not None
    return 0 if ok else errno.EINVAL


def hw_event_apply(state: KernelState, a: HwEvent) -> tuple[KernelState, Result]:
    dev = state.dev(a.device)
    events: tuple[Event, ...] = ()
    if a.kind is HwKind.EVIDENCE_REFRESH:
        assert dev.ctx is not None
        ev = dev.ctx.evidence
        fresh = a.evidence if a.evidence is not None else ev
        # The kernel's generation only moves forward, whatever the TSM numbers.
        ctx = replace(dev.ctx, evidence=replace(fresh, generation=ev.generation + 1))
        return state.with_device(a.device, replace(dev, ctx=ctx)), Result()
    if a.kind is HwKind.IDE_RESTORED:
        return state.with_device(a.device, replace(dev, link_secure=True)), Result()
    if a.kind in (HwKind.SPDM_LOSS, HwKind.IDE_LOSS) and dev.link_secure:
        dev, events = drop_link_locked(state, a.device, dev)
    if dev.tdi in _TDISP_ACTIVE:
        if dev.ctx is not None and a.kind is HwKind.FW_UPDATE:
            ev = dev.ctx.evidence
            dev = replace(dev, ctx=replace(dev.ctx, evidence=replace(
                ev, generation=ev.generation + 1)))
        dev, more = leave_run_locked(state, a.device, dev, TdiState.ERROR, a.kind.value)
        events += more
        dev, more = recheck_provider_locked(state, a.device, dev, a.kind.value)
        events += more
    return state.with_device(a.device, dev), Result(events=events)
