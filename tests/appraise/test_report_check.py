# SPDX-License-Identifier: BSD-3-Clause
"""Interface-report rules: each one passing on a good report and failing on its flaw."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtrust.appraise.claims import ClaimStatus
from devtrust.appraise.report_check import (
    BarInfo,
    LockParams,
    MsixPlacement,
    RangeView,
    ReportRules,
    ReportView,
    check_report,
    check_report_bytes,
)
from devtrust.wire.tdisp.report import InterfaceInfo, MmioRange, RangeAttr, TdiReport

OFFSET = 0xD000_0000
BAR0 = BarInfo(0, 0x10000, 0xF000_0000)
BAR2 = BarInfo(2, 0x4000, 0xF010_0000)
BARS = (BAR0, BAR2)
MSIX = MsixPlacement(2, 0x0, 0x100, 2, 0x1000, 0x8)
LOCKED_MSIX = LockParams(0x1 | 0x4, OFFSET)
NO_MSIX = LockParams(0x1, OFFSET)
T, P, N = 0x1, 0x2, 0x4


def rng(bar: BarInfo, off: int, pages: int, attrs: int = 0, offset: int = OFFSET,
        rid: int | None = None) -> RangeView:
    assert bar.address is not None
    return RangeView((bar.address + off + offset) >> 12, pages, attrs,
                     bar.index if rid is None else rid)


GOOD = ReportView(0x1 | 0x2 | 0x8, msix_message_control=0x800F, ranges=(
    rng(BAR0, 0, 16), rng(BAR2, 0, 1, T), rng(BAR2, 0x1000, 1, P), rng(BAR2, 0x2000, 2)),
    raw=b"report-bytes")
GOOD_UNLOCKED = ReportView(0x1 | 0x2, ranges=(rng(BAR0, 0, 16), rng(BAR2, 0x2000, 2)))


def run(report: ReportView = GOOD, lock: LockParams = LOCKED_MSIX, rules: ReportRules | None = None,
        bars=BARS, msix: MsixPlacement | None = MSIX, **kw) -> dict:
    claims = check_report(report, bars, msix, lock, rules or ReportRules(), **kw)
    assert len({c.name for c in claims}) == len(claims)
    return {c.name.removeprefix("report."): c for c in claims}


def status(report: ReportView = GOOD, rule: str = "", **kw) -> ClaimStatus:
    return run(report, **kw)[rule].status


def test_good_reports_pass_every_enabled_rule() -> None:
    for report, lock in ((GOOD, LOCKED_MSIX), (GOOD_UNLOCKED, NO_MSIX)):
        claims = run(report, lock)
        bad = {n: c.reason for n, c in claims.items()
               if c.status not in (ClaimStatus.PASS, ClaimStatus.SKIP)}
        assert bad == {}
        assert claims["report_stable"].status is ClaimStatus.SKIP
        assert all(c.evidence_pointer.startswith("/objects/report") for c in claims.values())


def test_every_rule_has_a_claim() -> None:
    assert set(run()) == set(ReportRules.RULE_NAMES)


def test_interface_info_reserved_bits() -> None:
    assert status(replace(GOOD, interface_info=0x21), "interface_info_reserved") \
        is ClaimStatus.FAIL


def test_no_fw_update_must_be_reflected() -> None:
    assert status(replace(GOOD, interface_info=0x2), "no_fw_update") is ClaimStatus.FAIL
    assert status(replace(GOOD_UNLOCKED, interface_info=0x2), "no_fw_update",
                  lock=LockParams(0, OFFSET)) is ClaimStatus.PASS


@pytest.mark.parametrize(("rule", "bit", "allow"), [("ats", 0x8, "allow_ats"),
                                                    ("prs", 0x10, "allow_prs"),
                                                    ("pasid", 0x4, "allow_pasid")])
def test_ats_prs_pasid_per_policy(rule: str, bit: int, allow: str) -> None:
    report = replace(GOOD, interface_info=0x1 | bit)
    assert status(report, rule, rules=ReportRules(**{allow: True})) is ClaimStatus.PASS
    assert status(report, rule, rules=ReportRules(**{allow: False})) is ClaimStatus.FAIL


def test_msix_reported_without_lock_msix_fails() -> None:
    assert status(GOOD, "msix_lock", lock=NO_MSIX) is ClaimStatus.FAIL
    assert status(replace(GOOD_UNLOCKED, msix_message_control=1), "msix_lock",
                  lock=NO_MSIX) is ClaimStatus.FAIL


def test_lock_msix_but_table_missing_fails() -> None:
    report = replace(GOOD, ranges=(rng(BAR0, 0, 16), rng(BAR2, 0x2000, 2)))
    assert status(report, "msix_lock") is ClaimStatus.FAIL


def test_tph_control_without_msix_lock() -> None:
    assert status(replace(GOOD_UNLOCKED, tph_control=1), "tph_control", lock=NO_MSIX) \
        is ClaimStatus.FAIL


def test_locked_msix_marked_non_tee_fails() -> None:
    report = replace(GOOD, ranges=(rng(BAR0, 0, 16), rng(BAR2, 0, 1, T | N),
                                   rng(BAR2, 0x1000, 1, P), rng(BAR2, 0x2000, 2)))
    assert status(report, "msix_tee") is ClaimStatus.FAIL


def test_msix_table_claimed_over_tee_memory_is_caught() -> None:
    # The device flags a page of BAR0 as "MSI-X table": the capability says BAR 2.
    report = replace(GOOD, ranges=(rng(BAR0, 0, 1, T), rng(BAR0, 0x1000, 15),
                                   rng(BAR2, 0x1000, 1, P), rng(BAR2, 0x2000, 2)))
    c = run(report)["msix_placement"]
    assert c.status is ClaimStatus.FAIL and "capability says BAR 2" in c.reason


def test_msix_range_at_wrong_offset_or_too_big() -> None:
    wrong = replace(GOOD, ranges=(rng(BAR0, 0, 16), rng(BAR2, 0, 1),
                                  rng(BAR2, 0x1000, 1, P | T), rng(BAR2, 0x2000, 2)))
    assert status(wrong, "msix_placement") is ClaimStatus.FAIL
    big = replace(GOOD, ranges=(rng(BAR0, 0, 16), rng(BAR2, 0, 1, T),
                                rng(BAR2, 0x1000, 3, P)))
    assert status(big, "msix_placement") is ClaimStatus.FAIL
    assert status(GOOD, "msix_placement", msix=None) is ClaimStatus.FAIL


def test_non_tee_ranges_per_policy() -> None:
    report = replace(GOOD, ranges=(rng(BAR0, 0, 8), rng(BAR0, 0x8000, 8, N), *GOOD.ranges[1:]))
    assert status(report, "non_tee") is ClaimStatus.PASS
    assert status(report, "non_tee", rules=ReportRules(allow_non_tee=False)) is ClaimStatus.FAIL


def test_range_attribute_reserved_bits() -> None:
    report = replace(GOOD, ranges=(rng(BAR0, 0, 16, 0x10), *GOOD.ranges[1:]))
    assert status(report, "range_attributes_reserved") is ClaimStatus.FAIL


def test_range_id_must_be_a_memory_bar_below_6() -> None:
    for rid, bars in ((6, BARS), (1, BARS), (0, (replace(BAR0, is_memory=False), BAR2))):
        report = replace(GOOD, ranges=(rng(BAR0, 0, 16, rid=rid), *GOOD.ranges[1:]))
        assert status(report, "range_id", bars=bars) is ClaimStatus.FAIL


def test_ranges_sorted_by_bar_then_address() -> None:
    report = replace(GOOD, ranges=(GOOD.ranges[1], GOOD.ranges[0], *GOOD.ranges[2:]))
    assert status(report, "range_order") is ClaimStatus.FAIL
    swapped = replace(GOOD, ranges=(rng(BAR0, 0x8000, 8), rng(BAR0, 0, 8), *GOOD.ranges[1:]))
    assert status(swapped, "range_order") is ClaimStatus.FAIL


def test_overlapping_or_empty_ranges() -> None:
    report = replace(GOOD, ranges=(rng(BAR0, 0, 9), rng(BAR0, 0x8000, 8), *GOOD.ranges[1:]))
    assert status(report, "range_overlap") is ClaimStatus.FAIL
    empty = replace(GOOD, ranges=(rng(BAR0, 0, 16), rng(BAR0, 0x10000 - 0x1000, 0),
                                  *GOOD.ranges[1:]))
    assert status(empty, "range_overlap") is ClaimStatus.FAIL


def test_range_outside_bar() -> None:
    report = replace(GOOD, ranges=(rng(BAR0, 0, 17), *GOOD.ranges[1:]))
    assert status(report, "range_in_bar") is ClaimStatus.FAIL
    below = replace(GOOD, ranges=(rng(BAR0, -0x1000, 1), *GOOD.ranges))
    assert status(below, "range_in_bar") is ClaimStatus.FAIL


def test_reporting_offset_is_removed() -> None:
    # Ranges computed without the offset land outside the BARs once it is subtracted.
    report = replace(GOOD, ranges=tuple(replace(r, first_page=r.first_page - (OFFSET >> 12))
                                        for r in GOOD.ranges))
    assert status(report, "range_in_bar") is ClaimStatus.FAIL


def test_guest_view_without_bar_addresses_masks_by_bar_size() -> None:
    bars = tuple(replace(b, address=None) for b in BARS)
    assert status(GOOD, "range_in_bar", bars=bars) is ClaimStatus.PASS
    assert status(GOOD, "bar_coverage", bars=bars) is ClaimStatus.PASS


def test_first_range_at_bar_start_option() -> None:
    hole = replace(GOOD_UNLOCKED, ranges=(rng(BAR0, 0x1000, 15), rng(BAR2, 0x2000, 2)))
    assert status(hole, "first_range_at_bar_start", lock=NO_MSIX) is ClaimStatus.SKIP
    on = ReportRules(first_range_at_bar_start=True, coverage="any")
    assert status(hole, "first_range_at_bar_start", lock=NO_MSIX, rules=on) is ClaimStatus.FAIL
    # AMD reading with unknown BAR addresses: offsets count from the first range.
    bars = tuple(replace(b, address=None) for b in BARS)
    assert status(GOOD_UNLOCKED, "range_in_bar", lock=NO_MSIX, rules=on, bars=bars) \
        is ClaimStatus.PASS


def test_bar_coverage_modes() -> None:
    # MSI-X not locked: the table/PBA pages of BAR2 are an unreported hole.
    assert status(GOOD_UNLOCKED, "bar_coverage", lock=NO_MSIX) is ClaimStatus.PASS
    full = ReportRules(coverage="full")
    assert status(GOOD_UNLOCKED, "bar_coverage", lock=NO_MSIX, rules=full) is ClaimStatus.FAIL
    assert status(GOOD, "bar_coverage", rules=full) is ClaimStatus.PASS
    gap = replace(GOOD_UNLOCKED, ranges=(rng(BAR0, 0, 8), rng(BAR2, 0x2000, 2)))
    assert status(gap, "bar_coverage", lock=NO_MSIX) is ClaimStatus.FAIL
    assert status(gap, "bar_coverage", lock=NO_MSIX, rules=ReportRules(coverage="any")) \
        is ClaimStatus.SKIP
    missing_bar = replace(GOOD_UNLOCKED, ranges=(rng(BAR0, 0, 16),))
    assert status(missing_bar, "bar_coverage", lock=NO_MSIX) is ClaimStatus.FAIL


@pytest.mark.parametrize(("mode", "offset", "expect"), [
    ("zero", 0, ClaimStatus.PASS), ("zero", OFFSET, ClaimStatus.FAIL),
    ("bar_aligned", OFFSET, ClaimStatus.PASS), ("bar_aligned", 0x3000, ClaimStatus.FAIL),
    ("zero_or_bar_aligned", 0, ClaimStatus.PASS),
    ("zero_or_bar_aligned", 0x8000, ClaimStatus.FAIL), ("any", 0x123, ClaimStatus.SKIP),
])
def test_reporting_offset_rule(mode: str, offset: int, expect: ClaimStatus) -> None:
    report = replace(GOOD, ranges=tuple(rng(BAR0 if r.range_id == 0 else BAR2,
                                            (r.first_page << 12) - OFFSET
                                            - (BAR0 if r.range_id == 0 else BAR2).address,
                                            r.num_pages, r.attributes, offset)
                                        for r in GOOD.ranges))
    rules = ReportRules(reporting_offset=mode)  # type: ignore[arg-type]
    assert status(report, "reporting_offset", lock=LockParams(0x5, offset), rules=rules) \
        is expect


def test_reporting_offset_must_be_page_aligned() -> None:
    rules = ReportRules(reporting_offset="bar_aligned")
    assert status(GOOD, "reporting_offset", lock=LockParams(0x5, OFFSET + 1), rules=rules) \
        is ClaimStatus.FAIL


def test_report_changed_between_fetches() -> None:
    assert status(GOOD, "report_stable", second_raw=b"report-bytes") is ClaimStatus.PASS
    assert status(GOOD, "report_stable", second_raw=b"report-bytez") is ClaimStatus.FAIL


def test_rule_severity_warn_and_off() -> None:
    report = replace(GOOD, interface_info=0x1 | 0x10)
    assert status(report, "prs", rules=ReportRules(severity=(("prs", "warn"),))) \
        is ClaimStatus.WARN
    assert status(report, "prs", rules=ReportRules(severity=(("prs", "off"),))) \
        is ClaimStatus.SKIP


def test_wire_bytes_adapter() -> None:
    tdi = TdiReport(InterfaceInfo.NO_FW_UPDATE | InterfaceInfo.DMA_WITHOUT_PASID, mmio_ranges=(
        MmioRange.from_physical(BAR0.address, 0x10000, RangeAttr(0), 0, OFFSET),  # type: ignore[arg-type]
        MmioRange.from_physical(BAR2.address + 0x2000, 0x2000, RangeAttr(0), 2, OFFSET),  # type: ignore[operator]
    ), device_specific_info=b"nvme")
    raw = tdi.encode()
    claims = {c.name: c for c in check_report_bytes(raw, BARS, MSIX, NO_MSIX, ReportRules(),
                                                    second_raw=raw)}
    assert claims["report.decode"].status is ClaimStatus.PASS
    assert all(c.status in (ClaimStatus.PASS, ClaimStatus.SKIP) for c in claims.values())
    broken = check_report_bytes(raw[:-1], BARS, MSIX, NO_MSIX, ReportRules())
    assert [(c.name, c.status) for c in broken] == [("report.decode", ClaimStatus.FAIL)]

_ranges = st.lists(st.builds(RangeView, st.integers(0, 2**64 - 1), st.integers(0, 2**32 - 1),
                             st.integers(0, 0xFFFF), st.integers(0, 0xFFFF)), max_size=6)
_bars = st.lists(st.builds(BarInfo, st.integers(0, 7), st.integers(0, 2**40),
                           st.none() | st.integers(0, 2**48), st.booleans()), max_size=6)


@given(ranges=_ranges, bars=_bars, info=st.integers(0, 0xFFFF),
       flags=st.integers(0, 0xFFFF), offset=st.integers(0, 2**64 - 1),
       msix=st.none() | st.builds(MsixPlacement, *[st.integers(0, 2**20)] * 6),
       first=st.booleans(), coverage=st.sampled_from(["full", "msix_holes", "any"]))
def test_hostile_reports_never_crash(ranges, bars, info, flags, offset, msix, first,
                                     coverage) -> None:
    rules = ReportRules(first_range_at_bar_start=first, coverage=coverage)
    claims = check_report(ReportView(info, ranges=tuple(ranges)), tuple(bars), msix,
                          LockParams(flags, offset), rules)
    assert sorted(c.name for c in claims) == sorted(f"report.{n}" for n in ReportRules.RULE_NAMES)
