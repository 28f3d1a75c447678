# SPDX-License-Identifier: BSD-3-Clause
"""GET_CERTIFICATE / CERTIFICATE and chunk reassembly (protocols.md §3.6).

A chain is fetched in portions: each CERTIFICATE gives PortionLength bytes and
the RemainderLength still to come. :class:`CertificateAssembler` checks what Linux
checks (slot echo, offset + portion + remainder == total) and refuses a chain that
grows or exceeds the limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devtrust.wire.codec import Reader, Writer
from devtrust.wire.errors import EncodeError, LengthError, WireError
from devtrust.wire.spdm.header import (
    RequestCode,
    ResponseCode,
    SpdmVersion,
    read_header,
    require_zero,
    write_header,
)

__all__ = ["MAX_CHAIN_SIZE", "Certificate", "CertificateAssembler", "GetCertificate"]

MAX_CHAIN_SIZE = 0xFFFF  # 16-bit chain Length in SPDM 1.2/1.3 (§3.7)
_SLOT_MASK = 0x0F


def _check_slot(structure: str, slot: int) -> None:
    if not 0 <= slot <= 7:
        raise EncodeError(structure, "param1.slot_id", 2, f"slot {slot} not in 0..7")


@dataclass(frozen=True, slots=True)
class GetCertificate:
    """GET_CERTIFICATE. ``slot_size_requested`` is 1.3 Param2 bit 0."""

    spdm_version: int
    slot_id: int
    offset: int
    length: int
    slot_size_requested: bool = False
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM GET_CERTIFICATE"
    CODE = RequestCode.GET_CERTIFICATE

    def __post_init__(self) -> None:
        _check_slot(self.STRUCTURE, self.slot_id)

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, self.slot_id,
                     int(self.slot_size_requested))
        w.u16(self.offset, "offset").u16(self.length, "length")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> GetCertificate:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE)
        r.flags(p1, 0x07, "param1.slot_id", offset=2)
        r.flags(p2, 0x01 if version >= SpdmVersion.V13 else 0, "param2", offset=3)
        offset = r.u16("offset")
        length = r.u16("length")
        r.end()
        return cls(version, p1, offset, length, bool(p2), raw=r.data)


@dataclass(frozen=True, slots=True)
class Certificate:
    """CERTIFICATE: one portion of slot ``slot_id``'s chain. ``cert_model`` is 1.3 Param2."""

    spdm_version: int
    slot_id: int
    portion: bytes
    remainder_length: int
    cert_model: int = 0
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM CERTIFICATE"
    CODE = ResponseCode.CERTIFICATE

    def __post_init__(self) -> None:
        _check_slot(self.STRUCTURE, self.slot_id)
        if len(self.portion) > 0xFFFF:
            raise EncodeError(self.STRUCTURE, "portion", 8, "portion longer than 65535 bytes")

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, self.slot_id, self.cert_model)
        w.u16(len(self.portion), "portion_length").u16(self.remainder_length,
                                                       "remainder_length")
        w.raw(self.portion, "portion")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Certificate:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE)
        r.flags(p1, 0x07, "param1.slot_id", offset=2)
        # 1.3: Param2 bits 2:0 = CertModel (0 none/legacy, 1 device, 2 alias, 3 generic).
        if version >= SpdmVersion.V13:
            r.require(p2 <= 3, "param2.cert_model", f"unknown certificate model {p2}", offset=3)
        else:
            require_zero(r, p2, "param2", 3)
        portion_length = r.u16("portion_length")
        remainder = r.u16("remainder_length")
        portion = r.take(portion_length, "portion")
        r.end()
        return cls(version, p1, portion, remainder, p2, raw=r.data)


@dataclass(frozen=True, slots=True)
class CertificateAssembler:
    """Immutable state of one chain download; :meth:`add` returns the next state.

    ``total`` is fixed by the first reply (portion + remainder) and may never change.
    """

    slot_id: int
    max_size: int = MAX_CHAIN_SIZE
    data: bytes = b""
    total: int | None = None

    STRUCTURE = "SPDM CERTIFICATE chain assembly"

    @property
    def complete(self) -> bool:
        return self.total is not None and len(self.data) == self.total

    def next_request(self, spdm_version: int, buffer: int = 0xFFFF) -> GetCertificate:
        """The GET_CERTIFICATE to send next (length = min(buffer, what is left))."""
        left = 0xFFFF if self.total is None else self.total - len(self.data)
        return GetCertificate(spdm_version, self.slot_id, len(self.data), min(buffer, left))

    def add(self, response: Certificate, request: GetCertificate | None = None
            ) -> CertificateAssembler:
        """Append one CERTIFICATE (WireError on any inconsistency)."""
        def fail(fld: str, reason: str) -> WireError:
            return LengthError(self.STRUCTURE, fld, len(self.data), reason)

        if self.complete:
            raise fail("portion", "chain already complete")
        if response.slot_id != self.slot_id:
            raise WireError(self.STRUCTURE, "slot_id", 2,
                            f"slot {response.slot_id} echoed for request of slot {self.slot_id}")
        if request is not None:
            if request.offset != len(self.data) or request.slot_id != self.slot_id:
                raise fail("offset", "request does not continue this chain")
            if len(response.portion) > request.length:
                raise fail("portion_length", "portion longer than requested")
        if not response.portion and response.remainder_length:
            raise fail("portion_length", "empty portion with data remaining")
        total = len(self.data) + len(response.portion) + response.remainder_length
        if self.total is not None and total != self.total:
            raise fail("remainder_length",
                       f"offset + portion + remainder = {total} != total {self.total}")
        if total > self.max_size:
            raise fail("remainder_length", f"chain of {total} bytes exceeds {self.max_size}")
        return CertificateAssembler(self.slot_id, self.max_size, self.data + response.portion,
                                    total)

    def chain(self) -> bytes:
        """The assembled chain bytes; WireError while incomplete."""
        if not self.complete:
            raise LengthError(self.STRUCTURE, "chain", len(self.data), "chain incomplete")
        return self.data
