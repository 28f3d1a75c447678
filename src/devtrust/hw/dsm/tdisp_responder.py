# SPDX-License-Identifier: BSD-3-Clause
"""TDISP responder: one DSM's TDIs behind the TDISP request/response codecs (protocols.md §2).

Check order for every request (each failure answers TDISP_ERROR echoing the request's
version and FUNCTION_ID, §2.9):

1. header does not decode -> INVALID_REQUEST (FUNCTION_ID 0 if even that is unreadable);
2. version != 0x10 -> VERSION_MISMATCH;
3. FUNCTION_ID not hosted by this DSM -> INVALID_INTERFACE;
4. request code unknown or optional and unimplemented -> UNSUPPORTED_REQUEST (ERROR_DATA = code);
5. body does not decode -> INVALID_REQUEST;
6. request not legal in the TDI's state (:data:`~devtrust.hw.dsm.tdi.LEGAL_STATES`), or
   anything but REPORT/STOP between the portions of a multi-part report ->
   INVALID_INTERFACE_STATE;
7. request-specific checks (LOCK preconditions, START nonce, report OFFSET/LENGTH).

The requirement that TDISP travels only inside an SPDM session is enforced one layer up
(:mod:`devtrust.hw.dsm.spdm_responder`): an unsecured TDISP request never reaches here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from devtrust.hw.dsm.behaviour import DsmBehaviour
from devtrust.hw.dsm.tdi import NONCE_SIZE, LockParams, Tdi, TdispFailure, is_legal
from devtrust.hw.rng import Drbg
from devtrust.wire.errors import WireError
from devtrust.wire.tdisp.base import LOCK_FLAGS_MASK, SUPPORTED_VERSIONS, LockFlags, TdispMessage
from devtrust.wire.tdisp.header import (
    TDISP_VERSION_1_0,
    FunctionId,
    TdispErrorCode,
    TdispHeader,
    TdispRequest,
)
from devtrust.wire.tdisp.paging import InvalidReportRequestError, report_portion
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

__all__ = ["DEFAULT_MAX_PORTION", "IMPLEMENTED", "TdispResponder"]

DEFAULT_MAX_PORTION = 0x400

# The seven required requests (§2.3). The optional P2P, SET_MMIO_ATTRIBUTE and VDM
# requests answer UNSUPPORTED_REQUEST and are absent from REQ_MSGS_SUPPORTED.
IMPLEMENTED: Mapping[TdispRequest, type[TdispMessage]] = {
    TdispRequest.GET_TDISP_VERSION: GetTdispVersion,
    TdispRequest.GET_TDISP_CAPABILITIES: GetTdispCapabilities,
    TdispRequest.LOCK_INTERFACE_REQUEST: LockInterfaceRequest,
    TdispRequest.GET_DEVICE_INTERFACE_REPORT: GetDeviceInterfaceReport,
    TdispRequest.GET_DEVICE_INTERFACE_STATE: GetDeviceInterfaceState,
    TdispRequest.START_INTERFACE_REQUEST: StartInterfaceRequest,
    TdispRequest.STOP_INTERFACE_REQUEST: StopInterfaceRequest,
}
# Flags this DSM supports in LOCK (all defined ones except BIND_P2P, since P2P is absent).
SUPPORTED_LOCK_FLAGS = LockFlags(LOCK_FLAGS_MASK & ~LockFlags.BIND_P2P)

# Fault steps (hw/faults.py ERROR_STEPS) hooked before or after a successful request.
_STEP_BEFORE = {TdispRequest.GET_DEVICE_INTERFACE_REPORT: "report",
                TdispRequest.START_INTERFACE_REQUEST: "start"}
_STEP_AFTER = {TdispRequest.LOCK_INTERFACE_REQUEST: "lock",
               TdispRequest.START_INTERFACE_REQUEST: "run"}

# What may arrive while a multi-part report read is in progress (STOP always may).
_DURING_REPORT = frozenset({TdispRequest.GET_DEVICE_INTERFACE_REPORT,
                            TdispRequest.STOP_INTERFACE_REQUEST})

ReportBuilder = Callable[[FunctionId, LockParams], bytes]
KeysReady = Callable[[int, int], bool]
ConfigValid = Callable[[FunctionId], bool]


class TdispResponder:
    """Answers TDISP requests for the TDIs of one DSM.

    ``tdis`` maps requester IDs to live :class:`Tdi` objects; ``keys_ready(stream,
    session)`` says whether the default stream's keys were programmed over that session;
    ``config_valid(fn)`` is the device's own lock-time configuration check;
    ``report_for(fn, params)`` builds the TDI report frozen at LOCK.
    """

    def __init__(self, tdis: Mapping[int, Tdi], *, drbg: Drbg, keys_ready: KeysReady,
                 config_valid: ConfigValid, report_for: ReportBuilder,
                 behaviour: DsmBehaviour, max_portion: int = DEFAULT_MAX_PORTION) -> None:
        self.tdis = tdis
        self._drbg = drbg
        self._keys_ready = keys_ready
        self._config_valid = config_valid
        self._report_for = report_for
        self.behaviour = behaviour
        self.max_portion = max_portion
        # Fault hook run at the "lock", "report", "start" and "run" steps (set by the device).
        self.on_step: Callable[[str, Tdi], None] = lambda step, tdi: None

    # -- entry point --------------------------------------------------------------------
    def handle(self, message: bytes, session_id: int) -> bytes:
        """One request in, one response out (every request gets an answer here)."""
        try:
            header = TdispHeader.peek(message)
        except WireError:
            return self._error(FunctionId(0, 0, 0), TDISP_VERSION_1_0,
                               TdispFailure(TdispErrorCode.INVALID_REQUEST))
        fn, version = header.function_id, header.version
        if version not in SUPPORTED_VERSIONS:
            return self._error(fn, version, TdispFailure(TdispErrorCode.VERSION_MISMATCH))
        tdi = self.tdis.get(fn.requester_id)
        if tdi is None or tdi.function_id != fn:
            return self._error(fn, version, TdispFailure(TdispErrorCode.INVALID_INTERFACE))
        try:
            code = TdispRequest(header.code)
            codec = IMPLEMENTED[code]
        except (ValueError, KeyError):
            return self._error(fn, version,
                               TdispFailure(TdispErrorCode.UNSUPPORTED_REQUEST, header.code))
        try:
            request = codec.decode(message)
        except WireError:
            return self._error(fn, version, TdispFailure(TdispErrorCode.INVALID_REQUEST))
        forced = self.behaviour.before_tdisp(code, tdi)
        if forced is not None:
            return self._error(fn, version, forced, code)
        if code in _STEP_BEFORE:
            self.on_step(_STEP_BEFORE[code], tdi)
        if not is_legal(code, tdi.state) or (tdi.reading_report and code not in _DURING_REPORT):
            # §2.7: no other request between the portions of a multi-part report.
            return self._error(fn, version,
                               TdispFailure(TdispErrorCode.INVALID_INTERFACE_STATE), code)
        result = self._dispatch(code, request, tdi, session_id)
        if isinstance(result, TdispFailure):
            return self._error(fn, version, result, code)
        if code in _STEP_AFTER:
            self.on_step(_STEP_AFTER[code], tdi)
        return self.behaviour.after_tdisp(code, result.encode())

    # -- requests -----------------------------------------------------------------------
    def _dispatch(self, code: TdispRequest, request: TdispMessage, tdi: Tdi,
                  session_id: int) -> TdispMessage | TdispFailure:
        fn = self.behaviour.echo_function_id(request.function_id, code)
        if code is TdispRequest.GET_TDISP_VERSION:
            return TdispVersionResponse(fn, SUPPORTED_VERSIONS)
        if code is TdispRequest.GET_TDISP_CAPABILITIES:
            return TdispCapabilities(
                fn, TdispCapabilities.mask_for(IMPLEMENTED), SUPPORTED_LOCK_FLAGS,
                dev_addr_width=52, num_req_this=1, num_req_all=1)
        if code is TdispRequest.GET_DEVICE_INTERFACE_STATE:
            return DeviceInterfaceState(fn, tdi.state)
        if code is TdispRequest.STOP_INTERFACE_REQUEST:
            tdi.do_stop()
            return StopInterfaceResponse(fn)
        if code is TdispRequest.LOCK_INTERFACE_REQUEST:
            assert isinstance(request, LockInterfaceRequest)
            return self._lock(request, tdi, session_id, fn)
        if code is TdispRequest.START_INTERFACE_REQUEST:
            assert isinstance(request, StartInterfaceRequest)
            failure = tdi.do_start(request.nonce)
            return failure if failure is not None else StartInterfaceResponse(fn)
        assert isinstance(request, GetDeviceInterfaceReport)
        return self._report(request, tdi, fn)

    def _lock(self, request: LockInterfaceRequest, tdi: Tdi, session_id: int,
              fn: FunctionId) -> TdispMessage | TdispFailure:
        # Check order: parameters, IDE keys over this session, device configuration,
        # entropy (§2.9 LOCK row).
        if int(request.flags) & ~int(SUPPORTED_LOCK_FLAGS) or request.mmio_reporting_offset % 4096:
            return TdispFailure(TdispErrorCode.INVALID_REQUEST)
        if not self._keys_ready(request.default_stream_id, session_id):
            return TdispFailure(TdispErrorCode.INVALID_REQUEST)
        if not self._config_valid(tdi.function_id):
            return TdispFailure(TdispErrorCode.INVALID_DEVICE_CONFIGURATION)
        if self.behaviour.entropy_fails():
            return TdispFailure(TdispErrorCode.INSUFFICIENT_ENTROPY)
        params = LockParams(int(request.flags), request.default_stream_id,
                            request.mmio_reporting_offset, request.bind_p2p_address_mask,
                            session_id)
        nonce = self._drbg.bytes(NONCE_SIZE)
        if self.behaviour.repeated_nonce:
            nonce = bytes(range(NONCE_SIZE))  # the same "random" value on every LOCK
        try:
            report = self._report_for(tdi.function_id, params)
        except ValueError:
            return TdispFailure(TdispErrorCode.INVALID_REQUEST)
        tdi.do_lock(params, nonce, report)
        return LockInterfaceResponse(fn, nonce)

    def _report(self, request: GetDeviceInterfaceReport, tdi: Tdi,
                fn: FunctionId) -> TdispMessage | TdispFailure:
        report = self.behaviour.report_at_fetch(tdi, request.offset)
        try:
            portion, remainder = report_portion(report, request.offset, request.length,
                                                self.max_portion)
        except InvalidReportRequestError:
            return TdispFailure(TdispErrorCode.INVALID_REQUEST)
        tdi.reading_report = remainder > 0
        return DeviceInterfaceReport(fn, remainder, portion)

    def _error(self, fn: FunctionId, version: int, failure: TdispFailure,
               code: TdispRequest | None = None) -> bytes:
        if code is not None:
            fn = self.behaviour.echo_function_id(fn, code)
        return TdispError(fn, failure.code, failure.data, version=version).encode()
