# SPDX-License-Identifier: BSD-3-Clause
"""TDISP responder conformance: tee-io-validator cases 1.1-7.3 (protocols.md §2.10), the
legal-state table (every request × every state), error codes, paging and nonce rules."""

from __future__ import annotations

import itertools

import pytest
from dsm_rig import SESSION, STREAM, Rig, make_rig

from devtrust.hw.dsm.tdi import LEGAL_STATES
from devtrust.hw.dsm.tdisp_responder import IMPLEMENTED
from devtrust.wire.tdisp.base import LOCK_FLAGS_MASK, LockFlags
from devtrust.wire.tdisp.header import (
    TDISP_VERSION_1_0,
    FunctionId,
    TdispErrorCode,
    TdispHeader,
    TdispRequest,
    TdiState,
)
from devtrust.wire.tdisp.messages import decode_tdisp_response
from devtrust.wire.tdisp.paging import ReportAssembler
from devtrust.wire.tdisp.report import RangeAttr, TdiReport
from devtrust.wire.tdisp.requests import (
    GetDeviceInterfaceReport,
    GetDeviceInterfaceState,
    GetTdispCapabilities,
    GetTdispVersion,
    LockInterfaceRequest,
    StartInterfaceRequest,
    StopInterfaceRequest,
)
from devtrust.wire.tdisp.responses import (
    DeviceInterfaceReport,
    DeviceInterfaceState,
    LockInterfaceResponse,
    StartInterfaceResponse,
    StopInterfaceResponse,
    TdispCapabilities,
    TdispError,
    TdispVersionResponse,
)

OFFSET = 0xD000_0000  # §7 row 15 default MMIO_REPORTING_OFFSET
FLAGS = LockFlags.NO_FW_UPDATE | LockFlags.LOCK_MSIX


def lock_req(rig: Rig, **kw: object) -> bytes:
    args: dict = {"flags": FLAGS, "default_stream_id": STREAM, "mmio_reporting_offset": OFFSET}
    args.update(kw)
    return LockInterfaceRequest(rig.fid, **args).encode()


def ask(rig: Rig, message: bytes, session: int = SESSION):
    response = decode_tdisp_response(rig.send(message, session))
    # Every response echoes version and FUNCTION_ID (validator checks these first).
    assert response.version == TDISP_VERSION_1_0
    assert response.function_id == FunctionId.decode(message[4:8])
    return response


def state_of(rig: Rig) -> TdiState:
    response = ask(rig, GetDeviceInterfaceState(rig.fid).encode())
    assert isinstance(response, DeviceInterfaceState)
    return response.state


def lock(rig: Rig) -> bytes:
    response = ask(rig, lock_req(rig))
    assert isinstance(response, LockInterfaceResponse), response
    return response.nonce


def expect_error(response: object, code: TdispErrorCode) -> None:
    assert isinstance(response, TdispError), response
    assert response.error_code is code


def drive_to(rig: Rig, state: TdiState) -> bytes | None:
    """Put the TDI in ``state`` through the wire (ERROR via an ERROR event)."""
    if state is TdiState.CONFIG_UNLOCKED:
        return None
    nonce = lock(rig)
    if state is TdiState.RUN:
        assert isinstance(ask(rig, StartInterfaceRequest(rig.fid, nonce).encode()),
                          StartInterfaceResponse)
    if state is TdiState.ERROR:
        assert rig.tdi.do_error()
    assert state_of(rig) is state
    return nonce


# -- tee-io-validator cases -----------------------------------------------------------------
def test_1_1_version(rig: Rig) -> None:
    response = ask(rig, GetTdispVersion(rig.fid).encode())
    assert isinstance(response, TdispVersionResponse)
    assert response.versions == (0x10,)
    assert len(response.encode()) == 18


def test_2_1_capabilities(rig: Rig) -> None:
    response = ask(rig, GetTdispCapabilities(rig.fid).encode())
    assert isinstance(response, TdispCapabilities)
    raw = response.encode()
    assert len(raw) == 44 and raw[16:20] == bytes(4)
    assert raw[20] == 0xFE  # bits 1..7: the seven required requests, code - 0x80 (§7 row 1)
    assert response.supported_requests() == frozenset(IMPLEMENTED)
    assert int(response.lock_flags_supported) & ~LOCK_FLAGS_MASK == 0
    assert response.dev_addr_width >= 52 and response.num_req_this > 0
    assert response.num_req_all > 0


def test_3_1_lock_ok(rig: Rig) -> None:
    nonce = lock(rig)
    assert len(nonce) == 32
    assert state_of(rig) is TdiState.CONFIG_LOCKED


def test_3_2_lock_without_ide_keys(rig: Rig) -> None:
    rig.keys.clear()
    expect_error(ask(rig, lock_req(rig)), TdispErrorCode.INVALID_REQUEST)
    assert state_of(rig) is TdiState.CONFIG_UNLOCKED


def test_3_2b_lock_keys_from_another_session(rig: Rig) -> None:
    expect_error(ask(rig, lock_req(rig), session=SESSION + 1), TdispErrorCode.INVALID_REQUEST)
    expect_error(ask(rig, lock_req(rig, default_stream_id=STREAM + 1)),
                 TdispErrorCode.INVALID_REQUEST)
    assert state_of(rig) is TdiState.CONFIG_UNLOCKED


@pytest.mark.parametrize("state", [TdiState.CONFIG_LOCKED, TdiState.RUN])
def test_3_3_3_4_lock_when_locked(rig: Rig, state: TdiState) -> None:
    drive_to(rig, state)
    expect_error(ask(rig, lock_req(rig)), TdispErrorCode.INVALID_INTERFACE_STATE)
    assert state_of(rig) is state


def fetch_report(rig: Rig, buffer_size: int = 0x400) -> bytes:
    assembler = ReportAssembler(buffer_size=buffer_size, function_id=rig.fid)
    while not assembler.is_complete:
        offset, length = assembler.next_request()
        response = ask(rig, GetDeviceInterfaceReport(rig.fid, offset, length).encode())
        assert isinstance(response, DeviceInterfaceReport), response
        assembler.feed(response)
    return assembler.report()


@pytest.mark.parametrize("state", [TdiState.CONFIG_LOCKED, TdiState.RUN])
def test_4_1_4_2_report(rig: Rig, state: TdiState) -> None:
    drive_to(rig, state)
    report = TdiReport.decode(fetch_report(rig))
    assert state_of(rig) is state
    # 4.5 structure sanity: reserved bits clear, ranges inside BARs with the offset added.
    assert int(report.interface_info) & 0xFFE0 == 0
    for entry in report.mmio_ranges:
        assert int(entry.attributes) & 0xFFF0 == 0
        bar = rig.fn.bar(entry.range_id)
        assert bar is not None
        assert bar.address <= entry.byte_start(OFFSET) < entry.byte_end(OFFSET) <= bar.end


def test_4_3_report_bad_offset(rig: Rig) -> None:
    drive_to(rig, TdiState.CONFIG_LOCKED)
    expect_error(ask(rig, GetDeviceInterfaceReport(rig.fid, 0xFFFF, 1).encode()),
                 TdispErrorCode.INVALID_REQUEST)
    expect_error(ask(rig, GetDeviceInterfaceReport(rig.fid, 0, 0).encode()),
                 TdispErrorCode.INVALID_REQUEST)
    assert state_of(rig) is TdiState.CONFIG_LOCKED


def test_4_4_report_unlocked(rig: Rig) -> None:
    expect_error(ask(rig, GetDeviceInterfaceReport(rig.fid, 0, 0x400).encode()),
                 TdispErrorCode.INVALID_INTERFACE_STATE)


def test_report_paging_small_portions(rig: Rig) -> None:
    drive_to(rig, TdiState.CONFIG_LOCKED)
    whole = fetch_report(rig, 0xFFFF)
    assert fetch_report(rig, 7) == whole
    rig.responder.max_portion = 0x40
    first = ask(rig, GetDeviceInterfaceReport(rig.fid, 0, 0xFFFF).encode())
    assert isinstance(first, DeviceInterfaceReport)
    assert first.portion_length == min(0x40, len(whole))
    assert first.portion_length + first.remainder_length == len(whole)
    assert fetch_report(rig) == whole


def test_report_reflects_bars_and_msix_lock(rig: Rig) -> None:
    drive_to(rig, TdiState.CONFIG_LOCKED)
    report = TdiReport.decode(fetch_report(rig))
    attrs = [r.attributes for r in report.mmio_ranges]
    assert RangeAttr.MSIX_TABLE in attrs and RangeAttr.MSIX_PBA in attrs
    assert [r.range_id for r in report.mmio_ranges] == sorted(r.range_id
                                                              for r in report.mmio_ranges)
    assert report.mmio_ranges[0].first_page == (rig.fn.bars[0].address + OFFSET) >> 12
    ask(rig, StopInterfaceRequest(rig.fid).encode())
    ask(rig, lock_req(rig, flags=LockFlags(0), mmio_reporting_offset=0))
    report = TdiReport.decode(fetch_report(rig))
    assert all(not r.attributes & (RangeAttr.MSIX_TABLE | RangeAttr.MSIX_PBA)
               for r in report.mmio_ranges)
    assert report.mmio_ranges[0].first_page == rig.fn.bars[0].address >> 12


def test_6_1_start_ok(rig: Rig) -> None:
    nonce = lock(rig)
    assert isinstance(ask(rig, StartInterfaceRequest(rig.fid, nonce).encode()),
                      StartInterfaceResponse)
    assert state_of(rig) is TdiState.RUN


def test_6_2_start_bad_nonce(rig: Rig) -> None:
    nonce = lock(rig)
    bad = bytes([nonce[0] ^ 1]) + nonce[1:]
    expect_error(ask(rig, StartInterfaceRequest(rig.fid, bad).encode()),
                 TdispErrorCode.INVALID_NONCE)
    assert state_of(rig) is TdiState.CONFIG_LOCKED
    # The right nonce still works afterwards.
    assert isinstance(ask(rig, StartInterfaceRequest(rig.fid, nonce).encode()),
                      StartInterfaceResponse)


@pytest.mark.parametrize("state", [TdiState.CONFIG_UNLOCKED, TdiState.RUN])
def test_6_3_6_4_start_wrong_state(rig: Rig, state: TdiState) -> None:
    nonce = drive_to(rig, state) or bytes(32)
    expect_error(ask(rig, StartInterfaceRequest(rig.fid, nonce).encode()),
                 TdispErrorCode.INVALID_INTERFACE_STATE)
    assert state_of(rig) is state


@pytest.mark.parametrize("state", list(TdiState))
def test_7_x_stop_from_any_state(rig: Rig, state: TdiState) -> None:
    drive_to(rig, state)
    assert isinstance(ask(rig, StopInterfaceRequest(rig.fid).encode()), StopInterfaceResponse)
    assert state_of(rig) is TdiState.CONFIG_UNLOCKED


# -- nonce rules (§2.6) -------------------------------------------------------------------
def test_nonce_single_use_and_fresh_per_lock(rig: Rig) -> None:
    first = drive_to(rig, TdiState.RUN)
    assert first is not None
    ask(rig, StopInterfaceRequest(rig.fid).encode())
    second = lock(rig)
    assert second != first
    expect_error(ask(rig, StartInterfaceRequest(rig.fid, first).encode()),
                 TdispErrorCode.INVALID_NONCE)
    assert ask(rig, StartInterfaceRequest(rig.fid, second).encode()).CODE == 0x06


def test_nonce_destroyed_on_error(rig: Rig) -> None:
    nonce = lock(rig)
    rig.tdi.do_error()
    ask(rig, StopInterfaceRequest(rig.fid).encode())
    lock(rig)
    expect_error(ask(rig, StartInterfaceRequest(rig.fid, nonce).encode()),
                 TdispErrorCode.INVALID_NONCE)


# -- the legal-state table, exhaustively ----------------------------------------------------
def _valid_request(rig: Rig, code: TdispRequest, nonce: bytes | None) -> bytes:
    fid = rig.fid
    return {
        TdispRequest.GET_TDISP_VERSION: lambda: GetTdispVersion(fid).encode(),
        TdispRequest.GET_TDISP_CAPABILITIES: lambda: GetTdispCapabilities(fid).encode(),
        TdispRequest.LOCK_INTERFACE_REQUEST: lambda: lock_req(rig),
        TdispRequest.GET_DEVICE_INTERFACE_REPORT:
            lambda: GetDeviceInterfaceReport(fid, 0, 0x400).encode(),
        TdispRequest.GET_DEVICE_INTERFACE_STATE: lambda: GetDeviceInterfaceState(fid).encode(),
        TdispRequest.START_INTERFACE_REQUEST:
            lambda: StartInterfaceRequest(fid, nonce or bytes(32)).encode(),
        TdispRequest.STOP_INTERFACE_REQUEST: lambda: StopInterfaceRequest(fid).encode(),
    }[code]()


_AFTER = {TdispRequest.LOCK_INTERFACE_REQUEST: TdiState.CONFIG_LOCKED,
          TdispRequest.START_INTERFACE_REQUEST: TdiState.RUN,
          TdispRequest.STOP_INTERFACE_REQUEST: TdiState.CONFIG_UNLOCKED}


@pytest.mark.parametrize(("code", "state"), list(itertools.product(IMPLEMENTED, TdiState)))
def test_legal_state_table(code: TdispRequest, state: TdiState) -> None:
    rig = make_rig()
    nonce = drive_to(rig, state)
    response = ask(rig, _valid_request(rig, code, nonce))
    if state in LEGAL_STATES[code]:
        assert not isinstance(response, TdispError), response
        assert response.CODE == code - 0x80
        assert state_of(rig) is _AFTER.get(code, state)
    else:
        expect_error(response, TdispErrorCode.INVALID_INTERFACE_STATE)
        assert state_of(rig) is state


# -- every error code the responder can produce ---------------------------------------------
def test_version_mismatch_echoes_version(rig: Rig) -> None:
    message = bytearray(GetTdispVersion(rig.fid).encode())
    message[0] = 0x20
    response = TdispError.decode(bytes([0x10]) + rig.send(bytes(message))[1:])
    raw = rig.send(bytes(message))
    assert raw[0] == 0x20 and raw[1] == 0x7F
    assert response.error_code is TdispErrorCode.VERSION_MISMATCH
    assert len(raw) == 24


def test_invalid_interface(rig: Rig) -> None:
    stranger = FunctionId.from_requester_id(0x0300)
    response = decode_tdisp_response(rig.send(GetTdispVersion(stranger).encode()))
    expect_error(response, TdispErrorCode.INVALID_INTERFACE)
    assert response.function_id == stranger
    with_segment = FunctionId.from_requester_id(rig.fid.requester_id, segment=0)
    expect_error(decode_tdisp_response(rig.send(GetTdispVersion(with_segment).encode())),
                 TdispErrorCode.INVALID_INTERFACE)


@pytest.mark.parametrize("code", [0x88, 0x89, 0x8A, 0x8B, 0x80, 0x8C, 0xC3])
def test_unsupported_request_carries_code(rig: Rig, code: int) -> None:
    header = TdispHeader(0x10, code, rig.fid).encode()
    response = ask(rig, header + bytes(17))
    expect_error(response, TdispErrorCode.UNSUPPORTED_REQUEST)
    assert isinstance(response, TdispError) and response.error_data == code


@pytest.mark.parametrize("cut", [1, 4])
def test_malformed_body_is_invalid_request(rig: Rig, cut: int) -> None:
    expect_error(ask(rig, lock_req(rig)[:-cut]), TdispErrorCode.INVALID_REQUEST)
    expect_error(ask(rig, GetTdispVersion(rig.fid).encode() + b"\x00"),
                 TdispErrorCode.INVALID_REQUEST)
    assert state_of(rig) is TdiState.CONFIG_UNLOCKED


def test_unreadable_header_is_invalid_request(rig: Rig) -> None:
    raw = rig.send(b"\x10\x81\x00")
    response = TdispError.decode(raw)
    assert response.error_code is TdispErrorCode.INVALID_REQUEST


def test_lock_parameter_checks(rig: Rig) -> None:
    expect_error(ask(rig, lock_req(rig, flags=LockFlags.BIND_P2P)), TdispErrorCode.INVALID_REQUEST)
    expect_error(ask(rig, lock_req(rig, mmio_reporting_offset=0x800)),
                 TdispErrorCode.INVALID_REQUEST)
    assert state_of(rig) is TdiState.CONFIG_UNLOCKED


def test_invalid_device_configuration() -> None:
    rig = make_rig()
    rig.responder._config_valid = lambda fid: False
    expect_error(ask(rig, lock_req(rig)), TdispErrorCode.INVALID_DEVICE_CONFIGURATION)
    assert state_of(rig) is TdiState.CONFIG_UNLOCKED


def test_tdis_are_independent(rig: Rig) -> None:
    lock(rig)
    other = FunctionId.from_requester_id(0x0101)
    response = ask(rig, GetDeviceInterfaceState(other).encode())
    assert isinstance(response, DeviceInterfaceState)
    assert response.state is TdiState.CONFIG_UNLOCKED


def test_get_version_has_no_side_effect(rig: Rig) -> None:
    drive_to(rig, TdiState.RUN)
    ask(rig, GetTdispVersion(rig.fid).encode())
    assert state_of(rig) is TdiState.RUN  # §7 row 6


def test_no_interleaving_during_a_multipart_report(rig: Rig) -> None:
    drive_to(rig, TdiState.CONFIG_LOCKED)
    first = ask(rig, GetDeviceInterfaceReport(rig.fid, 0, 16).encode())
    assert isinstance(first, DeviceInterfaceReport) and first.remainder_length > 0
    expect_error(ask(rig, GetTdispVersion(rig.fid).encode()),
                 TdispErrorCode.INVALID_INTERFACE_STATE)
    # Finishing the read (or restarting it) lifts the restriction.
    rest = ask(rig, GetDeviceInterfaceReport(rig.fid, 16, first.remainder_length).encode())
    assert isinstance(rest, DeviceInterfaceReport) and rest.remainder_length == 0
    assert state_of(rig) is TdiState.CONFIG_LOCKED
