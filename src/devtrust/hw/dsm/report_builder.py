# SPDX-License-Identifier: BSD-3-Clause
"""Build the TDI report a function returns after LOCK (protocols.md §2.7).

The ranges come from :func:`devtrust.hw.mmio.interface_report_ranges` (BARs, MSI-X
placement, non-TEE windows, MMIO_REPORTING_OFFSET); this module adds the header fields and
plants the report flaws of the fault catalogue (:class:`~devtrust.hw.dsm.behaviour.ReportFlaw`).
"""

from __future__ import annotations

from devtrust.hw.dsm.behaviour import ReportFlaw
from devtrust.hw.dsm.tdi import LockParams
from devtrust.hw.mmio import interface_report_ranges
from devtrust.hw.pci import PciFunction
from devtrust.wire.tdisp.base import LockFlags
from devtrust.wire.tdisp.report import InterfaceInfo, MmioRange, RangeAttr, TdiReport

__all__ = ["build_report"]

_MSIX_ENABLE = 0x8000


def build_report(fn: PciFunction, params: LockParams,
                 flaws: frozenset[str] = frozenset()) -> bytes:
    """The encoded TDI report of ``fn`` locked with ``params`` (with ``flaws`` planted).

    Raises ValueError for an MMIO_REPORTING_OFFSET the device cannot honour (negative
    or not page aligned); the responder answers INVALID_REQUEST.
    """
    lock_msix = bool(params.flags & LockFlags.LOCK_MSIX)
    as_tee = ReportFlaw.MSIX_AS_TEE in flaws and fn.msix is not None
    ranges = [MmioRange(r.first_page, r.num_pages, RangeAttr(int(r.attributes)), r.range_id)
              for r in interface_report_ranges(fn, params.mmio_reporting_offset,
                                               lock_msix=lock_msix or as_tee)]
    if as_tee:
        # The MSI-X table is presented as ordinary TEE memory (no MSI-X attribute).
        ranges = [MmioRange(r.first_page, r.num_pages, RangeAttr(0), r.range_id)
                  if r.attributes & RangeAttr.MSIX_TABLE else r for r in ranges]
        if not lock_msix:
            ranges = [r for r in ranges if not r.attributes & RangeAttr.MSIX_PBA]
    ranges = _plant(ranges, flaws)
    info = InterfaceInfo.DMA_WITHOUT_PASID
    if params.flags & LockFlags.NO_FW_UPDATE:
        info |= InterfaceInfo.NO_FW_UPDATE
    msix_control = 0
    if fn.msix is not None and lock_msix:
        msix_control = _MSIX_ENABLE | (fn.msix.entries - 1)
    specific = f"devtrust {fn.vendor_id:04x}:{fn.device_id:04x} {fn.bdf}".encode()
    return TdiReport(info, msix_control, 0, 0, tuple(ranges), specific).encode()


def _plant(ranges: list[MmioRange], flaws: frozenset[str]) -> list[MmioRange]:
    if not ranges:
        return ranges
    if ReportFlaw.MISSING_RANGE in flaws:
        # Drop the first ordinary TEE range: the kernel needs every non-MSI-X range.
        victim = next((i for i, r in enumerate(ranges) if not r.attributes), 0)
        ranges = ranges[:victim] + ranges[victim + 1:]
    if ReportFlaw.OVERLAP in flaws and ranges:
        first = ranges[0]
        # A second entry starting one page into the first one.
        dup = MmioRange(first.first_page + min(1, first.num_pages - 1), first.num_pages,
                        first.attributes, first.range_id)
        ranges = [first, dup, *ranges[1:]]
    if ReportFlaw.OUTSIDE_BAR in flaws and ranges:
        last = ranges[-1]
        ranges = [*ranges[:-1], MmioRange(last.first_page, last.num_pages + 16,
                                          last.attributes, last.range_id)]
    return ranges
