# SPDX-License-Identifier: BSD-3-Clause
"""The emulated hardware as the kernel discovers it: a kernel Topology from a Fleet.

Also renders the standard PCI sysfs attributes Linux gives every function
(``vendor``, ``device``, ``class``, ``resource``, ``config`` ...), so the agent
reads BARs and MSI-X placement from the same files on a real kernel.
"""

from __future__ import annotations

from devtrust.hw.config_space import config_space
from devtrust.hw.fleet import Fleet
from devtrust.hw.pci import PciFunction
from devtrust.hw.scenario_schema import DriverSpec as HwDriver
from devtrust.kernel.state import Bar, DeviceSpec, DriverSpec, HostBridge, Topology

__all__ = ["PCI_ATTRIBUTES", "bridge_name", "kernel_topology", "pci_attribute"]

PCI_ATTRIBUTES = ("vendor", "device", "class", "revision", "subsystem_vendor",
                  "subsystem_device", "resource", "config")

# include/linux/ioport.h
_IORESOURCE_IO = 0x100
_IORESOURCE_MEM = 0x200
_IORESOURCE_PREFETCH = 0x2000
_IORESOURCE_MEM_64 = 0x100000
_PCI_NUM_RESOURCE_LINES = 13  # 6 BARs, ROM, 6 SR-IOV BARs


def bridge_name(domain: int) -> str:
    """Linux's host-bridge device name: ``pci10000:00``."""
    return f"pci{domain:04x}:00"


def _driver_for(fn: PciFunction, drivers: tuple[HwDriver, ...]) -> str | None:
    for drv in drivers:
        if drv.override_only:
            continue
        for m in drv.matches:
            if ((m.vendor_id is None or m.vendor_id == fn.vendor_id)
                    and (m.device_id is None or m.device_id == fn.device_id)
                    and (m.class_code is None or m.class_code == fn.class_code)):
                return drv.name
    return None


def kernel_topology(fleet: Fleet) -> Topology:
    """Every function of every emulated device, as the kernel's explicit initial table."""
    scenario = fleet.scenario
    bridges = {hb.name: hb for hb in fleet.topology.host_bridges}
    devices = []
    for dev in fleet.topology.devices:
        hb = bridge_name(bridges[dev.host_bridge].domain)
        for fn in dev.all_functions:
            devices.append(DeviceSpec(
                name=str(fn.bdf), host_bridge=hb, function=fn.bdf.function,
                is_pf0=fn.is_pf0, has_tee=fn.has_tee_cap, has_ide=fn.has_ide,
                has_doe=fn.has_doe,
                bars=tuple(Bar(b.index, b.address, b.size, b.is_memory) for b in fn.bars),
                driver=_driver_for(fn, scenario.drivers)))
    drivers = tuple(DriverSpec(d.name, None if d.builtin else d.name) for d in scenario.drivers)
    host_bridges = tuple(HostBridge(bridge_name(hb.domain), hb.nr_streams)
                         for hb in fleet.topology.host_bridges)
    return Topology(devices=tuple(devices), drivers=drivers, host_bridges=host_bridges,
                    cc_guest=scenario.platform == "cc-guest")


def _resource_lines(fn: PciFunction) -> str:
    lines = []
    by_index = {b.index: b for b in fn.bars}
    for i in range(_PCI_NUM_RESOURCE_LINES):
        bar = by_index.get(i) if i < 6 else None
        if bar is None:
            lines.append(f"0x{0:016x} 0x{0:016x} 0x{0:016x}")
            continue
        flags = _IORESOURCE_MEM if bar.is_memory else _IORESOURCE_IO
        flags |= (_IORESOURCE_PREFETCH if bar.prefetchable else 0)
        flags |= (_IORESOURCE_MEM_64 if bar.is_64bit else 0)
        lines.append(f"0x{bar.address:016x} 0x{bar.address + bar.size - 1:016x} 0x{flags:016x}")
    return "\n".join(lines)


def pci_attribute(fn: PciFunction, attr: str) -> str | bytes:
    """Text of a standard PCI sysfs attribute (``config`` is binary)."""
    match attr:
        case "vendor":
            return f"0x{fn.vendor_id:04x}"
        case "device":
            return f"0x{fn.device_id:04x}"
        case "class":
            return f"0x{fn.class_code:06x}"
        case "revision":
            return f"0x{fn.revision:02x}"
        case "subsystem_vendor":
            return f"0x{fn.subsystem_vendor_id:04x}"
        case "subsystem_device":
            return f"0x{fn.subsystem_id:04x}"
        case "resource":
            return _resource_lines(fn)
        case "config":
            return config_space(fn)
    raise KeyError(attr)
