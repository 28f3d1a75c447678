# SPDX-License-Identifier: BSD-3-Clause
"""Every SPDM message in the spdm-emu corpus decodes, re-encodes byte-exactly and agrees
with the manifest's offsets; VCA and L1/L2 transcripts split (read in place, never copied).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from spdm_vectors import SPDM_MESSAGES, handshake_in_the_clear, negotiated_from_manifest

from devtrust.testing.codecs import assert_codec
from devtrust.wire.spdm import (
    Certificate,
    CertificateAssembler,
    Challenge,
    ChallengeAuth,
    Digests,
    GetCertificate,
    GetMeasurements,
    KeyExchange,
    KeyExchangeRsp,
    Measurements,
    PskExchange,
    PskExchangeRsp,
    SpdmCertChain,
    decode_message,
    is_request_code,
    iter_measurement_exchanges,
    negotiated_from_vca,
    split_vca,
    vca_length,
)

pytestmark = pytest.mark.vectors


def _configs(manifest: dict) -> list[dict]:
    return manifest["configurations"]


def _check_offsets(msg: object, entry: dict, data: bytes) -> None:
    """The manifest's offsets and lengths agree with the decoded fields."""
    def at(name: str) -> int:
        return entry[name]

    if isinstance(msg, (Challenge, GetMeasurements)) and entry.get("nonce_offset") is not None:
        assert data[at("nonce_offset"):at("nonce_offset") + 32] == msg.nonce
    if isinstance(msg, (Challenge, GetMeasurements)) and entry.get("requester_context_offset"):
        o = at("requester_context_offset")
        assert data[o:o + 8] == msg.requester_context
    if isinstance(msg, GetMeasurements) and "signature_requested" in entry:
        assert msg.signature_requested == entry["signature_requested"]
        assert msg.operation == int(entry["measurement_operation"], 16)
        if entry.get("slot_id_param_offset") is not None:
            assert data[at("slot_id_param_offset")] == msg.slot_id
    if isinstance(msg, Challenge) and "slot" in entry:
        assert msg.slot_id == entry["slot"]
        assert msg.hash_type == int(entry["measurement_summary_hash_type"], 16)
    if isinstance(msg, ChallengeAuth) and "cert_chain_hash_offset" in entry:
        o = at("cert_chain_hash_offset")
        assert data[o:o + entry["cert_chain_hash_length"]] == msg.cert_chain_hash
        assert data[at("nonce_offset"):at("nonce_offset") + 32] == msg.nonce
        o = at("measurement_summary_hash_offset")
        assert data[o:o + entry["measurement_summary_hash_length"]] == msg.measurement_summary_hash
        assert int.from_bytes(data[at("opaque_length_offset"):][:2], "little") == len(
            msg.opaque_data)
        assert msg.signature_offset == at("signature_offset")
        assert len(msg.signature) == entry["signature_length"]
        assert msg.unsigned_bytes == data[:at("signature_offset")]
    if isinstance(msg, Measurements) and "number_of_blocks" in entry:
        assert len(msg.blocks) == entry["number_of_blocks"]
        assert msg.record_offset == at("measurement_record_offset")
        assert len(msg.record.encode()) == entry["measurement_record_length"]
        assert msg.nonce_offset == at("nonce_offset")
        assert data[msg.nonce_offset:msg.nonce_offset + 32] == msg.nonce
        if entry.get("total_measurement_indices") is not None:
            assert msg.total_measurement_indices == entry["total_measurement_indices"]
        assert msg.is_signed == entry["signed"]
        assert len(msg.signature) == entry["signature_length"]
        if msg.is_signed:
            assert msg.signature_offset == at("signature_offset")
        for block, want in zip(msg.blocks, entry["blocks"], strict=True):
            assert block.index == want["index"]
            assert len(block.raw) - 4 == want["size"]
            assert block.type_byte == int(want["dmtf_value_type"], 16)
            assert len(block.value) == want["dmtf_value_size"]
    if isinstance(msg, Digests) and "slot_mask" in entry:
        assert msg.slot_mask == int(entry["slot_mask"], 16)
        assert all(len(d) == entry["digest_size"] for d in msg.digests)
    if isinstance(msg, GetCertificate) and "slot" in entry:
        assert (msg.slot_id, msg.offset, msg.length) == (entry["slot"], entry["offset"],
                                                         entry["length"])
    if isinstance(msg, Certificate) and "slot" in entry:
        assert (msg.slot_id, len(msg.portion), msg.remainder_length) == (
            entry["slot"], entry["portion_length"], entry["remainder_length"])
    if isinstance(msg, (KeyExchange, KeyExchangeRsp)):
        assert data[at("random_offset"):][:entry["random_length"]] == msg.random_data
        assert len(msg.exchange_data) == entry["exchange_data_length"]
        assert data[at("exchange_data_offset"):][:len(msg.exchange_data)] == msg.exchange_data
    if isinstance(msg, KeyExchangeRsp):
        assert len(msg.measurement_summary_hash) == entry["measurement_summary_hash_length"]
        assert msg.signature_offset == at("signature_offset")
        assert len(msg.signature) == entry["signature_length"]
        assert (entry["responder_verify_data_offset"] is None) == (not msg.responder_verify_data)
    if isinstance(msg, PskExchange):
        assert msg.req_session_id == int(entry["req_session_id"], 16)
        assert msg.psk_hint.hex() == entry["psk_hint"]
        assert msg.requester_context_offset == at("requester_context_offset")
        assert len(msg.requester_context) == entry["requester_context_length"]
    if isinstance(msg, PskExchangeRsp):
        assert msg.rsp_session_id == int(entry["rsp_session_id"], 16)
        assert len(msg.responder_context) == entry["responder_context_length"]
        assert msg.responder_verify_data_offset == at("responder_verify_data_offset")


def test_every_spdm_message(spdm_emu: Path, spdm_emu_manifest: dict) -> None:
    seen: dict[str, int] = defaultdict(int)
    for config in _configs(spdm_emu_manifest):
        neg = config["negotiated"]
        algos = negotiated_from_manifest(neg)
        clear = handshake_in_the_clear(neg)
        last_request: dict[str, object] = {}
        files = sorted((f for f in config["files"] if f.get("message") in SPDM_MESSAGES),
                       key=lambda f: f["file"])
        for entry in files:
            data = (spdm_emu / entry["path"]).read_bytes()
            folder = str(Path(entry["file"]).parent)

            def decode(b: bytes, folder: str = folder, algos: object = algos,
                       last: dict = last_request, clear: bool = clear) -> object:
                return decode_message(b, algos, request=last.get(folder),  # type: ignore
                                      handshake_in_the_clear=clear)

            msg = assert_codec(decode, data)
            assert type(msg).__name__ != "dict"
            _check_offsets(msg, entry, data)
            if is_request_code(data[1]):
                last_request[folder] = msg
            seen[entry["message"]] += 1
    assert seen["MEASUREMENTS"] >= 30 and seen["CHALLENGE_AUTH"] >= 17
    assert seen["KEY_EXCHANGE_RSP"] == 2 and seen["PSK_EXCHANGE_RSP"] >= 7


def test_vca_matches_manifest(spdm_emu: Path, spdm_emu_manifest: dict) -> None:
    for config in _configs(spdm_emu_manifest):
        vca = (spdm_emu / config["directory"] / "vca" / "vca_transcript.bin").read_bytes()
        assert negotiated_from_vca(vca) == negotiated_from_manifest(config["negotiated"])
        msgs = split_vca(vca)
        assert b"".join(m.raw for m in msgs) == vca
        neg = config["negotiated"]
        assert int(msgs[2].flags) == int(neg["requester_capability_flags"], 16)
        assert int(msgs[3].flags) == int(neg["responder_capability_flags"], 16)
        assert [f"{e.major}.{e.minor}" for e in msgs[1].entries] == neg[
            "responder_version_entries"]


def test_measurement_transcripts_split(spdm_emu: Path, spdm_emu_manifest: dict) -> None:
    count = 0
    for config in _configs(spdm_emu_manifest):
        algos = negotiated_from_manifest(config["negotiated"])
        root = spdm_emu / config["directory"]
        vca = (root / "vca" / "vca_transcript.bin").read_bytes()
        for signed in config["signed_messages"]:
            if signed["kind"] != "MEASUREMENTS":
                continue
            tbs = (root / signed["transcript_file"]).read_bytes()
            if algos.spdm_version >= 0x12:
                assert tbs.startswith(vca) and vca_length(tbs) == len(vca)
                tbs = tbs[len(vca):]
            pairs = iter_measurement_exchanges(tbs, signature_size=algos.s,
                                               digest_size=algos.measurement_digest_size,
                                               tbs=True)
            assert b"".join(q.raw + p.raw for q, p in pairs) == tbs
            response = (root / signed["response_file"]).read_bytes()
            assert pairs[-1][1].raw == response[:len(response) - algos.s]
            # The full (signed) concatenation splits too, signature included.
            full = tbs + response[len(response) - algos.s:]
            again = iter_measurement_exchanges(full, signature_size=algos.s)
            assert again[-1][1].signature == response[-algos.s:]
            count += 1
    assert count >= 17


def test_certificate_chunks_reassemble(spdm_emu: Path, spdm_emu_manifest: dict) -> None:
    for config in _configs(spdm_emu_manifest):
        algos = negotiated_from_manifest(config["negotiated"])
        root = spdm_emu / config["directory"]
        by_slot: dict[int, CertificateAssembler] = {}
        entries = sorted((f for f in config["files"] if f.get("message") == "CERTIFICATE"
                          and f["file"].startswith("certs/")),
                         key=lambda f: int(Path(f["file"]).stem.split("_")[1]))
        for entry in entries:
            req = GetCertificate.decode(
                (root / entry["file"].replace("certificate_", "get_certificate_")).read_bytes())
            rsp = Certificate.decode((root / entry["file"]).read_bytes())
            asm = by_slot.get(rsp.slot_id) or CertificateAssembler(rsp.slot_id)
            if asm.complete:  # The requester fetched the chain again: start over.
                asm = CertificateAssembler(rsp.slot_id)
            by_slot[rsp.slot_id] = asm.add(rsp, req)
        for slot, asm in by_slot.items():
            chain = (root / config["cert_chains"][str(slot)]["chain"]).read_bytes()
            assert asm.chain() == chain
            SpdmCertChain.decode(asm.chain(), algos.h)
