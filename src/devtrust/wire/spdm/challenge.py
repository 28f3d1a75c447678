# SPDX-License-Identifier: BSD-3-Clause
"""CHALLENGE / CHALLENGE_AUTH (protocols.md §3.8).

CHALLENGE_AUTH's field sizes depend on H (hash), S (signature) and whether the
request asked for a MeasurementSummaryHash, so those are decode parameters. The
signature covers the transcript ending with ``unsigned_bytes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from devtrust.wire.codec import Reader, Writer, decode_enum
from devtrust.wire.errors import EncodeError
from devtrust.wire.spdm.header import (
    MAX_OPAQUE_DATA,
    NONCE_SIZE,
    RequestCode,
    ResponseCode,
    SpdmVersion,
    read_header,
    read_opaque,
    requester_context_size,
    write_header,
)

__all__ = ["Challenge", "ChallengeAuth", "MeasurementSummaryHashType"]

PUBLIC_KEY_SLOT = 0xFF  # pre-provisioned public key instead of a certificate slot


class MeasurementSummaryHashType(IntEnum):
    NONE = 0x00
    TCB = 0x01
    ALL = 0xFF



@dataclass(frozen=True, slots=True)
class Challenge:
    """CHALLENGE: slot (0-7 or 0xFF), summary hash type, nonce, 1.3 RequesterContext."""

    spdm_version: int
    slot_id: int
    hash_type: MeasurementSummaryHashType
    nonce: bytes
    requester_context: bytes = b""
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM CHALLENGE"
    CODE = RequestCode.CHALLENGE

    def __post_init__(self) -> None:
        if not (0 <= self.slot_id <= 7 or self.slot_id == PUBLIC_KEY_SLOT):
            raise EncodeError(self.STRUCTURE, "param1", 2, "slot must be 0..7 or 0xFF")
        if (len(self.nonce) != NONCE_SIZE
                or len(self.requester_context) != requester_context_size(self.spdm_version)):
            raise EncodeError(self.STRUCTURE, "nonce", 4, "wrong nonce/context size")

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, self.slot_id, int(self.hash_type))
        w.raw(self.nonce, "nonce").raw(self.requester_context, "requester_context")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Challenge:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE)
        r.require(p1 <= 7 or p1 == PUBLIC_KEY_SLOT, "param1.slot_id",
                  f"slot 0x{p1:02x} not 0..7 or 0xFF", offset=2)
        hash_type = decode_enum(MeasurementSummaryHashType, p2, r, "param2.hash_type", 3)
        nonce = r.take(NONCE_SIZE, "nonce")
        ctx = r.take(requester_context_size(version), "requester_context")
        r.end()
        return cls(version, p1, hash_type, nonce, ctx, raw=r.data)


@dataclass(frozen=True, slots=True)
class ChallengeAuth:
    """CHALLENGE_AUTH. ``measurement_summary_hash`` is empty when the request type was NONE."""

    spdm_version: int
    slot_id: int
    slot_mask: int
    cert_chain_hash: bytes
    nonce: bytes
    measurement_summary_hash: bytes
    opaque_data: bytes
    signature: bytes
    requester_context: bytes = b""
    basic_mut_auth_req: bool = False
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM CHALLENGE_AUTH"
    CODE = ResponseCode.CHALLENGE_AUTH

    def __post_init__(self) -> None:
        if not (0 <= self.slot_id <= 7 or self.slot_id == 0xF):
            raise EncodeError(self.STRUCTURE, "param1", 2, "slot must be 0..7 or 0xF")
        if self.basic_mut_auth_req and self.spdm_version != SpdmVersion.V11:
            raise EncodeError(self.STRUCTURE, "param1", 2, "BasicMutAuthReq is 1.1 only")
        if (len(self.nonce) != NONCE_SIZE or len(self.opaque_data) > MAX_OPAQUE_DATA
                or len(self.requester_context) != requester_context_size(self.spdm_version)):
            raise EncodeError(self.STRUCTURE, "nonce", 0, "wrong nonce/opaque/context size")

    @property
    def signature_offset(self) -> int:
        return len(self.encode_unsigned())

    @property
    def unsigned_bytes(self) -> bytes:
        """The received bytes minus the trailing signature (the transcript's last part)."""
        data = self.raw or self.encode()
        return data[:len(data) - len(self.signature)]

    def encode_unsigned(self) -> bytes:
        w = Writer(self.STRUCTURE)
        p1 = self.slot_id | (0x80 if self.basic_mut_auth_req else 0)
        write_header(w, self.spdm_version, self.CODE, p1, self.slot_mask)
        w.raw(self.cert_chain_hash, "cert_chain_hash").raw(self.nonce, "nonce")
        w.raw(self.measurement_summary_hash, "measurement_summary_hash")
        w.u16(len(self.opaque_data), "opaque_data_length").raw(self.opaque_data, "opaque_data")
        w.raw(self.requester_context, "requester_context")
        return w.getvalue()

    def encode(self) -> bytes:
        return self.encode_unsigned() + self.signature

    @classmethod
    def decode(cls, data: bytes, *, hash_size: int, signature_size: int,
               measurement_summary: bool) -> ChallengeAuth:
        """``measurement_summary``: the CHALLENGE asked for a summary hash (type != NONE)."""
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE)
        # Bit 7 is BasicMutAuthReq in 1.1 (deprecated from 1.2); bits 6:4 are reserved.
        r.flags(p1, 0x8F if version == SpdmVersion.V11 else 0x0F, "param1", offset=2)
        slot = p1 & 0x0F
        r.require(slot <= 7 or slot == 0xF, "param1.slot_id", f"slot {slot} invalid", offset=2)
        cert_hash = r.take(hash_size, "cert_chain_hash")
        nonce = r.take(NONCE_SIZE, "nonce")
        summary = r.take(hash_size if measurement_summary else 0, "measurement_summary_hash")
        opaque = read_opaque(r)
        ctx = r.take(requester_context_size(version), "requester_context")
        sig = r.take(signature_size, "signature")
        r.end()
        return cls(version, slot, p2, cert_hash, nonce, summary, opaque, sig, ctx,
                   bool(p1 & 0x80), raw=r.data)
