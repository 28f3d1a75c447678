# SPDX-License-Identifier: BSD-3-Clause
"""SPDM responder of the DSM (protocols.md §3): negotiation, identity, measurements, sessions.

Transcripts are byte buffers kept exactly as §3.11 prescribes:

* VCA = GET_VERSION ‖ VERSION ‖ GET_CAPABILITIES ‖ CAPABILITIES ‖ NEGOTIATE_ALGORITHMS ‖
  ALGORITHMS (reset by GET_VERSION);
* B = every GET_DIGESTS/DIGESTS and GET_CERTIFICATE/CERTIFICATE pair since VCA;
* M1/M2 = VCA ‖ B ‖ CHALLENGE ‖ CHALLENGE_AUTH-without-signature (B is reset afterwards);
* L1/L2 = (1.2+: VCA ‖) every GET_MEASUREMENTS ‖ MEASUREMENTS since the last signed one,
  reset after each signed response and by any other request (per session, or outside).

TDISP and IDE_KM (VENDOR_DEFINED with the PCI-SIG header) are answered only inside an
established session; outside one they get no response at all (§1). A secured message for
an unknown session id gets no response either.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from devtrust.hw.dsm.behaviour import DsmBehaviour
from devtrust.hw.dsm.session import (
    SessionState,
    SpdmSession,
)
from devtrust.hw.dsm.signer import spdm_sign
from devtrust.hw.dsm.spdm_sessions import SessionHandlers
from devtrust.hw.keys import PrivateKey
from devtrust.hw.measurements import MeasurementSet
from devtrust.hw.rng import Drbg
from devtrust.wire.errors import WireError
from devtrust.wire.spdm.algorithms import (
    AeadAlgo,
    BaseAsymAlgo,
    BaseHashAlgo,
    DheAlgo,
    KeyScheduleAlgo,
    MeasurementHashAlgo,
    NegotiatedAlgorithms,
    measurement_hash_name,
)
from devtrust.wire.spdm.algorithms_msg import Algorithms, AlgStruct, AlgType, NegotiateAlgorithms
from devtrust.wire.spdm.capabilities import (
    Capabilities,
    CapabilityFlags,
    GetCapabilities,
    allowed_capability_bits,
)
from devtrust.wire.spdm.certificate import Certificate, GetCertificate
from devtrust.wire.spdm.challenge import Challenge, ChallengeAuth, MeasurementSummaryHashType
from devtrust.wire.spdm.digests import Digests, GetDigests
from devtrust.wire.spdm.error import ErrorCode, ErrorResponse, RespondIfReady, ResponseNotReady
from devtrust.wire.spdm.header import NONCE_SIZE, RequestCode, SpdmVersion, peek_code
from devtrust.wire.spdm.measurement_block import DmtfValueType, MeasurementBlock, MeasurementRecord
from devtrust.wire.spdm.measurements import (
    ALL_MEASUREMENTS,
    COUNT_ONLY,
    GetMeasurements,
    Measurements,
)
from devtrust.wire.spdm.signing import (
    CONTEXT_CHALLENGE_AUTH,
    CONTEXT_MEASUREMENTS,
)
from devtrust.wire.spdm.vendor import PciProtocol, VendorDefinedMessage
from devtrust.wire.spdm.version import GetVersion, Version, VersionEntry

__all__ = ["DEFAULT_CAPS", "SlotIdentity", "SpdmProfile", "SpdmResponder"]

DEFAULT_CAPS = (CapabilityFlags.CERT_CAP | CapabilityFlags.CHAL_CAP
                | CapabilityFlags.MEAS_CAP_SIG | CapabilityFlags.MEAS_FRESH_CAP
                | CapabilityFlags.ENCRYPT_CAP | CapabilityFlags.MAC_CAP
                | CapabilityFlags.KEY_EX_CAP)


@dataclass(frozen=True, slots=True)
class SpdmProfile:
    """What the responder offers (default: the PCI-SIG TEE-IO profile, §3.3).

    ``base_asym`` and ``base_hash`` follow the device key; ``max_cert_portion`` caps one
    CERTIFICATE portion (chunking), ``versions`` are header bytes.
    """

    base_asym: BaseAsymAlgo = BaseAsymAlgo.ECDSA_P384
    base_hash: BaseHashAlgo = BaseHashAlgo.SHA_384
    measurement_hash: MeasurementHashAlgo = MeasurementHashAlgo.SHA_384
    dhe: DheAlgo = DheAlgo.SECP384R1
    aead: AeadAlgo = AeadAlgo.AES_256_GCM
    versions: tuple[int, ...] = (SpdmVersion.V11, SpdmVersion.V12, SpdmVersion.V13)
    caps: CapabilityFlags = DEFAULT_CAPS
    ct_exponent: int = 12
    data_transfer_size: int = 0x1000
    max_spdm_msg_size: int = 0x10000
    max_cert_portion: int = 0x400


@dataclass(frozen=True, slots=True)
class SlotIdentity:
    """One provisioned certificate slot: the encoded SPDM chain and the key that signs."""

    chain: bytes
    key: PrivateKey = field(repr=False, compare=False)


class _Connection:
    """Negotiation state and transcripts (reset by GET_VERSION)."""

    __slots__ = ("algorithms", "b", "l", "stage", "vca", "version")

    def __init__(self) -> None:
        self.stage = 0  # 0 none, 1 VERSION, 2 CAPABILITIES, 3 ALGORITHMS
        self.version = SpdmVersion.V10
        self.algorithms: NegotiatedAlgorithms | None = None
        self.vca = bytearray()
        self.b = bytearray()
        self.l: dict[int | None, bytearray] = {}


_ERR_INVALID_REQUEST = 0x01
_ERR_BUSY = 0x03
_ERR_UNEXPECTED = 0x04
_ERR_UNSPECIFIED = 0x05
_ERR_UNSUPPORTED = 0x07
_ERR_SESSION_REQUIRED = 0x0B
_ERR_VERSION_MISMATCH = 0x41
_ERR_NOT_READY = 0x42
# Requests that need a completed VCA (stage 3).
_NEEDS_ALGORITHMS = frozenset({
    RequestCode.GET_DIGESTS, RequestCode.GET_CERTIFICATE, RequestCode.CHALLENGE,
    RequestCode.GET_MEASUREMENTS, RequestCode.KEY_EXCHANGE, RequestCode.FINISH,
    RequestCode.END_SESSION, RequestCode.VENDOR_DEFINED_REQUEST})
_TOKEN = 0x5A
# A requester nonce the device "remembers" from an earlier exchange (nonce-not-echoed fault).
STALE_NONCE = bytes.fromhex("5e" * NONCE_SIZE)


def _not_ready_data(code: int) -> bytes:
    # RDExponent 2^4 µs, the original request code, our token, RDTM 1.
    return ResponseNotReady(4, code, _TOKEN, 1).encode()


def _is_pci_sig(request: bytes) -> bool:
    try:
        return VendorDefinedMessage.decode(request).is_pci_sig
    except WireError:
        return False


class SpdmResponder(SessionHandlers):
    """The DSM's SPDM endpoint (mutable emulated hardware).

    ``slots`` maps provisioned slot ids to their chain and key; ``measurements()`` returns
    the device's current :class:`~devtrust.hw.measurements.MeasurementSet`; ``tdisp`` and
    ``idekm`` answer PCI-SIG vendor-defined bodies; ``session_ended(id, lost)`` tells
    the device.
    """

    def __init__(self, *, profile: SpdmProfile, slots: dict[int, SlotIdentity], drbg: Drbg,
                 behaviour: DsmBehaviour, measurements: Callable[[], MeasurementSet],
                 tdisp: Callable[[bytes, int], bytes | None],
                 idekm: Callable[[bytes, int], bytes | None],
                 session_ended: Callable[[int, bool], None]) -> None:
        self.profile = profile
        self.slots = dict(sorted(slots.items()))
        self._drbg = drbg
        self.behaviour = behaviour
        self._measurements = measurements
        self._tdisp = tdisp
        self._idekm = idekm
        self._session_ended = session_ended
        self.conn = _Connection()
        self.sessions: dict[int, SpdmSession] = {}
        self._pending: tuple[bytes, int | None] | None = None
        self._next_rsp_id = 0xFFFE

    # -- entry point --------------------------------------------------------------------------
    def respond(self, request: bytes, session_id: int | None) -> bytes | None:
        """Answer one SPDM message; None means no response (§1)."""
        session = None
        if session_id is not None:
            session = self.sessions.get(session_id)
            if session is None:
                return None
        try:
            code = peek_code(request)
        except WireError:
            return None
        if session is not None and session.state is SessionState.HANDSHAKE \
                and code != RequestCode.FINISH:
            return None
        if code == RequestCode.RESPOND_IF_READY:
            return self._respond_if_ready(request, session_id)
        if code == RequestCode.VENDOR_DEFINED_REQUEST and session is None:
            # TDISP / IDE_KM outside a session: ignored, no response at all (§1).
            if _is_pci_sig(request):
                return None
        trouble = self.behaviour.spdm_error_for(code)
        if trouble == "busy":
            return self._error(_ERR_BUSY)
        if trouble == "not-ready":
            self._pending = (request, session_id)
            return self._error(_ERR_NOT_READY, 0, _not_ready_data(code))
        return self._process(code, request, session_id)

    def _respond_if_ready(self, request: bytes, session_id: int | None) -> bytes | None:
        pending, self._pending = self._pending, None
        try:
            ask = RespondIfReady.decode(request)
        except WireError:
            return self._error(_ERR_INVALID_REQUEST)
        if pending is None or pending[1] != session_id \
                or ask.request_code != peek_code(pending[0]) or ask.token != _TOKEN:
            return self._error(_ERR_UNEXPECTED)
        return self._process(peek_code(pending[0]), pending[0], session_id)

    def _process(self, code: int, request: bytes, session_id: int | None) -> bytes | None:
        conn = self.conn
        if code != RequestCode.GET_MEASUREMENTS:
            conn.l.pop(session_id, None)  # any other request resets L1/L2 (§3.11)
        if code == RequestCode.GET_VERSION:
            return self._mangle(code, self._version(request))
        if conn.stage >= 2 and request[0] != conn.version:
            return self._error(_ERR_VERSION_MISMATCH)
        handler = _HANDLERS.get(code)
        if handler is None:
            return self._error(_ERR_UNSUPPORTED, code)
        if code in _NEEDS_ALGORITHMS and conn.stage < 3:
            return self._error(_ERR_UNEXPECTED)
        try:
            response = handler(self, request, session_id)
        except WireError:
            return self._error(_ERR_INVALID_REQUEST)
        return None if response is None else self._mangle(code, response)

    def _mangle(self, code: int, response: bytes) -> bytes:
        return self.behaviour.mangle_spdm(code, response)

    def _error(self, error_code: int, data: int = 0, extended: bytes = b"") -> bytes:
        return ErrorResponse(self.conn.version, ErrorCode(error_code), data, extended).encode()

    # -- VCA ------------------------------------------------------------------------------------
    def _version(self, request: bytes) -> bytes:
        try:
            GetVersion.decode(request)
        except WireError:
            self.conn.version = SpdmVersion.V10
            return self._error(_ERR_INVALID_REQUEST)
        self._end_all_sessions()
        self.conn = _Connection()
        entries = tuple(VersionEntry(v >> 4, v & 0xF) for v in self.profile.versions)
        response = Version(entries).encode()
        self.conn.vca += request + response
        self.conn.stage = 1
        return response

    def _capabilities(self, request: bytes, session_id: int | None) -> bytes:
        conn = self.conn
        if conn.stage != 1 or session_id is not None:
            return self._error(_ERR_UNEXPECTED)
        req = GetCapabilities.decode(request)
        if req.spdm_version not in self.profile.versions:
            return self._error(_ERR_VERSION_MISMATCH)
        conn.version = SpdmVersion(req.spdm_version)
        flags = CapabilityFlags(int(self.profile.caps) & allowed_capability_bits(conn.version))
        response = Capabilities(conn.version, self.profile.ct_exponent, flags,
                                self.profile.data_transfer_size,
                                self.profile.max_spdm_msg_size).encode()
        conn.vca += request + response
        conn.stage = 2
        return response

    def _algorithms(self, request: bytes, session_id: int | None) -> bytes:
        conn, p = self.conn, self.profile
        if conn.stage != 2 or session_id is not None:
            return self._error(_ERR_UNEXPECTED)
        req = NegotiateAlgorithms.decode(request)
        if not req.base_asym & p.base_asym or not req.base_hash & p.base_hash:
            return self._error(_ERR_INVALID_REQUEST)
        structs: list[AlgStruct] = []
        offered = {s.alg_type: s.supported for s in req.alg_structs}
        for alg_type, ours in ((AlgType.DHE, int(p.dhe)), (AlgType.AEAD, int(p.aead)),
                               (AlgType.KEY_SCHEDULE, int(KeyScheduleAlgo.SPDM))):
            if alg_type in offered:
                structs.append(AlgStruct(alg_type, offered[alg_type] & ours))
        other = req.other_params & 0x02 if conn.version >= SpdmVersion.V12 else 0
        response = Algorithms(conn.version, p.base_asym, p.base_hash, p.measurement_hash,
                              1, other, alg_structs=tuple(structs)).encode()
        decoded = Algorithms.decode(response)
        conn.algorithms = decoded.to_negotiated()
        conn.vca += request + response
        conn.stage = 3
        return response

    # -- identity -------------------------------------------------------------------------------
    def _slot_digest(self, slot: int) -> bytes:
        algos = self.conn.algorithms
        assert algos is not None
        digest = hashlib.new(algos.hash_name, self.slots[slot].chain).digest()
        if self.behaviour.digest_mismatch == "digests":
            digest = bytes(b ^ 0x5A for b in digest)
        return digest

    def chain(self, slot: int) -> bytes:
        """The chain as this device serves it (RootHash corrupted by the digest fault)."""
        chain = self.slots[slot].chain
        if self.behaviour.digest_mismatch == "root-hash":
            chain = chain[:4] + bytes(b ^ 0xFF for b in chain[4:8]) + chain[8:]
        return chain

    def _digests(self, request: bytes, session_id: int | None) -> bytes:
        GetDigests.decode(request)
        mask = sum(1 << s for s in self.slots)
        # 1.3 adds SupportedSlotMask (Param1): every slot this device has is provisioned.
        supported = mask if self.conn.version >= SpdmVersion.V13 else 0
        response = Digests(self.conn.version, mask,
                           tuple(self._slot_digest(s) for s in self.slots), supported).encode()
        self.conn.b += request + response
        return response

    def _certificate(self, request: bytes, session_id: int | None) -> bytes:
        req = GetCertificate.decode(request)
        if req.slot_id not in self.slots:
            return self._error(_ERR_INVALID_REQUEST)
        chain = self.chain(req.slot_id)
        if req.offset >= len(chain) or req.length == 0:
            return self._error(_ERR_INVALID_REQUEST)
        size = min(req.length, self.profile.max_cert_portion, len(chain) - req.offset)
        portion = chain[req.offset:req.offset + size]
        response = Certificate(self.conn.version, req.slot_id, portion,
                               len(chain) - req.offset - size).encode()
        self.conn.b += request + response
        return response

    def _sign(self, slot: int, context: str, transcript: bytes) -> bytes:
        algos = self.conn.algorithms
        assert algos is not None
        return spdm_sign(self.slots[slot].key, algos, context, transcript)

    # -- CHALLENGE / MEASUREMENTS ---------------------------------------------------------------
    def _stale(self, request: bytes) -> bytes:
        """The request as the device pretends it was (nonce-not-echoed fault): a replayed
        earlier exchange whose requester nonce was :data:`STALE_NONCE`."""
        if not self.behaviour.stale_nonce:
            return request
        return request[:4] + STALE_NONCE + request[4 + NONCE_SIZE:]

    def _measurement_hash(self) -> str:
        algos = self.conn.algorithms
        assert algos is not None
        return measurement_hash_name(algos.measurement_hash)

    def _challenge(self, request: bytes, session_id: int | None) -> bytes:
        req = Challenge.decode(request)
        algos = self.conn.algorithms
        assert algos is not None
        if req.slot_id not in self.slots:
            return self._error(_ERR_INVALID_REQUEST)
        summary = b""
        if req.hash_type is not MeasurementSummaryHashType.NONE:
            summary = self._measurements().summary_hash(
                algos.hash_name, self._measurement_hash(),
                tcb_only=req.hash_type is MeasurementSummaryHashType.TCB)
        auth = ChallengeAuth(self.conn.version, req.slot_id, sum(1 << s for s in self.slots),
                             hashlib.new(algos.hash_name, self.chain(req.slot_id)).digest(),
                             self._drbg.bytes(NONCE_SIZE), summary, b"", b"",
                             req.requester_context)
        unsigned = auth.encode_unsigned()
        transcript = bytes(self.conn.vca + self.conn.b) + self._stale(request) + unsigned
        signature = self._sign(req.slot_id, CONTEXT_CHALLENGE_AUTH, transcript)
        self.conn.b = bytearray()  # M1/M2 consumed B (§3.11)
        return unsigned + signature

    def measurement_blocks(self, operation: int) -> tuple[MeasurementBlock, ...] | None:
        """The blocks GET_MEASUREMENTS(``operation``) returns; None for an unknown index."""
        ms = self._measurements()
        name = self._measurement_hash()
        chosen = ms.measurements if operation == ALL_MEASUREMENTS else tuple(
            m for m in ms.measurements if m.index == operation)
        if not chosen:
            return None
        return tuple(MeasurementBlock(m.index, DmtfValueType(int(m.value_type)),
                                      m.value(name), m.is_raw) for m in chosen)

    def _measurements_request(self, request: bytes, session_id: int | None) -> bytes:
        req = GetMeasurements.decode(request)
        conn = self.conn
        signed = req.signature_requested
        if signed and req.slot_id not in self.slots:
            return self._error(_ERR_INVALID_REQUEST)
        if req.operation == COUNT_ONLY:
            count = len(self._measurements().measurements)
            record, total = MeasurementRecord(), count
        else:
            blocks = self.measurement_blocks(req.operation)
            if blocks is None:
                return self._error(_ERR_INVALID_REQUEST)
            record, total = MeasurementRecord(blocks), 0
        nonce = self._drbg.bytes(NONCE_SIZE) if conn.version >= SpdmVersion.V11 else b""
        response = Measurements(conn.version, record, nonce, b"", b"",
                                req.slot_id if signed else 0,
                                total_measurement_indices=total,
                                requester_context=req.requester_context)
        unsigned = response.encode()
        log = conn.l.setdefault(session_id, bytearray())
        if not signed:
            log += request + unsigned
            return unsigned
        prefix = bytes(conn.vca) if conn.version >= SpdmVersion.V12 else b""
        transcript = prefix + bytes(log) + self._stale(request) + unsigned
        conn.l.pop(session_id, None)  # reset after a signed response (§3.11)
        return unsigned + self._sign(req.slot_id, CONTEXT_MEASUREMENTS, transcript)

    # -- vendor-defined (TDISP, IDE_KM) ---------------------------------------------------------
    def _vendor(self, request: bytes, session_id: int | None) -> bytes | None:
        message = VendorDefinedMessage.decode(request)
        if not message.is_pci_sig or session_id is None:
            return self._error(_ERR_UNSUPPORTED, RequestCode.VENDOR_DEFINED_REQUEST)
        try:
            protocol = message.pci_protocol
        except WireError:
            return self._error(_ERR_INVALID_REQUEST)
        handler = self._tdisp if protocol is PciProtocol.TDISP else self._idekm
        body = handler(message.pci_body, session_id)
        if body is None:
            return None
        return VendorDefinedMessage.pci_sig(self.conn.version, False, protocol, body).encode()

    # -- sessions ---------------------------------------------------------------------------
    def _end_all_sessions(self) -> None:
        for session_id in sorted(self.sessions):
            del self.sessions[session_id]
            self._session_ended(session_id, True)

    def drop_sessions(self) -> None:
        """Terminate every session (reset, firmware update, heartbeat loss)."""
        self._end_all_sessions()


_Handler = Callable[[SpdmResponder, bytes, "int | None"], "bytes | None"]
_HANDLERS: dict[int, _Handler] = {
    RequestCode.GET_CAPABILITIES: SpdmResponder._capabilities,
    RequestCode.NEGOTIATE_ALGORITHMS: SpdmResponder._algorithms,
    RequestCode.GET_DIGESTS: SpdmResponder._digests,
    RequestCode.GET_CERTIFICATE: SpdmResponder._certificate,
    RequestCode.CHALLENGE: SpdmResponder._challenge,
    RequestCode.GET_MEASUREMENTS: SpdmResponder._measurements_request,
    RequestCode.VENDOR_DEFINED_REQUEST: SpdmResponder._vendor,
    RequestCode.KEY_EXCHANGE: SpdmResponder.key_exchange,
    RequestCode.FINISH: SpdmResponder.finish,
    RequestCode.END_SESSION: SpdmResponder.end_session,
}
