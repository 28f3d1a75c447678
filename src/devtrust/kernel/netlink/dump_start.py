# SPDX-License-Identifier: BSD-3-Clause
"""Dump start for ``evidence-read``: genl dispatch checks, policy, then ``pre``.

Validation happens in the order a v2 kernel applies it to one request message
(kernel-abi.md §3.9, §5.8): the generic-netlink layer first (family, command,
dump flag, GENL_ADMIN_PERM), then the attribute policy generated from
``pci_tsm.yaml`` (strict, as for every new family), then
``pci_tsm_nl_evidence_read_pre``.
"""

from __future__ import annotations

import errno

import devtrust.kernel.netlink.constants as spec
from devtrust.kernel.netlink.codec import (
    GENL_HDRLEN,
    NLA_HDRLEN,
    NLM_F_DUMP,
    NLM_F_REQUEST,
    NLMSG_HDRLEN,
    Attr,
    align4,
    decode_attrs,
)
from devtrust.kernel.netlink.evidence_dump import (
    DEV_NAME_SIZE,
    DumpOptions,
    DumpState,
    EvidenceSource,
    NlError,
    NoncePolicy,
    lookup,
)
from devtrust.wire.errors import WireError

__all__ = ["dump_start", "is_droppable"]

_POLICY_MSG = "Attribute failed policy validation"
_MAXATTR = spec.A_EVIDENCE_OBJECT_NONCE  # the request policy covers ids up to NONCE


def is_droppable(request: bytes) -> bool:
    """True when netlink core silently ignores ``request`` (no reply at all).

    A frame shorter than a header, whose ``nlmsg_len`` disagrees with its size,
    or without NLM_F_REQUEST is skipped by ``netlink_rcv_skb``.
    """
    if len(request) < NLMSG_HDRLEN:
        return True
    length = int.from_bytes(request[0:4], "little")
    flags = int.from_bytes(request[6:8], "little")
    return length != len(request) or not flags & NLM_F_REQUEST


def _c_hex(value: int) -> str:
    """C's ``%#lx`` (no ``0x`` prefix for zero)."""
    return "0" if value == 0 else f"{value:#x}"


def _policy(attrs: tuple[Attr, ...], options: DumpOptions
            ) -> tuple[dict[int, tuple[Attr, int]], NlError | None]:
    table: dict[int, tuple[Attr, int]] = {}
    at = NLMSG_HDRLEN + GENL_HDRLEN
    for attr in attrs:
        if not 1 <= attr.type <= _MAXATTR:
            return table, NlError(errno.EINVAL, "Unknown attribute type", at)
        if attr.nested:
            return table, NlError(errno.EINVAL, "NLA_F_NESTED not expected", at)
        if attr.type not in spec.CMD_EVIDENCE_READ_REQUEST_ATTRS:
            # A reply-only id below maxattr has no policy entry (NLA_UNSPEC).
            return table, NlError(errno.EINVAL, "Unsupported attribute", at)
        if attr.type in (spec.A_EVIDENCE_OBJECT_TYPE_MASK, spec.A_EVIDENCE_OBJECT_FLAGS) \
                and len(attr.payload) != 4:
            return table, NlError(errno.EINVAL, "invalid attribute length", at)
        if attr.type == spec.A_EVIDENCE_OBJECT_DEV_NAME and b"\0" not in attr.payload:
            return table, NlError(errno.EINVAL, _POLICY_MSG, at)
        if attr.type == spec.A_EVIDENCE_OBJECT_NONCE and len(attr.payload) > options.max_nonce_size:
            # NLA_BINARY over its max-len fails with validate_nla's default ERANGE.
            return table, NlError(errno.ERANGE, _POLICY_MSG, at)
        table[attr.type] = (attr, at)  # like tb[]: a repeated attribute's last copy wins
        at += align4(NLA_HDRLEN + len(attr.payload))
    return table, None


def dump_start(request: bytes, source: EvidenceSource, *, is_admin: bool,
               options: DumpOptions) -> DumpState | NlError:
    """Validate one ``evidence-read`` dump request and build its context.

    ``request`` is one complete netlink message (check :func:`is_droppable`
    first); ``source`` maps PCI device names to ``(has_context, evidence)``.

    Context: runs under ``cb_mutex`` from the genetlink dump start; takes no
    PCI/TSM lock (the device lookup only takes a reference).
    Return: the :class:`DumpState`, or in check order: ENOENT (not the pci-tsm
    family id); EINVAL (no genlmsghdr); EOPNOTSUPP (not EVIDENCE_READ, or no
    NLM_F_DUMP: the family has no doit); EPERM (caller lacks CAP_NET_ADMIN);
    EINVAL (malformed attributes, "Unknown attribute type", "invalid attribute
    length", "Unsupported attribute", dev-name without NUL); ERANGE (NONCE longer than max-len);
    EINVAL "missing object request mask"; EINVAL "unsupported object request
    %#lx"; EINVAL (unknown FLAGS bits, bad attribute); EINVAL "missing device
    name"; EINVAL (DEV_NAME does not fit 32 bytes, bad attribute); ENODEV
    "device '%s' not found"; EINVAL "no evidence type requested".
    """
    length = int.from_bytes(request[0:4], "little")
    family = int.from_bytes(request[4:6], "little")
    flags = int.from_bytes(request[6:8], "little")
    seq = int.from_bytes(request[8:12], "little")
    pid = int.from_bytes(request[12:16], "little")
    if family != options.family_id:
        return NlError(errno.ENOENT)
    if length < NLMSG_HDRLEN + GENL_HDRLEN:
        return NlError(errno.EINVAL)
    if request[16] != spec.CMD_EVIDENCE_READ or (flags & NLM_F_DUMP) != NLM_F_DUMP:
        return NlError(errno.EOPNOTSUPP)
    if spec.CMD_EVIDENCE_READ_ADMIN_PERM and not is_admin:
        return NlError(errno.EPERM)
    try:
        attrs = decode_attrs(request[NLMSG_HDRLEN + GENL_HDRLEN:length],
                             base=NLMSG_HDRLEN + GENL_HDRLEN)
    except WireError as exc:
        return NlError(errno.EINVAL, "malformed attributes", exc.offset)
    table, err = _policy(attrs, options)
    if err is not None:
        return err

    if spec.A_EVIDENCE_OBJECT_TYPE_MASK not in table:
        return NlError(errno.EINVAL, "missing object request mask")
    mask = table[spec.A_EVIDENCE_OBJECT_TYPE_MASK][0].u32()
    if mask & ~spec.EVIDENCE_TYPE_FLAG_MASK:
        return NlError(errno.EINVAL, f"unsupported object request {_c_hex(mask)}")
    req_flags = 0
    if spec.A_EVIDENCE_OBJECT_FLAGS in table:
        attr, at = table[spec.A_EVIDENCE_OBJECT_FLAGS]
        req_flags = attr.u32()
        if req_flags & ~spec.EVIDENCE_FLAG_MASK:
            return NlError(errno.EINVAL, None, at)
    if spec.A_EVIDENCE_OBJECT_DEV_NAME not in table:
        return NlError(errno.EINVAL, "missing device name")
    attr, at = table[spec.A_EVIDENCE_OBJECT_DEV_NAME]
    raw = attr.payload[:-1] if attr.payload.endswith(b"\0") else attr.payload
    if len(raw) >= DEV_NAME_SIZE:
        return NlError(errno.EINVAL, None, at)
    name = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
    if lookup(source, name) is None:
        return NlError(errno.ENODEV, f"device '{name}' not found")
    first = next((k for k in range(spec.EVIDENCE_TYPE_MAX + 1) if mask & (1 << k)), None)
    if first is None:
        return NlError(errno.EINVAL, "no evidence type requested")
    nonce = None
    if options.nonce_policy is NoncePolicy.REFRESH and spec.A_EVIDENCE_OBJECT_NONCE in table:
        nonce = table[spec.A_EVIDENCE_OBJECT_NONCE][0].payload
    return DumpState(name, mask, req_flags, nonce, seq, pid, first)
