# SPDX-License-Identifier: BSD-3-Clause
"""The one platform interface the agent and CLI use, emulated or real.

A platform is spoken to exactly as Linux is: sysfs attributes are read and
written as text, failures are ``OSError`` carrying the errno the kernel would
return, and evidence comes from the ``pci-tsm`` generic-netlink dump. The
emulated platform presents the same paths and errnos, so the code that drives a
real kernel is the code under test (DESIGN.md principle 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from devtrust.wire.evidence import EvidenceType

__all__ = ["PCI_DEVICES", "TSM_CLASS", "EvidenceDump", "Platform", "PlatformEvent"]

PCI_DEVICES = "/sys/bus/pci/devices"
TSM_CLASS = "/sys/class/tsm"


@dataclass(frozen=True, slots=True)
class EvidenceDump:
    """Objects returned by one ``evidence-read`` dump, reassembled.

    ``digests`` is True when the DIGEST flag was set (objects are the TSM's
    digests, not the blobs). ``generation`` is the evidence generation the
    platform reports for the dump when it can tell (the emulated kernel can;
    the v2 netlink ABI does not carry it, so a real kernel gives None).
    """

    device: str
    objects: tuple[tuple[EvidenceType, bytes], ...]
    digests: bool = False
    generation: int | None = None

    def get(self, kind: EvidenceType) -> bytes:
        for found, data in self.objects:
            if found is kind:
                return data
        return b""


@dataclass(frozen=True, slots=True)
class PlatformEvent:
    """A change notification (uevent or trust-change netlink event)."""

    device: str
    kind: str
    detail: str = ""


class Platform(Protocol):
    """What the agent needs from Linux."""

    name: str

    def read(self, path: str) -> str:
        """Read an attribute; trailing newline stripped. OSError on failure."""
        ...

    def read_bytes(self, path: str) -> bytes:
        """Read a binary attribute (``config``). OSError on failure."""
        ...

    def write(self, path: str, value: str) -> None:
        """Write an attribute. OSError(errno) exactly as the kernel fails it."""
        ...

    def listdir(self, path: str) -> tuple[str, ...]:
        ...

    def exists(self, path: str) -> bool:
        ...

    def evidence_read(self, device: str, type_mask: int, *, digest: bool = False,
                      nonce: bytes | None = None) -> EvidenceDump:
        """``pci-tsm`` ``evidence-read`` dump. OSError(errno, extack) on failure."""
        ...

    def poll_events(self) -> tuple[PlatformEvent, ...]:
        """Events since the last poll (may be empty)."""
        ...

    def lock_params(self, device: str) -> tuple[int, int] | None:
        """(LOCK flags, MMIO reporting offset) the TSM used, when the platform tells."""
        ...
