# SPDX-License-Identifier: BSD-3-Clause
"""Deterministic vendor PKI and the SPDM/CMA leaf profile (protocols.md §3.16)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from devtrust.hw import keys as keys_module
from devtrust.hw.der import der_oid, der_sequence
from devtrust.hw.keys import KeyType, derive_private_key, public_key_der
from devtrust.hw.pki import (
    OID_CMA,
    OID_DMTF_DEVICE_INFO,
    OID_DMTF_EKU_REQUESTER_AUTH,
    OID_DMTF_EKU_RESPONDER_AUTH,
    OID_DMTF_SPDM_EXTENSION,
    OID_TCG_DICE_TCB_INFO,
    CertFlaw,
    DeviceIdentity,
    DiceTcbInfo,
    LeafProfile,
    PciIds,
    Pki,
    Validity,
)
from devtrust.hw.rng import Drbg
from devtrust.wire.spdm.certchain import SpdmCertChain

NOW = datetime(2026, 6, 1, tzinfo=UTC)
VALIDITY = Validity(datetime(2025, 1, 1, tzinfo=UTC), datetime(2045, 1, 1, tzinfo=UTC))
IDS = PciIds(0x8086, 0xFFFF, 0x120000, 0x00, 0x8086, 0x0000)
CMA = "Vendor=8086:Device=ffff:CC=120000:REV=00:SSVID=8086:SSID=0000"
SPDM_EXT_VALUE = bytes.fromhex("300e300c060a2b06010401831c821202")


def _pki(seed: bytes = b"seed") -> Pki:
    return Pki(Drbg(seed, "test"), VALIDITY, NOW)


def _identity(pki: Pki, serial: str = "SN-1", key_type: str = "ecdsa-p384",
              **kwargs: object) -> DeviceIdentity:
    root = pki.vendor_root("Acme", "ecdsa-p384", trusted=bool(kwargs.pop("trusted", True)))
    ca = pki.intermediate(root, "Acme Widgets")
    return pki.device_identity(ca, IDS, key_type, serial, manufacturer="Acme",
                               product="Widget", **kwargs)  # type: ignore[arg-type]


def _certs(identity: DeviceIdentity) -> list[x509.Certificate]:
    return [x509.load_der_x509_certificate(der) for der in identity.chain]


def _ext_value(cert: x509.Certificate, oid: x509.ObjectIdentifier | str) -> bytes:
    oid = x509.ObjectIdentifier(oid) if isinstance(oid, str) else oid
    return cert.extensions.get_extension_for_oid(oid).value.public_bytes()


@pytest.fixture(scope="module")
def identity() -> DeviceIdentity:
    return _identity(_pki())


def test_same_seed_byte_identical_chain_and_key(identity: DeviceIdentity) -> None:
    again = _identity(_pki())
    assert again.chain == identity.chain
    assert public_key_der(again.key) == public_key_der(identity.key)
    assert again.spdm_chain("sha384") == identity.spdm_chain("sha384")


def test_different_seed_differs(identity: DeviceIdentity) -> None:
    other = _identity(_pki(b"other"))
    assert all(a != b for a, b in zip(other.chain, identity.chain, strict=True))


def test_creation_order_does_not_matter(identity: DeviceIdentity) -> None:
    pki = _pki()
    pki.vendor_root("Zeta", "ecdsa-p256")
    _identity(pki, serial="SN-0")
    assert _identity(pki).chain == identity.chain


def test_chain_verifies_link_by_link(identity: DeviceIdentity) -> None:
    root, inter, leaf = _certs(identity)
    root.verify_directly_issued_by(root)
    inter.verify_directly_issued_by(root)
    leaf.verify_directly_issued_by(inter)
    assert identity.is_key_consistent


def test_leaf_profile(identity: DeviceIdentity) -> None:
    leaf = identity.leaf
    assert leaf.version is x509.Version.v3
    bc = leaf.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS)
    assert bc.critical and bc.value.public_bytes() == b"\x30\x00"
    ku = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and not ku.key_cert_sign and not ku.crl_sign
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [x509.ObjectIdentifier(OID_DMTF_EKU_RESPONDER_AUTH)]
    assert _ext_value(leaf, OID_DMTF_SPDM_EXTENSION) == SPDM_EXT_VALUE
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    others = {o.type_id.dotted_string: o.value for o in san.get_values_for_type(x509.OtherName)}
    assert others[OID_CMA] == b"\x0c" + bytes([len(CMA)]) + CMA.encode()
    assert others[OID_DMTF_DEVICE_INFO][2:] == b"Acme:Widget:SN-1"
    assert leaf.not_valid_before_utc == VALIDITY.not_before
    assert leaf.not_valid_after_utc == VALIDITY.not_after


def test_cas_are_cas(identity: DeviceIdentity) -> None:
    root, inter, _ = _certs(identity)
    for cert, path_length in ((root, None), (inter, 0)):
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
        assert bc.critical and bc.value.ca and bc.value.path_length == path_length
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        assert ku.key_cert_sign and ku.crl_sign and not ku.digital_signature


def test_spdm_chain_format(identity: DeviceIdentity) -> None:
    chain = SpdmCertChain.decode(identity.spdm_chain("sha384"), 48)
    assert chain.certificates == identity.chain
    assert chain.root_hash_matches("sha384")
    assert len(identity.digest("sha256")) == 32


def test_devices_of_one_model_share_root_and_intermediate() -> None:
    pki = _pki()
    a, b = _identity(pki, "SN-A"), _identity(pki, "SN-B")
    assert a.chain[:-1] == b.chain[:-1]
    assert a.chain[-1] != b.chain[-1]


def test_cma_san_format() -> None:
    assert PciIds(0x1AB4, 0x00F0, 0x010802, 0x0A).cma_san() == \
        "Vendor=1ab4:Device=00f0:CC=010802:REV=0a"
    assert PciIds(1, 2, 3, 4, 5, 6, dsn=0xABC).cma_san().endswith(":SSVID=0005:SSID=0006:"
                                                                   "0000000000000abc")


def test_unknown_root_has_real_name_but_other_key() -> None:
    pki = _pki()
    real = pki.vendor_root("Acme", "ecdsa-p384")
    rogue = _identity(pki, trusted=False)
    assert x509.load_der_x509_certificate(rogue.chain[0]).subject == real.certificate.subject
    assert rogue.chain[0] != real.chain[0]
    assert pki.trust_anchors() == (real.chain[0],)
    with pytest.raises(InvalidSignature):
        x509.load_der_x509_certificate(rogue.chain[1]).verify_directly_issued_by(
            real.certificate)
    pem = pki.trust_anchors_pem()
    assert x509.load_pem_x509_certificates(pem)[0].public_bytes(
        serialization.Encoding.DER) == real.chain[0]


def test_wrong_signing_key() -> None:
    bad = _identity(_pki(), wrong_signing_key=True)
    assert not bad.is_key_consistent


def _flawed(flaw: CertFlaw) -> x509.Certificate:
    return _identity(_pki(), serial=f"SN-{flaw}",
                     profile=LeafProfile(frozenset({flaw}))).leaf


def _has(cert: x509.Certificate, oid: x509.ObjectIdentifier | str) -> bool:
    oid = x509.ObjectIdentifier(oid) if isinstance(oid, str) else oid
    return any(e.oid == oid for e in cert.extensions)


def test_flaw_expired_and_not_yet_valid() -> None:
    assert _flawed(CertFlaw.EXPIRED).not_valid_after_utc < NOW
    assert _flawed(CertFlaw.NOT_YET_VALID).not_valid_before_utc > NOW


def test_flaw_broken_signature() -> None:
    ident = _identity(_pki(), serial="SN-broken",
                      profile=LeafProfile(frozenset({CertFlaw.BROKEN_SIGNATURE})))
    _, inter, leaf = _certs(ident)
    assert leaf.issuer == inter.subject
    with pytest.raises(InvalidSignature):
        leaf.verify_directly_issued_by(inter)


def test_flaws_in_extensions() -> None:
    assert not _has(_flawed(CertFlaw.NO_EKU), ExtensionOID.EXTENDED_KEY_USAGE)
    eku = _flawed(CertFlaw.REQUESTER_ONLY_EKU).extensions.get_extension_for_class(
        x509.ExtendedKeyUsage).value
    assert list(eku) == [x509.ObjectIdentifier(OID_DMTF_EKU_REQUESTER_AUTH)]
    assert not _has(_flawed(CertFlaw.NO_SPDM_EXTENSION), OID_DMTF_SPDM_EXTENSION)
    for flaw, expected in ((CertFlaw.NO_CMA_SAN, None),
                           (CertFlaw.WRONG_CMA_SAN, CMA.replace("ffff", "fffe"))):
        san = _flawed(flaw).extensions.get_extension_for_class(x509.SubjectAlternativeName)
        cma = [o.value[2:].decode() for o in san.value.get_values_for_type(x509.OtherName)
               if o.type_id.dotted_string == OID_CMA]
        assert cma == ([] if expected is None else [expected])
    assert _flawed(CertFlaw.LEAF_KEY_CERT_SIGN).extensions.get_extension_for_class(
        x509.KeyUsage).value.key_cert_sign
    assert not _flawed(CertFlaw.NO_DIGITAL_SIGNATURE).extensions.get_extension_for_class(
        x509.KeyUsage).value.digital_signature
    assert _flawed(CertFlaw.LEAF_IS_CA).extensions.get_extension_for_class(
        x509.BasicConstraints).value.ca
    assert not _has(_flawed(CertFlaw.NO_BASIC_CONSTRAINTS), ExtensionOID.BASIC_CONSTRAINTS)


def test_flaw_explicit_ca_false_is_not_30_00() -> None:
    leaf = _flawed(CertFlaw.EXPLICIT_CA_FALSE)
    # The explicit DEFAULT value is BER, not DER; the raw certificate carries 30 03 01 01 00.
    marker = der_oid("2.5.29.19") + b"\x01\x01\xff\x04\x05\x30\x03\x01\x01\x00"
    assert marker in leaf.public_bytes(serialization.Encoding.DER)


def test_server_auth_and_dice_tcb_info() -> None:
    tcb = DiceTcbInfo("Acme", "Widget", "1.2.3", 7, 0, (("sha384", bytes(range(48))),))
    leaf = _identity(_pki(), serial="SN-dice",
                     profile=LeafProfile(server_auth_eku=True, dice_tcb_info=tcb)).leaf
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in list(eku)
    ext = leaf.extensions.get_extension_for_oid(x509.ObjectIdentifier(OID_TCG_DICE_TCB_INFO))
    assert ext.critical
    value = ext.value.public_bytes()
    assert value == tcb.der()
    # vendor [0] "Acme", svn [3] 7, fwids [6] { SEQUENCE { sha384 OID, OCTET STRING } }
    assert value[2:8] == b"\x80\x04Acme"
    assert b"\x83\x01\x07" in value
    fwid = der_sequence(der_oid("2.16.840.1.101.3.4.2.2"), b"\x04\x30" + bytes(range(48)))
    assert b"\xa6" + bytes([len(fwid)]) + fwid in value


@pytest.mark.parametrize("key_type", ["ecdsa-p256", "ecdsa-p384"])
def test_ec_key_types(key_type: str) -> None:
    ident = _identity(_pki(), serial=f"SN-{key_type}", key_type=key_type)
    assert ident.leaf.public_key().curve.key_size == int(key_type[-3:])  # type: ignore[union-attr]
    assert ident.is_key_consistent


def test_rsa_3072_is_deterministic_and_chains() -> None:
    # The generator is memoised; the unwrapped call proves a fresh search finds the same key.
    key = derive_private_key(Drbg(b"rsa", "t"), KeyType.RSA_3072)
    fresh = keys_module._rsa_key.__wrapped__(Drbg(b"rsa", "t").bytes(32))
    assert key.private_numbers() == fresh.private_numbers()  # type: ignore[union-attr]
    assert key.key_size == 3072
    ident = _identity(_pki(), serial="SN-rsa", key_type="rsa-3072")
    _, inter, leaf = _certs(ident)
    leaf.verify_directly_issued_by(inter)
    assert ident.is_key_consistent and KeyType.RSA_3072.base_asym.name == "RSASSA_3072"


def test_validity_rejects_naive_or_inverted() -> None:
    with pytest.raises(ValueError):
        Validity(datetime(2025, 1, 1), datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        Validity(VALIDITY.not_after, VALIDITY.not_before)


@pytest.mark.vectors
def test_profile_bytes_match_libspdm_sample(spdm_emu: Path) -> None:
    """Our BasicConstraints and SPDM-extension values equal libspdm's sample responder's."""
    path = spdm_emu / "libspdm_sample_data/sample_key/ecp384/end_responder.cert.der"
    sample = x509.load_der_x509_certificate(path.read_bytes())
    ours = _identity(_pki()).leaf
    for oid in (ExtensionOID.BASIC_CONSTRAINTS, x509.ObjectIdentifier(OID_DMTF_SPDM_EXTENSION)):
        assert _ext_value(sample, oid) == _ext_value(ours, oid)


def test_counterfeit_with_cloned_serial_gets_its_own_key() -> None:
    pki = _pki()
    genuine = _identity(pki, serial="SN-clone")
    clone = _identity(pki, serial="SN-clone", trusted=False)
    assert public_key_der(genuine.key) != public_key_der(clone.key)
    assert genuine.leaf.subject == clone.leaf.subject
