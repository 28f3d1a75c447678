# SPDX-License-Identifier: BSD-3-Clause
"""``pci_tsm_mmio_alloc``: TDISP interface report -> encrypted MMIO descriptors.

Implements the "Parsing rules in one place" of kernel-abi.md §7.1:

1. Little-endian. Header 16 bytes (interface_info u16, reserved u16,
   msi_x_message_control u16, lnr_control u16, tph_control u32,
   mmio_range_count u32); entries 16 bytes (pfn u64, nr_pfns u32, attributes
   u32). Reject a blob shorter than 16 bytes, not 8-byte aligned (``address``,
   where the blob lives, models the kernel's pointer check) or shorter than
   16 + 16 x count. Bytes after the last entry (DEVICE_SPECIFIC_INFO) are
   ignored, as in v2.
2. Units converted once: offset = pfn x 4 KiB, size = nr_pfns x 4 KiB.
   ``double_convert=True`` reproduces v2's defect D2 (a second x 4 KiB, with C's
   silent u64 wrap).
3. RANGE_ID (bits 31:16) is the BAR index: < 6 and naming a memory BAR.
4. BAR indices non-decreasing; within a BAR ranges ascending, non-overlapping.
5. No u64 overflow; in-BAR offset + size within the BAR.
6. In-BAR offset per :class:`OffsetRule`.
7. GPA = BAR start + in-BAR offset.
8. IS_NON_TEE, MSI-X table and PBA ranges are validated but get no entry.
9. Any violation rejects the whole report (:class:`ReportRejected`).

Choice where the spec is silent: a range of zero pages is rejected (it can
describe no MMIO and ``pci_tsm_mmio_setup`` refuses empty entries anyway).
Reserved header/attribute bits are not checked, as in v2.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from devtrust.wire.codec import Reader
from devtrust.wire.errors import WireError

__all__ = [
    "ATTR_IS_NON_TEE",
    "ATTR_IS_UPDATABLE",
    "ATTR_MSIX_PBA",
    "ATTR_MSIX_TABLE",
    "ENTRY_SIZE",
    "HEADER_SIZE",
    "PAGE_SIZE",
    "Bar",
    "MmioEntry",
    "OffsetRule",
    "ReportRejected",
    "parse_mmio_report",
    "parse_report",
]

HEADER_SIZE = 16
ENTRY_SIZE = 16
PAGE_SIZE = 4096
ATTR_MSIX_TABLE = 1 << 0
ATTR_MSIX_PBA = 1 << 1
ATTR_IS_NON_TEE = 1 << 2
ATTR_IS_UPDATABLE = 1 << 3
_STANDARD_BARS = 6
_U64 = (1 << 64) - 1
_S = "TDISP interface report"


class ReportRejected(WireError):  # noqa: N818 - the name the kernel-model API uses
    """The interface report violates a parsing rule; no descriptor is built."""


class OffsetRule(Enum):
    """How a reported (TSM-offset) address becomes an offset inside its BAR.

    V2_FIRST_RANGE_AT_ZERO: v2 (D3): offset = address - address of the first
      reported range of that BAR, i.e. the first reported range is assumed to
      sit at BAR offset 0. Wrong when the BAR starts with an unreported hole.
    MASK_BY_BAR_SIZE: the agreed direction (Aneesh, Jason): offset = address &
      (BAR size - 1). Requires a power-of-two BAR and a reporting offset aligned
      to the BAR size (or 0); checked here by requiring every range of a BAR to
      share the same ``address & ~(size - 1)``.
    AMD_FIRST_PAGE: AMD's position: the first reported range starts at the
      BAR's first 4 KiB unless the guest knows of an unreported MSI-X region at
      the BAR start (``head_gaps``: BAR index -> bytes omitted), so offset =
      address - first address + head gap.
    """

    V2_FIRST_RANGE_AT_ZERO = "v2"
    MASK_BY_BAR_SIZE = "mask"
    AMD_FIRST_PAGE = "amd"
    # Short aliases (same members).
    V2 = "v2"
    MASK = "mask"
    AMD = "amd"


@dataclass(frozen=True, slots=True)
class Bar:
    """One of the device's BARs as the kernel sees its resource."""

    index: int
    start: int
    size: int
    is_memory: bool = True

    def __post_init__(self) -> None:
        if self.index < 0 or self.start < 0 or self.size < 0:
            raise ValueError("BAR index, start and size must be non-negative")


@dataclass(frozen=True, slots=True)
class MmioEntry:
    """``struct pci_tsm_mmio_entry``: GPA range (``end`` inclusive) and TSM offset."""

    start: int
    end: int
    tsm_offset: int
    bar: int
    attributes: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError("an MMIO entry needs 0 <= start <= end")

    @property
    def size(self) -> int:
        return self.end - self.start + 1

    def __iter__(self) -> Iterator[int]:
        """Unpack as ``(start, end, tsm_offset, bar, attributes)``."""
        return iter((self.start, self.end, self.tsm_offset, self.bar, self.attributes))


def _reject(field: str, offset: int, reason: str) -> ReportRejected:
    return ReportRejected(_S, field, offset, reason)


def parse_mmio_report(report: bytes, bars: Sequence[Bar | tuple[int, int, int, bool]],
                      offset_rule: OffsetRule = OffsetRule.MASK_BY_BAR_SIZE, *,
                      double_convert: bool = False, address: int = 0,
                      head_gaps: Mapping[int, int] | None = None) -> tuple[MmioEntry, ...]:
    """Validate ``report`` against ``bars`` and return the encrypted-MMIO entries.

    ``bars`` are :class:`Bar` values or ``(index, start, size, is_memory)`` tuples.

    Context: the kernel reads the REPORT object under the evidence rwsem; this
    model is pure and takes the bytes.
    Return: the entries (TEE, non-MSI-X ranges only, in report order), or
    raises :class:`ReportRejected` (the kernel returns NULL) naming the rule:
    short header, misalignment, count beyond the data, then per entry: BAR id,
    non-memory BAR, descending BAR, empty range, overlap, overflow, beyond BAR,
    misaligned reporting offset (MASK rule).
    """
    r = Reader(report, _S)
    if len(r.data) < HEADER_SIZE:
        raise _reject("header", 0, f"{len(r.data)} bytes, header needs {HEADER_SIZE}")
    if address % 8:
        raise _reject("<buffer>", 0, f"report at {address:#x} is not 8-byte aligned")
    r.take(12, "header")
    count = r.u32("mmio_range_count")
    if len(r.data) < HEADER_SIZE + ENTRY_SIZE * count:
        raise _reject("mmio_range_count", 12,
                      f"{count} entries need {HEADER_SIZE + ENTRY_SIZE * count} bytes, "
                      f"report has {len(r.data)}")
    by_index = {bar.index: bar for bar in (b if isinstance(b, Bar) else Bar(*b) for b in bars)}
    gaps = dict(head_gaps or {})
    unit = PAGE_SIZE * PAGE_SIZE if double_convert else PAGE_SIZE
    out: list[MmioEntry] = []
    cur_bar = -1
    base = 0  # the reporting base of the current BAR
    prev_end = 0  # exclusive end (TSM address) of the previous range in this BAR
    for i in range(count):
        at = r.offset
        field = f"range[{i}]"
        pfn = r.u64(f"{field}.pfn")
        pages = r.u32(f"{field}.nr_pfns")
        attrs = r.u32(f"{field}.attributes")
        tsm_offset, size = pfn * unit, pages * unit
        if double_convert:
            tsm_offset, size = tsm_offset & _U64, size & _U64  # C's silent wrap
        bar_id = attrs >> 16
        bar = by_index.get(bar_id)
        if bar_id >= _STANDARD_BARS:
            raise _reject(f"{field}.range_id", at + 12, f"BAR id {bar_id} >= 6")
        if bar is None or not bar.is_memory or bar.size == 0:
            raise _reject(f"{field}.range_id", at + 12, f"BAR {bar_id} is not a memory BAR")
        if bar_id < cur_bar:
            raise _reject(f"{field}.range_id", at + 12,
                          f"BAR id {bar_id} after BAR {cur_bar} (must not decrease)")
        if size == 0:
            raise _reject(f"{field}.nr_pfns", at + 8, "empty range")
        if tsm_offset > _U64 or tsm_offset + size - 1 > _U64:
            raise _reject(f"{field}.pfn", at, "range end overflows 64 bits")
        if bar_id != cur_bar:
            cur_bar = bar_id
            base = _bar_base(offset_rule, tsm_offset, bar, gaps.get(bar_id, 0), field, at)
        elif tsm_offset < prev_end:
            raise _reject(f"{field}.pfn", at, "range overlaps or precedes the previous one")
        prev_end = tsm_offset + size
        in_bar = _in_bar(offset_rule, tsm_offset, base, bar, field, at)
        if in_bar + size > bar.size:
            raise _reject(f"{field}.nr_pfns", at + 8,
                          f"offset {in_bar:#x} + size {size:#x} exceeds BAR {bar_id} "
                          f"size {bar.size:#x}")
        if bar.start + in_bar + size - 1 > _U64:
            raise _reject(f"{field}.pfn", at, "GPA range overflows 64 bits")
        if attrs & (ATTR_IS_NON_TEE | ATTR_MSIX_TABLE | ATTR_MSIX_PBA):
            continue
        start = bar.start + in_bar
        out.append(MmioEntry(start, start + size - 1, tsm_offset, bar_id, attrs))
    return tuple(out)


def _bar_base(rule: OffsetRule, tsm_offset: int, bar: Bar, gap: int, field: str,
              at: int) -> int:
    if rule is OffsetRule.MASK_BY_BAR_SIZE:
        if bar.size & (bar.size - 1):
            raise _reject(f"{field}.range_id", at + 12,
                          f"BAR {bar.index} size {bar.size:#x} is not a power of two")
        return tsm_offset & ~(bar.size - 1)
    if rule is OffsetRule.AMD_FIRST_PAGE:
        if gap < 0 or gap % PAGE_SIZE or gap > tsm_offset:
            raise _reject(f"{field}.pfn", at, f"head gap {gap:#x} inconsistent with report")
        return tsm_offset - gap
    return tsm_offset


def _in_bar(rule: OffsetRule, tsm_offset: int, base: int, bar: Bar, field: str,
            at: int) -> int:
    if rule is OffsetRule.MASK_BY_BAR_SIZE and tsm_offset & ~(bar.size - 1) != base:
        raise _reject(f"{field}.pfn", at,
                      "ranges of one BAR disagree on the reporting offset (not BAR-aligned)")
    if rule is OffsetRule.MASK_BY_BAR_SIZE:
        return tsm_offset & (bar.size - 1)
    return tsm_offset - base


parse_report = parse_mmio_report
