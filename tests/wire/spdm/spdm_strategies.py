# SPDX-License-Identifier: BSD-3-Clause
"""Hypothesis strategies that build valid SPDM objects (each paired with its decoder)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from devtrust.wire.spdm import (
    Algorithms,
    AlgStruct,
    AlgType,
    BaseAsymAlgo,
    BaseHashAlgo,
    Capabilities,
    CapabilityFlags,
    Certificate,
    Challenge,
    ChallengeAuth,
    ContentChanged,
    Digests,
    DmtfValueType,
    EndSession,
    EndSessionAck,
    ErrorCode,
    ErrorResponse,
    ExtAlg,
    Finish,
    FinishRsp,
    GetCapabilities,
    GetCertificate,
    GetDigests,
    GetMeasurements,
    GetVersion,
    Heartbeat,
    HeartbeatAck,
    KeyExchange,
    KeyExchangeRsp,
    KeyUpdate,
    KeyUpdateAck,
    KeyUpdateOperation,
    MeasurementAttributes,
    MeasurementBlock,
    MeasurementHashAlgo,
    MeasurementRecord,
    Measurements,
    MeasurementSummaryHashType,
    NegotiateAlgorithms,
    PskExchange,
    PskExchangeRsp,
    PskFinish,
    PskFinishRsp,
    RequestCode,
    RespondIfReady,
    SupportedAlgorithms,
    Version,
    VersionEntry,
)
from devtrust.wire.spdm.capabilities import allowed_capability_bits

__all__ = ["CASES"]

V = st.sampled_from([0x10, 0x11, 0x12, 0x13])
V11 = st.sampled_from([0x11, 0x12, 0x13])
H = st.sampled_from([32, 48, 64])
S = st.sampled_from([64, 96, 384])
D = st.sampled_from([64, 96])
u8, u16 = st.integers(0, 0xFF), st.integers(0, 0xFFFF)
NONCE = st.binary(min_size=32, max_size=32)
OPAQUE = st.binary(max_size=40)
TYPE_BITS = {AlgType.DHE: 0x7F, AlgType.AEAD: 0xF, AlgType.REQ_BASE_ASYM_ALG: 0xFFF,
             AlgType.KEY_SCHEDULE: 0x1}

Case = tuple[Callable[[Any], Callable[[bytes], Any]], st.SearchStrategy[Any]]


def _ctx(v: int) -> st.SearchStrategy[bytes]:
    n = 8 if v >= 0x13 else 0
    return st.binary(min_size=n, max_size=n)


def _bits(mask: int) -> st.SearchStrategy[int]:
    return st.integers(0, mask).map(lambda x: x & mask)


def _one_bit(mask: int) -> st.SearchStrategy[int]:
    return st.sampled_from([0] + [1 << i for i in range(mask.bit_length()) if mask >> i & 1])


ext_alg = st.builds(ExtAlg, u8, u16)


@st.composite
def alg_structs(draw: st.DrawFn, *, selection: bool) -> tuple[AlgStruct, ...]:
    types = sorted(draw(st.sets(st.sampled_from(list(AlgType)), max_size=4)))
    bits = _one_bit if selection else _bits
    return tuple(AlgStruct(t, draw(bits(TYPE_BITS[t])),
                           tuple(draw(st.lists(ext_alg, max_size=1)))) for t in types)


@st.composite
def negotiate(draw: st.DrawFn) -> NegotiateAlgorithms:
    v = draw(V)
    other = draw(_bits({0x12: 3, 0x13: 0x13}.get(v, 0)))
    structs = () if v == 0x10 else draw(alg_structs(selection=False))
    return NegotiateAlgorithms(
        v, BaseAsymAlgo(draw(_bits(0xFFF))), BaseHashAlgo(draw(_bits(0x7F))), draw(_bits(1)),
        other, draw(_bits(1 if v >= 0x13 else 0)), tuple(draw(st.lists(ext_alg, max_size=2))),
        tuple(draw(st.lists(ext_alg, max_size=2))), structs)


@st.composite
def supported_algorithms(draw: st.DrawFn) -> SupportedAlgorithms:
    return SupportedAlgorithms(
        BaseAsymAlgo(draw(_bits(0xFFF))), BaseHashAlgo(draw(_bits(0x7F))), draw(_bits(1)),
        draw(_bits(0x13)), draw(_bits(1)), tuple(draw(st.lists(ext_alg, max_size=2))), (),
        draw(alg_structs(selection=False)))


@st.composite
def algorithms(draw: st.DrawFn) -> Algorithms:
    v = draw(V)
    other = draw(_one_bit({0x12: 3, 0x13: 3}.get(v, 0)))
    if v == 0x13 and draw(st.booleans()):
        other |= 0x10
    structs = () if v == 0x10 else draw(alg_structs(selection=True))
    return Algorithms(
        v, BaseAsymAlgo(draw(_one_bit(0xFFF))), BaseHashAlgo(draw(_one_bit(0x7F))),
        MeasurementHashAlgo(draw(_one_bit(0xFF))), draw(_bits(1)), other,
        draw(_bits(1 if v >= 0x13 else 0)), tuple(draw(st.lists(ext_alg, max_size=1))),
        tuple(draw(st.lists(ext_alg, max_size=1))), structs)


@st.composite
def caps(draw: st.DrawFn, *, request: bool) -> GetCapabilities | Capabilities:
    v = draw(V11) if not request else draw(V)
    flags = CapabilityFlags(draw(_bits(allowed_capability_bits(v))))
    ct, dts, mms = draw(u8), 0, 0
    if v >= 0x12:
        dts = draw(st.integers(42, 0xFFFFFFFF))
        mms = draw(st.integers(dts, 0xFFFFFFFF))
    if request:
        if v == 0x10:
            return GetCapabilities(v)
        return GetCapabilities(v, ct, flags, dts, mms, v >= 0x13 and draw(st.booleans()))
    block = draw(st.none() | supported_algorithms()) if v >= 0x13 else None
    return Capabilities(v, ct, flags, dts, mms, block)


@st.composite
def digests(draw: st.DrawFn) -> tuple[Digests, int]:
    v, h, mask = draw(V), draw(H), draw(u8)
    n = mask.bit_count()
    supported = mask | draw(u8) if v >= 0x13 else 0
    ds = tuple(draw(st.binary(min_size=h, max_size=h)) for _ in range(n))
    multi = v >= 0x13 and draw(st.booleans())
    if multi:
        return Digests(v, mask, ds, supported, tuple(draw(u8) for _ in range(n)),
                       tuple(draw(u8) for _ in range(n)), tuple(draw(u16) for _ in range(n))), h
    return Digests(v, mask, ds, supported), h


@st.composite
def challenge(draw: st.DrawFn) -> Challenge:
    v = draw(V)
    return Challenge(v, draw(st.sampled_from([*range(8), 0xFF])),
                     draw(st.sampled_from(list(MeasurementSummaryHashType))), draw(NONCE),
                     draw(_ctx(v)))


@st.composite
def challenge_auth(draw: st.DrawFn) -> tuple[ChallengeAuth, int, int]:
    v, h, s = draw(V), draw(H), draw(S)
    summary = draw(st.sampled_from([b"", bytes(h), b"\x5a" * h]))
    return ChallengeAuth(
        v, draw(st.sampled_from([*range(8), 0xF])), draw(u8), draw(st.binary(min_size=h,
                                                                            max_size=h)),
        draw(NONCE), summary, draw(OPAQUE), draw(st.binary(min_size=s, max_size=s)),
        draw(_ctx(v)), v == 0x11 and draw(st.booleans())), h, s


@st.composite
def get_measurements(draw: st.DrawFn) -> GetMeasurements:
    v = draw(V)
    attrs = MeasurementAttributes(draw(_bits({0x12: 3, 0x13: 7}.get(v, 1))))
    signed = bool(attrs & 1)
    slot = draw(st.integers(0, 7)) if signed and v >= 0x11 else 0
    return GetMeasurements(v, attrs, draw(u8), draw(NONCE) if signed else b"", slot,
                           draw(_ctx(v)))


block = st.builds(MeasurementBlock, st.integers(1, 0xFE), st.sampled_from(list(DmtfValueType)),
                  st.binary(max_size=70), st.booleans())


@st.composite
def record(draw: st.DrawFn) -> MeasurementRecord:
    blocks = draw(st.lists(block, max_size=5, unique_by=lambda b: b.index))
    return MeasurementRecord(tuple(blocks))


@st.composite
def measurements(draw: st.DrawFn) -> tuple[Measurements, int]:
    v = draw(V)
    rec = draw(record())
    s = draw(st.sampled_from([0, 64, 96]))
    slot = changed = 0
    if s:
        slot = draw(st.integers(0, 15))
        if v >= 0x12:
            changed = draw(st.sampled_from(list(ContentChanged)))
    total = 0 if rec.blocks else draw(u8)
    return Measurements(v, rec, draw(NONCE) if v >= 0x11 else b"", draw(OPAQUE),
                        draw(st.binary(min_size=s, max_size=s)), slot, ContentChanged(changed),
                        total, draw(_ctx(v))), s


@st.composite
def error(draw: st.DrawFn) -> ErrorResponse:
    v = draw(V)
    codes = [c for c in ErrorCode if c != ErrorCode.INVALID_SESSION or v == 0x11]
    code = draw(st.sampled_from(codes))
    size = {ErrorCode.RESPONSE_NOT_READY: 4, ErrorCode.LARGE_RESPONSE: 1}.get(code, 0)
    if code == ErrorCode.VENDOR_DEFINED:
        ext = draw(st.binary(max_size=32))
    else:
        ext = draw(st.binary(min_size=size, max_size=size))
    return ErrorResponse(v, code, draw(u8), ext)


@st.composite
def key_exchange(draw: st.DrawFn) -> tuple[KeyExchange, int]:
    v, d = draw(V11), draw(D)
    return KeyExchange(v, draw(st.sampled_from(list(MeasurementSummaryHashType))),
                       draw(st.sampled_from([*range(8), 0xFF])), draw(u16), draw(NONCE),
                       draw(st.binary(min_size=d, max_size=d)), draw(OPAQUE),
                       draw(_bits({0x12: 1, 0x13: 3}.get(v, 0)))), d


@st.composite
def key_exchange_rsp(draw: st.DrawFn) -> tuple[KeyExchangeRsp, int, int, int, bool, bool]:
    v, d, h, s = draw(V11), draw(D), draw(H), draw(S)
    summary, clear = draw(st.booleans()), draw(st.booleans())
    return KeyExchangeRsp(
        v, draw(u8), draw(u16), draw(_bits(7)), draw(_bits(0xF)), draw(NONCE),
        draw(st.binary(min_size=d, max_size=d)), b"\x11" * h if summary else b"", draw(OPAQUE),
        draw(st.binary(min_size=s, max_size=s)), b"" if clear else b"\x22" * h), d, h, s, \
        summary, clear


def _fixed(strategy: st.SearchStrategy[Any], decode: Callable[[bytes], Any]) -> Case:
    return (lambda _obj: decode, strategy)


CASES: dict[str, Case] = {
    "GET_VERSION": _fixed(st.just(GetVersion()), GetVersion.decode),
    "VERSION": _fixed(st.builds(Version, st.lists(
        st.builds(VersionEntry, *[st.integers(0, 15)] * 4), min_size=1, max_size=6)
        .map(tuple)), Version.decode),
    "GET_CAPABILITIES": _fixed(caps(request=True), GetCapabilities.decode),
    "CAPABILITIES": _fixed(caps(request=False), Capabilities.decode),
    "NEGOTIATE_ALGORITHMS": _fixed(negotiate(), NegotiateAlgorithms.decode),
    "ALGORITHMS": _fixed(algorithms(), Algorithms.decode),
    "GET_DIGESTS": _fixed(st.builds(GetDigests, V), GetDigests.decode),
    "DIGESTS": (lambda p: lambda b: Digests.decode(b, p[1], multi_key=bool(p[0].key_pair_ids)),
                digests()),
    "GET_CERTIFICATE": _fixed(V.flatmap(lambda v: st.builds(
        GetCertificate, st.just(v), st.integers(0, 7), u16, u16,
        st.booleans() if v >= 0x13 else st.just(False))), GetCertificate.decode),
    "CERTIFICATE": _fixed(V.flatmap(lambda v: st.builds(
        Certificate, st.just(v), st.integers(0, 7), st.binary(max_size=100), u16,
        st.integers(0, 3) if v >= 0x13 else st.just(0))), Certificate.decode),
    "CHALLENGE": _fixed(challenge(), Challenge.decode),
    "CHALLENGE_AUTH": (lambda p: lambda b: ChallengeAuth.decode(
        b, hash_size=p[1], signature_size=p[2],
        measurement_summary=bool(p[0].measurement_summary_hash)), challenge_auth()),
    "GET_MEASUREMENTS": _fixed(get_measurements(), GetMeasurements.decode),
    "MEASUREMENTS": (lambda p: lambda b: Measurements.decode(b, signature_size=p[1]),
                     measurements()),
    "MEASUREMENT_BLOCK": _fixed(block, MeasurementBlock.decode),
    "MEASUREMENT_RECORD": _fixed(record(), MeasurementRecord.decode),
    "ERROR": _fixed(error(), ErrorResponse.decode),
    "RESPOND_IF_READY": _fixed(st.builds(RespondIfReady, V, st.sampled_from(list(RequestCode)),
                                         u8), RespondIfReady.decode),
    "KEY_EXCHANGE": (lambda p: lambda b: KeyExchange.decode(b, dhe_size=p[1]), key_exchange()),
    "KEY_EXCHANGE_RSP": (lambda p: lambda b: KeyExchangeRsp.decode(
        b, dhe_size=p[1], hash_size=p[2], signature_size=p[3], measurement_summary=p[4],
        handshake_in_the_clear=p[5]), key_exchange_rsp()),
    "FINISH": (lambda p: lambda b: Finish.decode(b, hash_size=p[1], signature_size=p[2]),
               st.tuples(V11, H, S, st.booleans(), st.integers(0, 7)).map(
                   lambda t: (Finish(t[0], b"\x01" * t[1], b"\x02" * t[2] if t[3] else b"",
                                     t[4]), t[1], t[2]))),
    "FINISH_RSP": (lambda p: lambda b: FinishRsp.decode(b, hash_size=p[1],
                                                        handshake_in_the_clear=p[2]),
                   st.tuples(V11, H, st.booleans()).map(
                       lambda t: (FinishRsp(t[0], b"\x03" * t[1] if t[2] else b""), t[1],
                                  t[2]))),
    "PSK_EXCHANGE": _fixed(V11.flatmap(lambda v: st.builds(
        PskExchange, st.just(v), st.sampled_from(list(MeasurementSummaryHashType)), u16,
        st.binary(max_size=20), st.binary(max_size=64), OPAQUE,
        _bits({0x12: 1, 0x13: 3}.get(v, 0)))), PskExchange.decode),
    "PSK_EXCHANGE_RSP": (lambda p: lambda b: PskExchangeRsp.decode(
        b, hash_size=p[1], measurement_summary=bool(p[0].measurement_summary_hash)),
        st.tuples(V11, H, st.booleans(), u8, u16, st.binary(max_size=64), OPAQUE).map(
            lambda t: (PskExchangeRsp(t[0], t[3], t[4], b"\x04" * t[1] if t[2] else b"", t[5],
                                      t[6], b"\x05" * t[1]), t[1]))),
    "PSK_FINISH": (lambda p: lambda b: PskFinish.decode(b, hash_size=p[1]),
                   st.tuples(V11, H).map(lambda t: (PskFinish(t[0], b"\x06" * t[1]), t[1]))),
    "PSK_FINISH_RSP": _fixed(st.builds(PskFinishRsp, V11), PskFinishRsp.decode),
    "HEARTBEAT": _fixed(st.builds(Heartbeat, V11), Heartbeat.decode),
    "HEARTBEAT_ACK": _fixed(st.builds(HeartbeatAck, V11), HeartbeatAck.decode),
    "KEY_UPDATE": _fixed(st.builds(KeyUpdate, V11, st.sampled_from(list(KeyUpdateOperation)),
                                   u8), KeyUpdate.decode),
    "KEY_UPDATE_ACK": _fixed(st.builds(KeyUpdateAck, V11,
                                       st.sampled_from(list(KeyUpdateOperation)), u8),
                             KeyUpdateAck.decode),
    "END_SESSION": _fixed(st.builds(EndSession, V11, st.booleans()), EndSession.decode),
    "END_SESSION_ACK": _fixed(st.builds(EndSessionAck, V11), EndSessionAck.decode),
}
