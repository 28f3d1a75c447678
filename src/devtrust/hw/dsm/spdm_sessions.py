# SPDX-License-Identifier: BSD-3-Clause
"""Session handlers of the SPDM responder: KEY_EXCHANGE, FINISH, END_SESSION (§3.15).

TH1 = VCA ‖ Hash(slot chain as served) ‖ KEY_EXCHANGE ‖ KEY_EXCHANGE_RSP up to the
signature; the signature covers TH1, ResponderVerifyData = HMAC(rsp finished key,
Hash(TH1 ‖ signature)); RequesterVerifyData covers that plus ResponderVerifyData and the
FINISH header. Keys come from :mod:`devtrust.hw.dsm.session`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from devtrust.hw.dsm.session import (
    SessionState,
    SpdmSession,
    dhe_private_key,
    dhe_public_bytes,
    dhe_shared_secret,
    finished_keys,
    verify_data,
)
from devtrust.wire.spdm.algorithms import dhe_size
from devtrust.wire.spdm.challenge import MeasurementSummaryHashType
from devtrust.wire.spdm.error import ErrorCode
from devtrust.wire.spdm.header import SpdmVersion
from devtrust.wire.spdm.session import (
    EndSession,
    EndSessionAck,
    Finish,
    FinishRsp,
    KeyExchange,
    KeyExchangeRsp,
)
from devtrust.wire.spdm.signing import CONTEXT_KEY_EXCHANGE_RSP

__all__ = ["SessionHandlers"]

_ERR_INVALID_REQUEST = ErrorCode.INVALID_REQUEST
_ERR_UNEXPECTED = ErrorCode.UNEXPECTED_REQUEST
_ERR_SESSION_REQUIRED = ErrorCode.SESSION_REQUIRED


class SessionHandlers:
    """Mixin of :class:`~devtrust.hw.dsm.spdm_responder.SpdmResponder`: the session
    requests. The attributes below are provided by the responder."""

    conn: Any
    sessions: dict[int, SpdmSession]
    _drbg: Any
    _next_rsp_id: int
    _session_ended: Callable[[int, bool], None]
    _error: Callable[..., bytes]
    _sign: Callable[[int, str, bytes], bytes]
    chain: Callable[[int], bytes]
    slots: dict[int, Any]
    _measurements: Callable[[], Any]
    _measurement_hash: Callable[[], str]

    def key_exchange(self, request: bytes, session_id: int | None) -> bytes:
        """KEY_EXCHANGE -> KEY_EXCHANGE_RSP; the session starts in the handshake phase."""
        algos = self.conn.algorithms
        assert algos is not None
        if session_id is not None:
            return self._error(_ERR_UNEXPECTED)
        req = KeyExchange.decode(request, dhe_size=dhe_size(algos.dhe))
        if req.slot_id not in self.slots:
            return self._error(_ERR_INVALID_REQUEST)
        ephemeral = dhe_private_key(self._drbg.bytes(64), algos.dhe)
        try:
            shared = dhe_shared_secret(ephemeral, req.exchange_data)
        except ValueError:
            return self._error(_ERR_INVALID_REQUEST)
        summary = b""
        if req.hash_type is not MeasurementSummaryHashType.NONE:
            summary = self._measurements().summary_hash(
                algos.hash_name, self._measurement_hash(),
                tcb_only=req.hash_type is MeasurementSummaryHashType.TCB)
        rsp_id = self._next_rsp_id
        self._next_rsp_id = rsp_id - 1 if rsp_id > 1 else 0xFFFE
        rsp = KeyExchangeRsp(self.conn.version, 0, rsp_id, 0, 0, self._drbg.bytes(32),
                             dhe_public_bytes(ephemeral), summary, b"", b"")
        unsigned = rsp.unsigned_bytes
        chain_hash = hashlib.new(algos.hash_name, self.chain(req.slot_id)).digest()
        th = bytearray(self.conn.vca) + chain_hash + request + unsigned
        signature = self._sign(req.slot_id, CONTEXT_KEY_EXCHANGE_RSP, bytes(th))
        th += signature
        req_key, rsp_key = finished_keys(algos.hash_name, self.conn.version, shared, bytes(th))
        verify = verify_data(algos.hash_name, rsp_key, bytes(th))
        th += verify
        sid = rsp_id << 16 | req.req_session_id
        self.sessions[sid] = SpdmSession(sid, req.slot_id, SessionState.HANDSHAKE, th,
                                         req_key, rsp_key)
        return unsigned + signature + verify


    def finish(self, request: bytes, session_id: int | None) -> bytes | None:
        """FINISH (inside the handshake session) -> FINISH_RSP; the session is established."""
        algos = self.conn.algorithms
        assert algos is not None
        session = self.sessions.get(session_id) if session_id is not None else None
        if session is None or session.state is not SessionState.HANDSHAKE:
            return self._error(_ERR_UNEXPECTED)
        req = Finish.decode(request, hash_size=algos.h, signature_size=0)
        expected = verify_data(algos.hash_name, session.req_finished_key,
                               bytes(session.th) + request[:len(request) - algos.h])
        if not hmac.compare_digest(expected, req.requester_verify_data):
            # A wrong RequesterVerifyData kills the handshake (DecryptError in DSP0277).
            del self.sessions[session.session_id]
            return self._error(ErrorCode.DECRYPT_ERROR)
        session.state = SessionState.ESTABLISHED
        response = FinishRsp(self.conn.version).encode()
        session.th += request + response
        return response


    def end_session(self, request: bytes, session_id: int | None) -> bytes:
        """END_SESSION -> END_SESSION_ACK; TDIs locked over the session go to ERROR."""
        EndSession.decode(request)
        if session_id is None or session_id not in self.sessions:
            return self._error(_ERR_SESSION_REQUIRED if self.conn.version >= SpdmVersion.V12
                               else _ERR_UNEXPECTED)
        response = EndSessionAck(self.conn.version).encode()
        del self.sessions[session_id]
        self._session_ended(session_id, False)  # orderly END_SESSION
        return response
