# SPDX-License-Identifier: BSD-3-Clause
"""The kernel's PCI/TSM evidence objects (kernel-abi.md §5.3-§5.5, §6.1).

Shared vocabulary between the emulated TSMs (which produce evidence), the kernel
model (which stores and dumps it over ``pci-tsm`` netlink) and the appraiser
(which consumes it). Values follow ``pci-tsm.yaml``: CERT0..CERT7 = 0..7,
VCA = 8, MEASUREMENTS = 9, REPORT = 10.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

__all__ = [
    "EVIDENCE_FLAG_DIGEST",
    "EVIDENCE_FLAG_MASK",
    "EVIDENCE_TYPE_FLAG_MASK",
    "EVIDENCE_TYPE_MAX",
    "MAX_NONCE_SIZE",
    "MAX_OBJECT_SIZE",
    "EvidenceObject",
    "EvidenceSet",
    "EvidenceType",
]


class EvidenceType(IntEnum):
    CERT0 = 0
    CERT1 = 1
    CERT2 = 2
    CERT3 = 3
    CERT4 = 4
    CERT5 = 5
    CERT6 = 6
    CERT7 = 7
    VCA = 8
    MEASUREMENTS = 9
    REPORT = 10

    @property
    def flag(self) -> int:
        """The ``evidence-type-flag`` bit selecting this type in TYPE_MASK."""
        return 1 << int(self)

    @property
    def uapi_name(self) -> str:
        """Lowercase name as in pci-tsm.yaml (``cert0`` ... ``report``)."""
        return self.name.lower()


EVIDENCE_TYPE_MAX = 10
EVIDENCE_TYPE_FLAG_MASK = 2047
EVIDENCE_FLAG_DIGEST = 1
EVIDENCE_FLAG_MASK = 1
MAX_OBJECT_SIZE = 0x01000000
MAX_NONCE_SIZE = 256


@dataclass(frozen=True, slots=True)
class EvidenceObject:
    """One evidence blob plus, optionally, the TSM's private digest of it."""

    data: bytes = b""
    digest: bytes | None = None

    def __post_init__(self) -> None:
        if len(self.data) > MAX_OBJECT_SIZE:
            raise ValueError("evidence object larger than PCI_TSM_MAX_OBJECT_SIZE")


@dataclass(frozen=True, slots=True)
class EvidenceSet:
    """``struct pci_tsm_evidence``: slot, generation, digest algorithm and 11 objects.

    ``generation == 0`` means "no evidence". ``digest_algo`` names a hashlib
    algorithm (``"sha384"`` for the sample TSMs and SEV-TIO).
    """

    generation: int = 0
    slot: int = 0
    digest_algo: str = "sha384"
    objects: tuple[EvidenceObject, ...] = field(
        default_factory=lambda: tuple(EvidenceObject() for _ in range(EVIDENCE_TYPE_MAX + 1)))

    def __post_init__(self) -> None:
        if len(self.objects) != EVIDENCE_TYPE_MAX + 1:
            raise ValueError("an evidence set holds exactly 11 objects")

    def get(self, kind: EvidenceType) -> EvidenceObject:
        return self.objects[int(kind)]

    def replace(self, kind: EvidenceType, obj: EvidenceObject) -> EvidenceSet:
        """A new set with one object replaced and the generation bumped."""
        objs = list(self.objects)
        objs[int(kind)] = obj
        return EvidenceSet(self.generation + 1, self.slot, self.digest_algo, tuple(objs))
