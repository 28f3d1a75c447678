# SPDX-License-Identifier: BSD-3-Clause
"""The real thing: Linux sysfs plus the ``pci-tsm`` generic-netlink family.

Reads and writes go straight to ``/sys`` (a different root can be given for
tests against a copied tree); the kernel's own ``OSError`` reaches the caller
unchanged. Evidence is dumped with :mod:`devtrust.platform.netlink_client`.
"""

from __future__ import annotations

import os
from pathlib import Path

from devtrust.platform.base import EvidenceDump, PlatformEvent

__all__ = ["SysfsPlatform"]


class SysfsPlatform:
    """A platform backed by the running kernel."""

    name = "sysfs"

    def __init__(self, root: str = "/") -> None:
        self._root = Path(root)

    def _path(self, path: str) -> Path:
        return self._root / path.lstrip("/")

    def read(self, path: str) -> str:
        with open(self._path(path)) as f:
            return f.read().rstrip("\n")

    def write(self, path: str, value: str) -> None:
        # One write(2) call, as `echo value > attr` does; partial writes are errors.
        fd = os.open(self._path(path), os.O_WRONLY)
        try:
            data = value.encode()
            written = os.write(fd, data)
            if written != len(data):
                raise OSError(5, f"short write to {path}")  # EIO
        finally:
            os.close(fd)

    def listdir(self, path: str) -> tuple[str, ...]:
        return tuple(sorted(os.listdir(self._path(path))))

    def exists(self, path: str) -> bool:
        return self._path(path).exists()

    def evidence_read(self, device: str, type_mask: int, *, digest: bool = False,
                      nonce: bytes | None = None) -> EvidenceDump:
        from devtrust.platform.netlink_client import dump_evidence_from_kernel
        return dump_evidence_from_kernel(device, type_mask, digest=digest, nonce=nonce)

    def read_bytes(self, path: str) -> bytes:
        with open(self._path(path), "rb") as f:
            return f.read()

    def lock_params(self, device: str) -> tuple[int, int] | None:
        """The v2 ABI does not say which LOCK flags the TSM used."""
        del device
        return None

    def poll_events(self) -> tuple[PlatformEvent, ...]:
        # The v2 kernel emits no trust-change notification; the agent re-reads
        # state instead (see docs/agent.md).
        return ()
