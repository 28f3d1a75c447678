# SPDX-License-Identifier: BSD-3-Clause
"""TDISP 1.0 message header, INTERFACE_ID and the code tables (protocols.md §2.2, §2.3, §2.9).

Every TDISP message starts with the same 16 bytes::

    0 TDISPVersion (0x10) | 1 MessageType | 2 Reserved (2) |
    4 INTERFACE_ID.FUNCTION_ID (4) | 8 INTERFACE_ID.Reserved (8)

The header is decoded on its own (:meth:`TdispHeader.decode`) because a responder
needs the version, the code and the FUNCTION_ID to build an error response
(VERSION_MISMATCH, UNSUPPORTED_REQUEST) before it knows whether the body parses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from devtrust.wire.codec import Reader, Writer
from devtrust.wire.errors import ReservedBitsError

__all__ = [
    "HEADER_SIZE",
    "TDISP_VERSION_1_0",
    "FunctionId",
    "TdiState",
    "TdispErrorCode",
    "TdispHeader",
    "TdispRequest",
    "TdispResponse",
]

TDISP_VERSION_1_0 = 0x10
HEADER_SIZE = 16


class TdispRequest(IntEnum):
    """Request codes (§2.3)."""

    GET_TDISP_VERSION = 0x81
    GET_TDISP_CAPABILITIES = 0x82
    LOCK_INTERFACE_REQUEST = 0x83
    GET_DEVICE_INTERFACE_REPORT = 0x84
    GET_DEVICE_INTERFACE_STATE = 0x85
    START_INTERFACE_REQUEST = 0x86
    STOP_INTERFACE_REQUEST = 0x87
    BIND_P2P_STREAM_REQUEST = 0x88
    UNBIND_P2P_STREAM_REQUEST = 0x89
    SET_MMIO_ATTRIBUTE_REQUEST = 0x8A
    VDM_REQUEST = 0x8B


class TdispResponse(IntEnum):
    """Response codes (§2.3); each request code minus 0x80, plus TDISP_ERROR."""

    TDISP_VERSION = 0x01
    TDISP_CAPABILITIES = 0x02
    LOCK_INTERFACE_RESPONSE = 0x03
    DEVICE_INTERFACE_REPORT = 0x04
    DEVICE_INTERFACE_STATE = 0x05
    START_INTERFACE_RESPONSE = 0x06
    STOP_INTERFACE_RESPONSE = 0x07
    BIND_P2P_STREAM_RESPONSE = 0x08
    UNBIND_P2P_STREAM_RESPONSE = 0x09
    SET_MMIO_ATTRIBUTE_RESPONSE = 0x0A
    VDM_RESPONSE = 0x0B
    TDISP_ERROR = 0x7F


class TdiState(IntEnum):
    """TDI_STATE values (§2.4 DEVICE_INTERFACE_STATE, §2.8)."""

    CONFIG_UNLOCKED = 0
    CONFIG_LOCKED = 1
    RUN = 2
    ERROR = 3


class TdispErrorCode(IntEnum):
    """TDISP_ERROR ERROR_CODE values (§2.9; VENDOR_SPECIFIC_ERROR per §7 row 9)."""

    INVALID_REQUEST = 0x0001
    BUSY = 0x0003
    INVALID_INTERFACE_STATE = 0x0004
    UNSPECIFIED = 0x0005
    UNSUPPORTED_REQUEST = 0x0007
    VERSION_MISMATCH = 0x0041
    VENDOR_SPECIFIC_ERROR = 0x00FF
    INVALID_INTERFACE = 0x0101
    INVALID_NONCE = 0x0102
    INSUFFICIENT_ENTROPY = 0x0103
    INVALID_DEVICE_CONFIGURATION = 0x0104


_SEGMENT_VALID = 1 << 24
_RESERVED_MASK = 0xFE00_0000  # bits 31:25


@dataclass(frozen=True, slots=True)
class FunctionId:
    """INTERFACE_ID.FUNCTION_ID: requester ID, optional segment (§2.2).

    Bits 15:0 requester ID (bus 15:8, device 7:3, function 2:0), bits 23:16
    segment, bit 24 segment valid, bits 31:25 reserved. A non-zero segment
    without segment-valid is refused (§7 row 10, as spdm-rs does).
    """

    bus: int
    device: int
    function: int
    segment: int = 0
    segment_valid: bool = False

    def __post_init__(self) -> None:
        if not (0 <= self.bus <= 0xFF and 0 <= self.device <= 0x1F and 0 <= self.function <= 7
                and 0 <= self.segment <= 0xFF):
            raise ValueError(f"FunctionId field out of range: {self!r}")
        if self.segment and not self.segment_valid:
            raise ValueError("non-zero segment requires segment_valid (protocols.md §7 row 10)")

    @property
    def requester_id(self) -> int:
        """The 16-bit PCIe Requester ID (BDF)."""
        return (self.bus << 8) | (self.device << 3) | self.function

    @property
    def value(self) -> int:
        """The 32-bit FUNCTION_ID as carried on the wire."""
        return (self.requester_id | (self.segment << 16)
                | (_SEGMENT_VALID if self.segment_valid else 0))

    @classmethod
    def from_requester_id(cls, requester_id: int, segment: int | None = None) -> FunctionId:
        """Build from a 16-bit BDF, with a segment only when it is known."""
        if not 0 <= requester_id <= 0xFFFF:
            raise ValueError(f"requester id {requester_id!r} does not fit 16 bits")
        return cls(requester_id >> 8, (requester_id >> 3) & 0x1F, requester_id & 7,
                   segment or 0, segment is not None)

    @classmethod
    def read(cls, r: Reader, field_name: str = "function_id") -> FunctionId:
        """Read and validate the 4-byte FUNCTION_ID from ``r``."""
        at = r.offset
        value = r.u32(field_name)
        if value & _RESERVED_MASK:
            raise r.error(field_name, f"reserved bits 31:25 set (0x{value:08x})",
                          offset=at, kind=ReservedBitsError)
        segment = (value >> 16) & 0xFF
        valid = bool(value & _SEGMENT_VALID)
        if segment and not valid:
            raise r.error(field_name, f"segment 0x{segment:02x} without segment-valid",
                          offset=at, kind=ReservedBitsError)
        return cls.from_requester_id(value & 0xFFFF, segment if valid else None)

    @classmethod
    def decode(cls, data: bytes) -> FunctionId:
        """Decode exactly four bytes."""
        r = Reader(data, "TDISP FUNCTION_ID")
        fid = cls.read(r)
        r.end()
        return fid

    def encode(self) -> bytes:
        return self.value.to_bytes(4, "little")


@dataclass(frozen=True, slots=True)
class TdispHeader:
    """The common 16-byte header; ``code`` is the raw MessageType byte.

    Decoding checks the reserved bytes (including INTERFACE_ID.Reserved, which
    spdm-emu matches too, §2.2) and the FUNCTION_ID bits, but accepts any
    version and code: refusing those is the caller's decision (a responder
    answers VERSION_MISMATCH or UNSUPPORTED_REQUEST, §2.1, §2.3).
    """

    version: int
    code: int
    function_id: FunctionId
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "TDISP header"

    @classmethod
    def read(cls, r: Reader) -> TdispHeader:
        """Read the header from the start of ``r``; ``raw`` holds its 16 bytes."""
        start = r.pos
        version = r.u8("header.version")
        code = r.u8("header.message_type")
        r.reserved(2, "header.reserved")
        function_id = FunctionId.read(r, "header.interface_id.function_id")
        r.reserved(8, "header.interface_id.reserved")
        return cls(version, code, function_id, raw=r.data[start:r.pos])

    @classmethod
    def decode(cls, data: bytes) -> TdispHeader:
        """Decode exactly 16 bytes."""
        r = Reader(data, cls.STRUCTURE)
        header = cls.read(r)
        r.end()
        return header

    @classmethod
    def peek(cls, data: bytes) -> TdispHeader:
        """Decode the header of a whole message, ignoring the body after it.

        A responder peeks first so that it can echo FUNCTION_ID in an error
        response even when the body is malformed; the message classes (or
        :func:`~devtrust.wire.tdisp.messages.decode_tdisp`) then decode it all.
        """
        return cls.read(Reader(data, cls.STRUCTURE))

    def write(self, w: Writer) -> None:
        w.u8(self.version, "header.version").u8(self.code, "header.message_type")
        w.zeros(2, "header.reserved")
        w.raw(self.function_id.encode(), "header.interface_id.function_id")
        w.zeros(8, "header.interface_id.reserved")

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        self.write(w)
        return w.getvalue()
