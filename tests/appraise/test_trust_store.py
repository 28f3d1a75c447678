# SPDX-License-Identifier: BSD-3-Clause
"""Local trust store: anchors by certificate, SPKI, issuer and SPDM RootHash; CRL and OCSP."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from pki_factory import AT, build_chain, issue, key

from devtrust.appraise.certs import load_certificates
from devtrust.appraise.chain import validate_chain
from devtrust.appraise.errors import AppraisalInputError, TrustStoreError
from devtrust.appraise.leaf_profile import LeafProfile
from devtrust.appraise.trust_store import (
    AnchorMatch,
    RevocationStatus,
    RootHashPin,
    TrustStore,
)

CHAIN = build_chain("p256", label="ts")
BUNDLE = load_certificates(CHAIN.der())
IK = key("p256", "tsinter")
RK = key("p256", "tsroot")


def _crl(issuer_cert: x509.Certificate, issuer_key: object, revoked: tuple[int, ...] = (),
         *, last: datetime = AT - timedelta(days=1), nxt: datetime = AT + timedelta(days=30),
         ) -> x509.CertificateRevocationList:
    b = (x509.CertificateRevocationListBuilder().issuer_name(issuer_cert.subject)
         .last_update(last).next_update(nxt))
    for serial in revoked:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(serial)
                                      .revocation_date(last).build())
    return b.sign(issuer_key, hashes.SHA256())  # type: ignore[arg-type]


def _ocsp(cert: x509.Certificate, issuer: x509.Certificate, issuer_key: object,
          status: ocsp.OCSPCertStatus, responder: x509.Certificate | None = None,
          ) -> ocsp.OCSPResponse:
    b = ocsp.OCSPResponseBuilder().add_response(
        cert=cert, issuer=issuer, algorithm=hashes.SHA256(), cert_status=status,
        this_update=AT - timedelta(hours=1), next_update=AT + timedelta(days=1),
        revocation_time=AT - timedelta(hours=2) if status is ocsp.OCSPCertStatus.REVOKED
        else None,
        revocation_reason=None).responder_id(ocsp.OCSPResponderEncoding.NAME, responder or issuer)
    return b.sign(issuer_key, hashes.SHA256())  # type: ignore[arg-type]


def _write_store(tmp: Path, *, pem_root: bool = True,
                 extra: dict[str, bytes] | None = None) -> Path:
    enc = Encoding.PEM if pem_root else Encoding.DER
    (tmp / ("root.pem" if pem_root else "root.der")).write_bytes(CHAIN.root.public_bytes(enc))
    (tmp / "README.md").write_text("ignored")
    for name, data in (extra or {}).items():
        (tmp / name).write_bytes(data)
    return tmp


@pytest.mark.parametrize("pem_root", [True, False])
def test_from_dir_anchor_by_certificate(tmp_path: Path, pem_root: bool) -> None:
    store = TrustStore.from_dir(_write_store(tmp_path, pem_root=pem_root))
    anchor = store.anchor_for(BUNDLE)
    assert anchor is not None and anchor.match is AnchorMatch.CERTIFICATE
    assert anchor.source in ("root.pem", "root.der")


def test_anchor_by_spdm_root_hash(tmp_path: Path) -> None:
    digest = hashlib.sha384(BUNDLE.ders[0]).hexdigest()
    pins = {"version": 1, "root_hashes": [{"name": "vendor", "algorithm": "sha384",
                                           "hash": digest}]}
    (tmp_path / "roots.json").write_text(json.dumps(pins))
    store = TrustStore.from_dir(tmp_path)
    anchor = store.anchor_for(BUNDLE)
    assert anchor is not None and anchor.match is AnchorMatch.ROOT_HASH
    assert anchor.source == "vendor"
    assert validate_chain(BUNDLE, store, at=AT, profile=LeafProfile()).ok
    other = load_certificates(build_chain("p256", label="other").der())
    assert store.anchor_for(other) is None


def test_anchor_by_spki_and_subject() -> None:
    """A re-issued root (same name and key, new validity) anchors the old chain."""
    reissued = issue("tsTest Root", RK, "tsTest Root", RK, "p256", ca=True, serial=99)
    anchor = TrustStore.from_certificates(reissued).anchor_for(BUNDLE)
    assert anchor is not None and anchor.match is AnchorMatch.SPKI_SUBJECT
    assert anchor.certificate == reissued


def test_chains_own_root_is_never_an_anchor() -> None:
    assert TrustStore().anchor_for(BUNDLE) is None
    assert TrustStore.from_certificates(CHAIN.inter).anchor_for(BUNDLE) is None


@pytest.mark.parametrize("bad", [
    {"roots.json": b"{"}, {"roots.json": b'{"version": 2}'},
    {"roots.json": b'{"version": 1, "root_hashes": [{"algorithm": "sha256", "hash": "00"}]}'},
    {"broken.pem": b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
    {"broken.der": b"\x30\x00"}, {"x.crl": b"nonsense"}, {"x.ocsp": b"\x30\x03\x0a\x01\x00"},
])
def test_bad_store_files_raise_trust_store_error(tmp_path: Path, bad: dict[str, bytes]) -> None:
    _write_store(tmp_path, extra=bad)
    with pytest.raises(TrustStoreError) as info:
        TrustStore.from_dir(tmp_path)
    assert isinstance(info.value, AppraisalInputError)
    assert next(iter(bad)) in str(info.value)


def test_missing_dir() -> None:
    with pytest.raises(TrustStoreError):
        TrustStore.from_dir("/nonexistent/trust")


def test_pin_digest_size_checked() -> None:
    with pytest.raises(ValueError):
        RootHashPin("x", "sha256", bytes(48))


def _revocation(store: TrustStore) -> tuple[RevocationStatus, RevocationStatus]:
    inter = store.revocation_status(CHAIN.inter, CHAIN.root, at=AT).status
    leaf = store.revocation_status(CHAIN.leaf, CHAIN.inter, at=AT).status
    return inter, leaf


def test_crl_revocation(tmp_path: Path) -> None:
    crl_root = _crl(CHAIN.root, RK).public_bytes(Encoding.DER)
    crl_inter = _crl(CHAIN.inter, IK, (CHAIN.leaf.serial_number,)).public_bytes(Encoding.PEM)
    store = TrustStore.from_dir(_write_store(tmp_path, extra={"root.crl": crl_root,
                                                              "inter.crl": crl_inter}))
    assert _revocation(store) == (RevocationStatus.GOOD, RevocationStatus.REVOKED)
    verdict = validate_chain(BUNDLE, store, at=AT, profile=LeafProfile())
    assert [(c.name, c.subject) for c in verdict.failures] == [("revocation", "path[2]")]


def test_crl_signed_by_someone_else_or_stale_is_ignored() -> None:
    forged = _crl(CHAIN.inter, key("p256", "forger"), (CHAIN.leaf.serial_number,))
    stale = _crl(CHAIN.inter, IK, (CHAIN.leaf.serial_number,), last=AT - timedelta(days=60),
                 nxt=AT - timedelta(days=30))
    for crl in (forged, stale):
        store = TrustStore(crls=(("x.crl", crl),))
        assert store.revocation_status(CHAIN.leaf, CHAIN.inter, at=AT).status \
            is RevocationStatus.UNKNOWN


def test_unknown_revocation_fails_only_when_required() -> None:
    store = TrustStore.from_certificates(CHAIN.root)
    assert validate_chain(BUNDLE, store, at=AT, profile=LeafProfile()).ok
    strict = validate_chain(BUNDLE, store, at=AT,
                            profile=LeafProfile(require_revocation_info=True))
    assert {c.name for c in strict.failures} == {"revocation"}


@pytest.mark.parametrize(("status", "expected"), [
    (ocsp.OCSPCertStatus.GOOD, RevocationStatus.GOOD),
    (ocsp.OCSPCertStatus.REVOKED, RevocationStatus.REVOKED),
])
def test_ocsp_responses(tmp_path: Path, status: ocsp.OCSPCertStatus,
                        expected: RevocationStatus) -> None:
    resp = _ocsp(CHAIN.leaf, CHAIN.inter, IK, status).public_bytes(Encoding.DER)
    store = TrustStore.from_dir(_write_store(tmp_path, extra={"leaf.ocsp": resp}))
    assert store.revocation_status(CHAIN.leaf, CHAIN.inter, at=AT).status is expected
    later = AT + timedelta(days=3)
    assert store.revocation_status(CHAIN.leaf, CHAIN.inter, at=later).status \
        is RevocationStatus.UNKNOWN
    # Same responder name as the issuer, different key: the signature does not verify.
    fk = key("p256", "forger")
    impostor = issue("tsTest Inter", fk, "tsTest Inter", fk, "p256", ca=True)
    forged = _ocsp(CHAIN.leaf, CHAIN.inter, fk, status, impostor)
    assert TrustStore(ocsp_responses=(("f", forged),)).revocation_status(
        CHAIN.leaf, CHAIN.inter, at=AT).status is RevocationStatus.UNKNOWN
    strict = validate_chain(BUNDLE, store, at=AT, profile=LeafProfile())
    assert [c.name for c in strict.failures] == ([] if expected is RevocationStatus.GOOD
                                                 else ["revocation"])
