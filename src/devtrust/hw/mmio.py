# SPDX-License-Identifier: BSD-3-Clause
"""The MMIO ranges a TDI reports in its TDISP interface report (protocols.md §2.7).

Ranges come from the function's memory BARs in ascending BAR order; within a BAR they
cover it from offset 0 upwards in page order. The MSI-X table and PBA are separate ranges
carrying their attribute bit, and only when the LOCK request locked MSI-X; otherwise they
are holes. Non-TEE windows carry IS_NON_TEE_MEM. Range ID is the BAR index (BEI).
FIRST_PAGE = (physical address + MMIO_REPORTING_OFFSET) >> 12, with the offset's low 12
bits zero (§7 row 7): a verifier recovers the address as (FIRST_PAGE << 12) - offset.
"""

from __future__ import annotations

from dataclasses import dataclass

from devtrust.hw.pci import PAGE_SIZE, BarRegion, PciFunction
from devtrust.wire.tdisp.report import RangeAttr

__all__ = ["RangeAttr", "ReportRange", "interface_report_ranges"]

_PLAIN = RangeAttr(0)


@dataclass(frozen=True, slots=True)
class ReportRange:
    """One MMIO_RANGE entry: page number (offset added), page count, attributes, range id."""

    first_page: int
    num_pages: int
    attributes: RangeAttr
    range_id: int

    def __post_init__(self) -> None:
        if self.num_pages <= 0 or not 0 <= self.first_page < 1 << 64:
            raise ValueError("range must have pages and a 64-bit first page")
        if not 0 <= self.range_id <= 0xFFFF:
            raise ValueError("range id is 16 bits")

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.first_page, self.num_pages, int(self.attributes), self.range_id)


def interface_report_ranges(fn: PciFunction, reporting_offset: int, *,
                            lock_msix: bool) -> tuple[ReportRange, ...]:
    """The ranges a correct device reports for ``fn`` locked with ``reporting_offset``."""
    if reporting_offset % PAGE_SIZE or reporting_offset < 0:
        raise ValueError(f"MMIO_REPORTING_OFFSET 0x{reporting_offset:x} must be a "
                         "non-negative multiple of 4 KiB")
    out: list[ReportRange] = []
    for bar in fn.memory_bars:
        special: list[tuple[BarRegion, RangeAttr | None]] = [
            (r, RangeAttr.NON_TEE) for r in fn.non_tee_regions if r.bar == bar.index]
        if fn.msix is not None:
            for region, attr in ((fn.msix.table_region, RangeAttr.MSIX_TABLE),
                                 (fn.msix.pba_region, RangeAttr.MSIX_PBA)):
                if region.bar == bar.index:
                    special.append((region, attr if lock_msix else None))
        cursor = 0
        pieces: list[tuple[int, int, RangeAttr]] = []
        for region, reported in sorted(special, key=lambda s: s[0].offset):
            if region.offset > cursor:
                pieces.append((cursor, region.offset - cursor, _PLAIN))
            if reported is not None:
                pieces.append((region.offset, region.size, reported))
            cursor = region.end
        if cursor < bar.size:
            pieces.append((cursor, bar.size - cursor, _PLAIN))
        for offset, size, attr in pieces:
            first = (bar.address + offset + reporting_offset) >> 12
            out.append(ReportRange(first, size // PAGE_SIZE, attr, bar.index))
    return tuple(out)
