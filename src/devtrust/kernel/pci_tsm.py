# SPDX-License-Identifier: BSD-3-Clause
"""PCI/TSM device operations: lock/accept/unlock (devsec) and connect/disconnect/bind (link).

Each operation is a ``*_check`` (the kernel's prechecks, in kernel check order,
returning an errno, :class:`NeedsProvider` or :class:`Ready`) and a ``*_apply``
(applies the provider's reply). ``core.step`` always runs the check first, so
the errno order lives here only. The two review bugs are fixed unless the
variant asks for them: accept on a RUN device is refused (EBUSY) without side
effects, and unlock of a never-accepted device is safe.
"""

from __future__ import annotations

import errno
from dataclasses import replace
from itertools import compress
from operator import attrgetter

from devtrust.kernel import iommu
from devtrust.kernel.actions import (
    Accept,
    Connect,
    Disconnect,
    GuestReq,
    Lock,
    NeedsProvider,
    Ready,
    Result,
    TsmBind,
    TsmUnbind,
    Unlock,
)
from devtrust.kernel.events import Event
from devtrust.kernel.iomem import encrypted_entries, mmio_setup, mmio_teardown
from devtrust.kernel.levels import DmaScope, tcb_level
from devtrust.kernel.parse import kstrtobool, parse_tsm_name
from devtrust.kernel.state import (
    ContextKind,
    DeviceState,
    KernelState,
    TdiState,
    TsmContext,
    TsmMode,
)
from devtrust.kernel.trust import (
    leave_run_locked,
    parse_generation,
    publish_level_locked,
    recheck_provider_locked,
    v2_level,
)
from devtrust.kernel.variants import EvidenceBinding, RunDriver, Unblock
from devtrust.kernel.visibility import tsm_attr_visible

__all__ = [
    "PCI_TSM_REQ_STATE_CHANGE",
    "accept_apply", "accept_check", "connect_apply", "connect_check", "disconnect_apply",
    "disconnect_check", "disconnect_locked", "drop_link_locked", "guest_req_apply",
    "guest_req_check",
    "lock_apply", "lock_check", "tsm_bind_apply", "tsm_bind_check", "tsm_unbind_apply",
    "unlock_apply", "unlock_check", "unlock_locked",
]

PCI_TSM_REQ_STATE_CHANGE = 1  # highest guest request scope (INFO = 0)

Check = int | NeedsProvider | Ready
_CTX = attrgetter("ctx")


def _owner_matches(ctx: TsmContext, text: str) -> bool:
    """``sysfs_streq``: equal up to one trailing newline."""
    return text.removesuffix("\n") == ctx.tsm


def _claim_check(state: KernelState, device: str, attr: str, name: str, mode: TsmMode) -> int:
    """The checks ``tsm/lock`` and ``tsm/connect`` share, in kernel order: ENOENT
    (attribute not visible), EINVAL (not "tsm<N>"), EBUSY (the device already holds a
    TSM context), ENXIO (tsmN absent or of the other mode); 0 when all pass."""
    if not tsm_attr_visible(state, device, attr):
        return errno.ENOENT
    if parse_tsm_name(name) is None:
        return errno.EINVAL
    if state.dev(device).ctx is not None:
        return errno.EBUSY
    tsm = state.tsm(name.strip())
    if tsm is None or tsm.mode is not mode:
        return errno.ENXIO
    return 0


# ---------------------------------------------------------------- devsec (guest) side


def lock_check(state: KernelState, a: Lock) -> Check:
    """Write "tsmN" to ``tsm/lock``: UNLOCKED -> LOCKED.

    Context: ``pci_tsm_rwsem`` held for write, then the device lock (userspace sysfs).
    Return: ENOENT (attribute not visible), EINVAL (not "tsm<N>"), EBUSY (device
    has a TSM context), ENXIO (tsmN absent or not devsec), EBUSY (driver bound),
    then the TSM ``lock()`` errno.
    """
    err = _claim_check(state, a.device, "lock", a.tsm, TsmMode.DEVSEC)
    if err:
        return err
    dev = state.dev(a.device)
    if dev.driver is not None:
        return errno.EBUSY
    return NeedsProvider("lock", a.device, a.tsm.strip())


def lock_apply(state: KernelState, a: Lock) -> tuple[KernelState, Result]:
    if a.reply:
        return state, Result(a.reply)
    dev = state.dev(a.device)
    if dev.tdi is not TdiState.UNLOCKED:
        state = state.violate(f"lock: {a.device} hardware state {dev.tdi.value}, not UNLOCKED")
    ctx = TsmContext(ContextKind.DEVSEC, a.tsm.strip(), evidence=a.evidence, report=a.report)
    dev = replace(dev, ctx=ctx, tdi=TdiState.LOCKED)
    return state.with_device(a.device, dev), Result()


def accept_check(state: KernelState, a: Accept) -> Check:
    """Write a true boolean to ``tsm/accept``: LOCKED -> RUN.

    Context: ``pci_tsm_rwsem`` held for read, then the device lock (userspace sysfs).
    Return: ENOENT (attribute not visible), EINVAL (not a boolean), EINVAL (false:
    no unaccept verb), EINVAL (no TSM context), EINVAL (context is not a devsec
    context), EBUSY (driver bound), EBUSY (already accepted / RUN), EINVAL / ESTALE
    (V10 T1/T2 generation missing / moved), then the TSM ``accept()`` errno
    (including EINVAL / EBUSY from ``pci_tsm_mmio_setup()``).
    """
    if not tsm_attr_visible(state, a.device, "accept"):
        return errno.ENOENT
    text, given = parse_generation(a.value)
    value = kstrtobool(text)
    if value is None or not value:
        return errno.EINVAL
    dev = state.dev(a.device)
    if dev.ctx is None or dev.ctx.kind is not ContextKind.DEVSEC:
        return errno.EINVAL
    if dev.driver is not None:
        return errno.EBUSY
    if (dev.cc_accepted or dev.tdi is TdiState.RUN) and not state.variant.bug_double_accept:
        return errno.EBUSY
    binding = state.variant.evidence_binding
    current = dev.ctx.evidence.generation
    if binding is EvidenceBinding.GENERATION_INTO_ACCEPT:
        if given is None:
            return errno.EINVAL
        if given != current:
            return errno.ESTALE
    elif binding is EvidenceBinding.VALIDATE_COMMAND and dev.validated_generation != current:
        return errno.ESTALE
    return NeedsProvider("accept", a.device, dev.ctx.tsm)


def accept_apply(state: KernelState, a: Accept) -> tuple[KernelState, Result]:
    if a.reply:
        return state, Result(a.reply)
    dev = state.dev(a.device)
    assert dev.ctx is not None
    entries = encrypted_entries(state, a.device, dev.ctx.report)
    if entries is None:
        return state, Result(errno.EINVAL)   # pci_tsm_mmio_alloc() returned NULL
    err, dev = mmio_setup(state, a.device, dev, entries)
    if err:
        return state, Result(err)
    if dev.tdi is not TdiState.LOCKED and not state.variant.bug_double_accept:
        state = state.violate(f"accept: {a.device} hardware state {dev.tdi.value}, not LOCKED")
    if a.run:
        dev = replace(dev, tdi=TdiState.RUN)
    dev = replace(dev, accept_generation=dev.ctx.evidence.generation if dev.ctx else 0,
                  accept_validated=dev.validated_generation)
    variant = state.variant
    events: tuple[Event, ...] = ()
    if variant.unblock is Unblock.BUS_CALLBACK:
        dev = iommu.bus_unblock_private(dev)
    if variant.run_driver is RunDriver.ACCEPT_CALLBACK:
        dev = replace(dev, cc_accepted=True)
        if not variant.has_trust_attr:
            top = tcb_level(variant.levels)
            dev = replace(dev, acked=top)
            dev, events = publish_level_locked(state, a.device, dev, top, "accept")
    elif variant.unblock is Unblock.IOMMU_RESPONDER:
        # B3 + B4: RUN is reached but the IOMMU keeps private memory closed until
        # the trust write (the device may sit in RUN, blocked).
        dev = iommu.respond(variant, dev)
    return state.with_device(a.device, dev), Result(events=events)


def unlock_check(state: KernelState, a: Unlock) -> Check:
    """Write the owning TSM's name to ``tsm/unlock``: LOCKED/RUN/ERROR -> UNLOCKED.

    Context: ``pci_tsm_rwsem`` held for write, then the device lock (userspace sysfs).
    Return: ENOENT (attribute not visible), EINVAL (no TSM context), EINVAL (name
    differs from the owner), EINVAL (context is not a devsec context), EBUSY
    (driver bound). The TSM ``unlock()`` cannot fail.
    """
    if not tsm_attr_visible(state, a.device, "unlock"):
        return errno.ENOENT
    dev = state.dev(a.device)
    if dev.ctx is None:
        return errno.EINVAL
    if not _owner_matches(dev.ctx, a.tsm) or dev.ctx.kind is not ContextKind.DEVSEC:
        return errno.EINVAL
    if dev.driver is not None:
        return errno.EBUSY
    return NeedsProvider("unlock", a.device, dev.ctx.tsm)


def unlock_locked(state: KernelState, name: str, reason: str
                  ) -> tuple[KernelState, tuple[Event, ...]]:
    """Internal unlock: reject, TSM unlock (with MMIO teardown), clear the context.

    Context: ``pci_tsm_rwsem`` held for write and the device lock held; callers are
    the unlock store, TSM unregistration and device removal. A bound driver makes
    it warn and do nothing (D15).
    """
    dev = state.dev(name)
    ctx = dev.ctx
    if dev.driver is not None or ctx is None:
        return state, ()
    variant = state.variant
    dev = replace(dev, cc_accepted=False)   # device_cc_reject() before the TSM unlocks (I7)
    if not dev.encrypted and variant.bug_unlock_never_accepted:
        # D10: the sample tears down a NULL descriptor array.
        return state.violate(f"unlock: NULL mmio dereference on {name} (D10)"), ()
    per_accept = len(encrypted_entries(state, name, ctx.report) or ())
    dev = mmio_teardown(dev, per_accept if variant.bug_double_accept else None)
    dev, events = leave_run_locked(state, name, replace(dev, ctx=None), TdiState.UNLOCKED, reason)
    if dev.iommu is DmaScope.PRIVATE and variant.unblock is Unblock.BUS_CALLBACK:
        # The TSM's unlock re-blocks private DMA together with leaving RUN.
        dev, more = publish_level_locked(state, name, replace(dev, iommu=DmaScope.NONE),
                                         dev.level, reason)
        events += more
    if not variant.has_trust_attr and dev.level == tcb_level(variant.levels):
        level = v2_level(state.topology.cc_guest, False, dev.level)
        dev, more = publish_level_locked(state, name, dev, level, reason)
        events += more
    dev, more = recheck_provider_locked(state, name, dev, reason)
    return state.with_device(name, dev), events + more


def unlock_apply(state: KernelState, a: Unlock) -> tuple[KernelState, Result]:
    state, events = unlock_locked(state, a.device, "unlock")
    return state, Result(events=events)


# ---------------------------------------------------------------- link (host) side


def connect_check(state: KernelState, a: Connect) -> Check:
    """Write "tsmN" to ``tsm/connect`` on PF0: SPDM session and IDE.

    Context: ``pci_tsm_rwsem`` held for write, then the PF0 mutex (userspace sysfs).
    Return: ENOENT (attribute not visible), EINVAL (not "tsm<N>"), EBUSY (context
    exists), ENXIO (tsmN absent or not link), ENXIO (TSM probe returned NULL: no
    CMA DOE mailbox), then the TSM ``connect()`` errno (EBUSY: no free stream).
    """
    err = _claim_check(state, a.device, "connect", a.tsm, TsmMode.LINK)
    if err:
        return err
    if not state.spec(a.device).has_doe:
        return errno.ENXIO
    return NeedsProvider("connect", a.device, a.tsm.strip())


def connect_apply(state: KernelState, a: Connect) -> tuple[KernelState, Result]:
    if a.reply:
        return state, Result(a.reply)   # the probed context is removed again
    spec = state.spec(a.device)
    used = state.used_streams(spec.host_bridge)
    bridge = next(h for h in state.topology.host_bridges if h.name == spec.host_bridge)
    free = [i for i in range(bridge.nr_streams) if i not in used]
    if not free:
        return state, Result(errno.EBUSY)
    tsm = a.tsm.strip()
    state = state.with_streams(spec.host_bridge, (*used, free[0]))
    dev = state.dev(a.device)
    ctx = TsmContext(ContextKind.PF0, tsm, dsm=a.device, stream=free[0], evidence=a.evidence)
    state = state.with_device(a.device, replace(dev, ctx=ctx, link_secure=spec.has_ide))
    if spec.has_tee:
        topology = state.topology
        for other in (topology.devices[i] for i in topology.slot_members[spec.slot]):
            if other.name != a.device:
                odev = state.dev(other.name)
                if odev.ctx is None:
                    octx = TsmContext(ContextKind.FUNCTION, tsm, dsm=a.device)
                    state = state.with_device(other.name, replace(
                        odev, ctx=octx, link_secure=spec.has_ide))
    return state, Result()


def disconnect_check(state: KernelState, a: Disconnect) -> Check:
    """Write the TSM name to ``tsm/disconnect`` on PF0.

    Context: ``pci_tsm_rwsem`` held for write (userspace sysfs).
    Return: ENOENT (attribute not visible), ENXIO (no context), EINVAL (name
    mismatch), ENXIO (context is not a PF0 link context). Disconnect cannot fail
    afterwards.
    """
    if not tsm_attr_visible(state, a.device, "disconnect"):
        return errno.ENOENT
    dev = state.dev(a.device)
    if dev.ctx is None:
        return errno.ENXIO
    if not _owner_matches(dev.ctx, a.tsm):
        return errno.EINVAL
    if dev.ctx.kind is not ContextKind.PF0:
        return errno.ENXIO
    return NeedsProvider("disconnect", a.device, dev.ctx.tsm)


def drop_link_locked(state: KernelState, name: str, dev: DeviceState
                     ) -> tuple[DeviceState, tuple[Event, ...]]:
    """Link security is gone: V12 (b) lowers a level the link provider backed."""
    return recheck_provider_locked(state, name, replace(dev, link_secure=False),
                                   "link security withdrawn")


def disconnect_locked(state: KernelState, name: str) -> tuple[KernelState, tuple[Event, ...]]:
    """Unbind every TDI, drop dependent contexts, release the stream, drop PF0's context.

    Context: ``pci_tsm_rwsem`` held for write; PF0 mutex taken inside.
    """
    spec = state.spec(name)
    events: tuple[Event, ...] = ()
    # Only devices holding a context can depend on this PF0; the filter runs in C, and
    # the loop below changes each visited device only, so it is taken from the start state.
    holders = list(compress(state.topology.devices, map(_CTX, state.devices)))
    for other in reversed(holders):
        odev = state.dev(other.name)
        if other.name != name and odev.ctx is not None and odev.ctx.dsm == name \
                and odev.ctx.kind is ContextKind.FUNCTION:
            odev, ev = drop_link_locked(state, other.name, replace(odev, ctx=None))
            state, events = state.with_device(other.name, odev), events + ev
    dev = state.dev(name)
    if dev.ctx is not None and dev.ctx.stream is not None:
        used = tuple(s for s in state.used_streams(spec.host_bridge) if s != dev.ctx.stream)
        state = state.with_streams(spec.host_bridge, used)
    dev, ev = drop_link_locked(state, name, replace(dev, ctx=None))
    return state.with_device(name, dev), events + ev


def disconnect_apply(state: KernelState, a: Disconnect) -> tuple[KernelState, Result]:
    state, events = disconnect_locked(state, a.device)
    return state, Result(events=events)


def tsm_bind_check(state: KernelState, a: TsmBind) -> Check:
    """``pci_tsm_bind(pdev, kvm, tdi_id)``.

    Context: ``pci_tsm_rwsem`` held for read and the PF0 mutex; caller is VFIO /
    IOMMUFD (the sample's ``tsm_bind`` file).
    Return: EINVAL (kvm NULL or no context), ENXIO (context not a link TSM's),
    EBUSY (bound to another kvm), then the TSM ``bind()`` errno.
    """
    dev = state.dev(a.device)
    if a.kvm is None or dev.ctx is None:
        return errno.EINVAL
    if dev.ctx.kind is ContextKind.DEVSEC:
        return errno.ENXIO
    if dev.ctx.kvm is not None:
        return Ready() if dev.ctx.kvm == a.kvm else errno.EBUSY
    return NeedsProvider("bind", a.device, dev.ctx.tsm)


def tsm_bind_apply(state: KernelState, a: TsmBind) -> tuple[KernelState, Result]:
    dev = state.dev(a.device)
    if a.reply:
        return state, Result(a.reply)
    assert dev.ctx is not None
    return state.with_device(a.device, replace(dev, ctx=replace(dev.ctx, kvm=a.kvm))), Result()


def tsm_unbind_apply(state: KernelState, a: TsmUnbind) -> tuple[KernelState, Result]:
    """``pci_tsm_unbind()``: always succeeds; no-op when nothing is bound."""
    dev = state.dev(a.device)
    if dev.ctx is None or dev.ctx.kvm is None:
        return state, Result()
    return state.with_device(a.device, replace(dev, ctx=replace(dev.ctx, kvm=None))), Result()


def guest_req_check(state: KernelState, a: GuestReq) -> Check:
    """``pci_tsm_guest_req(pdev, scope, ...)``.

    Context: ``pci_tsm_rwsem`` held for read; caller is the VMM relaying a guest request.
    Return: EINVAL (scope above STATE_CHANGE), ENXIO (no context, not a link TSM,
    or no TDI bound), then the TSM ``guest_req()`` result.
    """
    if a.scope > PCI_TSM_REQ_STATE_CHANGE or a.scope < 0:
        return errno.EINVAL
    dev = state.dev(a.device)
    if dev.ctx is None or dev.ctx.kind is ContextKind.DEVSEC or dev.ctx.kvm is None:
        return errno.ENXIO
    return NeedsProvider("guest_req", a.device, dev.ctx.tsm)


def guest_req_apply(state: KernelState, a: GuestReq) -> tuple[KernelState, Result]:
    return state, Result(a.reply)
