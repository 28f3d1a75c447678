# SPDX-License-Identifier: BSD-3-Clause
"""TSM class devices: registration, ``pci_mode``, unregistration teardown (§3.4, I13, I14)."""

from __future__ import annotations

import errno
from dataclasses import replace

from devtrust.kernel.actions import RegisterTsm, Result, UnregisterTsm
from devtrust.kernel.events import Event, EventKind
from devtrust.kernel.pci_tsm import disconnect_locked, drop_link_locked, unlock_locked
from devtrust.kernel.state import ContextKind, KernelState, TsmDev, TsmMode

__all__ = ["pci_mode", "register_apply", "register_check", "unregister_apply",
           "unregister_check"]


def pci_mode(tsm: TsmDev) -> str:
    """``/sys/class/tsm/tsmN/pci_mode``: "link" with connect ops, "devsec" with lock ops."""
    return tsm.mode.value


def register_check(state: KernelState, a: RegisterTsm) -> int:
    """``tsm_register()`` + ``pci_tsm_register()``.

    Context: module init of a TSM driver.
    Return: EINVAL (neither or both ops kinds).
    """
    if a.mode not in (TsmMode.LINK.value, TsmMode.DEVSEC.value):
        return errno.EINVAL
    return 0


def register_apply(state: KernelState, a: RegisterTsm) -> tuple[KernelState, Result]:
    """Creates the lowest free ``tsmN`` and announces PCI readiness with KOBJ_CHANGE."""
    used = {int(t.name[3:]) for t in state.tsms}
    n = next(i for i in range(len(used) + 1) if i not in used)
    tsm = TsmDev(f"tsm{n}", TsmMode(a.mode))
    tsms = tuple(sorted((*state.tsms, tsm), key=lambda t: int(t.name[3:])))
    state = replace(state, tsms=tsms, next_tsm_id=max(state.next_tsm_id, n + 1))
    return state, Result(value=tsm.name, events=(
        Event(EventKind.KOBJ_ADD, tsm.name), Event(EventKind.KOBJ_CHANGE, tsm.name, "pci")))


def unregister_check(state: KernelState, a: UnregisterTsm) -> int:
    """``tsm_unregister()``.

    Context: module exit of a TSM driver.
    Return: ENODEV (no such TSM).
    """
    return 0 if state.tsm(a.tsm) is not None else errno.ENODEV


def unregister_apply(state: KernelState, a: UnregisterTsm) -> tuple[KernelState, Result]:
    """Walks devices in reverse and tears down every context the TSM owns.

    Link PF0: disconnect; dependent function: context removed; devsec: internal
    unlock, which only warns when a driver is bound and leaves a stale context (D15).
    """
    events: tuple[Event, ...] = ()
    for spec in reversed(state.topology.devices):
        dev = state.dev(spec.name)
        if dev.ctx is None or dev.ctx.tsm != a.tsm:
            continue
        if dev.ctx.kind is ContextKind.PF0:
            state, ev = disconnect_locked(state, spec.name)
        elif dev.ctx.kind is ContextKind.FUNCTION:
            dev, ev = drop_link_locked(state, spec.name, replace(dev, ctx=None))
            state = state.with_device(spec.name, dev)
        else:
            state, ev = unlock_locked(state, spec.name, "tsm unregister")
        events += ev
    state = replace(state, tsms=tuple(t for t in state.tsms if t.name != a.tsm))
    return state, Result(events=(*events, Event(EventKind.KOBJ_REMOVE, a.tsm)))
