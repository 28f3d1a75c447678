# SPDX-License-Identifier: BSD-3-Clause
"""IDE_KM messages and the IDE key byte order (protocols.md §5.2).

Offsets. The PCIe specification counts IDE_KM offsets from the PCI Protocol ID
byte (0x00), which makes the key and register fields DW-aligned; libspdm's
structs start one byte later, at the ObjectID. The codecs here decode and
encode the message *as carried after the protocol id byte*, i.e. exactly
:attr:`VendorDefinedMessage.pci_body`, starting at ObjectID. Offsets named in
this module's constants are protocol-id-relative as in the spec; convert with
:func:`body_offset` (and add the vendor payload offset, 11 in the captured
VENDOR_DEFINED messages, to get a file offset) (§7 row 13).

Key order. The 32-byte key field carries the AES-256-GCM key k[0..31] (natural
order, most significant byte first) as eight DWs Key_DW7..Key_DW0, each
little-endian on the wire: k[3] k[2] k[1] k[0] k[7] ... k[28]. The 8-byte IFV
field carries IV[4..11] the same way. Source: tee-io-validator's
key_byte_order.md, consistent with spdm-emu's IFV; single source, still to
confirm against PCIe §6.33 (§5.2, §8 items 6 and 9).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, ClassVar, Self

from devtrust.wire.codec import Reader, Writer, decode_enum
from devtrust.wire.errors import LengthError, ReservedBitsError, UnknownCodeError

__all__ = [
    "IFV_OFFSET",
    "IFV_SIZE",
    "KEY_OFFSET",
    "KEY_SIZE",
    "IdeKmMessage",
    "IdeKmObject",
    "KGoStopAck",
    "KSetGo",
    "KSetStop",
    "KeyDirection",
    "KeyProg",
    "KeySubStream",
    "KpAck",
    "KpAckStatus",
    "Query",
    "QueryResp",
    "SubStream",
    "body_offset",
    "decode_ide_km",
    "iv_from_ifv",
    "key_from_wire",
    "key_to_wire",
]

KEY_SIZE = 32
IFV_SIZE = 8
KEY_OFFSET = 8   # protocol-id-relative (§5.2)
IFV_OFFSET = 40  # protocol-id-relative (§5.2)


def body_offset(protocol_offset: int) -> int:
    """Convert a spec (protocol-id-relative) offset to an offset into ``pci_body``."""
    return protocol_offset - 1


class IdeKmObject(IntEnum):
    """ObjectID values (§5.2)."""

    QUERY = 0x00
    QUERY_RESP = 0x01
    KEY_PROG = 0x02
    KP_ACK = 0x03
    K_SET_GO = 0x04
    K_SET_STOP = 0x05
    K_GOSTOP_ACK = 0x06


class KpAckStatus(IntEnum):
    """KP_ACK Status (§5.2)."""

    SUCCESS = 0
    INCORRECT_LENGTH = 1
    UNSUPPORTED_PORT_INDEX = 2
    UNSUPPORTED_VALUE = 3
    UNSPECIFIED_FAILURE = 4


class KeyDirection(IntEnum):
    RX = 0
    TX = 1


class SubStream(IntEnum):
    """Sub-stream of a KeySubStream byte; values 3..15 are reserved."""

    PR = 0   # posted requests
    NPR = 1  # non-posted requests
    CPL = 2  # completions


def _swap_dws(data: bytes) -> bytes:
    """Reverse the bytes inside every DW, keeping the DW order (its own inverse)."""
    return b"".join(data[i:i + 4][::-1] for i in range(0, len(data), 4))


def key_to_wire(key: bytes) -> bytes:
    """Natural-order AES-256 key (or IFV) to KEY_PROG wire bytes (§5.2)."""
    if len(key) not in (KEY_SIZE, IFV_SIZE):
        raise ValueError("key is 32 bytes, IFV 8 bytes")
    return _swap_dws(key)


def key_from_wire(wire: bytes) -> bytes:
    """KEY_PROG wire bytes to the natural-order key (or IFV) (§5.2)."""
    if len(wire) not in (KEY_SIZE, IFV_SIZE):
        raise ValueError("key is 32 bytes, IFV 8 bytes")
    return _swap_dws(wire)


def iv_from_ifv(ifv: bytes) -> bytes:
    """The 96-bit GCM IV: IV[0..3] = 0, IV[4..11] = natural-order IFV (§5.2)."""
    if len(ifv) != IFV_SIZE:
        raise ValueError("IFV is 8 bytes")
    return bytes(4) + ifv


@dataclass(frozen=True, slots=True)
class KeySubStream:
    """KeySubStream byte: bit 0 key set, bit 1 direction, bits 3:2 reserved, 7:4 sub-stream."""

    key_set: int
    direction: KeyDirection
    sub_stream: SubStream

    def __post_init__(self) -> None:
        if self.key_set not in (0, 1):
            raise ValueError("key set is K0 (0) or K1 (1)")

    @property
    def value(self) -> int:
        return self.key_set | (int(self.direction) << 1) | (int(self.sub_stream) << 4)

    @classmethod
    def read(cls, r: Reader) -> KeySubStream:
        at = r.offset
        value = r.u8("key_sub_stream")
        if value & 0x0C:
            raise r.error("key_sub_stream", f"reserved bits 3:2 set (0x{value:02x})",
                          offset=at, kind=ReservedBitsError)
        sub = decode_enum(SubStream, value >> 4, r, "key_sub_stream.sub_stream", at)
        return cls(value & 1, KeyDirection(value >> 1 & 1), sub)


@dataclass(frozen=True, slots=True)
class IdeKmMessage:
    """Base of every IDE_KM object; subclasses declare their body once."""

    raw: bytes = field(default=b"", compare=False, repr=False, kw_only=True)

    OBJECT: ClassVar[IdeKmObject]

    @classmethod
    def structure(cls) -> str:
        return f"IDE_KM {cls.OBJECT.name}"

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        raise NotImplementedError  # every concrete object overrides it

    def _write_body(self, w: Writer) -> None:
        raise NotImplementedError  # every concrete object overrides it

    @classmethod
    def decode(cls, data: bytes) -> Self:
        """Decode one object from the bytes after the protocol id (ObjectID first).

        Reported offsets are ``pci_body`` offsets; add 1 for the spec's.
        """
        r = Reader(data, cls.structure())
        at = r.offset
        obj = r.u8("object_id")
        r.require(obj == cls.OBJECT, "object_id", f"object 0x{obj:02x} is not {cls.OBJECT.name}",
                  kind=UnknownCodeError, offset=at)
        body = cls._read_body(r)
        r.end()
        return cls(*body, raw=r.data)

    def encode(self) -> bytes:
        w = Writer(self.structure())
        w.u8(int(self.OBJECT), "object_id")
        self._write_body(w)
        return w.getvalue()


@dataclass(frozen=True, slots=True)
class Query(IdeKmMessage):
    """QUERY: Reserved ‖ PortIndex."""

    port_index: int

    OBJECT = IdeKmObject.QUERY

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        r.reserved(1)
        return (r.u8("port_index"),)

    def _write_body(self, w: Writer) -> None:
        w.zeros(1).u8(self.port_index, "port_index")


@dataclass(frozen=True, slots=True)
class QueryResp(IdeKmMessage):
    """QUERY_RESP: port identity plus the port's IDE capability registers as DWs.

    Reserved ‖ PortIndex ‖ Dev/Func ‖ Bus ‖ Segment ‖ MaxPortIndex ‖ DW[n].
    """

    port_index: int
    dev_func: int
    bus: int
    segment: int
    max_port_index: int
    registers: tuple[int, ...] = ()

    OBJECT = IdeKmObject.QUERY_RESP

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        r.reserved(1)
        fields = tuple(r.u8(name) for name in
                       ("port_index", "dev_func", "bus", "segment", "max_port_index"))
        r.require(r.remaining % 4 == 0, "registers",
                  f"register image of {r.remaining} bytes is not whole DWs", kind=LengthError)
        registers = tuple(r.u32(f"registers[{i}]") for i in range(r.remaining // 4))
        return (*fields, registers)

    def _write_body(self, w: Writer) -> None:
        w.zeros(1).u8(self.port_index, "port_index").u8(self.dev_func, "dev_func")
        w.u8(self.bus, "bus").u8(self.segment, "segment")
        w.u8(self.max_port_index, "max_port_index")
        for i, value in enumerate(self.registers):
            w.u32(value, f"registers[{i}]")


def _read_stream_fields(r: Reader) -> tuple[int, KeySubStream, int]:
    """Reserved (2) ‖ StreamID ‖ Reserved ‖ KeySubStream ‖ PortIndex (K_SET_GO and kin)."""
    r.reserved(2)
    stream_id = r.u8("stream_id")
    r.reserved(1)
    return stream_id, KeySubStream.read(r), r.u8("port_index")


def _write_stream_fields(w: Writer, stream_id: int, sub: KeySubStream, port: int) -> None:
    w.zeros(2).u8(stream_id, "stream_id").zeros(1)
    w.u8(sub.value, "key_sub_stream").u8(port, "port_index")


@dataclass(frozen=True, slots=True)
class _StreamObject(IdeKmMessage):
    """The 8-byte (protocol-relative) layout shared by K_SET_GO, K_SET_STOP, K_GOSTOP_ACK."""

    stream_id: int
    key_sub_stream: KeySubStream
    port_index: int

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        return _read_stream_fields(r)

    def _write_body(self, w: Writer) -> None:
        _write_stream_fields(w, self.stream_id, self.key_sub_stream, self.port_index)


@dataclass(frozen=True, slots=True)
class KSetGo(_StreamObject):
    """K_SET_GO: start using the programmed key set."""

    OBJECT = IdeKmObject.K_SET_GO


@dataclass(frozen=True, slots=True)
class KSetStop(_StreamObject):
    """K_SET_STOP: stop using the key set."""

    OBJECT = IdeKmObject.K_SET_STOP


@dataclass(frozen=True, slots=True)
class KGoStopAck(_StreamObject):
    """K_GOSTOP_ACK: echoes StreamID, KeySubStream and PortIndex."""

    OBJECT = IdeKmObject.K_GOSTOP_ACK


@dataclass(frozen=True, slots=True)
class KpAck(IdeKmMessage):
    """KP_ACK: as K_SET_GO with byte 5 (protocol-relative) = Status."""

    stream_id: int
    status: KpAckStatus
    key_sub_stream: KeySubStream
    port_index: int

    OBJECT = IdeKmObject.KP_ACK

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        r.reserved(2)
        stream_id = r.u8("stream_id")
        at = r.offset
        status = decode_enum(KpAckStatus, r.u8("status"), r, "status", at)
        return stream_id, status, KeySubStream.read(r), r.u8("port_index")

    def _write_body(self, w: Writer) -> None:
        w.zeros(2).u8(self.stream_id, "stream_id").u8(int(self.status), "status")
        w.u8(self.key_sub_stream.value, "key_sub_stream").u8(self.port_index, "port_index")


@dataclass(frozen=True, slots=True)
class KeyProg(IdeKmMessage):
    """KEY_PROG: stream header, then Key (32 B at 8) and IFV (8 B at 40), protocol-relative.

    ``key`` and ``ifv`` are held in natural order (as given to AES-GCM);
    the DW swap of §5.2 happens only on the wire. The key is secret: it is
    left out of ``repr``.
    """

    stream_id: int
    key_sub_stream: KeySubStream
    port_index: int
    key: bytes = field(repr=False)
    ifv: bytes = bytes(7) + b"\x01"  # PCIe's initial IFV of 1 (§5.2)

    OBJECT = IdeKmObject.KEY_PROG

    def __post_init__(self) -> None:
        if len(self.key) != KEY_SIZE or len(self.ifv) != IFV_SIZE:
            raise ValueError("KEY_PROG key is 32 bytes and IFV 8 bytes")

    @property
    def iv(self) -> bytes:
        """The 12-byte AES-GCM IV this key starts with."""
        return iv_from_ifv(self.ifv)

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        stream_id, sub, port = _read_stream_fields(r)
        key = key_from_wire(r.take(KEY_SIZE, "key"))
        ifv = key_from_wire(r.take(IFV_SIZE, "ifv"))
        return stream_id, sub, port, key, ifv

    def _write_body(self, w: Writer) -> None:
        _write_stream_fields(w, self.stream_id, self.key_sub_stream, self.port_index)
        w.raw(key_to_wire(self.key), "key").raw(key_to_wire(self.ifv), "ifv")


_OBJECTS: dict[int, type[IdeKmMessage]] = {
    cls.OBJECT: cls for cls in (Query, QueryResp, KeyProg, KpAck, KSetGo, KSetStop, KGoStopAck)
}


def decode_ide_km(data: bytes) -> IdeKmMessage:
    """Decode any IDE_KM object from the bytes after the protocol id (``pci_body``)."""
    r = Reader(data, "IDE_KM message")
    at = r.offset
    obj = decode_enum(IdeKmObject, r.u8("object_id"), r, "object_id", at)
    return _OBJECTS[obj].decode(data)
