# SPDX-License-Identifier: BSD-3-Clause
"""validate_chain: libspdm's published sample chains and generated chains with planted flaws."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pki_factory import (
    AT,
    EKU_REQUESTER,
    EKU_RESPONDER,
    OID_CMA,
    build_chain,
    issue,
    key,
    leaf_usage,
    spdm_hw_identity_ext,
    utf8_other_name,
)

from devtrust.appraise.certs import load_certificates
from devtrust.appraise.chain import validate_chain
from devtrust.appraise.errors import VerificationError
from devtrust.appraise.leaf_profile import CertModel, LeafProfile, cma_identity_string
from devtrust.appraise.trust_store import AnchorMatch, TrustStore
from devtrust.wire.spdm.algorithms import BaseAsymAlgo
from devtrust.wire.spdm.certchain import SpdmCertChain

SAMPLE = (Path(__file__).resolve().parents[3] / "shared" / "vectors" / "spdm-emu"
          / "libspdm_sample_data" / "sample_key")
BUNDLES = sorted(p.relative_to(SAMPLE).as_posix() for p in SAMPLE.glob("*/*bundle*.der")) \
    if SAMPLE.is_dir() else []


def _sample(rel: str) -> bytes:
    return (SAMPLE / rel).read_bytes()


def _profile_for(rel: str) -> LeafProfile:
    role = "requester" if "requester" in rel else "responder"
    partial = "partial_set" in rel
    model = CertModel.ALIAS_CERT if "alias" in rel else CertModel.DEVICE_CERT
    return LeafProfile(role=role, expected_model=model, partial_alias_chain=partial)


def _pinned(data: bytes) -> tuple:
    bundle = load_certificates(data)
    return bundle, TrustStore.from_certificates(bundle.root)


def _failed(verdict) -> set[str]:
    return {c.name for c in verdict.failures}


@pytest.mark.parametrize("rel", BUNDLES)
def test_libspdm_sample_chain_validates_against_its_pinned_root(rel: str) -> None:
    bundle, store = _pinned(_sample(rel))
    verdict = validate_chain(bundle, store, at=AT, profile=_profile_for(rel))
    if rel.startswith("sm2/"):
        # cryptography has no SM2: the verdict says so instead of passing. (These sample
        # roots also carry pathLen 0 above an intermediate, which is flagged too.)
        assert not verdict.ok
        assert any("unsupported" in c.reason for c in verdict.failures)
        return
    assert verdict.ok, [str(c) for c in verdict.failures]
    assert verdict.anchor is not None and verdict.anchor.match is AnchorMatch.CERTIFICATE
    assert verdict.cert_model is _profile_for(rel).expected_model
    if "partial" not in rel and "long_chains" not in rel:
        assert verdict.device_info == "ACME:WIDGET:1234567890"


def test_alias_chain_is_recognised_as_alias_model() -> None:
    if not BUNDLES:
        pytest.skip("sample data absent")
    bundle, store = _pinned(_sample("ecp256/bundle_responder.certchain_alias.der"))
    verdict = validate_chain(bundle, store, at=AT, profile=LeafProfile())
    assert verdict.ok and verdict.cert_model is CertModel.ALIAS_CERT
    wrong = validate_chain(bundle, store, at=AT,
                           profile=LeafProfile(expected_model=CertModel.DEVICE_CERT))
    assert _failed(wrong) == {"leaf.cert_model"}
    bundle, store = _pinned(_sample("ecp256/bundle_responder.certchain.der"))
    assert validate_chain(bundle, store, at=AT, profile=LeafProfile()).cert_model \
        is CertModel.DEVICE_CERT


def test_partial_alias_set_fails_as_a_leaf_profile() -> None:
    if not BUNDLES:
        pytest.skip("sample data absent")
    rel = "rsa3072/bundle_responder.certchain_alias_cert_partial_set.der"
    bundle, store = _pinned(_sample(rel))
    verdict = validate_chain(bundle, store, at=AT, profile=LeafProfile())
    assert {"leaf.basic_constraints", "leaf.key_usage"} <= _failed(verdict)


@pytest.mark.parametrize(("when", "ok"), [
    (datetime(2023, 1, 1, tzinfo=UTC), False),   # before the sample certificates were issued
    (datetime(2030, 6, 1, tzinfo=UTC), True),
    (datetime(2033, 4, 1, tzinfo=UTC), False),   # the CA expired on 2033-03-31
])
def test_sample_chain_validity_window(when: datetime, ok: bool) -> None:
    """The corpus has no rsa3072_Expiration chain; the same check is shown on rsa3072."""
    if not BUNDLES:
        pytest.skip("sample data absent")
    bundle, store = _pinned(_sample("rsa3072/bundle_responder.certchain.der"))
    verdict = validate_chain(bundle, store, at=when, profile=LeafProfile())
    assert verdict.ok is ok
    if not ok:
        assert _failed(verdict) == {"validity"}


def test_sample_leaf_variants() -> None:
    if not BUNDLES:
        pytest.skip("sample data absent")
    base = load_certificates(_sample("ecp256/bundle_requester.certchain.der"))
    store = TrustStore.from_certificates(base.root)
    req = LeafProfile(role="requester")

    def with_leaf(name: str, profile: LeafProfile) -> set[str]:
        data = base.ders[0] + base.ders[1] + _sample(f"ecp256/{name}")
        return _failed(validate_chain(load_certificates(data), store, at=AT, profile=profile))

    assert with_leaf("end_requester_ca_false.cert.der", req) == {"leaf.basic_constraints"}
    assert with_leaf("end_requester_without_basic_constraint.cert.der", req) == set()
    assert with_leaf("end_requester_without_basic_constraint.cert.der",
                     LeafProfile(role="requester", spdm_version=0x13)) == {"leaf.basic_constraints"}
    assert with_leaf("end_responder_with_spdm_req_eku.cert.der", LeafProfile()) == {"leaf.eku"}
    assert with_leaf("end_responder_with_spdm_rsp_eku.cert.der",
                     LeafProfile(require_dmtf_eku=True)) == set()
    assert with_leaf("end_responder.cert.der", LeafProfile(require_dmtf_eku=True)) == {"leaf.eku"}
    assert with_leaf("end_responder_with_spdm_req_rsp_eku.cert.der", LeafProfile()) == set()


def test_unpinned_self_signed_root_is_not_trusted() -> None:
    chain = build_chain("p256")
    other = build_chain("p256", label="Other ")
    bundle = load_certificates(chain.der())
    verdict = validate_chain(bundle, TrustStore.from_certificates(other.root), at=AT,
                             profile=LeafProfile())
    assert not verdict.ok and "anchor" in _failed(verdict) and verdict.anchor is None
    with pytest.raises(VerificationError, match="anchor"):
        verdict.raise_for_failure()
    empty = validate_chain(bundle, TrustStore(), at=AT, profile=LeafProfile())
    assert "anchor" in _failed(empty)


def test_chain_without_root_anchored_by_its_issuer() -> None:
    chain = build_chain("p384")
    bundle = load_certificates(chain.der((1, 2)))
    verdict = validate_chain(bundle, TrustStore.from_certificates(chain.root), at=AT,
                             profile=LeafProfile())
    assert verdict.ok and verdict.anchor.match is AnchorMatch.ISSUER
    assert verdict.path == chain.certs


@pytest.mark.parametrize("kind", ["p256", "p384", "p521", "rsa2048", "rsa3072", "ed25519"])
def test_generated_chains_every_key_type(kind: str) -> None:
    chain = build_chain(kind, leaf_extensions=((spdm_hw_identity_ext(), False),))
    bundle = load_certificates(chain.der())
    verdict = validate_chain(bundle, TrustStore.from_certificates(chain.root), at=AT,
                             profile=LeafProfile(spdm_version=0x13))
    assert verdict.ok, [str(c) for c in verdict.failures]
    assert verdict.cert_model is CertModel.DEVICE_CERT
    spki = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    expected = chain.leaf.public_key().public_bytes(*spki)
    assert verdict.leaf_public_key.public_bytes(*spki) == expected


def test_planted_flaws() -> None:
    store_for = TrustStore.from_certificates
    prof = LeafProfile()

    def failed(chain) -> set[str]:
        return _failed(validate_chain(load_certificates(chain.der()), store_for(chain.root),
                                      at=AT, profile=prof))

    assert failed(build_chain("p256", label="A", inter_ca=False)) == {"ca.basic_constraints"}
    assert failed(build_chain("p256", label="B", root_path_length=0)) == {"ca.path_length"}
    assert failed(build_chain("p256", label="C", root_path_length=1)) == set()
    assert failed(build_chain("p256", label="D", leaf_key_usage=leaf_usage(cert_sign=True))) \
        == {"leaf.key_usage"}
    assert failed(build_chain("p256", label="E", leaf_key_usage=leaf_usage(
        digital_signature=False))) == {"leaf.key_usage"}
    assert failed(build_chain("p256", label="F", leaf_ca=True)) == {"leaf.basic_constraints"}
    assert failed(build_chain("p256", label="G", leaf_not_after=datetime(2026, 1, 1, tzinfo=UTC))) \
        == {"validity"}
    eku = x509.ExtendedKeyUsage([EKU_REQUESTER])
    assert failed(build_chain("p256", label="H", leaf_extensions=((eku, False),))) == {"leaf.eku"}


def test_tampered_link_signature_fails() -> None:
    chain = build_chain("p256")
    forged = issue("Test Leaf", key("p256", "leaf"), "Test Inter", key("p256", "forger"), "p256",
                   ca=False)
    data = chain.der((0, 1)) + forged.public_bytes(Encoding.DER)
    ok_inter = load_certificates(chain.der((0, 1)))
    assert ok_inter.leaf == chain.inter
    # The forged leaf takes its place by name; its link then fails the signature check.
    bundle = load_certificates(data)
    verdict = validate_chain(bundle, TrustStore.from_certificates(chain.root), at=AT,
                             profile=LeafProfile())
    assert not verdict.ok and "signature" in _failed(verdict)


def test_cma_san_and_spki_profile() -> None:
    ident = cma_identity_string(0x8086, 0x0B25, 0x010802, 0x01, ssvid=0x8086, ssid=0x0001,
                                dsn=0x1122334455667788)
    assert ident == ("Vendor=8086:Device=0b25:CC=010802:REV=01:SSVID=8086:SSID=0001:"
                     "1122334455667788")
    san = x509.SubjectAlternativeName([utf8_other_name(OID_CMA, ident)])
    chain = build_chain("p384", label="cma", leaf_extensions=(
        (san, False), (x509.ExtendedKeyUsage([EKU_RESPONDER]), False)))
    bundle = load_certificates(chain.der())
    store = TrustStore.from_certificates(chain.root)

    def run(**kw: object):
        return validate_chain(bundle, store, at=AT, profile=LeafProfile(**kw))  # type: ignore[arg-type]

    good = run(cma_identity=ident, require_dmtf_eku=True, base_asym=BaseAsymAlgo.ECDSA_P384)
    assert good.ok and good.cma_identity == ident
    assert _failed(run(cma_identity=ident.upper())) == {"leaf.cma_san"}
    assert _failed(run(base_asym=BaseAsymAlgo.ECDSA_P256)) == {"leaf.spki"}
    plain = build_chain("p384", label="nocma")
    v = validate_chain(load_certificates(plain.der()), TrustStore.from_certificates(plain.root),
                       at=AT, profile=LeafProfile(require_cma_san=True))
    assert _failed(v) == {"leaf.cma_san"}


def test_spdm_chain_order_and_root_hash_checked() -> None:
    chain = build_chain("p256")
    ders = tuple(c.public_bytes(Encoding.DER) for c in chain.certs)
    good = SpdmCertChain.build(ders, "sha256").encode()
    store = TrustStore.from_certificates(chain.root)
    assert validate_chain(load_certificates(good), store, at=AT, profile=LeafProfile()).ok
    reordered = SpdmCertChain(SpdmCertChain.build(ders, "sha256").root_hash,
                              tuple(reversed(ders))).encode()
    v = validate_chain(load_certificates(reordered, hash_size=32), store, at=AT,
                       profile=LeafProfile())
    assert "spdm.order" in _failed(v)
    bad_hash = SpdmCertChain(bytes(32), ders).encode()
    v = validate_chain(load_certificates(bad_hash, hash_size=32), store, at=AT,
                       profile=LeafProfile())
    assert _failed(v) == {"spdm.root_hash"}


def test_naive_datetime_refused() -> None:
    chain = build_chain("p256")
    with pytest.raises(ValueError):
        validate_chain(load_certificates(chain.der()), TrustStore(), at=datetime(2027, 1, 1),
                       profile=LeafProfile())


EMU = SAMPLE.parent.parent


def _emu_chains() -> list[tuple[str, Path]]:
    if not (EMU / "manifest.json").is_file():
        return []
    import json
    out = []
    for config in json.loads((EMU / "manifest.json").read_text())["configurations"]:
        for slot in config.get("cert_chains", {}).values():
            out.append((config["name"], EMU / config["directory"] / slot["chain"]))
    return out


@pytest.mark.parametrize(("config", "path"), _emu_chains(),
                         ids=[f"{c}/{p.name}" for c, p in _emu_chains()])
def test_spdm_emu_chains_validate_with_root_hash_pin(config: str, path: Path) -> None:
    """The chains the emulator actually sent, anchored by a pinned SPDM RootHash."""
    import hashlib

    from devtrust.appraise.trust_store import RootHashPin
    h = "sha384" if "sha384" in config else "sha256"
    bundle = load_certificates(path.read_bytes(), hash_size=hashlib.new(h).digest_size)
    pin = RootHashPin("vendor", h, hashlib.new(h, bundle.ders[0]).digest())
    version = int(config[1]) << 4 | int(config[2])
    verdict = validate_chain(bundle, TrustStore(root_hashes=(pin,)), at=AT,
                             profile=LeafProfile(spdm_version=version))
    assert verdict.ok, [str(c) for c in verdict.failures]
    assert verdict.anchor.match is AnchorMatch.ROOT_HASH
    assert bundle.spdm_root_hash == pin.digest
