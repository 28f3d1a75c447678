# SPDX-License-Identifier: BSD-3-Clause
"""The generic-netlink controller ("nlctrl") shapes used for family lookup.

User space resolves a family name to its dynamic id with CTRL_CMD_GETFAMILY
sent to GENL_ID_CTRL; the kernel answers CTRL_CMD_NEWFAMILY carrying the id,
name, version, header size, maxattr and one nested entry per operation (id and
GENL_* capability flags). Only the attributes needed for lookup are modelled;
multicast groups and policies are not (the pci-tsm family has neither).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from devtrust.kernel.netlink.codec import (
    NLM_F_ACK,
    NLM_F_REQUEST,
    Attr,
    GenlMessage,
    attr_string,
    attr_u16,
    attr_u32,
    decode_attrs,
    encode_attrs,
)
from devtrust.wire.codec import Reader
from devtrust.wire.errors import WireError

__all__ = [
    "CTRL_ATTR_FAMILY_ID",
    "CTRL_ATTR_FAMILY_NAME",
    "CTRL_ATTR_HDRSIZE",
    "CTRL_ATTR_MAXATTR",
    "CTRL_ATTR_OPS",
    "CTRL_ATTR_OP_FLAGS",
    "CTRL_ATTR_OP_ID",
    "CTRL_ATTR_VERSION",
    "CTRL_CMD_GETFAMILY",
    "CTRL_CMD_NEWFAMILY",
    "CTRL_VERSION",
    "GENL_ADMIN_PERM",
    "GENL_CMD_CAP_DO",
    "GENL_CMD_CAP_DUMP",
    "GENL_CMD_CAP_HASPOL",
    "GENL_ID_CTRL",
    "FamilyInfo",
    "decode_family",
    "encode_getfamily",
    "getfamily_name",
]

GENL_ID_CTRL = 0x10
CTRL_VERSION = 2
CTRL_CMD_NEWFAMILY = 1
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_VERSION = 3
CTRL_ATTR_HDRSIZE = 4
CTRL_ATTR_MAXATTR = 5
CTRL_ATTR_OPS = 6
CTRL_ATTR_OP_ID = 1
CTRL_ATTR_OP_FLAGS = 2

GENL_ADMIN_PERM = 0x01
GENL_CMD_CAP_DO = 0x02
GENL_CMD_CAP_DUMP = 0x04
GENL_CMD_CAP_HASPOL = 0x08


@dataclass(frozen=True, slots=True)
class FamilyInfo:
    """What CTRL_CMD_NEWFAMILY says about one family."""

    family_id: int
    name: str
    version: int
    hdrsize: int
    maxattr: int
    ops: tuple[tuple[int, int], ...] = ()  # (cmd, GENL_* flags)

    def to_message(self, *, seq: int, pid: int, flags: int = 0) -> GenlMessage:
        """The NEWFAMILY reply the controller sends for this family."""
        ops = tuple(
            Attr(index, encode_attrs((attr_u32(CTRL_ATTR_OP_ID, cmd),
                                      attr_u32(CTRL_ATTR_OP_FLAGS, op_flags))), nested=True)
            for index, (cmd, op_flags) in enumerate(self.ops, start=1))
        attrs = (attr_string(CTRL_ATTR_FAMILY_NAME, self.name),
                 attr_u16(CTRL_ATTR_FAMILY_ID, self.family_id),
                 attr_u32(CTRL_ATTR_VERSION, self.version),
                 attr_u32(CTRL_ATTR_HDRSIZE, self.hdrsize),
                 attr_u32(CTRL_ATTR_MAXATTR, self.maxattr),
                 Attr(CTRL_ATTR_OPS, encode_attrs(ops), nested=True))
        return GenlMessage(GENL_ID_CTRL, flags, seq, pid, CTRL_CMD_NEWFAMILY, CTRL_VERSION, attrs)


def encode_getfamily(name: str, *, seq: int, pid: int = 0) -> bytes:
    """CTRL_CMD_GETFAMILY by name, with NLM_F_ACK as YNL and pyroute2 send it."""
    msg = GenlMessage(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, seq, pid, CTRL_CMD_GETFAMILY, 1,
                      (attr_string(CTRL_ATTR_FAMILY_NAME, name),))
    return msg.encode()


def getfamily_name(msg: GenlMessage) -> tuple[int, str | None]:
    """Server side: ``(0, name)`` for a well-formed GETFAMILY-by-name, else ``(errno, None)``.

    Return: 0 with the name; EOPNOTSUPP for another controller command; EINVAL
    when neither name nor id is present or the name is malformed.
    """
    if msg.cmd != CTRL_CMD_GETFAMILY:
        return errno.EOPNOTSUPP, None
    found = msg.find(CTRL_ATTR_FAMILY_NAME)
    if found is None:
        return errno.EINVAL, None
    try:
        return 0, found.string()
    except WireError:
        return errno.EINVAL, None


def _u(attr: Attr, size: int, field: str) -> int:
    r = Reader(attr.payload, "CTRL_CMD_NEWFAMILY")
    value = r.uint(size, field)
    r.end()
    return value


def decode_family(msg: GenlMessage) -> FamilyInfo:
    """Client side: parse a NEWFAMILY reply (WireError if malformed)."""
    r = Reader(b"", "CTRL_CMD_NEWFAMILY")
    if msg.family != GENL_ID_CTRL or msg.cmd != CTRL_CMD_NEWFAMILY:
        raise r.error("cmd", f"expected NEWFAMILY, got family {msg.family} cmd {msg.cmd}")
    values: dict[int, Attr] = {a.type: a for a in msg.attrs}
    for need in (CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME):
        if need not in values:
            raise r.error(f"attr {need}", "missing")
    ops: list[tuple[int, int]] = []
    if CTRL_ATTR_OPS in values:
        for entry in decode_attrs(values[CTRL_ATTR_OPS].payload, structure="CTRL_ATTR_OPS"):
            inner = {a.type: a for a in decode_attrs(entry.payload, structure="CTRL_ATTR_OP")}
            if CTRL_ATTR_OP_ID not in inner:
                raise r.error("ops.id", "missing")
            flags = 0
            if CTRL_ATTR_OP_FLAGS in inner:
                flags = _u(inner[CTRL_ATTR_OP_FLAGS], 4, "op.flags")
            ops.append((_u(inner[CTRL_ATTR_OP_ID], 4, "op.id"), flags))

    def opt(kind: int) -> int:
        return _u(values[kind], 4, f"attr {kind}") if kind in values else 0

    return FamilyInfo(_u(values[CTRL_ATTR_FAMILY_ID], 2, "family_id"),
                      values[CTRL_ATTR_FAMILY_NAME].string(), opt(CTRL_ATTR_VERSION),
                      opt(CTRL_ATTR_HDRSIZE), opt(CTRL_ATTR_MAXATTR), tuple(ops))
