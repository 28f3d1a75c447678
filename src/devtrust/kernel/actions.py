# SPDX-License-Identifier: BSD-3-Clause
"""Actions on the kernel model, their results, and provider requests.

Every operation that calls into a TSM or asks trust ops carries the provider's
reply in the action (``reply`` errno, 0 = OK, plus the data the provider hands
back). :func:`devtrust.kernel.core.plan` answers :class:`NeedsProvider` when the
kernel's prechecks pass and the provider must be consulted;
:func:`devtrust.kernel.core.step` re-runs the same prechecks and applies the
reply. Hardware events not initiated by the kernel are :class:`HwEvent`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from devtrust.kernel.events import Event
from devtrust.wire.evidence import EvidenceSet

__all__ = [
    "Accept",
    "Action",
    "Buffer",
    "Connect",
    "CpuMmio",
    "DeviceDma",
    "Disconnect",
    "DmaMap",
    "DriverBind",
    "DriverUnbind",
    "GuestReq",
    "HwEvent",
    "HwKind",
    "IommuSync",
    "Ioremap",
    "LoadModule",
    "Lock",
    "NeedsProvider",
    "Ready",
    "RegisterTsm",
    "Result",
    "SetAuthorized",
    "SetDriverOverride",
    "SetDriversAutoprobe",
    "SetModulesAutoprobe",
    "SetTrust",
    "TsmBind",
    "TsmUnbind",
    "UnloadModule",
    "Unlock",
    "UnregisterTsm",
    "UserValidate",
    "Validate",
]


@dataclass(frozen=True, slots=True)
class Result:
    """Outcome of one step: errno (0 = success), a value for queries, emitted events."""

    errno: int = 0
    value: str = ""
    events: tuple[Event, ...] = ()


@dataclass(frozen=True, slots=True)
class NeedsProvider:
    """The prechecks passed; the platform must perform ``op`` on the provider.

    ``op`` is one of "connect", "disconnect", "lock", "unlock", "accept" (the
    TSM's LOCKED -> RUN), "bind", "guest_req", "trust_ack" (trust ops asked to
    acknowledge ``level``). The platform performs it and calls ``step`` with the
    same action carrying the reply.
    """

    op: str
    device: str
    tsm: str = ""
    level: int | None = None


@dataclass(frozen=True, slots=True)
class Ready:
    """The prechecks passed and no provider is involved: call ``step``."""


@dataclass(frozen=True, slots=True)
class Connect:
    device: str
    tsm: str
    reply: int = 0
    evidence: EvidenceSet = field(default_factory=lambda: EvidenceSet(generation=1))


@dataclass(frozen=True, slots=True)
class Disconnect:
    device: str
    tsm: str
    reply: int = 0


@dataclass(frozen=True, slots=True)
class Lock:
    device: str
    tsm: str
    reply: int = 0
    evidence: EvidenceSet = field(default_factory=lambda: EvidenceSet(generation=1))
    report: bytes = b""


@dataclass(frozen=True, slots=True)
class Accept:
    """Write to ``tsm/accept``; ``run`` says whether the TSM moved the device to RUN.

    Under V10 T1 the value may carry ``generation=N`` after the boolean.
    """

    device: str
    value: str = "1"
    reply: int = 0
    run: bool = True


@dataclass(frozen=True, slots=True)
class Unlock:
    device: str
    tsm: str
    reply: int = 0


@dataclass(frozen=True, slots=True)
class TsmBind:
    device: str
    kvm: int | None = 1
    reply: int = 0


@dataclass(frozen=True, slots=True)
class TsmUnbind:
    device: str


@dataclass(frozen=True, slots=True)
class GuestReq:
    device: str
    scope: int = 0
    reply: int = 0


@dataclass(frozen=True, slots=True)
class SetTrust:
    """Write to ``trust``; ``reply`` is the trust ops' answer (or the RUN kick's under B2)."""

    device: str
    value: str
    reply: int = 0
    run: bool = True


@dataclass(frozen=True, slots=True)
class SetAuthorized:
    device: str
    value: str


@dataclass(frozen=True, slots=True)
class Validate:
    """V10 T2: the netlink "validate" command records the evidence generation."""

    device: str
    generation: int


@dataclass(frozen=True, slots=True)
class UserValidate:
    """Ghost action: the relying party validated ``generation`` (for S17 under every V10)."""

    device: str
    generation: int


@dataclass(frozen=True, slots=True)
class DriverBind:
    driver: str
    device: str
    reply: int = 0   # trust ack (or RUN kick) when a module trust= policy applies
    run: bool = True


@dataclass(frozen=True, slots=True)
class DriverUnbind:
    driver: str
    device: str


@dataclass(frozen=True, slots=True)
class SetDriverOverride:
    device: str
    value: str


@dataclass(frozen=True, slots=True)
class SetDriversAutoprobe:
    value: str


@dataclass(frozen=True, slots=True)
class SetModulesAutoprobe:
    value: str


@dataclass(frozen=True, slots=True)
class LoadModule:
    """``modprobe module [autoprobe=B] [trust=N]``."""

    module: str
    autoprobe: str | None = None
    trust: str | None = None
    reply: int = 0


@dataclass(frozen=True, slots=True)
class UnloadModule:
    module: str


@dataclass(frozen=True, slots=True)
class RegisterTsm:
    mode: str   # "link" or "devsec"; anything else is EINVAL (neither ops kind)


@dataclass(frozen=True, slots=True)
class UnregisterTsm:
    tsm: str


class HwKind(Enum):
    ERROR = "error"              # TDISP ERROR (config disturbed, BME/MSE cleared)
    SPDM_LOSS = "spdm-loss"      # SPDM session lost
    IDE_LOSS = "ide-loss"        # link encryption lost
    IDE_RESTORED = "ide-up"      # link security re-established by the provider
    FW_UPDATE = "fw-update"      # coordinated firmware update: RUN -> UNLOCKED
    EVIDENCE_REFRESH = "refresh"  # the TSM refreshed evidence (generation + 1)


@dataclass(frozen=True, slots=True)
class HwEvent:
    """A hardware event; ``evidence`` is the TSM's refreshed evidence for EVIDENCE_REFRESH."""

    device: str
    kind: HwKind
    evidence: EvidenceSet | None = None


@dataclass(frozen=True, slots=True)
class SampleEvidenceWrite:
    """Write to the devsec sample's ``certs`` / ``transcript`` binary attribute (§9.8)."""

    which: str      # "certs" or "transcript"
    offset: int
    data: bytes


@dataclass(frozen=True, slots=True)
class IommuSync:
    """V6(b): the IOMMU responder catches up with the published level."""

    device: str


class Buffer(Enum):
    PRIVATE = "private"
    SHARED = "shared"


@dataclass(frozen=True, slots=True)
class DmaMap:
    """A driver DMA API call: streaming or coherent, optionally with a decrypted attribute."""

    device: str
    coherent: bool = False
    decrypted: bool = False


@dataclass(frozen=True, slots=True)
class Ioremap:
    device: str
    start: int
    size: int


@dataclass(frozen=True, slots=True)
class DeviceDma:
    """Device-initiated DMA to private or shared memory, with the TEE bit or not."""

    device: str
    target: Buffer
    t_bit: bool


@dataclass(frozen=True, slots=True)
class CpuMmio:
    """CPU access to the device's MMIO at ``addr`` with T=0 or T=1."""

    device: str
    addr: int
    t_bit: bool


Action = (Connect | Disconnect | Lock | Accept | Unlock | TsmBind | TsmUnbind | GuestReq
          | SetTrust | SetAuthorized | Validate | UserValidate | DriverBind | DriverUnbind
          | SetDriverOverride | SetDriversAutoprobe | SetModulesAutoprobe | LoadModule
          | UnloadModule | RegisterTsm | UnregisterTsm | HwEvent | IommuSync | DmaMap | Ioremap
          | SampleEvidenceWrite
          | DeviceDma | CpuMmio)
