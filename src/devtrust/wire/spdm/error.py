# SPDX-License-Identifier: BSD-3-Clause
"""ERROR response and RESPOND_IF_READY (protocols.md §3.14).

ERROR: Param1 = ErrorCode, Param2 = ErrorData, then ExtendedErrorData (at most
32 bytes). ResponseNotReady's extended data (RDExponent, RequestCode, Token, RDTM)
is decoded; the requester answers it with RESPOND_IF_READY.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from devtrust.wire.codec import Reader, Writer, decode_enum
from devtrust.wire.errors import EncodeError, LengthError
from devtrust.wire.spdm.header import (
    RequestCode,
    ResponseCode,
    SpdmVersion,
    read_header,
    write_header,
)

__all__ = ["MAX_EXTENDED_ERROR_DATA", "ErrorCode", "ErrorResponse", "RespondIfReady",
           "ResponseNotReady"]

MAX_EXTENDED_ERROR_DATA = 32


class ErrorCode(IntEnum):
    """ERROR Param1 values (§3.14)."""

    INVALID_REQUEST = 0x01
    INVALID_SESSION = 0x02  # 1.1 only; reserved later
    BUSY = 0x03
    UNEXPECTED_REQUEST = 0x04
    UNSPECIFIED = 0x05
    DECRYPT_ERROR = 0x06
    UNSUPPORTED_REQUEST = 0x07
    REQUEST_IN_FLIGHT = 0x08
    INVALID_RESPONSE_CODE = 0x09
    SESSION_LIMIT_EXCEEDED = 0x0A
    SESSION_REQUIRED = 0x0B
    RESET_REQUIRED = 0x0C
    RESPONSE_TOO_LARGE = 0x0D
    REQUEST_TOO_LARGE = 0x0E
    LARGE_RESPONSE = 0x0F
    MESSAGE_LOST = 0x10
    INVALID_POLICY = 0x11
    VERSION_MISMATCH = 0x41
    RESPONSE_NOT_READY = 0x42
    REQUEST_RESYNCH = 0x43
    OPERATION_FAILED = 0x44
    NO_PENDING_REQUESTS = 0x45
    VENDOR_DEFINED = 0xFF


# Extended data with a fixed size; every other code except VENDOR_DEFINED carries none.
_FIXED_EXTENDED = {ErrorCode.RESPONSE_NOT_READY: 4, ErrorCode.LARGE_RESPONSE: 1}


@dataclass(frozen=True, slots=True)
class ResponseNotReady:
    """ExtendedErrorData of ResponseNotReady."""

    rd_exponent: int
    request_code: int
    token: int
    rdtm: int

    @property
    def wait_us(self) -> int:
        """How long the requester should wait before RESPOND_IF_READY (2^RDExponent µs)."""
        return 1 << self.rd_exponent

    def encode(self) -> bytes:
        return bytes((self.rd_exponent, self.request_code, self.token, self.rdtm))


@dataclass(frozen=True, slots=True)
class ErrorResponse:
    """ERROR. ``extended`` holds ExtendedErrorData as received."""

    spdm_version: int
    error_code: ErrorCode
    error_data: int = 0
    extended: bytes = b""
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM ERROR"
    CODE = ResponseCode.ERROR

    def __post_init__(self) -> None:
        want = _FIXED_EXTENDED.get(self.error_code)
        size = len(self.extended)
        if size > MAX_EXTENDED_ERROR_DATA or (
                want is not None and size != want) or (
                want is None and self.error_code != ErrorCode.VENDOR_DEFINED and size):
            raise EncodeError(self.STRUCTURE, "extended", 4,
                              f"{size} bytes of extended data invalid for {self.error_code!r}")

    @property
    def response_not_ready(self) -> ResponseNotReady | None:
        """The decoded extended data when this is ResponseNotReady, else None."""
        if self.error_code != ErrorCode.RESPONSE_NOT_READY:
            return None
        return ResponseNotReady(*self.extended)

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, int(self.error_code), self.error_data)
        w.raw(self.extended, "extended_error_data")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> ErrorResponse:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE)
        code = decode_enum(ErrorCode, p1, r, "param1.error_code", 2)
        r.require(code != ErrorCode.INVALID_SESSION or version == SpdmVersion.V11,
                  "param1.error_code", "InvalidSession is defined in SPDM 1.1 only", offset=2)
        at = r.offset
        want = _FIXED_EXTENDED.get(code)
        if want is None and code != ErrorCode.VENDOR_DEFINED:
            want = 0
        if want is not None:
            r.require(r.remaining == want, "extended_error_data",
                      f"{r.remaining} bytes, {code.name} carries {want}", kind=LengthError,
                      offset=at)
        ext = r.length_prefixed(r.remaining, "extended_error_data", limit=MAX_EXTENDED_ERROR_DATA)
        r.end()
        return cls(version, code, p2, ext, raw=r.data)


@dataclass(frozen=True, slots=True)
class RespondIfReady:
    """RESPOND_IF_READY: Param1 = original request code, Param2 = Token."""

    spdm_version: int
    request_code: RequestCode
    token: int
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM RESPOND_IF_READY"
    CODE = RequestCode.RESPOND_IF_READY

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, int(self.request_code), self.token)
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> RespondIfReady:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE)
        code = decode_enum(RequestCode, p1, r, "param1.request_code", 2)
        r.end()
        return cls(version, code, p2, raw=r.data)

    @classmethod
    def answering(cls, error: ErrorResponse) -> RespondIfReady:
        """The RESPOND_IF_READY for a ResponseNotReady ERROR (WireError otherwise)."""
        rnr = error.response_not_ready
        if rnr is None:
            raise EncodeError(cls.STRUCTURE, "error_code", 2, "not a ResponseNotReady ERROR")
        r = Reader(error.raw or error.encode(), cls.STRUCTURE)
        code = decode_enum(RequestCode, rnr.request_code, r, "request_code", 5)
        return cls(error.spdm_version, code, rnr.token)
