# SPDX-License-Identifier: BSD-3-Clause
"""What every emulated TSM shares: identity, errno conventions and evidence bookkeeping.

TSM operations return an errno int (0 = success) exactly as the kernel model feeds it
back to the sysfs writer; they never raise for a device misbehaving. Evidence is kept as
an immutable :class:`~devtrust.wire.evidence.EvidenceSet` per function whose generation
increases whenever any object changes (kernel-abi.md §3.6, §6.1).
"""

from __future__ import annotations

import errno
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from devtrust.hw.dsm.events import HwEvent
from devtrust.wire.evidence import EVIDENCE_TYPE_MAX, EvidenceObject, EvidenceSet, EvidenceType
from devtrust.wire.tdisp.header import TdispErrorCode

__all__ = [
    "DIGEST_ALGO",
    "TDISP_ERRNO",
    "EvidenceBook",
    "PciMode",
    "TsmIdentity",
    "tdisp_errno",
]

DIGEST_ALGO = "sha384"


class PciMode(StrEnum):
    """``/sys/class/tsm/tsmN/pci_mode`` values (kernel-abi.md §3.4)."""

    LINK = "link"
    DEVSEC = "devsec"


@dataclass(frozen=True, slots=True)
class TsmIdentity:
    """A TSM class device: its ``tsmN`` name and PCI personality."""

    name: str
    pci_mode: PciMode

    def __post_init__(self) -> None:
        if not self.name.startswith("tsm") or not self.name[3:].isdigit():
            raise ValueError(f"TSM name must be 'tsm<N>', got {self.name!r}")


# How a TDISP_ERROR from the device surfaces as an errno from a TSM operation. The kernel
# returns the TSM's error unchanged (kernel-abi.md §3.9), so this table is the emulated
# TSM's own choice: state conflicts are EBUSY, transient conditions EAGAIN, a device
# that refuses our parameters EINVAL, a bad nonce EACCES, anything else EIO.
TDISP_ERRNO: Mapping[TdispErrorCode, int] = {
    TdispErrorCode.INVALID_REQUEST: errno.EINVAL,
    TdispErrorCode.BUSY: errno.EAGAIN,
    TdispErrorCode.INVALID_INTERFACE_STATE: errno.EBUSY,
    TdispErrorCode.UNSPECIFIED: errno.EIO,
    TdispErrorCode.UNSUPPORTED_REQUEST: errno.EOPNOTSUPP,
    TdispErrorCode.VERSION_MISMATCH: errno.EPROTO,
    TdispErrorCode.VENDOR_SPECIFIC_ERROR: errno.EIO,
    TdispErrorCode.INVALID_INTERFACE: errno.ENODEV,
    TdispErrorCode.INVALID_NONCE: errno.EACCES,
    TdispErrorCode.INSUFFICIENT_ENTROPY: errno.EAGAIN,
    TdispErrorCode.INVALID_DEVICE_CONFIGURATION: errno.EINVAL,
}


def tdisp_errno(code: int) -> int:
    """errno for a TDISP ERROR_CODE (EIO for codes the table does not know)."""
    try:
        return TDISP_ERRNO[TdispErrorCode(code)]
    except ValueError:
        return errno.EIO


class EvidenceBook:
    """Evidence per function (``bdf``) with monotonically increasing generations.

    Generations never restart for a function, even across disconnect/reconnect or
    unlock/lock: a verifier that remembers a generation can always tell that evidence
    changed. ``digest_mode`` makes every non-empty object carry ``sha384(data)`` as the
    digest a platform TSM would deliver over its trusted channel (kernel-abi.md §6.1).
    """

    __slots__ = ("_generation", "_sets", "digest_mode")

    def __init__(self, *, digest_mode: bool = False) -> None:
        self.digest_mode = digest_mode
        self._sets: dict[str, EvidenceSet] = {}
        self._generation: dict[str, int] = {}

    def get(self, bdf: str) -> EvidenceSet | None:
        return self._sets.get(bdf)

    def publish(self, bdf: str, data: Mapping[EvidenceType, bytes], *, slot: int = 0,
                digests: Mapping[EvidenceType, bytes] | None = None) -> EvidenceSet:
        """Replace the evidence of ``bdf`` with ``data`` (absent types are empty).

        ``digests`` overrides the computed digest of individual objects (the fault that
        delivers a digest not matching its object). The generation is bumped only if an
        object actually changed.
        """
        objects = []
        for kind in range(EVIDENCE_TYPE_MAX + 1):
            blob = bytes(data.get(EvidenceType(kind), b""))
            digest: bytes | None = None
            if self.digest_mode and blob:
                digest = hashlib.new(DIGEST_ALGO, blob).digest()
            if digests and EvidenceType(kind) in digests:
                digest = digests[EvidenceType(kind)]
            objects.append(EvidenceObject(blob, digest))
        current = self._sets.get(bdf)
        if current is not None and current.objects == tuple(objects) and current.slot == slot:
            return current
        generation = self._generation.get(bdf, 0) + 1
        self._generation[bdf] = generation
        new = EvidenceSet(generation, slot, DIGEST_ALGO, tuple(objects))
        self._sets[bdf] = new
        return new

    def drop(self, bdf: str) -> None:
        """Forget the evidence of ``bdf`` (the generation counter is kept)."""
        self._sets.pop(bdf, None)


def empty_events() -> tuple[HwEvent, ...]:
    """No events (helper for TSMs without a device behind them)."""
    return ()


__all__ += ["empty_events"]
