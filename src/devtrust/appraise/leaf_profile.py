# SPDX-License-Identifier: BSD-3-Clause
"""The SPDM / PCIe CMA leaf-certificate profile (protocols.md §3.16, §7 rows 17-18).

Checks the leaf of a device chain the way libspdm and Linux ``drivers/pci/cma.c``
do: BasicConstraints (DER exactly ``30 00``, mandatory from SPDM 1.3), KeyUsage
(digitalSignature set, keyCertSign clear), DMTF EKUs (a responder leaf must not be
requester-only), the DMTF SPDM extension (hardware-identity = DeviceCert model),
the SPKI against the negotiated BaseAsymAlgo, the DMTF device-info SAN and the PCIe
CMA SAN ``2.23.147`` compared exactly with the Linux lowercase-hex string.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from devtrust.appraise.asn1 import (
    BOOLEAN,
    OCTET_STRING,
    OID,
    SEQUENCE,
    UTF8_STRING,
    decode_oid,
    decode_utf8,
    read_single,
)
from devtrust.appraise.checks import CheckResult
from devtrust.appraise.errors import EvidenceFormatError
from devtrust.appraise.signature import key_mismatch
from devtrust.wire.spdm.algorithms import BaseAsymAlgo

__all__ = [
    "OID_CMA",
    "OID_DMTF_DEVICE_INFO",
    "OID_DMTF_EKU_REQUESTER",
    "OID_DMTF_EKU_RESPONDER",
    "OID_DMTF_HARDWARE_IDENTITY",
    "OID_DMTF_SPDM_EXTENSION",
    "CertModel",
    "LeafFacts",
    "LeafProfile",
    "RawExtension",
    "check_leaf",
    "cma_identity_string",
    "raw_extensions",
]

OID_DMTF_SPDM = "1.3.6.1.4.1.412.274"
OID_DMTF_DEVICE_INFO = OID_DMTF_SPDM + ".1"
OID_DMTF_HARDWARE_IDENTITY = OID_DMTF_SPDM + ".2"
OID_DMTF_EKU_RESPONDER = OID_DMTF_SPDM + ".3"
OID_DMTF_EKU_REQUESTER = OID_DMTF_SPDM + ".4"
OID_DMTF_MUTABLE_CERT = OID_DMTF_SPDM + ".5"
OID_DMTF_SPDM_EXTENSION = OID_DMTF_SPDM + ".6"
OID_CMA = "2.23.147"
_EMPTY_SEQUENCE = b"\x30\x00"


class CertModel(StrEnum):
    DEVICE_CERT = "device-cert"   # leaf carries id-DMTF-hardware-identity
    ALIAS_CERT = "alias-cert"     # leaf without it (alias or generic certificate)


@dataclass(frozen=True, slots=True)
class LeafProfile:
    """What the leaf must look like. Defaults follow libspdm for an SPDM 1.2 responder.

    ``spdm_version``: header byte; 0x13+ makes leaf BasicConstraints mandatory.
    ``role``: ``"responder"`` or ``"requester"`` (which DMTF EKU is wanted).
    ``require_dmtf_eku``: the role's DMTF EKU must be present (else absence is fine).
    ``expected_model``: e.g. from SPDM 1.3 CertificateInfo; None accepts either.
    ``base_asym``: negotiated BaseAsymAlgo the leaf key must fit; None skips.
    ``cma_identity``: expected PCIe CMA SAN string (:func:`cma_identity_string`);
    None skips unless ``require_cma_san``. ``allow_dice``: DICE extensions may be
    critical. ``accepted_critical``: further OIDs the policy accepts as critical
    without interpreting them. ``require_revocation_info``: unknown status fails.
    ``partial_alias_chain``: the chain ends at the DeviceCert CA of an AliasCert-model
    device (the alias leaf is minted at run time), so the last certificate gets the CA
    checks instead of the leaf profile.
    """

    spdm_version: int = 0x12
    role: str = "responder"
    require_dmtf_eku: bool = False
    expected_model: CertModel | None = None
    base_asym: BaseAsymAlgo | None = None
    cma_identity: str | None = None
    require_cma_san: bool = False
    allow_dice: bool = True
    accepted_critical: frozenset[str] = frozenset()
    require_revocation_info: bool = False
    max_chain_length: int = 64
    partial_alias_chain: bool = False

    def __post_init__(self) -> None:
        if self.role not in ("responder", "requester"):
            raise ValueError(f"role must be responder or requester, not {self.role!r}")
        if not 0x10 <= self.spdm_version <= 0x13:
            raise ValueError(f"SPDM version 0x{self.spdm_version:02x}")
        if self.max_chain_length < 1:
            raise ValueError("max_chain_length must be positive")


@dataclass(frozen=True, slots=True)
class RawExtension:
    oid: str
    critical: bool
    value: bytes


@dataclass(frozen=True, slots=True)
class LeafFacts:
    """What the leaf says about the device, whether or not the checks passed."""

    model: CertModel
    device_info: str | None
    cma_identity: str | None


def cma_identity_string(vendor: int, device: int, class_code: int, revision: int, *,
                        ssvid: int | None = None, ssid: int | None = None,
                        dsn: int | None = None) -> str:
    """The PCIe CMA SAN value Linux expects, lowercase hex (protocols.md §3.16).

    ``ssvid``/``ssid`` are given for type-0 (endpoint) headers; ``dsn`` when the
    device has a Device Serial Number capability.
    """
    text = f"Vendor={vendor:04x}:Device={device:04x}:CC={class_code:06x}:REV={revision:02x}"
    if (ssvid is None) != (ssid is None):
        raise ValueError("SSVID and SSID come together")
    if ssvid is not None:
        text += f":SSVID={ssvid:04x}:SSID={ssid:04x}"
    if dsn is not None:
        text += f":{dsn:016x}"
    return text


def raw_extensions(cert: x509.Certificate) -> tuple[RawExtension, ...]:
    """The extensions exactly as encoded in the TBSCertificate (duplicates refused)."""
    src = "TBSCertificate"
    fields = read_single(cert.tbs_certificate_bytes, SEQUENCE, src).children(src)
    wrapped = [f for f in fields if f.tag == 0xA3]
    if not wrapped:
        return ()
    (extensions,) = wrapped[0].children(src)
    out: list[RawExtension] = []
    for ext in extensions.children(src):
        parts = ext.children(src)
        if not 2 <= len(parts) <= 3 or parts[0].tag != OID or parts[-1].tag != OCTET_STRING:
            raise EvidenceFormatError(src, f"malformed Extension at offset {ext.offset}")
        critical = len(parts) == 3
        if critical and (parts[1].tag != BOOLEAN or parts[1].value != b"\xff"):
            # DER: critical is omitted when FALSE and encoded as 0xFF when TRUE.
            raise EvidenceFormatError(src, f"non-DER critical flag at offset {parts[1].offset}")
        out.append(RawExtension(decode_oid(parts[0].value, src), critical, parts[-1].value))
    if len({e.oid for e in out}) != len(out):
        raise EvidenceFormatError(src, "an extension appears twice")
    return tuple(out)


def _other_names(cert: x509.Certificate) -> dict[str, list[str]]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return {}
    found: dict[str, list[str]] = {}
    for name in san.get_values_for_type(x509.OtherName):
        oid = name.type_id.dotted_string
        if oid in (OID_DMTF_DEVICE_INFO, OID_CMA):
            tlv = read_single(name.value, UTF8_STRING, f"SAN otherName {oid}")
            found.setdefault(oid, []).append(decode_utf8(tlv.value, f"SAN otherName {oid}"))
    return found


def _spdm_extension_oids(value: bytes) -> frozenset[str]:
    src = "id-DMTF-SPDM-extension"
    oids = set()
    for item in read_single(value, SEQUENCE, src).children(src):
        parts = item.children(src)
        if item.tag != SEQUENCE or not parts or parts[0].tag != OID:
            raise EvidenceFormatError(src, f"entry at offset {item.offset} is not {{OID, ...}}")
        oids.add(decode_oid(parts[0].value, src))
    return frozenset(oids)


def check_leaf(leaf: x509.Certificate, raw: dict[str, RawExtension],
               profile: LeafProfile) -> tuple[tuple[CheckResult, ...], LeafFacts]:
    """Apply the SPDM/CMA leaf profile. ``raw`` maps OID -> raw extension of ``leaf``."""
    out: list[CheckResult] = []

    def check(name: str, ok: bool, reason: str) -> None:
        out.append(CheckResult(name, ok, reason, "leaf"))

    check("leaf.version", leaf.version is x509.Version.v3, f"X.509 {leaf.version.name}")
    bc = raw.get(x509.oid.ExtensionOID.BASIC_CONSTRAINTS.dotted_string)
    if bc is None:
        mandatory = profile.spdm_version >= 0x13
        check("leaf.basic_constraints", not mandatory,
              "absent (mandatory from SPDM 1.3)" if mandatory else "absent (optional in 1.2)")
    else:
        check("leaf.basic_constraints", bc.value == _EMPTY_SEQUENCE,
              "cA FALSE encoded as 30 00" if bc.value == _EMPTY_SEQUENCE else
              f"value {bc.value.hex()} is not exactly 30 00 (cA TRUE or explicit FALSE)")
    try:
        ku = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        check("leaf.key_usage", ku.digital_signature and not ku.key_cert_sign,
              f"digitalSignature={ku.digital_signature} keyCertSign={ku.key_cert_sign}")
    except x509.ExtensionNotFound:
        check("leaf.key_usage", False, "KeyUsage absent (digitalSignature required)")
    eku_oids: set[str] = set()
    try:
        eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        eku_oids = {o.dotted_string for o in eku}
    except x509.ExtensionNotFound:
        pass
    mine, other = ((OID_DMTF_EKU_RESPONDER, OID_DMTF_EKU_REQUESTER) if profile.role == "responder"
                   else (OID_DMTF_EKU_REQUESTER, OID_DMTF_EKU_RESPONDER))
    if other in eku_oids and mine not in eku_oids:
        check("leaf.eku", False, f"EKU allows only the other SPDM role ({other})")
    elif profile.require_dmtf_eku and mine not in eku_oids:
        check("leaf.eku", False, f"DMTF {profile.role}-auth EKU {mine} required")
    else:
        check("leaf.eku", True, "DMTF EKU present" if mine in eku_oids else "no DMTF role EKU "
              "restriction")
    spdm_ext = raw.get(OID_DMTF_SPDM_EXTENSION)
    spdm_oids = _spdm_extension_oids(spdm_ext.value) if spdm_ext else frozenset()
    model = (CertModel.DEVICE_CERT if OID_DMTF_HARDWARE_IDENTITY in spdm_oids
             else CertModel.ALIAS_CERT)
    if profile.expected_model is not None:
        check("leaf.cert_model", model is profile.expected_model,
              f"leaf is {model.value}, expected {profile.expected_model.value}")
    if profile.base_asym is not None:
        try:
            why = key_mismatch(leaf.public_key(), profile.base_asym)
        except (ValueError, UnsupportedAlgorithm) as exc:
            why = f"leaf key unusable: {exc}"
        check("leaf.spki", why is None, why or f"key fits {profile.base_asym.name}")
    names = _other_names(leaf)
    device_info = names.get(OID_DMTF_DEVICE_INFO, [None])[0]
    cma = names.get(OID_CMA, [])
    if profile.cma_identity is not None or profile.require_cma_san:
        if not cma:
            check("leaf.cma_san", False, "no PCIe CMA (2.23.147) SAN otherName")
        elif profile.cma_identity is not None:
            ok = profile.cma_identity in cma
            check("leaf.cma_san", ok, f"CMA identity {cma[0]!r}" + (
                "" if ok else f" != expected {profile.cma_identity!r}"))
        else:
            check("leaf.cma_san", True, f"CMA identity {cma[0]!r}")
    return tuple(out), LeafFacts(model, device_info, cma[0] if cma else None)
