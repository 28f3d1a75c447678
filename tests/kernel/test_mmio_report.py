# SPDX-License-Identifier: BSD-3-Clause
"""pci_tsm_mmio_alloc parsing rules (kernel-abi.md §7.1, §9.11 item 11)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtrust.kernel.mmio_report import (
    ATTR_IS_NON_TEE,
    ATTR_MSIX_PBA,
    ATTR_MSIX_TABLE,
    Bar,
    MmioEntry,
    OffsetRule,
    ReportRejected,
    parse_mmio_report,
)
from devtrust.wire.errors import WireError

MIB = 1 << 20
BARS = (Bar(0, 0x8000_0000, 2 * MIB), Bar(1, 0, 0x100, is_memory=False),
        Bar(2, 0x9000_0000, 16 * MIB))
REPORTING = 0x40_0000_0000  # a BAR-size-aligned TSM reporting offset


def report(*ranges: tuple[int, int, int, int], extra: bytes = b"") -> bytes:
    """ranges: (byte offset, byte size, bar, attribute bits)."""
    head = struct.pack("<HHHHII", 0, 0, 0, 0, 0, len(ranges))
    body = b"".join(struct.pack("<QII", off // 4096, size // 4096, (bar << 16) | attrs)
                    for off, size, bar, attrs in ranges)
    return head + body + extra


def reject(data: bytes, reason: str, **kw: object) -> None:
    with pytest.raises(ReportRejected, match=reason):
        parse_mmio_report(data, BARS, **kw)  # type: ignore[arg-type]


def test_valid_report_all_rules() -> None:
    data = report((REPORTING, 4096, 0, 0), (REPORTING + 8192, 8192, 0, ATTR_MSIX_TABLE),
                  (REPORTING + 64 * 1024, 4096, 0, 0), (REPORTING, MIB, 2, 0),
                  extra=b"\x04\0\0\0devspecific")
    entries = parse_mmio_report(data, BARS)
    assert entries == (
        MmioEntry(0x8000_0000, 0x8000_0FFF, REPORTING, 0, 0),
        MmioEntry(0x8001_0000, 0x8001_0FFF, REPORTING + 0x10000, 0, 0),
        MmioEntry(0x9000_0000, 0x900F_FFFF, REPORTING, 2, 2 << 16),
    )
    assert entries[2].size == MIB


def test_short_misaligned_and_count() -> None:
    reject(b"\0" * 15, "header needs 16")
    reject(report((0, 4096, 0, 0)), "not 8-byte aligned", address=0x1004)
    reject(report((0, 4096, 0, 0))[:-1], "1 entries need 32")
    reject(report()[:12] + struct.pack("<I", 0x1000_0000), "entries need")
    assert parse_mmio_report(report(), BARS) == ()


@pytest.mark.parametrize(("ranges", "reason"), [
    (((0, 4096, 6, 0),), "BAR id 6 >= 6"),
    (((0, 4096, 7, 0),), "BAR id 7 >= 6"),
    (((0, 4096, 1, 0),), "BAR 1 is not a memory BAR"),
    (((0, 4096, 3, 0),), "BAR 3 is not a memory BAR"),
    (((0, 4096, 2, 0), (0, 4096, 0, 0)), "must not decrease"),
    (((0, 8192, 0, 0), (4096, 4096, 0, 0)), "overlaps"),
    (((8192, 4096, 0, 0), (0, 4096, 0, 0)), "overlaps or precedes"),
    (((0, 4 * MIB, 0, 0),), "exceeds BAR 0"),
    (((0, 0, 0, 0),), "empty range"),
    (((0, 4096, 0, ATTR_IS_NON_TEE), (0, 4096, 0, 0)), "overlaps"),  # skipped ranges count
    (((0, 4 * MIB, 0, ATTR_MSIX_PBA),), "exceeds"),  # skipped ranges still validated
])
def test_entry_rules(ranges: tuple[tuple[int, int, int, int], ...], reason: str) -> None:
    reject(report(*ranges), reason)


def test_u64_overflow() -> None:
    huge = struct.pack("<HHHHII", 0, 0, 0, 0, 0, 1) + struct.pack("<QII", (1 << 64) - 1, 2, 0)
    reject(huge, "overflows 64 bits")
    high_bar = (Bar(0, (1 << 64) - 4096, 2 * MIB),)
    with pytest.raises(ReportRejected, match="GPA range overflows"):
        parse_mmio_report(report((0, 8192, 0, 0)), high_bar)


def test_non_tee_and_msix_skipped() -> None:
    data = report((0, 4096, 0, ATTR_MSIX_TABLE), (4096, 4096, 0, ATTR_MSIX_PBA),
                  (8192, 4096, 0, ATTR_IS_NON_TEE), (12288, 4096, 0, 0))
    (only,) = parse_mmio_report(data, BARS)
    assert only.start == 0x8000_3000


def test_v2_double_multiply_bug_variant() -> None:
    one_page = report((0, 4096, 2, 0))
    (fixed,) = parse_mmio_report(one_page, BARS)
    assert fixed.size == 4096
    (buggy,) = parse_mmio_report(one_page, BARS, double_convert=True)
    assert buggy.size == 16 * MIB  # D2: 1 page read as 4096 pages
    reject(report((4096, 4096, 0, 0)), "exceeds BAR 0", double_convert=True)


def test_offset_rules_when_bar_starts_with_a_hole() -> None:
    # BAR 0 begins with an unreported (unlocked) MSI-X page; the first reported
    # range is at BAR offset 4 KiB.
    data = report((REPORTING + 4096, 4096, 0, 0))
    (mask,) = parse_mmio_report(data, BARS, offset_rule=OffsetRule.MASK_BY_BAR_SIZE)
    assert mask.start == 0x8000_1000
    (v2,) = parse_mmio_report(data, BARS, offset_rule=OffsetRule.V2_FIRST_RANGE_AT_ZERO)
    assert v2.start == 0x8000_0000  # D3: v2 misplaces it at BAR offset 0
    (amd,) = parse_mmio_report(data, BARS, offset_rule=OffsetRule.AMD_FIRST_PAGE)
    assert amd.start == 0x8000_0000
    (amd_told,) = parse_mmio_report(data, BARS, offset_rule=OffsetRule.AMD_FIRST_PAGE,
                                    head_gaps={0: 4096})
    assert amd_told.start == 0x8000_1000
    reject(data, "head gap", offset_rule=OffsetRule.AMD_FIRST_PAGE, head_gaps={0: 100})


def test_mask_rule_requires_aligned_reporting_offset_and_pow2_bar() -> None:
    unaligned = REPORTING + 2 * MIB - 4096  # ranges straddle a BAR-size boundary
    reject(report((unaligned, 4096, 0, 0), (unaligned + 4096, 4096, 0, 0)),
           "reporting offset")
    odd = (Bar(0, 0x8000_0000, 3 * MIB),)
    with pytest.raises(ReportRejected, match="power of two"):
        parse_mmio_report(report((0, 4096, 0, 0)), odd)
    (ok,) = parse_mmio_report(report((0, 4096, 0, 0)), odd,
                              offset_rule=OffsetRule.V2_FIRST_RANGE_AT_ZERO)
    assert ok.start == 0x8000_0000


@given(st.binary(max_size=200), st.sampled_from(list(OffsetRule)), st.booleans())
def test_random_bytes_raise_only_rejection(data: bytes, rule: OffsetRule, bug: bool) -> None:
    try:
        parse_mmio_report(data, BARS, offset_rule=rule, double_convert=bug)
    except WireError as exc:
        assert isinstance(exc, ReportRejected)


@st.composite
def valid_reports(draw: st.DrawFn) -> tuple[bytes, tuple[Bar, ...]]:
    bars = []
    ranges = []
    for index in sorted(draw(st.sets(st.integers(0, 5), min_size=1, max_size=3))):
        pages = 1 << draw(st.integers(0, 6))
        bar = Bar(index, 0x1_0000_0000 * (index + 1), pages * 4096)
        bars.append(bar)
        base = draw(st.integers(0, 1 << 20)) * bar.size
        page = 0
        while page < pages and draw(st.booleans()):
            page += draw(st.integers(0, 2))
            if page >= pages:
                break
            n = draw(st.integers(1, pages - page))
            attrs = draw(st.sampled_from([0, ATTR_MSIX_TABLE, ATTR_IS_NON_TEE]))
            ranges.append((base + page * 4096, n * 4096, index, attrs))
            page += n
    return report(*ranges), tuple(bars)


@given(valid_reports())
def test_valid_reports_parse_inside_their_bars(case: tuple[bytes, tuple[Bar, ...]]) -> None:
    data, bars = case
    by_index = {b.index: b for b in bars}
    for entry in parse_mmio_report(data, bars):
        bar = by_index[entry.bar]
        assert bar.start <= entry.start <= entry.end < bar.start + bar.size
        assert entry.end - entry.start + 1 == entry.size > 0


def test_tuple_bars_positional_rule_and_unpacking() -> None:
    from devtrust.kernel.mmio_report import parse_report
    bars = tuple((b.index, b.start, b.size, b.is_memory) for b in BARS)
    (entry,) = parse_report(report((0, 4096, 2, 0)), bars, OffsetRule.MASK)
    start, end, tsm_offset, bar, attributes = tuple(entry)
    assert (start, end, tsm_offset, bar, attributes) == (0x9000_0000, 0x9000_0FFF, 0, 2, 2 << 16)
    assert OffsetRule.MASK is OffsetRule.MASK_BY_BAR_SIZE
