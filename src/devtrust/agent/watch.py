# SPDX-License-Identifier: BSD-3-Clause
"""Watch and re-validate: a device that left RUN must go through the whole flow again.

The kernel drops trust to 0 when a device leaves RUN (ERROR, SPDM or IDE loss) and
says so with a trust-change notification. The agent answers by unlocking, locking
again, gathering fresh evidence and appraising it - never by re-raising trust on
the old evidence (trust-model.md §8).
"""

from __future__ import annotations

from devtrust.agent.acceptance import AcceptanceAgent, DeviceOutcome

__all__ = ["dropped_devices", "watch_once"]


def dropped_devices(agent: AcceptanceAgent) -> tuple[str, ...]:
    """Devices whose trust was lowered since the last poll, in first-seen order."""
    seen: list[str] = []
    for event in agent.platform.poll_events():
        if event.kind != "trust-change":
            continue
        old, _, rest = event.detail.partition("->")
        new, _, reason = rest.partition(" ")
        if reason == "trust write":
            continue   # our own (or an administrator's) write, not the kernel reacting
        if old.isdigit() and new.isdigit() and int(new) < int(old) and event.device not in seen:
            seen.append(event.device)
    return tuple(seen)


def watch_once(agent: AcceptanceAgent, tsm: str) -> tuple[DeviceOutcome, ...]:
    """Re-validate every device whose trust dropped; one attempt each per call."""
    outcomes = []
    for device in dropped_devices(agent):
        agent.journal.add(device, "revalidate", detail="trust dropped; starting over")
        outcomes.append(agent.accept_device(device, tsm, "devsec"))
    return tuple(outcomes)
