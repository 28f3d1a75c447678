# SPDX-License-Identifier: BSD-3-Clause
"""Test-only PKI: root -> intermediate -> leaf chains built with ``cryptography``.

Keys are generated once per process (RSA is slow) and reused. Extensions are given
as ``(extension, critical)`` pairs so tests can build SPDM, CMA and DICE profiles.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

NOT_BEFORE = datetime(2025, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2035, 1, 1, tzinfo=UTC)
AT = datetime(2027, 1, 1, tzinfo=UTC)

KEY_KINDS = ("p256", "p384", "p521", "rsa2048", "rsa3072", "ed25519")
OID_SPDM_EXT = x509.ObjectIdentifier("1.3.6.1.4.1.412.274.6")
OID_HW_IDENTITY_DER = bytes.fromhex("060a2b06010401831c821202")
EKU_RESPONDER = x509.ObjectIdentifier("1.3.6.1.4.1.412.274.3")
EKU_REQUESTER = x509.ObjectIdentifier("1.3.6.1.4.1.412.274.4")
OID_CMA = x509.ObjectIdentifier("2.23.147")


@functools.cache
def key(kind: str, label: str = "") -> object:
    """A private key of ``kind``; the same (kind, label) always gives the same key object."""
    if kind.startswith("rsa"):
        return rsa.generate_private_key(65537, int(kind[3:]))
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    curve = {"p256": ec.SECP256R1(), "p384": ec.SECP384R1(), "p521": ec.SECP521R1()}[kind]
    return ec.generate_private_key(curve)


def _hash(kind: str) -> hashes.HashAlgorithm | None:
    return None if kind == "ed25519" else {"p384": hashes.SHA384(),
                                           "p521": hashes.SHA512()}.get(kind, hashes.SHA256())


def name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def utf8_other_name(oid: x509.ObjectIdentifier, text: str) -> x509.OtherName:
    raw = text.encode()
    assert len(raw) < 128
    return x509.OtherName(oid, bytes([0x0C, len(raw)]) + raw)


def spdm_hw_identity_ext() -> x509.UnrecognizedExtension:
    inner = bytes([0x30, len(OID_HW_IDENTITY_DER)]) + OID_HW_IDENTITY_DER
    return x509.UnrecognizedExtension(OID_SPDM_EXT, bytes([0x30, len(inner)]) + inner)


def issue(subject: str, subject_key: object, issuer: str, issuer_key: object, issuer_kind: str,
          *, ca: bool | None, path_length: int | None = None,
          extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
          key_usage: x509.KeyUsage | None = None, serial: int = 1,
          not_before: datetime = NOT_BEFORE, not_after: datetime = NOT_AFTER) -> x509.Certificate:
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
         .public_key(subject_key.public_key()).serial_number(serial)  # type: ignore[attr-defined]
         .not_valid_before(not_before).not_valid_after(not_after))
    if ca is not None:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    if key_usage is None:
        key_usage = ca_usage() if ca else leaf_usage()
    b = b.add_extension(key_usage, critical=True)
    b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(
        subject_key.public_key()), critical=False)  # type: ignore[attr-defined]
    b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
        issuer_key.public_key()), critical=False)  # type: ignore[attr-defined]
    for ext, critical in extensions:
        b = b.add_extension(ext, critical=critical)
    return b.sign(issuer_key, _hash(issuer_kind))  # type: ignore[arg-type]


def ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                         crl_sign=True, encipher_only=False, decipher_only=False)


def leaf_usage(*, cert_sign: bool = False, digital_signature: bool = True) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=cert_sign, crl_sign=False, encipher_only=False,
                         decipher_only=False)


@dataclass(frozen=True)
class Chain:
    root: x509.Certificate
    inter: x509.Certificate
    leaf: x509.Certificate
    kind: str

    @property
    def certs(self) -> tuple[x509.Certificate, ...]:
        return (self.root, self.inter, self.leaf)

    def der(self, order: tuple[int, ...] = (0, 1, 2)) -> bytes:
        return b"".join(self.certs[i].public_bytes(Encoding.DER) for i in order)

    def pem(self, order: tuple[int, ...] = (0, 1, 2)) -> bytes:
        return b"".join(self.certs[i].public_bytes(Encoding.PEM) for i in order)

    @property
    def leaf_key(self) -> object:
        return key(self.kind, "leaf")


def build_chain(kind: str = "p256", *, label: str = "", leaf_ca: bool | None = False,
                inter_extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
                leaf_extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
                leaf_key_usage: x509.KeyUsage | None = None, root_path_length: int | None = None,
                inter_ca: bool = True, leaf_not_after: datetime = NOT_AFTER) -> Chain:
    """root (self-signed) -> intermediate -> leaf, all keys of ``kind``."""
    rk, ik, lk = key(kind, label + "root"), key(kind, label + "inter"), key(kind, "leaf")
    root = issue(f"{label}Test Root", rk, f"{label}Test Root", rk, kind, ca=True,
                 path_length=root_path_length)
    inter = issue(f"{label}Test Inter", ik, f"{label}Test Root", rk, kind, ca=inter_ca,
                  extensions=inter_extensions, key_usage=ca_usage(), serial=2)
    leaf = issue(f"{label}Test Leaf", lk, f"{label}Test Inter", ik, kind, ca=leaf_ca,
                 extensions=leaf_extensions, key_usage=leaf_key_usage or leaf_usage(), serial=3,
                 not_after=leaf_not_after)
    return Chain(root, inter, leaf, kind)


def ders(chain: Chain) -> tuple[bytes, ...]:
    return tuple(c.public_bytes(Encoding.DER) for c in chain.certs)
