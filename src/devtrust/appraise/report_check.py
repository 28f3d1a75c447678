# SPDX-License-Identifier: BSD-3-Clause
"""Interface-report appraisal: one claim ``report.<rule>`` per rule, each configurable by policy.

Rules (:attr:`ReportRules.RULE_NAMES`) and their default severity (``fail``; ``off`` for
the three layout options until policy turns them on): interface_info_reserved,
no_fw_update, ats, prs, pasid, msix_lock, msix_tee, msix_placement, tph_control, non_tee,
range_attributes_reserved, range_id, range_order, range_overlap, range_in_bar,
first_range_at_bar_start (off), bar_coverage (off with ``coverage: any``),
reporting_offset (off with ``reporting_offset: any``), report_stable (skip with one copy).

Inputs are plain views (:class:`ReportView`, :class:`BarInfo`, :class:`MsixPlacement`,
:class:`LockParams`) so the rules do not depend on how the report was decoded;
:meth:`ReportView.from_bytes` adapts the wire codec (:mod:`devtrust.wire.tdisp.report`).

Address arithmetic (protocols.md §2.7, §7 row 7): ``physical = (FIRST_PAGE << 12) -
MMIO_REPORTING_OFFSET``. When the BAR's address is known (host, or a TSM that reports
host addresses) the in-BAR offset is ``physical - bar.address``. When it is not (a guest
never learns the HPA) the in-BAR offset is ``physical & (bar.size - 1)`` -- the
Aneesh/Jason direction, which needs an offset aligned to the BAR size or zero -- or, with
``first_range_at_bar_start`` (the AMD position, kernel-abi.md §7.4), relative to the first
reported range of that BAR.

MSI-X decision (TDISP §2.5 "if locked, accesses without T bit are rejected"): a locked
MSI-X table/PBA is TEE memory. So with LOCK_MSIX every MSI-X table/PBA range must be
present, TEE (IS_NON_TEE clear) and placed where the device's MSI-X capability says;
without LOCK_MSIX no MSI-X range may be reported at all (they "must not appear") and
MSI_X_MESSAGE_CONTROL / TPH_CONTROL must read 0. A range flagged MSI-X that sits
somewhere else than the capability's table is the "MSI-X table as TEE memory" attack.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from devtrust.appraise.claims import Category, Claim, ClaimStatus
from devtrust.wire.errors import WireError
from devtrust.wire.tdisp.report import TdiReport

__all__ = ["BarInfo", "LockParams", "MsixPlacement", "RangeView", "ReportRules", "ReportView",
           "check_report", "check_report_bytes"]

PAGE = 4096
INFO_NO_FW_UPDATE, INFO_PASID, INFO_ATS, INFO_PRS = 0x1, 0x4, 0x8, 0x10
ATTR_MSIX_TABLE, ATTR_MSIX_PBA, ATTR_NON_TEE = 0x1, 0x2, 0x4
LOCK_NO_FW_UPDATE, LOCK_MSIX = 0x1, 0x4
_PTR = "/objects/report"


@dataclass(frozen=True, slots=True)
class RangeView:
    """One MMIO_RANGE as raw integers (attributes bits 15:0, range id bits 31:16)."""

    first_page: int
    num_pages: int
    attributes: int
    range_id: int


@dataclass(frozen=True, slots=True)
class ReportView:
    """The decoded TDI report as plain values; ``raw`` are the received bytes."""

    interface_info: int
    msix_message_control: int = 0
    lnr_control: int = 0
    tph_control: int = 0
    ranges: tuple[RangeView, ...] = ()
    device_specific_info: bytes = b""
    raw: bytes = b""

    @classmethod
    def from_tdi(cls, report: TdiReport) -> ReportView:
        return cls(int(report.interface_info), report.msix_message_control,
                   report.lnr_control, report.tph_control,
                   tuple(RangeView(r.first_page, r.num_pages, int(r.attributes), r.range_id)
                         for r in report.mmio_ranges),
                   report.device_specific_info, report.raw)

    @classmethod
    def from_bytes(cls, raw: bytes) -> ReportView:
        """Decode with the strict wire codec; raises ``WireError``."""
        return cls.from_tdi(TdiReport.decode(raw))


@dataclass(frozen=True, slots=True)
class BarInfo:
    """A BAR as the device advertises it; ``address`` None when the appraiser cannot know it."""

    index: int
    size: int
    address: int | None = None
    is_memory: bool = True


@dataclass(frozen=True, slots=True)
class MsixPlacement:
    """Where the MSI-X capability puts the table and PBA (BIR + byte offset + byte size)."""

    table_bar: int
    table_offset: int
    table_size: int
    pba_bar: int
    pba_offset: int
    pba_size: int


@dataclass(frozen=True, slots=True)
class LockParams:
    """What the TSM used in LOCK_INTERFACE_REQUEST."""

    flags: int
    reporting_offset: int = 0


Severity = Literal["off", "warn", "fail"]


@dataclass(frozen=True, slots=True)
class ReportRules:
    """Policy knobs; ``severity`` overrides a rule's default severity by name."""

    severity: tuple[tuple[str, Severity], ...] = ()
    allow_ats: bool = True
    allow_prs: bool = False
    allow_pasid: bool = True
    allow_non_tee: bool = True
    coverage: Literal["full", "msix_holes", "any"] = "msix_holes"
    first_range_at_bar_start: bool = False
    reporting_offset: Literal["any", "zero", "bar_aligned", "zero_or_bar_aligned"] = "any"
    RULE_NAMES: ClassVar[tuple[str, ...]] = (
        "interface_info_reserved", "no_fw_update", "ats", "prs", "pasid", "msix_lock",
        "msix_tee", "msix_placement", "tph_control", "non_tee", "range_attributes_reserved",
        "range_id", "range_order", "range_overlap", "range_in_bar", "first_range_at_bar_start",
        "bar_coverage", "reporting_offset", "report_stable")

    def level(self, rule: str) -> Severity:
        for name, sev in self.severity:
            if name == rule:
                return sev
        defaults: dict[str, bool] = {
            "first_range_at_bar_start": self.first_range_at_bar_start,
            "bar_coverage": self.coverage != "any",
            "reporting_offset": self.reporting_offset != "any",
        }
        return "fail" if defaults.get(rule, True) else "off"


class _Out:
    """Collects one claim per rule, applying the policy severity."""

    def __init__(self, rules: ReportRules) -> None:
        self.rules = rules
        self.claims: list[Claim] = []

    def add(self, rule: str, problems: Sequence[str], ok: str, pointer: str = _PTR) -> None:
        sev = self.rules.level(rule)
        name = f"report.{rule}"
        if sev == "off":
            self.claims.append(Claim(name, ClaimStatus.SKIP, "disabled by policy", pointer,
                                     Category.CONFIGURATION))
        elif problems:
            more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
            status = ClaimStatus.WARN if sev == "warn" else ClaimStatus.FAIL
            self.claims.append(Claim(name, status, "; ".join(problems[:3]) + more, pointer,
                                     Category.CONFIGURATION))
        else:
            self.claims.append(Claim(name, ClaimStatus.PASS, ok, pointer, Category.CONFIGURATION))

    def skip(self, rule: str, reason: str) -> None:
        self.claims.append(Claim(f"report.{rule}", ClaimStatus.SKIP, reason, _PTR,
                                 Category.CONFIGURATION))


def check_report_bytes(raw: bytes, bars: Sequence[BarInfo], msix: MsixPlacement | None,
                       lock: LockParams, rules: ReportRules, *,
                       second_raw: bytes | None = None) -> tuple[Claim, ...]:
    """Decode ``raw`` and check it; an undecodable report is one failing ``report.decode``."""
    try:
        view = ReportView.from_bytes(raw)
    except WireError as exc:
        return (Claim("report.decode", ClaimStatus.FAIL, f"report does not decode: {exc}",
                      _PTR, Category.CONFIGURATION),)
    decoded = Claim("report.decode", ClaimStatus.PASS, f"{len(view.ranges)} MMIO range(s)",
                    _PTR, Category.CONFIGURATION)
    return (decoded, *check_report(view, bars, msix, lock, rules, second_raw=second_raw))


def check_report(report: ReportView, bars: Sequence[BarInfo], msix: MsixPlacement | None,
                 lock: LockParams, rules: ReportRules, *,
                 second_raw: bytes | None = None) -> tuple[Claim, ...]:
    """Apply every rule; returns one claim per rule (``skip`` when disabled or not applicable)."""
    out = _Out(rules)
    info = report.interface_info
    out.add("interface_info_reserved",
            [f"INTERFACE_INFO reserved bits set: 0x{info & ~0x1F:04x}"] if info & ~0x1F else [],
            "INTERFACE_INFO bits 15:5 are zero")
    wants_nfu = bool(lock.flags & LOCK_NO_FW_UPDATE)
    out.add("no_fw_update",
            ["LOCK requested NO_FW_UPDATE but the report does not reflect it"]
            if wants_nfu and not info & INFO_NO_FW_UPDATE else [],
            "firmware update lock reflected" if wants_nfu else "NO_FW_UPDATE was not requested")
    for rule, bit, allowed, what in (("ats", INFO_ATS, rules.allow_ats, "ATS"),
                                     ("prs", INFO_PRS, rules.allow_prs, "PRS"),
                                     ("pasid", INFO_PASID, rules.allow_pasid, "DMA with PASID")):
        bad = [f"{what} enabled but not allowed by policy"] if info & bit and not allowed else []
        out.add(rule, bad, f"{what} {'enabled' if info & bit else 'not enabled'}, allowed")

    bar_of = {b.index: b for b in bars}
    offsets = _in_bar_offsets(report, bar_of, lock, rules)
    _check_msix(report, msix, lock, offsets, out)
    non_tee = [i for i, r in enumerate(report.ranges)
               if r.attributes & ATTR_NON_TEE and not r.attributes & (ATTR_MSIX_TABLE
                                                                      | ATTR_MSIX_PBA)]
    out.add("non_tee", [f"range {i} is non-TEE memory, not allowed by policy" for i in non_tee]
            if not rules.allow_non_tee else [],
            f"{len(non_tee)} non-TEE range(s), allowed" if non_tee else "no non-TEE ranges")
    out.add("range_attributes_reserved",
            [f"range {i} reserved attribute bits 0x{r.attributes & ~0xF:04x}"
             for i, r in enumerate(report.ranges) if r.attributes & ~0xF],
            "attribute bits 15:4 zero")
    _check_layout(report, bar_of, offsets, msix, lock, rules, out)
    if second_raw is None:
        out.skip("report_stable", "only one copy of the report was provided")
    else:
        same = hmac.compare_digest(hashlib.sha384(report.raw).digest(),
                                   hashlib.sha384(second_raw).digest())
        out.add("report_stable", [] if same else ["report changed between two fetches"],
                "two fetches gave identical reports")
    return tuple(out.claims)


def _in_bar_offsets(report: ReportView, bar_of: dict[int, BarInfo], lock: LockParams,
                    rules: ReportRules) -> list[int | None]:
    """Byte offset of each range inside its BAR (None if its BAR is unknown); see module doc."""
    firsts: dict[int, int] = {}
    out: list[int | None] = []
    for r in report.ranges:
        bar = bar_of.get(r.range_id)
        phys = (r.first_page << 12) - lock.reporting_offset
        if bar is None or bar.size <= 0:
            out.append(None)
        elif bar.address is not None:
            out.append(phys - bar.address)
        elif rules.first_range_at_bar_start:
            out.append(phys - firsts.setdefault(r.range_id, phys))
        else:
            out.append(phys & (bar.size - 1))
    return out


def _check_msix(report: ReportView, msix: MsixPlacement | None, lock: LockParams,
                offsets: list[int | None], out: _Out) -> None:
    locked = bool(lock.flags & LOCK_MSIX)
    tables = [i for i, r in enumerate(report.ranges) if r.attributes & ATTR_MSIX_TABLE]
    pbas = [i for i, r in enumerate(report.ranges) if r.attributes & ATTR_MSIX_PBA]
    lock_bad: list[str] = []
    if not locked and (tables or pbas):
        lock_bad.append("MSI-X table/PBA reported although LOCK_MSIX was not requested")
    if not locked and report.msix_message_control:
        lock_bad.append("MSI_X_MESSAGE_CONTROL is non-zero although MSI-X was not locked")
    if locked and msix is not None and not (tables and pbas):
        lock_bad.append("LOCK_MSIX requested but the MSI-X table or PBA is not reported")
    out.add("msix_lock", lock_bad, "MSI-X reporting agrees with LOCK_MSIX")
    out.add("tph_control", ["TPH_CONTROL non-zero although MSI-X was not locked"]
            if not locked and report.tph_control else [], "TPH_CONTROL consistent")
    tee_bad = [f"range {i}: locked MSI-X structure marked non-TEE" for i in tables + pbas
               if locked and report.ranges[i].attributes & ATTR_NON_TEE]
    out.add("msix_tee", tee_bad, "locked MSI-X structures are TEE memory")
    place_bad: list[str] = []
    if len(tables) > 1 or len(pbas) > 1:
        place_bad.append("more than one range flagged MSI-X table or PBA")
    if (tables or pbas) and msix is None:
        place_bad.append("MSI-X ranges reported but the device advertises no MSI-X capability")
    elif msix is not None:
        wanted = [(i, msix.table_bar, msix.table_offset, msix.table_size, "table")
                  for i in tables]
        wanted += [(i, msix.pba_bar, msix.pba_offset, msix.pba_size, "PBA") for i in pbas]
        for i, bar, start, size, what in wanted:
            r, off = report.ranges[i], offsets[i]
            if r.range_id != bar:
                place_bad.append(f"range {i}: MSI-X {what} in BAR {r.range_id}, the capability"
                                 f" says BAR {bar}")
            elif off is None or not off <= start or start + size > off + r.num_pages * PAGE:
                place_bad.append(f"range {i}: MSI-X {what} range does not contain the "
                                 f"capability's {what} at BAR offset 0x{start:x}")
            elif r.num_pages * PAGE > _round_up(start + size) - (start & ~(PAGE - 1)):
                place_bad.append(f"range {i}: MSI-X {what} range is larger than the {what}: "
                                 "it would hide other memory")
    out.add("msix_placement", place_bad, "MSI-X ranges sit where the capability puts them"
            if tables or pbas else "no MSI-X ranges reported")


def _round_up(value: int) -> int:
    return (value + PAGE - 1) & ~(PAGE - 1)


def _check_layout(report: ReportView, bar_of: dict[int, BarInfo], offsets: list[int | None],
                  msix: MsixPlacement | None, lock: LockParams, rules: ReportRules,
                  out: _Out) -> None:
    ranges = report.ranges
    out.add("range_id", [f"range {i}: range id {r.range_id} is not a memory BAR of the device"
                         for i, r in enumerate(ranges)
                         if r.range_id >= 6 or r.range_id not in bar_of
                         or not bar_of[r.range_id].is_memory],
            "every range names a memory BAR < 6")
    order_bad, overlap_bad, prev = [], [], None
    for i, r in enumerate(ranges):
        key = (r.range_id, r.first_page)
        if prev is not None:
            pkey, pend = prev
            if key < pkey:
                order_bad.append(f"range {i} (BAR {r.range_id}, page 0x{r.first_page:x}) "
                                 "comes before the previous one")
            elif r.range_id == pkey[0] and r.first_page < pend:
                overlap_bad.append(f"range {i} overlaps the previous range")
        if r.num_pages == 0:
            overlap_bad.append(f"range {i} is empty")
        prev = (key, r.first_page + r.num_pages)
    out.add("range_order", order_bad, "ranges ascend by BAR, then address")
    out.add("range_overlap", overlap_bad, "ranges do not overlap")
    in_bar = []
    for i, (r, off) in enumerate(zip(ranges, offsets, strict=True)):
        bar = bar_of.get(r.range_id)
        if bar is None or off is None:
            continue
        if off < 0 or off + r.num_pages * PAGE > bar.size:
            in_bar.append(f"range {i}: BAR offset 0x{off:x} + 0x{r.num_pages * PAGE:x} lies "
                          f"outside BAR {bar.index} (size 0x{bar.size:x})")
    out.add("range_in_bar", in_bar, "every range lies inside its BAR")
    first_bad, seen = [], set()
    for i, (r, off) in enumerate(zip(ranges, offsets, strict=True)):
        if r.range_id not in seen and off is not None and off != 0:
            first_bad.append(f"range {i}: first range of BAR {r.range_id} starts at offset "
                             f"0x{off:x}, not 0")
        seen.add(r.range_id)
    out.add("first_range_at_bar_start", first_bad, "each BAR's first range starts at offset 0")
    out.add("bar_coverage", _coverage(ranges, bar_of, offsets, msix, lock, rules),
            f"BARs covered ({rules.coverage})")
    roff = lock.reporting_offset
    off_bad = [] if roff % PAGE == 0 else [f"MMIO_REPORTING_OFFSET 0x{roff:x} not 4 KiB aligned"]
    used = sorted({r.range_id for r in ranges if r.range_id in bar_of})
    unaligned = [b for b in used if bar_of[b].size and roff % bar_of[b].size]
    if rules.reporting_offset == "zero" and roff:
        off_bad.append(f"MMIO_REPORTING_OFFSET 0x{roff:x} is not 0 (policy: zero)")
    if rules.reporting_offset == "bar_aligned" and unaligned:
        off_bad.append(f"MMIO_REPORTING_OFFSET 0x{roff:x} not aligned to BAR(s) {unaligned}")
    if rules.reporting_offset == "zero_or_bar_aligned" and roff and unaligned:
        off_bad.append(f"MMIO_REPORTING_OFFSET 0x{roff:x} neither 0 nor aligned to BAR(s) "
                       f"{unaligned}")
    out.add("reporting_offset", off_bad, f"MMIO_REPORTING_OFFSET 0x{roff:x} acceptable")


def _coverage(ranges: tuple[RangeView, ...], bar_of: dict[int, BarInfo],
              offsets: list[int | None], msix: MsixPlacement | None, lock: LockParams,
              rules: ReportRules) -> list[str]:
    """Holes in each memory BAR; MSI-X structures may be holes under ``msix_holes``."""
    bad = []
    holes_ok: dict[int, list[tuple[int, int]]] = {}
    if rules.coverage == "msix_holes" and msix is not None and not lock.flags & LOCK_MSIX:
        for bir, start, size in ((msix.table_bar, msix.table_offset, msix.table_size),
                                 (msix.pba_bar, msix.pba_offset, msix.pba_size)):
            lo = start & ~(PAGE - 1)
            holes_ok.setdefault(bir, []).append((lo, _round_up(start + size)))
    for index, bar in sorted(bar_of.items()):
        if not bar.is_memory or bar.size <= 0:
            continue
        spans = sorted((off, off + r.num_pages * PAGE) for r, off in zip(ranges, offsets,
                                                                        strict=True)
                       if r.range_id == index and off is not None)
        spans += holes_ok.get(index, [])
        cursor = 0
        for lo, hi in sorted(spans):
            if lo > cursor:
                break
            cursor = max(cursor, hi)
        if cursor < bar.size:
            bad.append(f"BAR {index}: bytes from offset 0x{cursor:x} are not reported")
    return bad
