# SPDX-License-Identifier: BSD-3-Clause
"""The link TSM's SPDM requester: drives a DSM through its DOE mailbox (protocols.md §3, §5).

Every response is decoded strictly with the wire codecs; anything wrong becomes a
:class:`RequesterError` carrying the errno the TSM operation will return (EIO for a
malformed or refused exchange, ETIMEDOUT for no response, EAGAIN when the device stays
Busy beyond the retry budget). ResponseNotReady is answered with RESPOND_IF_READY.
"""

from __future__ import annotations

import errno
import hmac
from dataclasses import dataclass

from devtrust.hw.dsm.session import (
    dhe_private_key,
    dhe_public_bytes,
    dhe_shared_secret,
    finished_keys,
    verify_data,
)
from devtrust.hw.dsm.transport import DoeMailbox
from devtrust.hw.rng import Drbg
from devtrust.wire.errors import WireError
from devtrust.wire.spdm.algorithms import (
    AeadAlgo,
    BaseAsymAlgo,
    BaseHashAlgo,
    DheAlgo,
    KeyScheduleAlgo,
    NegotiatedAlgorithms,
    dhe_size,
)
from devtrust.wire.spdm.algorithms_msg import Algorithms, AlgStruct, AlgType, NegotiateAlgorithms
from devtrust.wire.spdm.capabilities import Capabilities, CapabilityFlags, GetCapabilities
from devtrust.wire.spdm.certificate import Certificate, CertificateAssembler
from devtrust.wire.spdm.challenge import Challenge, ChallengeAuth, MeasurementSummaryHashType
from devtrust.wire.spdm.digests import Digests, GetDigests
from devtrust.wire.spdm.error import ErrorCode, ErrorResponse, RespondIfReady
from devtrust.wire.spdm.header import ResponseCode, SpdmVersion, peek_code
from devtrust.wire.spdm.measurements import (
    ALL_MEASUREMENTS,
    GetMeasurements,
    MeasurementAttributes,
    Measurements,
)
from devtrust.wire.spdm.session import (
    EndSession,
    EndSessionAck,
    Finish,
    FinishRsp,
    KeyExchange,
    KeyExchangeRsp,
)
from devtrust.wire.spdm.vendor import PciProtocol, VendorDefinedMessage
from devtrust.wire.spdm.version import GetVersion, Version

__all__ = ["BUSY_RETRIES", "Connection", "RequesterError", "SpdmRequester"]

BUSY_RETRIES = 8
_REQ_CAPS = (CapabilityFlags.CERT_CAP | CapabilityFlags.CHAL_CAP | CapabilityFlags.ENCRYPT_CAP
             | CapabilityFlags.MAC_CAP | CapabilityFlags.KEY_EX_CAP)


class RequesterError(Exception):
    """An exchange failed; ``errno`` is what the TSM operation returns."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{errno.errorcode.get(code, code)}: {reason}")
        self.errno = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Connection:
    """The outcome of VCA: transcript bytes and negotiated parameters."""

    vca: bytes
    algorithms: NegotiatedAlgorithms


class SpdmRequester:
    """One requester bound to one device mailbox (mutable: keeps its session)."""

    __slots__ = ("_drbg", "conn", "mailbox", "session_id")

    def __init__(self, mailbox: DoeMailbox, drbg: Drbg) -> None:
        self.mailbox = mailbox
        self._drbg = drbg
        self.conn: Connection | None = None
        self.session_id: int | None = None

    # -- plumbing ---------------------------------------------------------------------------
    def exchange(self, request: bytes, expect: int, session_id: int | None = None) -> bytes:
        """Send ``request``; return the response bytes with code ``expect`` (RequesterError
        otherwise). Busy is retried; ResponseNotReady answered with RESPOND_IF_READY."""
        pending = request
        for _ in range(BUSY_RETRIES + 1):
            response = (self.mailbox.exchange(pending) if session_id is None
                        else self.mailbox.exchange_secured(session_id, pending))
            if response is None:
                raise RequesterError(errno.ETIMEDOUT, "no response from the device")
            try:
                code = peek_code(response)
            except WireError as exc:
                raise RequesterError(errno.EIO, str(exc)) from None
            if code != ResponseCode.ERROR:
                if code != expect:
                    raise RequesterError(errno.EIO, f"unexpected response code 0x{code:02x}")
                return response
            try:
                error = ErrorResponse.decode(response)
            except WireError as exc:
                raise RequesterError(errno.EIO, str(exc)) from None
            if error.error_code == ErrorCode.BUSY:
                pending = request
                continue
            if error.error_code == ErrorCode.RESPONSE_NOT_READY:
                try:
                    pending = RespondIfReady.answering(error).encode()
                except WireError as exc:
                    raise RequesterError(errno.EIO, str(exc)) from None
                continue
            raise RequesterError(errno.EIO, f"device answered ERROR {error.error_code.name}")
        raise RequesterError(errno.EAGAIN, "device stayed busy")

    def _decode(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except WireError as exc:
            raise RequesterError(errno.EIO, str(exc)) from None

    @property
    def algorithms(self) -> NegotiatedAlgorithms:
        if self.conn is None:
            raise RequesterError(errno.EPROTO, "no negotiated connection")
        return self.conn.algorithms

    # -- VCA ---------------------------------------------------------------------------------
    def negotiate(self, versions: tuple[int, ...] = (0x12, 0x13, 0x11),
                  asym: BaseAsymAlgo = BaseAsymAlgo.ECDSA_P384 | BaseAsymAlgo.ECDSA_P256
                  | BaseAsymAlgo.RSASSA_3072,
                  hashes: BaseHashAlgo = BaseHashAlgo.SHA_384 | BaseHashAlgo.SHA_256,
                  prefer: int | None = None) -> Connection:
        """GET_VERSION, GET_CAPABILITIES, NEGOTIATE_ALGORITHMS; highest common version
        unless ``prefer`` names one."""
        self.session_id = None
        get_version = GetVersion().encode()
        version_rsp = self.exchange(get_version, ResponseCode.VERSION)
        offered = self._decode(Version.decode, version_rsp)
        chosen = prefer if prefer is not None and prefer in {
            e.header_byte for e in offered.entries} else offered.highest_common(versions)
        if chosen is None:
            raise RequesterError(errno.EPROTO, "no common SPDM version")
        v = SpdmVersion(chosen)
        get_caps = GetCapabilities(v, 12, _REQ_CAPS if v >= SpdmVersion.V11 else
                                   CapabilityFlags(0), 0x1000 if v >= SpdmVersion.V12 else 0,
                                   0x10000 if v >= SpdmVersion.V12 else 0).encode()
        caps_rsp = self.exchange(get_caps, ResponseCode.CAPABILITIES)
        self._decode(Capabilities.decode, caps_rsp)
        structs: tuple[AlgStruct, ...] = ()
        if v >= SpdmVersion.V11:
            structs = (AlgStruct(AlgType.DHE, int(DheAlgo.SECP384R1 | DheAlgo.SECP256R1)),
                       AlgStruct(AlgType.AEAD, int(AeadAlgo.AES_256_GCM)),
                       AlgStruct(AlgType.KEY_SCHEDULE, int(KeyScheduleAlgo.SPDM)))
        other = 0x02 if v >= SpdmVersion.V12 else 0
        neg = NegotiateAlgorithms(v, asym, hashes, other_params=other,
                                  alg_structs=structs).encode()
        alg_rsp = self.exchange(neg, ResponseCode.ALGORITHMS)
        algorithms = self._decode(lambda: Algorithms.decode(alg_rsp).to_negotiated())
        vca = get_version + version_rsp + get_caps + caps_rsp + neg + alg_rsp
        self.conn = Connection(vca, algorithms)
        return self.conn

    # -- identity ------------------------------------------------------------------------------
    def digests(self) -> Digests:
        a = self.algorithms
        raw = self.exchange(GetDigests(a.spdm_version).encode(), ResponseCode.DIGESTS)
        return self._decode(Digests.decode, raw, a.h)

    def certificate(self, slot: int, buffer: int = 0xFFFF) -> bytes:
        """The whole SPDM chain of ``slot`` (chunked GET_CERTIFICATE)."""
        a = self.algorithms
        assembler = CertificateAssembler(slot)
        while not assembler.complete:
            request = assembler.next_request(a.spdm_version, buffer)
            raw = self.exchange(request.encode(), ResponseCode.CERTIFICATE)
            response = self._decode(Certificate.decode, raw)
            assembler = self._decode(assembler.add, response, request)
        return assembler.chain()

    def challenge(self, slot: int = 0) -> bytes:
        """CHALLENGE / CHALLENGE_AUTH on ``slot`` (libspdm's connection flow DIGEST, CERT,
        CHAL, MEAS). Returns the CHALLENGE_AUTH bytes; the signature is the appraiser's
        business, the echo of the RequesterContext is checked here."""
        a = self.algorithms
        context = self._drbg.bytes(8) if a.spdm_version >= SpdmVersion.V13 else b""
        request = Challenge(a.spdm_version, slot, MeasurementSummaryHashType.NONE,
                            self._drbg.bytes(32), context).encode()   # 32-byte nonce
        raw = self.exchange(request, ResponseCode.CHALLENGE_AUTH)
        decoded = self._decode(ChallengeAuth.decode, raw, hash_size=a.h, signature_size=a.s,
                               measurement_summary=False)
        if decoded.requester_context != context:
            raise RequesterError(errno.EIO, "RequesterContext not echoed")
        return raw

    def measurements(self, nonce: bytes, slot: int = 0,
                     session_id: int | None = None) -> tuple[bytes, Measurements]:
        """Signed GET_MEASUREMENTS(all): (GET_MEASUREMENTS ‖ MEASUREMENTS, decoded)."""
        a = self.algorithms
        context = self._drbg.bytes(8) if a.spdm_version >= SpdmVersion.V13 else b""
        request = GetMeasurements(a.spdm_version, MeasurementAttributes.SIGNATURE_REQUESTED,
                                  ALL_MEASUREMENTS, nonce, slot, context).encode()
        raw = self.exchange(request, ResponseCode.MEASUREMENTS, session_id)
        decoded = self._decode(Measurements.decode, raw, signature_size=a.s)
        if decoded.requester_context != context:
            raise RequesterError(errno.EIO, "RequesterContext not echoed")
        return request + raw, decoded

    # -- sessions ----------------------------------------------------------------------------
    def key_exchange(self, chain: bytes, slot: int = 0) -> int:
        """KEY_EXCHANGE + FINISH; returns the established session id."""
        import hashlib

        a = self.algorithms
        conn = self.conn
        assert conn is not None
        ephemeral = dhe_private_key(self._drbg.bytes(64), a.dhe)
        req_id = 0xFFFF & int.from_bytes(self._drbg.bytes(2), "little") or 1
        request = KeyExchange(a.spdm_version, MeasurementSummaryHashType.NONE, slot, req_id,
                              self._drbg.bytes(32), dhe_public_bytes(ephemeral)).encode()
        raw = self.exchange(request, ResponseCode.KEY_EXCHANGE_RSP)
        rsp = self._decode(KeyExchangeRsp.decode, raw, dhe_size=dhe_size(a.dhe), hash_size=a.h,
                           signature_size=a.s, measurement_summary=False)
        try:
            shared = dhe_shared_secret(ephemeral, rsp.exchange_data)
        except ValueError as exc:
            raise RequesterError(errno.EIO, f"bad ExchangeData: {exc}") from None
        th = conn.vca + hashlib.new(a.hash_name, chain).digest() + request
        th += raw[:len(raw) - a.h]
        req_key, rsp_key = finished_keys(a.hash_name, a.spdm_version, shared, th)
        if not hmac.compare_digest(verify_data(a.hash_name, rsp_key, th),
                                   rsp.responder_verify_data):
            raise RequesterError(errno.EIO, "ResponderVerifyData mismatch")
        th += rsp.responder_verify_data
        session_id = rsp.rsp_session_id << 16 | req_id
        header = Finish(a.spdm_version, bytes(a.h)).encode()[:4]
        finish = Finish(a.spdm_version, verify_data(a.hash_name, req_key, th + header)).encode()
        raw = self.exchange(finish, ResponseCode.FINISH_RSP, session_id)
        self._decode(FinishRsp.decode, raw, hash_size=a.h)
        self.session_id = session_id
        return session_id

    def end_session(self) -> None:
        """END_SESSION on the current session (errors ignored: the session is gone)."""
        if self.session_id is None:
            return
        sid, self.session_id = self.session_id, None
        try:
            raw = self.exchange(EndSession(self.algorithms.spdm_version).encode(),
                                ResponseCode.END_SESSION_ACK, sid)
            self._decode(EndSessionAck.decode, raw)
        except RequesterError:
            pass

    def vendor(self, protocol: PciProtocol, body: bytes) -> bytes:
        """One TDISP/IDE_KM message over the session; the response body (no protocol id)."""
        if self.session_id is None:
            raise RequesterError(errno.ENOTCONN, "no SPDM session")
        request = VendorDefinedMessage.pci_sig(self.algorithms.spdm_version, True, protocol,
                                               body).encode()
        raw = self.exchange(request, ResponseCode.VENDOR_DEFINED_RESPONSE, self.session_id)
        message = self._decode(VendorDefinedMessage.decode, raw)
        if message.is_request or self._decode(lambda: message.pci_protocol) is not protocol:
            raise RequesterError(errno.EIO, "vendor response for another protocol")
        return message.pci_body


