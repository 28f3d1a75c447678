# SPDX-License-Identifier: BSD-3-Clause
"""Notifications the kernel model emits: uevents and trust-change netlink events."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Event", "EventKind"]


class EventKind(Enum):
    KOBJ_ADD = "add"
    KOBJ_CHANGE = "change"         # TSM class: PCI operations now possible (v2 patch 06)
    KOBJ_REMOVE = "remove"
    KOBJ_BIND = "bind"
    KOBJ_UNBIND = "unbind"
    TRUST_CHANGE = "trust-change"  # netlink notification on a trust change (Dan 03-23)
    TDISP_T0 = "tdisp-t0"          # TDISP-capable device left unbound in T=0 (S21)


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    device: str
    detail: str = ""
