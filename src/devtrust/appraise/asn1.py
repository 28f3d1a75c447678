# SPDX-License-Identifier: BSD-3-Clause
"""A small, bounded DER reader for the parts of certificates ``cryptography`` leaves opaque.

Used for the raw extension list of a TBSCertificate (libspdm compares the leaf's
BasicConstraints bytes exactly), the DMTF SPDM extension, SAN otherName values and
TCG DICE extensions. Only low tag numbers (< 31) and definite, minimal lengths are
accepted; anything else raises :class:`~devtrust.appraise.errors.EvidenceFormatError`
naming the structure and the byte offset.
"""

from __future__ import annotations

from dataclasses import dataclass

from devtrust.appraise.errors import EvidenceFormatError

__all__ = [
    "BIT_STRING",
    "BOOLEAN",
    "INTEGER",
    "OCTET_STRING",
    "OID",
    "SEQUENCE",
    "UTF8_STRING",
    "Tlv",
    "decode_integer",
    "decode_oid",
    "decode_utf8",
    "read_single",
    "read_tlv",
    "read_tlvs",
]

BOOLEAN, INTEGER, BIT_STRING, OCTET_STRING, OID = 0x01, 0x02, 0x03, 0x04, 0x06
UTF8_STRING, SEQUENCE = 0x0C, 0x30


@dataclass(frozen=True, slots=True)
class Tlv:
    """One DER element: full tag byte, content bytes, and the offset of the tag."""

    tag: int
    value: bytes
    offset: int

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    def children(self, source: str) -> tuple[Tlv, ...]:
        """The elements inside a constructed element."""
        if not self.constructed:
            raise EvidenceFormatError(source, f"element at offset {self.offset} is primitive")
        return read_tlvs(self.value, source, base=self.offset + _header_size(self.value))


def _header_size(value: bytes) -> int:
    n = len(value)
    return 2 if n < 0x80 else 2 + (n.bit_length() + 7) // 8


def read_tlv(data: bytes, pos: int, source: str, *, base: int = 0) -> tuple[Tlv, int]:
    """Read one element at ``pos``; return it and the position after it."""
    def fail(reason: str) -> EvidenceFormatError:
        return EvidenceFormatError(source, f"{reason} at offset {base + pos}")

    if pos + 2 > len(data):
        raise fail("truncated DER header")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise fail("high tag numbers are not supported")
    first = data[pos + 1]
    start = pos + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if not 1 <= count <= 4 or start + count > len(data):
            raise fail("bad DER length")
        length = int.from_bytes(data[start:start + count], "big")
        if length < 0x80 or (count > 1 and data[start] == 0):
            raise fail("non-minimal DER length")
        start += count
    end = start + length
    if end > len(data):
        raise fail(f"element of {length} bytes runs past the end")
    return Tlv(tag, data[start:end], base + pos), end


def read_tlvs(data: bytes, source: str, *, base: int = 0) -> tuple[Tlv, ...]:
    """Read consecutive elements that exactly fill ``data``."""
    out: list[Tlv] = []
    pos = 0
    while pos < len(data):
        tlv, pos = read_tlv(data, pos, source, base=base)
        out.append(tlv)
    return tuple(out)


def read_single(data: bytes, tag: int, source: str) -> Tlv:
    """``data`` must be exactly one element with ``tag``."""
    tlv, end = read_tlv(data, 0, source)
    if end != len(data):
        raise EvidenceFormatError(source, f"{len(data) - end} trailing bytes after element")
    if tlv.tag != tag:
        raise EvidenceFormatError(source, f"expected tag 0x{tag:02x}, found 0x{tlv.tag:02x}")
    return tlv


def decode_oid(value: bytes, source: str) -> str:
    """Dotted form of OBJECT IDENTIFIER content bytes."""
    if not value or value[-1] & 0x80:
        raise EvidenceFormatError(source, "malformed OBJECT IDENTIFIER")
    arcs: list[int] = []
    acc = 0
    fresh = True
    for byte in value:
        if fresh and byte == 0x80:
            raise EvidenceFormatError(source, "non-minimal OBJECT IDENTIFIER arc")
        acc = (acc << 7) | (byte & 0x7F)
        fresh = not byte & 0x80
        if fresh:
            arcs.append(acc)
            acc = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in (first, arcs[0] - 40 * first, *arcs[1:]))


def decode_integer(value: bytes, source: str) -> int:
    """Signed big-endian INTEGER content, minimal encoding required."""
    if not value or (len(value) > 1 and ((value[0] == 0 and value[1] < 0x80)
                                         or (value[0] == 0xFF and value[1] >= 0x80))):
        raise EvidenceFormatError(source, "malformed INTEGER")
    return int.from_bytes(value, "big", signed=True)


def decode_utf8(value: bytes, source: str) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EvidenceFormatError(source, f"invalid UTF8String: {exc}") from exc
