# SPDX-License-Identifier: BSD-3-Clause
"""Server side of ``pci-tsm`` ``evidence-read`` as pure functions (kernel-abi.md §5.8).

The kernel's dump is a start callback (``pre``) that validates the request and
builds a context, then repeated dump callbacks that each emit one message. Here
:func:`dump_start` returns a :class:`DumpState` (or an :class:`NlError`), and
:func:`dump_callback` maps ``(state, evidence source) -> (state, messages)``.
The caller may change the evidence between callbacks (a refresh), which the
next callback reports as EAGAIN, exactly as a concurrent refresh would.

Errors from dump start travel as NLMSG_ERROR (``netlink_ack``); errors from a
dump callback travel as NLMSG_DONE carrying the negative errno and the extack
message (``netlink_dump_done``). Both are built here as bytes.

Choices where v2 is silent or wrong, each a field of :class:`DumpOptions`:

* ``chunk_cap`` (D6): VAL chunks are capped at :data:`VAL_CHUNK_MAX` = 65528
  bytes, the largest 4-aligned payload whose ``nla_len`` (payload + 4) fits the
  u16. ``None`` reproduces v2, where a receive buffer above 64 KiB makes
  ``nla_len`` wrap (emitted as the wrapped value, as ``nla_put`` would).
* ``nonce_policy`` (D13): v2 accepts NONCE by policy but never reads it
  (:attr:`NoncePolicy.IGNORED_V2`). :attr:`NoncePolicy.REFRESH` keeps it, and the
  first callback then asks ``refresh`` for fresh evidence (no callback behaves as
  v2's core refresh: EOPNOTSUPP).
* ``max_nonce_size`` (D7, pitfall 10): the policy limit, 256 by default.
* D23: the cursor is only advanced after the room check, so a cancelled message
  never loses its TYPE (unreachable in v2 anyway: an error ends the dump).
"""

from __future__ import annotations

import errno
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import Enum

import devtrust.kernel.netlink.constants as spec
from devtrust.kernel.netlink.codec import (
    GENL_HDRLEN,
    NLA_ALIGNTO,
    NLA_HDRLEN,
    NLA_MAX_PAYLOAD,
    NLM_F_ACK_TLVS,
    NLM_F_CAPPED,
    NLM_F_MULTI,
    NLMSG_HDRLEN,
    NLMSGERR_ATTR_MSG,
    NLMSGERR_ATTR_OFFS,
    Attr,
    DoneMessage,
    ErrorMessage,
    GenlMessage,
    NlMsgHdr,
    align4,
    attr_string,
    attr_u32,
)
from devtrust.wire.evidence import EvidenceSet

__all__ = [
    "CURSOR_OBJECT_START",
    "CURSOR_START",
    "DEV_NAME_SIZE",
    "VAL_CHUNK_MAX",
    "DeviceEvidence",
    "DumpOptions",
    "DumpState",
    "DumpStateError",
    "EvidenceSource",
    "Interrupt",
    "NlError",
    "NoncePolicy",
    "RefreshFn",
    "done_reply",
    "dump_callback",
    "error_reply",
    "lookup",
]

DEV_NAME_SIZE = 32  # the dump context's name buffer (Appendix A)
CURSOR_START = 0xFFFF_FFFF
CURSOR_OBJECT_START = 0xFFFF_FFFE
VAL_CHUNK_MAX = NLA_MAX_PAYLOAD & ~(NLA_ALIGNTO - 1)  # 65528
_MSG_OVERHEAD = NLMSG_HDRLEN + GENL_HDRLEN
_EMPTY_ATTR = NLA_HDRLEN + NLA_ALIGNTO  # "an empty attribute header plus alignment"

#: ``(has_tsm_context, evidence)`` for one device.
DeviceEvidence = tuple[bool, EvidenceSet | None]
#: Device name -> evidence; a missing name means "no such PCI device".
EvidenceSource = Mapping[str, DeviceEvidence] | Callable[[str], DeviceEvidence | None]
#: ``refresh(dev_name, evidence_type, flags, nonce) -> 0 or a positive errno``.
RefreshFn = Callable[[str, int, int, bytes], int]


class NoncePolicy(Enum):
    IGNORED_V2 = "ignored-v2"
    REFRESH = "refresh"


class Interrupt(Enum):
    """Where a pending signal interrupts a dump callback's lock acquisition."""

    TSM_CONTEXT = "pci_tsm_rwsem"
    EVIDENCE = "evidence rwsem"


class DumpStateError(Exception):
    """A dump transition was attempted from a state that does not allow it."""


@dataclass(frozen=True, slots=True)
class DumpOptions:
    """Variant knobs of the dump server, each set once."""

    family_id: int
    max_nonce_size: int = spec.MAX_NONCE_SIZE
    chunk_cap: int | None = VAL_CHUNK_MAX
    nonce_policy: NoncePolicy = NoncePolicy.IGNORED_V2
    refresh: RefreshFn | None = None
    ext_ack: bool = True  # the socket enabled NETLINK_EXT_ACK
    cap_ack: bool = False  # the socket enabled NETLINK_CAP_ACK

    def __post_init__(self) -> None:
        if self.chunk_cap is not None and not 0 < self.chunk_cap <= VAL_CHUNK_MAX:
            raise ValueError("chunk_cap must be in 1..65528 (or None for v2)")


@dataclass(frozen=True, slots=True)
class NlError:
    """A failed operation: positive errno, extack message, bad-attribute offset."""

    errno: int
    msg: str | None = None
    bad_attr_offset: int | None = None


@dataclass(frozen=True, slots=True)
class DumpState:
    """The dump context plus the cursor (``CURSOR_START``/``CURSOR_OBJECT_START``/offset)."""

    dev_name: str
    type_mask: int
    flags: int
    nonce: bytes | None
    seq: int
    pid: int
    current_type: int
    cursor: int = CURSOR_START
    generation: int = 0
    finished: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.current_type <= spec.EVIDENCE_TYPE_MAX:
            raise ValueError("current_type out of range")
        if not self.type_mask & (1 << self.current_type):
            raise ValueError("current_type not requested")


def lookup(source: EvidenceSource, name: str) -> DeviceEvidence | None:
    """Resolve ``name`` in a mapping or callable evidence source."""
    if isinstance(source, Mapping):
        return source.get(name)
    return source(name)


def _object_bytes(evidence: EvidenceSet, kind: int, flags: int) -> bytes:
    obj = evidence.objects[kind]
    if not flags & spec.EVIDENCE_FLAG_DIGEST:
        return obj.data
    if obj.digest is None:
        return b""
    size = hashlib.new(evidence.digest_algo).digest_size
    if len(obj.digest) != size:
        raise DumpStateError(f"TSM digest of type {kind} is {len(obj.digest)} bytes, "
                             f"{evidence.digest_algo} needs {size}")
    return obj.digest


def _next_type(mask: int, after: int) -> int | None:
    for kind in range(after + 1, spec.EVIDENCE_TYPE_MAX + 1):
        if mask & (1 << kind):
            return kind
    return None


def _val_attr(chunk: bytes) -> bytes:
    """VAL as nla_put writes it; without the D6 cap ``nla_len`` wraps modulo 2**16."""
    size = NLA_HDRLEN + len(chunk)
    head = (size & 0xFFFF).to_bytes(2, "little") + spec.A_EVIDENCE_OBJECT_VAL.to_bytes(2, "little")
    return head + chunk + bytes(align4(size) - size)


def done_reply(state: DumpState, options: DumpOptions, err: NlError | None = None) -> bytes:
    """NLMSG_DONE ending the dump: error 0, or ``-errno`` with the extack message."""
    tlvs: tuple[Attr, ...] = ()
    flags = NLM_F_MULTI
    if err is not None and err.msg is not None and options.ext_ack:
        tlvs = (attr_string(NLMSGERR_ATTR_MSG, err.msg),)
        flags |= NLM_F_ACK_TLVS
    code = 0 if err is None else -err.errno
    return DoneMessage(flags, state.seq, state.pid, code, tlvs).encode()


def error_reply(request: bytes, err: NlError, options: DumpOptions) -> bytes:
    """NLMSG_ERROR answering ``request`` (which must carry a valid nlmsghdr)."""
    orig = NlMsgHdr(*_hdr_fields(request))
    payload = b""
    flags = 0
    if err.errno == 0 or options.cap_ack:
        flags |= NLM_F_CAPPED
    else:
        body = request[NLMSG_HDRLEN:orig.length]
        payload = body + bytes(align4(len(body)) - len(body))
    tlvs: list[Attr] = []
    if options.ext_ack:
        if err.msg is not None:
            tlvs.append(attr_string(NLMSGERR_ATTR_MSG, err.msg))
        if err.bad_attr_offset is not None:
            tlvs.append(attr_u32(NLMSGERR_ATTR_OFFS, err.bad_attr_offset))
    if tlvs:
        flags |= NLM_F_ACK_TLVS
    return ErrorMessage(flags, orig.seq, orig.pid, -err.errno, orig, payload,
                        tuple(tlvs)).encode()


def _hdr_fields(request: bytes) -> tuple[int, int, int, int, int]:
    b = request
    return (int.from_bytes(b[0:4], "little"), int.from_bytes(b[4:6], "little"),
            int.from_bytes(b[6:8], "little"), int.from_bytes(b[8:12], "little"),
            int.from_bytes(b[12:16], "little"))


def dump_callback(state: DumpState, source: EvidenceSource, *, room: int,
                  options: DumpOptions, interrupted: Interrupt | None = None
                  ) -> tuple[DumpState, tuple[bytes, ...]]:
    """One ``pci_tsm_nl_evidence_read_dumpit`` call: emit at most one message.

    ``room`` is the size of the buffer the kernel fills for this callback (it
    follows the receiver's ``recvmsg`` length). Returns the next state and the
    bytes sent: one genl message, plus NLMSG_DONE when the dump is finished or
    failed (then the state is ``finished``).

    Context: takes ``pci_tsm_rwsem`` then the evidence rwsem for read, both
    interruptibly; caller is the netlink dump machinery, after :func:`dump_start`.
    Return: in check order: refresh error (only with ``NoncePolicy.REFRESH`` and a
    nonce, at START; EOPNOTSUPP when no refresh is wired) "evidence refresh
    failed: %d"; EINTR "interrupted acquiring TSM context"; ENXIO "no TSM
    context"; EINTR "interrupted acquiring evidence"; ENXIO "no evidence
    available" (generation 0, at START); EAGAIN "evidence updated during read";
    EMSGSIZE (no room for an empty attribute).
    """
    if state.finished:
        raise DumpStateError("dump callback after the dump finished")

    def fail(err: NlError) -> tuple[DumpState, tuple[bytes, ...]]:
        return replace(state, finished=True), (done_reply(state, options, err),)

    if state.cursor == CURSOR_START and state.nonce is not None:
        rc = errno.EOPNOTSUPP
        if options.refresh is not None:
            rc = options.refresh(state.dev_name, state.current_type, state.flags, state.nonce)
        if rc:
            return fail(NlError(rc, f"evidence refresh failed: {-rc}"))
    if interrupted is Interrupt.TSM_CONTEXT:
        return fail(NlError(errno.EINTR, "interrupted acquiring TSM context"))
    entry = lookup(source, state.dev_name)
    if entry is None or not entry[0]:
        return fail(NlError(errno.ENXIO, "no TSM context"))
    if interrupted is Interrupt.EVIDENCE:
        return fail(NlError(errno.EINTR, "interrupted acquiring evidence"))
    evidence = entry[1]
    live = 0 if evidence is None else evidence.generation
    latched, cursor = state.generation, state.cursor
    if cursor == CURSOR_START:
        if live == 0:
            return fail(NlError(errno.ENXIO, "no evidence available"))
        latched, cursor = live, CURSOR_OBJECT_START
    if live != latched or evidence is None:
        return fail(NlError(errno.EAGAIN, "evidence updated during read"))

    head = b""
    if cursor == CURSOR_OBJECT_START:
        head = attr_u32(spec.A_EVIDENCE_OBJECT_TYPE, state.current_type).encode()
    tailroom = room - _MSG_OVERHEAD - len(head)
    if tailroom <= _EMPTY_ATTR:
        return fail(NlError(errno.EMSGSIZE))
    data = _object_bytes(evidence, state.current_type, state.flags)
    offset = 0 if cursor == CURSOR_OBJECT_START else cursor
    size = min(tailroom - _EMPTY_ATTR, len(data) - offset)
    if options.chunk_cap is not None:
        size = min(size, options.chunk_cap)
    body = head + _val_attr(data[offset:offset + size])
    genl = GenlMessage(options.family_id, NLM_F_MULTI, state.seq, state.pid,
                       spec.CMD_EVIDENCE_READ, spec.FAMILY_VERSION).encode()
    total = len(genl) + len(body)
    message = total.to_bytes(4, "little") + genl[4:] + body
    offset += size
    if offset < len(data):
        return replace(state, cursor=offset, generation=latched), (message,)
    following = _next_type(state.type_mask, state.current_type)
    if following is None:
        done = replace(state, cursor=offset, generation=latched, finished=True)
        return done, (message, done_reply(state, options))
    return replace(state, current_type=following, cursor=CURSOR_OBJECT_START,
                   generation=latched), (message,)
