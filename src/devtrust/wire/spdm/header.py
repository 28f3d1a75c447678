# SPDX-License-Identifier: BSD-3-Clause
"""SPDM header byte, request/response codes and the shared 4-byte header (protocols.md §3.1).

Every SPDM message starts SPDMVersion | RequestResponseCode | Param1 | Param2.
Each codec reads its header through :func:`read_header`, so a wrong version or
code is reported the same way everywhere.
"""

from __future__ import annotations

from enum import IntEnum

from devtrust.wire.codec import Reader, Writer, decode_enum
from devtrust.wire.errors import ReservedBitsError, UnknownCodeError

__all__ = [
    "MAX_OPAQUE_DATA",
    "NONCE_SIZE",
    "REQUESTER_CONTEXT_SIZE",
    "RequestCode",
    "ResponseCode",
    "SpdmVersion",
    "peek_code",
    "read_header",
    "read_opaque",
    "requester_context_size",
    "require_zero",
    "write_header",
]

NONCE_SIZE = 32
REQUESTER_CONTEXT_SIZE = 8  # SPDM 1.3 RequesterContext in CHALLENGE / GET_MEASUREMENTS


def requester_context_size(version: int) -> int:
    """Bytes of RequesterContext a 1.3+ CHALLENGE/GET_MEASUREMENTS (and reply) carries."""
    return REQUESTER_CONTEXT_SIZE if version >= 0x13 else 0
MAX_OPAQUE_DATA = 1024  # OpaqueDataLength limit, §3.8/§3.9


class SpdmVersion(IntEnum):
    """SPDMVersion header byte: major in bits 7:4, minor in 3:0."""

    V10 = 0x10
    V11 = 0x11
    V12 = 0x12
    V13 = 0x13


class RequestCode(IntEnum):
    """Request codes of §3.1."""

    GET_DIGESTS = 0x81
    GET_CERTIFICATE = 0x82
    CHALLENGE = 0x83
    GET_VERSION = 0x84
    CHUNK_SEND = 0x85
    CHUNK_GET = 0x86
    GET_ENDPOINT_INFO = 0x87
    GET_MEASUREMENTS = 0xE0
    GET_CAPABILITIES = 0xE1
    GET_SUPPORTED_EVENT_TYPES = 0xE2
    NEGOTIATE_ALGORITHMS = 0xE3
    KEY_EXCHANGE = 0xE4
    FINISH = 0xE5
    PSK_EXCHANGE = 0xE6
    PSK_FINISH = 0xE7
    HEARTBEAT = 0xE8
    KEY_UPDATE = 0xE9
    GET_ENCAPSULATED_REQUEST = 0xEA
    DELIVER_ENCAPSULATED_RESPONSE = 0xEB
    END_SESSION = 0xEC
    GET_CSR = 0xED
    SET_CERTIFICATE = 0xEE
    GET_MEASUREMENT_EXTENSION_LOG = 0xEF
    SUBSCRIBE_EVENT_TYPES = 0xF0
    SEND_EVENT = 0xF1
    GET_KEY_PAIR_INFO = 0xFC
    SET_KEY_PAIR_INFO = 0xFD
    VENDOR_DEFINED_REQUEST = 0xFE
    RESPOND_IF_READY = 0xFF


class ResponseCode(IntEnum):
    """Response codes of §3.1."""

    DIGESTS = 0x01
    CERTIFICATE = 0x02
    CHALLENGE_AUTH = 0x03
    VERSION = 0x04
    CHUNK_SEND_ACK = 0x05
    CHUNK_RESPONSE = 0x06
    ENDPOINT_INFO = 0x07
    MEASUREMENTS = 0x60
    CAPABILITIES = 0x61
    SUPPORTED_EVENT_TYPES = 0x62
    ALGORITHMS = 0x63
    KEY_EXCHANGE_RSP = 0x64
    FINISH_RSP = 0x65
    PSK_EXCHANGE_RSP = 0x66
    PSK_FINISH_RSP = 0x67
    HEARTBEAT_ACK = 0x68
    KEY_UPDATE_ACK = 0x69
    ENCAPSULATED_REQUEST = 0x6A
    ENCAPSULATED_RESPONSE_ACK = 0x6B
    END_SESSION_ACK = 0x6C
    CSR = 0x6D
    SET_CERTIFICATE_RSP = 0x6E
    MEASUREMENT_EXTENSION_LOG = 0x6F
    SUBSCRIBE_EVENT_TYPES_ACK = 0x70
    EVENT_ACK = 0x71
    KEY_PAIR_INFO = 0x7C
    SET_KEY_PAIR_INFO_ACK = 0x7D
    VENDOR_DEFINED_RESPONSE = 0x7E
    ERROR = 0x7F


def peek_code(data: bytes, structure: str = "SPDM message") -> int:
    """The RequestResponseCode byte of ``data`` (WireError when shorter than 2 bytes)."""
    r = Reader(data, structure)
    r.u8("spdm_version")
    return r.u8("code")


def read_header(r: Reader, code: int, *, min_version: int = SpdmVersion.V10,
                versions: tuple[int, ...] | None = None) -> tuple[SpdmVersion, int, int]:
    """Read and check the 4-byte header; return (version, param1, param2).

    ``min_version`` rejects a message that did not exist in the version it claims
    (KEY_EXCHANGE in 1.0, say); ``versions`` pins an exact set (GET_VERSION: 0x10 only).
    """
    at = r.offset
    version = decode_enum(SpdmVersion, r.u8("spdm_version"), r, "spdm_version", at)
    allowed = versions if versions is not None else tuple(v for v in SpdmVersion
                                                         if v >= min_version)
    r.require(version in allowed, "spdm_version",
              f"SPDM version 0x{version:02x} not valid for this message",
              kind=UnknownCodeError, offset=at)
    at = r.offset
    got = r.u8("code")
    r.require(got == code, "code", f"expected code 0x{code:02x}, got 0x{got:02x}",
              kind=UnknownCodeError, offset=at)
    return version, r.u8("param1"), r.u8("param2")


def write_header(w: Writer, version: int, code: int, param1: int = 0, param2: int = 0) -> None:
    """Append the 4-byte header."""
    w.u8(int(version), "spdm_version").u8(code, "code")
    w.u8(param1, "param1").u8(param2, "param2")


def require_zero(r: Reader, value: int, field: str, offset: int) -> None:
    """A reserved header parameter (or bit group) must be zero."""
    if value:
        raise r.error(field, f"reserved value 0x{value:x} is not zero", offset=offset,
                      kind=ReservedBitsError)


def read_opaque(r: Reader, field: str = "opaque_data") -> bytes:
    """OpaqueDataLength (2) then OpaqueData, capped at 1024 bytes (§3.8, §3.9)."""
    return r.length_prefixed(r.u16(f"{field}_length"), field, limit=MAX_OPAQUE_DATA)

