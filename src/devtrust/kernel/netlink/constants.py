# SPDX-License-Identifier: BSD-3-Clause
# GENERATED FILE - DO NOT EDIT.
# Source: src/devtrust/kernel/netlink/pci_tsm.yaml
# Regenerate: python -m devtrust.kernel.netlink.gen_constants
"""Constants of the ``pci-tsm`` generic netlink family, from ``pci_tsm.yaml``."""

from __future__ import annotations

from typing import Final

__all__ = [
    "A_EVIDENCE_OBJECT_DEV_NAME",
    "A_EVIDENCE_OBJECT_FLAGS",
    "A_EVIDENCE_OBJECT_MAX",
    "A_EVIDENCE_OBJECT_NONCE",
    "A_EVIDENCE_OBJECT_SPEC",
    "A_EVIDENCE_OBJECT_TYPE",
    "A_EVIDENCE_OBJECT_TYPE_MASK",
    "A_EVIDENCE_OBJECT_VAL",
    "CMD_EVIDENCE_READ",
    "CMD_EVIDENCE_READ_ADMIN_PERM",
    "CMD_EVIDENCE_READ_IS_DUMP",
    "CMD_EVIDENCE_READ_REPLY_ATTRS",
    "CMD_EVIDENCE_READ_REQUEST_ATTRS",
    "CMD_MAX",
    "EVIDENCE_FLAG_DIGEST",
    "EVIDENCE_FLAG_MASK",
    "EVIDENCE_TYPE_CERT0",
    "EVIDENCE_TYPE_CERT1",
    "EVIDENCE_TYPE_CERT2",
    "EVIDENCE_TYPE_CERT3",
    "EVIDENCE_TYPE_CERT4",
    "EVIDENCE_TYPE_CERT5",
    "EVIDENCE_TYPE_CERT6",
    "EVIDENCE_TYPE_CERT7",
    "EVIDENCE_TYPE_FLAG_CERT0",
    "EVIDENCE_TYPE_FLAG_CERT1",
    "EVIDENCE_TYPE_FLAG_CERT2",
    "EVIDENCE_TYPE_FLAG_CERT3",
    "EVIDENCE_TYPE_FLAG_CERT4",
    "EVIDENCE_TYPE_FLAG_CERT5",
    "EVIDENCE_TYPE_FLAG_CERT6",
    "EVIDENCE_TYPE_FLAG_CERT7",
    "EVIDENCE_TYPE_FLAG_MASK",
    "EVIDENCE_TYPE_FLAG_MEASUREMENTS",
    "EVIDENCE_TYPE_FLAG_REPORT",
    "EVIDENCE_TYPE_FLAG_VCA",
    "EVIDENCE_TYPE_MAX",
    "EVIDENCE_TYPE_MEASUREMENTS",
    "EVIDENCE_TYPE_REPORT",
    "EVIDENCE_TYPE_VCA",
    "FAMILY_NAME",
    "FAMILY_VERSION",
    "MAX_NONCE_SIZE",
    "MAX_OBJECT_SIZE",
    "MAX_OBJ_TYPE",
]


FAMILY_NAME: Final[str] = 'pci-tsm'
FAMILY_VERSION: Final[int] = 1

MAX_OBJECT_SIZE: Final[int] = 16777216

MAX_NONCE_SIZE: Final[int] = 256

MAX_OBJ_TYPE: Final[int] = 4

EVIDENCE_TYPE_CERT0: Final[int] = 0
EVIDENCE_TYPE_CERT1: Final[int] = 1
EVIDENCE_TYPE_CERT2: Final[int] = 2
EVIDENCE_TYPE_CERT3: Final[int] = 3
EVIDENCE_TYPE_CERT4: Final[int] = 4
EVIDENCE_TYPE_CERT5: Final[int] = 5
EVIDENCE_TYPE_CERT6: Final[int] = 6
EVIDENCE_TYPE_CERT7: Final[int] = 7
EVIDENCE_TYPE_VCA: Final[int] = 8
EVIDENCE_TYPE_MEASUREMENTS: Final[int] = 9
EVIDENCE_TYPE_REPORT: Final[int] = 10
EVIDENCE_TYPE_MAX: Final[int] = 10

EVIDENCE_TYPE_FLAG_CERT0: Final[int] = 1
EVIDENCE_TYPE_FLAG_CERT1: Final[int] = 2
EVIDENCE_TYPE_FLAG_CERT2: Final[int] = 4
EVIDENCE_TYPE_FLAG_CERT3: Final[int] = 8
EVIDENCE_TYPE_FLAG_CERT4: Final[int] = 16
EVIDENCE_TYPE_FLAG_CERT5: Final[int] = 32
EVIDENCE_TYPE_FLAG_CERT6: Final[int] = 64
EVIDENCE_TYPE_FLAG_CERT7: Final[int] = 128
EVIDENCE_TYPE_FLAG_VCA: Final[int] = 256
EVIDENCE_TYPE_FLAG_MEASUREMENTS: Final[int] = 512
EVIDENCE_TYPE_FLAG_REPORT: Final[int] = 1024
EVIDENCE_TYPE_FLAG_MASK: Final[int] = 2047

EVIDENCE_FLAG_DIGEST: Final[int] = 1
EVIDENCE_FLAG_MASK: Final[int] = 1

A_EVIDENCE_OBJECT_TYPE: Final[int] = 1
A_EVIDENCE_OBJECT_TYPE_MASK: Final[int] = 2
A_EVIDENCE_OBJECT_FLAGS: Final[int] = 3
A_EVIDENCE_OBJECT_DEV_NAME: Final[int] = 4
A_EVIDENCE_OBJECT_NONCE: Final[int] = 5
A_EVIDENCE_OBJECT_VAL: Final[int] = 6
A_EVIDENCE_OBJECT_MAX: Final[int] = 6
# (id, name, type, max-len or None) for every attribute of the set.
A_EVIDENCE_OBJECT_SPEC: Final[tuple[tuple[int, str, str, int | None], ...]] = (
    (1, 'type', 'u32', None),
    (2, 'type-mask', 'u32', None),
    (3, 'flags', 'u32', None),
    (4, 'dev-name', 'string', None),
    (5, 'nonce', 'binary', 256),
    (6, 'val', 'binary', 16777216),
)

CMD_EVIDENCE_READ: Final[int] = 1
CMD_EVIDENCE_READ_ADMIN_PERM: Final[bool] = True
CMD_EVIDENCE_READ_IS_DUMP: Final[bool] = True
CMD_EVIDENCE_READ_REQUEST_ATTRS: Final[tuple[int, ...]] = (2, 3, 4, 5)
CMD_EVIDENCE_READ_REPLY_ATTRS: Final[tuple[int, ...]] = (1, 6)
CMD_MAX: Final[int] = 1
