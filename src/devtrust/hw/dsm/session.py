# SPDX-License-Identifier: BSD-3-Clause
"""SPDM secure-session state and the handshake key schedule (protocols.md §3.15).

Sessions are modelled without AEAD (the transport passes application data in the clear),
but establishment is real: an ECDHE exchange on the negotiated curve, a KEY_EXCHANGE_RSP
signed over TH1, and ResponderVerifyData / RequesterVerifyData HMACs derived with the
libspdm key schedule (HKDF, ``BinConcat`` labels "spdm1.X "). Both the DSM and the link
TSM use these functions, so a mismatch shows up as a failed FINISH, not as silence.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import Enum

from cryptography.hazmat.primitives.asymmetric import ec

from devtrust.wire.spdm.algorithms import DheAlgo

__all__ = [
    "SessionState",
    "SpdmSession",
    "bin_concat",
    "dhe_private_key",
    "dhe_public_bytes",
    "dhe_shared_secret",
    "finished_keys",
    "verify_data",
]

_CURVES = {DheAlgo.SECP256R1: (ec.SECP256R1, 32), DheAlgo.SECP384R1: (ec.SECP384R1, 48)}


class SessionState(Enum):
    HANDSHAKE = "handshake"
    ESTABLISHED = "established"


@dataclass(slots=True)
class SpdmSession:
    """One session (mutable): id, slot, state, TH transcript and finished keys."""

    session_id: int
    slot_id: int
    state: SessionState
    th: bytearray
    req_finished_key: bytes
    rsp_finished_key: bytes


def dhe_private_key(scalar_source: bytes, dhe: DheAlgo) -> ec.EllipticCurvePrivateKey:
    """A deterministic ephemeral key on the ``dhe`` curve from ``scalar_source`` bytes."""
    curve, size = _CURVES[DheAlgo(dhe)]
    order = {32: int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16),
             48: int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB2"
                     "48B0A77AECEC196ACCC52973", 16)}[size]
    scalar = 1 + int.from_bytes(scalar_source[:size + 8], "big") % (order - 1)
    return ec.derive_private_key(scalar, curve())


def dhe_public_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    """ExchangeData: X ‖ Y, big-endian, fixed width."""
    numbers = key.public_key().public_numbers()
    size = (key.curve.key_size + 7) // 8
    return numbers.x.to_bytes(size, "big") + numbers.y.to_bytes(size, "big")


def dhe_shared_secret(key: ec.EllipticCurvePrivateKey, peer: bytes) -> bytes:
    """ECDH with the peer's X ‖ Y; ValueError for a point not on the curve."""
    size = (key.curve.key_size + 7) // 8
    if len(peer) != 2 * size:
        raise ValueError("ExchangeData has the wrong size for the curve")
    public = ec.EllipticCurvePublicKey.from_encoded_point(key.curve, b"\x04" + peer)
    return key.exchange(ec.ECDH(), public)


def bin_concat(length: int, version: int, label: str, context: bytes = b"") -> bytes:
    """BinConcat(Length, "spdm1.X " ‖ label, context) (§3.15)."""
    prefix = f"spdm{version >> 4}.{version & 0xF} ".encode()
    return length.to_bytes(2, "little") + prefix + label.encode() + context


def _expand(hash_name: str, secret: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([counter]), hash_name).digest()
        out += block
        counter += 1
    return out[:length]


def finished_keys(hash_name: str, version: int, shared: bytes, th1: bytes) -> tuple[bytes, bytes]:
    """(requester, responder) finished keys for the handshake hashed as ``th1``."""
    size = hashlib.new(hash_name).digest_size
    handshake = hmac.new(bytes(size), shared, hash_name).digest()  # HKDF-Extract
    th_hash = hashlib.new(hash_name, th1).digest()
    keys = []
    for label in ("req hs data", "rsp hs data"):
        secret = _expand(hash_name, handshake, bin_concat(size, version, label, th_hash), size)
        keys.append(_expand(hash_name, secret, bin_concat(size, version, "finished"), size))
    return keys[0], keys[1]


def verify_data(hash_name: str, finished_key: bytes, transcript: bytes) -> bytes:
    """HMAC(finished_key, Hash(transcript)): Responder/RequesterVerifyData."""
    return hmac.new(finished_key, hashlib.new(hash_name, transcript).digest(),
                    hash_name).digest()
