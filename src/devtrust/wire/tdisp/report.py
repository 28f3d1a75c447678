# SPDX-License-Identifier: BSD-3-Clause
"""The TDI report carried by DEVICE_INTERFACE_REPORT (protocols.md §2.7).

Layout, offsets from the start of the report::

    0 INTERFACE_INFO (2) | 2 Reserved (2) | 4 MSI_X_MESSAGE_CONTROL (2) |
    6 LNR_CONTROL (2) | 8 TPH_CONTROL (4) | 12 MMIO_RANGE_COUNT (4) |
    16 MMIO_RANGE[N] (16 each) | DEVICE_SPECIFIC_INFO_LEN (4) | DEVICE_SPECIFIC_INFO

The appraiser compares these ranges with the BARs it expects, so the
MMIO_REPORTING_OFFSET arithmetic lives here once (§7 row 7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntFlag

from devtrust.wire.codec import Reader, Writer
from devtrust.wire.errors import LengthError

__all__ = [
    "MMIO_RANGE_SIZE",
    "PAGE_SHIFT",
    "InterfaceInfo",
    "MmioRange",
    "RangeAttr",
    "TdiReport",
]

PAGE_SHIFT = 12  # FIRST_PAGE and NUM_PAGES count 4 KiB pages (§2.7; S14).
MMIO_RANGE_SIZE = 16
_FIXED_SIZE = 20  # everything but the ranges and the device-specific bytes


class InterfaceInfo(IntFlag):
    """INTERFACE_INFO bits 4:0; bits 15:5 are reserved (§2.7)."""

    NO_FW_UPDATE = 0x0001
    DMA_WITHOUT_PASID = 0x0002
    DMA_WITH_PASID = 0x0004
    ATS_ENABLED = 0x0008
    PRS_ENABLED = 0x0010


class RangeAttr(IntFlag):
    """MMIO range attribute bits 3:0; bits 15:4 are reserved (§2.7, §7 row 8)."""

    MSIX_TABLE = 0x0001
    MSIX_PBA = 0x0002
    NON_TEE = 0x0004
    UPDATABLE = 0x0008


_INTERFACE_INFO_MASK = 0x001F
_RANGE_ATTR_MASK = 0x000F


@dataclass(frozen=True, slots=True)
class MmioRange:
    """One 16-byte MMIO_RANGE entry (report, and SET_MMIO_ATTRIBUTE_REQUEST).

    ``first_page`` already includes the MMIO_REPORTING_OFFSET chosen at LOCK;
    use :meth:`byte_start` to recover the physical address (§7 row 7).
    """

    first_page: int
    num_pages: int
    attributes: RangeAttr
    range_id: int
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "TDISP MMIO_RANGE"

    def __post_init__(self) -> None:
        if not (0 <= self.first_page < 1 << 64 and 0 <= self.num_pages < 1 << 32
                and 0 <= self.range_id <= 0xFFFF):
            raise ValueError(f"MMIO range field out of range: {self!r}")
        if int(self.attributes) & ~_RANGE_ATTR_MASK:
            raise ValueError(f"reserved range attribute bits set: 0x{int(self.attributes):x}")

    @property
    def size(self) -> int:
        """Length of the range in bytes."""
        return self.num_pages << PAGE_SHIFT

    def byte_start(self, reporting_offset: int = 0) -> int:
        """Physical start address: ``(FIRST_PAGE << 12) - MMIO_REPORTING_OFFSET``.

        The project's reading of the spec (§2.7, §7 row 7, still to confirm):
        the device adds the signed byte offset to the physical address before
        shifting. The result may be negative or past 2**64 for a hostile
        device; the caller compares it with the BAR it expects.
        """
        return (self.first_page << PAGE_SHIFT) - reporting_offset

    def byte_end(self, reporting_offset: int = 0) -> int:
        """Physical address one past the last byte of the range."""
        return self.byte_start(reporting_offset) + self.size

    @classmethod
    def from_physical(cls, address: int, size: int, attributes: RangeAttr, range_id: int,
                      reporting_offset: int = 0) -> MmioRange:
        """Emulator side of §7 row 7: ``FIRST_PAGE = (address + offset) >> 12``.

        ``address``, ``size`` and ``reporting_offset`` must be 4 KiB aligned.
        """
        page = (1 << PAGE_SHIFT) - 1
        if address & page or size & page or reporting_offset & page:
            raise ValueError("address, size and MMIO_REPORTING_OFFSET must be 4 KiB aligned")
        return cls((address + reporting_offset) >> PAGE_SHIFT, size >> PAGE_SHIFT,
                   attributes, range_id)

    @classmethod
    def read(cls, r: Reader, name: str = "mmio_range", *,
             allowed: int = _RANGE_ATTR_MASK) -> MmioRange:
        """Read one entry; attribute bits outside ``allowed`` are refused."""
        start = r.pos
        first_page = r.u64(f"{name}.first_page")
        num_pages = r.u32(f"{name}.num_pages")
        at = r.offset
        attributes = r.flags(r.u16(f"{name}.attributes"), allowed, f"{name}.attributes",
                             offset=at)
        range_id = r.u16(f"{name}.range_id")
        return cls(first_page, num_pages, RangeAttr(attributes), range_id,
                   raw=r.data[start:r.pos])

    def write(self, w: Writer, name: str = "mmio_range") -> None:
        w.u64(self.first_page, f"{name}.first_page").u32(self.num_pages, f"{name}.num_pages")
        w.u16(int(self.attributes), f"{name}.attributes").u16(self.range_id, f"{name}.range_id")

    @classmethod
    def decode(cls, data: bytes) -> MmioRange:
        r = Reader(data, cls.STRUCTURE)
        entry = cls.read(r)
        r.end()
        return entry

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        self.write(w)
        return w.getvalue()


@dataclass(frozen=True, slots=True)
class TdiReport:
    """The whole TDI report; counts and lengths are derived, never stored.

    ``raw`` keeps the assembled bytes: a report digest for evidence must be
    taken over them (STYLE 7).
    """

    interface_info: InterfaceInfo
    msix_message_control: int = 0
    lnr_control: int = 0
    tph_control: int = 0
    mmio_ranges: tuple[MmioRange, ...] = ()
    device_specific_info: bytes = b""
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "TDISP DEVICE_INTERFACE_REPORT content"

    def __post_init__(self) -> None:
        if int(self.interface_info) & ~_INTERFACE_INFO_MASK:
            raise ValueError("reserved INTERFACE_INFO bits set")
        if not isinstance(self.mmio_ranges, tuple):
            raise TypeError("mmio_ranges must be a tuple")
        if not (0 <= self.msix_message_control <= 0xFFFF and 0 <= self.lnr_control <= 0xFFFF
                and 0 <= self.tph_control <= 0xFFFF_FFFF):
            raise ValueError("control register value out of range")

    @property
    def size(self) -> int:
        """Encoded size: 20 + 16·N + L (§2.7)."""
        return _FIXED_SIZE + MMIO_RANGE_SIZE * len(self.mmio_ranges) + len(
            self.device_specific_info)

    @classmethod
    def decode(cls, data: bytes) -> TdiReport:
        r = Reader(data, cls.STRUCTURE)
        at = r.offset
        info = r.flags(r.u16("interface_info"), _INTERFACE_INFO_MASK, "interface_info",
                       offset=at)
        r.reserved(2, "reserved")
        msix = r.u16("msix_message_control")
        lnr = r.u16("lnr_control")
        tph = r.u32("tph_control")
        at = r.offset
        count = r.u32("mmio_range_count")
        # Check the count against the bytes present before building anything,
        # so a hostile count cannot make us loop or allocate (STYLE 3).
        if count > r.remaining // MMIO_RANGE_SIZE:
            raise r.error("mmio_range_count", f"{count} ranges need {count * 16} bytes, "
                          f"{r.remaining} left", offset=at, kind=LengthError)
        ranges = tuple(MmioRange.read(r, f"mmio_range[{i}]") for i in range(count))
        info_len = r.u32("device_specific_info_len")
        specific = r.length_prefixed(info_len, "device_specific_info")
        r.end()
        return cls(InterfaceInfo(info), msix, lnr, tph, ranges, specific, raw=r.data)

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        w.u16(int(self.interface_info), "interface_info").zeros(2)
        w.u16(self.msix_message_control, "msix_message_control")
        w.u16(self.lnr_control, "lnr_control").u32(self.tph_control, "tph_control")
        w.u32(len(self.mmio_ranges), "mmio_range_count")
        for i, entry in enumerate(self.mmio_ranges):
            entry.write(w, f"mmio_range[{i}]")
        w.u32(len(self.device_specific_info), "device_specific_info_len")
        w.raw(self.device_specific_info, "device_specific_info")
        return w.getvalue()

