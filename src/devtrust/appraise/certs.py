# SPDX-License-Identifier: BSD-3-Clause
"""Load a certificate chain from whatever form evidence arrives in, ordered root first.

Accepted inputs (auto-detected, in this order):

1. hex text of any of the forms below (whitespace, ``:``, ``,`` and ``0x`` prefixes tolerated),
2. PEM, one or more ``CERTIFICATE`` blocks in any order,
3. an SPDM certificate chain (protocols.md §3.7): Length (2, == input size) |
   Reserved (2, zero) | RootHash (H) | DER...; H is the given ``hash_size`` or, when
   unknown, whichever of 32/48/64 makes the rest a DER list (ties broken by which
   RootHash matches the first certificate),
4. concatenated DER certificates.

SPDM 1.4's 4-byte Length form is not detected. The certificates are then ordered by
issuance (issuer name == subject name *and* the issuer's key verifies the signature):
the chain must be one unbranched path.
Every failure raises :class:`~devtrust.appraise.errors.EvidenceFormatError`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding

from devtrust.appraise.blobs import unhex
from devtrust.appraise.errors import EvidenceFormatError
from devtrust.wire.errors import WireError
from devtrust.wire.spdm.certchain import SpdmCertChain, split_der_certificates

__all__ = [
    "MAX_CERTIFICATES",
    "MAX_INPUT",
    "CertificateBundle",
    "InputFormat",
    "is_issued_by",
    "load_certificates",
]

MAX_INPUT = 1 << 20  # a 1 MiB DOE mailbox is the largest transport; chains are < 64 KiB
MAX_CERTIFICATES = 256
_SOURCE = "certificate chain"
_ROOT_HASHES = {32: ("sha256", "sha3_256"), 48: ("sha384", "sha3_384"),
                64: ("sha512", "sha3_512")}
_PARSE_ERRORS = (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion)


class InputFormat(StrEnum):
    PEM = "pem"
    DER = "der"
    SPDM_CHAIN = "spdm-chain"


@dataclass(frozen=True, slots=True)
class CertificateBundle:
    """Parsed, ordered, still *unverified* certificates (root or topmost CA first, leaf last).

    Ordering used the issuers' signatures, but nothing here is trusted until
    :func:`devtrust.appraise.chain.validate_chain` has anchored and checked it.

    ``input_order[i]`` is the position in the input of ``certificates[i]``.
    ``spdm_root_hash`` is the RootHash header field as received (SPDM chain input
    only) and ``spdm_root_hash_algorithm`` the hashlib name whose digest of the
    first certificate equals it, or None if none does. ``raw`` is the binary input
    (after hex decoding).
    """

    certificates: tuple[x509.Certificate, ...]
    ders: tuple[bytes, ...]
    input_format: InputFormat
    hex_text: bool = False
    input_order: tuple[int, ...] = ()
    spdm_root_hash: bytes | None = None
    spdm_root_hash_algorithm: str | None = None
    raw: bytes = field(default=b"", repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.certificates or len(self.certificates) != len(self.ders):
            raise ValueError("a bundle needs one DER per certificate and at least one")
        if not self.input_order:
            object.__setattr__(self, "input_order", tuple(range(len(self.certificates))))

    @property
    def leaf(self) -> x509.Certificate:
        return self.certificates[-1]

    @property
    def root(self) -> x509.Certificate:
        """The topmost certificate supplied (a root, or a CA if the root was omitted)."""
        return self.certificates[0]

    @property
    def was_root_first(self) -> bool:
        return self.input_order == tuple(range(len(self.certificates)))

    @property
    def was_leaf_first(self) -> bool:
        return self.input_order == tuple(reversed(range(len(self.certificates))))


def is_issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool | None:
    """Does ``issuer`` issue ``cert``? Names must match and the signature verify.

    Returns None when the names match but the signature algorithm is one
    ``cryptography`` cannot check (e.g. SM2): the caller decides what that means.
    """
    if cert.issuer != issuer.subject:
        return False
    return _signature_issued_by(cert, issuer)


@lru_cache(maxsize=1024)
def _signature_issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool | None:
    """The signature part of :func:`is_issued_by`, memoised per (certificate, issuer).

    Certificates compare and hash by their DER encoding, so a cached answer is the
    answer for the very same bytes: chain ordering and chain validation verify the
    same pairs, and an agent appraises the same roots again and again.
    """
    try:
        cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError):
        return False
    except UnsupportedAlgorithm:
        return None
    return True


def _fail(reason: str) -> EvidenceFormatError:
    return EvidenceFormatError(_SOURCE, reason)


def _parse_der(ders: tuple[bytes, ...]) -> tuple[x509.Certificate, ...]:
    certs = []
    for i, der in enumerate(ders):
        try:
            cert = x509.load_der_x509_certificate(der)
            # Touch the fields ordering needs now, so malformed names fail here.
            _ = (cert.subject, cert.issuer, cert.version, cert.serial_number)
        except _PARSE_ERRORS as exc:
            raise _fail(f"certificate {i} is not a valid X.509 certificate: {exc}") from exc
        certs.append(cert)
    return tuple(certs)


def _try_spdm(data: bytes, hash_size: int | None) -> tuple[SpdmCertChain, str | None] | None:
    """Decode as an SPDM chain if the header fits; None if it is not one."""
    if len(data) < 4 or int.from_bytes(data[:2], "little") != len(data) or data[2:4] != b"\0\0":
        return None
    found: list[tuple[SpdmCertChain, str | None]] = []
    errors: list[str] = []
    for size in (hash_size,) if hash_size else tuple(_ROOT_HASHES):
        try:
            chain = SpdmCertChain.decode(data, size)
        except WireError as exc:
            errors.append(str(exc))
            continue
        algo = next((name for name in _ROOT_HASHES.get(size, ())
                     if hmac.compare_digest(hashlib.new(name, chain.root).digest(),
                                            chain.root_hash)), None)
        found.append((chain, algo))
    if not found:
        raise _fail("SPDM chain header present but the body is not a DER certificate list: "
                    + "; ".join(errors))
    if len(found) > 1:
        matching = [f for f in found if f[1] is not None]
        if len(matching) != 1:
            raise _fail("SPDM chain RootHash size is ambiguous; pass hash_size")
        return matching[0]
    return found[0]


def _order(certs: tuple[x509.Certificate, ...]) -> tuple[int, ...]:
    """Input indices root first; refuse duplicates, branches and disconnected sets."""
    n = len(certs)
    ders = [c.public_bytes(Encoding.DER) for c in certs]
    if len(set(ders)) != n:
        raise _fail("the same certificate appears twice")
    parent: dict[int, int] = {}
    child: dict[int, int] = {}
    for j in range(n):
        # Link by name; the signature only breaks ties. A forged certificate whose
        # signature does not verify still takes its place in the chain, so the walk
        # reports it as a failed ``signature`` link (contraindicated), not as an
        # unparseable input.
        named = [i for i in range(n) if i != j and certs[j].issuer == certs[i].subject]
        if len(named) > 1:
            named = [i for i in named if is_issued_by(certs[j], certs[i]) is not False]
        for i in named:
            if j in parent or i in child:
                raise _fail(f"certificates do not form one path: certificate {i} or {j} "
                            "has two issuers or issues two certificates")
            parent[j], child[i] = i, j
    tops = [i for i in range(n) if i not in parent]
    if len(tops) != 1:
        raise _fail(f"certificates do not form one chain ({len(tops)} unconnected parts)")
    order = [tops[0]]
    while order[-1] in child:
        order.append(child[order[-1]])
    if len(order) != n:
        raise _fail("certificates do not form one chain (issuance cycle)")
    return tuple(order)


def load_certificates(data: bytes, *, hash_size: int | None = None) -> CertificateBundle:
    """Parse a certificate chain in any supported form and return it root first.

    ``hash_size`` is the negotiated H for SPDM chain input; None tries 32, 48 and 64.
    Raises :class:`EvidenceFormatError` (and nothing else) for input that is not a
    well-formed, single-path chain.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise _fail(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > MAX_INPUT:
        raise _fail(f"input of {len(data)} bytes exceeds {MAX_INPUT}")
    hex_text = False
    if b"-----BEGIN" not in data:
        decoded = unhex(data)
        if decoded is not None:
            data, hex_text = decoded, True
    root_hash: bytes | None = None
    root_algo: str | None = None
    if b"-----BEGIN CERTIFICATE-----" in data:
        fmt = InputFormat.PEM
        try:
            certs = tuple(x509.load_pem_x509_certificates(data))
            ders = tuple(c.public_bytes(Encoding.DER) for c in certs)
        except _PARSE_ERRORS as exc:
            raise _fail(f"PEM does not parse: {exc}") from exc
    else:
        spdm = _try_spdm(data, hash_size)
        if spdm is not None:
            fmt, ders = InputFormat.SPDM_CHAIN, spdm[0].certificates
            root_hash, root_algo = spdm[0].root_hash, spdm[1]
        else:
            fmt = InputFormat.DER
            try:
                ders = split_der_certificates(data)
            except WireError as exc:
                raise _fail(f"not PEM, hex, an SPDM chain or DER certificates: {exc}") from exc
    if len(ders) > MAX_CERTIFICATES:
        raise _fail(f"{len(ders)} certificates exceed the limit of {MAX_CERTIFICATES}")
    if fmt is not InputFormat.PEM:
        certs = _parse_der(ders)
    else:
        _parse_der(ders)
    order = _order(certs)
    return CertificateBundle(
        certificates=tuple(certs[i] for i in order), ders=tuple(ders[i] for i in order),
        input_format=fmt, hex_text=hex_text, input_order=order, spdm_root_hash=root_hash,
        spdm_root_hash_algorithm=root_algo, raw=data)
