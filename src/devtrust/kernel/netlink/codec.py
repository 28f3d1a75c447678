# SPDX-License-Identifier: BSD-3-Clause
"""Netlink and generic-netlink messages as real bytes (uapi netlink.h, genetlink.h).

Layouts, each declared once here:

* ``nlmsghdr`` (16 bytes): ``nlmsg_len`` u32 (whole message incl. header),
  ``nlmsg_type`` u16, ``nlmsg_flags`` u16, ``nlmsg_seq`` u32, ``nlmsg_pid`` u32.
* ``genlmsghdr`` (4 bytes): ``cmd`` u8, ``version`` u8, ``reserved`` u16.
* ``nlattr``: ``nla_len`` u16 (header + payload, without padding), ``nla_type``
  u16 (bit 15 NLA_F_NESTED, bit 14 NLA_F_NET_BYTEORDER), payload, zero padding to
  a 4-byte boundary.
* NLMSG_ERROR payload: ``error`` s32 (0 or a negative errno), the request's
  ``nlmsghdr``, the request payload unless NLM_F_CAPPED, then extended-ACK TLVs
  when NLM_F_ACK_TLVS.
* NLMSG_DONE payload: ``error`` s32, then extended-ACK TLVs when NLM_F_ACK_TLVS.

Netlink is host-endian. devtrust models little-endian hosts (x86-64, arm64 LE)
and encodes every field little-endian; a big-endian host is out of scope.

Decoders are strict (STYLE 4): lengths must agree exactly, padding bytes must be
present and zero, reserved genl bytes zero; anything else raises
:class:`~devtrust.wire.errors.WireError` and nothing else escapes (STYLE 3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from devtrust.wire.codec import Reader, Writer
from devtrust.wire.errors import (
    EncodeError,
    LengthError,
    TrailingBytesError,
    UnknownCodeError,
)

__all__ = [
    "GENL_HDRLEN",
    "NETLINK_GENERIC",
    "NLA_ALIGNTO",
    "NLA_F_NESTED",
    "NLA_F_NET_BYTEORDER",
    "NLA_HDRLEN",
    "NLA_MAX_PAYLOAD",
    "NLA_TYPE_MASK",
    "NLMSGERR_ATTR_MSG",
    "NLMSGERR_ATTR_OFFS",
    "NLMSG_DONE",
    "NLMSG_ERROR",
    "NLMSG_HDRLEN",
    "NLMSG_MIN_TYPE",
    "NLMSG_NOOP",
    "NLMSG_OVERRUN",
    "NLM_F_ACK",
    "NLM_F_ACK_TLVS",
    "NLM_F_CAPPED",
    "NLM_F_DUMP",
    "NLM_F_DUMP_INTR",
    "NLM_F_MULTI",
    "NLM_F_REQUEST",
    "Attr",
    "DoneMessage",
    "ErrorMessage",
    "GenlMessage",
    "Message",
    "NlMsgHdr",
    "align4",
    "attr_string",
    "attr_u16",
    "attr_u32",
    "decode_attrs",
    "decode_message",
    "encode_attrs",
    "split_messages",
]

NETLINK_GENERIC = 16
NLMSG_HDRLEN = 16
GENL_HDRLEN = 4
NLA_HDRLEN = 4
NLA_ALIGNTO = 4
NLA_F_NESTED = 1 << 15
NLA_F_NET_BYTEORDER = 1 << 14
NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xFFFF
# nla_len is a u16 that includes the 4-byte header (I49, D6).
NLA_MAX_PAYLOAD = 0xFFFF - NLA_HDRLEN

NLMSG_NOOP = 1
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSG_OVERRUN = 4
NLMSG_MIN_TYPE = 0x10

NLM_F_REQUEST = 0x01
NLM_F_MULTI = 0x02
NLM_F_ACK = 0x04
NLM_F_DUMP_INTR = 0x10
NLM_F_DUMP = 0x300  # NLM_F_ROOT | NLM_F_MATCH
NLM_F_CAPPED = 0x100  # in ACKs: request payload omitted
NLM_F_ACK_TLVS = 0x200  # in ACKs and DONE: extended-ACK TLVs follow

NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2

_S = "netlink"


def align4(n: int) -> int:
    """NLMSG_ALIGN / NLA_ALIGN: round up to a multiple of 4."""
    return (n + 3) & ~3


@dataclass(frozen=True, slots=True)
class NlMsgHdr:
    """``struct nlmsghdr``; ``length`` covers the whole message."""

    length: int
    type: int
    flags: int
    seq: int
    pid: int

    def encode(self) -> bytes:
        w = Writer("nlmsghdr")
        w.u32(self.length, "nlmsg_len").u16(self.type, "nlmsg_type")
        w.u16(self.flags, "nlmsg_flags").u32(self.seq, "nlmsg_seq").u32(self.pid, "nlmsg_pid")
        return w.getvalue()

    @classmethod
    def read(cls, r: Reader) -> NlMsgHdr:
        return cls(r.u32("nlmsg_len"), r.u16("nlmsg_type"), r.u16("nlmsg_flags"),
                   r.u32("nlmsg_seq"), r.u32("nlmsg_pid"))


@dataclass(frozen=True, slots=True)
class Attr:
    """One ``nlattr``. ``type`` excludes the NESTED/NET_BYTEORDER bits."""

    type: int
    payload: bytes = b""
    nested: bool = False
    net_byteorder: bool = False

    def encode(self) -> bytes:
        if not 0 <= self.type <= NLA_TYPE_MASK:
            raise EncodeError("nlattr", "nla_type", 0, f"type {self.type} out of range")
        if len(self.payload) > NLA_MAX_PAYLOAD:
            raise EncodeError("nlattr", "nla_len", 0,
                              f"payload of {len(self.payload)} bytes exceeds the u16 nla_len")
        kind = self.type | (NLA_F_NESTED if self.nested else 0)
        kind |= NLA_F_NET_BYTEORDER if self.net_byteorder else 0
        size = NLA_HDRLEN + len(self.payload)
        w = Writer("nlattr").u16(size, "nla_len").u16(kind, "nla_type")
        w.raw(bytes(self.payload), "payload").zeros(align4(size) - size, "padding")
        return w.getvalue()

    def u32(self) -> int:
        """The payload as a u32 (WireError unless exactly 4 bytes)."""
        r = Reader(self.payload, "nlattr u32")
        value = r.u32("payload")
        r.end()
        return value

    def string(self) -> str:
        """The payload as a NUL-terminated ASCII/UTF-8 string."""
        r = Reader(self.payload, "nlattr string")
        if not self.payload or self.payload[-1] != 0:
            raise r.error("payload", "string attribute is not NUL-terminated")
        try:
            return self.payload[:-1].decode()
        except UnicodeDecodeError:
            raise r.error("payload", "string attribute is not UTF-8") from None


def attr_u32(kind: int, value: int) -> Attr:
    return Attr(kind, Writer("nlattr u32").u32(value, "payload").getvalue())


def attr_u16(kind: int, value: int) -> Attr:
    return Attr(kind, Writer("nlattr u16").u16(value, "payload").getvalue())


def attr_string(kind: int, value: str) -> Attr:
    """A ``string`` attribute: the text plus its NUL, as ``nla_put_string``."""
    return Attr(kind, value.encode() + b"\0")


def encode_attrs(attrs: Iterable[Attr]) -> bytes:
    return b"".join(a.encode() for a in attrs)


def decode_attrs(data: bytes, *, structure: str = "attributes", base: int = 0
                 ) -> tuple[Attr, ...]:
    """Split an attribute stream; each attribute's padding must be present and zero."""
    r = Reader(data, structure, base=base)
    out: list[Attr] = []
    while r.remaining:
        at = r.offset
        size = r.u16("nla_len")
        kind = r.u16("nla_type")
        if size < NLA_HDRLEN:
            raise r.error("nla_len", f"nla_len {size} below the header size",
                          offset=at, kind=LengthError)
        payload = r.take(size - NLA_HDRLEN, "payload")
        pad = align4(size) - size
        if pad > r.remaining:
            raise r.error("padding", "attribute padding missing", kind=LengthError)
        r.reserved(pad, "padding")
        out.append(Attr(kind & NLA_TYPE_MASK, payload, bool(kind & NLA_F_NESTED),
                        bool(kind & NLA_F_NET_BYTEORDER)))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class GenlMessage:
    """A generic-netlink message: nlmsghdr + genlmsghdr + attributes."""

    family: int
    flags: int
    seq: int
    pid: int
    cmd: int
    version: int
    attrs: tuple[Attr, ...] = ()

    def encode(self) -> bytes:
        body = encode_attrs(self.attrs)
        hdr = NlMsgHdr(NLMSG_HDRLEN + GENL_HDRLEN + len(body), self.family, self.flags,
                       self.seq, self.pid)
        genl = Writer("genlmsghdr").u8(self.cmd, "cmd").u8(self.version, "version")
        return hdr.encode() + genl.u16(0, "reserved").getvalue() + body

    def find(self, kind: int) -> Attr | None:
        """The first attribute of ``kind`` (the kernel's ``tb[kind]`` keeps the last)."""
        return next((a for a in self.attrs if a.type == kind), None)


@dataclass(frozen=True, slots=True)
class ErrorMessage:
    """NLMSG_ERROR: an ACK (``error == 0``) or a failure (negative errno)."""

    flags: int
    seq: int
    pid: int
    error: int
    request: NlMsgHdr
    request_payload: bytes = b""
    tlvs: tuple[Attr, ...] = ()

    def encode(self) -> bytes:
        w = Writer("nlmsgerr").raw(self.error.to_bytes(4, "little", signed=True), "error")
        w.raw(self.request.encode(), "msg").raw(self.request_payload, "payload")
        body = w.getvalue() + encode_attrs(self.tlvs)
        hdr = NlMsgHdr(NLMSG_HDRLEN + len(body), NLMSG_ERROR, self.flags, self.seq, self.pid)
        return hdr.encode() + body

    @property
    def extack_msg(self) -> str | None:
        return _extack_msg(self.tlvs)

    @property
    def extack_offset(self) -> int | None:
        found = next((a for a in self.tlvs if a.type == NLMSGERR_ATTR_OFFS), None)
        return None if found is None else found.u32()


@dataclass(frozen=True, slots=True)
class DoneMessage:
    """NLMSG_DONE closing a dump; ``error`` is 0 or the dump's negative errno."""

    flags: int
    seq: int
    pid: int
    error: int = 0
    tlvs: tuple[Attr, ...] = ()

    def encode(self) -> bytes:
        body = self.error.to_bytes(4, "little", signed=True) + encode_attrs(self.tlvs)
        hdr = NlMsgHdr(NLMSG_HDRLEN + len(body), NLMSG_DONE, self.flags, self.seq, self.pid)
        return hdr.encode() + body

    @property
    def extack_msg(self) -> str | None:
        return _extack_msg(self.tlvs)


Message = GenlMessage | ErrorMessage | DoneMessage


def _extack_msg(tlvs: tuple[Attr, ...]) -> str | None:
    found = next((a for a in tlvs if a.type == NLMSGERR_ATTR_MSG), None)
    return None if found is None else found.string()


def _s32(r: Reader, field: str) -> int:
    return int.from_bytes(r.take(4, field), "little", signed=True)


def decode_message(data: bytes) -> Message:
    """Decode exactly one netlink message (``nlmsg_len`` must equal ``len(data)``)."""
    r = Reader(data, _S)
    hdr = NlMsgHdr.read(r)
    if hdr.length != len(r.data):
        raise r.error("nlmsg_len", f"nlmsg_len {hdr.length} but message is {len(r.data)} bytes",
                      offset=0, kind=LengthError)
    if hdr.type == NLMSG_ERROR:
        error = _s32(r, "error")
        orig_at = r.offset
        orig = NlMsgHdr.read(r)
        payload = b""
        if not hdr.flags & NLM_F_CAPPED:
            if orig.length < NLMSG_HDRLEN:
                raise r.error("msg.nlmsg_len", "echoed header length below 16",
                              offset=orig_at, kind=LengthError)
            payload = r.take(align4(orig.length) - NLMSG_HDRLEN, "msg.payload")
        tlvs = _tlvs(r, hdr.flags)
        if error > 0:
            raise r.error("error", f"positive error {error}", offset=NLMSG_HDRLEN)
        return ErrorMessage(hdr.flags, hdr.seq, hdr.pid, error, orig, payload, tlvs)
    if hdr.type == NLMSG_DONE:
        error = _s32(r, "error")
        if error > 0:
            raise r.error("error", f"positive error {error}", offset=NLMSG_HDRLEN)
        return DoneMessage(hdr.flags, hdr.seq, hdr.pid, error, _tlvs(r, hdr.flags))
    if hdr.type < NLMSG_MIN_TYPE:
        raise r.error("nlmsg_type", f"unexpected control message type {hdr.type}",
                      offset=4, kind=UnknownCodeError)
    cmd = r.u8("genlmsghdr.cmd")
    version = r.u8("genlmsghdr.version")
    r.reserved(2, "genlmsghdr.reserved")
    attrs = decode_attrs(r.rest("attributes"), structure=_S, base=NLMSG_HDRLEN + GENL_HDRLEN)
    return GenlMessage(hdr.type, hdr.flags, hdr.seq, hdr.pid, cmd, version, attrs)


def _tlvs(r: Reader, flags: int) -> tuple[Attr, ...]:
    if flags & NLM_F_ACK_TLVS:
        return decode_attrs(r.rest("tlvs"), structure=_S, base=r.offset)
    if r.remaining:
        raise r.error("<end>", f"{r.remaining} bytes without NLM_F_ACK_TLVS",
                      kind=TrailingBytesError)
    return ()


def split_messages(buf: bytes) -> tuple[bytes, ...]:
    """Split one ``recv()`` buffer into messages (each padded to NLMSG_ALIGN)."""
    r = Reader(buf, "netlink buffer")
    out: list[bytes] = []
    while r.remaining:
        at = r.pos
        if r.remaining < NLMSG_HDRLEN:
            raise r.error("nlmsghdr", f"{r.remaining} stray bytes", kind=TrailingBytesError)
        size = int.from_bytes(r.data[at:at + 4], "little")
        if size < NLMSG_HDRLEN:
            raise r.error("nlmsg_len", f"nlmsg_len {size} below 16", kind=LengthError)
        out.append(r.take(size, "message"))
        # The sender pads every message but possibly the last to NLMSG_ALIGN.
        r.reserved(min(align4(size) - size, r.remaining), "padding")
    return tuple(out)
