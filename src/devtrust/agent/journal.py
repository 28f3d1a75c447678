# SPDX-License-Identifier: BSD-3-Clause
"""The agent's journal: every step it took, with the kernel's answer, in order."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

__all__ = ["Journal", "JournalEntry"]


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One step: which device, what was done, errno (0 = ok) and a human detail."""

    seq: int
    device: str
    step: str
    errno: int = 0
    detail: str = ""


@dataclass(slots=True)
class Journal:
    """Append-only list of entries (JSON Lines on export)."""

    entries: list[JournalEntry] = field(default_factory=list)

    def add(self, device: str, step: str, *, errno: int = 0, detail: str = "") -> JournalEntry:
        entry = JournalEntry(len(self.entries) + 1, device, step, errno, detail)
        self.entries.append(entry)
        return entry

    def for_device(self, device: str) -> tuple[JournalEntry, ...]:
        return tuple(e for e in self.entries if e.device == device)

    def to_jsonl(self) -> str:
        return "\n".join(json.dumps(asdict(e), sort_keys=True) for e in self.entries)
