# SPDX-License-Identifier: BSD-3-Clause
"""The guest ("devsec") TSM: lock, report, accept, unlock a TDI through the host's relay.

The guest reaches the device only through the link TSM's guest-request relay (the host
must have bound the TDI: ENXIO otherwise). lock() runs GET_TDISP_VERSION,
GET_TDISP_CAPABILITIES and LOCK_INTERFACE_REQUEST (flags = supported ∩ requested,
MMIO_REPORTING_OFFSET 0xD0000000 by default, §7 row 15; the default stream is the one the
host connected), then fetches the report in pages. Evidence after lock = the link's
certificates, VCA and measurements plus REPORT. accept() sends START_INTERFACE_REQUEST
with the LOCK nonce, unlock() STOP_INTERFACE_REQUEST. Every response is checked: version,
message type and FUNCTION_ID echo (EIO on mismatch); a START nonce seen before for the
same TDI is refused (EIO, and the TDI is stopped again).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field

from devtrust.hw.dsm.events import HwEvent
from devtrust.hw.pci import Bdf
from devtrust.hw.tsm.base import EvidenceBook, PciMode, TsmIdentity, tdisp_errno
from devtrust.hw.tsm.link import LinkTsm
from devtrust.wire.errors import WireError
from devtrust.wire.evidence import EvidenceSet, EvidenceType
from devtrust.wire.tdisp.base import LockFlags, TdispMessage
from devtrust.wire.tdisp.header import FunctionId, TdiState
from devtrust.wire.tdisp.messages import decode_tdisp_response
from devtrust.wire.tdisp.paging import ReportAssembler
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

__all__ = ["DEFAULT_LOCK_FLAGS", "DEFAULT_REPORTING_OFFSET", "DevsecTsm", "Locked"]

DEFAULT_REPORTING_OFFSET = 0xD000_0000
DEFAULT_LOCK_FLAGS = LockFlags.NO_FW_UPDATE | LockFlags.LOCK_MSIX
BUSY_RETRIES = 8


class _TsmError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.errno = code


@dataclass(slots=True)
class Locked:
    """Per-TDI guest context (mutable): the nonce, report and whether START was sent."""

    nonce: bytes
    report: bytes
    accepted: bool = False
    seen_nonces: set[bytes] = field(default_factory=set)


class DevsecTsm:
    """A devsec TSM in the guest, talking to the device through ``link``."""

    def __init__(self, name: str, link: LinkTsm, *, digest_mode: bool = False,
                 lock_flags: LockFlags = DEFAULT_LOCK_FLAGS,
                 reporting_offset: int = DEFAULT_REPORTING_OFFSET,
                 report_buffer: int = 0x400) -> None:
        self.identity = TsmIdentity(name, PciMode.DEVSEC)
        self.link = link
        self.lock_flags = lock_flags
        self.reporting_offset = reporting_offset
        self.report_buffer = report_buffer
        self.book = EvidenceBook(digest_mode=digest_mode)
        self._locked: dict[Bdf, Locked] = {}
        self._nonces: dict[Bdf, set[bytes]] = {}

    @property
    def name(self) -> str:
        return self.identity.name

    def is_locked(self, bdf: Bdf | str) -> bool:
        return _bdf(bdf) in self._locked

    # -- one TDISP exchange ---------------------------------------------------------------------
    def _ask(self, bdf: Bdf, request: TdispMessage, expect: type[TdispMessage]) -> TdispMessage:
        """One exchange; a responder that answers BUSY is asked again (TDISP §2.9: "retry
        later"), up to ``BUSY_RETRIES`` times, before the request fails with EAGAIN."""
        for _ in range(BUSY_RETRIES):
            try:
                return self._ask_once(bdf, request, expect)
            except _TsmError as fail:
                if fail.errno != errno.EAGAIN:
                    raise
        return self._ask_once(bdf, request, expect)

    def _ask_once(self, bdf: Bdf, request: TdispMessage,
                  expect: type[TdispMessage]) -> TdispMessage:
        code, raw = self.link.guest_req(bdf, request.encode())
        if code or raw is None:
            raise _TsmError(code or errno.EIO)
        try:
            response = decode_tdisp_response(raw)
        except WireError:
            raise _TsmError(errno.EIO) from None
        if response.function_id != request.function_id or response.version != request.version:
            raise _TsmError(errno.EIO)
        if isinstance(response, TdispError):
            raise _TsmError(tdisp_errno(response.error_code))
        if not isinstance(response, expect):
            raise _TsmError(errno.EIO)
        return response

    # -- operations -------------------------------------------------------------------------
    def lock(self, bdf: Bdf | str) -> int:
        """CONFIG_UNLOCKED -> CONFIG_LOCKED, then fetch the report. 0 or an errno."""
        bdf = _bdf(bdf)
        if bdf in self._locked:
            return errno.EBUSY
        stream = self.link.stream_id(bdf)
        if stream is None or self.link.bound_tdi(bdf) is None:
            return errno.ENXIO
        fid = FunctionId.from_requester_id(bdf.requester_id)
        try:
            version = self._ask(bdf, GetTdispVersion(fid), TdispVersionResponse)
            assert isinstance(version, TdispVersionResponse)
            if 0x10 not in version.versions:
                return errno.EPROTO
            caps = self._ask(bdf, GetTdispCapabilities(fid), TdispCapabilities)
            assert isinstance(caps, TdispCapabilities)
            flags = LockFlags(int(self.lock_flags) & int(caps.lock_flags_supported))
            lock = self._ask(bdf, LockInterfaceRequest(fid, flags, stream,
                                                       self.reporting_offset, 0),
                             LockInterfaceResponse)
            assert isinstance(lock, LockInterfaceResponse)
            seen = self._nonces.setdefault(bdf, set())
            if lock.nonce in seen:
                self._stop_quietly(bdf, fid)
                return errno.EIO
            seen.add(lock.nonce)
            report = self._fetch_report(bdf, fid)
            # The report of a locked TDI cannot change: read it twice and refuse a device
            # whose two answers differ (a report crafted per reader).
            if self._fetch_report(bdf, fid) != report:
                self._stop_quietly(bdf, fid)
                return errno.EIO
        except _TsmError as fail:
            return fail.errno
        # Evidence of the LOCKED state: fresh signed measurements, not the connect-time ones
        # (kernel-abi.md §6.2: "signed fresh device evidence ... validated while LOCKED").
        code = self.link.refresh_evidence(bdf, self.link.fresh_nonce(f"lock/{bdf}"))
        if code:
            self._stop_quietly(bdf, fid)
            return code
        self._locked[bdf] = Locked(lock.nonce, report)
        self._publish(bdf)
        return 0

    def _fetch_report(self, bdf: Bdf, fid: FunctionId) -> bytes:
        assembler = ReportAssembler(buffer_size=self.report_buffer, function_id=fid)
        while not assembler.is_complete:
            offset, length = assembler.next_request()
            part = self._ask(bdf, GetDeviceInterfaceReport(fid, offset, length),
                             DeviceInterfaceReport)
            assert isinstance(part, DeviceInterfaceReport)
            try:
                assembler.feed(part)
            except WireError:
                raise _TsmError(errno.EIO) from None
        return assembler.report()

    def _publish(self, bdf: Bdf) -> None:
        ctx = self._locked[bdf]
        base = self.link.evidence(bdf)
        data = {EvidenceType(i): o.data for i, o in enumerate(base.objects)} if base else {}
        data[EvidenceType.REPORT] = ctx.report
        self.book.publish(str(bdf), data, slot=base.slot if base else 0)

    def accept(self, bdf: Bdf | str) -> int:
        """CONFIG_LOCKED -> RUN with the LOCK nonce. 0 or an errno."""
        bdf = _bdf(bdf)
        ctx = self._locked.get(bdf)
        if ctx is None:
            return errno.EINVAL
        fid = FunctionId.from_requester_id(bdf.requester_id)
        try:
            self._ask(bdf, StartInterfaceRequest(fid, ctx.nonce), StartInterfaceResponse)
        except _TsmError as fail:
            return fail.errno
        ctx.accepted = True
        return 0

    def unlock(self, bdf: Bdf | str) -> int:
        """STOP_INTERFACE_REQUEST; the guest context and its evidence go either way."""
        bdf = _bdf(bdf)
        if self._locked.pop(bdf, None) is None:
            return errno.EINVAL
        self.book.drop(str(bdf))
        try:
            self._ask(bdf, StopInterfaceRequest(FunctionId.from_requester_id(bdf.requester_id)),
                      StopInterfaceResponse)
        except _TsmError as fail:
            return fail.errno
        return 0

    def _stop_quietly(self, bdf: Bdf, fid: FunctionId) -> None:
        try:
            self._ask(bdf, StopInterfaceRequest(fid), StopInterfaceResponse)
        except _TsmError:
            pass

    def tdi_state(self, bdf: Bdf | str) -> TdiState | None:
        """GET_DEVICE_INTERFACE_STATE through the relay (None when unreachable)."""
        bdf = _bdf(bdf)
        fid = FunctionId.from_requester_id(bdf.requester_id)
        try:
            state = self._ask(bdf, GetDeviceInterfaceState(fid), DeviceInterfaceState)
        except _TsmError:
            return None
        assert isinstance(state, DeviceInterfaceState)
        return state.state

    status = tdi_state

    def evidence(self, bdf: Bdf | str) -> EvidenceSet | None:
        return self.book.get(str(_bdf(bdf)))

    def refresh_evidence(self, bdf: Bdf | str, nonce: bytes) -> int:
        """Fresh signed measurements (via the host) and a re-read report."""
        bdf = _bdf(bdf)
        ctx = self._locked.get(bdf)
        if ctx is None:
            return errno.ENXIO
        code = self.link.refresh_evidence(bdf, nonce)
        if code:
            return code
        try:
            ctx.report = self._fetch_report(bdf, FunctionId.from_requester_id(bdf.requester_id))
        except _TsmError as fail:
            return fail.errno
        self._publish(bdf)
        return 0

    def poll_events(self) -> tuple[HwEvent, ...]:
        """Events of the devices behind the relay that concern TDIs this TSM locked."""
        mine = {str(b) for b in self._locked}
        out: list[HwEvent] = []
        for device in self.link.devices():
            out.extend(e for e in device.events.drain(self.name) if e.bdf in mine)
        return tuple(out)


def _bdf(bdf: Bdf | str) -> Bdf:
    return Bdf.parse(bdf) if isinstance(bdf, str) else bdf
