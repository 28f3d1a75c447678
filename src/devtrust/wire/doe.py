# SPDX-License-Identifier: BSD-3-Clause
"""PCIe DOE data objects and DOE discovery (protocols.md §4).

Header, two little-endian DWs::

    0 Vendor ID (2) | 2 Data Object Type (1) | 3 Reserved (1) |
    4 Length in DW including the header: bits 17:0, 0 means 2**18; bits 31:18 reserved

The payload is padded with zeros to a DW multiple; the real size of the
message inside comes from its own length fields (SPDM, secured message), so
:class:`DoeObject` keeps the payload *with* its padding (exact bytes) and
:meth:`DoeObject.unpadded` strips it once the caller knows the inner length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from devtrust.wire.codec import Reader, Writer, decode_enum
from devtrust.wire.errors import LengthError, ReservedBitsError, UnknownCodeError

__all__ = [
    "DOE_HEADER_SIZE",
    "DOE_MAX_DW",
    "PCIE6_DOE_TYPES",
    "PCI_SIG_VENDOR_ID",
    "DoeDiscoveryRequest",
    "DoeDiscoveryResponse",
    "DoeObject",
    "DoeType",
]

DOE_HEADER_SIZE = 8
DOE_MAX_DW = 1 << 18  # a Length field of 0 means this many DW (1 MiB)
PCI_SIG_VENDOR_ID = 0x0001


class DoeType(IntEnum):
    """PCI-SIG data object types (§4)."""

    DISCOVERY = 0x00
    CMA_SPDM = 0x01
    SECURED_CMA_SPDM = 0x02
    # Defined by libspdm for newer specifications (SPDM with connection id and
    # its secured variant); not part of PCIe 6.x, see PCIE6_DOE_TYPES.
    CMA_SPDM_CONNECTION_ID = 0x03
    SECURED_CMA_SPDM_CONNECTION_ID = 0x04


PCIE6_DOE_TYPES = frozenset({DoeType.DISCOVERY, DoeType.CMA_SPDM, DoeType.SECURED_CMA_SPDM})

_LENGTH_MASK = DOE_MAX_DW - 1


@dataclass(frozen=True, slots=True)
class DoeObject:
    """One DOE data object: header plus payload (a DW multiple, padding included).

    ``data_object_type`` is a :class:`DoeType` for the PCI-SIG vendor id (an
    unknown PCI-SIG type is refused) and a plain int for other vendors, whose
    type spaces we do not know.
    """

    vendor_id: int
    data_object_type: int
    payload: bytes
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "DOE data object"

    def __post_init__(self) -> None:
        if not (0 <= self.vendor_id <= 0xFFFF and 0 <= self.data_object_type <= 0xFF):
            raise ValueError("vendor id or data object type out of range")
        if len(self.payload) % 4:
            raise ValueError("DOE payload must be a DW multiple; use DoeObject.wrap to pad")
        if DOE_HEADER_SIZE + len(self.payload) > DOE_MAX_DW * 4:
            raise ValueError("DOE object larger than 2**18 DW")

    @classmethod
    def wrap(cls, data_object_type: int, message: bytes,
             vendor_id: int = PCI_SIG_VENDOR_ID) -> DoeObject:
        """Build an object around ``message``, zero-padding it to a DW multiple."""
        return cls(vendor_id, data_object_type, message + bytes(-len(message) % 4))

    @property
    def length_dw(self) -> int:
        """Total length in DW, header included."""
        return (DOE_HEADER_SIZE + len(self.payload)) // 4

    def unpadded(self, inner_length: int) -> bytes:
        """The first ``inner_length`` payload bytes, after checking the rest is DW padding.

        Padding must be zero and shorter than a DW (§4); anything else is a
        :class:`~devtrust.wire.errors.WireError`.
        """
        r = Reader(self.payload, self.STRUCTURE, base=DOE_HEADER_SIZE)
        message = r.take(inner_length, "payload")
        r.require(r.remaining < 4, "padding", f"{r.remaining} bytes after the message",
                  kind=LengthError)
        r.reserved(r.remaining, "padding")
        return message

    @classmethod
    def decode(cls, data: bytes) -> DoeObject:
        r = Reader(data, cls.STRUCTURE)
        vendor_id = r.u16("vendor_id")
        at = r.offset
        kind: int = r.u8("data_object_type")
        if vendor_id == PCI_SIG_VENDOR_ID:
            kind = decode_enum(DoeType, kind, r, "data_object_type", at)
        r.reserved(1)
        at = r.offset
        length = r.u32("length")
        if length & ~_LENGTH_MASK:
            raise r.error("length", f"reserved bits 31:18 set (0x{length:08x})", offset=at,
                          kind=ReservedBitsError)
        length_dw = length or DOE_MAX_DW
        if length_dw < 2:
            raise r.error("length", f"{length_dw} DW is shorter than the header", offset=at,
                          kind=LengthError)
        payload = r.length_prefixed(length_dw * 4 - DOE_HEADER_SIZE, "payload")
        r.end()
        return cls(vendor_id, kind, payload, raw=r.data)

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        w.u16(self.vendor_id, "vendor_id").u8(int(self.data_object_type), "data_object_type")
        w.zeros(1)
        w.u32(self.length_dw & _LENGTH_MASK, "length")  # 2**18 DW encodes as 0
        w.raw(self.payload, "payload")
        return w.getvalue()


def _discovery_payload(obj: DoeObject, structure: str) -> bytes:
    if obj.vendor_id != PCI_SIG_VENDOR_ID or obj.data_object_type != DoeType.DISCOVERY:
        raise UnknownCodeError(structure, "data_object_type", 2,
                               "not a PCI-SIG DOE discovery object")
    return obj.payload


@dataclass(frozen=True, slots=True)
class DoeDiscoveryRequest:
    """Discovery request DW: Index (7:0), Discovery Version (15:8), reserved 31:16.

    The version is 0 unless the DOE capability is version 2 or later.
    """

    index: int
    version: int = 0
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "DOE discovery request"

    @classmethod
    def decode(cls, data: bytes) -> DoeDiscoveryRequest:
        """Decode the 4-byte payload (after the DOE header)."""
        r = Reader(data, cls.STRUCTURE, base=DOE_HEADER_SIZE)
        index = r.u8("index")
        version = r.u8("version")
        r.reserved(2)
        r.end()
        return cls(index, version, raw=r.data)

    @classmethod
    def from_object(cls, obj: DoeObject) -> DoeDiscoveryRequest:
        return cls.decode(_discovery_payload(obj, cls.STRUCTURE))

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        w.u8(self.index, "index").u8(self.version, "version").zeros(2)
        return w.getvalue()

    def to_object(self) -> DoeObject:
        return DoeObject(PCI_SIG_VENDOR_ID, DoeType.DISCOVERY, self.encode())


@dataclass(frozen=True, slots=True)
class DoeDiscoveryResponse:
    """Discovery response DW: Vendor ID (15:0), Data Object Type (23:16), Next Index (31:24).

    Next Index 0 marks the last entry. The advertised type is kept as an int:
    a mailbox may list vendor protocols we do not know.
    """

    vendor_id: int
    data_object_type: int
    next_index: int
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "DOE discovery response"

    @classmethod
    def decode(cls, data: bytes) -> DoeDiscoveryResponse:
        """Decode the 4-byte payload (after the DOE header)."""
        r = Reader(data, cls.STRUCTURE, base=DOE_HEADER_SIZE)
        vendor_id = r.u16("vendor_id")
        kind = r.u8("data_object_type")
        next_index = r.u8("next_index")
        r.end()
        return cls(vendor_id, kind, next_index, raw=r.data)

    @classmethod
    def from_object(cls, obj: DoeObject) -> DoeDiscoveryResponse:
        return cls.decode(_discovery_payload(obj, cls.STRUCTURE))

    @property
    def is_last(self) -> bool:
        return self.next_index == 0

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        w.u16(self.vendor_id, "vendor_id").u8(self.data_object_type, "data_object_type")
        w.u8(self.next_index, "next_index")
        return w.getvalue()

    def to_object(self) -> DoeObject:
        return DoeObject(PCI_SIG_VENDOR_ID, DoeType.DISCOVERY, self.encode())
