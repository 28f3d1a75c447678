# SPDX-License-Identifier: BSD-3-Clause
"""The pci-tsm client against the emulated kernel and a fake netlink socket."""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtrust.kernel.netlink import DumpOptions, handle_request, run_dump
from devtrust.kernel.netlink.codec import (
    Attr,
    DoneMessage,
    GenlMessage,
    attr_u32,
    decode_message,
)
from devtrust.platform.netlink_client import (
    KernelSocket,
    build_dump_request,
    dump_evidence,
    parse_dump_reply,
    read_evidence,
    resolve_family,
)
from devtrust.wire.evidence import EvidenceObject, EvidenceSet, EvidenceType

FAM = 0x21
OPT = DumpOptions(family_id=FAM)
DEV = "10000:01:00.0"
SAMPLE = (EvidenceSet().replace(EvidenceType.CERT0, EvidenceObject(b"\0" * 4096))
          .replace(EvidenceType.MEASUREMENTS, EvidenceObject(b"\0" * 4096)))


def kernel(source: dict, *, admin: bool = True, room: int = 32768
           ) -> Callable[[bytes], Iterable[bytes]]:
    def send(req: bytes) -> Iterable[bytes]:
        return handle_request(req, source, is_admin=admin, options=OPT, room=room)
    return send


def test_devsec_sh_check_evidence() -> None:
    reply = read_evidence(kernel({DEV: (True, SAMPLE)}), FAM, DEV, 2047)
    lengths = {k: len(v) for k, v in reply.as_dict().items()}
    assert len(lengths) == 11 and not reply.digests
    assert lengths[EvidenceType.CERT0] == lengths[EvidenceType.MEASUREMENTS] == 4096
    assert sum(lengths.values()) == 8192


def test_reassembles_large_object_across_messages() -> None:
    blob = bytes(range(251)) * 1000
    ev = EvidenceSet().replace(EvidenceType.REPORT, EvidenceObject(blob))
    reply = read_evidence(kernel({DEV: (True, ev)}, room=1 << 20), FAM, DEV, 1 << 10)
    assert reply.objects == ((EvidenceType.REPORT, blob),)


@pytest.mark.parametrize(("source", "admin", "mask", "code", "text"), [
    ({}, True, 1, errno.ENODEV, "device '10000:01:00.0' not found"),
    ({DEV: (False, None)}, True, 1, errno.ENXIO, "no TSM context"),
    ({DEV: (True, EvidenceSet())}, True, 1, errno.ENXIO, "no evidence available"),
    ({DEV: (True, SAMPLE)}, False, 1, errno.EPERM, None),
    ({DEV: (True, SAMPLE)}, True, 4096, errno.EINVAL, "unsupported object request 0x1000"),
])
def test_errors_are_oserror(source: dict, admin: bool, mask: int, code: int,
                            text: str | None) -> None:
    with pytest.raises(OSError) as info:
        read_evidence(kernel(source, admin=admin), FAM, DEV, mask)
    assert info.value.errno == code
    if text:
        assert info.value.strerror == text


def test_eagain_retries_whole_dump_then_gives_up() -> None:
    calls: list[int] = []
    ev = EvidenceSet().replace(EvidenceType.CERT0, EvidenceObject(b"x" * 9000))

    def flaky(req: bytes) -> Iterable[bytes]:
        calls.append(1)
        out = list(run_dump(req, {DEV: (True, ev)}, is_admin=True, options=OPT, room=4096))
        if len(calls) < 3:  # a refresh lands after the first message
            bumped = ev.replace(EvidenceType.VCA, EvidenceObject(b"v"))
            out = out[:1] + list(run_dump(req, {DEV: (True, bumped)}, is_admin=True,
                                          options=OPT, room=4096))[-1:]
            out[-1] = _eagain_done(out[-1])
        return out

    reply = read_evidence(flaky, FAM, DEV, 1, retries=3)
    assert reply.attempts == 3 and reply.as_dict()[EvidenceType.CERT0] == b"x" * 9000
    calls.clear()
    with pytest.raises(OSError) as info:
        read_evidence(flaky, FAM, DEV, 1, retries=1)
    assert info.value.errno == errno.EAGAIN and len(calls) == 2


def _eagain_done(raw: bytes) -> bytes:
    from devtrust.kernel.netlink.codec import attr_string
    done = decode_message(raw)
    assert isinstance(done, DoneMessage)
    return DoneMessage(done.flags | 0x200, done.seq, done.pid, -errno.EAGAIN,
                       (attr_string(1, "evidence updated during read"),)).encode()


def test_protocol_violations_are_eproto() -> None:
    good = list(run_dump(build_dump_request(FAM, 3, DEV), {DEV: (True, SAMPLE)},
                         is_admin=True, options=OPT))
    bad_streams = [
        good[:-1],                       # no DONE
        [GenlMessage(FAM, 2, 1, 0, 1, 1, (Attr(6, b"v"),)).encode(), *good],  # VAL first
        [good[1], good[0], good[-1]],    # out of order
        good + good[-1:],                # message after DONE
        [good[0], good[-1]],             # a requested type missing
        [b"\x10\0\0\0" + good[0][4:], *good[1:]],  # garbled nlmsg_len
        [GenlMessage(FAM, 2, 1, 0, 1, 1, (attr_u32(1, 0),)).encode(), *good[1:]],  # no VAL
    ]
    for stream in bad_streams:
        with pytest.raises(OSError) as info:
            parse_dump_reply(stream, family_id=FAM, type_mask=3)
        assert info.value.errno == errno.EPROTO


def test_v2_uncapped_overflow_is_detected() -> None:
    opt = DumpOptions(family_id=FAM, chunk_cap=None)
    ev = EvidenceSet().replace(EvidenceType.CERT0, EvidenceObject(b"\1" * 70000))
    out = run_dump(build_dump_request(FAM, 1, DEV), {DEV: (True, ev)}, is_admin=True,
                   options=opt, room=1 << 20)
    with pytest.raises(OSError) as info:
        parse_dump_reply(out, family_id=FAM, type_mask=1)
    assert info.value.errno == errno.EPROTO


class FakeNetlinkSocket:
    """Stands in for AF_NETLINK: replies come from the emulated kernel, in one buffer."""

    def __init__(self, source: dict) -> None:
        self.source = source
        self.pending: list[bytes] = []
        self.opts: list[tuple[int, int, int]] = []

    def setsockopt(self, level: int, opt: int, value: int) -> None:
        self.opts.append((level, opt, value))

    def bind(self, addr: tuple[int, int]) -> None:
        assert addr == (0, 0)

    def send(self, data: bytes) -> int:
        self.pending.append(b"".join(handle_request(data, self.source, is_admin=True,
                                                    options=OPT)))
        return len(data)

    def recv(self, size: int) -> bytes:
        return self.pending.pop(0) if self.pending else b""

    def close(self) -> None:
        pass


def test_kernel_socket_against_fake() -> None:
    fake = FakeNetlinkSocket({DEV: (True, SAMPLE)})
    with KernelSocket(lambda: fake) as sock:
        family = resolve_family(sock.send)
        assert family == FAM and fake.opts == [(270, 11, 1)]
        reply = read_evidence(sock.send, family, DEV, 2047)
    assert len(reply.objects) == 11


def test_resolve_family_missing_is_enoent() -> None:
    def no_family(req: bytes) -> Iterable[bytes]:
        return handle_request(req, {}, is_admin=True, options=DumpOptions(family_id=FAM))
    assert resolve_family(no_family) == FAM
    with pytest.raises(OSError) as info:
        resolve_family(no_family, "other")
    assert info.value.errno == errno.ENOENT


def test_request_bytes_carry_nonce_and_digest_flag() -> None:
    msg = decode_message(build_dump_request(FAM, 1, DEV, flags=1, nonce=b"n" * 32, seq=9))
    assert isinstance(msg, GenlMessage) and msg.flags == 0x301 and msg.seq == 9
    assert [a.type for a in msg.attrs] == [2, 3, 4, 5] and msg.find(3).u32() == 1  # type: ignore[union-attr]


def test_real_kernel_nlctrl_if_available() -> None:
    """The codec against the running kernel: nlctrl resolves itself; pci-tsm, if absent,
    answers ENOENT exactly as dump_evidence_from_kernel would surface it."""
    try:
        sock = KernelSocket()
    except OSError as exc:
        pytest.skip(f"no AF_NETLINK here: {exc}")
    with sock:
        assert resolve_family(sock.send, "nlctrl") == 0x10
        try:
            family = resolve_family(sock.send)
        except OSError as exc:
            assert exc.errno == errno.ENOENT
            return
        with pytest.raises(OSError) as info:  # a kernel with the family: no such device
            read_evidence(sock.send, family, "ffff:ff:1f.7", 1)
        assert info.value.errno in (errno.ENODEV, errno.EPERM)


def test_dump_evidence_gives_platform_evidence_dump() -> None:
    digest = bytes(48)
    ev = EvidenceSet(1).replace(EvidenceType.CERT0, EvidenceObject(b"c", digest))
    dump = dump_evidence(kernel({DEV: (True, ev)}), DEV, 3, digest=True, generation=2)
    assert dump.device == DEV and dump.digests and dump.generation == 2
    assert dump.get(EvidenceType.CERT0) == digest and dump.get(EvidenceType.CERT1) == b""


@given(st.lists(st.binary(max_size=64), max_size=4), st.integers(0, 2047))
def test_reply_parser_raises_only_oserror(stream: list[bytes], mask: int) -> None:
    try:
        parse_dump_reply(stream, family_id=FAM, type_mask=mask)
    except OSError:
        pass


@given(st.lists(st.builds(Attr, st.integers(0, 8), st.binary(max_size=24),
                          st.booleans()), max_size=6))
def test_family_decoder_raises_only_wire_error(attrs: list[Attr]) -> None:
    from devtrust.kernel.netlink.ctrl import decode_family
    from devtrust.wire.errors import WireError
    try:
        decode_family(GenlMessage(0x10, 0, 1, 0, 1, 2, tuple(attrs)))
    except WireError:
        pass
