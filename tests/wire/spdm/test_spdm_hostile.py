# SPDX-License-Identifier: BSD-3-Clause
"""Hostile input: every decoder returns or raises WireError, never anything else.

Inputs are arbitrary bytes (biased towards a valid header so decoders get past
byte 1), the libspdm fuzz seeds, and mutated spdm-emu vectors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spdm_vectors import SPDM_MESSAGES, handshake_in_the_clear, negotiated_from_manifest

from devtrust.testing.codecs import assert_decoder_total
from devtrust.wire.spdm import (
    Algorithms,
    BaseAsymAlgo,
    BaseHashAlgo,
    Capabilities,
    Certificate,
    CertificateAssembler,
    Challenge,
    ChallengeAuth,
    DheAlgo,
    Digests,
    EndSession,
    EndSessionAck,
    ErrorResponse,
    Finish,
    FinishRsp,
    GetCapabilities,
    GetCertificate,
    GetDigests,
    GetMeasurements,
    GetVersion,
    Heartbeat,
    HeartbeatAck,
    KeyExchange,
    KeyExchangeRsp,
    KeyUpdate,
    KeyUpdateAck,
    MeasurementBlock,
    MeasurementHashAlgo,
    MeasurementRecord,
    Measurements,
    MeasurementSummaryHashType,
    NegotiateAlgorithms,
    NegotiatedAlgorithms,
    PskExchange,
    PskExchangeRsp,
    PskFinish,
    PskFinishRsp,
    RespondIfReady,
    Version,
    decode_message,
    iter_measurement_exchanges,
    negotiated_from_vca,
    vca_length,
)

ALGOS = NegotiatedAlgorithms(0x12, BaseAsymAlgo.ECDSA_P256, BaseHashAlgo.SHA_256,
                             MeasurementHashAlgo.SHA_256, dhe=DheAlgo.SECP256R1,
                             req_base_asym=BaseAsymAlgo.ECDSA_P256)
SIGNED_GET = GetMeasurements(0x12, 1, 0xFF, bytes(32))
CHALLENGE = Challenge(0x12, 0, MeasurementSummaryHashType.ALL, bytes(32))


def _assemble(b: bytes) -> object:
    return CertificateAssembler(0, max_size=600).add(Certificate.decode(b))


DECODERS: dict[str, tuple[Callable[[bytes], Any], int | None]] = {
    # name: (decoder, code to bias the header towards)
    "GetVersion": (GetVersion.decode, 0x84),
    "Version": (Version.decode, 0x04),
    "GetCapabilities": (GetCapabilities.decode, 0xE1),
    "Capabilities": (Capabilities.decode, 0x61),
    "NegotiateAlgorithms": (NegotiateAlgorithms.decode, 0xE3),
    "Algorithms": (Algorithms.decode, 0x63),
    "Algorithms.to_negotiated": (lambda b: Algorithms.decode(b).to_negotiated(), 0x63),
    "GetDigests": (GetDigests.decode, 0x81),
    "Digests": (lambda b: Digests.decode(b, 32), 0x01),
    "Digests.multi_key": (lambda b: Digests.decode(b, 48, multi_key=True), 0x01),
    "GetCertificate": (GetCertificate.decode, 0x82),
    "Certificate": (Certificate.decode, 0x02),
    "CertificateAssembler": (_assemble, 0x02),
    "Challenge": (Challenge.decode, 0x83),
    "ChallengeAuth": (lambda b: ChallengeAuth.decode(b, hash_size=32, signature_size=64,
                                                     measurement_summary=True), 0x03),
    "GetMeasurements": (GetMeasurements.decode, 0xE0),
    "Measurements": (lambda b: Measurements.decode(b, signature_size=64, digest_size=32),
                     0x60),
    "Measurements.unsigned": (Measurements.decode, 0x60),
    "MeasurementBlock": (MeasurementBlock.decode, None),
    "MeasurementRecord": (MeasurementRecord.decode, None),
    "ErrorResponse": (ErrorResponse.decode, 0x7F),
    "ResponseNotReady": (lambda b: ErrorResponse.decode(b).response_not_ready, 0x7F),
    "RespondIfReady": (RespondIfReady.decode, 0xFF),
    "KeyExchange": (lambda b: KeyExchange.decode(b, dhe_size=64), 0xE4),
    "KeyExchangeRsp": (lambda b: KeyExchangeRsp.decode(
        b, dhe_size=64, hash_size=32, signature_size=64, measurement_summary=True), 0x64),
    "Finish": (lambda b: Finish.decode(b, hash_size=32, signature_size=64), 0xE5),
    "FinishRsp": (lambda b: FinishRsp.decode(b, hash_size=32, handshake_in_the_clear=True),
                  0x65),
    "PskExchange": (PskExchange.decode, 0xE6),
    "PskExchangeRsp": (lambda b: PskExchangeRsp.decode(b, hash_size=32,
                                                       measurement_summary=False), 0x66),
    "PskFinish": (lambda b: PskFinish.decode(b, hash_size=32), 0xE7),
    "PskFinishRsp": (PskFinishRsp.decode, 0x67),
    "Heartbeat": (Heartbeat.decode, 0xE8),
    "HeartbeatAck": (HeartbeatAck.decode, 0x68),
    "KeyUpdate": (KeyUpdate.decode, 0xE9),
    "KeyUpdateAck": (KeyUpdateAck.decode, 0x69),
    "EndSession": (EndSession.decode, 0xEC),
    "EndSessionAck": (EndSessionAck.decode, 0x6C),
    "decode_message": (lambda b: decode_message(b, ALGOS, request=SIGNED_GET), None),
    "decode_message.challenge": (lambda b: decode_message(b, ALGOS, request=CHALLENGE), None),
    "decode_message.no_algos": (decode_message, None),
    "negotiated_from_vca": (negotiated_from_vca, None),
    "vca_length": (vca_length, 0x84),
    "iter_measurement_exchanges": (lambda b: iter_measurement_exchanges(
        b, signature_size=64), 0xE0),
    "iter_measurement_exchanges.tbs": (lambda b: iter_measurement_exchanges(
        b, signature_size=64, tbs=True), 0xE0),
}


def _inputs(code: int | None) -> st.SearchStrategy[bytes]:
    header = st.tuples(st.sampled_from([0x10, 0x11, 0x12, 0x13]),
                       st.just(code) if code is not None else st.integers(0, 255),
                       st.binary(max_size=120)).map(lambda t: bytes(t[:2]) + t[2])
    return st.one_of(st.binary(max_size=120), header)


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_arbitrary_bytes(name: str) -> None:
    decode, code = DECODERS[name]

    @given(_inputs(code))
    def check(data: bytes) -> None:
        assert_decoder_total(decode, data)

    check()


def test_libspdm_fuzz_seeds(spdm_emu: Path) -> None:
    root = spdm_emu / "libspdm_sample_data" / "fuzzing" / "seeds"
    seeds = sorted(p for p in root.rglob("*") if p.is_file())
    assert len(seeds) >= 80
    for path in seeds:
        data = path.read_bytes()
        for decode, _ in DECODERS.values():
            assert_decoder_total(decode, data)
            # Seeds often carry DOE/transport padding; try the bare message too.
            assert_decoder_total(decode, data.rstrip(b"\x00"))


@pytest.fixture(scope="module")
def corpus(spdm_emu: Path) -> list[tuple[bytes, NegotiatedAlgorithms, bool]]:
    manifest = json.loads((spdm_emu / "manifest.json").read_text())
    out = []
    for config in manifest["configurations"]:
        algos = negotiated_from_manifest(config["negotiated"])
        clear = handshake_in_the_clear(config["negotiated"])
        for entry in config["files"]:
            if entry.get("message") in SPDM_MESSAGES and entry["size"] < 2000:
                out.append(((spdm_emu / entry["path"]).read_bytes(), algos, clear))
        out.append(((spdm_emu / config["directory"] / "vca" / "vca_transcript.bin").read_bytes(),
                    algos, clear))
    return out


@given(st.data())
def test_mutated_vectors(corpus: list[tuple[bytes, NegotiatedAlgorithms, bool]],
                         data: st.DataObject) -> None:
    raw, algos, clear = data.draw(st.sampled_from(corpus))
    i = data.draw(st.integers(0, len(raw) - 1))
    kind = data.draw(st.sampled_from(["flip", "cut", "insert"]))
    if kind == "flip":
        mutated = raw[:i] + bytes([raw[i] ^ data.draw(st.integers(1, 255))]) + raw[i + 1:]
    elif kind == "cut":
        mutated = raw[:i]
    else:
        mutated = raw[:i] + data.draw(st.binary(min_size=1, max_size=8)) + raw[i:]
    for request in (SIGNED_GET, CHALLENGE, None):
        assert_decoder_total(lambda b, r=request: decode_message(
            b, algos, request=r, handshake_in_the_clear=clear), mutated)
    assert_decoder_total(negotiated_from_vca, mutated)
    assert_decoder_total(lambda b: iter_measurement_exchanges(b, signature_size=algos.s),
                         mutated)


def test_strictness_examples() -> None:
    """A few named flaws from STYLE item 4, each a WireError at the right place."""
    from devtrust.wire.errors import ReservedBitsError, TrailingBytesError, UnknownCodeError
    with pytest.raises(TrailingBytesError):
        GetDigests.decode(bytes.fromhex("128100 00 00"))
    with pytest.raises(ReservedBitsError):
        GetDigests.decode(bytes.fromhex("12810100"))
    with pytest.raises(UnknownCodeError):
        GetDigests.decode(bytes.fromhex("09810000"))
    with pytest.raises(UnknownCodeError):
        Heartbeat.decode(bytes.fromhex("10e80000"))  # sessions start at SPDM 1.1
    with pytest.raises(ReservedBitsError):  # RawBitStreamRequested is 1.2+
        GetMeasurements.decode(bytes.fromhex("11e002ff"))
    with pytest.raises(ReservedBitsError):  # unsigned MEASUREMENTS has Param2 = 0
        Measurements.decode(bytes.fromhex("12600001" "00000000") + bytes(32) + b"\x00\x00")
