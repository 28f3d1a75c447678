# SPDX-License-Identifier: BSD-3-Clause
"""GET_MEASUREMENTS / MEASUREMENTS (protocols.md §3.9).

GET_MEASUREMENTS sizes: 1.0 signed 36 / unsigned 4; 1.1-1.2 signed 37 / unsigned 4;
1.3 signed 45 / unsigned 12. MEASUREMENTS carries the record, a responder nonce
(1.1+), opaque data, the 1.3 RequesterContext and, when signed, an S-byte
signature; whether it is signed comes from the request, so S is a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, IntFlag

from devtrust.wire.codec import Reader, Writer
from devtrust.wire.errors import EncodeError
from devtrust.wire.spdm.header import (
    MAX_OPAQUE_DATA,
    NONCE_SIZE,
    RequestCode,
    ResponseCode,
    SpdmVersion,
    read_header,
    read_opaque,
    requester_context_size,
    require_zero,
    write_header,
)
from devtrust.wire.spdm.measurement_block import MeasurementBlock, MeasurementRecord

__all__ = [
    "ALL_MEASUREMENTS",
    "COUNT_ONLY",
    "ContentChanged",
    "GetMeasurements",
    "MeasurementAttributes",
    "Measurements",
]

COUNT_ONLY = 0x00
ALL_MEASUREMENTS = 0xFF
_MAX_RECORD = 0xFFFFFF


class MeasurementAttributes(IntFlag):
    """GET_MEASUREMENTS Param1."""

    NONE = 0
    SIGNATURE_REQUESTED = 1 << 0
    RAW_BIT_STREAM_REQUESTED = 1 << 1  # 1.2
    NEW_MEASUREMENT_REQUESTED = 1 << 2  # 1.3


class ContentChanged(IntEnum):
    """MEASUREMENTS Param2 bits 5:4 (1.2+)."""

    NOT_SUPPORTED = 0
    CHANGED = 1
    NO_CHANGE = 2


_ATTR_BITS = {SpdmVersion.V10: 0x1, SpdmVersion.V11: 0x1, SpdmVersion.V12: 0x3,
              SpdmVersion.V13: 0x7}



@dataclass(frozen=True, slots=True)
class GetMeasurements:
    """GET_MEASUREMENTS. ``nonce`` and ``slot_id`` exist only when a signature is requested."""

    spdm_version: int
    attributes: MeasurementAttributes
    operation: int
    nonce: bytes = b""
    slot_id: int = 0
    requester_context: bytes = b""
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM GET_MEASUREMENTS"
    CODE = RequestCode.GET_MEASUREMENTS

    def __post_init__(self) -> None:
        v = self.spdm_version
        if int(self.attributes) & ~_ATTR_BITS[SpdmVersion(v)]:
            raise EncodeError(self.STRUCTURE, "param1", 2, "attribute not defined in version")
        want_nonce = NONCE_SIZE if self.signature_requested else 0
        context = requester_context_size(v)
        if len(self.nonce) != want_nonce or len(self.requester_context) != context:
            raise EncodeError(self.STRUCTURE, "nonce", 4, "wrong nonce/context size")
        if not 0 <= self.slot_id <= 7 or (self.slot_id and not self.has_slot_byte):
            raise EncodeError(self.STRUCTURE, "slot_id", 36, "slot needs signing and 1.1+")

    @property
    def signature_requested(self) -> bool:
        return bool(self.attributes & MeasurementAttributes.SIGNATURE_REQUESTED)

    @property
    def has_slot_byte(self) -> bool:
        return self.signature_requested and self.spdm_version >= SpdmVersion.V11

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, int(self.attributes), self.operation)
        w.raw(self.nonce, "nonce")
        if self.has_slot_byte:
            w.u8(self.slot_id, "slot_id_param")
        w.raw(self.requester_context, "requester_context")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> GetMeasurements:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE)
        attrs = MeasurementAttributes(r.flags(p1, _ATTR_BITS[version], "param1.attributes",
                                              offset=2))
        signed = bool(attrs & MeasurementAttributes.SIGNATURE_REQUESTED)
        nonce = r.take(NONCE_SIZE if signed else 0, "nonce")
        slot = 0
        if signed and version >= SpdmVersion.V11:
            at = r.offset
            slot = r.flags(r.u8("slot_id_param"), 0x07, "slot_id_param", offset=at)
        ctx = r.take(requester_context_size(version), "requester_context")
        r.end()
        return cls(version, attrs, p2, nonce, slot, ctx, raw=r.data)


@dataclass(frozen=True, slots=True)
class Measurements:
    """MEASUREMENTS. ``signature`` is empty for an unsigned response.

    ``total_measurement_indices`` is Param1 (only meaningful for a count query,
    when the record is empty).
    """

    spdm_version: int
    record: MeasurementRecord
    nonce: bytes
    opaque_data: bytes = b""
    signature: bytes = b""
    slot_id: int = 0
    content_changed: ContentChanged = ContentChanged.NOT_SUPPORTED
    total_measurement_indices: int = 0
    requester_context: bytes = b""
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM MEASUREMENTS"
    CODE = ResponseCode.MEASUREMENTS

    def __post_init__(self) -> None:
        v = self.spdm_version
        if len(self.nonce) != (NONCE_SIZE if v >= SpdmVersion.V11 else 0):
            raise EncodeError(self.STRUCTURE, "nonce", 0, "nonce is 32 bytes from 1.1, else none")
        if (len(self.opaque_data) > MAX_OPAQUE_DATA
                or len(self.requester_context) != requester_context_size(v)):
            raise EncodeError(self.STRUCTURE, "opaque_data", 0, "wrong opaque/context size")
        if self.total_measurement_indices and self.record.blocks:
            raise EncodeError(self.STRUCTURE, "param1", 2, "count only in a count reply")
        if not 0 <= self.slot_id <= 0xF:
            raise EncodeError(self.STRUCTURE, "param2", 3, "slot id is 4 bits")

    @property
    def blocks(self) -> tuple[MeasurementBlock, ...]:
        """The measurement blocks, in wire order."""
        return self.record.blocks

    @property
    def is_signed(self) -> bool:
        return bool(self.signature)

    @property
    def unsigned_bytes(self) -> bytes:
        """The received bytes minus the trailing signature (the L1/L2 transcript's last part)."""
        data = self.raw or self.encode()
        return data[:len(data) - len(self.signature)]

    @property
    def signature_offset(self) -> int:
        return len(self.unsigned_bytes)

    @property
    def record_offset(self) -> int:
        return 8

    @property
    def nonce_offset(self) -> int:
        return 8 + len(self.record.encode())

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        p2 = self.slot_id | int(self.content_changed) << 4
        write_header(w, self.spdm_version, self.CODE, self.total_measurement_indices, p2)
        record = self.record.encode()
        w.u8(len(self.record.blocks), "number_of_blocks")
        w.u24(len(record), "measurement_record_length").raw(record, "measurement_record")
        w.raw(self.nonce, "nonce")
        w.u16(len(self.opaque_data), "opaque_data_length").raw(self.opaque_data, "opaque_data")
        w.raw(self.requester_context, "requester_context").raw(self.signature, "signature")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes, *, signature_size: int = 0, signed: bool | None = None,
               digest_size: int | None = None) -> Measurements:
        """``signature_size`` is S when the request asked for a signature, else 0.

        ``signed`` defaults to ``signature_size > 0``; ``signed=True`` with
        ``signature_size=0`` decodes a signed response whose signature was cut off (the
        last part of an L1/L2 transcript). ``digest_size`` (the measurement hash size),
        if given, pins digest block sizes.
        """
        if signed is None:
            signed = signature_size > 0
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE)
        r.flags(p2, 0x3F if version >= SpdmVersion.V12 else 0x0F, "param2", offset=3)
        slot, changed = p2 & 0x0F, p2 >> 4
        r.require(changed != 3, "param2.content_changed", "reserved value 3", offset=3)
        if not signed:
            # The slot id and content-changed field are only meaningful when signed.
            require_zero(r, p2, "param2", 3)
        n_blocks = r.u8("number_of_blocks")
        if n_blocks:
            require_zero(r, p1, "param1", 2)
        at = r.offset
        length = r.u24("measurement_record_length")
        rec_reader = r.sub(length, cls.STRUCTURE, "measurement_record")
        record = MeasurementRecord.decode(rec_reader.data, n_blocks, digest_size=digest_size,
                                          base=at + 3)
        nonce = r.take(NONCE_SIZE if version >= SpdmVersion.V11 else 0, "nonce")
        opaque = read_opaque(r)
        ctx = r.take(requester_context_size(version), "requester_context")
        sig = r.take(signature_size, "signature")
        r.end()
        return cls(version, record, nonce, opaque, sig, slot, ContentChanged(changed), p1, ctx,
                   raw=r.data)

    @classmethod
    def measure_length(cls, data: bytes, *, signature_size: int = 0, offset: int = 0) -> int:
        """Size of the MEASUREMENTS starting at ``data[offset:]``, from its own length fields."""
        r = Reader(data[offset:], cls.STRUCTURE, base=offset)
        version, _, _ = read_header(r, cls.CODE)
        r.u8("number_of_blocks")
        r.take(r.u24("measurement_record_length"), "measurement_record")
        r.take(NONCE_SIZE if version >= SpdmVersion.V11 else 0, "nonce")
        read_opaque(r)
        r.take(requester_context_size(version) + signature_size, "requester_context")
        return r.pos
