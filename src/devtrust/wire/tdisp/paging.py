# SPDX-License-Identifier: BSD-3-Clause
"""Fetching the TDI report in pieces (protocols.md §2.7 "Fetching the report in pieces").

Requester side: :class:`ReportAssembler` says which OFFSET/LENGTH to ask for
next and checks every DEVICE_INTERFACE_REPORT against what it asked and what
earlier portions promised. Responder side: :func:`report_portion` cuts the
slice a GET_DEVICE_INTERFACE_REPORT asks for.
"""

from __future__ import annotations

from devtrust.wire.errors import LengthError
from devtrust.wire.tdisp.header import FunctionId
from devtrust.wire.tdisp.responses import DeviceInterfaceReport

__all__ = [
    "MAX_ADDRESSABLE_REPORT",
    "InvalidReportRequestError",
    "ReportAssembler",
    "ReportSequenceError",
    "report_portion",
]

# OFFSET and PORTION_LENGTH are both 16-bit, so the last byte a requester can
# ever reach is at 0xFFFF + 0xFFFF - 1: no report can usefully be longer.
MAX_ADDRESSABLE_REPORT = 0xFFFF + 0xFFFF

_ASSEMBLY = "TDISP report assembly"


class InvalidReportRequestError(LengthError):
    """GET_DEVICE_INTERFACE_REPORT asks for LENGTH = 0 or an OFFSET at or past the end.

    The responder answers TDISP_ERROR(INVALID_REQUEST) (§2.7; tee-io-validator 4.3).
    """


class ReportSequenceError(RuntimeError):
    """The requester drove the assembler out of order: a local bug, not a device fault."""


def report_portion(report: bytes, offset: int, length: int,
                   max_portion: int) -> tuple[bytes, int]:
    """Return ``(portion, remainder_length)`` for one GET_DEVICE_INTERFACE_REPORT.

    The portion is at most ``min(length, max_portion)`` bytes (the responder's
    buffer limit, 0x40 in spdm-emu). Raises :class:`InvalidReportRequestError` for
    LENGTH = 0 or OFFSET ≥ the report size.
    """
    if max_portion < 1:
        raise ValueError("max_portion must be at least 1")
    if length == 0:
        raise InvalidReportRequestError("TDISP GET_DEVICE_INTERFACE_REPORT", "length", 18,
                                   "LENGTH is 0")
    if offset >= len(report):
        raise InvalidReportRequestError("TDISP GET_DEVICE_INTERFACE_REPORT", "offset", 16,
                                   f"OFFSET {offset} is not below the report size {len(report)}")
    end = min(len(report), offset + min(length, max_portion))
    remainder = len(report) - end
    if remainder > 0xFFFF:
        # The first portion of an oversized report cannot state its remainder.
        raise InvalidReportRequestError("TDISP GET_DEVICE_INTERFACE_REPORT", "offset", 16,
                                   f"remainder {remainder} does not fit REMAINDER_LENGTH")
    return report[offset:end], remainder


class ReportAssembler:
    """Collect DEVICE_INTERFACE_REPORT portions into the whole report (requester side).

    Use: ``offset, length = a.next_request()``, send GET_DEVICE_INTERFACE_REPORT,
    ``a.feed(response)``; repeat until ``a.is_complete``; then ``a.report()``.
    Each response is checked (§2.7): PORTION_LENGTH ≤ requested LENGTH, progress
    while bytes remain, the same FUNCTION_ID throughout, and OFFSET +
    PORTION_LENGTH + REMAINDER_LENGTH equal to the total promised by the first
    response, which itself must not exceed ``max_size``. Device faults raise
    :class:`~devtrust.wire.errors.LengthError`; the session layer must not send
    other TDISP requests between portions (§2.7, INVALID_INTERFACE_STATE).
    """

    __slots__ = ("_buffer_size", "_chunks", "_function_id", "_max_size", "_offset",
                 "_pending", "_total")

    def __init__(self, *, buffer_size: int = 0xFFFF, max_size: int = MAX_ADDRESSABLE_REPORT,
                 function_id: FunctionId | None = None) -> None:
        if not 1 <= buffer_size <= 0xFFFF:
            raise ValueError("buffer_size must be 1..0xFFFF (LENGTH is 16-bit)")
        self._buffer_size = buffer_size
        self._max_size = max_size
        self._function_id = function_id
        self._chunks: list[bytes] = []
        self._offset = 0
        self._total: int | None = None
        self._pending: int | None = None  # LENGTH of the request in flight

    @property
    def is_complete(self) -> bool:
        return self._total is not None and self._offset == self._total

    @property
    def offset(self) -> int:
        """Bytes received so far (the next OFFSET)."""
        return self._offset

    def next_request(self) -> tuple[int, int]:
        """OFFSET and LENGTH for the next GET_DEVICE_INTERFACE_REPORT."""
        if self._pending is not None:
            raise ReportSequenceError("previous request still awaits its response")
        if self.is_complete:
            raise ReportSequenceError("report already complete")
        remaining = 0xFFFF if self._total is None else self._total - self._offset
        if self._offset > 0xFFFF:
            raise LengthError(_ASSEMBLY, "offset", self._offset,
                              "next OFFSET does not fit 16 bits")
        self._pending = min(self._buffer_size, remaining)
        return self._offset, self._pending

    def feed(self, response: DeviceInterfaceReport) -> bool:
        """Check and take one response; return True once the report is complete."""
        if self._pending is None:
            raise ReportSequenceError("response without a request")
        requested, self._pending = self._pending, None
        if self._function_id is None:
            self._function_id = response.function_id
        elif response.function_id != self._function_id:
            raise self._fail("function_id", "FUNCTION_ID differs from the earlier portions")
        portion, remainder = response.portion, response.remainder_length
        if len(portion) > requested:
            raise self._fail("portion_length",
                             f"PORTION_LENGTH {len(portion)} exceeds requested LENGTH {requested}")
        total = self._offset + len(portion) + remainder
        if self._total is None:
            if total > self._max_size:
                raise self._fail("remainder_length",
                                 f"report of {total} bytes exceeds the limit {self._max_size}")
            self._total = total
        elif total != self._total:
            raise self._fail("remainder_length",
                             f"OFFSET + PORTION + REMAINDER = {total}, expected {self._total}")
        if not portion and remainder:
            raise self._fail("portion_length", "empty portion while bytes remain")
        self._chunks.append(portion)
        self._offset += len(portion)
        return self.is_complete

    def report(self) -> bytes:
        """The assembled report bytes; only once complete."""
        if not self.is_complete:
            raise ReportSequenceError("report incomplete")
        return b"".join(self._chunks)

    def _fail(self, field_name: str, reason: str) -> LengthError:
        return LengthError(_ASSEMBLY, field_name, self._offset, reason)
