# SPDX-License-Identifier: BSD-3-Clause
"""Driver binding: explicit bind/unbind, autoprobe gates, module ``trust=`` (§8, V8, V9, V11).

Autoprobe precedence (§8.3): attach automatically only if the bus's
``drivers_autoprobe`` is on and (the driver is built-in or its module's
``autoprobe`` is true), the module's value being ``modules_autoprobe`` at load
time unless its own ``autoprobe=`` overrode it. Under V9 (b) the level is the
gate instead; under V9 (c) a module ``trust=N`` raises the level as its drivers
attach. A probe maps every memory BAR with ioremap, so a refused encrypted
mapping fails the bind with EINVAL (devsec.sh T9).
"""

from __future__ import annotations

import errno
from dataclasses import replace

from devtrust.kernel.actions import (
    DriverBind,
    DriverUnbind,
    LoadModule,
    NeedsProvider,
    Ready,
    Result,
    SetTrust,
    UnloadModule,
)
from devtrust.kernel.events import Event, EventKind
from devtrust.kernel.iomem import MapMode, ioremap_mode
from devtrust.kernel.levels import parse_level, permissions
from devtrust.kernel.parse import kstrtobool
from devtrust.kernel.state import DriverSpec, KernelState
from devtrust.kernel.trust import publish_level_locked, trust_apply, trust_check
from devtrust.kernel.variants import AttachGate, BootDefault

__all__ = ["autoprobe_device", "bind_apply", "bind_check", "driver_available", "load_apply",
           "load_check", "matches", "unbind_apply", "unbind_check", "unbind_locked",
           "unload_apply", "unload_check"]


def driver_available(state: KernelState, drv: DriverSpec) -> bool:
    return drv.module is None or state.module(drv.module) is not None


def matches(state: KernelState, drv: str, name: str) -> bool:
    """``driver_match_device()``: ``driver_override`` wins over the id table."""
    override = state.dev(name).driver_override
    if override:
        return override == drv
    return state.spec(name).driver == drv


def _module_trust(state: KernelState, drv: DriverSpec) -> int | None:
    if drv.module is None or state.variant.attach_gate is not AttachGate.MODULE_TRUST:
        return None
    mod = state.module(drv.module)
    return None if mod is None else mod[2]


def _probe_locked(state: KernelState, name: str, drv: DriverSpec, auto: bool
                  ) -> tuple[KernelState, int, tuple[Event, ...]]:
    """``really_probe()``: level gate, then the driver's probe maps its BARs.

    Context: device lock held.
    """
    variant = state.variant
    dev = state.dev(name)
    events: tuple[Event, ...] = ()
    if (variant.has_trust_attr and variant.boot_default is BootDefault.BUILTIN_TRUSTED
            and drv.module is None and dev.level < variant.builtin_level):
        dev, events = publish_level_locked(state, name, dev, variant.builtin_level,
                                           "built-in driver match")
        state = state.with_device(name, dev)
    allowed = (permissions(variant.levels, dev.level).driver_bind if variant.has_trust_attr
               else dev.authorized)
    if not allowed:
        return state, errno.ENODEV, events
    for bar in state.spec(name).bars:
        if bar.is_memory and bar.size and \
                ioremap_mode(state, name, bar.start, bar.size) is MapMode.FAIL:
            return state, errno.EINVAL, events
    dev = replace(state.dev(name), driver=drv.name, auto_bound=auto)
    return state.with_device(name, dev), 0, (*events, Event(EventKind.KOBJ_BIND, name, drv.name))


def bind_check(state: KernelState, a: DriverBind) -> int | NeedsProvider | Ready:
    """Write a device name to ``/sys/bus/pci/drivers/<drv>/bind``.

    Context: device lock taken by the driver core (userspace sysfs).
    Return: ENOENT (driver not registered), ENODEV (no such device or no match),
    EBUSY (already bound), then under V9 (c) the module ``trust=`` write's errnos,
    then the probe's: ENODEV (level forbids binding), EINVAL (ioremap refused).
    """
    drv = state.topology.driver(a.driver)
    if drv is None or not driver_available(state, drv):
        return errno.ENOENT
    name = a.device.strip()
    if state.topology.device(name) is None or not matches(state, a.driver, name):
        return errno.ENODEV
    if state.dev(name).driver is not None:
        return errno.EBUSY
    want = _module_trust(state, drv)
    if want is not None and want > state.dev(name).level:
        return trust_check(state, SetTrust(name, str(want), a.reply, a.run))
    return Ready()


def bind_apply(state: KernelState, a: DriverBind, pre: NeedsProvider | Ready
               ) -> tuple[KernelState, Result]:
    drv = state.topology.driver(a.driver)
    assert drv is not None
    name = a.device.strip()
    events: tuple[Event, ...] = ()
    want = _module_trust(state, drv)
    if want is not None and want > state.dev(name).level:
        dev, err, events = trust_apply(state, SetTrust(name, str(want), a.reply, a.run), pre)
        if err:
            return state, Result(err)
        state = state.with_device(name, dev)
    state, err, more = _probe_locked(state, name, drv, auto=False)
    return state, Result(err, events=events + more)


def unbind_check(state: KernelState, a: DriverUnbind) -> int:
    """Write a device name to ``/sys/bus/pci/drivers/<drv>/unbind``.

    Context: device lock taken by the driver core (userspace sysfs).
    Return: ENOENT (driver not registered), ENODEV (no such device or not bound to it).
    """
    drv = state.topology.driver(a.driver)
    if drv is None or not driver_available(state, drv):
        return errno.ENOENT
    name = a.device.strip()
    if state.topology.device(name) is None or state.dev(name).driver != a.driver:
        return errno.ENODEV
    return 0


def unbind_locked(state: KernelState, name: str) -> tuple[KernelState, tuple[Event, ...]]:
    """Context: device lock held. Detach; V11 (b) drops the level to 0 afterwards."""
    dev = state.dev(name)
    drv = dev.driver or ""
    dev = replace(dev, driver=None, auto_bound=False)
    events: tuple[Event, ...] = (Event(EventKind.KOBJ_UNBIND, name, drv),)
    if state.variant.has_trust_attr and state.variant.unbound_implies_zero and dev.level:
        dev, more = publish_level_locked(state, name, dev, 0, "unbound")
        events += more
    return state.with_device(name, dev), events


def unbind_apply(state: KernelState, a: DriverUnbind) -> tuple[KernelState, Result]:
    state, events = unbind_locked(state, a.device.strip())
    return state, Result(events=events)


def _gate_open(state: KernelState, drv: DriverSpec) -> bool:
    if not state.drivers_autoprobe:
        return False
    if drv.module is None or state.variant.attach_gate is AttachGate.TRUST_ZERO:
        return True
    mod = state.module(drv.module)
    return mod is not None and mod[1]


def autoprobe_device(state: KernelState, name: str, reply: int = 0
                     ) -> tuple[KernelState, tuple[Event, ...]]:
    """``device_initial_probe()`` / driver registration attach for one device.

    Context: driver core, device lock taken per attempt. Only probes when the
    level permits binding, so no probe is ever attempted at level 0 (S1).
    """
    if state.dev(name).driver is not None:
        return state, ()
    events: tuple[Event, ...] = ()
    for drv in state.topology.drivers:
        if not driver_available(state, drv) or not matches(state, drv.name, name):
            continue
        if not _gate_open(state, drv):
            continue
        want = _module_trust(state, drv)
        if want is not None and want > state.dev(name).level:
            action = SetTrust(name, str(want), reply)
            pre = trust_check(state, action)
            if isinstance(pre, int):
                continue
            dev, err, ev = trust_apply(state, action, pre)
            if err:
                continue
            state, events = state.with_device(name, dev), events + ev
        dev = state.dev(name)
        variant = state.variant
        if variant.has_trust_attr and not permissions(variant.levels, dev.level).driver_bind \
                and not (variant.boot_default is BootDefault.BUILTIN_TRUSTED
                         and drv.module is None):
            continue
        state, err, ev = _probe_locked(state, name, drv, auto=not state.dev(name).user_set)
        events += ev
        if not err:
            break
    return state, events


def load_check(state: KernelState, a: LoadModule) -> int:
    """``modprobe <module> [autoprobe=B] [trust=N]``.

    Context: module loader.
    Return: ENOENT (no such module), EEXIST (already loaded), EINVAL (``trust=``
    not a level of the scale). A bad ``autoprobe=`` is ignored (§8.2).
    """
    if not any(d.module == a.module for d in state.topology.drivers):
        return errno.ENOENT
    if state.module(a.module) is not None:
        return errno.EEXIST
    if a.trust is not None and parse_level(state.variant.levels, a.trust, names=False) is None:
        return errno.EINVAL
    return 0


def load_apply(state: KernelState, a: LoadModule) -> tuple[KernelState, Result]:
    autoprobe = state.modules_autoprobe
    if a.autoprobe is not None:
        parsed = kstrtobool(a.autoprobe)
        if parsed is not None:
            autoprobe = parsed
    trust = None if a.trust is None else parse_level(state.variant.levels, a.trust, names=False)
    state = replace(state, modules=tuple(sorted((*state.modules, (a.module, autoprobe, trust)),
                                                key=lambda m: m[0])))
    events: tuple[Event, ...] = ()
    for spec in state.topology.devices:
        state, ev = autoprobe_device(state, spec.name, a.reply)
        events += ev
    return state, Result(events=events)


def unload_check(state: KernelState, a: UnloadModule) -> int:
    """``modprobe -r``. Context: module loader. Return: ENOENT (not loaded)."""
    return 0 if state.module(a.module) is not None else errno.ENOENT


def unload_apply(state: KernelState, a: UnloadModule) -> tuple[KernelState, Result]:
    names = {d.name for d in state.topology.drivers if d.module == a.module}
    events: tuple[Event, ...] = ()
    for spec in state.topology.devices:
        if state.dev(spec.name).driver in names:
            state, ev = unbind_locked(state, spec.name)
            events += ev
    state = replace(state, modules=tuple(m for m in state.modules if m[0] != a.module))
    return state, Result(events=events)
