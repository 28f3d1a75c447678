# SPDX-License-Identifier: BSD-3-Clause
"""Measurement transcripts as relying parties receive them, from libspdm captures."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from hypothesis import given
from hypothesis import strategies as st

from devtrust.appraise.errors import EvidenceFormatError
from devtrust.appraise.spdm_evidence import (
    parse_measurement_transcript,
    verify_measurement_transcript,
)
from devtrust.wire.spdm.transcript import vca_length

_MINUS = " (minus trailing signature)"


def _measurement_cases(manifest: dict, root: Path):
    for config in manifest["configurations"]:
        base = root / config["directory"]
        for signed in config["signed_messages"]:
            if signed["kind"] != "MEASUREMENTS":
                continue
            parts = [base / p.removesuffix(_MINUS) for p in signed["transcript_parts"]]
            leaf = x509.load_der_x509_certificate(
                (base / config["cert_chains"][str(signed["slot"])]["leaf"]).read_bytes())
            yield config, signed, parts, leaf.public_key()


def test_every_captured_measurement_transcript_verifies(spdm_emu_manifest, spdm_emu) -> None:
    seen = 0
    for config, _signed, parts, key in _measurement_cases(spdm_emu_manifest, spdm_emu):
        data = b"".join(p.read_bytes() for p in parts)
        verdict = verify_measurement_transcript(data, key)
        assert verdict.signature_valid, (config["name"], verdict.reason)
        version = config["negotiated"]["spdm_version"]
        assert verdict.evidence.spdm_version == int(version.replace(".", ""), 16)
        assert verdict.evidence.blocks or verdict.evidence.final[1].total_measurement_indices
        seen += 1
    assert seen >= 17


def test_vca_supplied_separately_like_the_kernel_objects(spdm_emu_manifest, spdm_emu) -> None:
    for config, _signed, parts, key in _measurement_cases(spdm_emu_manifest, spdm_emu):
        data = b"".join(p.read_bytes() for p in parts)
        if config["negotiated"]["spdm_version"] == "1.1":
            continue
        vca_size = vca_length(data)
        vca, rest = data[:vca_size], data[vca_size:]
        assert verify_measurement_transcript(rest, key, vca=vca).signature_valid
        missing = verify_measurement_transcript(rest, key)
        assert not missing.signature_valid and "VCA" in missing.reason


def test_requester_nonce_is_checked(spdm_emu_manifest, spdm_emu) -> None:
    _config, _signed, parts, key = next(_measurement_cases(spdm_emu_manifest, spdm_emu))
    data = b"".join(p.read_bytes() for p in parts)
    ev = parse_measurement_transcript(data, public_key=key)
    good = verify_measurement_transcript(data, key, nonce=ev.requester_nonce)
    assert good.ok and good.nonce is not None and good.nonce.ok
    stale = verify_measurement_transcript(data, key, nonce=bytes(32))
    assert stale.signature_valid and not stale.ok


def test_tampered_measurements_fail(spdm_emu_manifest, spdm_emu) -> None:
    negatives = [n for n in spdm_emu_manifest["negative_vectors"] if n["message"] == "MEASUREMENTS"]
    assert negatives
    for neg in negatives:
        base = spdm_emu / neg["configuration"]
        original = spdm_emu / neg["derived_from"]
        parts = [base / p.removesuffix(_MINUS) for p in neg["transcript_parts"]]
        parts = [spdm_emu / neg["file"] if p == original else p for p in parts]
        signer = (spdm_emu / neg["signed_by"]).read_bytes()
        key = x509.load_der_x509_certificate(signer).public_key()
        verdict = verify_measurement_transcript(b"".join(p.read_bytes() for p in parts), key)
        assert not verdict.signature_valid, neg["file"]


@given(st.binary(max_size=200))
def test_garbage_raises_one_error_type(data: bytes) -> None:
    try:
        parse_measurement_transcript(data)
    except EvidenceFormatError:
        pass


def test_empty_is_rejected() -> None:
    with pytest.raises(EvidenceFormatError):
        parse_measurement_transcript(b"")
