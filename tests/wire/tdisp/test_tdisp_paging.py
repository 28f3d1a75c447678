# SPDX-License-Identifier: BSD-3-Clause
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tdisp_strategies import SAMPLE_REPORT

from devtrust.wire.errors import LengthError
from devtrust.wire.tdisp import (
    DeviceInterfaceReport,
    FunctionId,
    InvalidReportRequestError,
    ReportAssembler,
    ReportSequenceError,
    TdiReport,
    report_portion,
)

BEEF = FunctionId.from_requester_id(0xBEEF)


def _respond(report: bytes, offset: int, length: int, max_portion: int) -> DeviceInterfaceReport:
    portion, remainder = report_portion(report, offset, length, max_portion)
    return DeviceInterfaceReport(BEEF, remainder, portion)


def test_spdm_emu_paging_of_the_sample() -> None:
    # §2.7: with a 0x40 portion size the sample arrives as 64 + 36 bytes.
    assert report_portion(SAMPLE_REPORT, 0, 0xFFFF, 0x40) == (SAMPLE_REPORT[:64], 36)
    assert report_portion(SAMPLE_REPORT, 64, 36, 0x40) == (SAMPLE_REPORT[64:], 0)
    asm = ReportAssembler(buffer_size=0x40)
    assert asm.next_request() == (0, 0x40)
    assert not asm.feed(_respond(SAMPLE_REPORT, 0, 0x40, 0x40))
    assert asm.next_request() == (64, 36)
    assert asm.feed(_respond(SAMPLE_REPORT, 64, 36, 0x40))
    assert asm.report() == SAMPLE_REPORT
    assert TdiReport.decode(asm.report()).raw == SAMPLE_REPORT


@pytest.mark.parametrize("offset, length", [(0, 0), (100, 1), (0xFFFF, 1)])
def test_responder_refuses_bad_requests(offset: int, length: int) -> None:
    # LENGTH = 0 and OFFSET ≥ size ⇒ INVALID_REQUEST (§2.7, tee-io-validator 4.3).
    with pytest.raises(InvalidReportRequestError):
        report_portion(SAMPLE_REPORT, offset, length, 0x40)


def _started(buffer_size: int = 0x40) -> ReportAssembler:
    asm = ReportAssembler(buffer_size=buffer_size, max_size=1000)
    asm.next_request()
    return asm


def test_portion_longer_than_requested() -> None:
    asm = _started(0x10)
    with pytest.raises(LengthError, match="exceeds requested LENGTH"):
        asm.feed(DeviceInterfaceReport(BEEF, 0, bytes(0x11)))


def test_total_must_stay_consistent() -> None:
    asm = _started()
    asm.feed(DeviceInterfaceReport(BEEF, 36, bytes(64)))
    asm.next_request()
    with pytest.raises(LengthError, match="expected 100"):
        asm.feed(DeviceInterfaceReport(BEEF, 1, bytes(36)))  # grows the report


def test_growth_past_the_limit() -> None:
    asm = _started()
    with pytest.raises(LengthError, match="exceeds the limit"):
        asm.feed(DeviceInterfaceReport(BEEF, 0xFFFF, bytes(4)))


def test_no_progress_and_foreign_function() -> None:
    asm = _started()
    with pytest.raises(LengthError, match="empty portion"):
        asm.feed(DeviceInterfaceReport(BEEF, 10, b""))
    asm = _started()
    asm.feed(DeviceInterfaceReport(BEEF, 4, bytes(4)))
    asm.next_request()
    with pytest.raises(LengthError, match="FUNCTION_ID"):
        asm.feed(DeviceInterfaceReport(FunctionId.from_requester_id(1), 0, bytes(4)))


def test_sequence_is_enforced() -> None:
    asm = ReportAssembler()
    with pytest.raises(ReportSequenceError):
        asm.feed(DeviceInterfaceReport(BEEF, 0, b"x"))
    asm.next_request()
    with pytest.raises(ReportSequenceError):
        asm.next_request()  # no interleaving: one request in flight
    with pytest.raises(ReportSequenceError):
        asm.report()
    asm.feed(DeviceInterfaceReport(BEEF, 0, b"x"))
    with pytest.raises(ReportSequenceError):
        asm.next_request()


@given(st.binary(min_size=1, max_size=3000), st.integers(1, 0x400), st.integers(1, 0x400))
def test_any_paging_reassembles(report: bytes, buffer_size: int, max_portion: int) -> None:
    asm = ReportAssembler(buffer_size=buffer_size)
    for _ in range(len(report) + 1):
        offset, length = asm.next_request()
        if asm.feed(_respond(report, offset, length, max_portion)):
            break
    assert asm.report() == report
