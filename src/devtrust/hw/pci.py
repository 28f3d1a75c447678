# SPDX-License-Identifier: BSD-3-Clause
"""PCI function model: addresses, BARs, MSI-X placement and capabilities of one function.

A physical device (``topology.Device``) is PF0, which hosts the DSM, plus further
functions and SR-IOV VFs, each of which is a TDI. Values here are immutable; BAR
addresses are filled in by the topology's deterministic allocator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "PAGE_SIZE",
    "Bar",
    "BarRegion",
    "Bdf",
    "MsixPlacement",
    "PciFunction",
]

PAGE_SIZE = 4096
_BDF_RE = re.compile(r"^(?:([0-9a-fA-F]{4,8}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$")


@dataclass(frozen=True, slots=True, order=True)
class Bdf:
    """PCI segment/bus/device/function; formats like Linux (``10000:01:00.0``)."""

    domain: int
    bus: int
    device: int
    function: int

    def __post_init__(self) -> None:
        if not (0 <= self.domain <= 0xFFFFFFFF and 0 <= self.bus <= 0xFF
                and 0 <= self.device <= 0x1F and 0 <= self.function <= 7):
            raise ValueError(f"BDF field out of range: {self!r}")

    def __str__(self) -> str:
        return f"{self.domain:04x}:{self.bus:02x}:{self.device:02x}.{self.function}"

    @property
    def devfn(self) -> int:
        return self.device << 3 | self.function

    @property
    def requester_id(self) -> int:
        """Routing ID ``bus << 8 | dev << 3 | fn`` (TDISP FUNCTION_ID bits 15:0)."""
        return self.bus << 8 | self.devfn

    def with_routing_id(self, rid: int) -> Bdf:
        """The BDF in the same domain with routing ID ``rid`` (SR-IOV VF placement)."""
        if not 0 <= rid <= 0xFFFF:
            raise ValueError(f"routing ID 0x{rid:x} out of range")
        return Bdf(self.domain, rid >> 8, (rid >> 3) & 0x1F, rid & 7)

    @classmethod
    def parse(cls, text: str) -> Bdf:
        """Parse ``[dddd:]bb:dd.f`` (hex; domain defaults to 0)."""
        m = _BDF_RE.match(text.strip())
        if not m:
            raise ValueError(f"not a BDF: {text!r} (expected e.g. 10000:01:00.0)")
        dom, bus, dev, fn = m.groups()
        return cls(int(dom or "0", 16), int(bus, 16), int(dev, 16), int(fn))


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


@dataclass(frozen=True, slots=True)
class Bar:
    """One Base Address Register. A 64-bit BAR also occupies register ``index + 1``."""

    index: int
    size: int
    is_64bit: bool = False
    prefetchable: bool = False
    is_memory: bool = True
    address: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.index <= 5 or (self.is_64bit and self.index == 5):
            raise ValueError(f"BAR index {self.index} does not fit the six BAR registers")
        if not _is_power_of_two(self.size) or self.size < (PAGE_SIZE if self.is_memory else 4):
            raise ValueError(f"BAR{self.index} size 0x{self.size:x} must be a power of two "
                             f"and at least {'4 KiB' if self.is_memory else '4 bytes'}")
        if self.is_64bit and not self.is_memory:
            raise ValueError(f"BAR{self.index}: an I/O BAR cannot be 64-bit")
        if self.address % self.size:
            raise ValueError(f"BAR{self.index} address 0x{self.address:x} not size-aligned")
        limit = 1 << (64 if self.is_64bit else 32)
        if self.address + self.size > limit:
            raise ValueError(f"BAR{self.index} does not fit its address width")

    @property
    def registers(self) -> tuple[int, ...]:
        return (self.index, self.index + 1) if self.is_64bit else (self.index,)

    @property
    def end(self) -> int:
        """Exclusive end address."""
        return self.address + self.size

    def placed(self, address: int) -> Bar:
        return Bar(self.index, self.size, self.is_64bit, self.prefetchable, self.is_memory,
                   address)


@dataclass(frozen=True, slots=True)
class BarRegion:
    """A page-aligned window inside a BAR (offset relative to the BAR start)."""

    bar: int
    offset: int
    size: int

    def __post_init__(self) -> None:
        if self.offset % PAGE_SIZE or self.size % PAGE_SIZE or self.size <= 0:
            raise ValueError(f"BAR{self.bar} region 0x{self.offset:x}+0x{self.size:x} "
                             "must be whole 4 KiB pages")

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True, slots=True)
class MsixPlacement:
    """Where the MSI-X table and PBA live. Offsets are 4 KiB aligned so each can be reported
    as its own TDISP MMIO range."""

    table_bar: int
    table_offset: int
    entries: int
    pba_bar: int
    pba_offset: int

    def __post_init__(self) -> None:
        if not 1 <= self.entries <= 2048:
            raise ValueError("MSI-X table must have 1..2048 entries")
        if self.table_offset % PAGE_SIZE or self.pba_offset % PAGE_SIZE:
            raise ValueError("MSI-X table and PBA offsets must be 4 KiB aligned")
        if self.table_bar == self.pba_bar and _overlap(self.table_region, self.pba_region):
            raise ValueError("MSI-X table and PBA overlap")

    @property
    def table_size(self) -> int:
        return 16 * self.entries

    @property
    def pba_size(self) -> int:
        return 8 * ((self.entries + 63) // 64)

    @property
    def table_region(self) -> BarRegion:
        return BarRegion(self.table_bar, self.table_offset, _pages(self.table_size) * PAGE_SIZE)

    @property
    def pba_region(self) -> BarRegion:
        return BarRegion(self.pba_bar, self.pba_offset, _pages(self.pba_size) * PAGE_SIZE)


def _pages(size: int) -> int:
    return (size + PAGE_SIZE - 1) // PAGE_SIZE


def _overlap(a: BarRegion, b: BarRegion) -> bool:
    return a.bar == b.bar and a.offset < b.end and b.offset < a.end


@dataclass(frozen=True, slots=True)
class PciFunction:
    """One PCI function (PF or VF) as the emulated hardware presents it.

    ``non_tee_regions`` are BAR windows the device reports with IS_NON_TEE_MEM (shared
    doorbells and the like). ``is_pf0`` marks the DSM host; ``pf_bdf`` is the parent PF of a
    VF. ``num_vfs`` and the ``vf_*`` fields describe the SR-IOV capability of a PF.
    """

    bdf: Bdf
    vendor_id: int
    device_id: int
    class_code: int
    revision: int = 0
    subsystem_vendor_id: int = 0
    subsystem_id: int = 0
    bars: tuple[Bar, ...] = ()
    msix: MsixPlacement | None = None
    non_tee_regions: tuple[BarRegion, ...] = ()
    has_tee_cap: bool = True
    has_doe: bool = False
    has_ide: bool = False
    is_pf0: bool = False
    is_multifunction: bool = False
    is_vf: bool = False
    pf_bdf: Bdf | None = None
    num_vfs: int = 0
    first_vf_offset: int = 0
    vf_stride: int = 0
    vf_device_id: int = 0
    vf_bars: tuple[Bar, ...] = ()

    def __post_init__(self) -> None:
        used: set[int] = set()
        for bar in self.bars:
            if used & set(bar.registers):
                raise ValueError(f"{self.bdf}: BAR{bar.index} overlaps another BAR's registers")
            used |= set(bar.registers)
        if tuple(sorted(self.bars, key=lambda b: b.index)) != self.bars:
            raise ValueError(f"{self.bdf}: BARs must be listed in ascending index order")
        for name, value, bits in (("vendor_id", self.vendor_id, 16),
                                  ("device_id", self.device_id, 16),
                                  ("class_code", self.class_code, 24),
                                  ("revision", self.revision, 8)):
            if not 0 <= value < 1 << bits:
                raise ValueError(f"{self.bdf}: {name} 0x{value:x} out of range")
        regions = list(self.non_tee_regions)
        if self.msix is not None:
            regions += [self.msix.table_region, self.msix.pba_region]
        for region in regions:
            owner = self.bar(region.bar)
            if owner is None or not owner.is_memory or region.end > owner.size:
                raise ValueError(f"{self.bdf}: region 0x{region.offset:x}+0x{region.size:x} "
                                 f"is not inside memory BAR{region.bar}")
        for i, a in enumerate(regions):
            for b in regions[i + 1:]:
                if _overlap(a, b):
                    raise ValueError(f"{self.bdf}: BAR{a.bar} regions overlap")
        if self.is_vf and (self.pf_bdf is None or self.num_vfs):
            raise ValueError(f"{self.bdf}: a VF needs pf_bdf and cannot have VFs itself")
        if self.is_pf0 and self.bdf.function != 0:
            raise ValueError(f"{self.bdf}: PF0 must be function 0")

    def bar(self, index: int) -> Bar | None:
        """The BAR whose first register is ``index``, if any."""
        return next((b for b in self.bars if b.index == index), None)

    @property
    def memory_bars(self) -> tuple[Bar, ...]:
        return tuple(b for b in self.bars if b.is_memory)

    @property
    def is_tdi(self) -> bool:
        """Assignable interface: every function of a TEE-capable device, including PF0."""
        return self.has_tee_cap

    def vf_bdf(self, n: int) -> Bdf:
        """BDF of VF ``n`` (0-based): routing ID = PF + First VF Offset + n * VF Stride."""
        if not 0 <= n < self.num_vfs:
            raise ValueError(f"{self.bdf} has no VF {n}")
        return self.bdf.with_routing_id(self.bdf.requester_id + self.first_vf_offset
                                        + n * self.vf_stride)
