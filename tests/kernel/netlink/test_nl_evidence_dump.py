# SPDX-License-Identifier: BSD-3-Clause
"""evidence-read dump server: every errno/extack path (kernel-abi.md §9.11 item 9)."""

from __future__ import annotations

import errno
import hashlib

import pytest

from devtrust.kernel.netlink import (
    CURSOR_OBJECT_START,
    VAL_CHUNK_MAX,
    DumpOptions,
    DumpState,
    Interrupt,
    NlError,
    NoncePolicy,
    dump_callback,
    dump_start,
    handle_request,
    run_dump,
)
from devtrust.kernel.netlink.codec import (
    NLM_F_DUMP,
    NLM_F_REQUEST,
    Attr,
    DoneMessage,
    ErrorMessage,
    GenlMessage,
    attr_string,
    attr_u32,
    decode_message,
)
from devtrust.wire.evidence import EvidenceObject, EvidenceSet, EvidenceType

FAM = 0x1E
OPT = DumpOptions(family_id=FAM)
DEV = "10000:01:00.0"


def evidence(**objs: bytes) -> EvidenceSet:
    ev = EvidenceSet(generation=0)
    for name, data in objs.items():
        ev = ev.replace(EvidenceType[name], EvidenceObject(data))
    return ev


SAMPLE = evidence(CERT0=b"\0" * 4096, MEASUREMENTS=b"\0" * 4096)  # generation 2


def request(*attrs: Attr, flags: int = NLM_F_REQUEST | NLM_F_DUMP, cmd: int = 1) -> bytes:
    return GenlMessage(FAM, flags, 5, 77, cmd, 1, attrs).encode()


def std(mask: int = 2047, fl: int = 0, name: str = DEV, *extra: Attr) -> bytes:
    return request(attr_u32(2, mask), attr_u32(3, fl), attr_string(4, name), *extra)


def start_error(req: bytes, source: object = None, admin: bool = True,
                opt: DumpOptions = OPT) -> ErrorMessage:
    src = {DEV: (True, SAMPLE)} if source is None else source
    (raw,) = run_dump(req, src, is_admin=admin, options=opt)  # type: ignore[arg-type]
    msg = decode_message(raw)
    assert isinstance(msg, ErrorMessage)
    assert msg.request.seq == 5 and msg.seq == 5 and msg.pid == 77
    return msg


@pytest.mark.parametrize(("req", "code", "text"), [
    (request(attr_u32(3, 0), attr_string(4, DEV)), errno.EINVAL, "missing object request mask"),
    (std(mask=2048 | 1), errno.EINVAL, "unsupported object request 0x801"),
    (std(fl=2), errno.EINVAL, None),
    (request(attr_u32(2, 1)), errno.EINVAL, "missing device name"),
    (std(2047, 0, "x" * 32), errno.EINVAL, None),
    (std(2047, 0, "0000:99:00.0"), errno.ENODEV, "device '0000:99:00.0' not found"),
    (std(mask=0), errno.EINVAL, "no evidence type requested"),
    (std(1, 0, DEV, Attr(5, b"n" * 257)), errno.ERANGE, "Attribute failed policy validation"),
    (std(1, 0, DEV, attr_u32(6, 0)), errno.EINVAL, "Unknown attribute type"),
    (std(1, 0, DEV, attr_u32(1, 0)), errno.EINVAL, "Unsupported attribute"),
    (request(Attr(2, b"\1\0"), attr_string(4, DEV)), errno.EINVAL, "invalid attribute length"),
    (request(attr_u32(2, 1), Attr(4, b"ABCD")), errno.EINVAL,
     "Attribute failed policy validation"),
    (request(attr_u32(2, 1), flags=NLM_F_REQUEST),
     errno.EOPNOTSUPP, None),
    (request(attr_u32(2, 1), cmd=2), errno.EOPNOTSUPP, None),
])
def test_dump_start_errors(req: bytes, code: int, text: str | None) -> None:
    msg = start_error(req)
    assert msg.error == -code and msg.extack_msg == text


def test_bad_attribute_offsets_point_at_the_attribute() -> None:
    assert start_error(std(fl=2)).extack_offset == 20 + 8
    assert start_error(std(2047, 0, "y" * 40)).extack_offset == 20 + 16


def test_non_admin_gets_eperm_before_attribute_checks() -> None:
    msg = start_error(request(), admin=False)
    assert msg.error == -errno.EPERM and msg.extack_msg is None


def test_errno_precedence_when_several_conditions_fail() -> None:
    # Unknown mask bits beat a missing name; an unknown device beats an empty mask.
    assert start_error(request(attr_u32(2, 4096))).error == -errno.EINVAL
    assert start_error(std(0, 0, "nope")).error == -errno.ENODEV
    assert start_error(std(0, 2, "nope")).extack_msg is None  # FLAGS checked before the name


def test_name_of_31_bytes_fits() -> None:
    name = "d" * 31
    out = run_dump(std(1, 0, name), {name: (True, SAMPLE)}, is_admin=True, options=OPT)
    assert isinstance(decode_message(out[-1]), DoneMessage)


def test_capped_ack_and_no_ext_ack() -> None:
    opt = DumpOptions(family_id=FAM, ext_ack=False, cap_ack=True)
    msg = start_error(std(mask=0), opt=opt)
    assert msg.request_payload == b"" and msg.tlvs == ()


def messages(out: tuple[bytes, ...]) -> list[GenlMessage | DoneMessage | ErrorMessage]:
    return [decode_message(m) for m in out]


@pytest.mark.parametrize(("source", "code", "text"), [
    ({DEV: (False, None)}, errno.ENXIO, "no TSM context"),
    ({DEV: (True, None)}, errno.ENXIO, "no evidence available"),
    ({DEV: (True, EvidenceSet(generation=0))}, errno.ENXIO, "no evidence available"),
])
def test_callback_errors_arrive_in_done(source: dict, code: int, text: str) -> None:
    (done,) = messages(run_dump(std(), source, is_admin=True, options=OPT))
    assert isinstance(done, DoneMessage) and done.error == -code and done.extack_msg == text


def test_emsgsize_when_room_too_small() -> None:
    (done,) = messages(run_dump(std(), {DEV: (True, SAMPLE)}, is_admin=True, options=OPT,
                                room=20 + 8 + 8))
    assert isinstance(done, DoneMessage) and done.error == -errno.EMSGSIZE


@pytest.mark.parametrize("where", list(Interrupt))
def test_interrupted_lock(where: Interrupt) -> None:
    state = dump_start(std(), {DEV: (True, SAMPLE)}, is_admin=True, options=OPT)
    assert isinstance(state, DumpState)
    state, (raw,) = dump_callback(state, {DEV: (True, SAMPLE)}, room=4096, options=OPT,
                                  interrupted=where)
    done = decode_message(raw)
    assert isinstance(done, DoneMessage) and done.error == -errno.EINTR and state.finished


def test_devsec_sh_eleven_objects() -> None:
    out = messages(run_dump(std(), {DEV: (True, SAMPLE)}, is_admin=True, options=OPT))
    lengths: dict[int, int] = {}
    current = -1
    for msg in out[:-1]:
        assert isinstance(msg, GenlMessage) and msg.flags & 2 and msg.cmd == 1
        kind = msg.find(1)
        if kind is not None:
            current = kind.u32()
            lengths[current] = 0
        lengths[current] += len(msg.find(6).payload)  # type: ignore[union-attr]
    assert len(lengths) == 11
    assert [lengths[k] for k in range(11)] == [4096] + [0] * 8 + [4096, 0]
    assert isinstance(out[-1], DoneMessage) and out[-1].error == 0


def test_large_object_chunks_fit_nla_len_and_reassemble() -> None:
    blob = bytes(range(256)) * 1100  # 281600 bytes > 64 KiB
    ev = evidence(MEASUREMENTS=blob)
    out = messages(run_dump(std(1 << 9), {DEV: (True, ev)}, is_admin=True, options=OPT,
                            room=1 << 20))
    vals = [m.find(6).payload for m in out[:-1]]  # type: ignore[union-attr]
    assert all(len(v) <= 65531 for v in vals) and max(map(len, vals)) == VAL_CHUNK_MAX
    assert b"".join(vals) == blob
    assert out[0].find(1) is not None and all(m.find(1) is None for m in out[1:-1])


def test_v2_uncapped_chunk_overflows_nla_len() -> None:
    opt = DumpOptions(family_id=FAM, chunk_cap=None)
    out = run_dump(std(1 << 9), {DEV: (True, evidence(MEASUREMENTS=b"\1" * 70000))},
                   is_admin=True, options=opt, room=1 << 20)
    val_len = int.from_bytes(out[0][28:30], "little")
    assert val_len == (4 + 70000) & 0xFFFF  # D6: the u16 wrapped


def test_generation_change_between_callbacks_is_eagain() -> None:
    ev = evidence(CERT0=b"c" * 10000)
    state = dump_start(std(3), {DEV: (True, ev)}, is_admin=True, options=OPT)
    assert isinstance(state, DumpState)
    state, sent = dump_callback(state, {DEV: (True, ev)}, room=4096, options=OPT)
    assert len(sent) == 1 and state.cursor > 0 and state.generation == ev.generation
    bumped = ev.replace(EvidenceType.CERT1, EvidenceObject(b"new"))
    state, (raw,) = dump_callback(state, {DEV: (True, bumped)}, room=4096, options=OPT)
    done = decode_message(raw)
    assert isinstance(done, DoneMessage) and done.error == -errno.EAGAIN
    assert done.extack_msg == "evidence updated during read" and state.finished


def test_cursor_sentinels() -> None:
    state = dump_start(std(1 | 2), {DEV: (True, SAMPLE)}, is_admin=True, options=OPT)
    assert isinstance(state, DumpState) and state.cursor == 0xFFFF_FFFF
    state, _ = dump_callback(state, {DEV: (True, SAMPLE)}, room=1 << 16, options=OPT)
    assert state.cursor == CURSOR_OBJECT_START and state.current_type == 1


def test_digest_flag() -> None:
    digest = hashlib.sha384(b"cert").digest()
    ev = EvidenceSet(generation=0).replace(EvidenceType.CERT0, EvidenceObject(b"cert", digest))
    out = messages(run_dump(std(3, 1), {DEV: (True, ev)}, is_admin=True, options=OPT))
    assert out[0].find(6).payload == digest  # type: ignore[union-attr]
    assert out[1].find(6).payload == b""  # type: ignore[union-attr]


def test_nonce_ignored_in_v2_and_refresh_variant() -> None:
    req = std(1, 0, DEV, Attr(5, b"n" * 32))
    src = {DEV: (True, SAMPLE)}
    assert isinstance(decode_message(run_dump(req, src, is_admin=True, options=OPT)[-1]),
                      DoneMessage)
    unwired = DumpOptions(family_id=FAM, nonce_policy=NoncePolicy.REFRESH)
    (done,) = messages(run_dump(req, src, is_admin=True, options=unwired))
    assert isinstance(done, DoneMessage) and done.error == -errno.EOPNOTSUPP
    assert done.extack_msg == "evidence refresh failed: -95"
    seen: list[tuple[str, int, int, bytes]] = []
    wired = DumpOptions(family_id=FAM, nonce_policy=NoncePolicy.REFRESH,
                        refresh=lambda *a: seen.append(a) or 0)
    out = messages(run_dump(req, src, is_admin=True, options=wired))
    assert seen == [(DEV, 0, 0, b"n" * 32)] and out[-1].error == 0  # type: ignore[union-attr]


def test_nlctrl_family_lookup_and_unknown_family() -> None:
    from devtrust.kernel.netlink.ctrl import decode_family, encode_getfamily
    reply, ack = messages(handle_request(encode_getfamily("pci-tsm", seq=4), {},
                                         is_admin=False, options=OPT))
    assert isinstance(reply, GenlMessage) and decode_family(reply).family_id == FAM
    assert isinstance(ack, ErrorMessage) and ack.error == 0
    (err,) = messages(handle_request(encode_getfamily("nope", seq=4), {}, is_admin=False,
                                     options=OPT))
    assert isinstance(err, ErrorMessage) and err.error == -errno.ENOENT
    assert handle_request(b"\0" * 8, {}, is_admin=True, options=OPT) == ()


def test_start_returns_nlerror_value() -> None:
    assert dump_start(std(mask=0), {DEV: (True, SAMPLE)}, is_admin=True,
                      options=OPT) == NlError(errno.EINVAL, "no evidence type requested")
