# SPDX-License-Identifier: BSD-3-Clause
"""SPDM VENDOR_DEFINED_REQUEST / VENDOR_DEFINED_RESPONSE (SPDM 1.0-1.3).

protocols.md §1.1: header(4) | StandardID(2) | Len(1) | VendorID(Len) |
ReqLength/RespLength(2) | payload. For PCI-SIG protocols StandardID = 3, Len = 2,
VendorID = 0x0001 and the payload starts with the PCI Protocol ID byte
(0x00 IDE_KM, 0x01 TDISP). Other registries (CXL in the captured vectors) are
decoded generically; only the PCI-SIG helpers insist on the PCI-SIG header.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from devtrust.wire.codec import Reader, Writer, decode_enum
from devtrust.wire.errors import UnknownCodeError

__all__ = [
    "PCI_SIG_STANDARD_ID",
    "PCI_SIG_VENDOR_ID",
    "VENDOR_DEFINED_REQUEST",
    "VENDOR_DEFINED_RESPONSE",
    "PciProtocol",
    "RegistryId",
    "VendorDefinedMessage",
]

VENDOR_DEFINED_REQUEST = 0xFE
VENDOR_DEFINED_RESPONSE = 0x7E
PCI_SIG_STANDARD_ID = 0x0003
PCI_SIG_VENDOR_ID = b"\x01\x00"  # 0x0001, little-endian on the wire


class RegistryId(IntEnum):
    """SPDM StandardID / registry identifiers (protocols.md §3.4)."""

    DMTF = 0
    TCG = 1
    USB = 2
    PCI_SIG = 3
    IANA = 4
    HDBASET = 5
    MIPI = 6
    CXL = 7
    JEDEC = 8
    VESA = 9
    IANA_CBOR = 0xA
    DMTF_DSP = 0xB


class PciProtocol(IntEnum):
    """PCI-SIG protocol identifiers carried in byte 0 of the vendor payload."""

    IDE_KM = 0x00
    TDISP = 0x01


_SPDM_VERSIONS = (0x10, 0x11, 0x12, 0x13)


@dataclass(frozen=True, slots=True)
class VendorDefinedMessage:
    """One VENDOR_DEFINED_REQUEST (code 0xFE) or VENDOR_DEFINED_RESPONSE (0x7E).

    ``payload`` is the ReqLength/RespLength bytes; for PCI-SIG it begins with the
    protocol id. ``raw`` keeps the received bytes (hashes are taken over them).
    """

    spdm_version: int
    is_request: bool
    standard_id: RegistryId
    vendor_id: bytes
    payload: bytes
    param1: int = 0
    param2: int = 0
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM VENDOR_DEFINED"

    def __post_init__(self) -> None:
        if len(self.vendor_id) > 0xFF or len(self.payload) > 0xFFFF:
            raise ValueError("vendor id or payload too long")

    @property
    def code(self) -> int:
        return VENDOR_DEFINED_REQUEST if self.is_request else VENDOR_DEFINED_RESPONSE

    @property
    def is_pci_sig(self) -> bool:
        return self.standard_id == RegistryId.PCI_SIG and self.vendor_id == PCI_SIG_VENDOR_ID

    @property
    def pci_protocol(self) -> PciProtocol:
        """The PCI-SIG protocol id; raises WireError if this is not a PCI-SIG message."""
        r = Reader(self.payload, self.STRUCTURE, base=self._payload_offset())
        r.require(self.is_pci_sig, "standard_id", "not a PCI-SIG vendor-defined message",
                  kind=UnknownCodeError, offset=4)
        at = r.offset
        return decode_enum(PciProtocol, r.u8("protocol_id"), r, "protocol_id", at)

    @property
    def pci_body(self) -> bytes:
        """The TDISP or IDE_KM message after the protocol id byte."""
        self.pci_protocol  # noqa: B018 - validates the PCI-SIG framing
        return self.payload[1:]

    def _payload_offset(self) -> int:
        return 9 + len(self.vendor_id)

    @classmethod
    def pci_sig(cls, spdm_version: int, is_request: bool, protocol: PciProtocol,
                body: bytes) -> VendorDefinedMessage:
        """Wrap a TDISP or IDE_KM message for PCI-SIG."""
        return cls(spdm_version, is_request, RegistryId.PCI_SIG, PCI_SIG_VENDOR_ID,
                   bytes([protocol]) + body)

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        w.u8(self.spdm_version, "spdm_version").u8(self.code, "code")
        w.u8(self.param1, "param1").u8(self.param2, "param2")
        w.u16(int(self.standard_id), "standard_id").u8(len(self.vendor_id), "vendor_id_len")
        w.raw(self.vendor_id, "vendor_id").u16(len(self.payload), "payload_length")
        w.raw(self.payload, "payload")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> VendorDefinedMessage:
        r = Reader(data, cls.STRUCTURE)
        at = r.offset
        version = r.u8("spdm_version")
        r.require(version in _SPDM_VERSIONS, "spdm_version",
                  f"unsupported SPDM version 0x{version:02x}", kind=UnknownCodeError, offset=at)
        at = r.offset
        code = r.u8("code")
        r.require(code in (VENDOR_DEFINED_REQUEST, VENDOR_DEFINED_RESPONSE), "code",
                  f"not a vendor-defined message (code 0x{code:02x})",
                  kind=UnknownCodeError, offset=at)
        param1 = r.u8("param1")
        param2 = r.u8("param2")
        at = r.offset
        standard_id = decode_enum(RegistryId, r.u16("standard_id"), r, "standard_id", at)
        vendor_id = r.take(r.u8("vendor_id_len"), "vendor_id")
        payload = r.take(r.u16("payload_length"), "payload")
        r.end()
        return cls(version, code == VENDOR_DEFINED_REQUEST, standard_id, vendor_id, payload,
                   param1, param2, raw=r.data)
