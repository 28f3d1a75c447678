# SPDX-License-Identifier: BSD-3-Clause
"""User-space client of the ``pci-tsm`` ``evidence-read`` dump.

Builds the request bytes, parses the reply stream, reassembles objects (a
message carrying TYPE starts an object, VAL-only messages append to it, as
devsec.sh's ``check_evidence`` does) and retries the whole dump on EAGAIN.
Failures are ``OSError(errno, message)`` (STYLE 14): the kernel's errno and
extack text, or EPROTO for a reply stream that violates the protocol.

The transport is any ``send(request) -> Iterable[message bytes]``: the emulated
kernel (``devtrust.kernel.netlink.handle_request``) or :class:`KernelSocket`,
a raw ``AF_NETLINK`` socket to the running kernel (stdlib only; no pyroute2).
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import devtrust.kernel.netlink.constants as spec
from devtrust.kernel.netlink.codec import (
    NETLINK_GENERIC,
    NLM_F_DUMP,
    NLM_F_REQUEST,
    Attr,
    DoneMessage,
    ErrorMessage,
    GenlMessage,
    Message,
    attr_string,
    attr_u32,
    decode_message,
    split_messages,
)
from devtrust.kernel.netlink.ctrl import decode_family, encode_getfamily
from devtrust.platform.base import EvidenceDump
from devtrust.wire.errors import WireError
from devtrust.wire.evidence import EvidenceType

__all__ = [
    "EvidenceReply",
    "KernelSocket",
    "Transport",
    "build_dump_request",
    "dump_evidence",
    "dump_evidence_from_kernel",
    "parse_dump_reply",
    "read_evidence",
    "resolve_family",
]

Transport = Callable[[bytes], Iterable[bytes]]
_NETLINK_EXT_ACK = 11  # SOL_NETLINK option enabling extack TLVs
_SOL_NETLINK = 270


@dataclass(frozen=True, slots=True)
class EvidenceReply:
    """Reassembled objects in mask order; ``digests`` when DIGEST was requested."""

    objects: tuple[tuple[EvidenceType, bytes], ...]
    digests: bool
    attempts: int = 1

    def as_dict(self) -> dict[EvidenceType, bytes]:
        return dict(self.objects)


def build_dump_request(family_id: int, type_mask: int, dev_name: str, *, flags: int = 0,
                       nonce: bytes | None = None, seq: int = 1, pid: int = 0) -> bytes:
    """The ``evidence-read`` dump request: TYPE_MASK, FLAGS, DEV_NAME[, NONCE]."""
    attrs = [attr_u32(spec.A_EVIDENCE_OBJECT_TYPE_MASK, type_mask),
             attr_u32(spec.A_EVIDENCE_OBJECT_FLAGS, flags),
             attr_string(spec.A_EVIDENCE_OBJECT_DEV_NAME, dev_name)]
    if nonce is not None:
        attrs.append(Attr(spec.A_EVIDENCE_OBJECT_NONCE, nonce))
    return GenlMessage(family_id, NLM_F_REQUEST | NLM_F_DUMP, seq, pid, spec.CMD_EVIDENCE_READ,
                       spec.FAMILY_VERSION, tuple(attrs)).encode()


def _protocol(reason: str) -> OSError:
    return OSError(errno.EPROTO, f"pci-tsm evidence-read: {reason}")


def _raise_nl(msg: ErrorMessage | DoneMessage) -> None:
    if msg.error < 0:
        code = -msg.error
        raise OSError(code, msg.extack_msg or os.strerror(code))


def _decode(raw: bytes) -> Message:
    try:
        return decode_message(raw)
    except WireError as exc:
        raise _protocol(f"malformed reply: {exc}") from exc


def parse_dump_reply(messages: Iterable[bytes], *, family_id: int, type_mask: int
                     ) -> tuple[tuple[EvidenceType, bytes], ...]:
    """Reassemble one dump's reply stream; OSError on kernel error or bad stream.

    Each requested type must appear exactly once, in ascending order, starting
    with a TYPE message; VAL-only messages continue the current object; nothing
    may follow NLMSG_DONE. Objects above PCI_TSM_MAX_OBJECT_SIZE are refused.
    """
    objects: list[tuple[EvidenceType, bytearray]] = []
    done = False
    for raw in messages:
        if done:
            raise _protocol("message after NLMSG_DONE")
        msg = _decode(raw)
        if isinstance(msg, ErrorMessage | DoneMessage):
            _raise_nl(msg)
            if isinstance(msg, ErrorMessage):
                raise _protocol("unexpected ACK inside a dump")
            done = True
            continue
        if msg.family != family_id or msg.cmd != spec.CMD_EVIDENCE_READ:
            raise _protocol(f"unexpected message family {msg.family} cmd {msg.cmd}")
        kinds = [a for a in msg.attrs if a.type == spec.A_EVIDENCE_OBJECT_TYPE]
        vals = [a for a in msg.attrs if a.type == spec.A_EVIDENCE_OBJECT_VAL]
        if len(kinds) > 1 or len(vals) != 1 or len(msg.attrs) != len(kinds) + len(vals):
            raise _protocol("message must carry [TYPE] and exactly one VAL")
        if kinds:
            try:
                kind = EvidenceType(kinds[0].u32())
            except (WireError, ValueError) as exc:
                raise _protocol("bad TYPE attribute") from exc
            if not type_mask & kind.flag or (objects and kind <= objects[-1][0]):
                raise _protocol(f"unrequested or out-of-order type {kind.name}")
            objects.append((kind, bytearray()))
        elif not objects:
            raise _protocol("VAL before the first TYPE")
        buf = objects[-1][1]
        buf += vals[0].payload
        if len(buf) > spec.MAX_OBJECT_SIZE:
            raise _protocol("object exceeds PCI_TSM_MAX_OBJECT_SIZE")
    if not done:
        raise _protocol("stream ended without NLMSG_DONE")
    got = sum(kind.flag for kind, _ in objects)
    if got != type_mask:
        raise _protocol(f"requested types {type_mask:#x}, received {got:#x}")
    return tuple((kind, bytes(data)) for kind, data in objects)


def read_evidence(send: Transport, family_id: int, dev_name: str, type_mask: int, *,
                  digest: bool = False, nonce: bytes | None = None, retries: int = 3,
                  seq: int = 1) -> EvidenceReply:
    """Run the dump, retrying all of it up to ``retries`` times on EAGAIN.

    Raises OSError with the kernel's errno and extack message (EINVAL, ENODEV,
    ENXIO, EPERM, ERANGE, EMSGSIZE, EAGAIN once retries are spent) or EPROTO.
    """
    flags = spec.EVIDENCE_FLAG_DIGEST if digest else 0
    attempt = 0
    while True:
        attempt += 1
        request = build_dump_request(family_id, type_mask, dev_name, flags=flags, nonce=nonce,
                                     seq=seq + attempt - 1)
        try:
            objects = parse_dump_reply(send(request), family_id=family_id, type_mask=type_mask)
        except OSError as exc:
            if exc.errno == errno.EAGAIN and attempt <= retries:
                continue
            raise
        return EvidenceReply(objects, digest, attempt)


def resolve_family(send: Transport, name: str = spec.FAMILY_NAME, *, seq: int = 1) -> int:
    """The dynamic family id of ``name`` via nlctrl; OSError(ENOENT) when absent."""
    family: int | None = None
    for raw in send(encode_getfamily(name, seq=seq)):
        msg = _decode(raw)
        if isinstance(msg, ErrorMessage):
            _raise_nl(msg)
            continue
        if isinstance(msg, GenlMessage):
            try:
                family = decode_family(msg).family_id
            except WireError as exc:
                raise _protocol(f"bad NEWFAMILY: {exc}") from exc
    if family is None:
        raise OSError(errno.ENOENT, f"generic netlink family {name!r} not found")
    return family


class KernelSocket:
    """A blocking ``AF_NETLINK``/``NETLINK_GENERIC`` socket usable as a Transport.

    ``send(request)`` sends one request and yields reply messages until
    NLMSG_DONE, NLMSG_ERROR, or (for a non-dump request) the reply plus ACK.
    ``factory`` builds the socket; tests pass a fake with the same methods.
    """

    def __init__(self, factory: Callable[[], Any] | None = None, bufsize: int = 65536) -> None:
        make = factory or (lambda: socket.socket(socket.AF_NETLINK,
                                                 socket.SOCK_RAW, NETLINK_GENERIC))
        self._sock = make()
        self._bufsize = bufsize
        self._sock.setsockopt(_SOL_NETLINK, _NETLINK_EXT_ACK, 1)
        self._sock.bind((0, 0))

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> KernelSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, request: bytes) -> Iterable[bytes]:
        self._sock.send(request)
        seq = int.from_bytes(request[8:12], "little")
        out: list[bytes] = []
        while True:
            data = self._sock.recv(self._bufsize)
            if not data:
                raise _protocol("netlink socket closed")
            try:
                frames = split_messages(data)
            except WireError as exc:
                raise _protocol(f"bad netlink buffer: {exc}") from exc
            for frame in frames:
                if int.from_bytes(frame[8:12], "little") != seq:
                    continue  # a stale reply to an earlier request
                out.append(frame)
                kind = int.from_bytes(frame[4:6], "little")
                if kind in (2, 3):  # NLMSG_ERROR, NLMSG_DONE end the exchange
                    return out

    __call__ = send


def dump_evidence(send: Transport, device: str, type_mask: int, *, digest: bool = False,
                  nonce: bytes | None = None, retries: int = 3,
                  generation: int | None = None) -> EvidenceDump:
    """Resolve the family over ``send``, dump, and return the platform's EvidenceDump.

    The emulated platform passes its kernel as ``send`` (and the generation it
    knows); the v2 ABI does not carry the generation, so a real kernel gives None.
    """
    family = resolve_family(send)
    reply = read_evidence(send, family, device, type_mask, digest=digest, nonce=nonce,
                          retries=retries, seq=2)
    return EvidenceDump(device, reply.objects, digests=digest, generation=generation)


def dump_evidence_from_kernel(device: str, type_mask: int, *, digest: bool = False,
                              nonce: bytes | None = None) -> EvidenceDump:
    """Dump evidence from the running kernel (the SysfsPlatform backend)."""
    with KernelSocket() as sock:
        return dump_evidence(sock.send, device, type_mask, digest=digest, nonce=nonce)
