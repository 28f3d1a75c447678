# SPDX-License-Identifier: BSD-3-Clause
"""Fault behaviour of one DSM: the hooks the responders call at each layer.

:mod:`devtrust.hw.faults` *defines* the catalogue (names, parameters, the defence a
correct verifier or kernel must show); :func:`devtrust.hw.dsm.faults.behaviour_for` turns
the faults selected for a device into one :class:`DsmBehaviour`, and the SPDM, TDISP and
IDE_KM responders consult it. A default-constructed behaviour is a correct device.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from devtrust.hw.dsm.tdi import Tdi, TdispFailure
from devtrust.wire.tdisp.header import FunctionId, TdispErrorCode, TdispRequest
from devtrust.wire.tdisp.report import RangeAttr, TdiReport

__all__ = ["DsmBehaviour", "ReportFlaw", "StepAction", "WireMangle"]

# A fault action run at a TDISP step; receives the DsmDevice (typed ``object`` here so
# this module does not import the device, which imports it).
StepAction = Callable[[object, Tdi], None]


@dataclass(frozen=True, slots=True)
class WireMangle:
    """Truncate (``truncate`` bytes cut from the end) or pad (``oversize`` bytes appended)."""

    truncate: int = 0
    oversize: int = 0

    def apply(self, data: bytes) -> bytes:
        if self.truncate:
            data = data[:max(0, len(data) - self.truncate)]
        return data + b"\xa5" * self.oversize


class ReportFlaw:
    """Names of the interface-report defects the report builder can plant."""

    OVERLAP = "overlap"
    OUTSIDE_BAR = "outside-bar"
    MISSING_RANGE = "missing-range"
    MSIX_AS_TEE = "msix-as-tee"


@dataclass(slots=True)
class DsmBehaviour:
    """Which misbehaviours are on, plus the little state some of them need.

    SPDM request codes are ints (0x84 GET_VERSION ... 0xE0 GET_MEASUREMENTS); TDISP
    requests are :class:`TdispRequest`. Mutable only through its hooks' counters.
    """

    spdm_busy: dict[int, int] = field(default_factory=dict)
    spdm_not_ready: frozenset[int] = frozenset()
    spdm_mangle: dict[int, WireMangle] = field(default_factory=dict)
    stale_nonce: bool = False
    digest_mismatch: str | None = None
    tdisp_busy: int | None = None
    tdisp_mangle: dict[TdispRequest, WireMangle] = field(default_factory=dict)
    wrong_interface_id: frozenset[TdispRequest] = frozenset()
    no_entropy: bool = False
    repeated_nonce: bool = False
    report_flaws: frozenset[str] = frozenset()
    report_changes_between_fetches: bool = False
    ignores_config: bool = False
    ignores_no_fw_update: bool = False
    steps: dict[str, tuple[StepAction, ...]] = field(default_factory=dict)
    _report_fetches: dict[int, int] = field(default_factory=dict)
    _not_ready_pending: set[int] = field(default_factory=set)

    # -- SPDM layer -----------------------------------------------------------------------
    def spdm_error_for(self, code: int) -> str | None:
        """"busy", "not-ready" or None for an SPDM request ``code``.

        Busy fires ``count`` times (0 = forever); ResponseNotReady fires once per request
        code, after which RESPOND_IF_READY returns the real response.
        """
        left = self.spdm_busy.get(code)
        if left is not None:
            if left == 0:
                return "busy"
            self.spdm_busy[code] = left - 1
            if left - 1 == 0:
                del self.spdm_busy[code]
            return "busy"
        if code in self.spdm_not_ready and code not in self._not_ready_pending:
            self._not_ready_pending.add(code)
            return "not-ready"
        return None

    def mangle_spdm(self, code: int, response: bytes) -> bytes:
        mangle = self.spdm_mangle.get(code)
        return mangle.apply(response) if mangle else response

    # -- TDISP layer ----------------------------------------------------------------------
    def before_tdisp(self, code: TdispRequest, tdi: Tdi) -> TdispFailure | None:
        """Runs after header checks, before the state table: BUSY (``count`` times)."""
        if self.tdisp_busy is not None:
            if self.tdisp_busy == 1:
                self.tdisp_busy = None
            elif self.tdisp_busy > 1:
                self.tdisp_busy -= 1
            return TdispFailure(TdispErrorCode.BUSY)
        return None

    def after_tdisp(self, code: TdispRequest, response: bytes) -> bytes:
        mangle = self.tdisp_mangle.get(code)
        return mangle.apply(response) if mangle else response

    def echo_function_id(self, fn: FunctionId, code: TdispRequest) -> FunctionId:
        """The FUNCTION_ID put in a response (a neighbour's with the wrong-id fault)."""
        if code not in self.wrong_interface_id:
            return fn
        return FunctionId.from_requester_id((fn.requester_id + 1) & 0xFFFF)

    def entropy_fails(self) -> bool:
        return self.no_entropy

    def step_actions(self, step: str) -> tuple[StepAction, ...]:
        """Fault actions to run at ``step`` ("lock", "report", "start", "run")."""
        return self.steps.get(step, ())

    def report_at_fetch(self, tdi: Tdi, offset: int) -> bytes:
        """The report as served now; with the changing-report fault every fetch that starts
        at OFFSET 0 after the first serves a variant with the first range's NON_TEE bit
        flipped (same size, different content)."""
        report = tdi.report or b""
        if not self.report_changes_between_fetches or not report:
            return report
        key = tdi.function_id.requester_id
        if offset == 0:
            self._report_fetches[key] = self._report_fetches.get(key, 0) + 1
        if self._report_fetches.get(key, 0) < 2:
            return report
        decoded = TdiReport.decode(report)
        if not decoded.mmio_ranges:
            return report + b"\x00"
        first = decoded.mmio_ranges[0]
        flipped = type(first)(first.first_page, first.num_pages,
                              RangeAttr(int(first.attributes) ^ int(RangeAttr.NON_TEE)),
                              first.range_id)
        ranges = (flipped, *decoded.mmio_ranges[1:])
        return TdiReport(decoded.interface_info, decoded.msix_message_control,
                         decoded.lnr_control, decoded.tph_control, ranges,
                         decoded.device_specific_info).encode()
