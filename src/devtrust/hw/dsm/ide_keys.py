# SPDX-License-Identifier: BSD-3-Clause
"""The device side of IDE key programming: key slots per stream and their state (§5).

A stream is *secure* when key set K0 of every direction × sub-stream (RX/TX × PR/NPR/CPL,
six keys) has been programmed over one SPDM session and switched on with K_SET_GO. TDISP
LOCK requires that of the default stream, over the session the LOCK arrives on (§2.9
INVALID_REQUEST). No bytes here: :mod:`devtrust.hw.dsm.ide_km_responder` maps messages
onto these calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from devtrust.wire.ide_km import KeyDirection as Direction
from devtrust.wire.ide_km import SubStream

__all__ = ["ALL_SUBSTREAMS", "IdeKeyTable", "KeySlot"]

ALL_SUBSTREAMS = tuple((d, s) for d in Direction for s in SubStream)


@dataclass(frozen=True, slots=True)
class KeySlot:
    """One programmed key: 32-byte AES-256-GCM key, 8-byte IFV, and the session it came on."""

    key: bytes
    ifv: bytes
    session_id: int


class IdeKeyTable:
    """Key slots of one device port, keyed by (stream, key set, direction, sub-stream).

    ``active`` maps (stream, direction, sub-stream) to the key set switched on by GO.
    """

    __slots__ = ("active", "slots")

    def __init__(self) -> None:
        self.slots: dict[tuple[int, int, Direction, SubStream], KeySlot] = {}
        self.active: dict[tuple[int, Direction, SubStream], int] = {}

    def program(self, stream_id: int, key_set: int, direction: Direction, sub: SubStream,
                slot: KeySlot) -> None:
        self.slots[(stream_id, key_set, direction, sub)] = slot

    def go(self, stream_id: int, key_set: int, direction: Direction, sub: SubStream) -> bool:
        """Switch to a programmed key set; False if that key was never programmed."""
        if (stream_id, key_set, direction, sub) not in self.slots:
            return False
        self.active[(stream_id, direction, sub)] = key_set
        return True

    def stop(self, stream_id: int, key_set: int, direction: Direction, sub: SubStream) -> None:
        """Stop using a key set; the slot itself is erased too (keys are single-use)."""
        if self.active.get((stream_id, direction, sub)) == key_set:
            del self.active[(stream_id, direction, sub)]
        self.slots.pop((stream_id, key_set, direction, sub), None)

    def is_secure(self, stream_id: int, session_id: int | None = None) -> bool:
        """True if all six sub-streams run a key programmed over ``session_id`` (any if None)."""
        for direction, sub in ALL_SUBSTREAMS:
            key_set = self.active.get((stream_id, direction, sub))
            if key_set is None:
                return False
            slot = self.slots.get((stream_id, key_set, direction, sub))
            if slot is None or (session_id is not None and slot.session_id != session_id):
                return False
        return True

    def streams(self) -> tuple[int, ...]:
        """Stream ids with at least one programmed key, ascending."""
        return tuple(sorted({k[0] for k in self.slots}))

    def lose(self, stream_id: int | None = None) -> tuple[int, ...]:
        """Key loss: erase every key of ``stream_id`` (all streams if None).

        Returns the streams that were secure before and are not any more.
        """
        before = {s for s in self.streams() if self.is_secure(s)}
        for slot_key in [k for k in self.slots if stream_id is None or k[0] == stream_id]:
            del self.slots[slot_key]
        for active_key in [k for k in self.active if stream_id is None or k[0] == stream_id]:
            del self.active[active_key]
        return tuple(sorted(s for s in before if not self.is_secure(s)))

    def drop_session(self, session_id: int) -> tuple[int, ...]:
        """The session ended: streams keyed over it become insecure (keys erased)."""
        lost = sorted({k[0] for k, slot in self.slots.items() if slot.session_id == session_id})
        out: list[int] = []
        for stream in lost:
            out.extend(self.lose(stream))
        return tuple(out)
