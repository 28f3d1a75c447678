# SPDX-License-Identifier: BSD-3-Clause
"""Session helpers and in-session control messages: HEARTBEAT(_ACK), KEY_UPDATE(_ACK).

Also the shared pieces of the session codecs (protocols.md §3.15): the
header-only message base, SessionPolicy bits and the opaque-data limit check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import ClassVar, Self

from devtrust.wire.codec import Reader, Writer, decode_enum
from devtrust.wire.errors import EncodeError
from devtrust.wire.spdm.header import (
    MAX_OPAQUE_DATA,
    RequestCode,
    ResponseCode,
    SpdmVersion,
    read_header,
    require_zero,
    write_header,
)

__all__ = [
    "HeaderOnlyMessage",
    "Heartbeat",
    "HeartbeatAck",
    "KeyUpdate",
    "KeyUpdateAck",
    "KeyUpdateOperation",
    "check_opaque",
    "session_policy_bits",
]

_V11 = SpdmVersion.V11


def session_policy_bits(version: int) -> int:
    """SessionPolicy: 1.2 bit 0 TerminationPolicy, 1.3 adds bit 1 EventAllPolicy."""
    return {SpdmVersion.V12: 0x1, SpdmVersion.V13: 0x3}.get(SpdmVersion(version), 0)


def check_opaque(structure: str, opaque: bytes) -> None:
    """Encode-side check of the 1024-byte OpaqueData limit."""
    if len(opaque) > MAX_OPAQUE_DATA:
        raise EncodeError(structure, "opaque_data", 0, "opaque data over 1024 bytes")


class KeyUpdateOperation(IntEnum):
    UPDATE_KEY = 1
    UPDATE_ALL_KEYS = 2
    VERIFY_NEW_KEY = 3


@dataclass(frozen=True, slots=True)
class HeaderOnlyMessage:
    """Messages that are just the 4-byte header with reserved parameters."""

    spdm_version: int
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE: ClassVar[str] = "SPDM header-only message"
    CODE: ClassVar[int] = 0

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE)
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE, min_version=_V11)
        require_zero(r, p1, "param1", 2)
        require_zero(r, p2, "param2", 3)
        r.end()
        return cls(version, raw=r.data)


@dataclass(frozen=True, slots=True)
class Heartbeat(HeaderOnlyMessage):
    STRUCTURE = "SPDM HEARTBEAT"
    CODE = RequestCode.HEARTBEAT


@dataclass(frozen=True, slots=True)
class HeartbeatAck(HeaderOnlyMessage):
    STRUCTURE = "SPDM HEARTBEAT_ACK"
    CODE = ResponseCode.HEARTBEAT_ACK


@dataclass(frozen=True, slots=True)
class KeyUpdate:
    """KEY_UPDATE (``is_ack`` False) or KEY_UPDATE_ACK (True, echoing operation and tag)."""

    spdm_version: int
    operation: KeyUpdateOperation
    tag: int
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE: ClassVar[str] = "SPDM KEY_UPDATE"
    CODE: ClassVar[int] = RequestCode.KEY_UPDATE

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, int(self.operation), self.tag)
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE, min_version=_V11)
        op = decode_enum(KeyUpdateOperation, p1, r, "param1.operation", 2)
        r.end()
        return cls(version, op, p2, raw=r.data)


@dataclass(frozen=True, slots=True)
class KeyUpdateAck(KeyUpdate):
    STRUCTURE = "SPDM KEY_UPDATE_ACK"
    CODE = ResponseCode.KEY_UPDATE_ACK
