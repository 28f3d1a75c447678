# SPDX-License-Identifier: BSD-3-Clause
"""Certificate-based session messages: KEY_EXCHANGE(_RSP), FINISH(_RSP), END_SESSION(_ACK).

protocols.md §3.15. Sizes depend on D (DHE), H, S, whether the request asked for
a measurement summary hash and whether handshake happens in the clear, so those
are decode parameters. PSK establishment is in :mod:`session_psk`, HEARTBEAT and
KEY_UPDATE in :mod:`session_control`. Only SPDM 1.1+ has any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devtrust.wire.codec import Reader, Writer, decode_enum
from devtrust.wire.errors import EncodeError
from devtrust.wire.spdm.challenge import MeasurementSummaryHashType
from devtrust.wire.spdm.header import (
    RequestCode,
    ResponseCode,
    SpdmVersion,
    read_header,
    read_opaque,
    require_zero,
    write_header,
)
from devtrust.wire.spdm.session_control import HeaderOnlyMessage, check_opaque, session_policy_bits

__all__ = [
    "RANDOM_SIZE",
    "EndSession",
    "EndSessionAck",
    "Finish",
    "FinishRsp",
    "KeyExchange",
    "KeyExchangeRsp",
]

RANDOM_SIZE = 32
_V11 = SpdmVersion.V11


@dataclass(frozen=True, slots=True)
class EndSessionAck(HeaderOnlyMessage):
    STRUCTURE = "SPDM END_SESSION_ACK"
    CODE = ResponseCode.END_SESSION_ACK


@dataclass(frozen=True, slots=True)
class EndSession:
    """END_SESSION; Param1 bit 0 asks the responder to clear negotiated state."""

    spdm_version: int
    preserve_negotiated_state_clear: bool = False
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM END_SESSION"
    CODE = RequestCode.END_SESSION

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, int(self.preserve_negotiated_state_clear))
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> EndSession:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE, min_version=_V11)
        r.flags(p1, 0x01, "param1", offset=2)
        require_zero(r, p2, "param2", 3)
        r.end()
        return cls(version, bool(p1), raw=r.data)


@dataclass(frozen=True, slots=True)
class KeyExchange:
    """KEY_EXCHANGE. ``exchange_data`` is D bytes (ECDHE X‖Y, big-endian)."""

    spdm_version: int
    hash_type: MeasurementSummaryHashType
    slot_id: int
    req_session_id: int
    random_data: bytes
    exchange_data: bytes
    opaque_data: bytes = b""
    session_policy: int = 0
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM KEY_EXCHANGE"
    CODE = RequestCode.KEY_EXCHANGE

    def __post_init__(self) -> None:
        check_opaque(self.STRUCTURE, self.opaque_data)
        if len(self.random_data) != RANDOM_SIZE:
            raise EncodeError(self.STRUCTURE, "random_data", 8, "RandomData is 32 bytes")
        if self.session_policy & ~session_policy_bits(self.spdm_version):
            raise EncodeError(self.STRUCTURE, "session_policy", 6, "undefined policy bits")

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, int(self.hash_type), self.slot_id)
        w.u16(self.req_session_id, "req_session_id").u8(self.session_policy, "session_policy")
        w.zeros(1).raw(self.random_data, "random_data").raw(self.exchange_data, "exchange_data")
        w.u16(len(self.opaque_data), "opaque_data_length").raw(self.opaque_data, "opaque_data")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes, *, dhe_size: int) -> KeyExchange:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE, min_version=_V11)
        hash_type = decode_enum(MeasurementSummaryHashType, p1, r, "param1.hash_type", 2)
        r.require(p2 <= 7 or p2 == 0xFF, "param2.slot_id", f"slot 0x{p2:02x} invalid", offset=3)
        sid = r.u16("req_session_id")
        at = r.offset
        policy = r.flags(r.u8("session_policy"), session_policy_bits(version), "session_policy",
                         offset=at)
        r.reserved(1)
        rnd = r.take(RANDOM_SIZE, "random_data")
        exch = r.take(dhe_size, "exchange_data")
        opaque = read_opaque(r)
        r.end()
        return cls(version, hash_type, p2, sid, rnd, exch, opaque, policy, raw=r.data)


@dataclass(frozen=True, slots=True)
class KeyExchangeRsp:
    """KEY_EXCHANGE_RSP. ``responder_verify_data`` is empty with handshake in the clear."""

    spdm_version: int
    heartbeat_period: int
    rsp_session_id: int
    mut_auth_requested: int
    req_slot_id_param: int
    random_data: bytes
    exchange_data: bytes
    measurement_summary_hash: bytes
    opaque_data: bytes
    signature: bytes
    responder_verify_data: bytes = b""
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM KEY_EXCHANGE_RSP"
    CODE = ResponseCode.KEY_EXCHANGE_RSP

    def __post_init__(self) -> None:
        check_opaque(self.STRUCTURE, self.opaque_data)
        if len(self.random_data) != RANDOM_SIZE:
            raise EncodeError(self.STRUCTURE, "random_data", 8, "RandomData is 32 bytes")

    def _encode_unsigned(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, self.heartbeat_period)
        w.u16(self.rsp_session_id, "rsp_session_id")
        w.u8(self.mut_auth_requested, "mut_auth_requested")
        w.u8(self.req_slot_id_param, "req_slot_id_param")
        w.raw(self.random_data, "random_data").raw(self.exchange_data, "exchange_data")
        w.raw(self.measurement_summary_hash, "measurement_summary_hash")
        w.u16(len(self.opaque_data), "opaque_data_length").raw(self.opaque_data, "opaque_data")
        return w.getvalue()

    @property
    def signature_offset(self) -> int:
        return len(self._encode_unsigned())

    @property
    def unsigned_bytes(self) -> bytes:
        """Received bytes up to (not including) the signature: TH1's last part for signing."""
        return (self.raw or self.encode())[:self.signature_offset]

    def encode(self) -> bytes:
        return self._encode_unsigned() + self.signature + self.responder_verify_data

    @classmethod
    def decode(cls, data: bytes, *, dhe_size: int, hash_size: int, signature_size: int,
               measurement_summary: bool, handshake_in_the_clear: bool = False
               ) -> KeyExchangeRsp:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE, min_version=_V11)
        require_zero(r, p2, "param2", 3)
        sid = r.u16("rsp_session_id")
        at = r.offset
        # MutAuthRequested bits: 0 requested, 1 with ENCAP_REQUEST, 2 with GET_DIGESTS.
        mut = r.flags(r.u8("mut_auth_requested"), 0x07, "mut_auth_requested", offset=at)
        at = r.offset
        slot = r.flags(r.u8("req_slot_id_param"), 0x0F, "req_slot_id_param", offset=at)
        rnd = r.take(RANDOM_SIZE, "random_data")
        exch = r.take(dhe_size, "exchange_data")
        summary = r.take(hash_size if measurement_summary else 0, "measurement_summary_hash")
        opaque = read_opaque(r)
        sig = r.take(signature_size, "signature")
        verify = r.take(0 if handshake_in_the_clear else hash_size, "responder_verify_data")
        r.end()
        return cls(version, p1, sid, mut, slot, rnd, exch, summary, opaque, sig, verify,
                   raw=r.data)


@dataclass(frozen=True, slots=True)
class Finish:
    """FINISH: optional requester signature (mutual auth) then RequesterVerifyData (H)."""

    spdm_version: int
    requester_verify_data: bytes
    signature: bytes = b""
    req_slot_id: int = 0
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM FINISH"
    CODE = RequestCode.FINISH

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, int(bool(self.signature)), self.req_slot_id)
        w.raw(self.signature, "signature").raw(self.requester_verify_data,
                                              "requester_verify_data")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes, *, hash_size: int, signature_size: int) -> Finish:
        """``signature_size`` is the requester's S, used only when Param1 bit 0 is set."""
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE, min_version=_V11)
        r.flags(p1, 0x01, "param1", offset=2)
        r.require(p2 <= 7 or p2 == 0xFF, "param2.req_slot_id", f"slot 0x{p2:02x} invalid",
                  offset=3)
        sig = r.take(signature_size if p1 & 1 else 0, "signature")
        r.require(bool(sig) == bool(p1 & 1), "param1", "signature flag without signature",
                  offset=2)
        verify = r.take(hash_size, "requester_verify_data")
        r.end()
        return cls(version, verify, sig, p2, raw=r.data)


@dataclass(frozen=True, slots=True)
class FinishRsp:
    """FINISH_RSP; ResponderVerifyData (H) only with handshake in the clear."""

    spdm_version: int
    responder_verify_data: bytes = b""
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM FINISH_RSP"
    CODE = ResponseCode.FINISH_RSP

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE)
        w.raw(self.responder_verify_data, "responder_verify_data")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes, *, hash_size: int, handshake_in_the_clear: bool = False
               ) -> FinishRsp:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE, min_version=_V11)
        require_zero(r, p1, "param1", 2)
        require_zero(r, p2, "param2", 3)
        verify = r.take(hash_size if handshake_in_the_clear else 0, "responder_verify_data")
        r.end()
        return cls(version, verify, raw=r.data)


