# SPDX-License-Identifier: BSD-3-Clause
"""TCG DICE extensions: parsed into claims; a critical DICE chain accepted when the profile allows.

The DER here is written by hand with a tiny encoder independent of the parser.
"""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509 import verification
from hypothesis import given
from hypothesis import strategies as st
from pki_factory import AT, build_chain

from devtrust.appraise.certs import load_certificates
from devtrust.appraise.chain import validate_chain
from devtrust.appraise.dice import (
    OID_MULTI_TCB_INFO,
    OID_TCB_INFO,
    OID_UEID,
    parse_multi_tcb_info,
    parse_tcb_info,
    parse_ueid,
)
from devtrust.appraise.errors import EvidenceFormatError
from devtrust.appraise.leaf_profile import LeafProfile
from devtrust.appraise.trust_store import TrustStore

SHA384_OID = bytes.fromhex("608648016503040202")  # 2.16.840.1.101.3.4.2.2


def tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def tcb_info(vendor: str = "ACME", layer: int = 1, digest: bytes = b"\x11" * 48) -> bytes:
    fwid = tlv(0x30, tlv(0x06, SHA384_OID) + tlv(0x04, digest))
    return tlv(0x30, tlv(0x80, vendor.encode()) + tlv(0x81, b"widget-fw")
               + tlv(0x82, b"1.2.3") + tlv(0x83, b"\x00\x80") + tlv(0x84, bytes([layer]))
               + tlv(0xA6, fwid) + tlv(0x87, b"\x04\x10") + tlv(0x89, b"\xca\xfe"))


def test_tcb_info_fields() -> None:
    info = parse_tcb_info(tcb_info())
    assert (info.vendor, info.model, info.version) == ("ACME", "widget-fw", "1.2.3")
    assert (info.svn, info.layer, info.index) == (128, 1, None)
    assert info.fwids[0].hash_oid == "2.16.840.1.101.3.4.2.2"
    assert info.fwids[0].digest == b"\x11" * 48
    assert info.flags == frozenset({"debug"})
    assert info.type == b"\xca\xfe" and info.vendor_info is None and info.flags_mask is None


def test_multi_tcb_info_and_ueid() -> None:
    infos = parse_multi_tcb_info(tlv(0x30, tcb_info(layer=0) + tcb_info(layer=1)))
    assert [i.layer for i in infos] == [0, 1]
    assert parse_ueid(tlv(0x30, tlv(0x04, b"\x01" + b"\x22" * 16))) == b"\x01" + b"\x22" * 16
    assert parse_tcb_info(tlv(0x30, b"")) == parse_tcb_info(b"\x30\x00")


@pytest.mark.parametrize("der", [
    b"", b"\x30", b"\x30\x05\x80\x01A",                     # truncated
    tlv(0x30, tlv(0x81, b"m") + tlv(0x80, b"v")),          # out of order
    tlv(0x30, tlv(0x80, b"v") + tlv(0x80, b"v")),          # repeated
    tlv(0x30, tlv(0x8B, b"?")),                            # unknown tag [11]
    tlv(0x30, tlv(0x83, b"\x00\x01")),                     # non-minimal INTEGER
    tlv(0x30, tlv(0x80, b"\xff")),                         # bad UTF-8
    tlv(0x30, tlv(0x86, b"")),                             # fwids primitive
    tlv(0x30, tlv(0xA6, b"")),                             # empty FWID list
    tlv(0x30, tlv(0x87, b"\x04\x11")),                     # unused bits not zero
    tcb_info() + b"\x00",                                  # trailing bytes
])
def test_malformed_tcb_info_rejected(der: bytes) -> None:
    with pytest.raises(EvidenceFormatError):
        parse_tcb_info(der)


@given(st.binary(max_size=200))
def test_fuzz_dice_parsers_raise_only_evidence_format_error(data: bytes) -> None:
    for parse in (parse_tcb_info, parse_multi_tcb_info, parse_ueid):
        try:
            parse(data)
        except EvidenceFormatError:
            pass


def _ext(oid: str, der: bytes) -> x509.UnrecognizedExtension:
    return x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), der)


SAN = (x509.SubjectAlternativeName([x509.DNSName("device.example")]), False)


def _dice_chain(*, extra: tuple = ()) -> object:
    inter_ext = ((_ext(OID_TCB_INFO, tcb_info(layer=0)), True),)
    multi = tlv(0x30, tcb_info(layer=1) + tcb_info(layer=2))
    leaf_ext = (SAN, (_ext(OID_MULTI_TCB_INFO, multi), True),
                (_ext(OID_UEID, tlv(0x30, tlv(0x04, b"\x02" + b"\x33" * 16))), False), *extra)
    return build_chain("p256", label="dice", inter_extensions=inter_ext,
                       leaf_extensions=leaf_ext)


def test_chain_with_critical_dice_extensions_accepted_when_allowed() -> None:
    chain = _dice_chain()
    bundle = load_certificates(chain.der())
    store = TrustStore.from_certificates(chain.root)
    verdict = validate_chain(bundle, store, at=AT, profile=LeafProfile())
    assert verdict.ok, [str(c) for c in verdict.failures]
    assert [(d.index, [i.layer for i in d.tcb_infos]) for d in verdict.dice] == [(1, [0]),
                                                                                  (2, [1, 2])]
    assert verdict.dice[1].ueid == b"\x02" + b"\x33" * 16
    refused = validate_chain(bundle, store, at=AT, profile=LeafProfile(allow_dice=False))
    assert {c.name for c in refused.failures} == {"critical_extensions"}


def test_unknown_critical_extension_rejected_even_with_dice_allowed() -> None:
    chain = _dice_chain(extra=((_ext("1.2.3.4.5.6", b"\x05\x00"), True),))
    bundle = load_certificates(chain.der())
    store = TrustStore.from_certificates(chain.root)
    verdict = validate_chain(bundle, store, at=AT, profile=LeafProfile())
    assert [(c.name, c.subject) for c in verdict.failures] == [("critical_extensions", "path[2]")]
    assert "1.2.3.4.5.6" in verdict.failures[0].reason
    accepted = validate_chain(bundle, store, at=AT,
                              profile=LeafProfile(accepted_critical=frozenset({"1.2.3.4.5.6"})))
    assert accepted.ok


def test_malformed_dice_extension_fails_the_chain() -> None:
    chain = build_chain("p256", label="baddice", leaf_extensions=(
        (_ext(OID_TCB_INFO, tlv(0x30, tlv(0x8B, b"?"))), True),))
    verdict = validate_chain(load_certificates(chain.der()),
                             TrustStore.from_certificates(chain.root), at=AT, profile=LeafProfile())
    assert {c.name for c in verdict.failures} == {"dice"}


def test_cryptography_path_validator_rejects_the_dice_chain() -> None:
    """Why the project walks chains itself (landscape.md pitfall 1)."""
    def verify(chain) -> None:
        verifier = (verification.PolicyBuilder()
                    .store(verification.Store([chain.root])).time(AT).build_client_verifier())
        verifier.verify(chain.leaf, [chain.inter])

    # The same shape without DICE verifies, so the rejection below is about DICE alone.
    verify(build_chain("p256", label="control", leaf_extensions=(SAN,)))
    with pytest.raises(verification.VerificationError, match="critical"):
        verify(_dice_chain())


@given(st.integers(0, 10_000), st.integers(1, 255))
def test_fuzz_mutated_dice_leaf_yields_verdict_or_input_error(where: int, xor: int) -> None:
    """A corrupted certificate never escapes validate_chain as anything but AppraisalInputError."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from devtrust.appraise.errors import AppraisalInputError
    leaf = bytearray(DICE_CHAIN.leaf.public_bytes(Encoding.DER))
    leaf[where % len(leaf)] ^= xor
    try:
        bundle = load_certificates(bytes(leaf))
        verdict = validate_chain(bundle, TrustStore(), at=AT, profile=LeafProfile())
    except AppraisalInputError:
        return
    assert not verdict.ok  # never anchored


DICE_CHAIN = _dice_chain()
