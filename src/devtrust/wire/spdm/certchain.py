# SPDX-License-Identifier: BSD-3-Clause
"""SPDM certificate chain format and DER certificate splitting (protocols.md §3.7).

Chain = Length (2, whole chain incl. header) | Reserved (2) | RootHash (H) |
concatenated DER X.509 certificates, root (or first CA) first, leaf last.
Splitting walks DER TLV headers with bounds checks; it does not parse X.509
(that is the appraiser's job, with ``cryptography``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from devtrust.wire.codec import Reader, Writer
from devtrust.wire.errors import LengthError, WireError

__all__ = ["SpdmCertChain", "der_element_length", "split_der_certificates"]

_MAX_CHAIN = 0xFFFF  # 16-bit Length field (1.2/1.3)


def der_element_length(r: Reader, field_name: str) -> int:
    """Consume one DER SEQUENCE header at ``r`` and return the full element size.

    Only definite lengths up to 4 length bytes are accepted (certificates are
    never larger than 4 GiB, and BER indefinite lengths are not DER).
    """
    start = r.pos
    tag_at = r.offset
    tag = r.u8(f"{field_name}.tag")
    r.require(tag == 0x30, f"{field_name}.tag", f"expected DER SEQUENCE (0x30), got 0x{tag:02x}",
              offset=tag_at)
    len_at = r.offset
    first = r.u8(f"{field_name}.length")
    if first < 0x80:
        body = first
    else:
        count = first & 0x7F
        r.require(1 <= count <= 4, f"{field_name}.length",
                  "indefinite or oversized DER length", kind=LengthError, offset=len_at)
        # DER lengths are big-endian, unlike every SPDM field.
        body = int.from_bytes(r.take(count, f"{field_name}.length"), "big")
        minimal = body >= 0x80 and (count == 1 or body >> (8 * (count - 1)) != 0)
        r.require(minimal, f"{field_name}.length", "non-minimal DER length", offset=len_at)
    header = r.pos - start
    r.require(body <= r.remaining, f"{field_name}.length",
              f"element of {body} bytes runs past the end ({r.remaining} left)",
              kind=LengthError, offset=len_at)
    return header + body


def split_der_certificates(data: bytes, structure: str = "DER certificate list",
                           *, base: int = 0) -> tuple[bytes, ...]:
    """Split a concatenation of DER certificates into individual DER blobs."""
    r = Reader(data, structure, base=base)
    certs: list[bytes] = []
    while r.remaining:
        probe = Reader(r.data[r.pos:], structure, base=r.offset)
        size = der_element_length(probe, f"certificates[{len(certs)}]")
        certs.append(r.take(size, f"certificates[{len(certs)}]"))
    if not certs:
        raise WireError(structure, "certificates", r.offset, "no certificate")
    return tuple(certs)


@dataclass(frozen=True, slots=True)
class SpdmCertChain:
    """One slot's SPDM certificate chain. ``certificates`` are DER, root first."""

    root_hash: bytes
    certificates: tuple[bytes, ...]
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM certificate chain"

    @property
    def leaf(self) -> bytes:
        return self.certificates[-1]

    @property
    def root(self) -> bytes:
        return self.certificates[0]

    def encode(self) -> bytes:
        body = b"".join(self.certificates)
        total = 4 + len(self.root_hash) + len(body)
        w = Writer(self.STRUCTURE)
        w.u16(total, "length").zeros(2).raw(self.root_hash, "root_hash").raw(body, "certificates")
        return w.getvalue()

    @classmethod
    def build(cls, certificates: tuple[bytes, ...], hash_name: str) -> SpdmCertChain:
        """Chain with RootHash = hash of the first certificate (``hash_name``: hashlib name)."""
        return cls(hashlib.new(hash_name, certificates[0]).digest(), tuple(certificates))

    @classmethod
    def decode(cls, data: bytes, hash_size: int) -> SpdmCertChain:
        """Decode a chain whose RootHash is ``hash_size`` bytes (the negotiated H)."""
        r = Reader(data, cls.STRUCTURE)
        at = r.offset
        length = r.u16("length")
        r.require(length == len(r.data), "length",
                  f"Length field {length} != chain size {len(r.data)}", kind=LengthError, offset=at)
        r.reserved(2)
        root_hash = r.take(hash_size, "root_hash")
        at = r.offset
        certs = split_der_certificates(r.rest("certificates"), cls.STRUCTURE, base=at)
        return cls(root_hash, certs, raw=r.data)

    def root_hash_matches(self, hash_name: str) -> bool:
        """True if RootHash equals the hash of the first certificate."""
        import hmac
        return hmac.compare_digest(hashlib.new(hash_name, self.root).digest(), self.root_hash)
