# SPDX-License-Identifier: BSD-3-Clause
"""Hardware events the emulated platform can poll (TDI left RUN, session lost, IDE lost ...).

A device appends events to its :class:`EventLog` as they happen; TSMs forward them from
:meth:`poll_events`. Each event carries a per-log sequence number so consumers can
detect gaps and replays stay byte-identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from devtrust.wire.tdisp.header import TdiState

__all__ = ["EventLog", "HwEvent", "HwEventKind"]


class HwEventKind(StrEnum):
    """What happened. ``TDI_STATE`` covers every autonomous TDI state change."""

    TDI_STATE = "tdi-state"
    SESSION_LOST = "session-lost"
    IDE_KEYS_LOST = "ide-keys-lost"
    FIRMWARE_UPDATED = "firmware-updated"
    CONFIG_WRITE = "config-write"
    FLR = "flr"
    RESET = "reset"


@dataclass(frozen=True, slots=True)
class HwEvent:
    """One event. ``bdf`` names the function concerned ("0000:01:00.0"); ``state`` is the
    TDI state after a ``TDI_STATE`` event (else None); ``detail`` is free text."""

    seq: int
    kind: HwEventKind
    bdf: str
    detail: str = ""
    state: TdiState | None = None


class EventLog:
    """Append-only event list with a drain cursor (mutable emulated hardware)."""

    __slots__ = ("_cursors", "_events")

    def __init__(self) -> None:
        self._events: list[HwEvent] = []
        self._cursors: dict[str, int] = {}

    def emit(self, kind: HwEventKind, bdf: str, detail: str = "",
             state: TdiState | None = None) -> HwEvent:
        event = HwEvent(len(self._events) + 1, kind, bdf, detail, state)
        self._events.append(event)
        return event

    @property
    def all(self) -> tuple[HwEvent, ...]:
        """Every event so far (tests and replays)."""
        return tuple(self._events)

    def drain(self, consumer: str = "platform") -> tuple[HwEvent, ...]:
        """Events ``consumer`` has not drained yet, oldest first (each consumer - the
        platform, the link TSM, the devsec TSM - has its own cursor)."""
        start = self._cursors.get(consumer, 0)
        self._cursors[consumer] = len(self._events)
        return tuple(self._events[start:])
