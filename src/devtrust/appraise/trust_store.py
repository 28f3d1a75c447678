# SPDX-License-Identifier: BSD-3-Clause
"""Local trust store: pinned roots, SPDM root-hash pins, CRLs and OCSP responses.

Directory layout (every file optional, read once by :meth:`TrustStore.from_dir`):

* ``*.pem``, ``*.crt``, ``*.cer``, ``*.der`` - anchor certificates (PEM may hold several),
* ``roots.json`` - ``{"version": 1, "root_hashes": [{"name", "algorithm", "hash"}]}``:
  SPDM RootHash pins (hashlib algorithm name, hex digest of the root's DER),
* ``*.crl`` - CRLs (PEM or DER), ``*.ocsp`` - DER OCSP responses.

Other files are ignored. Nothing is ever fetched: revocation data not in the
directory is *unknown*, never looked up. A chain's own self-signed root is never an
anchor unless its certificate or hash is pinned here (landscape pitfall 2).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import ocsp

from devtrust.appraise.asn1 import BIT_STRING, SEQUENCE, read_single
from devtrust.appraise.certs import CertificateBundle, is_issued_by
from devtrust.appraise.errors import TrustStoreError

__all__ = [
    "Anchor",
    "AnchorMatch",
    "RevocationResult",
    "RevocationStatus",
    "RootHashPin",
    "TrustStore",
]

_CERT_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der"})


class AnchorMatch(StrEnum):
    CERTIFICATE = "certificate"      # the chain's root is byte-identical to a pinned certificate
    SPKI_SUBJECT = "spki-subject"    # same subject and public key as a pinned certificate
    ISSUER = "issuer"                # the chain omits its root; a pinned certificate issues it
    ROOT_HASH = "spdm-root-hash"     # Hash(DER of the chain's root) equals a pinned RootHash


@dataclass(frozen=True, slots=True)
class RootHashPin:
    name: str
    algorithm: str
    digest: bytes

    def __post_init__(self) -> None:
        if hashlib.new(self.algorithm).digest_size != len(self.digest):
            raise ValueError(f"pin {self.name!r}: digest size does not fit {self.algorithm}")


@dataclass(frozen=True, slots=True)
class Anchor:
    """Why a chain is trusted. ``certificate`` is the trusted root certificate; for
    :attr:`AnchorMatch.ISSUER` it is *not* part of the bundle and heads the path."""

    certificate: x509.Certificate
    match: AnchorMatch
    source: str


class RevocationStatus(StrEnum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class RevocationResult:
    status: RevocationStatus
    source: str
    reason: str


def _key_bits(cert: x509.Certificate) -> bytes:
    """The subjectPublicKey BIT STRING content (no unused-bits byte), for OCSP key hashes."""
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    parts = read_single(spki, SEQUENCE, "SubjectPublicKeyInfo").children("SubjectPublicKeyInfo")
    if len(parts) != 2 or parts[1].tag != BIT_STRING:
        raise ValueError("unexpected SubjectPublicKeyInfo shape")
    return parts[1].value[1:]


def _spki(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _verify_with(key: object, signature: bytes, data: bytes,
                 algo: hashes.HashAlgorithm | None) -> bool:
    """Verify a CRL/OCSP-style signature (PKCS#1 v1.5, ECDSA DER or Ed25519)."""
    try:
        if isinstance(key, rsa.RSAPublicKey) and algo is not None:
            key.verify(signature, data, padding.PKCS1v15(), algo)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algo is not None:
            key.verify(signature, data, ec.ECDSA(algo))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


@dataclass(frozen=True, slots=True)
class TrustStore:
    """Pinned anchors and offline revocation data. Built once; immutable."""

    anchors: tuple[tuple[str, x509.Certificate], ...] = ()
    root_hashes: tuple[RootHashPin, ...] = ()
    crls: tuple[tuple[str, x509.CertificateRevocationList], ...] = ()
    ocsp_responses: tuple[tuple[str, ocsp.OCSPResponse], ...] = ()

    @classmethod
    def from_certificates(cls, *certs: x509.Certificate,
                          root_hashes: tuple[RootHashPin, ...] = ()) -> TrustStore:
        """An in-memory store pinning ``certs`` (and optional RootHash pins)."""
        return cls(tuple((f"anchor[{i}]", c) for i, c in enumerate(certs)), root_hashes)

    @classmethod
    def from_dir(cls, path: str | Path) -> TrustStore:
        """Load every anchor, pin, CRL and OCSP response in ``path`` (see module doc)."""
        root = Path(path)
        if not root.is_dir():
            raise TrustStoreError(str(root), "trust store is not a directory")
        anchors: list[tuple[str, x509.Certificate]] = []
        pins: list[RootHashPin] = []
        crls: list[tuple[str, x509.CertificateRevocationList]] = []
        responses: list[tuple[str, ocsp.OCSPResponse]] = []
        for item in sorted(root.iterdir()):
            if not item.is_file() or item.name.startswith("."):
                continue
            suffix = item.suffix.lower()
            try:
                data = item.read_bytes()
                if item.name == "roots.json":
                    pins.extend(_load_pins(data))
                elif suffix in _CERT_SUFFIXES:
                    certs = (x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data
                             else [x509.load_der_x509_certificate(data)])
                    anchors.extend((item.name, c) for c in certs)
                elif suffix == ".crl":
                    crls.append((item.name, x509.load_pem_x509_crl(data) if b"-----BEGIN" in data
                                 else x509.load_der_x509_crl(data)))
                elif suffix == ".ocsp":
                    responses.append((item.name, ocsp.load_der_ocsp_response(data)))
            except (OSError, ValueError, TypeError, KeyError, UnsupportedAlgorithm) as exc:
                raise TrustStoreError(str(item), f"cannot load: {exc}") from exc
        return cls(tuple(anchors), tuple(pins), tuple(crls), tuple(responses))

    # -- anchoring ------------------------------------------------------------
    def anchor_for(self, bundle: CertificateBundle) -> Anchor | None:
        """The pinned anchor the chain's topmost certificate matches, or None.

        Tried in order: exact certificate, same subject + public key, SPDM root hash
        computed here from the root's DER (the chain's RootHash header is never
        trusted on its own), and a pinned certificate that issues the topmost one.
        """
        top = bundle.root
        top_der = bundle.ders[0]
        for name, cert in self.anchors:
            if hmac.compare_digest(cert.public_bytes(Encoding.DER), top_der):
                return Anchor(top, AnchorMatch.CERTIFICATE, name)
        for name, cert in self.anchors:
            if cert.subject == top.subject and _spki(cert) == _spki(top):
                return Anchor(cert, AnchorMatch.SPKI_SUBJECT, name)
        for pin in self.root_hashes:
            if hmac.compare_digest(hashlib.new(pin.algorithm, top_der).digest(), pin.digest):
                return Anchor(top, AnchorMatch.ROOT_HASH, pin.name)
        for name, cert in self.anchors:
            if is_issued_by(top, cert):
                return Anchor(cert, AnchorMatch.ISSUER, name)
        return None

    # -- revocation -----------------------------------------------------------
    def revocation_status(self, cert: x509.Certificate, issuer: x509.Certificate, *,
                          at: datetime) -> RevocationResult:
        """Is ``cert`` revoked at ``at`` according to local CRLs or OCSP responses?

        Only CRLs signed by ``issuer`` and current at ``at`` count, and only OCSP
        responses signed by the issuer or by a responder it delegated to
        (id-kp-OCSPSigning). REVOKED wins over GOOD; no usable data is UNKNOWN.
        """
        results = [r for r in (self._crl_status(cert, issuer, at), self._ocsp_status(cert, issuer,
                                                                                     at)) if r]
        for result in results:
            if result.status is RevocationStatus.REVOKED:
                return result
        if results:
            return results[0]
        return RevocationResult(RevocationStatus.UNKNOWN, "", "no current local CRL or OCSP "
                                "response from this issuer")

    def _crl_status(self, cert: x509.Certificate, issuer: x509.Certificate,
                    at: datetime) -> RevocationResult | None:
        for name, crl in self.crls:
            if crl.issuer != issuer.subject or not _crl_signed_by(crl, issuer):
                continue
            nxt = crl.next_update_utc
            if crl.last_update_utc > at or (nxt is not None and at > nxt):
                continue
            entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
            if entry is not None and entry.revocation_date_utc <= at:
                return RevocationResult(RevocationStatus.REVOKED, name,
                                        f"serial {cert.serial_number:#x} revoked "
                                        f"{entry.revocation_date_utc.isoformat()}")
            return RevocationResult(RevocationStatus.GOOD, name, "not on the issuer's CRL")
        return None

    def _ocsp_status(self, cert: x509.Certificate, issuer: x509.Certificate,
                     at: datetime) -> RevocationResult | None:
        for name, resp in self.ocsp_responses:
            if resp.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
                continue
            if not self._ocsp_signed_by(resp, issuer):
                continue
            for single in resp.responses:
                algo = single.hash_algorithm
                if (single.serial_number != cert.serial_number
                        or single.issuer_name_hash != _digest(algo, issuer.subject.public_bytes())
                        or single.issuer_key_hash != _digest(algo, _key_bits(issuer))):
                    continue
                nxt = single.next_update_utc
                if single.this_update_utc > at or (nxt is not None and at > nxt):
                    continue
                if single.certificate_status is ocsp.OCSPCertStatus.REVOKED:
                    return RevocationResult(RevocationStatus.REVOKED, name, "OCSP: revoked")
                if single.certificate_status is ocsp.OCSPCertStatus.GOOD:
                    return RevocationResult(RevocationStatus.GOOD, name, "OCSP: good")
        return None

    @staticmethod
    def _ocsp_signed_by(resp: ocsp.OCSPResponse, issuer: x509.Certificate) -> bool:
        signers = [issuer]
        for delegate in resp.certificates:
            try:
                eku = delegate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            except (x509.ExtensionNotFound, ValueError):
                continue
            if x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING in eku and is_issued_by(delegate, issuer):
                signers.append(delegate)
        for signer in signers:
            named = resp.responder_name == signer.subject if resp.responder_name else (
                resp.responder_key_hash == hashlib.sha1(_key_bits(signer)).digest())
            if named and _verify_with(signer.public_key(), resp.signature,
                                      resp.tbs_response_bytes, resp.signature_hash_algorithm):
                return True
        return False


def _crl_signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    try:
        return crl.is_signature_valid(cast(Any, issuer.public_key()))
    except (TypeError, ValueError, UnsupportedAlgorithm):
        return False


def _digest(algo: hashes.HashAlgorithm, data: bytes) -> bytes:
    h = hashes.Hash(algo)
    h.update(data)
    return h.finalize()


def _load_pins(data: bytes) -> list[RootHashPin]:
    doc = json.loads(data)
    if not isinstance(doc, dict) or doc.get("version") != 1:
        raise ValueError('roots.json needs {"version": 1, "root_hashes": [...]}')
    pins = []
    for i, entry in enumerate(doc.get("root_hashes", [])):
        if not isinstance(entry, dict) or set(entry) - {"name", "algorithm", "hash"}:
            raise ValueError(f"root_hashes[{i}] must be an object with name, algorithm, hash")
        pins.append(RootHashPin(str(entry.get("name", f"root_hashes[{i}]")),
                                str(entry["algorithm"]), bytes.fromhex(str(entry["hash"]))))
    return pins
