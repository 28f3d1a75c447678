# SPDX-License-Identifier: BSD-3-Clause
"""PSK session establishment: PSK_EXCHANGE(_RSP) and PSK_FINISH(_RSP) (protocols.md §3.15).

The PSK hint, contexts and opaque data have explicit length fields; the
measurement summary hash (H or absent, from the request) and the verify data (H)
do not, so H and the request's summary-hash choice are decode parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devtrust.wire.codec import Reader, Writer, decode_enum
from devtrust.wire.errors import EncodeError
from devtrust.wire.spdm.challenge import MeasurementSummaryHashType
from devtrust.wire.spdm.header import (
    MAX_OPAQUE_DATA,
    RequestCode,
    ResponseCode,
    SpdmVersion,
    read_header,
    require_zero,
    write_header,
)
from devtrust.wire.spdm.session_control import HeaderOnlyMessage, check_opaque, session_policy_bits

__all__ = ["PskExchange", "PskExchangeRsp", "PskFinish", "PskFinishRsp"]

_V11 = SpdmVersion.V11


@dataclass(frozen=True, slots=True)
class PskExchange:
    """PSK_EXCHANGE: ReqSessionID, PSKHint, RequesterContext, OpaqueData (lengths derived)."""

    spdm_version: int
    hash_type: MeasurementSummaryHashType
    req_session_id: int
    psk_hint: bytes
    requester_context: bytes
    opaque_data: bytes = b""
    session_policy: int = 0
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM PSK_EXCHANGE"
    CODE = RequestCode.PSK_EXCHANGE

    def __post_init__(self) -> None:
        check_opaque(self.STRUCTURE, self.opaque_data)
        if self.session_policy & ~session_policy_bits(self.spdm_version):
            raise EncodeError(self.STRUCTURE, "param2", 3, "undefined policy bits")

    @property
    def requester_context_offset(self) -> int:
        return 12 + len(self.psk_hint)

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, int(self.hash_type), self.session_policy)
        w.u16(self.req_session_id, "req_session_id").u16(len(self.psk_hint), "psk_hint_length")
        w.u16(len(self.requester_context), "requester_context_length")
        w.u16(len(self.opaque_data), "opaque_data_length")
        w.raw(self.psk_hint, "psk_hint").raw(self.requester_context, "requester_context")
        w.raw(self.opaque_data, "opaque_data")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> PskExchange:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE, min_version=_V11)
        hash_type = decode_enum(MeasurementSummaryHashType, p1, r, "param1.hash_type", 2)
        r.flags(p2, session_policy_bits(version), "param2.session_policy", offset=3)
        sid = r.u16("req_session_id")
        hint_len = r.u16("psk_hint_length")
        ctx_len = r.u16("requester_context_length")
        at = r.offset
        opaque_len = r.u16("opaque_data_length")
        r.require(opaque_len <= MAX_OPAQUE_DATA, "opaque_data_length", "over 1024 bytes",
                  offset=at)
        hint = r.take(hint_len, "psk_hint")
        ctx = r.take(ctx_len, "requester_context")
        opaque = r.take(opaque_len, "opaque_data")
        r.end()
        return cls(version, hash_type, sid, hint, ctx, opaque, p2, raw=r.data)


@dataclass(frozen=True, slots=True)
class PskExchangeRsp:
    """PSK_EXCHANGE_RSP: summary hash (H or 0), ResponderContext, opaque, ResponderVerifyData."""

    spdm_version: int
    heartbeat_period: int
    rsp_session_id: int
    measurement_summary_hash: bytes
    responder_context: bytes
    opaque_data: bytes
    responder_verify_data: bytes
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM PSK_EXCHANGE_RSP"
    CODE = ResponseCode.PSK_EXCHANGE_RSP

    def __post_init__(self) -> None:
        check_opaque(self.STRUCTURE, self.opaque_data)

    @property
    def responder_verify_data_offset(self) -> int:
        return (12 + len(self.measurement_summary_hash) + len(self.responder_context)
                + len(self.opaque_data))

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, self.heartbeat_period)
        w.u16(self.rsp_session_id, "rsp_session_id").zeros(2)
        w.u16(len(self.responder_context), "responder_context_length")
        w.u16(len(self.opaque_data), "opaque_data_length")
        w.raw(self.measurement_summary_hash, "measurement_summary_hash")
        w.raw(self.responder_context, "responder_context").raw(self.opaque_data, "opaque_data")
        w.raw(self.responder_verify_data, "responder_verify_data")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes, *, hash_size: int, measurement_summary: bool
               ) -> PskExchangeRsp:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE, min_version=_V11)
        require_zero(r, p2, "param2", 3)
        sid = r.u16("rsp_session_id")
        r.reserved(2)
        ctx_len = r.u16("responder_context_length")
        at = r.offset
        opaque_len = r.u16("opaque_data_length")
        r.require(opaque_len <= MAX_OPAQUE_DATA, "opaque_data_length", "over 1024 bytes",
                  offset=at)
        summary = r.take(hash_size if measurement_summary else 0, "measurement_summary_hash")
        ctx = r.take(ctx_len, "responder_context")
        opaque = r.take(opaque_len, "opaque_data")
        verify = r.take(hash_size, "responder_verify_data")
        r.end()
        return cls(version, p1, sid, summary, ctx, opaque, verify, raw=r.data)


@dataclass(frozen=True, slots=True)
class PskFinish:
    """PSK_FINISH: RequesterVerifyData (H)."""

    spdm_version: int
    requester_verify_data: bytes
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM PSK_FINISH"
    CODE = RequestCode.PSK_FINISH

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE)
        w.raw(self.requester_verify_data, "requester_verify_data")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes, *, hash_size: int) -> PskFinish:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE, min_version=_V11)
        require_zero(r, p1, "param1", 2)
        require_zero(r, p2, "param2", 3)
        verify = r.take(hash_size, "requester_verify_data")
        r.end()
        return cls(version, verify, raw=r.data)


@dataclass(frozen=True, slots=True)
class PskFinishRsp(HeaderOnlyMessage):
    STRUCTURE = "SPDM PSK_FINISH_RSP"
    CODE = ResponseCode.PSK_FINISH_RSP
