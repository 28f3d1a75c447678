# SPDX-License-Identifier: BSD-3-Clause
"""The generic trust core: set/raise/lower the level, trust-ops ACK, ceilings, auto-reset.

Trust is orthogonal to the TDISP state (trust-model.md §12): the two meet only
in the ACK rules (S6, S7, S10) and the auto-reset on leaving RUN (S8). Every
level change goes through :func:`publish_level_locked`, which revokes before
publishing a lower level and grants before publishing a higher one (S5), and
emits a trust-change notification.
"""

from __future__ import annotations

import errno
from dataclasses import replace

from devtrust.kernel import iommu
from devtrust.kernel.actions import NeedsProvider, Ready, SetAuthorized, SetTrust
from devtrust.kernel.events import Event, EventKind
from devtrust.kernel.iomem import encrypted_entries, mmio_setup
from devtrust.kernel.levels import (
    Provider,
    ceiling,
    link_level,
    parse_level,
    permissions,
    tcb_level,
)
from devtrust.kernel.parse import kstrtobool
from devtrust.kernel.state import ContextKind, DeviceSpec, DeviceState, KernelState, TdiState
from devtrust.kernel.variants import (
    BootDefault,
    Consistency,
    EvidenceBinding,
    FlagRelation,
    RunDriver,
    Variant,
)

__all__ = [
    "authorized_check",
    "boot_level",
    "leave_run_locked",
    "link_assured",
    "parse_generation",
    "provider",
    "provider_of",
    "publish_level_locked",
    "recheck_provider_locked",
    "trust_apply",
    "trust_check",
    "v2_level",
]


def v2_level(cc_guest: bool, accepted: bool, levels_top: int) -> int:
    """v2 has no trust file; its behaviour maps onto an implicit level (§4.2 mapping)."""
    if accepted:
        return levels_top
    return 1 if cc_guest else 2


def boot_level(variant: Variant, cc_guest: bool, spec: DeviceSpec) -> int:
    """Level at discovery (V8)."""
    today = 1 if cc_guest else 2
    if not variant.has_trust_attr:
        return v2_level(cc_guest, False, tcb_level(variant.levels))
    match variant.boot_default:
        case BootDefault.ALL_ZERO | BootDefault.BUILTIN_TRUSTED:
            return 0
        case BootDefault.CC_VM_ONE:
            return today
        case BootDefault.PER_BUS_OPT_IN:
            return 0 if spec.on_opt_in_bus else today
        case BootDefault.TRUST_ALL_WITHOUT_OPS:
            return 0 if (spec.has_tee or spec.has_doe) else today
    raise AssertionError(variant.boot_default)


def provider_of(state: KernelState, name: str, dev: DeviceState) -> Provider:
    """The trust-ops provider of ``dev`` (a possibly updated record of device ``name``)."""
    if dev.ctx is not None and dev.ctx.kind is ContextKind.DEVSEC:
        return Provider.DEVSEC_TSM
    if dev.ctx is not None and dev.link_secure:
        return Provider.LINK_TSM
    return Provider.SPDM if state.spec(name).has_doe else Provider.NONE


def provider(state: KernelState, name: str) -> Provider:
    """The device's trust-ops provider, from its TSM context and link state."""
    return provider_of(state, name, state.dev(name))


def link_assured(dev: DeviceState) -> bool:
    """The link is protected: IDE up under a link TSM, or a locked/running TDISP interface."""
    if dev.ctx is not None and dev.ctx.kind is ContextKind.DEVSEC:
        return dev.tdi in (TdiState.LOCKED, TdiState.RUN)
    return dev.ctx is not None and dev.link_secure


def recheck_provider_locked(state: KernelState, name: str, dev: DeviceState, reason: str
                            ) -> tuple[DeviceState, tuple[Event, ...]]:
    """Context: device lock held. V12 (b): lower a level the provider no longer backs.

    Called after the provider or the link changed (disconnect, unlock, link or
    session loss). Levels above the new ceiling, and Link without link
    assurance, drop to the highest level still backed.
    """
    variant = state.variant
    if not (variant.has_trust_attr and variant.lower_on_link_withdrawal):
        return dev, ()
    top = ceiling(variant.levels, provider_of(state, name, dev))
    link = link_level(variant.levels)
    if link is not None and dev.level == link and not link_assured(dev):
        top = min(top, link - 1)
    if dev.level <= top:
        return dev, ()
    return publish_level_locked(state, name, dev, top, reason)


def publish_level_locked(state: KernelState, name: str, dev: DeviceState, level: int,
                         reason: str) -> tuple[DeviceState, tuple[Event, ...]]:
    """Context: device lock held. Grants/revokes privileges, then publishes ``level``.

    Keeps ``cc_accepted`` and ``authorized`` in step with the level (§4.4) and
    emits a TRUST_CHANGE event when the value changes.
    """
    variant = state.variant
    old = dev.level
    top = tcb_level(variant.levels)
    accepted = dev.cc_accepted
    if variant.has_trust_attr:
        if variant.run_driver is RunDriver.ACCEPT_CALLBACK:
            accepted = accepted and level == top
        else:
            accepted = level == top
    authorized = dev.authorized
    if variant.has_trust_attr and variant.flags is FlagRelation.CROSS_REFLECT:
        authorized = level >= 1
    new = iommu.respond(variant, replace(dev, level=level, cc_accepted=accepted,
                                         authorized=authorized, acked=min(dev.acked, level)))
    events: tuple[Event, ...] = ()
    if level != old and variant.has_trust_attr:
        events = (Event(EventKind.TRUST_CHANGE, name, f"{old}->{level} {reason}"),)
    return new, events


def leave_run_locked(state: KernelState, name: str, dev: DeviceState, new_tdi: TdiState,
                     reason: str) -> tuple[DeviceState, tuple[Event, ...]]:
    """Context: device lock held (or the hardware event path). The device left RUN/LOCKED.

    With auto-reset (S8, I25) the level drops to the reset target, private DMA is
    revoked before anything else runs and userspace is notified; v2 does nothing.
    """
    was_run = dev.tdi is TdiState.RUN
    dev = replace(dev, tdi=new_tdi)
    variant = state.variant
    if not was_run or not variant.auto_reset_on_leave_run:
        return dev, ()
    if not variant.has_trust_attr:
        level = v2_level(state.topology.cc_guest, False, tcb_level(variant.levels))
        dev = replace(dev, cc_accepted=False)
    else:
        level = min(dev.level, variant.reset_target)
    dev, events = publish_level_locked(state, name, dev, level, reason)
    if not events:
        events = (Event(EventKind.TRUST_CHANGE, name, f"{dev.level}->{dev.level} {reason}"),)
    if dev.driver is not None and not permissions(variant.levels, dev.level).driver_bind:
        # Level 0 admits no driver (S1): the driver is released after DMA was
        # revoked; driver RAS is out of scope (Jason 03-23).
        events += (Event(EventKind.KOBJ_UNBIND, name, dev.driver),)
        dev = replace(dev, driver=None, auto_bound=False)
    return dev, events


def _generation_error(state: KernelState, dev: DeviceState, given: int | None) -> int:
    """V10: 0 when the generation binding holds, else ESTALE (EINVAL if T1 lacks one)."""
    binding = state.variant.evidence_binding
    current = dev.ctx.evidence.generation if dev.ctx is not None else 0
    if binding is EvidenceBinding.GENERATION_INTO_ACCEPT:
        if given is None:
            return errno.EINVAL
        return 0 if given == current else errno.ESTALE
    if binding is EvidenceBinding.VALIDATE_COMMAND:
        return 0 if dev.validated_generation == current else errno.ESTALE
    return 0


def parse_generation(text: str) -> tuple[str, int | None]:
    """Split "<value> generation=N" (V10 T1 spelling) into value and generation."""
    head, _, tail = text.strip().partition(" ")
    tail = tail.strip()
    if tail.startswith("generation=") and tail[len("generation="):].isdigit():
        return head, int(tail[len("generation="):])
    return text, None


def trust_check(state: KernelState, a: SetTrust) -> int | NeedsProvider | Ready:
    """Write to ``/sys/bus/pci/devices/<BDF>/trust``.

    Context: device lock held; trust writes come from userspace sysfs.
    Return: ENOENT (no trust attribute in this variant), EINVAL (not a level),
    EBUSY (driver bound), EPERM (above the provider's ceiling, or Link without
    link assurance), EINVAL (TCB while
    the TDISP state cannot back it, or STRICT rule: below TCB while RUN),
    EINVAL / ESTALE (V10 generation missing / moved), then the trust ops' or
    RUN kick's errno.
    """
    variant = state.variant
    if not variant.has_trust_attr:
        return errno.ENOENT
    text, given = parse_generation(a.value)
    level = parse_level(variant.levels, text, names=variant.level_names)
    if level is None:
        return errno.EINVAL
    dev = state.dev(a.device)
    if dev.driver is not None:
        return errno.EBUSY
    if level == dev.level:
        return Ready()
    if level > ceiling(variant.levels, provider(state, a.device)):
        return errno.EPERM
    if level == link_level(variant.levels) and not link_assured(dev):
        return errno.EPERM
    top = tcb_level(variant.levels)
    if level == top:
        if variant.run_driver is RunDriver.TRUST_WRITE:
            if dev.tdi not in (TdiState.LOCKED, TdiState.RUN):
                return errno.EINVAL
        elif dev.tdi is not TdiState.RUN:
            return errno.EINVAL
        err = _generation_error(state, dev, given)
        if err:
            return err
        if variant.run_driver is RunDriver.TRUST_WRITE and dev.tdi is TdiState.LOCKED:
            return NeedsProvider("accept", a.device, dev.ctx.tsm if dev.ctx else "", level)
    elif variant.consistency is Consistency.STRICT and dev.tdi is TdiState.RUN:
        return errno.EINVAL
    if permissions(variant.levels, level).needs_ack and level > dev.acked:
        return NeedsProvider("trust_ack", a.device, dev.ctx.tsm if dev.ctx else "", level)
    return Ready()


def trust_apply(state: KernelState, a: SetTrust, pre: NeedsProvider | Ready
                ) -> tuple[DeviceState, int, tuple[Event, ...]]:
    """Apply a trust write whose prechecks passed; ``a.reply`` is the provider's answer."""
    variant = state.variant
    dev = state.dev(a.device)
    level = parse_level(variant.levels, parse_generation(a.value)[0], names=variant.level_names)
    assert level is not None
    if isinstance(pre, NeedsProvider):
        if a.reply:
            return dev, a.reply, ()
        if pre.op == "accept":
            if dev.tdi is not TdiState.LOCKED:
                return dev, 0, ()  # unreachable: trust_check required LOCKED
            if not a.run:
                # B2 is synchronous (Dan 03-23): if the RUN kick did not reach RUN the
                # trust write fails, and nothing is granted.
                return dev, errno.EIO, ()
            # The TSM's accept also marks the MMIO encrypted (pci_tsm_mmio_setup()).
            entries = encrypted_entries(state, a.device, dev.ctx.report if dev.ctx else b"")
            if entries is None:
                return dev, errno.EINVAL, ()
            err, dev = mmio_setup(state, a.device, dev, entries)
            if err:
                return state.dev(a.device), err, ()
            gen = dev.ctx.evidence.generation if dev.ctx else 0
            dev = replace(dev, tdi=TdiState.RUN if a.run else dev.tdi, accept_generation=gen,
                          accept_validated=dev.validated_generation)
            dev = iommu.bus_unblock_private(dev)
        dev = replace(dev, acked=level)
    elif level == tcb_level(variant.levels) and dev.level != level:
        # Stamp only a real raise to TCB: rewriting the same level is a no-op (Ready, no
        # generation check) and must not re-bind acceptance to newer evidence.
        gen = dev.ctx.evidence.generation if dev.ctx else 0
        dev = replace(dev, accept_generation=gen, accept_validated=dev.validated_generation)
    new, events = publish_level_locked(state, a.device, replace(dev, user_set=True), level,
                                       "trust write")
    return new, 0, events


def authorized_check(state: KernelState, a: SetAuthorized) -> tuple[int, SetTrust | None]:
    """Write to ``authorized``: a bool; with V13 (b) it is reflected onto the level.

    Context: device lock held.
    Return: ENOENT (V13 a: no authorized file), EINVAL (not a boolean), EBUSY
    (driver bound), then the errnos of the equivalent trust write.
    """
    variant = state.variant
    if variant.has_trust_attr and variant.flags is FlagRelation.MERGE_UNTRUSTED:
        return errno.ENOENT, None
    value = kstrtobool(a.value)
    if value is None:
        return errno.EINVAL, None
    dev = state.dev(a.device)
    if dev.driver is not None:
        return errno.EBUSY, None
    if not variant.has_trust_attr:
        return 0, None
    if value and dev.level >= 1:
        return 0, None
    return 0, SetTrust(a.device, "1" if value else "0")
