# SPDX-License-Identifier: BSD-3-Clause
"""load_certificates: every input form, ordering, and garbage raising only AppraisalInputError."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given
from hypothesis import strategies as st
from pki_factory import build_chain, issue, key

from devtrust.appraise.certs import InputFormat, is_issued_by, load_certificates
from devtrust.appraise.errors import AppraisalInputError, EvidenceFormatError
from devtrust.wire.spdm.certchain import SpdmCertChain

CHAIN = build_chain("p256")
ROOT_FIRST = (0, 1, 2)
LEAF_FIRST = (2, 1, 0)
SPDM_EMU = Path(__file__).resolve().parents[3] / "shared" / "vectors" / "spdm-emu"


def _spdm(hash_name: str = "sha384") -> bytes:
    return SpdmCertChain.build(tuple(c.public_bytes(Encoding.DER)
        for c in CHAIN.certs), hash_name).encode()


def _hex(data: bytes, style: str) -> bytes:
    h = data.hex()
    if style == "plain":
        return h.encode()
    if style == "colons":
        return ":".join(h[i:i + 2] for i in range(0, len(h), 2)).encode()
    if style == "0x":
        return " ".join("0x" + h[i:i + 2] for i in range(0, len(h), 2)).encode()
    return "\n".join(h[i:i + 64].upper() for i in range(0, len(h), 64)).encode() + b"\n"


INPUTS = {
    "pem-root-first": (CHAIN.pem(ROOT_FIRST), InputFormat.PEM, ROOT_FIRST),
    "pem-leaf-first": (CHAIN.pem(LEAF_FIRST), InputFormat.PEM, LEAF_FIRST),
    "pem-shuffled": (CHAIN.pem((1, 2, 0)), InputFormat.PEM, (2, 0, 1)),
    "der-root-first": (CHAIN.der(ROOT_FIRST), InputFormat.DER, ROOT_FIRST),
    "der-leaf-first": (CHAIN.der(LEAF_FIRST), InputFormat.DER, LEAF_FIRST),
    "spdm": (_spdm(), InputFormat.SPDM_CHAIN, ROOT_FIRST),
}


@pytest.mark.parametrize("hexstyle", [None, "plain", "colons", "0x", "lines"])
@pytest.mark.parametrize("name", INPUTS)
def test_every_form_gives_the_same_root_first_chain(name: str, hexstyle: str | None) -> None:
    data, fmt, order = INPUTS[name]
    if hexstyle is not None:
        if fmt is InputFormat.PEM and hexstyle != "plain":
            pytest.skip("hex of PEM: one style is enough")
        data = _hex(data, hexstyle)
    bundle = load_certificates(data)
    assert bundle.certificates == CHAIN.certs
    assert bundle.input_format is fmt
    assert bundle.hex_text is (hexstyle is not None)
    assert bundle.input_order == order
    assert bundle.leaf == CHAIN.leaf and bundle.root == CHAIN.root


def test_spdm_root_hash_recorded_and_size_detected() -> None:
    for name, size in (("sha256", 32), ("sha384", 48), ("sha512", 64)):
        bundle = load_certificates(_spdm(name))
        assert bundle.spdm_root_hash == hashlib.new(name, bundle.ders[0]).digest()
        assert bundle.spdm_root_hash_algorithm == name
        assert load_certificates(_spdm(name), hash_size=size).spdm_root_hash_algorithm == name
    with pytest.raises(EvidenceFormatError):
        load_certificates(_spdm("sha384"), hash_size=32)


def test_spdm_emu_slot_chains() -> None:
    chains = sorted(SPDM_EMU.glob("*/certs/slot*_chain.bin"))
    if not chains:
        pytest.skip("spdm-emu vectors absent")
    for path in chains:
        bundle = load_certificates(path.read_bytes())
        assert bundle.input_format is InputFormat.SPDM_CHAIN and bundle.was_root_first
        assert bundle.spdm_root_hash_algorithm is not None
        last = path.parent / f"{path.name.split('_')[0]}_cert{len(bundle.ders) - 1}.der"
        assert bundle.ders[-1] == last.read_bytes()


def test_single_certificate_and_pem_with_other_blocks() -> None:
    assert load_certificates(CHAIN.der((2,))).certificates == (CHAIN.leaf,)
    noise = b"-----BEGIN PRIVATE KEY-----\n" + base64.encodebytes(b"x" * 30) + \
        b"-----END PRIVATE KEY-----\n"
    assert load_certificates(noise + CHAIN.pem()).certificates == CHAIN.certs


def test_branching_disconnected_and_duplicate_sets_are_refused() -> None:
    ik = key("p256", "inter")
    sibling = issue("Test Leaf 2", key("p256", "other"), "Test Inter", ik, "p256", ca=False)
    with pytest.raises(EvidenceFormatError, match="one path"):
        load_certificates(CHAIN.der() + sibling.public_bytes(Encoding.DER))
    other = build_chain("p256", label="Other ")
    with pytest.raises(EvidenceFormatError, match="one chain"):
        load_certificates(CHAIN.der((0, 1)) + other.der((2,)))
    with pytest.raises(EvidenceFormatError, match="twice"):
        load_certificates(CHAIN.der((0, 1, 1)))


def test_same_names_wrong_signature_is_linked_for_the_walk_to_reject() -> None:
    """A certificate naming the intermediate as issuer but signed by another key takes its
    place by name; the chain walk then fails its ``signature`` link (a forged link is
    contraindicated evidence, not malformed input)."""
    impostor = issue("Test Leaf", key("p256", "leaf"), "Test Inter", key("p256", "evil"), "p256",
                     ca=False)
    der = CHAIN.der((0, 1)) + impostor.public_bytes(Encoding.DER)
    bundle = load_certificates(der)
    assert bundle.leaf == impostor
    assert is_issued_by(bundle.leaf, bundle.certificates[1]) is False


@pytest.mark.parametrize("data", [b"", b"   ", b"\x00" * 8, b"hello world", b"0x", b"abc",
                                  b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
                                  b"\x30\x03\x02\x01\x01", b"\x30\x82\xff\xff"])
def test_garbage_raises_evidence_format_error(data: bytes) -> None:
    with pytest.raises(EvidenceFormatError):
        load_certificates(data)


def test_non_bytes_input() -> None:
    with pytest.raises(AppraisalInputError):
        load_certificates("not bytes")  # type: ignore[arg-type]


@given(st.binary(max_size=600))
def test_fuzz_arbitrary_bytes_raise_only_appraisal_input_error(data: bytes) -> None:
    try:
        load_certificates(data)
    except AppraisalInputError:
        pass


@given(st.sampled_from(sorted(INPUTS)), st.integers(0, 10_000), st.integers(1, 255),
       st.booleans())
def test_fuzz_mutated_chains(name: str, where: int, xor: int, truncate: bool) -> None:
    data = bytearray(INPUTS[name][0])
    pos = where % len(data)
    if truncate:
        del data[pos:]
    else:
        data[pos] ^= xor
    try:
        bundle = load_certificates(bytes(data))
    except AppraisalInputError:
        return
    assert bundle.certificates
