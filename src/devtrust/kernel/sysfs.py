# SPDX-License-Identifier: BSD-3-Clause
"""The virtual sysfs: kernel paths mapped onto the pure core.

``sysfs_read(state, path)`` returns the text the kernel would (with the trailing
newline), ``sysfs_write(state, path, value)`` returns the new state and a
:class:`Result` whose errno is the kernel's. :func:`sysfs_action` translates a
write to the core action without applying it, so a platform can ``plan`` it and
consult the provider first. Attributes that do not exist answer ENOENT; writing
a read-only or reading a write-only attribute answers EACCES (kernfs open).
:func:`raise_for` turns an errno into ``OSError``.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Mapping
from types import MappingProxyType

from devtrust.kernel import actions as act
from devtrust.kernel.core import step
from devtrust.kernel.drivers import driver_available
from devtrust.kernel.iomem import proc_iomem
from devtrust.kernel.levels import level_name
from devtrust.kernel.state import ContextKind, KernelState, TsmMode
from devtrust.kernel.tsm_registry import pci_mode
from devtrust.kernel.variants import FlagRelation
from devtrust.kernel.visibility import tsm_attr_visible, tsm_attrs

__all__ = ["PCI_DEVICES", "SysfsError", "raise_for", "sysfs_action", "sysfs_exists",
           "sysfs_listdir", "sysfs_read", "sysfs_write"]

PCI_DEVICES = "/sys/bus/pci/devices/"
PCI_DRIVERS = "/sys/bus/pci/drivers/"
TSM_CLASS = "/sys/class/tsm/"
HOST_BRIDGES = "/sys/devices/"
MODULE_PARAMS = "/sys/module/"


class SysfsError(Exception):
    """Internal: an errno to return from a show handler."""

    def __init__(self, err: int) -> None:
        super().__init__(err)
        self.errno = err


def raise_for(err: int, path: str = "") -> None:
    """``OSError(errno, strerror)`` as a real sysfs access would raise; no-op for 0."""
    if err:
        raise OSError(err, os.strerror(err), path)


def _line(text: str) -> str:
    return text + "\n"


# ---------------------------------------------------------------- device attributes


def _tsm_show(state: KernelState, name: str, attr: str) -> str:
    dev = state.dev(name)
    ctx = dev.ctx
    if attr in ("connect", "lock"):
        return _line(ctx.tsm if ctx else "")
    if attr == "accept":
        # v2 prints device_cc_accepted(); trust variants print whether the TSM
        # moved the interface to RUN (the hardware accept).
        if state.variant.has_trust_attr:
            return _line("1" if dev.tdi.value == "RUN" and ctx is not None else "0")
        return _line("1" if dev.cc_accepted else "0")
    if attr == "dsm":
        return _line(ctx.dsm if ctx and ctx.kind is not ContextKind.DEVSEC and ctx.dsm else "")
    if attr == "bound":
        if ctx and ctx.kind is ContextKind.FUNCTION and ctx.dsm:
            pf0 = state.dev(ctx.dsm).ctx
            return _line(ctx.tsm if pf0 and pf0.kvm is not None else "")
        return _line(ctx.tsm if ctx and ctx.kvm is not None else "")
    raise SysfsError(errno.EACCES)   # disconnect, unlock: write-only


def _device_show(state: KernelState, name: str, attr: str) -> str:
    dev = state.dev(name)
    variant = state.variant
    match attr:
        case "trust":
            if not variant.has_trust_attr:
                raise SysfsError(errno.ENOENT)
            if variant.level_names:
                return _line(level_name(variant.levels, dev.level))
            return _line(str(dev.level))
        case "authorized":
            if variant.has_trust_attr and variant.flags is FlagRelation.MERGE_UNTRUSTED:
                raise SysfsError(errno.ENOENT)
            return _line("1" if dev.authorized else "0")
        case "authenticated":
            if not tsm_attr_visible(state, name, "connect"):
                raise SysfsError(errno.ENOENT)
            linked = dev.ctx is not None and dev.ctx.kind is ContextKind.PF0
            return _line("1" if linked else "0")
        case "driver_override":
            return _line(dev.driver_override or "(null)")
        case "driver":
            if dev.driver is None:
                raise SysfsError(errno.ENOENT)
            return _line(dev.driver)
    raise SysfsError(errno.ENOENT)


def _stream_links(state: KernelState, bridge: str) -> dict[str, str]:
    """``streamH.R.E`` -> endpoint name for the PF0s holding a stream on ``bridge``."""
    out = {}
    for spec, dev in zip(state.topology.devices, state.devices, strict=True):
        if spec.host_bridge == bridge and dev.ctx is not None and dev.ctx.stream is not None:
            out[f"stream{dev.ctx.stream}.0.0"] = spec.name
    return out


def _tsm_bridges(state: KernelState, tsm: str) -> tuple[str, ...]:
    found = set()
    for spec, dev in zip(state.topology.devices, state.devices, strict=True):
        if dev.ctx is not None and dev.ctx.stream is not None and dev.ctx.tsm == tsm:
            found.add(spec.host_bridge)
    return tuple(sorted(found))


def _param_show(state: KernelState, module: str, param: str) -> str:
    if module == "module":
        if param == "modules_autoprobe":
            return _line("1" if state.modules_autoprobe else "0")
        if param == "async_probe":
            return _line("1" if state.async_probe else "0")
        raise SysfsError(errno.ENOENT)
    mod = state.module(module)
    if mod is None:
        raise SysfsError(errno.ENOENT)
    if param == "autoprobe":
        return _line("Y" if mod[1] else "N")
    if param == "trust" and mod[2] is not None:
        return _line(str(mod[2]))
    raise SysfsError(errno.ENOENT)


def _show(state: KernelState, path: str) -> str:
    parts = path.rstrip("/").split("/")
    if path == "/proc/iomem":
        return proc_iomem(state)
    if path == "/sys/bus/pci/drivers_autoprobe":
        return _line("1" if state.drivers_autoprobe else "0")
    if path.startswith(PCI_DEVICES) and len(parts) >= 7:
        name = parts[5]
        if state.topology.device(name) is None:
            raise SysfsError(errno.ENOENT)
        if len(parts) == 8 and parts[6] == "tsm":
            if not tsm_attr_visible(state, name, parts[7]):
                raise SysfsError(errno.ENOENT)
            return _tsm_show(state, name, parts[7])
        if len(parts) == 7:
            return _device_show(state, name, parts[6])
    if path.startswith(TSM_CLASS) and len(parts) >= 6:
        tsm = state.tsm(parts[4])
        if tsm is None:
            raise SysfsError(errno.ENOENT)
        if len(parts) == 6 and parts[5] == "pci_mode":
            return _line(pci_mode(tsm))
        if len(parts) == 7 and parts[5] in _tsm_bridges(state, tsm.name):
            links = _stream_links(state, parts[5])
            if parts[6] in links:
                return _line(links[parts[6]])
    if path.startswith(HOST_BRIDGES) and len(parts) == 5:
        bridge = next((h for h in state.topology.host_bridges if h.name == parts[3]), None)
        if bridge is not None:
            if parts[4] == "available_secure_streams":
                return _line(str(bridge.nr_streams - len(state.used_streams(bridge.name))))
            links = _stream_links(state, bridge.name)
            if parts[4] in links:
                return _line(links[parts[4]])
    which = _sample_attr(state, path)
    if which is not None:
        data = state.sample_certs if which == "certs" else state.sample_transcript
        return data.decode("latin-1")
    if path.startswith(MODULE_PARAMS) and len(parts) == 6 and parts[4] == "parameters":
        return _param_show(state, parts[3], parts[5])
    if path.startswith(PCI_DRIVERS) and len(parts) == 7 and parts[6] in ("bind", "unbind"):
        if _driver_dir(state, parts[5]):
            raise SysfsError(errno.EACCES)
    raise SysfsError(errno.ENOENT)


def _sample_attr(state: KernelState, path: str) -> str | None:
    """``certs`` / ``transcript`` of the faux ``devsec_link_tsm`` (or via tsmN/device)."""
    parts = path.rstrip("/").split("/")
    if parts[-1] not in ("certs", "transcript"):
        return None
    if path.startswith("/sys/bus/faux/devices/devsec_link_tsm/") and len(parts) == 7:
        return parts[-1]
    if path.startswith(TSM_CLASS) and len(parts) == 7 and parts[5] == "device":
        tsm = state.tsm(parts[4])
        if tsm is not None and tsm.mode is TsmMode.LINK:
            return parts[-1]
    return None


def _driver_dir(state: KernelState, drv: str) -> bool:
    spec = state.topology.driver(drv)
    return spec is not None and driver_available(state, spec)


def sysfs_read(state: KernelState, path: str) -> str:
    """Read one attribute; raises ``OSError`` with the kernel's errno."""
    try:
        return _show(state, path)
    except SysfsError as exc:
        raise_for(exc.errno, path)
        raise AssertionError from exc


# ---------------------------------------------------------------- writes


_TSM_STORES: Mapping[str, Callable[[str, str], act.Action]] = MappingProxyType({
    "connect": lambda n, v: act.Connect(n, v),
    "disconnect": lambda n, v: act.Disconnect(n, v),
    "lock": lambda n, v: act.Lock(n, v),
    "unlock": lambda n, v: act.Unlock(n, v),
    "accept": lambda n, v: act.Accept(n, v),
})


def sysfs_action(state: KernelState, path: str, value: str) -> act.Action | act.Result:
    """The core action a write to ``path`` performs, or the errno it fails with first."""
    parts = path.rstrip("/").split("/")
    if path == "/sys/bus/pci/drivers_autoprobe":
        return act.SetDriversAutoprobe(value)
    if path.startswith(PCI_DEVICES) and len(parts) >= 7:
        name = parts[5]
        if state.topology.device(name) is None:
            return act.Result(errno.ENOENT)
        if len(parts) == 8 and parts[6] == "tsm":
            if not tsm_attr_visible(state, name, parts[7]):
                return act.Result(errno.ENOENT)
            store = _TSM_STORES.get(parts[7])
            return store(name, value) if store else act.Result(errno.EACCES)
        if len(parts) == 7:
            attr = parts[6]
            if attr == "trust":
                return act.SetTrust(name, value) if state.variant.has_trust_attr \
                    else act.Result(errno.ENOENT)
            if attr == "authorized":
                return act.SetAuthorized(name, value)
            if attr == "driver_override":
                return act.SetDriverOverride(name, value)
            if attr in ("authenticated", "driver"):
                return act.Result(errno.EACCES)
        return act.Result(errno.ENOENT)
    if path.startswith(PCI_DRIVERS) and len(parts) == 7 and parts[6] in ("bind", "unbind"):
        if not _driver_dir(state, parts[5]):
            return act.Result(errno.ENOENT)
        name = value.strip()
        if state.topology.device(name) is None:
            return act.Result(errno.ENODEV)
        return act.DriverBind(parts[5], name) if parts[6] == "bind" \
            else act.DriverUnbind(parts[5], name)
    if path == "/sys/module/module/parameters/modules_autoprobe":
        return act.SetModulesAutoprobe(value)
    if path.startswith(TSM_CLASS) and len(parts) == 7 and parts[5] == "device":
        return _faux_action(state, parts[4], parts[6], value)
    if path == "/proc/iomem":
        return act.Result(errno.EACCES)
    which = _sample_attr(state, path)
    if which is not None:
        return act.SampleEvidenceWrite(which, 0, value.encode("latin-1"))
    try:
        _show(state, path)
    except SysfsError as exc:
        return act.Result(exc.errno)
    return act.Result(errno.EACCES)   # exists but read-only


def _faux_action(state: KernelState, tsm_name: str, attr: str, value: str
                 ) -> act.Action | act.Result:
    """The link sample's faux ``tsm_bind`` / ``tsm_unbind`` files (§4.7)."""
    tsm = state.tsm(tsm_name)
    if tsm is None or tsm.mode is not TsmMode.LINK or attr not in ("tsm_bind", "tsm_unbind"):
        return act.Result(errno.ENOENT)
    name = value.strip()
    if state.topology.device(name) is None:
        return act.Result(errno.ENODEV)
    ctx = state.dev(name).ctx
    if ctx is None or ctx.tsm != tsm.name or ctx.kind is ContextKind.DEVSEC:
        return act.Result(errno.ENXIO)
    return act.TsmBind(name, 1) if attr == "tsm_bind" else act.TsmUnbind(name)


def sysfs_write(state: KernelState, path: str, value: str) -> tuple[KernelState, act.Result]:
    """Write ``value``; providers are assumed to succeed (use sysfs_action + plan otherwise)."""
    found = sysfs_action(state, path, value)
    if isinstance(found, act.Result):
        return state, found
    return step(state, found)


# ---------------------------------------------------------------- directory view


def sysfs_listdir(state: KernelState, path: str) -> tuple[str, ...]:
    """Entries of a directory; raises ``OSError(ENOENT)`` if it does not exist."""
    parts = path.rstrip("/").split("/")
    if path.rstrip("/") == "/sys/class/tsm":
        return tuple(t.name for t in state.tsms)
    if path.rstrip("/") == PCI_DEVICES.rstrip("/"):
        return tuple(d.name for d in state.topology.devices)
    if path.startswith(PCI_DEVICES) and len(parts) == 7 and parts[6] == "tsm":
        if state.topology.device(parts[5]) is not None:
            attrs = tsm_attrs(state, parts[5])
            if attrs:
                return attrs
    if path.startswith(PCI_DEVICES) and len(parts) == 6 and state.topology.device(parts[5]):
        names = ["authorized", "driver", "driver_override", "trust", "authenticated", "tsm"]
        return tuple(n for n in names if sysfs_exists(state, f"{path.rstrip('/')}/{n}"))
    if path.startswith(HOST_BRIDGES) and len(parts) == 4:
        if any(h.name == parts[3] for h in state.topology.host_bridges):
            return ("available_secure_streams", *sorted(_stream_links(state, parts[3])))
    if path.startswith(TSM_CLASS) and len(parts) == 6 and state.tsm(parts[4]) is not None:
        if parts[5] in _tsm_bridges(state, parts[4]):
            return tuple(sorted(_stream_links(state, parts[5])))
    if path.startswith(TSM_CLASS) and len(parts) == 5 and state.tsm(parts[4]) is not None:
        return ("device", "pci_mode", *_tsm_bridges(state, parts[4]))
    raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), path)


def sysfs_exists(state: KernelState, path: str) -> bool:
    parts = path.rstrip("/").split("/")
    if path.startswith(PCI_DEVICES) and len(parts) == 7 and parts[6] == "tsm":
        return state.topology.device(parts[5]) is not None and bool(tsm_attrs(state, parts[5]))
    if path.startswith(PCI_DRIVERS) and len(parts) == 6:
        return _driver_dir(state, parts[5])
    try:
        _show(state, path)
    except SysfsError as exc:
        return exc.errno != errno.ENOENT
    return True
