# SPDX-License-Identifier: BSD-3-Clause
"""The DOE mailbox of PF0, at the message level (protocols.md §1, §4).

Two channels reach the DSM: plain CMA/SPDM (DOE type 1) and secured CMA/SPDM (type 2).
Sessions are modelled without AEAD: a message is *in session* when it is sent through
:meth:`DoeMailbox.exchange_secured` with an established session id, and the responder
decides what may travel where (TDISP and IDE_KM only in session; unsecured ones get no
response). ``None`` always means "no response" (a timeout, for the requester).

:meth:`DoeMailbox.exchange_object` takes whole DOE data objects (wire/doe.py) for callers
that want real framing; the secured record then carries ``AppDataLength ‖ message`` in
the clear with a zero MAC (no AEAD, documented).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from devtrust.wire.codec import Reader
from devtrust.wire.doe import (
    PCI_SIG_VENDOR_ID,
    DoeDiscoveryRequest,
    DoeDiscoveryResponse,
    DoeObject,
    DoeType,
)
from devtrust.wire.errors import WireError
from devtrust.wire.secured import MAC_SIZE, SecuredRecord

__all__ = ["DoeMailbox", "Exchange", "SpdmEndpoint"]

_DISCOVERY = ((PCI_SIG_VENDOR_ID, DoeType.DISCOVERY), (PCI_SIG_VENDOR_ID, DoeType.CMA_SPDM),
              (PCI_SIG_VENDOR_ID, DoeType.SECURED_CMA_SPDM))


class SpdmEndpoint(Protocol):
    """What sits behind the mailbox: the DSM's SPDM responder."""

    def respond(self, request: bytes, session_id: int | None) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request/response pair as seen on the mailbox (for tests and traces)."""

    session_id: int | None
    request: bytes
    response: bytes | None


class DoeMailbox:
    """PF0's DOE mailbox in front of ``endpoint`` (mutable: keeps a bounded trace)."""

    __slots__ = ("_trace", "endpoint", "trace_limit")

    def __init__(self, endpoint: SpdmEndpoint, *, trace_limit: int = 4096) -> None:
        self.endpoint = endpoint
        self.trace_limit = trace_limit
        self._trace: list[Exchange] = []

    @property
    def trace(self) -> tuple[Exchange, ...]:
        return tuple(self._trace)

    def _record(self, session_id: int | None, request: bytes, response: bytes | None) -> None:
        if len(self._trace) >= self.trace_limit:
            del self._trace[0]
        self._trace.append(Exchange(session_id, bytes(request), response))

    def exchange(self, request: bytes) -> bytes | None:
        """One unsecured SPDM message (DOE type 1)."""
        response = self.endpoint.respond(bytes(request), None)
        self._record(None, request, response)
        return response

    def exchange_secured(self, session_id: int, request: bytes) -> bytes | None:
        """One SPDM message inside session ``session_id`` (DOE type 2, no AEAD)."""
        response = self.endpoint.respond(bytes(request), session_id)
        self._record(session_id, request, response)
        return response

    def exchange_object(self, data: bytes) -> bytes | None:
        """A whole DOE object in, a whole DOE object (or None) out."""
        try:
            obj = DoeObject.decode(data)
        except WireError:
            return None
        if obj.vendor_id != PCI_SIG_VENDOR_ID:
            return None
        try:
            if obj.data_object_type == DoeType.DISCOVERY:
                index = DoeDiscoveryRequest.from_object(obj).index
                if index >= len(_DISCOVERY):
                    return None
                vendor, kind = _DISCOVERY[index]
                nxt = index + 1 if index + 1 < len(_DISCOVERY) else 0
                return DoeDiscoveryResponse(vendor, kind, nxt).to_object().encode()
            if obj.data_object_type == DoeType.CMA_SPDM:
                # SPDM carries no outer length, so DW padding cannot be told from data: the
                # payload goes to the responder as is (requesters using whole DOE objects
                # must send DW-multiple messages, or use the message-level API).
                response = self.exchange(obj.payload)
                return None if response is None else DoeObject.wrap(
                    DoeType.CMA_SPDM, response).encode()
            if obj.data_object_type == DoeType.SECURED_CMA_SPDM:
                record = SecuredRecord.from_doe_payload(obj.payload)
                r = Reader(record.ciphertext, "secured application data")
                message = r.take(r.u16("application_data_length"), "application_data")
                r.end()
                response = self.exchange_secured(record.session_id, message)
                if response is None:
                    return None
                body = len(response).to_bytes(2, "little") + response
                out = SecuredRecord(record.session_id, body, bytes(MAC_SIZE))
                return DoeObject.wrap(DoeType.SECURED_CMA_SPDM, out.encode()).encode()
        except WireError:
            return None
        return None
