# SPDX-License-Identifier: BSD-3-Clause
"""Deterministic vendor PKI: root CA -> intermediate(s) -> device leaf (protocols.md §3.16).

Leaves follow the SPDM DeviceCert profile as libspdm and Linux CMA enforce it: X.509 v3,
KeyUsage digitalSignature, BasicConstraints encoded as the empty SEQUENCE ``30 00``,
EKU id-DMTF-eku-responder-auth, the id-DMTF-SPDM-extension naming
id-DMTF-hardware-identity, and a SubjectAltName with the DMTF device-info otherName and
the PCIe CMA otherName ``2.23.147`` in Linux's exact lowercase format. Every key, serial
and (RFC 6979) ECDSA signature is determined by the seed, and validity windows come from
the caller (the scenario), never from the wall clock.

:class:`CertFlaw` turns on the PKI-level faults of the catalogue (``faults.py``): each one
produces a certificate that a correct verifier must reject.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from devtrust.hw.der import der_integer, der_octet_string, der_oid, der_sequence, der_utf8
from devtrust.hw.keys import KeyType, PrivateKey, derive_private_key, public_key_der
from devtrust.hw.rng import Drbg
from devtrust.wire.spdm.certchain import SpdmCertChain

__all__ = [
    "OID_CMA",
    "OID_DMTF_DEVICE_INFO",
    "OID_DMTF_EKU_REQUESTER_AUTH",
    "OID_DMTF_EKU_RESPONDER_AUTH",
    "OID_DMTF_HARDWARE_IDENTITY",
    "OID_DMTF_SPDM_EXTENSION",
    "OID_TCG_DICE_TCB_INFO",
    "CertAuthority",
    "CertFlaw",
    "DeviceIdentity",
    "DiceTcbInfo",
    "LeafProfile",
    "PciIds",
    "Pki",
    "Validity",
]

OID_DMTF_DEVICE_INFO = "1.3.6.1.4.1.412.274.1"
OID_DMTF_HARDWARE_IDENTITY = "1.3.6.1.4.1.412.274.2"
OID_DMTF_EKU_RESPONDER_AUTH = "1.3.6.1.4.1.412.274.3"
OID_DMTF_EKU_REQUESTER_AUTH = "1.3.6.1.4.1.412.274.4"
OID_DMTF_SPDM_EXTENSION = "1.3.6.1.4.1.412.274.6"
OID_CMA = "2.23.147"
OID_TCG_DICE_TCB_INFO = "2.23.133.5.4.1"
_HASH_OIDS = {"sha256": "2.16.840.1.101.3.4.2.1", "sha384": "2.16.840.1.101.3.4.2.2",
              "sha512": "2.16.840.1.101.3.4.2.3"}
# BasicConstraints with an explicit DEFAULT value: valid BER, invalid DER, rejected by libspdm.
_EXPLICIT_CA_FALSE = bytes.fromhex("3003010100")


class CertFlaw(StrEnum):
    """Deliberate defects in a device leaf (or its link to the issuer)."""

    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    NO_EKU = "no-eku"
    REQUESTER_ONLY_EKU = "requester-only-eku"
    NO_SPDM_EXTENSION = "no-spdm-extension"
    NO_CMA_SAN = "no-cma-san"
    WRONG_CMA_SAN = "wrong-cma-san"
    LEAF_KEY_CERT_SIGN = "leaf-key-cert-sign"
    NO_DIGITAL_SIGNATURE = "no-digital-signature"
    LEAF_IS_CA = "leaf-is-ca"
    EXPLICIT_CA_FALSE = "explicit-ca-false"
    NO_BASIC_CONSTRAINTS = "no-basic-constraints"
    BROKEN_SIGNATURE = "broken-signature"


@dataclass(frozen=True, slots=True)
class Validity:
    """A certificate validity window (timezone-aware UTC)."""

    not_before: datetime
    not_after: datetime

    def __post_init__(self) -> None:
        for value in (self.not_before, self.not_after):
            if value.tzinfo is None:
                raise ValueError("validity times must be timezone-aware (UTC)")
        if self.not_after <= self.not_before:
            raise ValueError("not_after must be later than not_before")


@dataclass(frozen=True, slots=True)
class PciIds:
    """The identity fields the PCIe CMA SAN carries (Linux ``drivers/pci/cma.c`` format)."""

    vendor_id: int
    device_id: int
    class_code: int
    revision: int
    subsystem_vendor_id: int | None = None
    subsystem_id: int | None = None
    dsn: int | None = None

    def cma_san(self) -> str:
        """``Vendor=vvvv:Device=dddd:CC=cccccc:REV=rr[:SSVID=ssss:SSID=ssss][:dsn]``."""
        text = (f"Vendor={self.vendor_id:04x}:Device={self.device_id:04x}:"
                f"CC={self.class_code:06x}:REV={self.revision:02x}")
        if self.subsystem_vendor_id is not None and self.subsystem_id is not None:
            text += f":SSVID={self.subsystem_vendor_id:04x}:SSID={self.subsystem_id:04x}"
        if self.dsn is not None:
            text += f":{self.dsn:016x}"
        return text


@dataclass(frozen=True, slots=True)
class DiceTcbInfo:
    """TCG DICE TcbInfo (2.23.133.5.4.1) fields; ``fwids`` are (hashlib name, digest)."""

    vendor: str
    model: str
    version: str
    svn: int
    layer: int = 0
    fwids: tuple[tuple[str, bytes], ...] = ()

    def der(self) -> bytes:
        """DiceTcbInfo SEQUENCE with IMPLICIT context tags [0]..[4] and [6]."""
        fwids = der_sequence(*(der_sequence(der_oid(_HASH_OIDS[name]), der_octet_string(digest))
                               for name, digest in self.fwids))
        parts = [der_utf8(self.vendor, 0x80), der_utf8(self.model, 0x81),
                 der_utf8(self.version, 0x82), der_integer(self.svn, 0x83),
                 der_integer(self.layer, 0x84)]
        if self.fwids:
            parts.append(bytes([0xA6]) + fwids[1:])  # IMPLICIT [6] replaces the SEQUENCE tag
        return der_sequence(*parts)


@dataclass(frozen=True, slots=True)
class LeafProfile:
    """What goes into a device leaf beyond the mandatory profile, and deliberate flaws."""

    flaws: frozenset[CertFlaw] = frozenset()
    server_auth_eku: bool = False
    dice_tcb_info: DiceTcbInfo | None = None


@dataclass(frozen=True, slots=True)
class CertAuthority:
    """A CA: its key and its chain (DER, root first, ending with its own certificate)."""

    name: str
    key_type: KeyType
    key: PrivateKey = field(compare=False, repr=False)
    chain: tuple[bytes, ...] = field(repr=False)
    is_trusted: bool = True

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.chain[-1])

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """A device's SPDM identity: the key its responder signs with and its slot-0 chain.

    ``key`` normally matches the leaf's public key; with the wrong-signing-key fault it
    does not (``is_key_consistent`` is then False).
    """

    key_type: KeyType
    key: PrivateKey = field(compare=False, repr=False)
    chain: tuple[bytes, ...] = field(repr=False)

    @property
    def leaf(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.chain[-1])

    @property
    def is_key_consistent(self) -> bool:
        return public_key_der(self.key) == self.leaf.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def spdm_cert_chain(self, hash_name: str) -> SpdmCertChain:
        """The SPDM slot chain (RootHash over the first certificate, ``hash_name`` hashlib)."""
        return SpdmCertChain.build(self.chain, hash_name)

    def spdm_chain(self, hash_name: str) -> bytes:
        """Encoded SPDM certificate chain, as GET_CERTIFICATE returns it."""
        return self.spdm_cert_chain(hash_name).encode()

    def digest(self, hash_name: str) -> bytes:
        """The slot digest DIGESTS reports: hash of the encoded SPDM chain."""
        return hashlib.new(hash_name, self.spdm_chain(hash_name)).digest()


def _name(common: str, org: str, serial: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
             x509.NameAttribute(NameOID.COMMON_NAME, common)]
    if serial is not None:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attrs)


def _key_usage(*, sign: bool, cert_sign: bool, encipher: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=False,
                         key_encipherment=encipher, data_encipherment=False, key_agreement=False,
                         key_cert_sign=cert_sign, crl_sign=cert_sign, encipher_only=False,
                         decipher_only=False)


class Pki:
    """Factory for deterministic vendor CAs and device identities.

    CAs are cached by name, so every device of one model shares its vendor root and
    intermediate, as real fleets do. Each object's keys and serials come from a DRBG
    child named after the object, so creation order never changes the results.
    """

    def __init__(self, drbg: Drbg, validity: Validity, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware (UTC)")
        self._drbg = drbg.child("pki")
        self.validity = validity
        self.now = now
        self._cache: dict[tuple[str, ...], CertAuthority] = {}

    def vendor_root(self, vendor: str, key_type: KeyType | str = KeyType.ECDSA_P384, *,
                    trusted: bool = True) -> CertAuthority:
        """The self-signed root of ``vendor``.

        ``trusted=False`` gives the unknown-root fault: same subject name, different key,
        and never listed by :meth:`trust_anchors`.
        """
        key_type = KeyType(key_type)
        cache_key = ("root", vendor, key_type.value, str(trusted))
        if cache_key not in self._cache:
            drbg = self._drbg.child("/".join(cache_key))
            key = derive_private_key(drbg.child("key"), key_type)
            name = _name(f"{vendor} Device Root CA", vendor)
            builder = self._ca_builder(name, name, key, drbg, path_length=None)
            der = self._sign(builder, key, key_type)
            self._cache[cache_key] = CertAuthority(f"{vendor} root", key_type, key, (der,),
                                                   trusted)
        return self._cache[cache_key]

    def intermediate(self, issuer: CertAuthority, name: str,
                     key_type: KeyType | str | None = None, *,
                     path_length: int = 0) -> CertAuthority:
        """An intermediate CA called ``name`` under ``issuer`` (cached per issuer and name).

        ``path_length`` is the number of further CAs allowed below it (0 when it
        issues device leaves directly).
        """
        key_type = KeyType(key_type or issuer.key_type)
        cache_key = ("ca", issuer.name, str(issuer.is_trusted), name, key_type.value)
        if cache_key not in self._cache:
            drbg = self._drbg.child("/".join(cache_key))
            key = derive_private_key(drbg.child("key"), key_type)
            org = issuer.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
            subject = _name(f"{name} Intermediate CA", str(org[0].value))
            builder = self._ca_builder(subject, issuer.certificate.subject, key, drbg,
                                       path_length=path_length, issuer_key=issuer.key)
            der = self._sign(builder, issuer.key, issuer.key_type)
            self._cache[cache_key] = CertAuthority(name, key_type, key, (*issuer.chain, der),
                                                   issuer.is_trusted)
        return self._cache[cache_key]

    def device_identity(self, issuer: CertAuthority, ids: PciIds, key_type: KeyType | str,
                        serial: str, *, manufacturer: str, product: str,
                        profile: LeafProfile = LeafProfile(),
                        wrong_signing_key: bool = False) -> DeviceIdentity:
        """A device leaf under ``issuer`` and the key its SPDM responder will sign with."""
        key_type = KeyType(key_type)
        trust = "trusted" if issuer.is_trusted else "rogue"
        drbg = self._drbg.child(f"leaf/{issuer.name}/{trust}/{serial}/{key_type.value}")
        key = derive_private_key(drbg.child("key"), key_type)
        flaws = profile.flaws
        builder = (x509.CertificateBuilder()
                   .subject_name(_name(f"{manufacturer} {product}", manufacturer, serial))
                   .issuer_name(issuer.certificate.subject)
                   .public_key(key.public_key())
                   .serial_number(1 + drbg.child("serial").int_bits(120)))
        validity = self._leaf_validity(flaws)
        builder = builder.not_valid_before(validity.not_before).not_valid_after(validity.not_after)
        builder = _leaf_extensions(builder, flaws, profile, ids, key, issuer,
                                   device_info=f"{manufacturer}:{product}:{serial}")
        signer = issuer.key
        if CertFlaw.BROKEN_SIGNATURE in flaws:
            signer = derive_private_key(drbg.child("forged-issuer-key"), issuer.key_type)
        der = self._sign(builder, signer, issuer.key_type)
        signing_key = key
        if wrong_signing_key:
            signing_key = derive_private_key(drbg.child("wrong-signing-key"), key_type)
        return DeviceIdentity(key_type, signing_key, (*issuer.chain, der))

    def trust_anchors(self) -> tuple[bytes, ...]:
        """DER of every trusted root made so far, sorted (the appraiser's trust store)."""
        return tuple(sorted(ca.chain[0] for key, ca in self._cache.items()
                            if key[0] == "root" and ca.is_trusted))

    def trust_anchors_pem(self) -> bytes:
        """:meth:`trust_anchors` as a concatenated PEM bundle."""
        return b"".join(x509.load_der_x509_certificate(der).public_bytes(
            serialization.Encoding.PEM) for der in self.trust_anchors())

    def _leaf_validity(self, flaws: frozenset[CertFlaw]) -> Validity:
        if CertFlaw.EXPIRED in flaws:
            return Validity(self.now - timedelta(days=730), self.now - timedelta(days=1))
        if CertFlaw.NOT_YET_VALID in flaws:
            return Validity(self.now + timedelta(days=30), self.now + timedelta(days=3650))
        return self.validity

    def _ca_builder(self, subject: x509.Name, issuer: x509.Name, key: PrivateKey, drbg: Drbg,
                    *, path_length: int | None,
                    issuer_key: PrivateKey | None = None) -> x509.CertificateBuilder:
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                   .public_key(key.public_key())
                   .serial_number(1 + drbg.child("serial").int_bits(120))
                   .not_valid_before(self.validity.not_before)
                   .not_valid_after(self.validity.not_after)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=path_length),
                                  critical=True)
                   .add_extension(_key_usage(sign=False, cert_sign=True), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                                  critical=False))
        if issuer_key is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                critical=False)
        return builder

    @staticmethod
    def _sign(builder: x509.CertificateBuilder, key: PrivateKey, key_type: KeyType) -> bytes:
        # RFC 6979 deterministic ECDSA; RSA PKCS#1 v1.5 is deterministic by construction.
        if isinstance(key, ec.EllipticCurvePrivateKey):
            cert = builder.sign(key, key_type.cert_hash, ecdsa_deterministic=True)
        else:
            cert = builder.sign(key, key_type.cert_hash)
        return cert.public_bytes(serialization.Encoding.DER)


def _leaf_extensions(builder: x509.CertificateBuilder, flaws: frozenset[CertFlaw],
                     profile: LeafProfile, ids: PciIds, key: PrivateKey, issuer: CertAuthority,
                     *, device_info: str) -> x509.CertificateBuilder:
    """Add the SPDM/CMA leaf extensions, honouring the requested flaws."""
    if CertFlaw.LEAF_IS_CA in flaws:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    elif CertFlaw.EXPLICIT_CA_FALSE in flaws:
        builder = builder.add_extension(x509.UnrecognizedExtension(
            ExtensionOID.BASIC_CONSTRAINTS, _EXPLICIT_CA_FALSE), critical=True)
    elif CertFlaw.NO_BASIC_CONSTRAINTS not in flaws:
        # Encodes as the empty SEQUENCE 30 00 (cA FALSE is the DER default): libspdm's rule.
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
    if CertFlaw.NO_DIGITAL_SIGNATURE in flaws:
        usage = _key_usage(sign=False, cert_sign=False, encipher=True)
    else:
        usage = _key_usage(sign=True, cert_sign=CertFlaw.LEAF_KEY_CERT_SIGN in flaws)
    builder = builder.add_extension(usage, critical=True)
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                                    critical=False)
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
        critical=False)
    if CertFlaw.NO_EKU not in flaws:
        if CertFlaw.REQUESTER_ONLY_EKU in flaws:
            usages = [x509.ObjectIdentifier(OID_DMTF_EKU_REQUESTER_AUTH)]
        else:
            usages = [x509.ObjectIdentifier(OID_DMTF_EKU_RESPONDER_AUTH)]
            if profile.server_auth_eku:
                usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    names: list[x509.GeneralName] = [
        x509.OtherName(x509.ObjectIdentifier(OID_DMTF_DEVICE_INFO), der_utf8(device_info))]
    if CertFlaw.NO_CMA_SAN not in flaws:
        cma_ids = ids
        if CertFlaw.WRONG_CMA_SAN in flaws:
            cma_ids = PciIds(ids.vendor_id, ids.device_id ^ 0x0001, ids.class_code, ids.revision,
                             ids.subsystem_vendor_id, ids.subsystem_id, ids.dsn)
        names.append(x509.OtherName(x509.ObjectIdentifier(OID_CMA), der_utf8(cma_ids.cma_san())))
    builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if CertFlaw.NO_SPDM_EXTENSION not in flaws:
        # SEQUENCE OF SEQUENCE { OID }: the DeviceCert model (hardware identity).
        value = der_sequence(der_sequence(der_oid(OID_DMTF_HARDWARE_IDENTITY)))
        builder = builder.add_extension(x509.UnrecognizedExtension(
            x509.ObjectIdentifier(OID_DMTF_SPDM_EXTENSION), value), critical=False)
    if profile.dice_tcb_info is not None:
        # TCG marks TcbInfo critical so DICE-unaware verifiers refuse rather than ignore it.
        builder = builder.add_extension(x509.UnrecognizedExtension(
            x509.ObjectIdentifier(OID_TCG_DICE_TCB_INFO), profile.dice_tcb_info.der()), True)
    return builder
