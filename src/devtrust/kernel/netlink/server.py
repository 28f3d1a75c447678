# SPDX-License-Identifier: BSD-3-Clause
"""The emulated kernel's generic-netlink endpoint: nlctrl lookup plus ``pci-tsm``.

:func:`handle_request` turns one request message into exactly the messages a
kernel would queue on the requesting socket; :func:`run_dump` drives a whole
``evidence-read`` dump with a fixed receive-buffer size. Both are pure: the
evidence source is read, never changed. To interleave a refresh between dump
callbacks, call :func:`~devtrust.kernel.netlink.dump_start.dump_start` and
:func:`~devtrust.kernel.netlink.evidence_dump.dump_callback` directly.
"""

from __future__ import annotations

import errno

import devtrust.kernel.netlink.constants as spec
from devtrust.kernel.netlink.codec import NLM_F_ACK, GenlMessage, decode_message
from devtrust.kernel.netlink.ctrl import (
    GENL_ADMIN_PERM,
    GENL_CMD_CAP_DUMP,
    GENL_CMD_CAP_HASPOL,
    GENL_ID_CTRL,
    FamilyInfo,
    getfamily_name,
)
from devtrust.kernel.netlink.dump_start import dump_start, is_droppable
from devtrust.kernel.netlink.evidence_dump import (
    DumpOptions,
    DumpState,
    EvidenceSource,
    NlError,
    dump_callback,
    error_reply,
)
from devtrust.wire.errors import WireError

__all__ = ["DEFAULT_ROOM", "family_info", "handle_request", "run_dump"]

#: A receive buffer of 32 KiB, the size most netlink libraries pass to recvmsg.
DEFAULT_ROOM = 32768


def family_info(options: DumpOptions) -> FamilyInfo:
    """The ``pci-tsm`` family as nlctrl describes it."""
    op_flags = GENL_CMD_CAP_DUMP | GENL_CMD_CAP_HASPOL
    if spec.CMD_EVIDENCE_READ_ADMIN_PERM:
        op_flags |= GENL_ADMIN_PERM
    return FamilyInfo(options.family_id, spec.FAMILY_NAME, spec.FAMILY_VERSION, 0,
                      spec.A_EVIDENCE_OBJECT_MAX, ((spec.CMD_EVIDENCE_READ, op_flags),))


def run_dump(request: bytes, source: EvidenceSource, *, is_admin: bool, options: DumpOptions,
             room: int = DEFAULT_ROOM) -> tuple[bytes, ...]:
    """Dump start plus every callback: the full reply stream for one request.

    Return: () for a frame netlink core drops; NLMSG_ERROR for a dump-start
    failure (see ``dump_start``); otherwise data messages ending in NLMSG_DONE
    (whose error is 0 or the callback errno).
    """
    if is_droppable(request):
        return ()
    started = dump_start(request, source, is_admin=is_admin, options=options)
    if isinstance(started, NlError):
        return (error_reply(request, started, options),)
    state: DumpState = started
    out: list[bytes] = []
    while not state.finished:
        state, sent = dump_callback(state, source, room=room, options=options)
        out.extend(sent)
    return tuple(out)


def handle_request(request: bytes, source: EvidenceSource, *, is_admin: bool,
                   options: DumpOptions, room: int = DEFAULT_ROOM) -> tuple[bytes, ...]:
    """Everything the kernel sends back for one request message.

    Return: () for a frame netlink core drops; for nlctrl GETFAMILY the
    NEWFAMILY reply (plus an ACK when NLM_F_ACK), or NLMSG_ERROR ENOENT for an
    unknown name; for the pci-tsm family id, :func:`run_dump`; for any other
    family, NLMSG_ERROR ENOENT.
    """
    if is_droppable(request):
        return ()
    family = int.from_bytes(request[4:6], "little")
    if family == options.family_id:
        return run_dump(request, source, is_admin=is_admin, options=options, room=room)
    if family != GENL_ID_CTRL:
        return (error_reply(request, NlError(errno.ENOENT), options),)
    try:
        msg = decode_message(request)
    except WireError:
        return (error_reply(request, NlError(errno.EINVAL), options),)
    if not isinstance(msg, GenlMessage):
        return (error_reply(request, NlError(errno.EINVAL), options),)
    code, name = getfamily_name(msg)
    if code:
        return (error_reply(request, NlError(code), options),)
    if name != spec.FAMILY_NAME:
        return (error_reply(request, NlError(errno.ENOENT), options),)
    reply = family_info(options).to_message(seq=msg.seq, pid=msg.pid).encode()
    if msg.flags & NLM_F_ACK:
        return reply, error_reply(request, NlError(0), options)
    return (reply,)
