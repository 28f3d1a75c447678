# SPDX-License-Identifier: BSD-3-Clause
"""SPDM responder: signatures checked independently with ``cryptography``, transcripts
byte-equal to protocols.md §3.11, chunked certificates, ERROR rules, session gating."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509 import load_der_x509_certificate
from dsm_rig import identity, make_dsm

from devtrust.hw.keys import KeyType
from devtrust.hw.rng import Drbg
from devtrust.hw.tsm.requester import SpdmRequester
from devtrust.wire.spdm.certchain import SpdmCertChain
from devtrust.wire.spdm.challenge import Challenge, ChallengeAuth, MeasurementSummaryHashType
from devtrust.wire.spdm.digests import Digests, GetDigests
from devtrust.wire.spdm.error import ErrorCode, ErrorResponse
from devtrust.wire.spdm.header import ResponseCode
from devtrust.wire.spdm.measurements import (
    ALL_MEASUREMENTS,
    COUNT_ONLY,
    GetMeasurements,
    MeasurementAttributes,
    Measurements,
)
from devtrust.wire.spdm.session import EndSession, Finish
from devtrust.wire.spdm.signing import (
    CONTEXT_CHALLENGE_AUTH,
    CONTEXT_MEASUREMENTS,
    signed_message,
)
from devtrust.wire.spdm.vendor import PciProtocol, VendorDefinedMessage
from devtrust.wire.spdm.version import GetVersion
from devtrust.wire.tdisp.header import FunctionId
from devtrust.wire.tdisp.requests import GetTdispVersion

_HASH = {"sha256": hashes.SHA256, "sha384": hashes.SHA384}
VERSIONS = [0x11, 0x12, 0x13]
KEYS = [KeyType.ECDSA_P256, KeyType.ECDSA_P384]


def verify(key_type: KeyType, version: int, context: str, transcript: bytes,
           signature: bytes) -> None:
    """Independent check: leaf public key, r‖s big-endian, signed_message bytes."""
    leaf = load_der_x509_certificate(identity(key_type).chain[-1])
    hash_name = "sha256" if key_type is KeyType.ECDSA_P256 else "sha384"
    half = len(signature) // 2
    der = encode_dss_signature(int.from_bytes(signature[:half], "big"),
                               int.from_bytes(signature[half:], "big"))
    public = leaf.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(der, signed_message(version, context, transcript, hash_name),
                  ec.ECDSA(_HASH[hash_name]()))


def connect(version: int, key_type: KeyType, **kw: object) -> tuple[SpdmRequester, object]:
    dsm = make_dsm(versions=(version,), key_type=key_type, **kw)
    req = SpdmRequester(dsm.mailbox, Drbg(b"req", "requester"))
    req.negotiate(versions=(version,))
    return req, dsm


@pytest.mark.parametrize("key_type", KEYS)
@pytest.mark.parametrize("version", VERSIONS)
def test_signed_measurements_verify(version: int, key_type: KeyType) -> None:
    req, _ = connect(version, key_type)
    nonce = bytes(range(32))
    transcript, decoded = req.measurements(nonce)
    a = req.algorithms
    assert a.spdm_version == version
    assert len(decoded.signature) == a.s and len(decoded.blocks) == 7
    request = transcript[:len(transcript) - len(decoded.raw)]
    # L1/L2 (§3.11): VCA prefix from 1.2 on, then the pair without the signature.
    prefix = req.conn.vca if version >= 0x12 else b""
    tbs = prefix + request + decoded.unsigned_bytes
    verify(key_type, version, CONTEXT_MEASUREMENTS, tbs, decoded.signature)
    with pytest.raises(InvalidSignature):
        verify(key_type, version, CONTEXT_MEASUREMENTS, tbs + b"\x00", decoded.signature)


@pytest.mark.parametrize("key_type", KEYS)
@pytest.mark.parametrize("version", VERSIONS)
def test_challenge_auth_verifies(version: int, key_type: KeyType) -> None:
    req, dsm = connect(version, key_type)
    a = req.algorithms
    digests_req = GetDigests(version).encode()
    digests_rsp = req.exchange(digests_req, ResponseCode.DIGESTS)
    assert Digests.decode(digests_rsp, a.h).slots == (0,)
    chain = req.certificate(0, buffer=300)
    cert_msgs = b"".join(x.request + (x.response or b"") for x in dsm.mailbox.trace
                         if x.request[1] == 0x82)
    nonce = Drbg(b"n", "n").bytes(32)
    ctx = b"\x07" * 8 if version >= 0x13 else b""
    challenge = Challenge(version, 0, MeasurementSummaryHashType.ALL, nonce, ctx).encode()
    raw = req.exchange(challenge, ResponseCode.CHALLENGE_AUTH)
    auth = ChallengeAuth.decode(raw, hash_size=a.h, signature_size=a.s,
                                measurement_summary=True)
    assert auth.cert_chain_hash == hashlib.new(a.hash_name, chain).digest()
    assert auth.requester_context == ctx
    summary = dsm.measurements.summary_hash(a.hash_name, a.hash_name, tcb_only=False)
    assert auth.measurement_summary_hash == summary
    m = req.conn.vca + digests_req + digests_rsp + cert_msgs + challenge + auth.unsigned_bytes
    verify(key_type, version, CONTEXT_CHALLENGE_AUTH, m, auth.signature)


def test_vca_is_the_six_messages() -> None:
    req, dsm = connect(0x12, KeyType.ECDSA_P384)
    trace = dsm.mailbox.trace
    assert len(trace) == 3
    assert req.conn.vca == b"".join(x.request + x.response for x in trace)
    assert trace[0].request == GetVersion().encode()


def test_certificate_chunks_reassemble() -> None:
    req, dsm = connect(0x12, KeyType.ECDSA_P384)
    expected = identity(KeyType.ECDSA_P384).spdm_chain("sha384")
    assert req.certificate(0, buffer=97) == expected
    portions = [len(x.response) - 8 for x in dsm.mailbox.trace if x.request[1] == 0x82]
    assert len(portions) == -(-len(expected) // 97) and max(portions) <= 97
    # The responder's own cap (0x400) applies even to a 0xFFFF request.
    assert req.certificate(0) == expected
    decoded = SpdmCertChain.decode(expected, 48)
    assert decoded.root_hash_matches("sha384")


def test_digest_is_hash_of_chain() -> None:
    req, _ = connect(0x12, KeyType.ECDSA_P384)
    digests = req.digests()
    assert digests.slot_mask == 1
    assert digests.digest_for(0) == hashlib.sha384(req.certificate(0)).digest()


def _meas(version: int, signed: bool, op: int = ALL_MEASUREMENTS) -> bytes:
    attrs = MeasurementAttributes.SIGNATURE_REQUESTED if signed else MeasurementAttributes.NONE
    return GetMeasurements(version, attrs, op, bytes(32) if signed else b"").encode()


def test_l1_l2_accumulates_unsigned_then_resets() -> None:
    req, _ = connect(0x12, KeyType.ECDSA_P384)
    a = req.algorithms
    first = _meas(0x12, False, COUNT_ONLY)
    r1 = req.exchange(first, ResponseCode.MEASUREMENTS)
    assert Measurements.decode(r1).total_measurement_indices == 7
    second = _meas(0x12, False, 2)
    r2 = req.exchange(second, ResponseCode.MEASUREMENTS)
    third = _meas(0x12, True)
    r3 = req.exchange(third, ResponseCode.MEASUREMENTS)
    signed = Measurements.decode(r3, signature_size=a.s)
    tbs = req.conn.vca + first + r1 + second + r2 + third + signed.unsigned_bytes
    verify(KeyType.ECDSA_P384, 0x12, CONTEXT_MEASUREMENTS, tbs, signed.signature)
    # After a signed response the transcript restarts; another request type resets it too.
    req.exchange(_meas(0x12, False, 1), ResponseCode.MEASUREMENTS)
    req.digests()
    fourth = _meas(0x12, True)
    r4 = Measurements.decode(req.exchange(fourth, ResponseCode.MEASUREMENTS), signature_size=a.s)
    verify(KeyType.ECDSA_P384, 0x12, CONTEXT_MEASUREMENTS,
           req.conn.vca + fourth + r4.unsigned_bytes, r4.signature)


def _error(raw: bytes | None) -> ErrorResponse:
    assert raw is not None
    return ErrorResponse.decode(raw)


def test_requests_out_of_order_are_unexpected() -> None:
    dsm = make_dsm()
    assert _error(dsm.mailbox.exchange(GetDigests(0x12).encode())).error_code \
        == ErrorCode.UNEXPECTED_REQUEST
    req = SpdmRequester(dsm.mailbox, Drbg(b"r", "r"))
    req.negotiate()
    # A second VCA step without GET_VERSION is out of order.
    raw = next(x.request for x in dsm.mailbox.trace if x.request[1] == 0xE1)
    assert _error(dsm.mailbox.exchange(raw)).error_code == ErrorCode.UNEXPECTED_REQUEST


def test_version_mismatch_and_unsupported() -> None:
    _, dsm = connect(0x12, KeyType.ECDSA_P384)
    assert _error(dsm.mailbox.exchange(GetDigests(0x13).encode())).error_code \
        == ErrorCode.VERSION_MISMATCH
    err = _error(dsm.mailbox.exchange(bytes([0x12, 0xED, 0, 0])))
    assert err.error_code == ErrorCode.UNSUPPORTED_REQUEST and err.error_data == 0xED
    assert _error(dsm.mailbox.exchange(bytes([0x12, 0x81, 0, 0, 0]))).error_code \
        == ErrorCode.INVALID_REQUEST


def _tdisp_vdm(version: int = 0x12) -> bytes:
    body = GetTdispVersion(FunctionId.from_requester_id(0x0100)).encode()
    return VendorDefinedMessage.pci_sig(version, True, PciProtocol.TDISP, body).encode()


def test_tdisp_and_ide_km_outside_a_session_get_no_response() -> None:
    req, dsm = connect(0x12, KeyType.ECDSA_P384)
    assert dsm.mailbox.exchange(_tdisp_vdm()) is None
    ide = VendorDefinedMessage.pci_sig(0x12, True, PciProtocol.IDE_KM, b"\x00\x00\x00").encode()
    assert dsm.mailbox.exchange(ide) is None
    # Unknown session id: nothing either.
    assert dsm.mailbox.exchange_secured(0x12345678, _tdisp_vdm()) is None
    sid = req.key_exchange(req.certificate(0))
    raw = dsm.mailbox.exchange_secured(sid, _tdisp_vdm())
    assert raw is not None and VendorDefinedMessage.decode(raw).pci_body[1] == 0x01
    req.end_session()
    assert dsm.mailbox.exchange_secured(sid, _tdisp_vdm()) is None


def test_handshake_session_only_accepts_finish() -> None:
    req, dsm = connect(0x12, KeyType.ECDSA_P384)
    chain = req.certificate(0)
    sid = req.key_exchange(chain)
    assert dsm.spdm.sessions[sid].state.value == "established"
    # A FINISH with wrong verify data kills a handshake.
    req2, dsm2 = connect(0x12, KeyType.ECDSA_P384)
    from devtrust.hw.dsm.session import dhe_private_key, dhe_public_bytes
    from devtrust.wire.spdm.session import KeyExchange
    a = req2.algorithms
    eph = dhe_private_key(bytes(64), a.dhe)
    ke = KeyExchange(0x12, MeasurementSummaryHashType.NONE, 0, 7, bytes(32),
                     dhe_public_bytes(eph)).encode()
    rsp = req2.exchange(ke, ResponseCode.KEY_EXCHANGE_RSP)
    sid2 = int.from_bytes(rsp[4:6], "little") << 16 | 7
    assert dsm2.mailbox.exchange_secured(sid2, _tdisp_vdm()) is None
    bad = Finish(0x12, bytes(a.h)).encode()
    assert _error(dsm2.mailbox.exchange_secured(sid2, bad)).error_code == ErrorCode.DECRYPT_ERROR
    assert sid2 not in dsm2.spdm.sessions


def test_end_session_outside_session_refused() -> None:
    _, dsm = connect(0x12, KeyType.ECDSA_P384)
    assert _error(dsm.mailbox.exchange(EndSession(0x12).encode())).error_code \
        == ErrorCode.SESSION_REQUIRED
