# SPDX-License-Identifier: BSD-3-Clause
"""The few DER encoders the certificate profile needs that ``cryptography`` lacks.

``cryptography`` has no builder for the DMTF SPDM extension or the TCG DICE TcbInfo
extension, so their values are assembled here from definite-length TLVs. Only encoding
is provided: the emulated hardware writes these structures, the appraiser parses them.
"""

from __future__ import annotations

__all__ = [
    "der_integer",
    "der_octet_string",
    "der_oid",
    "der_sequence",
    "der_tlv",
    "der_utf8",
]


def der_tlv(tag: int, body: bytes) -> bytes:
    """One TLV with a minimal definite length."""
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + body


def der_oid(dotted: str) -> bytes:
    """OBJECT IDENTIFIER TLV from dotted notation (first arc 0..2)."""
    arcs = [int(a) for a in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40):
        raise ValueError(f"bad OID {dotted!r}")
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return der_tlv(0x06, bytes(out))


def der_sequence(*items: bytes) -> bytes:
    """SEQUENCE of already-encoded elements."""
    return der_tlv(0x30, b"".join(items))


def der_utf8(text: str, tag: int = 0x0C) -> bytes:
    """UTF8String (or an implicitly tagged one when ``tag`` is given)."""
    return der_tlv(tag, text.encode("utf-8"))


def der_octet_string(data: bytes, tag: int = 0x04) -> bytes:
    """OCTET STRING (or an implicitly tagged one)."""
    return der_tlv(tag, data)


def der_integer(value: int, tag: int = 0x02) -> bytes:
    """INTEGER in minimal two's complement (or an implicitly tagged one)."""
    size = max(1, (value.bit_length() + 8) // 8) if value >= 0 else \
        max(1, ((-value - 1).bit_length() + 8) // 8)
    return der_tlv(tag, value.to_bytes(size, "big", signed=True))
