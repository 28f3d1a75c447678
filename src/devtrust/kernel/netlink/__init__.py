# SPDX-License-Identifier: BSD-3-Clause
"""The ``pci-tsm`` generic-netlink evidence family of the kernel model.

``pci_tsm.yaml`` is the spec; ``constants`` is generated from it; ``codec``
holds the netlink byte layouts; ``ctrl`` the nlctrl family lookup;
``dump_start`` and ``evidence_dump`` the pure ``evidence-read`` dump server;
``server`` the emulated kernel's request entry point.
"""

from __future__ import annotations

from devtrust.kernel.netlink.dump_start import dump_start, is_droppable
from devtrust.kernel.netlink.evidence_dump import (
    CURSOR_OBJECT_START,
    CURSOR_START,
    VAL_CHUNK_MAX,
    DeviceEvidence,
    DumpOptions,
    DumpState,
    DumpStateError,
    EvidenceSource,
    Interrupt,
    NlError,
    NoncePolicy,
    RefreshFn,
    done_reply,
    dump_callback,
    error_reply,
)
from devtrust.kernel.netlink.server import DEFAULT_ROOM, family_info, handle_request, run_dump

__all__ = [
    "CURSOR_OBJECT_START",
    "CURSOR_START",
    "DEFAULT_ROOM",
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
    "dump_start",
    "error_reply",
    "family_info",
    "handle_request",
    "is_droppable",
    "run_dump",
]
