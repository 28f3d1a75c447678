# SPDX-License-Identifier: BSD-3-Clause
"""DMTF measurement blocks and the measurement record (protocols.md §3.10).

Block = Index (1) | MeasurementSpecification (1, 0x01 DMTF) | MeasurementSize (2) |
DMTFSpecMeasurementValueType (1) | DMTFSpecMeasurementValueSize (2) | value.
MeasurementSize must equal 3 + value size. A record is blocks back to back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from devtrust.wire.codec import Reader, Writer, decode_enum
from devtrust.wire.errors import EncodeError, LengthError, UnknownCodeError

__all__ = [
    "DEVICE_MODE_INDEX",
    "MANIFEST_INDEX",
    "MEASUREMENT_SPEC_DMTF",
    "DmtfValueType",
    "MeasurementBlock",
    "MeasurementRecord",
]

MEASUREMENT_SPEC_DMTF = 0x01
MANIFEST_INDEX = 0xFD
DEVICE_MODE_INDEX = 0xFE
_RAW_BIT = 0x80
_DMTF_HEADER = 3  # ValueType (1) + ValueSize (2)


class DmtfValueType(IntEnum):
    """DMTFSpecMeasurementValueType bits 6:0."""

    IMMUTABLE_ROM = 0
    MUTABLE_FIRMWARE = 1
    HARDWARE_CONFIGURATION = 2
    FIRMWARE_CONFIGURATION = 3
    MEASUREMENT_MANIFEST = 4
    DEVICE_MODE = 5
    MUTABLE_FIRMWARE_VERSION = 6
    MUTABLE_FIRMWARE_SVN = 7
    HASH_EXTENDED_MEASUREMENT = 8
    INFORMATIONAL = 9
    STRUCTURED_MEASUREMENT_MANIFEST = 10


@dataclass(frozen=True, slots=True)
class MeasurementBlock:
    """One DMTF measurement block. ``is_raw`` is ValueType bit 7 (raw bit stream, not digest)."""

    index: int
    value_type: DmtfValueType
    value: bytes
    is_raw: bool = False
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM measurement block"

    def __post_init__(self) -> None:
        if not 1 <= self.index <= 0xFE:
            raise EncodeError(self.STRUCTURE, "index", 0, f"index {self.index} not in 1..0xFE")
        if len(self.value) > 0xFFFF - _DMTF_HEADER:
            raise EncodeError(self.STRUCTURE, "value", 7, "value too long")

    @property
    def type_byte(self) -> int:
        return int(self.value_type) | (_RAW_BIT if self.is_raw else 0)

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        w.u8(self.index, "index").u8(MEASUREMENT_SPEC_DMTF, "measurement_specification")
        w.u16(_DMTF_HEADER + len(self.value), "measurement_size")
        w.u8(self.type_byte, "value_type").u16(len(self.value), "value_size")
        w.raw(self.value, "value")
        return w.getvalue()

    @classmethod
    def read(cls, r: Reader, name: str = "block", *, digest_size: int | None = None
             ) -> MeasurementBlock:
        """Read one block at ``r``; ``digest_size`` (if given) pins digest-type value sizes."""
        start = r.pos
        at = r.offset
        index = r.u8(f"{name}.index")
        r.require(1 <= index <= 0xFE, f"{name}.index", f"index 0x{index:02x} not in 1..0xFE",
                  offset=at)
        at = r.offset
        spec = r.u8(f"{name}.measurement_specification")
        r.require(spec == MEASUREMENT_SPEC_DMTF, f"{name}.measurement_specification",
                  f"measurement specification 0x{spec:02x} is not DMTF",
                  kind=UnknownCodeError, offset=at)
        at = r.offset
        size = r.u16(f"{name}.measurement_size")
        body = r.sub(size, cls.STRUCTURE, f"{name}.measurement")
        tat = body.offset
        type_byte = body.u8(f"{name}.value_type")
        vtype = decode_enum(DmtfValueType, type_byte & ~_RAW_BIT & 0xFF, body,
                            f"{name}.value_type", tat)
        vat = body.offset
        vsize = body.u16(f"{name}.value_size")
        body.require(vsize + _DMTF_HEADER == size, f"{name}.value_size",
                     f"MeasurementSize {size} != 3 + value size {vsize}", kind=LengthError,
                     offset=vat)
        value = body.take(vsize, f"{name}.value")
        is_raw = bool(type_byte & _RAW_BIT)
        if digest_size is not None and not is_raw:
            body.require(vsize == digest_size, f"{name}.value_size",
                         f"digest of {vsize} bytes, negotiated hash gives {digest_size}",
                         kind=LengthError, offset=vat)
        return cls(index, vtype, value, is_raw, raw=r.data[start:r.pos])

    @classmethod
    def decode(cls, data: bytes, *, digest_size: int | None = None) -> MeasurementBlock:
        r = Reader(data, cls.STRUCTURE)
        block = cls.read(r, digest_size=digest_size)
        r.end()
        return block


@dataclass(frozen=True, slots=True)
class MeasurementRecord:
    """A MeasurementRecord: blocks in wire order, each index at most once."""

    blocks: tuple[MeasurementBlock, ...] = ()
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM measurement record"

    def __post_init__(self) -> None:
        indices = [b.index for b in self.blocks]
        if len(set(indices)) != len(indices) or len(indices) > 0xFF:
            raise EncodeError(self.STRUCTURE, "blocks", 0, "duplicate index or too many blocks")

    def encode(self) -> bytes:
        return b"".join(b.encode() for b in self.blocks)

    def by_index(self, index: int) -> MeasurementBlock:
        """The block with ``index`` (KeyError when absent)."""
        return {b.index: b for b in self.blocks}[index]

    @classmethod
    def decode(cls, data: bytes, number_of_blocks: int | None = None, *,
               digest_size: int | None = None, base: int = 0) -> MeasurementRecord:
        """Decode ``data``; with ``number_of_blocks``, the count must match exactly."""
        r = Reader(data, cls.STRUCTURE, base=base)
        blocks: list[MeasurementBlock] = []
        seen: set[int] = set()
        while r.remaining:
            at = r.offset
            name = f"blocks[{len(blocks)}]"
            b = MeasurementBlock.read(r, name, digest_size=digest_size)
            r.require(b.index not in seen, f"{name}.index", f"index {b.index} repeated",
                      offset=at)
            r.require(len(blocks) < 0xFF, name, "more than 255 blocks", kind=LengthError,
                      offset=at)
            seen.add(b.index)
            blocks.append(b)
        if number_of_blocks is not None and number_of_blocks != len(blocks):
            raise LengthError(cls.STRUCTURE, "number_of_blocks", base,
                              f"NumberOfBlocks {number_of_blocks} != {len(blocks)} decoded")
        return cls(tuple(blocks), raw=r.data)
