# SPDX-License-Identifier: BSD-3-Clause
"""Decode any supported SPDM message by its code (protocols.md §3.1).

Some responses cannot be sized from their own bytes: they need the negotiated
algorithms (H, S, D) and facts from the request they answer (was a summary hash
or a signature asked for?). :data:`NEEDS` lists, per code, which of those a
decode requires; :func:`decode_message` raises WireError when one is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from devtrust.wire.errors import UnknownCodeError, WireError
from devtrust.wire.spdm.algorithms import NegotiatedAlgorithms, signature_size
from devtrust.wire.spdm.algorithms_msg import Algorithms, NegotiateAlgorithms
from devtrust.wire.spdm.capabilities import Capabilities, GetCapabilities
from devtrust.wire.spdm.certificate import Certificate, GetCertificate
from devtrust.wire.spdm.challenge import Challenge, ChallengeAuth, MeasurementSummaryHashType
from devtrust.wire.spdm.digests import Digests, GetDigests
from devtrust.wire.spdm.error import ErrorResponse, RespondIfReady
from devtrust.wire.spdm.header import RequestCode, ResponseCode, peek_code
from devtrust.wire.spdm.measurements import GetMeasurements, Measurements
from devtrust.wire.spdm.session import (
    EndSession,
    EndSessionAck,
    Finish,
    FinishRsp,
    KeyExchange,
    KeyExchangeRsp,
)
from devtrust.wire.spdm.session_control import (
    Heartbeat,
    HeartbeatAck,
    KeyUpdate,
    KeyUpdateAck,
)
from devtrust.wire.spdm.session_psk import PskExchange, PskExchangeRsp, PskFinish, PskFinishRsp
from devtrust.wire.spdm.vendor import VendorDefinedMessage
from devtrust.wire.spdm.version import GetVersion, Version

__all__ = ["NEEDS", "SpdmMessage", "decode_message", "is_request_code"]

SpdmMessage = (
    GetVersion | Version | GetCapabilities | Capabilities | NegotiateAlgorithms | Algorithms
    | GetDigests | Digests | GetCertificate | Certificate | Challenge | ChallengeAuth
    | GetMeasurements | Measurements | ErrorResponse | RespondIfReady | KeyExchange
    | KeyExchangeRsp | Finish | FinishRsp | PskExchange | PskExchangeRsp | PskFinish
    | PskFinishRsp | Heartbeat | HeartbeatAck | KeyUpdate | KeyUpdateAck | EndSession
    | EndSessionAck | VendorDefinedMessage
)

_STRUCTURE = "SPDM message"

# Per code: "algos" = needs NegotiatedAlgorithms; "request" = needs the decoded request.
NEEDS: dict[int, frozenset[str]] = {
    ResponseCode.DIGESTS: frozenset({"algos"}),
    ResponseCode.CHALLENGE_AUTH: frozenset({"algos", "request"}),
    ResponseCode.MEASUREMENTS: frozenset({"algos", "request"}),
    RequestCode.KEY_EXCHANGE: frozenset({"algos"}),
    ResponseCode.KEY_EXCHANGE_RSP: frozenset({"algos", "request"}),
    RequestCode.FINISH: frozenset({"algos"}),
    ResponseCode.FINISH_RSP: frozenset({"algos"}),
    ResponseCode.PSK_EXCHANGE_RSP: frozenset({"algos", "request"}),
    RequestCode.PSK_FINISH: frozenset({"algos"}),
}

_PLAIN: dict[int, Callable[[bytes], Any]] = {
    RequestCode.GET_VERSION: GetVersion.decode,
    ResponseCode.VERSION: Version.decode,
    RequestCode.GET_CAPABILITIES: GetCapabilities.decode,
    ResponseCode.CAPABILITIES: Capabilities.decode,
    RequestCode.NEGOTIATE_ALGORITHMS: NegotiateAlgorithms.decode,
    ResponseCode.ALGORITHMS: Algorithms.decode,
    RequestCode.GET_DIGESTS: GetDigests.decode,
    RequestCode.GET_CERTIFICATE: GetCertificate.decode,
    ResponseCode.CERTIFICATE: Certificate.decode,
    RequestCode.CHALLENGE: Challenge.decode,
    RequestCode.GET_MEASUREMENTS: GetMeasurements.decode,
    ResponseCode.ERROR: ErrorResponse.decode,
    RequestCode.RESPOND_IF_READY: RespondIfReady.decode,
    RequestCode.PSK_EXCHANGE: PskExchange.decode,
    ResponseCode.PSK_FINISH_RSP: PskFinishRsp.decode,
    RequestCode.HEARTBEAT: Heartbeat.decode,
    ResponseCode.HEARTBEAT_ACK: HeartbeatAck.decode,
    RequestCode.KEY_UPDATE: KeyUpdate.decode,
    ResponseCode.KEY_UPDATE_ACK: KeyUpdateAck.decode,
    RequestCode.END_SESSION: EndSession.decode,
    ResponseCode.END_SESSION_ACK: EndSessionAck.decode,
    RequestCode.VENDOR_DEFINED_REQUEST: VendorDefinedMessage.decode,
    ResponseCode.VENDOR_DEFINED_RESPONSE: VendorDefinedMessage.decode,
}


def is_request_code(code: int) -> bool:
    """Request codes have bit 7 set."""
    return bool(code & 0x80)


def _wants_summary(request: object, code: int) -> bool:
    if not isinstance(request, (Challenge, KeyExchange, PskExchange)):
        raise WireError(_STRUCTURE, "<request>", 1,
                        f"code 0x{code:02x} needs the CHALLENGE/KEY_EXCHANGE/PSK_EXCHANGE "
                        "it answers")
    return request.hash_type != MeasurementSummaryHashType.NONE


def decode_message(data: bytes, algos: NegotiatedAlgorithms | None = None, *,
                   request: SpdmMessage | None = None, handshake_in_the_clear: bool = False,
                   ) -> SpdmMessage:
    """Decode one SPDM message; see :data:`NEEDS` for which codes need ``algos``/``request``.

    ``handshake_in_the_clear`` is the negotiated HANDSHAKE_IN_THE_CLEAR_CAP (both
    sides), which removes ResponderVerifyData from KEY_EXCHANGE_RSP and adds it to
    FINISH_RSP. Unsupported codes raise UnknownCodeError.
    """
    code = peek_code(data, _STRUCTURE)
    plain = _PLAIN.get(code)
    if plain is not None:
        result: SpdmMessage = plain(data)
        return result
    if code not in NEEDS:
        raise UnknownCodeError(_STRUCTURE, "code", 1, f"no codec for code 0x{code:02x}")
    if algos is None:
        raise WireError(_STRUCTURE, "<algos>", 1,
                        f"code 0x{code:02x} needs the negotiated algorithms")
    h, s = algos.h, algos.s
    if code == ResponseCode.DIGESTS:
        return Digests.decode(data, h, multi_key=algos.multi_key_connection)
    if code == ResponseCode.CHALLENGE_AUTH:
        return ChallengeAuth.decode(data, hash_size=h, signature_size=s,
                                    measurement_summary=_wants_summary(request, code))
    if code == ResponseCode.MEASUREMENTS:
        if not isinstance(request, GetMeasurements):
            raise WireError(_STRUCTURE, "<request>", 1, "MEASUREMENTS needs its GET_MEASUREMENTS")
        return Measurements.decode(data, signature_size=s if request.signature_requested else 0,
                                   digest_size=algos.measurement_digest_size or None)
    if code in (RequestCode.KEY_EXCHANGE, ResponseCode.KEY_EXCHANGE_RSP) and not algos.dhe:
        raise WireError(_STRUCTURE, "<algos>", 1, "no DHE group was negotiated")
    if code == RequestCode.KEY_EXCHANGE:
        return KeyExchange.decode(data, dhe_size=algos.d)
    if code == ResponseCode.KEY_EXCHANGE_RSP:
        return KeyExchangeRsp.decode(data, dhe_size=algos.d, hash_size=h, signature_size=s,
                                     measurement_summary=_wants_summary(request, code),
                                     handshake_in_the_clear=handshake_in_the_clear)
    if code == RequestCode.FINISH:
        # The FINISH signature (mutual authentication) uses ReqBaseAsymAlg, not BaseAsymAlgo.
        req_s = signature_size(algos.req_base_asym) if algos.req_base_asym else 0
        return Finish.decode(data, hash_size=h, signature_size=req_s)
    if code == ResponseCode.FINISH_RSP:
        return FinishRsp.decode(data, hash_size=h, handshake_in_the_clear=handshake_in_the_clear)
    if code == ResponseCode.PSK_EXCHANGE_RSP:
        return PskExchangeRsp.decode(data, hash_size=h,
                                     measurement_summary=_wants_summary(request, code))
    return PskFinish.decode(data, hash_size=h)
