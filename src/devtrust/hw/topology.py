# SPDX-License-Identifier: BSD-3-Clause
"""Host bridges, root ports, devices, and deterministic BAR address assignment.

Every device sits behind its own root port on the first bus of its host bridge (PCIe is
point to point), as in the devsec sample (kernel-abi.md §9.2). BARs are placed in
function order, then BAR-index order, each naturally aligned: 64-bit prefetchable BARs in
the bridge's prefetchable window, all other memory BARs in its 32-bit window. SR-IOV VF
BARs are carved from one aperture per VF BAR (VF ``n`` at aperture + ``n`` * size), as the
SR-IOV capability lays them out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from devtrust.hw.pci import Bar, Bdf, PciFunction

__all__ = ["Device", "HostBridge", "RootPort", "Topology", "Window", "place"]


@dataclass(frozen=True, slots=True)
class Window:
    """A host-bridge memory window [base, base + size)."""

    base: int
    size: int

    def __post_init__(self) -> None:
        if self.base < 0 or self.size <= 0:
            raise ValueError("window base must be >= 0 and size > 0")

    @property
    def end(self) -> int:
        return self.base + self.size


@dataclass(frozen=True, slots=True)
class HostBridge:
    """A PCI host bridge: its segment, bus range, IDE stream pool and windows."""

    name: str
    domain: int
    bus_start: int
    bus_end: int
    nr_streams: int
    mmio: Window
    prefetch: Window

    def __post_init__(self) -> None:
        if not 0 <= self.bus_start <= self.bus_end <= 0xFF:
            raise ValueError(f"{self.name}: bad bus range {self.bus_start}..{self.bus_end}")
        if not 0 <= self.nr_streams <= 256:
            raise ValueError(f"{self.name}: nr_streams must be 0..256")


@dataclass(frozen=True, slots=True)
class RootPort:
    """The root port a device hangs off (IDE partner port of the device's PF0)."""

    bdf: Bdf
    secondary_bus: int
    host_bridge: str


@dataclass(frozen=True, slots=True)
class Device:
    """One physical device: PF0 (the DSM) and further PFs, then SR-IOV VFs; one DSM."""

    name: str
    host_bridge: str
    functions: tuple[PciFunction, ...]
    vfs: tuple[PciFunction, ...] = ()

    def __post_init__(self) -> None:
        if not self.functions or not self.functions[0].is_pf0:
            raise ValueError(f"{self.name}: the first function must be PF0")
        seen = [f.bdf for f in self.all_functions]
        if len(set(seen)) != len(seen):
            raise ValueError(f"{self.name}: two functions share a BDF")

    @property
    def pf0(self) -> PciFunction:
        return self.functions[0]

    @property
    def all_functions(self) -> tuple[PciFunction, ...]:
        return self.functions + self.vfs

    @property
    def tdis(self) -> tuple[PciFunction, ...]:
        """Functions that can be locked and accepted (TEE capable)."""
        return tuple(f for f in self.all_functions if f.is_tdi)

    def function(self, bdf: Bdf) -> PciFunction:
        for fn in self.all_functions:
            if fn.bdf == bdf:
                return fn
        raise KeyError(str(bdf))


@dataclass(frozen=True, slots=True)
class Topology:
    """Host bridges, root ports and placed devices, in BDF order."""

    host_bridges: tuple[HostBridge, ...]
    root_ports: tuple[RootPort, ...]
    devices: tuple[Device, ...]

    def functions(self) -> tuple[PciFunction, ...]:
        return tuple(sorted((f for d in self.devices for f in d.all_functions),
                            key=lambda f: f.bdf))

    def function(self, bdf: Bdf | str) -> PciFunction:
        bdf = Bdf.parse(bdf) if isinstance(bdf, str) else bdf
        return self.device_of(bdf).function(bdf)

    def device_of(self, bdf: Bdf | str) -> Device:
        bdf = Bdf.parse(bdf) if isinstance(bdf, str) else bdf
        for dev in self.devices:
            if any(f.bdf == bdf for f in dev.all_functions):
                return dev
        raise KeyError(str(bdf))

    def device(self, name: str) -> Device:
        for dev in self.devices:
            if dev.name == name:
                return dev
        raise KeyError(name)

    def host_bridge(self, name: str) -> HostBridge:
        for hb in self.host_bridges:
            if hb.name == name:
                return hb
        raise KeyError(name)

    def root_port_of(self, device: Device) -> RootPort:
        bus = device.pf0.bdf.bus
        for rp in self.root_ports:
            if rp.host_bridge == device.host_bridge and rp.secondary_bus == bus:
                return rp
        raise KeyError(device.name)


class _Allocator:
    def __init__(self, hb: HostBridge) -> None:
        self.hb = hb
        self.cursor = {"mmio": hb.mmio.base, "prefetch": hb.prefetch.base}

    def take(self, size: int, *, prefetch64: bool, owner: str) -> int:
        kind = "prefetch" if prefetch64 else "mmio"
        window = self.hb.prefetch if prefetch64 else self.hb.mmio
        address = -(-self.cursor[kind] // size) * size
        if address + size > window.end:
            raise ValueError(f"host bridge {self.hb.name}: {kind} window "
                             f"0x{window.base:x}+0x{window.size:x} too small for {owner} "
                             f"(needs 0x{size:x} at 0x{address:x}); enlarge the window")
        self.cursor[kind] = address + size
        return address


def _place_bar(alloc: _Allocator, bar: Bar, owner: str, count: int = 1) -> Bar:
    if not bar.is_memory:
        return bar  # I/O BARs are kept at 0: nothing in TDISP reports them.
    prefetch64 = bar.is_64bit and bar.prefetchable
    return bar.placed(alloc.take(bar.size * count, prefetch64=prefetch64, owner=owner))


def place(host_bridges: Iterable[HostBridge], devices: Iterable[Device]) -> Topology:
    """Assign BAR addresses and root ports; the result depends only on the inputs."""
    bridges = tuple(host_bridges)
    by_name = {hb.name: hb for hb in bridges}
    allocators = {hb.name: _Allocator(hb) for hb in bridges}
    ordered = sorted(devices, key=lambda d: (by_name[d.host_bridge].domain, d.pf0.bdf))
    placed: list[Device] = []
    ports: list[RootPort] = []
    slot = dict.fromkeys(by_name, 0)
    for dev in ordered:
        hb = by_name[dev.host_bridge]
        for fn in dev.all_functions:
            if fn.bdf.domain != hb.domain or not hb.bus_start < fn.bdf.bus <= hb.bus_end:
                raise ValueError(f"{dev.name}: {fn.bdf} is outside host bridge {hb.name} "
                                 f"(domain {hb.domain:04x}, buses {hb.bus_start + 1:02x}.."
                                 f"{hb.bus_end:02x} below its root ports)")
        alloc = allocators[hb.name]
        functions = []
        for fn in dev.functions:
            bars = tuple(_place_bar(alloc, b, f"{fn.bdf} BAR{b.index}") for b in fn.bars)
            vf_bars = tuple(_place_bar(alloc, b, f"{fn.bdf} VF BAR{b.index}", fn.num_vfs)
                            for b in fn.vf_bars)
            functions.append(replace(fn, bars=bars, vf_bars=vf_bars))
        vfs = []
        for vf in dev.vfs:
            pf = next(f for f in functions if f.bdf == vf.pf_bdf)
            n = next(i for i in range(pf.num_vfs) if pf.vf_bdf(i) == vf.bdf)
            placed_bars: list[Bar] = []
            for bar in vf.bars:
                aperture = next(b for b in pf.vf_bars if b.index == bar.index)
                placed_bars.append(bar.placed(aperture.address + n * bar.size))
            vfs.append(replace(vf, bars=tuple(placed_bars)))
        placed.append(Device(dev.name, dev.host_bridge, tuple(functions), tuple(vfs)))
        if any(p.host_bridge == hb.name and p.secondary_bus == dev.pf0.bdf.bus for p in ports):
            raise ValueError(f"{dev.name}: bus {dev.pf0.bdf.bus:02x} already holds a device; "
                             "give each device its own bus")
        ports.append(RootPort(Bdf(hb.domain, hb.bus_start, slot[hb.name], 0),
                              dev.pf0.bdf.bus, hb.name))
        slot[hb.name] += 1
    return Topology(bridges, tuple(ports), tuple(placed))
