# SPDX-License-Identifier: BSD-3-Clause
"""Dispatch a TDISP message to its class by MessageType (protocols.md §2.3).

An unknown or undefined code is an :class:`~devtrust.wire.errors.UnknownCodeError`.
What to do with it is the caller's protocol decision, documented here so both
sides agree:

* the requester (TSM) treats an undefined *response* code as TDISP_ERROR,
  i.e. the request failed (§2.3);
* the responder (DSM) answers an unknown *request* code with
  TDISP_ERROR(UNSUPPORTED_REQUEST, ERROR_DATA = the code), echoing the
  FUNCTION_ID it reads with :meth:`TdispHeader.peek` (§2.3, §2.9).
"""

from __future__ import annotations

from devtrust.wire.codec import Reader
from devtrust.wire.errors import UnknownCodeError
from devtrust.wire.tdisp.base import TdispMessage
from devtrust.wire.tdisp.header import TdispHeader
from devtrust.wire.tdisp.requests import (
    BindP2pStreamRequest,
    GetDeviceInterfaceReport,
    GetDeviceInterfaceState,
    GetTdispCapabilities,
    GetTdispVersion,
    LockInterfaceRequest,
    SetMmioAttributeRequest,
    StartInterfaceRequest,
    StopInterfaceRequest,
    UnbindP2pStreamRequest,
    VdmRequest,
)
from devtrust.wire.tdisp.responses import (
    BindP2pStreamResponse,
    DeviceInterfaceReport,
    DeviceInterfaceState,
    LockInterfaceResponse,
    SetMmioAttributeResponse,
    StartInterfaceResponse,
    StopInterfaceResponse,
    TdispCapabilities,
    TdispError,
    TdispVersionResponse,
    UnbindP2pStreamResponse,
    VdmResponse,
)

__all__ = [
    "REQUEST_CLASSES",
    "RESPONSE_CLASSES",
    "decode_tdisp",
    "decode_tdisp_request",
    "decode_tdisp_response",
]

REQUEST_CLASSES: dict[int, type[TdispMessage]] = {
    cls.CODE: cls for cls in (
        GetTdispVersion, GetTdispCapabilities, LockInterfaceRequest, GetDeviceInterfaceReport,
        GetDeviceInterfaceState, StartInterfaceRequest, StopInterfaceRequest,
        BindP2pStreamRequest, UnbindP2pStreamRequest, SetMmioAttributeRequest, VdmRequest)
}

RESPONSE_CLASSES: dict[int, type[TdispMessage]] = {
    cls.CODE: cls for cls in (
        TdispVersionResponse, TdispCapabilities, LockInterfaceResponse, DeviceInterfaceReport,
        DeviceInterfaceState, StartInterfaceResponse, StopInterfaceResponse,
        BindP2pStreamResponse, UnbindP2pStreamResponse, SetMmioAttributeResponse, VdmResponse,
        TdispError)
}

_STRUCTURE = "TDISP message"


def _dispatch(data: bytes, table: dict[int, type[TdispMessage]], what: str) -> TdispMessage:
    header = TdispHeader.read(Reader(data, _STRUCTURE))
    cls = table.get(header.code)
    if cls is None:
        raise UnknownCodeError(_STRUCTURE, "header.message_type", 1,
                               f"undefined TDISP {what} code 0x{header.code:02x}")
    return cls.decode(data)


def decode_tdisp(data: bytes) -> TdispMessage:
    """Decode any TDISP request or response (the bytes after the PCI protocol id)."""
    return _dispatch(data, {**REQUEST_CLASSES, **RESPONSE_CLASSES}, "message")


def decode_tdisp_request(data: bytes) -> TdispMessage:
    """Decode a request; a response code here is an UnknownCodeError (DSM side)."""
    return _dispatch(data, REQUEST_CLASSES, "request")


def decode_tdisp_response(data: bytes) -> TdispMessage:
    """Decode a response; a request code here is an UnknownCodeError (TSM side)."""
    return _dispatch(data, RESPONSE_CLASSES, "response")
